/*
 * admin_call: what every admin subcommand of `sluice` does — call one
 * endpoint of a sluiced's admin API with the token, parse the JSON answer,
 * and turn an error body into one readable line on stderr.
 */
#ifndef SLUICE_CLI_ADMIN_CALL_H
#define SLUICE_CLI_ADMIN_CALL_H

#include <stdbool.h>

#include <jansson.h>

#include "cli.h"

/* Call METHOD server+path with body (may be NULL; not consumed). On a 2xx
 * answer *out is the parsed JSON (json_decref()) and 0 is returned; on any
 * failure the reason is printed ("sluice: HTTP 404 not-found: ...") and 1
 * is returned. */
int admin_call(json_t **out, const struct cli_ctx *ctx, const char *method,
               const char *path, json_t *body);

/* Percent-encode s for a path segment into out (n bytes); false when it
 * does not fit. */
bool admin_escape(char *out, size_t n, const char *s);

/* Print v as indented JSON on stdout (for --json). Returns 0. */
int admin_print_json(json_t *v);

/* Value of a string member or "-" when absent/null. */
const char *admin_str(json_t *o, const char *key);

/* Remove "--json" and "--csv" from argv (setting ctx->json, or the CSV
 * flag admin_csv() reads); returns the new argc. */
int admin_take_json(struct cli_ctx *ctx, int argc, char **argv);
bool admin_csv(void);

/* One option of a subcommand: "--name VALUE" (val != NULL) or a flag. */
struct admin_opt {
	const char *name;
	const char **val; /* receives the value; NULL for a flag */
	bool *flag;       /* set for a flag */
};

/* Parse argv[start..] into opts and up to max_pos positional arguments
 * (pos[], count in *npos). Returns 0, or prints a usage error and
 * returns 2. */
int admin_parse(const struct cli_cmd *cmd, int argc, char **argv, int start,
                const struct admin_opt *opts, const char **pos, int max_pos,
                int *npos);

/* Integer member as text ("-" when absent) into buf. */
const char *admin_int(char *buf, size_t n, json_t *o, const char *key);

/* Build "PATH?k=v&k2=v2" with escaped values (NULL values skipped) from a
 * NULL-terminated key/value list. false when it does not fit. */
bool admin_query(char *out, size_t n, const char *path, const char *const *kv);

/* Resolve what an administrator typed for an update — a full id, an
 * unambiguous id prefix, a KB article or an advisory id — to its id in
 * out. Non-zero (with a message on stderr listing the candidates when it
 * is ambiguous) when it names none or several. */
int admin_update_id(char out[64], const struct cli_ctx *ctx, const char *name);

/* `sluice updates approve` and `sluice approve`: argv[start] is the
 * update id (cmd_updates.c). */
int updates_approve(struct cli_ctx *ctx, const struct cli_cmd *cmd, int argc,
                    char **argv, int start);

/* `sluice computers show` and `sluice report computer` (cmd_computers.c);
 * id may also be a host name. */
int computers_show(struct cli_ctx *ctx, const char *id);

#endif
