/*
 * api_upstream: the server-to-server API a sluiced offers its downstream
 * servers (docs/protocol.md, "Server to server"). Every route takes a
 * downstream server token (AUTH_DOWNSTREAM) issued by `sluice downstream
 * add NAME`:
 *
 *   GET  /v1/upstream/changes  catalog changes since an anchor (this
 *        server's change_seq), filtered by product and classification;
 *        each update's signed envelope is handed over byte for byte, so a
 *        downstream verifies it against the ORIGIN's keys
 *   GET  /v1/upstream/replica  groups and approvals (replica mode)
 *   POST /v1/upstream/rollup   status of the downstream's computers
 *
 * Content is the existing GET /content/<sha256>; the file URLs in a change
 * are what this server hands its own agents (its content store, or in
 * storage mode none its own upstream's URL).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "auth.h"
#include "sign.h"

#define CHANGES_PAGE_DEFAULT 200
#define CHANGES_PAGE_MAX     1000
#define ROLLUP_MAX           2000 /* computers per request */
#define STATES_MAX           20000
#define FIELD_MAX            255
#define SERVER_PATH_MAX      1024

/* Administration routes that change what a replica takes from its
 * upstream: groups, approvals, declines and automatic approval rules. Any
 * modifying method on a path starting with one of these is refused. */
static const char *const replica_ro_prefixes[] = {
        "/v1/admin/groups",      "/v1/admin/approvals", "/v1/admin/rules",
        "/v1/admin/autoapprove", "/v1/admin/declines",  NULL,
};

static int
replica_ro(const struct route *rt)
{
	size_t n;

	if (strcmp(rt->method, "GET") == 0 || strcmp(rt->method, "HEAD") == 0)
		return 0;
	for (size_t i = 0; replica_ro_prefixes[i] != NULL; i++) {
		n = strlen(replica_ro_prefixes[i]);
		if (strncmp(rt->pattern, replica_ro_prefixes[i], n) == 0 &&
		    (rt->pattern[n] == '\0' || rt->pattern[n] == '/'))
			return 1;
	}
	/* Declines: /v1/admin/updates/<id>/decline and
	 * /v1/admin/updates/decline-superseded. */
	n = strlen(rt->pattern);
	return strncmp(rt->pattern, "/v1/admin/updates/", 18) == 0 &&
	       (strstr(rt->pattern + 18, "decline") != NULL);
}

int
upstream_replica_refuse(const struct req *r, const struct route *rt,
                        struct err *e)
{
	const struct server_config *cfg = r->env->cfg;

	if (cfg->upstream_kind == UPSTREAM_SLUICED &&
	    cfg->upstream_mode == UPSTREAM_REPLICA && replica_ro(rt))
		return err_set(e, SL_ECONFLICT,
		               "this server is a replica of %s: change groups "
		               "and approvals there",
		               cfg->upstream_url);
	return SL_OK;
}

static const char *
qarg(const struct req *r, const char *key)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, key);
}

/* A non-negative decimal query argument; def when absent. */
static int
qarg_int(int64_t *out, const struct req *r, const char *key, int64_t def,
         int64_t max, struct err *e)
{
	const char *s = qarg(r, key);
	int64_t v = 0;
	size_t n;

	*out = def;
	if (s == NULL || *s == '\0')
		return SL_OK;
	n = strlen(s);
	if (n > 18)
		return err_set(e, SL_EINVAL, "%s: expected a number", key);
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return err_set(e, SL_EINVAL, "%s: expected a number",
			               key);
		v = v * 10 + (s[i] - '0');
	}
	*out = v > max ? max : v;
	return SL_OK;
}

/* True when list (comma-separated; NULL or "" = everything) names s. */
static int
in_csv(const char *list, const char *s)
{
	size_t n = strlen(s);
	const char *p = list, *comma;

	if (list == NULL || *list == '\0')
		return 1;
	for (; p != NULL; p = comma ? comma + 1 : NULL) {
		comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		if (len == n && strncmp(p, s, n) == 0)
			return 1;
	}
	return 0;
}

