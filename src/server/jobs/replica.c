/*
 * replica: pull groups and approvals from the upstream sluiced (replica
 * mode) and push the status of this server's computers to it (replica.h).
 */
#include "replica.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "sign.h"
#include "sync_sluiced.h"

#define NAME_MAX_LEN    255
#define ROLLUP_PAGE_MAX (512u << 10) /* bytes per roll-up request */
#define ROLLUP_PAGE_N   500          /* computers per roll-up request */

/* ---- groups ------------------------------------------------------------ */

static int
pull_groups(struct store *db, json_t *groups, struct err *e)
{
	sqlite3_stmt *ins = NULL, *par = NULL;
	const char *name, *parent;
	json_t *g;
	size_t i;
	int rc;

	rc = db_prepare(db, &ins,
	                "INSERT OR IGNORE INTO groups(name) VALUES(?)", e);
	if (rc == SL_OK)
		rc = db_prepare(db, &par,
		                "UPDATE groups SET parent_id = (SELECT id FROM "
		                "groups WHERE name = ?2) WHERE name = ?1 AND "
		                "parent_id IS NOT (SELECT id FROM groups WHERE "
		                "name = ?2)",
		                e);
	if (rc != SL_OK)
		goto out;
	json_array_foreach(groups, i, g)
	{
		if (!json_is_object(g) ||
		    api_req_str(&name, g, "name", NAME_MAX_LEN, e) != SL_OK) {
			rc = err_set(e, SL_EPARSE, "groups[%zu]: malformed", i);
			goto out;
		}
		sqlite3_reset(ins);
		sqlite3_bind_text(ins, 1, name, -1, SQLITE_STATIC);
		if (sqlite3_step(ins) != SQLITE_DONE) {
			rc = db_error(db, e, "group");
			goto out;
		}
	}
	json_array_foreach(groups, i, g)
	{
		if (api_opt_str(&parent, g, "parent", NAME_MAX_LEN, e) !=
		    SL_OK) {
			rc = err_set(e, SL_EPARSE, "groups[%zu]: malformed", i);
			goto out;
		}
		sqlite3_reset(par);
		sqlite3_bind_text(par, 1,
		                  json_string_value(json_object_get(g, "name")),
		                  -1, SQLITE_STATIC);
		if (parent != NULL)
			sqlite3_bind_text(par, 2, parent, -1, SQLITE_STATIC);
		else
			sqlite3_bind_null(par, 2);
		if (sqlite3_step(par) != SQLITE_DONE) {
			rc = db_error(db, e, "group parent");
			goto out;
		}
	}
out:
	sqlite3_finalize(ins);
	sqlite3_finalize(par);
	return rc;
}

/* ---- approvals --------------------------------------------------------- */

/* Load the upstream's approvals into temp.replica_approvals. */
static int
load_upstream(struct store *db, json_t *approvals, struct err *e)
{
	const char *id, *group, *action, *dl;
	sqlite3_stmt *st = NULL;
	long long t;
	json_t *a;
	size_t i;
	int rc;

	rc = db_legacy_exec(
	        db,
	        "CREATE TEMP TABLE IF NOT EXISTS replica_approvals("
	        "update_id TEXT NOT NULL, group_name TEXT NOT NULL, "
	        "action TEXT NOT NULL, deadline INTEGER, "
	        "PRIMARY KEY(update_id, group_name))",
	        e);
	if (rc == SL_OK)
		rc = db_legacy_exec(db, "DELETE FROM temp.replica_approvals",
		                    e);
	if (rc == SL_OK)
		rc = db_prepare(db, &st,
		                "INSERT OR REPLACE INTO temp.replica_approvals "
		                "VALUES(?,?,?,?)",
		                e);
	if (rc != SL_OK)
		return rc;
	json_array_foreach(approvals, i, a)
	{
		if (!json_is_object(a) ||
		    api_req_str(&id, a, "update", 64, e) != SL_OK ||
		    api_req_str(&group, a, "group", NAME_MAX_LEN, e) != SL_OK ||
		    api_req_str(&action, a, "action", 32, e) != SL_OK ||
		    api_opt_str(&dl, a, "deadline", 64, e) != SL_OK ||
		    (dl != NULL && sign_time_parse(dl, &t, e) != SL_OK)) {
			rc = err_set(e, SL_EPARSE, "approvals[%zu]: malformed",
			             i);
			goto out;
		}
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, group, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, action, -1, SQLITE_STATIC);
		if (dl != NULL)
			sqlite3_bind_int64(st, 4, t);
		else
			sqlite3_bind_null(st, 4);
		if (sqlite3_step(st) != SQLITE_DONE) {
			rc = db_error(db, e, "replica approvals");
			goto out;
		}
	}
