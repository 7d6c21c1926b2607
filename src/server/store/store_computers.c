/*
 * store_computers: computers, their contact times and what they report
 * (store.h, "Computers").
 */
#include "store_int.h"

#include <stdio.h>

int
store_computer_register(struct store *s, const struct store_computer_new *c,
                        struct err *e)
{
	int rc = store_q_run(
	        s, NULL, e,
	        "INSERT INTO computers(id, token_hash, hostname, os_id, "
	        "os_version, arch, kernel, agent_version, group_id, "
	        "registered_at, last_contact) VALUES($1, $2, $3, $4, $5, $6, "
	        "$7, $8, $9, $10, $10)",
	        "ttttttttii", c->id, c->token_hash, c->hostname, c->os_id,
	        c->os_version, c->arch, c->kernel, c->agent_version,
	        c->group_id, c->now);

	return rc != SL_OK ? err_prefix(e, "register") : SL_OK;
}

int
store_computer_sync_state(struct store_computer_sync *out, struct store *s,
                          const char *id, struct err *e)
{
	struct db_stmt *st;
	int rc;

	rc = store_q(s, &st, e,
	             "SELECT group_id, group_seq, last_contact FROM computers "
	             "WHERE id = $1",
	             "t", id);
	if (rc != SL_OK)
		return err_prefix(e, "computer");
	rc = db_step(st, e);
	if (rc == DB_ROW) {
		out->group_id = db_col_int(st, 0);
		out->group_seq = db_col_int(st, 1);
		out->has_contact = !db_col_null(st, 2);
		out->last_contact = db_col_int(st, 2);
		rc = SL_OK;
	} else if (rc == DB_DONE) {
		rc = err_set(e, SL_ENOTFOUND, "unknown computer");
	} else {
		err_prefix(e, "computer");
	}
	/* Done with the row at once: a statement left pending would keep a
	 * read snapshot past COMMIT and make a later write fail as busy. */
	db_done(st);
	return rc;
}

int
store_computer_touch(struct store *s, const char *id, int64_t now, bool report,
                     struct err *e)
{
	int rc;

	if (report)
		rc = store_q_run(s, NULL, e,
		                 "UPDATE computers SET last_contact = $1, "
		                 "last_report = $1 WHERE id = $2",
		                 "it", now, id);
	else
		rc = store_q_run(s, NULL, e,
		                 "UPDATE computers SET last_contact = $1 WHERE "
		                 "id = $2",
		                 "it", now, id);
	return rc != SL_OK ? err_prefix(e, "last contact") : SL_OK;
}

int
store_state_upsert(struct store *s, const char *computer_id,
                   const struct store_state *st, int64_t now, struct err *e)
{
	int rc = store_q_run(
	        s, NULL, e,
	        "INSERT INTO update_states(computer_id, update_id, revision, "
	        "state, detail, reported_at) VALUES($1, $2, $3, $4, $5, $6) "
	        "ON CONFLICT(computer_id, update_id) DO UPDATE SET revision = "
	        "excluded.revision, state = excluded.state, detail = "
	        "excluded.detail, reported_at = excluded.reported_at",
	        "ttjtti", computer_id, st->update_id, st->revision, st->state,
	        st->detail, now);

	return rc != SL_OK ? err_prefix(e, "store state") : SL_OK;
}

int
store_event_insert(bool *inserted, struct store *s, const char *computer_id,
                   const struct store_event *ev, int64_t now, struct err *e)
{
	int64_t n = 0;
	int rc = store_q_run(
	        s, &n, e,
	        "INSERT INTO events(event_id, computer_id, update_id, "
	        "revision, time, kind, result, exit_code, output, "
	        "received_at) VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) "
	        "ON CONFLICT(event_id) DO NOTHING",
	        "tttjtttjti", ev->event_id, computer_id, ev->update_id,
	        ev->revision, ev->time, ev->kind, ev->result, ev->exit_code,
	        ev->output, now);

	if (rc != SL_OK)
		return err_prefix(e, "store event");
	*inserted = n > 0;
	return SL_OK;
}
