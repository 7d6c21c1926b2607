/*
 * report_body: the body of POST /v1/agent/report read in one pass. The
 * events (hundreds per report, the hot path of status ingestion) go
 * straight into an array of struct store_event whose strings are decoded
 * into one buffer the size of the body, with no JSON tree; the other
 * members ("states", "catalog") are handed over as jansson values, but
 * for the common shape of the states, read in one pass as well
 * (report_states.h). The whole body is checked as strict JSON (UTF-8, no
 * \u0000, no duplicate keys at any depth), as json_loadb() with
 * JSON_REJECT_DUPLICATES does.
 *
 * Errors: malformed JSON fails rbody_parse() with SL_EPARSE, "request
 * body: [events[N]: ]line L column C: what". An event that is valid JSON
 * but not a valid event (a missing or mistyped member, an unknown kind)
 * does not fail the parse: the first such error is kept in the result
 * (events_err), so that the caller reports it in its own order
 * of checks; the message names the event ("events[N]: ...").
 */
#ifndef SLUICE_SERVER_API_REPORT_BODY_H
#define SLUICE_SERVER_API_REPORT_BODY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "err.h"
#include "store/store.h"

struct rbody {
	json_t *states;  /* the "states" member, NULL when absent or null */
	json_t *catalog; /* the "catalog" member, NULL when absent */
	/* events[0..n_events): pointers into this struct's own buffers */
	struct store_event *events;
	size_t n_events;
	/* "events" was present but not an array (or null), or held more
	 * than max_events entries */
	bool events_shape_bad;
	/* The first invalid event: code SL_OK when none, else its status
	 * and message ("events[N]: ..."). */
	struct err events_err;
	/* The states read in one pass (report_states.h): state_rows[0..
	 * n_states) with states_read true; else "states" is in states. */
	struct store_state *state_rows;
	size_t n_states;
	bool states_read;
	/* owned storage */
	int64_t *state_revs;
	size_t states_cap;
	char *arena;
	int64_t *ints;
	unsigned char *has; /* bit 0: revision, bit 1: exit_code */
	size_t cap;
};

/* Limits of an event's members (bytes), as the report API states them. */
struct rbody_limits {
	size_t max_events; /* more: events_shape_bad */
	size_t field_max;  /* "id" */
	size_t output_max; /* "output" */
	/* the known values of "kind" and "result", NULL-terminated */
	const char *const *kinds, *const *results;
	/* States read in one pass (report_states.h): at most max_states (0:
	 * always by jansson), each "detail" at most detail_max bytes, the
	 * known values of "state" (NULL-terminated). */
	size_t max_states, detail_max;
	const char *const *states;
};

/* Parse body[0..len). *out is freed with rbody_free(). */
int rbody_parse(struct rbody **out, const char *body, size_t len,
                const struct rbody_limits *lim, struct err *e);
/* NULL is a no-op. */
void rbody_free(struct rbody *b);

#endif