out:
	sqlite3_finalize(st);
	return rc;
}

struct change {
	char *id;
	int64_t gid;
	char *action; /* NULL: remove */
	int64_t deadline;
	int has_deadline;
};

static void
changes_free(struct change *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(c[i].id);
		free(c[i].action);
	}
	free(c);
}

/* Collect the rows of a query (update_id, group_id[, action, deadline])
 * before changing the tables it reads. */
static int
collect(struct change **out, size_t *n_out, struct store *db, const char *sql,
        int with_action, struct err *e)
{
	struct change *c = NULL, *nc;
	size_t n = 0, alloc = 0;
	sqlite3_stmt *st = NULL;
	int rc, s;

	if ((rc = db_prepare(db, &st, sql, e)) != SL_OK)
		return rc;
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == alloc) {
			alloc = alloc ? alloc * 2 : 16;
			if ((nc = realloc(c, alloc * sizeof(*c))) == NULL) {
				rc = err_set(e, SL_ENOMEM, "out of memory");
				goto out;
			}
			c = nc;
		}
		memset(&c[n], 0, sizeof(c[n]));
		c[n].id = strdup((const char *)sqlite3_column_text(st, 0));
		c[n].gid = sqlite3_column_int64(st, 1);
		if (with_action) {
			c[n].action = strdup(
			        (const char *)sqlite3_column_text(st, 2));
			c[n].has_deadline =
			        sqlite3_column_type(st, 3) != SQLITE_NULL;
			c[n].deadline = sqlite3_column_int64(st, 3);
		}
		n++;
		if (c[n - 1].id == NULL ||
		    (with_action && c[n - 1].action == NULL)) {
			rc = err_set(e, SL_ENOMEM, "out of memory");
			goto out;
		}
	}
	if (s != SQLITE_DONE) {
		rc = db_error(db, e, "approvals");
		goto out;
	}
	*out = c;
	*n_out = n;
	c = NULL;
	n = 0;
out:
	changes_free(c, n);
	sqlite3_finalize(st);
	return rc;
}

/* Set or remove one approval with a fresh change sequence (the same rows
 * an administrator's approval writes). */
static int
apply(struct store *db, const struct change *c, struct err *e)
{
	sqlite3_stmt *st = NULL;
	int64_t seq;
	int rc;

	if ((rc = store_seq_next(db, &seq, e)) != SL_OK)
		return rc;
	rc = db_prepare(db, &st,
	                c->action ? "DELETE FROM approval_removals WHERE "
	                            "update_id = ?1 AND group_id = ?2"
	                          : "DELETE FROM approvals WHERE update_id = "
	                            "?1 AND group_id = ?2",
	                e);
	if (rc != SL_OK)
		return rc;
	sqlite3_bind_text(st, 1, c->id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, c->gid);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = db_error(db, e, "approval");
	sqlite3_finalize(st);
	st = NULL;
	if (rc != SL_OK)
		return rc;
	rc = db_prepare(
	        db, &st,
	        c->action
	                ? "INSERT INTO approvals(update_id, group_id, action, "
	                  "deadline, approved_at, change_seq) "
	                  "VALUES(?1, ?2, ?3, ?4, ?5, ?6) "
	                  "ON CONFLICT(update_id, group_id) DO UPDATE SET "
	                  "action = excluded.action, deadline = "
	                  "excluded.deadline, approved_at = "
	                  "excluded.approved_at, change_seq = "
	                  "excluded.change_seq"
	                : "INSERT OR REPLACE INTO approval_removals("
	                  "update_id, group_id, change_seq) "
	                  "VALUES(?1, ?2, ?6)",
	        e);
	if (rc != SL_OK)
		return rc;
	sqlite3_bind_text(st, 1, c->id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, c->gid);
	if (c->action) {
		sqlite3_bind_text(st, 3, c->action, -1, SQLITE_STATIC);
		if (c->has_deadline)
			sqlite3_bind_int64(st, 4, c->deadline);
		else
			sqlite3_bind_null(st, 4);
		sqlite3_bind_int64(st, 5, (sqlite3_int64)time(NULL));
	}
	sqlite3_bind_int64(st, 6, seq);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = db_error(db, e, "store approval");
	sqlite3_finalize(st);
	return rc;
}

