/*
 * rules_check: the parameters of each predicate, checked the same way for
 * the agent's evaluation (rules.c calls the table's check before each
 * predicate) and, strictly, for the origin's gate rules_check(), which
 * walks a whole tree without evaluating anything (see rules.h).
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "debver.h"
#include "hash.h"
#include "rules_int.h"
#include "update.h"

/* --- parameters ------------------------------------------------------ */

/* The string parameter key of rule; NULL in *out when absent and optional. */
int
rules_param(const struct rnode *rule, const char *type, const char *key,
            bool required, const char **out, struct err *e)
{
	struct rnode v;
	const char *s;
	size_t len;

	*out = NULL;
	rn_get(rule, key, &v);
	switch (rn_kind(&v)) {
	case RK_NONE:
	case RK_NULL:
		if (required)
			return err_set(e, SL_EINVAL, "%s: missing %s", type,
			               key);
		return SL_OK;
	case RK_STRING:
		break;
	default:
		return err_set(e, SL_EINVAL, "%s: %s must be a string", type,
		               key);
	}
	s = rn_string(&v, &len);
	if (strlen(s) != len)
		return err_set(e, SL_EINVAL, "%s: %s contains a NUL byte", type,
		               key);
	if (required && len == 0)
		return err_set(e, SL_EINVAL, "%s: %s must not be empty", type,
		               key);
	*out = s;
	return SL_OK;
}

/* The ops an origin may write (rules_check); the agent also takes dpkg's
 * "<<", ">>" and the words debver_op_holds knows. */
static const char *const canonical_ops[] = {
        "<", "<=", "=", ">=", ">", "!=", NULL};

/* Check op (which must be valid) and version (non-empty) together. */
int
rules_op_version(const struct rnode *rule, const char *type, bool required,
                 bool strict, const char **op, const char **version,
                 struct err *e)
{
	bool dummy;
	int rc;

	if ((rc = rules_param(rule, type, "op", required, op, e)) != SL_OK ||
	    (rc = rules_param(rule, type, "version", required, version, e)) !=
	            SL_OK)
		return rc;
	if (*op != NULL && *version == NULL)
		return err_set(e, SL_EINVAL, "%s: op without version", type);
	if (*op == NULL && *version != NULL)
		return err_set(e, SL_EINVAL, "%s: version without op", type);
	if (*version != NULL && (*version)[0] == '\0')
		return err_set(e, SL_EINVAL, "%s: version must not be empty",
		               type);
	if (*op == NULL)
		return SL_OK;
	if (strict) {
		for (size_t i = 0; canonical_ops[i] != NULL; i++)
			if (strcmp(*op, canonical_ops[i]) == 0)
				return SL_OK;
		return err_set(e, SL_EINVAL,
		               "%s: op '%.16s' is not one of < <= = >= > !=",
		               type, *op);
	}
	if (debver_op_holds(*op, 0, &dummy, e) != SL_OK)
		return err_prefix(e, "%s", type);
	return SL_OK;
}

/* Absolute, no ".." component, no empty path. */
static bool
path_ok(const char *p)
{
	const char *s;

	if (p == NULL || p[0] != '/')
		return false;
	for (s = p; *s != '\0';) {
		size_t n;

		while (*s == '/')
			s++;
		n = strcspn(s, "/");
		if (n == 2 && s[0] == '.' && s[1] == '.')
			return false;
		s += n;
	}
	return strlen(p) < PATH_MAX;
}

int
rules_path_param(const struct rnode *rule, const char *type, const char **path,
                 struct err *e)
{
	int rc;

	if ((rc = rules_param(rule, type, "path", true, path, e)) != SL_OK)
		return rc;
	if (!path_ok(*path))
		return err_set(e, SL_EINVAL,
		               "%s: path must be absolute without '..'", type);
	return SL_OK;
}

/* --- parameter checks (one per kind of predicate) -------------------- */

int
rules_c_none(const struct rnode *rule, const char *type, bool strict,
             struct err *e)
{
	(void)rule;
	(void)type;
	(void)strict;
	(void)e;
	return SL_OK;
}

static int
c_string(const struct rnode *rule, const char *type, const char *key,
         struct err *e)
{
	const char *v;

	return rules_param(rule, type, key, true, &v, e);
}

int
rules_c_os_id(const struct rnode *rule, const char *type, bool strict,
              struct err *e)
{
	(void)strict;
	return c_string(rule, type, "id", e);
}

int
rules_c_arch(const struct rnode *rule, const char *type, bool strict,
             struct err *e)
{
	(void)strict;
	return c_string(rule, type, "arch", e);
}

int
rules_c_version_fact(const struct rnode *rule, const char *type, bool strict,
                     struct err *e)
{
	const char *op, *version;

	return rules_op_version(rule, type, true, strict, &op, &version, e);
}

int
rules_c_path(const struct rnode *rule, const char *type, bool strict,
             struct err *e)
{
	const char *path;

	(void)strict;
	return rules_path_param(rule, type, &path, e);
}

int
rules_c_file_sha256(const struct rnode *rule, const char *type, bool strict,
                    struct err *e)
{
	const char *path, *sha;
	size_t i;
	int rc;

	(void)strict;
	if ((rc = rules_path_param(rule, type, &path, e)) != SL_OK ||
	    (rc = rules_param(rule, type, "sha256", true, &sha, e)) != SL_OK)
		return rc;
	for (i = 0; sha[i] != '\0'; i++)
		if (!((sha[i] >= '0' && sha[i] <= '9') ||
		      (sha[i] >= 'a' && sha[i] <= 'f') ||
		      (sha[i] >= 'A' && sha[i] <= 'F')))
			break;
	if (sha[i] != '\0' || i != HASH_HEX_LEN)
		return err_set(e, SL_EINVAL, "%s: sha256 must be 64 hex digits",
		               type);
	return SL_OK;
}

