/*
 * store_computers: computers, their contact times and what they report
 * (store.h, "Computers").
 */
#include "store_int.h"

#include <stdio.h>

int
store_computer_register(char replaced[40], struct store *s,
                        const struct store_computer_new *c, struct err *e)
{
	struct db_stmt *st;
	int64_t seq;
	int rc = SL_OK;

	replaced[0] = '\0';
	if (c->machine_id != NULL) {
		rc = store_q(s, &st, e,
		             "SELECT id FROM computers WHERE machine_id = $1",
		             "t", c->machine_id);
		if (rc != SL_OK)
			return err_prefix(e, "register");
		rc = db_step(st, e);
		if (rc == DB_ROW)
			snprintf(replaced, 40, "%s", db_col_text(st, 0));
		db_done(st);
		if (rc < 0)
			return err_prefix(e, "register");
	}
	if (replaced[0] != '\0') {
		rc = store_seq_next(s, &seq, e);
		if (rc == SL_OK)
			rc = store_q_run(
			        s, NULL, e,
			        "UPDATE computers SET token_hash = $2, "
			        "hostname "
			        "= $3, os_id = $4, os_version = $5, arch = $6, "
			        "kernel = $7, agent_version = $8, group_id = "
			        "$9, "
			        "registered_at = $10, last_contact = $10, "
			        "group_seq = $11 WHERE id = $1",
			        "ttttttttiii", replaced, c->token_hash,
			        c->hostname, c->os_id, c->os_version, c->arch,
			        c->kernel, c->agent_version, c->group_id,
			        c->now, seq);
		if (rc == SL_OK)
			rc = store_q_run(s, NULL, e,
			                 "DELETE FROM computer_groups WHERE "
			                 "computer_id = $1",
			                 "t", replaced);
		return rc != SL_OK ? err_prefix(e, "register") : SL_OK;
	}
	rc = store_q_run(
	        s, NULL, e,
	        "INSERT INTO computers(id, token_hash, hostname, os_id, "
	        "os_version, arch, kernel, agent_version, group_id, "
	        "registered_at, last_contact, machine_id) VALUES($1, $2, $3, "
	        "$4, $5, $6, $7, $8, $9, $10, $10, $11)",
	        "ttttttttiit", c->id, c->token_hash, c->hostname, c->os_id,
	        c->os_version, c->arch, c->kernel, c->agent_version,
	        c->group_id, c->now, c->machine_id);

	return rc != SL_OK ? err_prefix(e, "register") : SL_OK;
}

int
store_computer_delete(struct store *s, const char *id, struct err *e)
{
	static const char *const sql[] = {
	        "DELETE FROM computer_groups WHERE computer_id = $1",
	        /* its states go with its row (schema triggers) */
	        "DELETE FROM events WHERE computer_id = $1",
	};
	int64_t n = 0;
	int rc = SL_OK;

	for (size_t i = 0; rc == SL_OK && i < sizeof(sql) / sizeof(sql[0]); i++)
		rc = store_q_run(s, NULL, e, sql[i], "t", id);
	if (rc == SL_OK)
		rc = store_q_run(s, &n, e,
		                 "DELETE FROM computers WHERE id = $1", "t",
		                 id);
	if (rc != SL_OK)
		return err_prefix(e, "delete computer");
	if (n == 0)
		return err_set(e, SL_ENOTFOUND, "no computer %s", id);
	/* Its token stops working: caches of token answers
	 * (store_tokcache.h) see the sequence move. */
	return store_seq_next(s, &n, e);
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
	int64_t n = 0;
	int rc;

	if (report)
		rc = store_q_run(s, &n, e,
		                 "UPDATE computers SET last_contact = $1, "
		                 "last_report = $1 WHERE id = $2",
		                 "it", now, id);
	else
		rc = store_q_run(s, &n, e,
		                 "UPDATE computers SET last_contact = $1 WHERE "
		                 "id = $2",
		                 "it", now, id);
	if (rc != SL_OK)
		return err_prefix(e, "last contact");
	if (n == 0)
		return err_set(e, SL_ENOTFOUND, "unknown computer");
	return SL_OK;
}