static int
pull_approvals(struct store *db, json_t *approvals, unsigned *changed,
               struct err *e)
{
	static const char removed_sql[] =
	        "SELECT a.update_id, a.group_id FROM approvals a JOIN groups "
	        "g ON g.id = a.group_id WHERE NOT EXISTS (SELECT 1 FROM "
	        "temp.replica_approvals r WHERE r.update_id = a.update_id AND "
	        "r.group_name = g.name)";
	static const char set_sql[] =
	        "SELECT r.update_id, g.id, r.action, r.deadline FROM "
	        "temp.replica_approvals r JOIN groups g ON g.name = "
	        "r.group_name LEFT JOIN approvals a ON a.update_id = "
	        "r.update_id AND a.group_id = g.id WHERE a.update_id IS NULL "
	        "OR a.action IS NOT r.action OR a.deadline IS NOT r.deadline";
	struct change *rm = NULL, *set = NULL;
	size_t n_rm = 0, n_set = 0;
	int rc;

	rc = load_upstream(db, approvals, e);
	if (rc == SL_OK)
		rc = collect(&rm, &n_rm, db, removed_sql, 0, e);
	if (rc == SL_OK)
		rc = collect(&set, &n_set, db, set_sql, 1, e);
	for (size_t i = 0; rc == SL_OK && i < n_rm; i++)
		rc = apply(db, &rm[i], e);
	for (size_t i = 0; rc == SL_OK && i < n_set; i++)
		rc = apply(db, &set[i], e);
	if (rc == SL_OK && changed != NULL)
		*changed = (unsigned)(n_rm + n_set);
	changes_free(rm, n_rm);
	changes_free(set, n_set);
	return rc;
}

int
replica_pull(struct store *db, const struct server_config *cfg,
             unsigned *changed, struct err *e)
{
	json_t *v = NULL, *groups, *approvals;
	int rc, in_tx = 0;

	if (changed != NULL)
		*changed = 0;
	if ((rc = sluiced_call(&v, cfg, "GET", "/v1/upstream/replica", NULL,
	                       e)) != SL_OK)
		goto out;
	groups = json_object_get(v, "groups");
	approvals = json_object_get(v, "approvals");
	if (!json_is_array(groups) || !json_is_array(approvals)) {
		rc = err_set(e, SL_EPARSE, "malformed answer");
		goto out;
	}
	if ((rc = store_begin(db, e)) != SL_OK)
		goto out;
	in_tx = 1;
	if ((rc = pull_groups(db, groups, e)) != SL_OK ||
	    (rc = pull_approvals(db, approvals, changed, e)) != SL_OK)
		goto out;
	if ((rc = store_commit(db, e)) != SL_OK)
		goto out;
	in_tx = 0;
out:
	if (in_tx)
		store_rollback(db);
	json_decref(v);
	if (rc != SL_OK)
		err_prefix(e, "replica groups and approvals");
	return rc;
}

/* ---- status roll-up ---------------------------------------------------- */

static int
computer_states(json_t *arr, sqlite3_stmt *st, const char *id, struct store *db,
                struct err *e)
{
	int s;

	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
	while ((s = sqlite3_step(st)) == SQLITE_ROW)
		if (json_array_append_new(
		            arr,
		            json_pack("{s:s,s:I,s:s,s:o,s:o}", "id",
		                      (const char *)sqlite3_column_text(st, 0),
		                      "revision",
		                      (json_int_t)sqlite3_column_int64(st, 1),
		                      "state",
		                      (const char *)sqlite3_column_text(st, 2),
		                      "detail", api_text_or_null(st, 3),
		                      "reported", api_time_or_null(st, 4))) !=
		    0)
			return err_set(e, SL_ENOMEM, "out of memory");
	return s == SQLITE_DONE ? SL_OK : db_error(db, e, "update states");
}

