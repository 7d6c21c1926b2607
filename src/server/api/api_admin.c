/*
 * api_admin: the minimal administration endpoints (admin token): sync
 * trigger and history, updates, groups, computers, approvals, per-computer
 * status. Every change an agent must notice takes a fresh change sequence
 * in the same transaction (see api_agent.c); every change is audited.
 * Approvals, declines and the rest of the administration are in
 * api_approvals.c, api_groups.c, api_rules.c, api_tokens.c, api_reports.c.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "api_manage.h"
#include "store/store.h"
#include "auth.h"
#include "scheduler.h"

#define NAME_MAX_LEN 128

/* Run st to completion, turning each row into an object with row_fn and
 * appending it to arr. */
typedef json_t *(*row_fn)(sqlite3_stmt *st);

static int
collect(json_t *arr, struct store *db, sqlite3_stmt *st, row_fn fn,
        const char *what, struct err *e)
{
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *o = fn(st);
		if (o == NULL || json_array_append_new(arr, o) != 0)
			return err_set(e, SL_ENOMEM, "out of memory");
	}
	if (rc != SQLITE_DONE)
		return db_error(db, e, what);
	return SL_OK;
}

/* Reply {key: [rows of sql]} for a query without parameters. */
static int
list_reply(struct reply *out, struct store *db, const char *key,
           const char *sql, row_fn fn, struct err *e)
{
	sqlite3_stmt *st = NULL;
	json_t *arr = json_array();
	int rc;

	if (arr == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	rc = db_prepare(db, &st, sql, e);
	if (rc == SL_OK)
		rc = collect(arr, db, st, fn, key, e);
	sqlite3_finalize(st);
	if (rc != SL_OK) {
		json_decref(arr);
		return rc;
	}
	out->json = json_pack("{s:o}", key, arr);
	return out->json ? SL_OK : err_set(e, SL_ENOMEM, "out of memory");
}

int
api_admin_sync(struct req *r, struct reply *out, struct err *e)
{
	bool started;

	if (r->env->cfg->upstream_url == NULL)
		return err_set(e, SL_ECONFLICT,
		               "no upstream configured (upstream.url)");
	sched_trigger(r->env->sched, &started);
	{
		char actor[STORE_ACTOR_MAX];
		struct err e2;
		err_clear(&e2);
		/* Best effort: the sync is started either way. */
		if (api_actor(actor, sizeof(actor), r, &e2) == SL_OK)
			store_audit_add(
			        r->store, &e2, actor, "sync.start", "upstream",
			        started ? "started" : "already running");
	}
	out->status = 202;
	out->json = json_pack("{s:b,s:b}", "started", started, "running", 1);
	return out->json ? SL_OK : err_set(e, SL_ENOMEM, "out of memory");
}

static json_t *
history_row(sqlite3_stmt *st)
{
	return json_pack(
	        "{s:I,s:o,s:o,s:s,s:I,s:I,s:I,s:o,s:o}", "id",
	        (json_int_t)sqlite3_column_int64(st, 0), "started",
	        api_time_or_null(st, 1), "finished", api_time_or_null(st, 2),
	        "result", (const char *)sqlite3_column_text(st, 3), "new",
	        (json_int_t)sqlite3_column_int64(st, 4), "revised",
	        (json_int_t)sqlite3_column_int64(st, 5), "expired",
	        (json_int_t)sqlite3_column_int64(st, 6), "index_version",
	        sqlite3_column_type(st, 7) == SQLITE_NULL
	                ? json_null()
	                : json_integer(sqlite3_column_int64(st, 7)),
	        "error", api_text_or_null(st, 8));
}

int
api_admin_sync_history(struct req *r, struct reply *out, struct err *e)
{
	return list_reply(out, r->store, "history",
	                  "SELECT id, started_at, finished_at, result, "
	                  "new_count, revised_count, expired_count, "
	                  "index_version, error FROM sync_history "
	                  "ORDER BY id DESC LIMIT 100",
	                  history_row, e);
}

static json_t *
file_row(sqlite3_stmt *st)
{
	return json_pack("{s:s,s:s,s:I,s:b}", "name",
	                 (const char *)sqlite3_column_text(st, 0), "sha256",
	                 (const char *)sqlite3_column_text(st, 1), "size",
	                 (json_int_t)sqlite3_column_int64(st, 2), "present",
	                 sqlite3_column_int(st, 3));
}

static json_t *
approval_row(sqlite3_stmt *st)
{
	return json_pack("{s:s,s:s,s:o,s:o}", "group",
	                 (const char *)sqlite3_column_text(st, 0), "action",
	                 (const char *)sqlite3_column_text(st, 1), "deadline",
	                 api_time_or_null(st, 2), "approved_by",
	                 api_text_or_null(st, 3));
}

int
api_admin_updates(struct req *r, struct reply *out, struct err *e)
{
	sqlite3_stmt *st = NULL, *fst = NULL, *ast = NULL;
	json_t *arr = json_array(), *map = NULL, *counts;
	int rc;

	if (arr == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	rc = db_prepare(r->store, &st,
	                "SELECT u.id, u.revision, u.title, u.classification, "
	                "u.product, u.kb_article, u.severity, u.release_date, "
	                "s.expired, s.declined FROM update_status s JOIN "
	                "updates u ON u.id = s.id AND u.revision = "
	                "s.latest_revision ORDER BY u.release_date DESC, u.id",
	                e);
	if (rc == SL_OK)
		rc = db_prepare(r->store, &fst,
		                "SELECT f.name, f.sha256, f.size, "
		                "coalesce(c.state = 'present', 0) FROM "
		                "update_files f LEFT JOIN content c ON "
		                "c.sha256 = f.sha256 WHERE f.update_id = ? AND "
		                "f.revision = ? ORDER BY f.name",
		                e);
	if (rc == SL_OK)
		rc = db_prepare(
		        r->store, &ast,
		        "SELECT g.name, a.action, a.deadline, a.approved_by "
		        "FROM "
		        "approvals a JOIN groups g ON g.id = a.group_id "
		        "WHERE a.update_id = ? ORDER BY g.name",
		        e);
	if (rc != SL_OK)
		goto out;
	rc = store_begin_read(r->store, e);
	if (rc == SL_OK)
		rc = store_report_counts(&map, r->store, e);
	if (rc != SL_OK)
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *files = json_array(), *apps = json_array(), *u;
		const char *id = (const char *)sqlite3_column_text(st, 0);

		u = json_pack("{s:s,s:I,s:s,s:s,s:s,s:o,s:o,s:o,s:b,s:b,s:o,"
		              "s:o}",
		              "id", id, "revision",
		              (json_int_t)sqlite3_column_int64(st, 1), "title",
		              (const char *)sqlite3_column_text(st, 2),
		              "classification",
		              (const char *)sqlite3_column_text(st, 3),
		              "product",
		              (const char *)sqlite3_column_text(st, 4),
		              "kb_article", api_text_or_null(st, 5), "severity",
		              api_text_or_null(st, 6), "release_date",
		              api_text_or_null(st, 7), "expired",
		              sqlite3_column_int(st, 8), "declined",
		              sqlite3_column_int(st, 9), "files", files,
		              "approvals", apps);
		if (u == NULL) {
			rc = err_set(e, SL_ENOMEM, "out of memory");
			goto out;
		}
		counts = json_object_get(map, id);
		json_object_set(u, "counts", counts ? counts : json_null());
		if (api_update_filtered(r, u, counts)) {
			json_decref(u);
			continue;
		}
		if (json_array_append_new(arr, u) != 0) {
			rc = err_set(e, SL_ENOMEM, "out of memory");
			goto out;
		}
		sqlite3_reset(fst);
		sqlite3_bind_text(fst, 1, id, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(fst, 2, sqlite3_column_int64(st, 1));
		rc = collect(files, r->store, fst, file_row, "files", e);
		if (rc != SL_OK)
			goto out;
		sqlite3_reset(ast);
		sqlite3_bind_text(ast, 1, id, -1, SQLITE_TRANSIENT);
		rc = collect(apps, r->store, ast, approval_row, "approvals", e);
		if (rc != SL_OK)
			goto out;
	}
	if (rc != SQLITE_DONE) {
		rc = db_error(r->store, e, "updates");
		goto out;
	}
	rc = store_commit(r->store, e);
	if (rc != SL_OK)
		goto out;
	out->json = json_pack("{s:o}", "updates", arr);
	arr = NULL;
	if (out->json == NULL)
		rc = err_set(e, SL_ENOMEM, "out of memory");
out:
	if (rc != SL_OK)
		store_rollback(r->store);
	sqlite3_finalize(st);
	sqlite3_finalize(fst);
	sqlite3_finalize(ast);
	json_decref(arr);
	json_decref(map);
	return rc;
}

int
api_admin_groups(struct req *r, struct reply *out, struct err *e)
{
	json_t *arr = json_array();
	int rc;

	if (arr == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	rc = store_groups_list(arr, r->store, e);
	if (rc != SL_OK) {
		json_decref(arr);
		return rc;
	}
	out->json = json_pack("{s:o}", "groups", arr);
	return out->json ? SL_OK : err_set(e, SL_ENOMEM, "out of memory");
}

int
api_admin_group_create(struct req *r, struct reply *out, struct err *e)
{
	const char *name, *parent;
	char actor[STORE_ACTOR_MAX];
	json_t *body = NULL;
	int64_t pid, gid;
	int rc;

	rc = http_json_body(&body, r, e);
	if (rc != SL_OK)
		return err_prefix(e, "create group");
	rc = api_req_str(&name, body, "name", NAME_MAX_LEN, e);
	if (rc == SL_OK)
		rc = api_group_name_ok(name, e);
	if (rc == SL_OK)
		rc = api_opt_str(&parent, body, "parent", NAME_MAX_LEN, e);
	if (rc != SL_OK)
		goto out;
	if (parent == NULL)
		parent = STORE_GROUP_ALL;
	rc = store_begin(r->store, e);
	if (rc != SL_OK)
		goto out;
	rc = store_group_id(&pid, r->store, parent, e);
	if (rc != SL_OK) {
		if (rc == SL_ENOTFOUND)
			rc = err_set(e, SL_EINVAL,
			             "parent: no group named '%s'", parent);
		goto out;
	}
	rc = store_group_create(&gid, r->store, name, pid, e);
	if (rc != SL_OK)
		goto out;
	rc = api_actor(actor, sizeof(actor), r, e);
	if (rc == SL_OK)
		rc = store_audit_add(r->store, e, actor, "group.create", name,
		                     "parent '%s'", parent);
	if (rc == SL_OK)
		rc = store_commit(r->store, e);
	if (rc != SL_OK)
		goto out;
	out->status = 201;
	out->json = json_pack("{s:s,s:s}", "name", name, "parent", parent);
	if (out->json == NULL)
		rc = err_set(e, SL_ENOMEM, "out of memory");
out:
	if (rc != SL_OK) {
		store_rollback(r->store);
		err_prefix(e, "create group");
	}
	json_decref(body);
	return rc;
}

static json_t *
computer_row(sqlite3_stmt *st)
{
	const char *osid = (const char *)sqlite3_column_text(st, 2);
	const char *osv = (const char *)sqlite3_column_text(st, 3);
	char os[600];

	snprintf(os, sizeof(os), "%s%s%s", osid ? osid : "",
	         osid && osv ? " " : "", osv ? osv : "");
	return json_pack(
	        "{s:s,s:s,s:o,s:o,s:o,s:s,s:o,s:o,s:o,s:o}", "id",
	        (const char *)sqlite3_column_text(st, 0), "hostname",
	        (const char *)sqlite3_column_text(st, 1), "os",
	        os[0] ? json_string(os) : json_null(), "arch",
	        api_text_or_null(st, 4), "kernel", api_text_or_null(st, 5),
	        "group", (const char *)sqlite3_column_text(st, 6),
	        "agent_version", api_text_or_null(st, 7), "last_contact",
	        api_time_or_null(st, 8), "last_report", api_time_or_null(st, 9),
	        "server", api_text_or_null(st, 10));
}

#define COMPUTER_COLS                                                          \
	"c.id, c.hostname, c.os_id, c.os_version, c.arch, c.kernel, g.name, "  \
	"c.agent_version, c.last_contact, c.last_report, c.server FROM "       \
	"computers c "                                                         \
	"JOIN groups g ON g.id = c.group_id "

int
api_admin_computers(struct req *r, struct reply *out, struct err *e)
{
	return list_reply(out, r->store, "computers",
	                  "SELECT " COMPUTER_COLS "ORDER BY c.hostname, c.id",
	                  computer_row, e);
}

int
api_admin_computer_move(struct req *r, struct reply *out, struct err *e)
{
	const char *id = r->params[0], *group;
	char actor[STORE_ACTOR_MAX];
	sqlite3_stmt *st = NULL;
	json_t *body = NULL;
	int64_t gid, seq;
	int rc;

	rc = http_json_body(&body, r, e);
	if (rc == SL_OK)
		rc = api_req_str(&group, body, "group", NAME_MAX_LEN, e);
	if (rc != SL_OK)
		goto out;
	rc = store_begin(r->store, e);
	if (rc != SL_OK)
		goto out;
	rc = store_group_id(&gid, r->store, group, e);
	if (rc != SL_OK)
		goto out;
	rc = db_prepare(r->store, &st,
	                "SELECT group_id FROM computers WHERE id = ?", e);
	if (rc != SL_OK)
		goto out;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		rc = rc == SQLITE_DONE
		             ? err_set(e, SL_ENOTFOUND, "no computer %s", id)
		             : db_error(r->store, e, "computer lookup");
		goto out;
	}
	if (sqlite3_column_int64(st, 0) != gid) {
		sqlite3_finalize(st);
		st = NULL;
		rc = store_seq_next(r->store, &seq, e);
		if (rc == SL_OK)
			rc = db_prepare(r->store, &st,
			                "UPDATE computers SET group_id = ?, "
			                "group_seq = ? WHERE id = ?",
			                e);
		if (rc != SL_OK)
			goto out;
		sqlite3_bind_int64(st, 1, gid);
		sqlite3_bind_int64(st, 2, seq);
		sqlite3_bind_text(st, 3, id, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE) {
			rc = db_error(r->store, e, "move computer");
			goto out;
		}
		rc = api_actor(actor, sizeof(actor), r, e);
		if (rc == SL_OK)
			rc = store_audit_add(r->store, e, actor,
			                     "computer.move", id,
			                     "to group '%s'", group);
		if (rc != SL_OK)
			goto out;
	}
	rc = store_commit(r->store, e);
	if (rc != SL_OK)
		goto out;
	out->json = json_pack("{s:s,s:s}", "id", id, "group", group);
	if (out->json == NULL)
		rc = err_set(e, SL_ENOMEM, "out of memory");
out:
	sqlite3_finalize(st);
	if (rc != SL_OK) {
		store_rollback(r->store);
		err_prefix(e, "move computer");
	}
	json_decref(body);
	return rc;
}

static json_t *
state_row(sqlite3_stmt *st)
{
	return json_pack("{s:s,s:I,s:o,s:s,s:o,s:o}", "id",
	                 (const char *)sqlite3_column_text(st, 0), "revision",
	                 (json_int_t)sqlite3_column_int64(st, 1), "title",
	                 api_text_or_null(st, 2), "state",
	                 (const char *)sqlite3_column_text(st, 3), "detail",
	                 api_text_or_null(st, 4), "reported",
	                 api_time_or_null(st, 5));
}

static json_t *
event_row(sqlite3_stmt *st)
{
	return json_pack("{s:s,s:s,s:o,s:o,s:s,s:s,s:o,s:o,s:o}", "event_id",
	                 (const char *)sqlite3_column_text(st, 0), "id",
	                 (const char *)sqlite3_column_text(st, 1), "revision",
	                 sqlite3_column_type(st, 2) == SQLITE_NULL
	                         ? json_null()
	                         : json_integer(sqlite3_column_int64(st, 2)),
	                 "time", api_text_or_null(st, 3), "kind",
	                 (const char *)sqlite3_column_text(st, 4), "result",
	                 (const char *)sqlite3_column_text(st, 5), "exit_code",
	                 sqlite3_column_type(st, 6) == SQLITE_NULL
	                         ? json_null()
	                         : json_integer(sqlite3_column_int64(st, 6)),
	                 "output", api_text_or_null(st, 7), "received",
	                 api_time_or_null(st, 8));
}

/* Run sql (one '?' = the computer id) into arr. */
static int
collect_for(json_t *arr, struct store *db, const char *sql, const char *id,
            row_fn fn, struct err *e)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = db_prepare(db, &st, sql, e);
	if (rc != SL_OK)
		return rc;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = collect(arr, db, st, fn, "computer status", e);
	sqlite3_finalize(st);
	return rc;
}

int
api_admin_computer_status(struct req *r, struct reply *out, struct err *e)
{
	json_t *comp = json_array(), *ups = json_array(), *evs = json_array();
	const char *id = r->params[0];
	int rc = SL_OK;

	if (comp == NULL || ups == NULL || evs == NULL) {
		rc = err_set(e, SL_ENOMEM, "out of memory");
		goto out;
	}
	rc = store_begin_read(r->store, e);
	if (rc == SL_OK)
		rc = collect_for(comp, r->store,
		                 "SELECT " COMPUTER_COLS "WHERE c.id = ?", id,
		                 computer_row, e);
	if (rc == SL_OK && json_array_size(comp) == 0)
		rc = err_set(e, SL_ENOTFOUND, "no computer %s", id);
	if (rc == SL_OK)
		rc = collect_for(
		        ups, r->store,
		        "SELECT s.update_id, s.revision, u.title, "
		        "s.state, s.detail, s.reported_at FROM "
		        "update_states s LEFT JOIN updates u ON u.id = "
		        "s.update_id AND u.revision = s.revision WHERE "
		        "s.computer_id = ? ORDER BY u.title, "
		        "s.update_id",
		        id, state_row, e);
	if (rc == SL_OK)
		rc = collect_for(evs, r->store,
		                 "SELECT event_id, update_id, revision, time, "
		                 "kind, result, exit_code, output, received_at "
		                 "FROM events WHERE computer_id = ? ORDER BY "
		                 "received_at DESC, time DESC LIMIT 200",
		                 id, event_row, e);
	if (rc == SL_OK)
		rc = store_commit(r->store, e);
	if (rc != SL_OK)
		goto out;
	out->json =
	        json_pack("{s:O,s:O,s:O}", "computer", json_array_get(comp, 0),
	                  "updates", ups, "events", evs);
	if (out->json == NULL)
		rc = err_set(e, SL_ENOMEM, "out of memory");
out:
	if (rc != SL_OK) {
		store_rollback(r->store);
		err_prefix(e, "computer status");
	}
	json_decref(comp);
	json_decref(ups);
	json_decref(evs);
	return rc;
}