int
store_event_insert(bool *inserted, struct store *s, const char *computer_id,
                   const struct store_event *ev, int64_t now, struct err *e)
{
	int64_t n = 0;
	int rc = store_events_insert(&n, s, computer_id, ev, 1, now, e);

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
	        "{s:s,s:s,s:o,s:o,s:o,s:s,s:o,s:o,s:o,s:o,s:o,s:o}", "id",
	        db_col_text(st, 0), "hostname", db_col_text(st, 1), "os",
	        os[0] ? json_string(os) : json_null(), "arch",
	        store_col_text(st, 4), "kernel", store_col_text(st, 5), "group",
	        db_col_text(st, 6), "agent_version", store_col_text(st, 7),
	        "last_contact", store_col_time(st, 8), "last_report",
	        store_col_time(st, 9), "server", store_col_text(st, 10),
	        "catalog", store_col_text(st, 11), "catalog_detail",
	        store_col_text(st, 12));
}

static int add_other_groups(json_t *arr, struct store *s, struct err *e);

#define COMPUTER_COLS                                                          \
	"c.id, c.hostname, c.os_id, c.os_version, c.arch, c.kernel, g.name, "  \
	"c.agent_version, c.last_contact, c.last_report, c.server, "           \
	"c.catalog_state, c.catalog_detail FROM "                              \
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
	if (rc == SL_OK)
		rc = add_other_groups(arr, s, e);
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
	/* A move puts the computer in that one group. */
	if (rc == SL_OK)
		rc = store_q_run(
		        s, NULL, e,
		        "DELETE FROM computer_groups WHERE computer_id "
		        "= $1",
		        "t", id);
	if (rc != SL_OK)
		return err_prefix(e, "move computer");
	*moved = true;
	return SL_OK;
}

/* A fresh group_seq for computer id: a full sync at its next contact. */
static int
regroup(struct store *s, const char *id, struct err *e)
{
	int64_t seq;
	int rc = store_seq_next(s, &seq, e);

	if (rc == SL_OK)
		rc = store_q_run(
		        s, NULL, e,
		        "UPDATE computers SET group_seq = $1 WHERE id = "
		        "$2",
		        "it", seq, id);
	return rc;
}

int
store_computer_group_add(bool *changed, struct store *s, const char *id,
                         int64_t gid, struct err *e)
{
	int64_t cur = 0, n = 0;
	int rc;

	*changed = false;
	rc = store_q_int(s, &cur, e,
	                 "SELECT group_id FROM computers WHERE id = $1", "t",
	                 id);
	if (rc == DB_DONE)
		return err_set(e, SL_ENOTFOUND, "no computer %s", id);
	if (rc < 0)
		return err_prefix(e, "computer lookup");
	if (cur == gid)
		return SL_OK;
	rc = store_q_run(s, &n, e,
	                 "INSERT INTO computer_groups(computer_id, group_id) "
	                 "VALUES($1, $2) ON CONFLICT(computer_id, group_id) DO "
	                 "NOTHING",
	                 "ti", id, gid);
	if (rc == SL_OK && n > 0)
		rc = regroup(s, id, e);
	if (rc != SL_OK)
		return err_prefix(e, "add computer to group");
	*changed = n > 0;
	return SL_OK;
}

int
store_computer_group_remove(struct store *s, const char *id, int64_t gid,
                            struct err *e)
{
	int64_t cur = 0, n = 0, next = 0;
	int rc;

