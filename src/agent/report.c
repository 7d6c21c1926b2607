/*
 * report: sending the report queue to the server (see agent.h). Rows are
 * deleted only after the server answered 200; a lost answer makes the next
 * attempt send the same events again, which the server stores once (it
 * deduplicates by event_id). Batches stay under the server's body limit. A
 * batch the server refuses as such (4xx) is resent row by row, and only a
 * row refused on its own is dropped (logged), so that one bad row cannot
 * hold back everything queued behind it.
 */
#include "agent.h"

#include <stdbool.h>
#include <stdlib.h>

#include "agentapi.h"
#include "log.h"

#define BATCH_BYTES AGENT_REPORT_BATCH_BYTES
#define BATCH_ROWS  AGENT_REPORT_BATCH_ROWS

/* Send one batch; on success its rows are deleted. */
static int
send_batch(struct agent *a, const char *token, size_t max_rows,
           struct as_batch *b, bool *empty, struct err *e)
{
	json_t *body = NULL;
	long long stored = 0;
	int rc;

	*empty = false;
	if ((rc = agentstate_queue_batch(a->st, &body, b, BATCH_BYTES, max_rows,
	                                 e)) != SL_OK)
		return rc;
	if (body == NULL) {
		*empty = true;
		return SL_OK;
	}
	rc = agentapi_report(a->cfg->server, token, body, &stored, e);
	json_decref(body);
	if (rc != SL_OK)
		return rc;
	if ((rc = agentstate_queue_ack(a->st, b, e)) != SL_OK)
		return rc;
	log_info("reported %zu state(s) and %zu event(s) (%lld new)",
	         b->n_states, b->n_events, stored);
	return SL_OK;
}

int
agent_flush(struct agent *a, size_t *sent_states, size_t *sent_events,
            struct err *e)
{
	char *id = NULL, *token = NULL;
	size_t ns = 0, ne = 0, rows = BATCH_ROWS;
	struct as_batch b = {0};
	bool empty = false;
	int rc;

	if ((rc = agentstate_identity(a->st, &id, &token, e)) != SL_OK) {
		if (rc == SL_ENOTFOUND)
			rc = SL_OK; /* nothing can be sent before register */
		goto out;
	}
	while (!empty) {
		rc = send_batch(a, token, rows, &b, &empty, e);
		if (rc == SL_EINVAL && rows > 1) {
			/* The server refuses the batch as such: find the
			 * row it refuses by sending one at a time. */
			log_warn("%s; sending rows one by one", e->msg);
			rows = 1;
			rc = SL_OK;
		} else if (rc == SL_EINVAL) {
			/* A row the server will never take: drop it rather
			 * than block everything queued behind it. */
			log_error("dropping a report row the server refuses: "
			          "%s",
			          e->msg);
			rc = agentstate_queue_ack(a->st, &b, e);
		} else if (rc == SL_OK) {
			ns += b.n_states;
			ne += b.n_events;
		}
		agentstate_batch_free(&b);
		if (rc != SL_OK)
			break;
	}
	/* The catalog state (fresh or stale) when it changed. */
	if (rc == SL_OK)
		rc = agent_freshness_report(a, token, e);
out:
	agentstate_batch_free(&b);
	free(id);
	free(token);
	if (sent_states != NULL)
		*sent_states = ns;
	if (sent_events != NULL)
		*sent_events = ne;
	return rc;
}
