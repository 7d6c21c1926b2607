/*
 * update: the model of one update revision and its JSON codec.
 *
 * An update revision is metadata (identity, properties, relationships,
 * applicability rules, installation info) plus a list of files. It is
 * written as one JSON document (docs/metadata.md); update_from_json()
 * validates it completely and names the offending field path in the error
 * ("files[1].sha256: expected 64 hex digits"); update_to_json() writes it
 * back so that parse -> write round-trips exactly (same canonical form).
 *
 * Applicability rule trees are kept as jansson trees (validated for shape
 * here, evaluated by rules.c on the agent): the server never evaluates them.
 *
 * update.c holds the model, writer and copies; update_parse.c the reading
 * and validation.
 */
#ifndef SLUICE_UPDATE_H
#define SLUICE_UPDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "err.h"

#define UPDATE_ID_LEN 36 /* canonical lowercase UUID text */

/* A Debian binary package carried by a file (the `deb` object of a file
 * entry): what the `deb` install handler needs to decide whether the
 * machine has this package installed in an older version. */
struct update_deb {
	char *package; /* binary package name, e.g. "libacme1" */
	char *version; /* its version, dpkg syntax */
	char *arch;    /* "amd64", ..., or "all" */
};

struct update_file {
	char *name; /* plain file name, no '/' */
	uint64_t size;
	char sha256[65];
	char *url; /* where the file can be fetched; relative URLs are
	            * resolved against the catalog origin's base URL */
	struct update_deb *deb; /* optional (NULL): a Debian binary package */
};

enum update_reboot {
	UPDATE_REBOOT_NEVER,       /* "never" */
	UPDATE_REBOOT_IF_REQUIRED, /* "if-required": when a reboot code exits */
	UPDATE_REBOOT_ALWAYS,      /* "always" */
};

struct update_install {
	char *handler;          /* "command", "script", "dpkg", "rpm" */
	char **arguments;       /* NULL-terminated; may be empty */
	int *success_codes;     /* exit codes meaning success */
	size_t n_success_codes; /* default {0} */
	int *reboot_codes;      /* exit codes meaning success, reboot needed */
	size_t n_reboot_codes;
	enum update_reboot reboot;
	char **uninstall_arguments; /* NULL when the update cannot be removed */
	int timeout_seconds;        /* 0 = the agent's default */
};

struct update {
	char id[UPDATE_ID_LEN + 1];
	int64_t revision;        /* >= 1; each change is a new revision */
	char *title;             /* required */
	char *description;       /* optional (NULL) */
	char *classification;    /* required; see update_classifications[] */
	char *product;           /* required */
	char *severity;          /* optional: critical|important|moderate|low */
	char *kb_article;        /* optional */
	char *security_bulletin; /* optional */
	char **cve_ids;          /* NULL-terminated, may be empty */
	char *release_date;      /* required: YYYY-MM-DD */
	char *support_url;       /* optional */
	struct update_file *eula; /* optional license terms document */
	char **supersedes;        /* NULL-terminated lists of update ids */
	char **prerequisites;
	char **bundles;
	json_t *is_installed; /* rule trees; owned (json_decref) */
	json_t *is_installable;
	struct update_install install;
	struct update_file *files;
	size_t n_files;
};

/* The accepted classifications, NULL-terminated. */
extern const char *const update_classifications[];

/* The names of enum update_reboot values ("never", ...), indexed by the
 * value, NULL-terminated. */
extern const char *const update_reboot_names[];

/* Parse and validate a document. On success *out is a new update (free with
 * update_free()). On failure SL_EINVAL/SL_EPARSE with the field path in e. */
int update_from_json(struct update **out, const json_t *doc, struct err *e);
/* As update_from_json(), of a tree the caller made for it and never changes
 * afterwards: the rule trees are referenced, not copied. */
int update_from_json_shared(struct update **out, json_t *doc, struct err *e);

/* Same, from text (at most UPDATE_DOC_MAX bytes). */
#define UPDATE_DOC_MAX (4u << 20)
int update_from_string(struct update **out, const char *text, size_t len,
                       struct err *e);

/* Build the JSON document of u (new reference: json_decref() it). Absent
 * optional fields are omitted; lists are always written (maybe empty). */
json_t *update_to_json(const struct update *u);

/* Deep copy; free with update_free(). NULL on allocation failure. */
struct update *update_dup(const struct update *u);

void update_free(struct update *u);

/* True when s is a canonical lowercase UUID (8-4-4-4-12 hex). */
bool update_id_valid(const char *s);

/* Check the shape of a rule tree: and/or take a non-empty array, not takes
 * one rule, a predicate is an object with a string "type". Unknown
 * predicate types are allowed here (the agent decides). path names the
 * field for the error ("applicability.is_installable"). */
int update_rule_check(const json_t *rule, const char *path, struct err *e);

#endif
