/*
 * jsonx: validated access to the members of a JSON object (jansson), for
 * every reader of JSON documents and requests: the server's handlers, its
 * jobs reading an upstream's answers.
 */
#ifndef SLUICE_JSONX_H
#define SLUICE_JSONX_H

#include <stddef.h>

#include <jansson.h>

#include "err.h"

/* Optional string member: *out NULL when absent or null; SL_EINVAL ("KEY:
 * expected a string", "KEY: longer than MAX bytes", "KEY: contains a NUL
 * byte") otherwise. *out points into obj. */
int jsonx_opt_str(const char **out, json_t *obj, const char *key, size_t max,
                  struct err *e);
/* Required non-empty string member ("KEY: required"). */
int jsonx_req_str(const char **out, json_t *obj, const char *key, size_t max,
                  struct err *e);

#endif