static int
push_page(const struct server_config *cfg, json_t **page, struct err *e)
{
	json_t *body, *v = NULL;
	int rc;

	if (json_array_size(*page) == 0)
		return SL_OK;
	body = json_pack("{s:o}", "computers", *page);
	*page = json_array();
	if (body == NULL || *page == NULL) {
		json_decref(body);
		return err_set(e, SL_ENOMEM, "out of memory");
	}
	rc = sluiced_call(&v, cfg, "POST", "/v1/upstream/rollup", body, e);
	json_decref(body);
	json_decref(v);
	return rc;
}

int
replica_rollup(struct store *db, const struct server_config *cfg,
               unsigned *pushed, struct err *e)
{
	sqlite3_stmt *cst = NULL, *sst = NULL;
	json_t *page = json_array(), *c = NULL, *states;
	size_t page_bytes = 0;
	unsigned n = 0;
	int rc, s;

	*pushed = 0;
	if (page == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	rc = db_prepare(db, &cst,
	                "SELECT c.id, c.hostname, c.os_id, c.os_version, "
	                "c.arch, c.kernel, c.agent_version, g.name, "
	                "c.registered_at, c.last_contact, c.last_report, "
	                "c.server FROM computers c JOIN groups g ON g.id = "
	                "c.group_id ORDER BY c.id",
	                e);
	if (rc == SL_OK)
		rc = db_prepare(db, &sst,
		                "SELECT update_id, revision, state, detail, "
		                "reported_at FROM update_states WHERE "
		                "computer_id = ? ORDER BY update_id",
		                e);
	if (rc != SL_OK)
		goto out;
	while ((s = sqlite3_step(cst)) == SQLITE_ROW) {
		char *text;
		size_t len;

		states = json_array();
		c = json_pack(
		        "{s:s,s:s,s:o,s:o,s:o,s:o,s:o,s:s,s:o,s:o,s:o,"
		        "s:o,s:o}",
		        "id", (const char *)sqlite3_column_text(cst, 0),
		        "hostname", (const char *)sqlite3_column_text(cst, 1),
		        "os_id", api_text_or_null(cst, 2), "os_version",
		        api_text_or_null(cst, 3), "arch",
		        api_text_or_null(cst, 4), "kernel",
		        api_text_or_null(cst, 5), "agent_version",
		        api_text_or_null(cst, 6), "group",
		        (const char *)sqlite3_column_text(cst, 7), "registered",
		        api_time_or_null(cst, 8), "last_contact",
		        api_time_or_null(cst, 9), "last_report",
		        api_time_or_null(cst, 10), "server",
		        api_text_or_null(cst, 11), "updates", states);
		if (c == NULL) {
			rc = err_set(e, SL_ENOMEM, "out of memory");
			goto out;
		}
		rc = computer_states(states, sst,
		                     (const char *)sqlite3_column_text(cst, 0),
		                     db, e);
		if (rc != SL_OK)
			goto out;
		if ((text = json_dumps(c, JSON_COMPACT)) == NULL) {
			rc = err_set(e, SL_ENOMEM, "out of memory");
			goto out;
		}
		len = strlen(text);
		free(text);
		if (len > ROLLUP_PAGE_MAX) {
			/* Too big for one request: send it without states. */
			json_object_set_new(c, "updates", json_array());
			len = 1024;
		}
		if (page_bytes + len > ROLLUP_PAGE_MAX ||
		    json_array_size(page) >= ROLLUP_PAGE_N) {
			if ((rc = push_page(cfg, &page, e)) != SL_OK)
				goto out;
			page_bytes = 0;
		}
		json_array_append_new(page, c);
		c = NULL;
		page_bytes += len;
		n++;
	}
	if (s != SQLITE_DONE) {
		rc = db_error(db, e, "computers");
		goto out;
	}
	if ((rc = push_page(cfg, &page, e)) != SL_OK)
		goto out;
	*pushed = n;
out:
	json_decref(c);
	json_decref(page);
	sqlite3_finalize(cst);
	sqlite3_finalize(sst);
	if (rc != SL_OK)
		err_prefix(e, "status roll-up");
	return rc;
}
