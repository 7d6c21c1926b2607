/*
 * store_replica: what the server-to-server API reads and writes (store.h,
 * "Downstream"): catalog changes since an anchor, the groups and
 * approvals a replica copies, the computers a downstream rolls up, and
 * the bookkeeping of each downstream's last sync and roll-up.
 */
#include "store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"

int
store_changes_each(struct store *s, int64_t since, int64_t limit,
                   store_change_fn fn, void *arg, struct err *e)
{
	struct store_change c;
	struct db_stmt *st;
	int rc;

	rc = store_q(s, &st, e,
	             "SELECT s.id, s.latest_revision, s.expired, s.declined, "
	             "s.change_seq, u.document, u.product, u.classification "
	             "FROM update_status s JOIN updates u ON u.id = s.id AND "
	             "u.revision = s.latest_revision WHERE s.change_seq > $1 "
	             "ORDER BY s.change_seq LIMIT $2",
	             "ii", since, limit);
	if (rc != SL_OK)
		return err_prefix(e, "changes");
	while ((rc = db_step(st, e)) == DB_ROW) {
		c.id = db_col_text(st, 0);
		c.revision = db_col_int(st, 1);
		c.expired = db_col_int(st, 2) != 0;
		c.declined = db_col_int(st, 3) != 0;
		c.change_seq = db_col_int(st, 4);
		c.document = db_col_text(st, 5);
		c.product = db_col_text(st, 6);
		c.classification = db_col_text(st, 7);
		if ((rc = fn(arg, &c, e)) != SL_OK)
			break;
	}
	db_done(st);
	return rc < 0 ? rc : SL_OK;
}

int
store_downstream_note_sync(struct store *s, int64_t id, int64_t now,
                           int64_t anchor, const char *mode, struct err *e)
{
	int rc = store_q_run(s, NULL, e,
	                     "UPDATE downstream_servers SET last_sync = $1, "
	                     "last_anchor = $2, mode = coalesce(CAST($3 AS "
	                     "TEXT), mode) WHERE id = $4",
	                     "iiti", now, anchor, mode, id);

	return rc != SL_OK ? err_prefix(e, "downstream server") : SL_OK;
}

int
store_downstream_note_rollup(struct store *s, int64_t id, int64_t now,
                             struct err *e)
{
	int rc = store_q_run(s, NULL, e,
	                     "UPDATE downstream_servers SET last_rollup = $1 "
	                     "WHERE id = $2",
	                     "ii", now, id);

	return rc != SL_OK ? err_prefix(e, "downstream server") : SL_OK;
}

static json_t *
group_row(struct db_stmt *st)
{
	return json_pack("{s:s,s:o}", "name", db_col_text(st, 0), "parent",
	                 store_col_text(st, 1));
}

static json_t *
approval_row(struct db_stmt *st)
{
	return json_pack("{s:s,s:s,s:s,s:o}", "update", db_col_text(st, 0),
	                 "group", db_col_text(st, 1), "action",
	                 db_col_text(st, 2), "deadline", store_col_time(st, 3));
}

int
store_replica_state(json_t *groups, json_t *approvals, struct store *s,
                    struct err *e)
{
	struct db_stmt *st;
	int rc;

	rc = store_q(
	        s, &st, e,
	        "SELECT g.name, p.name FROM groups g LEFT JOIN groups p ON "
	        "p.id = g.parent_id ORDER BY g.id",
	        NULL);
	if (rc != SL_OK)
		return err_prefix(e, "groups");
	rc = store_q_collect(groups, st, group_row, e);
	db_done(st);
	if (rc != SL_OK)
		return err_prefix(e, "groups");
	rc = store_q(s, &st, e,
	             "SELECT a.update_id, g.name, a.action, a.deadline FROM "
	             "approvals a JOIN groups g ON g.id = a.group_id ORDER BY "
	             "a.update_id, g.name",
	             NULL);
	if (rc != SL_OK)
		return err_prefix(e, "approvals");
	rc = store_q_collect(approvals, st, approval_row, e);
	db_done(st);
	return rc != SL_OK ? err_prefix(e, "approvals") : SL_OK;
}

