/*
 * report: sending the report queue to the server (see agent.h). Rows are
 * deleted only after the server answered 200; a lost answer makes the next
 * attempt send the same events again, which the server stores once (it
 * deduplicates by event_id).
 */
#include "agent.h"

#include <stdlib.h>

#include "agentapi.h"
#include "log.h"

#define REPORT_OUTPUT_BYTES (512 * 1024)

int
agent_flush(struct agent *a, size_t *sent_states, size_t *sent_events,
            struct err *e)
{
	char *id = NULL, *token = NULL;
	size_t ns = 0, ne = 0;
	json_t *body = NULL;
	struct as_batch b = {0};
	int rc;

	if ((rc = agentstate_identity(a->st, &id, &token, e)) != SL_OK) {
		if (rc == SL_ENOTFOUND)
			rc = SL_OK; /* nothing can be sent before register */
		goto out;
	}
	for (;;) {
		long long stored = 0;

		if ((rc = agentstate_queue_batch(a->st, &body, &b,
		                                 REPORT_OUTPUT_BYTES, e)) !=
		            SL_OK ||
		    body == NULL)
			break;
		if ((rc = agentapi_report(a->cfg->server, token, body, &stored,
		                          e)) != SL_OK)
			break;
		if ((rc = agentstate_queue_ack(a->st, &b, e)) != SL_OK)
			break;
		log_info("reported %zu state(s) and %zu event(s) (%lld new)",
		         b.n_states, b.n_events, stored);
		ns += b.n_states;
		ne += b.n_events;
		json_decref(body);
		body = NULL;
		agentstate_batch_free(&b);
	}
out:
	json_decref(body);
	agentstate_batch_free(&b);
	free(id);
	free(token);
	if (sent_states != NULL)
		*sent_states = ns;
	if (sent_events != NULL)
		*sent_events = ne;
	return rc;
}