	rc = store_q_int(s, &cur, e,
	                 "SELECT group_id FROM computers WHERE id = $1", "t",
	                 id);
	if (rc == DB_DONE)
		return err_set(e, SL_ENOTFOUND, "no computer %s", id);
	if (rc < 0)
		return err_prefix(e, "computer lookup");
	if (cur == gid) {
		rc = store_q_int(s, &next, e,
		                 "SELECT min(group_id) FROM computer_groups "
		                 "WHERE computer_id = $1",
		                 "t", id);
		if (rc < 0)
			return err_prefix(e, "computer groups");
		if (rc != DB_ROW || next == 0)
			return err_set(e, SL_ECONFLICT,
			               "it is the computer's only group: move "
			               "it to another instead");
		rc = store_q_run(s, NULL, e,
		                 "UPDATE computers SET group_id = $1 WHERE id "
		                 "= $2",
		                 "it", next, id);
		gid = next;
	}
	if (rc == SL_OK || rc == DB_ROW)
		rc = store_q_run(
		        s, &n, e,
		        "DELETE FROM computer_groups WHERE computer_id "
		        "= $1 AND group_id = $2",
		        "ti", id, gid);
	if (rc == SL_OK && n == 0)
		return err_set(e, SL_ENOTFOUND, "the computer is not in it");
	if (rc == SL_OK)
		rc = regroup(s, id, e);
	return rc != SL_OK ? err_prefix(e, "remove computer from group")
	                   : SL_OK;
}

/* Add each computer's other groups (by name) to its "groups" list. */
static int
add_other_groups(json_t *arr, struct store *s, struct err *e)
{
	json_t *byid = json_object(), *c;
	struct db_stmt *st;
	size_t i;
	int rc;

	if (byid == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	json_array_foreach(arr, i, c)
	{
		json_t *gs = json_pack(
		        "[s]", json_string_value(json_object_get(c, "group")));
		json_object_set_new(c, "groups", gs);
		json_object_set(
		        byid, json_string_value(json_object_get(c, "id")), gs);
	}
	rc = store_q(s, &st, e,
	             "SELECT cg.computer_id, g.name FROM computer_groups cg "
	             "JOIN groups g ON g.id = cg.group_id ORDER BY 1, 2",
	             NULL);
	if (rc == SL_OK) {
		while ((rc = db_step(st, e)) == DB_ROW) {
			json_t *gs = json_object_get(byid, db_col_text(st, 0));
			if (gs != NULL)
				json_array_append_new(
				        gs, json_string(db_col_text(st, 1)));
		}
		db_done(st);
	}
	json_decref(byid);
	return rc < 0 ? rc : SL_OK;
}

static json_t *
event_row(struct db_stmt *st)
{
	return json_pack(
	        "{s:s,s:s,s:o,s:o,s:o,s:s,s:s,s:o,s:o,s:o}", "event_id",
	        db_col_text(st, 0), "id", db_col_text(st, 1), "title",
	        store_col_text(st, 9), "revision",
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
store_computer_status(json_t **computer, json_t *events, struct store *s,
                      const char *id, struct err *e)
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
		        events, s,
		        "SELECT v.event_id, v.update_id, v.revision, "
		        "v.time, v.kind, v.result, v.exit_code, "
		        "v.output, v.received_at, (SELECT u.title "
		        "FROM updates u WHERE u.id = v.update_id "
		        "ORDER BY u.revision DESC LIMIT 1) FROM events "
		        "v WHERE v.computer_id = $1 ORDER BY "
		        "v.received_at DESC, v.time DESC LIMIT 200",
		        id, event_row, e);
	if (rc == SL_OK) {
		*computer = json_incref(json_array_get(comp, 0));
	}
	json_decref(comp);
	return rc;
}

int
store_computer_catalog_set(struct store *s, const char *id, const char *state,
                           const char *detail, struct err *e)
{
	int rc = store_q_run(s, NULL, e,
	                     "UPDATE computers SET catalog_state = $1, "
	                     "catalog_detail = $2 WHERE id = $3",
	                     "ttt", state, detail, id);

	return rc != SL_OK ? err_prefix(e, "catalog state") : SL_OK;
}