/* The files of one revision, with the URL this server's agents get. */
static int
change_files(json_t *files, sqlite3_stmt *fst, const struct req *r,
             const char *id, int64_t rev, const char *base, struct err *e)
{
	char url[4096];
	int rc;

	sqlite3_reset(fst);
	sqlite3_bind_text(fst, 1, id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(fst, 2, rev);
	while ((rc = sqlite3_step(fst)) == SQLITE_ROW) {
		const char *sha = (const char *)sqlite3_column_text(fst, 0);
		const char *up = (const char *)sqlite3_column_text(fst, 3);
		api_content_url(url, sizeof(url), r, base, sha, up);
		if (json_array_append_new(
		            files,
		            json_pack("{s:s,s:I,s:s,s:s}", "sha256", sha,
		                      "size",
		                      (json_int_t)sqlite3_column_int64(fst, 1),
		                      "name",
		                      (const char *)sqlite3_column_text(fst, 2),
		                      "url", url)) != 0)
			return err_set(e, SL_ENOMEM, "out of memory");
	}
	return rc == SQLITE_DONE ? SL_OK
	                         : db_error(r->store, e, "update files");
}

static int
note_sync(const struct req *r, int64_t since, const char *mode, struct err *e)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = db_prepare(r->store, &st,
	                "UPDATE downstream_servers SET last_sync = ?, "
	                "last_anchor = ?, mode = coalesce(?, mode) "
	                "WHERE id = ?",
	                e);
	if (rc != SL_OK)
		return rc;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)time(NULL));
	sqlite3_bind_int64(st, 2, since);
	if (mode != NULL)
		sqlite3_bind_text(st, 3, mode, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 3);
	sqlite3_bind_int64(st, 4, r->downstream_id);
	rc = sqlite3_step(st) == SQLITE_DONE
	             ? SL_OK
	             : db_error(r->store, e, "downstream server");
	sqlite3_finalize(st);
	return rc;
}