int
store_rollup_computer(bool *stored, struct store *s,
                      const struct store_rollup_computer *c, struct err *e)
{
	int64_t n = 0;
	int rc;

	*stored = false;
	/* A row is only ever updated when it is a computer rolled up
	 * through this same downstream (same "downstream:<id>" token hash,
	 * server under its name): a local computer, or one of another
	 * downstream, with the same id is left alone. */
	rc = store_q_run(
	        s, &n, e,
	        "INSERT INTO computers(id, token_hash, hostname, os_id, "
	        "os_version, arch, kernel, agent_version, group_id, "
	        "registered_at, last_contact, last_report, server) VALUES($1, "
	        "$2, $3, $4, $5, $6, $7, $8, $9, coalesce(CAST($10 AS BIGINT), "
	        "CAST($14 AS BIGINT)), $11, $12, $13) ON CONFLICT(id) DO "
	        "UPDATE SET hostname = "
	        "excluded.hostname, os_id = excluded.os_id, os_version = "
	        "excluded.os_version, arch = excluded.arch, kernel = "
	        "excluded.kernel, agent_version = excluded.agent_version, "
	        "group_id = excluded.group_id, last_contact = "
	        "excluded.last_contact, last_report = excluded.last_report, "
	        "server = excluded.server WHERE computers.token_hash = "
	        "excluded.token_hash AND (computers.server = CAST($15 AS TEXT) "
	        "OR substr(computers.server, 1, length(CAST($15 AS TEXT)) + 1) "
	        "= CAST($15 AS TEXT) || '/')",
	        "ttttttttijjjtit", c->id, c->token_hash, c->hostname, c->os_id,
	        c->os_version, c->arch, c->kernel, c->agent_version,
	        c->group_id, c->registered, c->last_contact, c->last_report,
	        c->server, c->now, c->downstream);
	if (rc != SL_OK)
		return err_prefix(e, "rolled-up computer");
	if (n == 0)
		return SL_OK;
	rc = store_states_clear(s, c->id, e);
	if (rc != SL_OK)
		return err_prefix(e, "rolled-up states");
	*stored = true;
	return SL_OK;
}

int
store_rollup_state(struct store *s, const char *computer_id,
                   const struct store_state *st, const int64_t *reported,
                   int64_t now, struct err *e)
{
	int rc = store_state_put(s, computer_id, st,
	                         reported != NULL ? reported : &now, e);

	return rc != SL_OK ? err_prefix(e, "rolled-up state") : SL_OK;
}

int
store_replica_group(struct store *s, const char *name, struct err *e)
{
	int rc = store_q_run(s, NULL, e,
	                     "INSERT INTO groups(name) VALUES($1) ON "
	                     "CONFLICT(name) DO NOTHING",
	                     "t", name);

	return rc != SL_OK ? err_prefix(e, "group") : SL_OK;
}

int
store_replica_group_parent(struct store *s, const char *name,
                           const char *parent, struct err *e)
{
	int64_t changed = 0, gid;
	int rc = store_q_run(s, &changed, e,
	                     "UPDATE groups SET parent_id = (SELECT id FROM "
	                     "groups WHERE name = $2) WHERE name = $1 AND "
	                     "parent_id IS DISTINCT FROM (SELECT id FROM "
	                     "groups WHERE name = $2)",
	                     "tt", name, parent);

	if (rc == SL_OK && changed > 0) {
		rc = store_q_int(s, &gid, e,
		                 "SELECT id FROM groups WHERE name = $1", "t",
		                 name);
		rc = rc == DB_ROW    ? store_effective_refresh(s, gid, NULL, e)
		     : rc == DB_DONE ? SL_OK
		                     : rc;
	}
	return rc != SL_OK ? err_prefix(e, "group parent") : SL_OK;
}

void
store_approval_rows_free(struct store_approval_row *rows, size_t n)
{
	for (size_t i = 0; i < n && rows != NULL; i++) {
		free(rows[i].update_id);
		free(rows[i].group_name);
	}
	free(rows);
}

int
store_approval_rows(struct store_approval_row **out, size_t *n_out,
                    struct store *s, struct err *e)
{
	struct store_approval_row *v = NULL;
	struct db_stmt *st;
	size_t n = 0, cap = 0;
	int rc;

	rc = store_q(s, &st, e,
	             "SELECT a.update_id, a.group_id, g.name, a.action, "
	             "a.deadline FROM approvals a JOIN groups g ON g.id = "
	             "a.group_id ORDER BY a.update_id, g.name",
	             NULL);
	if (rc != SL_OK)
		return err_prefix(e, "approvals");
	while ((rc = db_step(st, e)) == DB_ROW) {
		const char *id = db_col_text(st, 0), *g = db_col_text(st, 2);
		const char *a = db_col_text(st, 3);
		struct store_approval_row *r;

		if ((rc = ARRAY_GROW(v, cap, n, STORE_APPROVALS_MAX, e)) !=
		    SL_OK)
			break;
		r = &v[n];
		memset(r, 0, sizeof(*r));
		r->update_id = strdup(id ? id : "");
		r->group_name = strdup(g ? g : "");
		n++;
		if (r->update_id == NULL || r->group_name == NULL) {
			rc = err_set(e, SL_ENOMEM, "out of memory");
			break;
		}
		r->group_id = db_col_int(st, 1);
		snprintf(r->action, sizeof(r->action), "%s", a ? a : "");
		r->has_deadline = !db_col_null(st, 4);
		r->deadline = db_col_int(st, 4);
	}
	db_done(st);
	if (rc < 0) {
		store_approval_rows_free(v, n);
		return err_prefix(e, "approvals");
	}
	*out = v;
	*n_out = n;
	return SL_OK;
}

