/*
 * api_agent_page: one page of a protocol 2 agent sync as bytes (see
 * docs/protocol.md, "Protocol 2"), the signed documents copied verbatim.
 */
#ifndef SLUICE_SERVER_API_AGENT_PAGE_H
#define SLUICE_SERVER_API_AGENT_PAGE_H

#include <stdbool.h>
#include <stdint.h>

#include "http.h"

struct agent_page_req {
	int64_t gid;       /* the computer's first group */
	int64_t since;     /* the anchor (-1 with full) */
	int64_t cur;       /* the anchor this sync answers with */
	bool full, first;  /* a full sync; the first page (removed ids) */
	const char *after; /* the last id of the previous page, or "" */
	int64_t limit;     /* updates per page */
	const char *base;  /* public base URL of the content store */
};

/* Write the page into out->raw (status 200). Inside the caller's read
 * transaction. */
int api_agent_page(struct reply *out, const struct req *r,
                   const struct agent_page_req *q, struct err *e);

#endif
