/*
 * agentstate: the report queue's batches and their acknowledgement (see
 * agentstate.h); split from agentstate.c by responsibility.
 */
#include "agentstate.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "agentstate_int.h"

void
agentstate_batch_free(struct as_batch *b)
{
	if (b == NULL)
		return;
	free(b->state_seqs);
	free(b->event_seqs);
	memset(b, 0, sizeof(*b));
}

static int
seq_push(int64_t **v, size_t *n, size_t *cap, int64_t seq, struct err *e)
{
	int rc = ARRAY_GROW(*v, *cap, *n, AS_ROWS_MAX, e);

	if (rc == SL_OK)
		(*v)[(*n)++] = seq;
	return rc;
}

#define BATCH_MAX_ROWS 500

/* The serialised size of o (what it adds to a request body). */
static size_t
json_size(const json_t *o)
{
	return json_dumpb(o, NULL, 0, JSON_COMPACT) + 1;
}

/* Append o to arr if it fits in the batch (the first row always fits);
 * *fits tells whether it was taken. o is consumed. */
static int
take(json_t *arr, json_t *o, size_t *bytes, size_t max_bytes, size_t rows,
     bool *fits, struct err *e)
{
	size_t sz;

	*fits = false;
	if (o == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	sz = json_size(o);
	if (rows > 0 && *bytes + sz > max_bytes) {
		json_decref(o);
		return SL_OK;
	}
	if (json_array_append_new(arr, o) != 0)
		return err_set(e, SL_ENOMEM, "out of memory");
	*bytes += sz;
	*fits = true;
	return SL_OK;
}

/* Cut text to at most max bytes without splitting a UTF-8 sequence. */
static size_t
utf8_cut(const char *t, size_t len, size_t max)
{
	if (len <= max)
		return len;
	while (max > 0 && ((unsigned char)t[max] & 0xc0) == 0x80)
		max--;
	return max;
}

int
agentstate_queue_batch(struct agentstate *s, json_t **body, struct as_batch *b,
                       size_t max_bytes, size_t max_rows, struct err *e)
{
	json_t *doc = json_object(), *states = json_array(),
	       *events = json_array(), *o;
	sqlite3_stmt *st = NULL;
	size_t bytes = 0, rows = 0;
	bool fits = true;
	int rc, r = SQLITE_DONE;

	memset(b, 0, sizeof(*b));
	*body = NULL;
	if (doc == NULL || states == NULL || events == NULL) {
		rc = err_set(e, SL_ENOMEM, "out of memory");
		goto out;
	}
	/* Events first: they are the history; states are replaced anyway. */
	if ((rc = as_prep(
	             s, &st,
	             "SELECT seq,event_id,update_id,revision,time,kind,"
	             "result,exit_code,output FROM queue_events ORDER BY seq",
	             e)) != SL_OK)
		goto out;
	while (fits && rows < max_rows &&
	       (r = sqlite3_step(st)) == SQLITE_ROW) {
		const char *output = (const char *)sqlite3_column_text(st, 8);
		size_t olen = output ? strlen(output) : 0;

		o = json_pack(
		        "{s:s, s:s, s:I, s:s, s:s, s:s, s:i, s:s%}", "event_id",
		        (const char *)sqlite3_column_text(st, 1), "id",
		        (const char *)sqlite3_column_text(st, 2), "revision",
		        (json_int_t)sqlite3_column_int64(st, 3), "time",
		        (const char *)sqlite3_column_text(st, 4), "kind",
		        (const char *)sqlite3_column_text(st, 5), "result",
		        (const char *)sqlite3_column_text(st, 6), "exit_code",
		        sqlite3_column_int(st, 7), "output",
		        output ? output : "",
		        utf8_cut(output ? output : "", olen, AS_OUTPUT_MAX));
		if ((rc = take(events, o, &bytes, max_bytes, rows, &fits, e)) !=
		    SL_OK)
			goto out;
		if (fits &&
		    (rc = seq_push(&b->event_seqs, &b->n_events, &b->cap_events,
		                   sqlite3_column_int64(st, 0), e)) != SL_OK)
			goto out;
		rows += fits;
	}
	if (r != SQLITE_ROW && r != SQLITE_DONE) {
		rc = as_db_err(s, e, "queue");
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	if ((rc = as_prep(s, &st,
	                  "SELECT seq,id,revision,state,detail FROM "
	                  "queue_states ORDER BY seq",
	                  e)) != SL_OK)
		goto out;
	while (fits && rows < max_rows &&
	       (r = sqlite3_step(st)) == SQLITE_ROW) {
		o = json_pack(
		        "{s:s, s:I, s:s, s:s*}", "id",
		        (const char *)sqlite3_column_text(st, 1), "revision",
		        (json_int_t)sqlite3_column_int64(st, 2), "state",
		        (const char *)sqlite3_column_text(st, 3), "detail",
		        (const char *)sqlite3_column_text(st, 4));
		if ((rc = take(states, o, &bytes, max_bytes, rows, &fits, e)) !=
		    SL_OK)
			goto out;
		if (fits &&
		    (rc = seq_push(&b->state_seqs, &b->n_states, &b->cap_states,
		                   sqlite3_column_int64(st, 0), e)) != SL_OK)
			goto out;
		rows += fits;
	}
	if (r != SQLITE_ROW && r != SQLITE_DONE) {
		rc = as_db_err(s, e, "queue");
		goto out;
	}
	if (rows == 0)
		goto out;
	json_object_set(doc, "states", states);
	json_object_set(doc, "events", events);
	*body = doc;
	doc = NULL;
out:
	sqlite3_finalize(st);
	json_decref(doc);
	json_decref(states);
	json_decref(events);
	if (rc != SL_OK)
		agentstate_batch_free(b);
	return rc;
}

static int
delete_seqs(struct agentstate *s, const char *sql, const int64_t *v, size_t n,
            struct err *e)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = as_prep(s, &st, sql, e)) != SL_OK)
		return rc;
	for (size_t i = 0; i < n; i++) {
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, v[i]);
		if (sqlite3_step(st) != SQLITE_DONE) {
			rc = as_db_err(s, e, "queue");
			break;
		}
	}
	sqlite3_finalize(st);
	return rc;
}

int
agentstate_queue_ack(struct agentstate *s, const struct as_batch *b,
                     struct err *e)
{
	int rc;

	if ((rc = as_tx_begin(s, e)) != SL_OK)
		return rc;
	rc = delete_seqs(s, "DELETE FROM queue_states WHERE seq=?",
	                 b->state_seqs, b->n_states, e);
	if (rc == SL_OK)
		rc = delete_seqs(s, "DELETE FROM queue_events WHERE seq=?",
		                 b->event_seqs, b->n_events, e);
	return as_tx_end(s, rc, e);
}

int
agentstate_queue_count(struct agentstate *s, size_t *states, size_t *events,
                       struct err *e)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = as_prep(s, &st,
	                  "SELECT (SELECT count(*) FROM queue_states),"
	                  "(SELECT count(*) FROM queue_events)",
	                  e)) != SL_OK)
		return rc;
	if (sqlite3_step(st) == SQLITE_ROW) {
		*states = (size_t)sqlite3_column_int64(st, 0);
		*events = (size_t)sqlite3_column_int64(st, 1);
	} else {
		rc = as_db_err(s, e, "queue");
	}
	sqlite3_finalize(st);
	return rc;
}
