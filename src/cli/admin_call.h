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

/* Remove "--json" from argv (setting ctx->json); returns the new argc. */
int admin_take_json(struct cli_ctx *ctx, int argc, char **argv);

#endif
