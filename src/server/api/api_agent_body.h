/*
 * api_agent_body: the request body of an agent sync,
 * {"anchor": "N" | null, "protocol": 1 | 2, "limit": N, "cursor": "..."}
 * (docs/protocol.md), read into a struct.
 *
 * The body every agent sends for its periodic check is a flat object of
 * those members with plain values; it is read by a small scanner without
 * building a JSON tree (no allocation). Anything else (other members,
 * escapes, nesting, duplicates, bad syntax) is read by jansson as before,
 * so errors and what is accepted stay the same.
 */
#ifndef SLUICE_SERVER_API_AGENT_BODY_H
#define SLUICE_SERVER_API_AGENT_BODY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "http.h"

#define AGENT_PAGE_DEFAULT 1000
#define AGENT_PAGE_MAX     5000
#define AGENT_CURSOR_MAX   128 /* longer cursors are never one of ours */

struct agent_sync_args {
	int64_t since; /* the anchor; -1 when absent, null or not one of ours */
	int proto;     /* 1 when absent */
	int64_t limit; /* AGENT_PAGE_DEFAULT when absent */
	bool has_cursor;
	char cursor[AGENT_CURSOR_MAX + 1];
};

/* The value of n decimal digits (at most 18); -1 for anything else (an
 * anchor that is not one of ours). */
int64_t agent_decimal(const char *s, size_t n);

/* The scanner alone: true when body (n bytes) is such a flat object of
 * known members and plain values, with out filled in; false otherwise
 * (out is then undefined). Values are not range-checked. */
bool agent_sync_scan(struct agent_sync_args *out, const char *body, size_t n);

/* The request's arguments: SL_EPARSE for a body that is not a JSON
 * object, SL_EINVAL naming the member that is wrong. */
int agent_sync_args(struct agent_sync_args *out, const struct req *r,
                    struct err *e);

#endif
