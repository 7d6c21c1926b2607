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

static json_t *
computer_row(struct db_stmt *st)
{
	const char *osid = db_col_text(st, 2), *osv = db_col_text(st, 3);
	char os[600];

	snprintf(os, sizeof(os), "%s%s%s", osid ? osid : "",
	         osid && osv ? " " : "", osv ? osv : "");
	return json_pack(
	        "{s:s,s:s,s:o,s:o,s:o,s:s,s:o,s:o,s:o,s:o}", "id",
	        db_col_text(st, 0), "hostname", db_col_text(st, 1), "os",
	        os[0] ? json_string(os) : json_null(), "arch",
	        store_col_text(st, 4), "kernel", store_col_text(st, 5), "group",
	        db_col_text(st, 6), "agent_version", store_col_text(st, 7),
	        "last_contact", store_col_time(st, 8), "last_report",
	        store_col_time(st, 9), "server", store_col_text(st, 10));
}

#define COMPUTER_COLS                                                          \
	"c.id, c.hostname, c.os_id, c.os_version, c.arch, c.kernel, g.name, "  \
	"c.agent_version, c.last_contact, c.last_report, c.server FROM "       \
	"computers c JOIN groups g ON g.id = c.group_id "

int
store_computers_list(json_t *arr, struct store *s, struct err *e)
{
	struct db_stmt *st;
	int rc;

	rc = store_q(s, &st, e,
	             "SELECT " COMPUTER_COLS "ORDER BY c.hostname, c.id", NULL);
	if (rc != SL_OK)
		return err_prefix(e, "computers");
	rc = store_q_collect(arr, st, computer_row, e);
	db_done(st);
	return rc != SL_OK ? err_prefix(e, "computers") : SL_OK;
}

int
store_computer_move(bool *moved, struct store *s, const char *id, int64_t gid,
                    struct err *e)
{
	int64_t cur = 0, seq;
	int rc;

	*moved = false;
	rc = store_q_int(s, &cur, e,
	                 "SELECT group_id FROM computers WHERE id = $1", "t",
	                 id);
	if (rc == DB_DONE)
		return err_set(e, SL_ENOTFOUND, "no computer %s", id);
	if (rc < 0)
		return err_prefix(e, "computer lookup");
	if (cur == gid)
		return SL_OK;
	rc = store_seq_next(s, &seq, e);
	if (rc != SL_OK)
		return rc;
	rc = store_q_run(s, NULL, e,
	                 "UPDATE computers SET group_id = $1, group_seq = $2 "
	                 "WHERE id = $3",
	                 "iit", gid, seq, id);
	if (rc != SL_OK)
		return err_prefix(e, "move computer");
	*moved = true;
	return SL_OK;
}

static json_t *
state_row(struct db_stmt *st)
{
	return json_pack("{s:s,s:I,s:o,s:s,s:o,s:o}", "id", db_col_text(st, 0),
	                 "revision", (json_int_t)db_col_int(st, 1), "title",
	                 store_col_text(st, 2), "state", db_col_text(st, 3),
	                 "detail", store_col_text(st, 4), "reported",
	                 store_col_time(st, 5));
}

static json_t *
event_row(struct db_stmt *st)
{
	return json_pack(
	        "{s:s,s:s,s:o,s:o,s:s,s:s,s:o,s:o,s:o}", "event_id",
	        db_col_text(st, 0), "id", db_col_text(st, 1), "revision",
	        db_col_null(st, 2) ? json_null()
	                           : json_integer(db_col_int(st, 2)),
	        "time", store_col_text(st, 3), "kind", db_col_text(st, 4),
	        "result", db_col_text(st, 5), "exit_code",
	        db_col_null(st, 6) ? json_null()
	                           : json_integer(db_col_int(st, 6)),
	        "output", store_col_text(st, 7), "received",
	        store_col_time(st, 8));
}

/* Run sql ($1 = the computer id) into arr. */
static int
collect_for(json_t *arr, struct store *s, const char *sql, const char *id,
            json_t *(*row)(struct db_stmt *st), struct err *e)
{
	struct db_stmt *st;
	int rc;

	rc = store_q(s, &st, e, sql, "t", id);
	if (rc != SL_OK)
		return rc;
	rc = store_q_collect(arr, st, row, e);
	db_done(st);
	return rc;
}

int
store_computer_status(json_t **computer, json_t *updates, json_t *events,
                      struct store *s, const char *id, struct err *e)
{
	json_t *comp = json_array();
	int rc;

	if (comp == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	rc = collect_for(comp, s, "SELECT " COMPUTER_COLS "WHERE c.id = $1", id,
	                 computer_row, e);
	if (rc == SL_OK && json_array_size(comp) == 0)
		rc = err_set(e, SL_ENOTFOUND, "no computer %s", id);
	if (rc == SL_OK)
		rc = collect_for(
		        updates, s,
		        "SELECT s.update_id, s.revision, u.title, "
		        "s.state, s.detail, s.reported_at FROM "
		        "update_states s LEFT JOIN updates u ON u.id = "
		        "s.update_id AND u.revision = s.revision WHERE "
		        "s.computer_id = $1 ORDER BY u.title, "
		        "s.update_id",
		        id, state_row, e);
	if (rc == SL_OK)
		rc = collect_for(events, s,
		                 "SELECT event_id, update_id, revision, time, "
		                 "kind, result, exit_code, output, received_at "
		                 "FROM events WHERE computer_id = $1 ORDER BY "
		                 "received_at DESC, time DESC LIMIT 200",
		                 id, event_row, e);
	if (rc == SL_OK) {
		*computer = json_incref(json_array_get(comp, 0));
	}
	json_decref(comp);
	return rc;
}