int
api_upstream_changes(struct req *r, struct reply *out, struct err *e)
{
	const char *products = qarg(r, "products");
	const char *classes = qarg(r, "classifications");
	const char *mode = qarg(r, "mode");
	sqlite3_stmt *st = NULL, *fst = NULL;
	json_t *updates = NULL;
	int64_t since, limit, cur, last = 0, n = 0;
	char base[2048], anchor[24];
	int rc, full = 0, s;

	if (mode != NULL && strcmp(mode, "autonomous") != 0 &&
	    strcmp(mode, "replica") != 0)
		return err_set(e, SL_EINVAL,
		               "mode: expected autonomous or replica");
	rc = qarg_int(&since, r, "since", 0, INT64_MAX / 2, e);
	if (rc == SL_OK)
		rc = qarg_int(&limit, r, "limit", CHANGES_PAGE_DEFAULT,
		              CHANGES_PAGE_MAX, e);
	if (rc == SL_OK)
		rc = http_public_base(base, sizeof(base), r, e);
	if (rc != SL_OK)
		goto out;
	if (limit < 1)
		limit = 1;
	if ((updates = json_array()) == NULL) {
		rc = err_set(e, SL_ENOMEM, "out of memory");
		goto out;
	}
	/* One read snapshot for the sequence and the rows. */
	if ((rc = store_begin_read(r->store, e)) != SL_OK)
		goto out;
	if ((rc = store_seq_current(r->store, &cur, e)) != SL_OK)
		goto out;
	if (since > cur) {
		/* An anchor this server never handed out (its database was
		 * replaced): start over; the downstream skips what it has. */
		since = 0;
		full = 1;
	}
	rc = db_prepare(r->store, &st,
	                "SELECT s.id, s.latest_revision, s.expired, "
	                "s.declined, s.change_seq, u.document, u.product, "
	                "u.classification FROM update_status s "
	                "JOIN updates u ON u.id = s.id AND u.revision = "
	                "s.latest_revision WHERE s.change_seq > ?1 "
	                "ORDER BY s.change_seq LIMIT ?2",
	                e);
	if (rc == SL_OK)
		rc = db_prepare(r->store, &fst,
		                "SELECT sha256, size, name, upstream_url FROM "
		                "update_files WHERE update_id = ? AND "
		                "revision = ? ORDER BY name, sha256",
		                e);
	if (rc != SL_OK)
		goto out;
	sqlite3_bind_int64(st, 1, since);
	sqlite3_bind_int64(st, 2, limit);
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		const char *id = (const char *)sqlite3_column_text(st, 0);
		int64_t rev = sqlite3_column_int64(st, 1);
		int expired = sqlite3_column_int(st, 2) != 0;
		json_t *u, *files;

		n++;
		last = sqlite3_column_int64(st, 4);
		if (!in_csv(products,
		            (const char *)sqlite3_column_text(st, 6)) ||
		    !in_csv(classes, (const char *)sqlite3_column_text(st, 7)))
			continue;
		files = json_array();
		u = json_pack("{s:s,s:I,s:b,s:b,s:o}", "id", id, "revision",
		              (json_int_t)rev, "expired", expired, "declined",
		              sqlite3_column_int(st, 3) != 0, "files", files);
		if (u == NULL || json_array_append_new(updates, u) != 0) {
			rc = err_set(e, SL_ENOMEM, "out of memory");
			goto out;
		}
		/* The envelope bytes exactly as the origin signed them. */
		if (json_object_set_new(
		            u, "document",
		            expired ? json_null()
		                    : json_stringn(
		                              (const char *)sqlite3_column_text(
		                                      st, 5),
		                              (size_t)sqlite3_column_bytes(
		                                      st, 5))) != 0) {
			rc = err_set(e, SL_ENOMEM, "out of memory");
			goto out;
		}
		if (!expired && (rc = change_files(files, fst, r, id, rev, base,
		                                   e)) != SL_OK)
			goto out;
	}
	if (s != SQLITE_DONE) {
		rc = db_error(r->store, e, "changes");
		goto out;
	}
	if ((rc = store_commit(r->store, e)) != SL_OK)
		goto out;
	if ((rc = note_sync(r, since, mode, e)) != SL_OK)
		goto out;
	snprintf(anchor, sizeof(anchor), "%" PRId64, n == limit ? last : cur);
	out->json = json_pack("{s:s,s:b,s:b,s:o}", "anchor", anchor, "more",
	                      n == limit, "full", full, "updates", updates);
	updates = NULL;
	if (out->json == NULL)
		rc = err_set(e, SL_ENOMEM, "out of memory");
out:
	sqlite3_finalize(st);
	sqlite3_finalize(fst);
	json_decref(updates);
	if (rc != SL_OK) {
		store_rollback(r->store);
		err_prefix(e, "changes");
	}
	return rc;
}

