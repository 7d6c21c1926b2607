/*
 * report_states: the "states" member of a report's body read in one pass
 * (report_body.c calls it): each state straight into a struct
 * store_state, its strings in the body's arena, no JSON tree. Only the
 * common shape is read so: an array of objects of "id" (a UUID),
 * "revision" (an integer >= 1), "state" (a known state) and an optional
 * "detail" (a string of at most detail_max bytes, or null), each key at
 * most once. Anything else — another key, another type, a value out of
 * range, malformed JSON, more than max_states entries — is read again
 * from the start of the value by jansson into rbody.states, so that the
 * report API checks it and answers exactly as it always has.
 *
 * Also the reader of report_body.c (struct rd and its steps) that this
 * module uses; nothing else should.
 */
#ifndef SLUICE_SERVER_API_REPORT_STATES_H
#define SLUICE_SERVER_API_REPORT_STATES_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "err.h"
#include "report_body.h"

/* report_body.c's reader over one body. */
struct rd {
	const char *p, *end, *start;
	char *arena; /* next free byte */
	long ev;     /* the event being read, -1 outside "events" */
	struct err *e;
};

/* Its steps (report_body.c): whitespace; a string into the arena (r->p
 * at its quote); a number; a literal word; any value by jansson (*out
 * NULL: only checked). Errors are SL_EPARSE "request body: line L column
 * C: what". */
void rd_ws(struct rd *r);
int rd_string(struct rd *r, const char **out, size_t *n);
int rd_number(struct rd *r, bool *is_int, int64_t *v);
int rd_literal(struct rd *r, const char *word);
int rd_jvalue(struct rd *r, json_t **out);

/* The value of "states" at r->p: into b->state_rows[0..n_states) with
 * b->states_read true, or (see above) into b->states by jansson. */
int rstates_read(struct rd *r, struct rbody *b, const struct rbody_limits *lim);

#endif