int
store_replica_approval(struct store *s, const char *update_id, int64_t gid,
                       const char *action, const int64_t *deadline, int64_t now,
                       struct err *e)
{
	int64_t seq;
	int rc;

	if ((rc = store_seq_next(s, &seq, e)) != SL_OK)
		return rc;
	if (action != NULL) {
		rc = store_q_run(
		        s, NULL, e,
		        "DELETE FROM approval_removals WHERE update_id "
		        "= $1 AND group_id = $2",
		        "ti", update_id, gid);
		if (rc == SL_OK)
			rc = store_q_run(
			        s, NULL, e,
			        "INSERT INTO approvals(update_id, group_id, "
			        "action, deadline, approved_at, change_seq) "
			        "VALUES($1, $2, $3, $4, $5, $6) ON "
			        "CONFLICT(update_id, group_id) DO UPDATE SET "
			        "action = excluded.action, deadline = "
			        "excluded.deadline, approved_at = "
			        "excluded.approved_at, change_seq = "
			        "excluded.change_seq",
			        "titjii", update_id, gid, action, deadline, now,
			        seq);
	} else {
		rc = store_q_run(s, NULL, e,
		                 "DELETE FROM approvals WHERE update_id = $1 "
		                 "AND group_id = $2",
		                 "ti", update_id, gid);
		if (rc == SL_OK)
			rc = store_q_run(s, NULL, e,
			                 "INSERT INTO approval_removals("
			                 "update_id, group_id, change_seq) "
			                 "VALUES($1, $2, $3) ON "
			                 "CONFLICT(update_id, group_id) DO "
			                 "UPDATE SET change_seq = "
			                 "excluded.change_seq",
			                 "tii", update_id, gid, seq);
	}
	if (rc == SL_OK)
		rc = store_effective_refresh(s, gid, update_id, e);
	return rc != SL_OK ? err_prefix(e, "store approval") : SL_OK;
}

static json_t *
state_row(struct db_stmt *st)
{
	return json_pack("{s:s,s:I,s:s,s:o,s:o}", "id", db_col_text(st, 0),
	                 "revision", (json_int_t)db_col_int(st, 1), "state",
	                 db_col_text(st, 2), "detail", store_col_text(st, 3),
	                 "reported", store_col_time(st, 4));
}

int
store_rollup_each(struct store *s, store_json_fn fn, void *arg, struct err *e)
{
	struct db_stmt *st, *sst;
	int rc;

	rc = store_q(
	        s, &st, e,
	        "SELECT c.id, c.hostname, c.os_id, c.os_version, c.arch, "
	        "c.kernel, c.agent_version, g.name, c.registered_at, "
	        "c.last_contact, c.last_report, c.server, c.catalog_state, "
	        "c.catalog_detail FROM computers c "
	        "JOIN groups g ON g.id = c.group_id ORDER BY c.id",
	        NULL);
	if (rc != SL_OK)
		return err_prefix(e, "computers");
	while ((rc = db_step(st, e)) == DB_ROW) {
		json_t *states = json_array(), *c;

		c = json_pack(
		        "{s:s,s:s,s:o,s:o,s:o,s:o,s:o,s:s,s:o,s:o,s:o,"
		        "s:o,s:o,s:o,s:o}",
		        "id", db_col_text(st, 0), "hostname",
		        db_col_text(st, 1), "os_id", store_col_text(st, 2),
		        "os_version", store_col_text(st, 3), "arch",
		        store_col_text(st, 4), "kernel", store_col_text(st, 5),
		        "agent_version", store_col_text(st, 6), "group",
		        db_col_text(st, 7), "registered", store_col_time(st, 8),
		        "last_contact", store_col_time(st, 9), "last_report",
		        store_col_time(st, 10), "server",
		        store_col_text(st, 11), "catalog",
		        store_col_text(st, 12), "catalog_detail",
		        store_col_text(st, 13), "updates", states);
		if (c == NULL) {
			rc = err_set(e, SL_ENOMEM, "out of memory");
			break;
		}
		rc = store_q(s, &sst, e,
		             "SELECT update_id, revision, state, detail, "
		             "reported_at FROM update_states WHERE computer_id "
		             "= $1 ORDER BY update_id",
		             "t", db_col_text(st, 0));
		if (rc == SL_OK) {
			rc = store_q_collect(states, sst, state_row, e);
			db_done(sst);
		}
		if (rc == SL_OK)
			rc = fn(arg, c, e); /* takes c */
		else
			json_decref(c);
		if (rc != SL_OK)
			break;
	}
	db_done(st);
	return rc < 0 ? err_prefix(e, "computers") : SL_OK;
}