int
rules_c_file_contains(const struct rnode *rule, const char *type, bool strict,
                      struct err *e)
{
	const char *path, *text;
	int rc;

	(void)strict;
	if ((rc = rules_path_param(rule, type, &path, e)) != SL_OK ||
	    (rc = rules_param(rule, type, "text", true, &text, e)) != SL_OK)
		return rc;
	if (strlen(text) > RULES_MAX_TEXT)
		return err_set(e, SL_EINVAL, "%s: text longer than %d bytes",
		               type, RULES_MAX_TEXT);
	return SL_OK;
}

int
rules_c_package(const struct rnode *rule, const char *type, bool strict,
                struct err *e)
{
	const char *pkg, *op, *version;
	int rc;

	if ((rc = rules_param(rule, type, "package", true, &pkg, e)) != SL_OK ||
	    (rc = rules_op_version(rule, type, false, strict, &op, &version,
	                           e)) != SL_OK)
		return rc;
	if (version != NULL && strcmp(type, "deb_installed") == 0 &&
	    debver_valid(version, e) != SL_OK)
		return err_prefix(e, "%s: bad version '%.64s'", type, version);
	return SL_OK;
}

int
rules_c_update_installed(const struct rnode *rule, const char *type,
                         bool strict, struct err *e)
{
	const char *id;
	int rc;

	if ((rc = rules_param(rule, type, "id", true, &id, e)) != SL_OK)
		return rc;
	if (strict && !update_id_valid(id))
		return err_set(e, SL_EINVAL,
		               "%s: id '%.64s' is not a lowercase UUID", type,
		               id);
	return SL_OK;
}

/* --- the origin's check ------------------------------------------------ */

#define CHECK_PATH_MAX 512

static int check(const json_t *rule, char *path, size_t len, int depth,
                 struct err *e);

static int
check_list(const json_t *list, const char *name, char *path, size_t len,
           int depth, struct err *e)
{
	size_t i, n;
	int rc;

	n = (size_t)snprintf(path + len, CHECK_PATH_MAX - len, "%s%s",
	                     len ? "." : "", name);
	if (len + n >= CHECK_PATH_MAX)
		n = CHECK_PATH_MAX - 1 - len;
	if (!json_is_array(list))
		return err_set(e, SL_EINVAL, "%s: must be an array of rules",
		               path);
	for (i = 0; i < json_array_size(list); i++) {
		size_t m = (size_t)snprintf(
		        path + len + n, CHECK_PATH_MAX - len - n, "[%zu]", i);
		if (len + n + m >= CHECK_PATH_MAX)
			m = CHECK_PATH_MAX - 1 - len - n;
		if ((rc = check(json_array_get(list, i), path, len + n + m,
		                depth + 1, e)) != SL_OK)
			return rc;
		path[len + n] = '\0';
	}
	return SL_OK;
}

static int
check(const json_t *rule, char *path, size_t len, int depth, struct err *e)
{
	const json_t *and_, *or_, *not_, *type;
	struct rnode node = {NULL, NULL, 0};
	const char *name;
	size_t i, n;
	int rc;

	path[len] = '\0';
	if (depth > RULES_MAX_DEPTH)
		return err_set(e, SL_EINVAL,
		               "%s: rule nested deeper than %d levels", path,
		               RULES_MAX_DEPTH);
	if (!json_is_object(rule))
		return err_set(e, SL_EINVAL, "%s: rule must be an object",
		               path);
	and_ = json_object_get(rule, "and");
	or_ = json_object_get(rule, "or");
	not_ = json_object_get(rule, "not");
	type = json_object_get(rule, "type");
	if ((and_ != NULL) + (or_ != NULL) + (not_ != NULL) + (type != NULL) !=
	    1)
		return err_set(e, SL_EINVAL,
		               "%s: rule must have exactly one of type, and, "
		               "or, not",
		               path);
	if (and_ != NULL)
		return check_list(and_, "and", path, len, depth, e);
	if (or_ != NULL)
		return check_list(or_, "or", path, len, depth, e);
	if (not_ != NULL) {
		n = (size_t)snprintf(path + len, CHECK_PATH_MAX - len, "%snot",
		                     len ? "." : "");
		if (len + n >= CHECK_PATH_MAX)
			n = CHECK_PATH_MAX - 1 - len;
		return check(not_, path, len + n, depth + 1, e);
	}
	if (!json_is_string(type))
		return err_set(e, SL_EINVAL, "%s: rule type must be a string",
		               path);
	name = json_string_value(type);
	for (i = 0; rules_preds[i].name != NULL; i++) {
		if (strcmp(name, rules_preds[i].name) != 0)
			continue;
		node.j = rule;
		if ((rc = rules_preds[i].check(&node, name, true, e)) != SL_OK)
			return err_prefix(e, "%s", path);
		return SL_OK;
	}
	return err_set(e, SL_EUNSUPPORTED, "%s: unknown predicate '%.64s'",
	               path, name);
}

int
rules_check(const json_t *rule, const char *path, struct err *e)
{
	char p[CHECK_PATH_MAX];
	size_t len;

	snprintf(p, sizeof(p), "%s", path ? path : "");
	len = strlen(p);
	return check(rule, p, len, 1, e);
}
