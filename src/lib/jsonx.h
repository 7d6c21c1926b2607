/*
 * jsonx: validated access to the members of a JSON object (jansson), for
 * every reader of JSON documents and requests: the server's handlers, its
 * jobs reading an upstream's answers; and the one string writer of those
 * that write JSON text themselves (large answers, without a tree).
 */
#ifndef SLUICE_JSONX_H
#define SLUICE_JSONX_H

#include <stddef.h>

#include <jansson.h>

#include "buf.h"
#include "err.h"

/* Optional string member: *out NULL when absent or null; SL_EINVAL ("KEY:
 * expected a string", "KEY: longer than MAX bytes", "KEY: contains a NUL
 * byte") otherwise. *out points into obj. */
int jsonx_opt_str(const char **out, json_t *obj, const char *key, size_t max,
                  struct err *e);
/* Required non-empty string member ("KEY: required"). */
int jsonx_req_str(const char **out, json_t *obj, const char *key, size_t max,
                  struct err *e);

/* Append s to b as a JSON string: quotes, backslashes and control
 * characters escaped, other bytes as they are (s is UTF-8: the server's
 * stored text was checked when it came in); null when s is NULL. */
int jsonx_put_str(struct buf *b, const char *s, struct err *e);

#endif