int
api_upstream_replica(struct req *r, struct reply *out, struct err *e)
{
	sqlite3_stmt *gst = NULL, *ast = NULL;
	json_t *groups = json_array(), *approvals = json_array(), *o;
	int rc, s;

	if (groups == NULL || approvals == NULL) {
		rc = err_set(e, SL_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = store_begin_read(r->store, e)) != SL_OK)
		goto out;
	rc = db_prepare(r->store, &gst,
	                "SELECT g.name, p.name FROM groups g LEFT JOIN groups "
	                "p ON p.id = g.parent_id ORDER BY g.id",
	                e);
	if (rc == SL_OK)
		rc = db_prepare(
		        r->store, &ast,
		        "SELECT a.update_id, g.name, a.action, "
		        "a.deadline FROM approvals a JOIN groups g ON "
		        "g.id = a.group_id ORDER BY a.update_id, g.name",
		        e);
	if (rc != SL_OK)
		goto out;
	while ((s = sqlite3_step(gst)) == SQLITE_ROW) {
		o = json_pack("{s:s,s:o}", "name",
		              (const char *)sqlite3_column_text(gst, 0),
		              "parent", api_text_or_null(gst, 1));
		if (o == NULL || json_array_append_new(groups, o) != 0) {
			rc = err_set(e, SL_ENOMEM, "out of memory");
			goto out;
		}
	}
	if (s != SQLITE_DONE) {
		rc = db_error(r->store, e, "groups");
		goto out;
	}
	while ((s = sqlite3_step(ast)) == SQLITE_ROW) {
		o = json_pack(
		        "{s:s,s:s,s:s,s:o}", "update",
		        (const char *)sqlite3_column_text(ast, 0), "group",
		        (const char *)sqlite3_column_text(ast, 1), "action",
		        (const char *)sqlite3_column_text(ast, 2), "deadline",
		        api_time_or_null(ast, 3));
		if (o == NULL || json_array_append_new(approvals, o) != 0) {
			rc = err_set(e, SL_ENOMEM, "out of memory");
			goto out;
		}
	}
	if (s != SQLITE_DONE) {
		rc = db_error(r->store, e, "approvals");
		goto out;
	}
	if ((rc = store_commit(r->store, e)) != SL_OK)
		goto out;
	out->json = json_pack("{s:o,s:o}", "groups", groups, "approvals",
	                      approvals);
	groups = approvals = NULL;
	if (out->json == NULL)
		rc = err_set(e, SL_ENOMEM, "out of memory");
out:
	sqlite3_finalize(gst);
	sqlite3_finalize(ast);
	json_decref(groups);
	json_decref(approvals);
	if (rc != SL_OK) {
		store_rollback(r->store);
		err_prefix(e, "replica");
	}
	return rc;
}

/* ---- roll-up ---------------------------------------------------------- */

static void
bind_str(sqlite3_stmt *st, int col, const char *s)
{
	if (s != NULL)
		sqlite3_bind_text(st, col, s, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, col);
}

/* An optional RFC 3339 member bound as unix time (NULL when absent). */
static int
bind_time(sqlite3_stmt *st, int col, json_t *o, const char *key, struct err *e)
{
	const char *s;
	long long t;
	int rc = api_opt_str(&s, o, key, 64, e);

	if (rc != SL_OK)
		return rc;
	if (s == NULL) {
		sqlite3_bind_null(st, col);
		return SL_OK;
	}
	if ((rc = sign_time_parse(s, &t, e)) != SL_OK)
		return err_prefix(e, "%s", key);
	sqlite3_bind_int64(st, col, t);
	return SL_OK;
}

struct rollup_stmts {
	sqlite3_stmt *comp, *del, *state;
};

/* The group a rolled-up computer shows in: its group's name when this
 * server has it, else Unassigned Computers. */
static int
rollup_group(int64_t *gid, struct store *db, const char *name, struct err *e)
{
	int rc = SL_ENOTFOUND;

	if (name != NULL)
		rc = store_group_id(gid, db, name, e);
	if (rc == SL_ENOTFOUND) {
		err_clear(e);
		rc = store_group_id(gid, db, STORE_GROUP_UNASSIGNED, e);
	}
	return rc;
}

/* Store one computer and replace its states. *stored = 0 when the id is
 * taken by a computer of this server or of another downstream (never
 * overwritten). */
static int
rollup_one(int *stored, struct req *r, struct rollup_stmts *s, json_t *c,
           struct err *e)
{
	static const char *const opt[] = {"os_id", "os_version", "arch",
	                                  "kernel", "agent_version"};
	const char *id, *host, *group, *sub, *v, *uid, *state, *detail;
	char th[80], server[SERVER_PATH_MAX + 160];
	json_t *states, *o;
	int64_t gid;
	size_t i;
	int rc;

