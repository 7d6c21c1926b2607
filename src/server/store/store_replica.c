/*
 * store_replica: what the server-to-server API reads and writes (store.h,
 * "Downstream"): catalog changes since an anchor, the groups and
 * approvals a replica copies, the computers a downstream rolls up, and
 * the bookkeeping of each downstream's last sync and roll-up.
 */
#include "store_int.h"

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

	rc = store_q(s, &st, e,
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
	        "$2, $3, $4, $5, $6, $7, $8, $9, coalesce($10, $14), $11, $12, "
	        "$13) ON CONFLICT(id) DO UPDATE SET hostname = "
	        "excluded.hostname, os_id = excluded.os_id, os_version = "
	        "excluded.os_version, arch = excluded.arch, kernel = "
	        "excluded.kernel, agent_version = excluded.agent_version, "
	        "group_id = excluded.group_id, last_contact = "
	        "excluded.last_contact, last_report = excluded.last_report, "
	        "server = excluded.server WHERE computers.token_hash = "
	        "excluded.token_hash AND (computers.server = $15 OR "
	        "substr(computers.server, 1, length($15) + 1) = $15 || '/')",
	        "ttttttttijjjtit", c->id, c->token_hash, c->hostname, c->os_id,
	        c->os_version, c->arch, c->kernel, c->agent_version, c->group_id,
	        c->registered, c->last_contact, c->last_report, c->server,
	        c->now, c->downstream);
	if (rc != SL_OK)
		return err_prefix(e, "rolled-up computer");
	if (n == 0)
		return SL_OK;
	rc = store_q_run(s, NULL, e,
	                 "DELETE FROM update_states WHERE computer_id = $1", "t",
	                 c->id);
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
	int rc = store_q_run(s, NULL, e,
	                     "INSERT INTO update_states(computer_id, update_id, "
	                     "revision, state, detail, reported_at) VALUES($1, "
	                     "$2, $3, $4, $5, coalesce($6, $7))",
	                     "ttjttji", computer_id, st->update_id, st->revision,
	                     st->state, st->detail, reported, now);

	return rc != SL_OK ? err_prefix(e, "rolled-up state") : SL_OK;
}
