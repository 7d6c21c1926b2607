/*
 * rules_int: what the rule engine (rules.c) shares with the checks of
 * predicate parameters and the origin's check (rules_check.c): the one
 * table of predicates and the parameter helpers. Not for use outside the
 * rules module.
 */
#ifndef SLUICE_RULES_INT_H
#define SLUICE_RULES_INT_H

#include <stdbool.h>

#include <jansson.h>

#include "err.h"
#include "rules.h"

/* A predicate: its name, the check of its parameters (strict: the
 * origin's stricter gate, see rules_check()) and its evaluation. The
 * evaluation runs only on parameters the check accepted. */
struct pred {
	const char *name;
	int (*check)(const json_t *rule, const char *type, bool strict,
	             struct err *e);
	int (*eval)(struct rules_ctx *c, const json_t *rule, const char *type,
	            bool *out, struct err *e);
};

/* Every predicate, ended by a NULL name (rules.c). */
extern const struct pred rules_preds[];

/* The string parameter key of rule; NULL in *out when absent and
 * optional. */
int rules_param(const json_t *rule, const char *type, const char *key,
                bool required, const char **out, struct err *e);

/* op and version together (required: both must be there); strict: op is
 * one of < <= = >= > != (the origin's gate), else any op debver knows. */
int rules_op_version(const json_t *rule, const char *type, bool required,
                     bool strict, const char **op, const char **version,
                     struct err *e);

/* The "path" parameter: absolute, no ".." component. */
int rules_path_param(const json_t *rule, const char *type, const char **path,
                     struct err *e);

/* The parameter checks of the table (rules_check.c). */
#define RULES_CHECK_FN(name)                                                   \
	int rules_##name(const json_t *rule, const char *type, bool strict,    \
	                 struct err *e)
RULES_CHECK_FN(c_none);
RULES_CHECK_FN(c_os_id);
RULES_CHECK_FN(c_arch);
RULES_CHECK_FN(c_version_fact);
RULES_CHECK_FN(c_path);
RULES_CHECK_FN(c_file_sha256);
RULES_CHECK_FN(c_file_contains);
RULES_CHECK_FN(c_package);
RULES_CHECK_FN(c_update_installed);

#endif