	*stored = 0;
	if (!json_is_object(c))
		return err_set(e, SL_EINVAL, "expected an object");
	rc = api_req_str(&id, c, "id", 64, e);
	if (rc == SL_OK && !auth_is_uuid(id))
		rc = err_set(e, SL_EINVAL, "id: expected a UUID");
	if (rc == SL_OK)
		rc = api_req_str(&host, c, "hostname", FIELD_MAX, e);
	if (rc == SL_OK)
		rc = api_opt_str(&group, c, "group", FIELD_MAX, e);
	if (rc == SL_OK)
		rc = api_opt_str(&sub, c, "server", SERVER_PATH_MAX, e);
	if (rc != SL_OK)
		return rc;
	states = json_object_get(c, "updates");
	if (states != NULL &&
	    (!json_is_array(states) || json_array_size(states) > STATES_MAX))
		return err_set(e, SL_EINVAL,
		               "updates: expected an array of at most %d",
		               STATES_MAX);
	if ((rc = rollup_group(&gid, r->store, group, e)) != SL_OK)
		return rc;
	snprintf(th, sizeof(th), "downstream:%s", id);
	if (sub != NULL)
		snprintf(server, sizeof(server), "%s/%s", r->downstream_name,
		         sub);
	else
		snprintf(server, sizeof(server), "%s", r->downstream_name);
	sqlite3_reset(s->comp);
	sqlite3_clear_bindings(s->comp);
	sqlite3_bind_text(s->comp, 1, id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s->comp, 2, th, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s->comp, 3, host, -1, SQLITE_TRANSIENT);
	for (i = 0; i < 5; i++) {
		if ((rc = api_opt_str(&v, c, opt[i], FIELD_MAX, e)) != SL_OK)
			return rc;
		bind_str(s->comp, 4 + (int)i, v);
	}
	sqlite3_bind_int64(s->comp, 9, gid);
	if ((rc = bind_time(s->comp, 10, c, "registered", e)) != SL_OK ||
	    (rc = bind_time(s->comp, 11, c, "last_contact", e)) != SL_OK ||
	    (rc = bind_time(s->comp, 12, c, "last_report", e)) != SL_OK)
		return rc;
	sqlite3_bind_text(s->comp, 13, server, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s->comp, 14, (sqlite3_int64)time(NULL));
	sqlite3_bind_text(s->comp, 15, r->downstream_name, -1,
	                  SQLITE_TRANSIENT);
	if (sqlite3_step(s->comp) != SQLITE_DONE)
		return db_error(r->store, e, "rolled-up computer");
	if (sqlite3_changes(db_handle(r->store)) == 0)
		return SL_OK;
	sqlite3_reset(s->del);
	sqlite3_bind_text(s->del, 1, id, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(s->del) != SQLITE_DONE)
		return db_error(r->store, e, "rolled-up states");
	json_array_foreach(states, i, o)
	{
		json_t *rev;

		if (!json_is_object(o))
			return err_set(e, SL_EINVAL,
			               "updates[%zu]: expected an object", i);
		rc = api_req_str(&uid, o, "id", 64, e);
		if (rc == SL_OK)
			rc = api_req_str(&state, o, "state", 64, e);
		if (rc == SL_OK)
			rc = api_opt_str(&detail, o, "detail", 4096, e);
		rev = json_object_get(o, "revision");
		if (rc == SL_OK && !json_is_integer(rev))
			rc = err_set(e, SL_EINVAL,
			             "revision: expected a number");
		if (rc != SL_OK)
			return err_prefix(e, "updates[%zu]", i);
		sqlite3_reset(s->state);
		sqlite3_clear_bindings(s->state);
		sqlite3_bind_text(s->state, 1, id, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(s->state, 2, uid, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(s->state, 3, json_integer_value(rev));
		sqlite3_bind_text(s->state, 4, state, -1, SQLITE_TRANSIENT);
		bind_str(s->state, 5, detail);
		if ((rc = bind_time(s->state, 6, o, "reported", e)) != SL_OK)
			return err_prefix(e, "updates[%zu]", i);
		if (sqlite3_step(s->state) != SQLITE_DONE)
			return db_error(r->store, e, "rolled-up state");
	}
	*stored = 1;
	return SL_OK;
}

int
api_upstream_rollup(struct req *r, struct reply *out, struct err *e)
{
	struct rollup_stmts s = {0};
	sqlite3_stmt *note = NULL;
	json_t *body = NULL, *comps, *c;
	int rc, stored, n = 0, skipped = 0;
	size_t i;

	if ((rc = http_json_body(&body, r, e)) != SL_OK)
		goto out;
	comps = json_object_get(body, "computers");
	if (!json_is_array(comps) || json_array_size(comps) > ROLLUP_MAX) {
		rc = err_set(e, SL_EINVAL,
		             "computers: expected an array of at most %d",
		             ROLLUP_MAX);
		goto out;
	}
	if ((rc = store_begin(r->store, e)) != SL_OK)
		goto out;
	/* A row is only ever updated when it is a computer rolled up
	 * through this same downstream (same "downstream:<id>" token hash,
	 * server under its name): a local computer, or one of another
	 * downstream, with the same id is left alone. The state rows get
	 * reported_at = now when the downstream does not say. */
	rc = db_prepare(r->store, &s.comp,
	                "INSERT INTO computers(id, token_hash, hostname, "
	                "os_id, os_version, arch, kernel, agent_version, "
	                "group_id, registered_at, last_contact, last_report, "
	                "server) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,"
	                "coalesce(?10, ?14),?11,?12,?13) "
	                "ON CONFLICT(id) DO UPDATE SET hostname = "
	                "excluded.hostname, os_id = excluded.os_id, "
	                "os_version = excluded.os_version, arch = "
	                "excluded.arch, kernel = excluded.kernel, "
	                "agent_version = excluded.agent_version, group_id = "
	                "excluded.group_id, last_contact = "
	                "excluded.last_contact, last_report = "
	                "excluded.last_report, server = excluded.server "
	                "WHERE computers.token_hash = excluded.token_hash "
	                "AND (computers.server = ?15 OR "
	                "substr(computers.server, 1, length(?15) + 1) = "
	                "?15 || '/')",
	                e);
	if (rc == SL_OK)
		rc = db_prepare(
		        r->store, &s.del,
		        "DELETE FROM update_states WHERE computer_id = ?", e);
	if (rc == SL_OK)
		rc = db_prepare(r->store, &s.state,
		                "INSERT INTO update_states(computer_id, "
		                "update_id, revision, state, detail, "
		                "reported_at) VALUES(?,?,?,?,?,"
		                "coalesce(?6, strftime('%s','now')))",
		                e);
	if (rc == SL_OK)
		rc = db_prepare(r->store, &note,
		                "UPDATE downstream_servers SET last_rollup = ? "
		                "WHERE id = ?",
		                e);
	if (rc != SL_OK)
		goto out;
	json_array_foreach(comps, i, c)
	{
		if ((rc = rollup_one(&stored, r, &s, c, e)) != SL_OK) {
			err_prefix(e, "computers[%zu]", i);
			goto out;
		}
		n += stored;
		skipped += !stored;
	}
	sqlite3_bind_int64(note, 1, (sqlite3_int64)time(NULL));
	sqlite3_bind_int64(note, 2, r->downstream_id);
	if (sqlite3_step(note) != SQLITE_DONE) {
		rc = db_error(r->store, e, "downstream server");
		goto out;
	}
	if ((rc = store_commit(r->store, e)) != SL_OK)
		goto out;
	out->json = json_pack("{s:i,s:i}", "computers", n, "skipped", skipped);
	if (out->json == NULL)
		rc = err_set(e, SL_ENOMEM, "out of memory");
out:
	sqlite3_finalize(s.comp);
	sqlite3_finalize(s.del);
	sqlite3_finalize(s.state);
	sqlite3_finalize(note);
	json_decref(body);
	if (rc != SL_OK) {
		store_rollback(r->store);
		err_prefix(e, "rollup");
	}
	return rc;
}
