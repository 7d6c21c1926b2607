/*
 * api_agent: the agent-facing endpoints — register, sync (full or
 * incremental by change-sequence anchor) and report (idempotent).
 *
 * Anchors: every change an agent must see bumps meta 'change_seq' and
 * stamps the changed row (approvals, approval_removals, update_status,
 * computers.group_seq). The anchor handed out is the sequence value read
 * in the same snapshot as the data, so "changed since A" is exactly
 * "change_seq > A".
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "store/approvals.h"
#include "auth.h"
#include "hash.h"
#include "sign.h"
#include "store/targeting.h"

#define FIELD_MAX     255
#define DETAIL_MAX    4096
#define OUTPUT_MAX    (64u << 10)
#define BATCH_MAX     10000
#define CLIENT_GROUPS 32

static const char *const states[] = {
        "not-applicable",           "needed", "downloaded", "installed",
        "installed-pending-reboot", "failed", NULL,
};
static const char *const kinds[] = {"install", "uninstall", "download",
                                    "verify", NULL};
static const char *const results[] = {"success", "failure", "reboot-required",
                                      NULL};

static int
in_list(const char *s, const char *const *l)
{
	for (; *l; l++)
		if (strcmp(s, *l) == 0)
			return 1;
	return 0;
}

/* The group a registering computer joins: see targeting.h. */
static int
pick_group(int64_t *out, struct store *db, json_t *groups, struct err *e)
{
	size_t i;
	json_t *g;

	if (groups != NULL && !json_is_null(groups)) {
		if (!json_is_array(groups) ||
		    json_array_size(groups) > CLIENT_GROUPS)
			return err_set(e, SL_EINVAL,
			               "groups: expected an array of at most "
			               "%d names",
			               CLIENT_GROUPS);
		json_array_foreach(groups, i, g)
		{
			if (!json_is_string(g) ||
			    json_string_length(g) > FIELD_MAX)
				return err_set(e, SL_EINVAL,
				               "groups[%zu]: expected a name",
				               i);
		}
	}
	return targeting_pick_group(out, db, groups, e);
}

int
api_agent_register(struct req *r, struct reply *out, struct err *e)
{
	static const char *const opt[] = {"os_id", "os_version", "arch",
	                                  "kernel", "agent_version"};
	const char *hostname, *vals[5];
	char id[AUTH_UUID_LEN + 1], tok[AUTH_TOKEN_LEN + 1],
	        th[AUTH_TOKEN_LEN + 1];
	sqlite3_stmt *st = NULL;
	json_t *body = NULL;
	int64_t gid;
	int rc;

	rc = http_json_body(&body, r, e);
	if (rc != SL_OK)
		return rc;
	rc = api_req_str(&hostname, body, "hostname", FIELD_MAX, e);
	for (size_t i = 0; rc == SL_OK && i < 5; i++)
		rc = api_opt_str(&vals[i], body, opt[i], FIELD_MAX, e);
	if (rc != SL_OK)
		goto out;
	rc = store_begin(r->store, e);
	if (rc != SL_OK)
		goto out;
	rc = pick_group(&gid, r->store, json_object_get(body, "groups"), e);
	if (rc != SL_OK)
		goto out;
	auth_uuid(id);
	auth_token_new(tok);
	auth_token_hash(th, tok);
	rc = db_prepare(r->store, &st,
	                "INSERT INTO computers(id, token_hash, hostname, "
	                "os_id, os_version, arch, kernel, agent_version, "
	                "group_id, registered_at, last_contact) "
	                "VALUES(?,?,?,?,?,?,?,?,?,?,?)",
	                e);
	if (rc != SL_OK)
		goto out;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, th, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, hostname, -1, SQLITE_STATIC);
	for (int i = 0; i < 5; i++)
		sqlite3_bind_text(st, 4 + i, vals[i], -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 9, gid);
	sqlite3_bind_int64(st, 10, (sqlite3_int64)time(NULL));
	sqlite3_bind_int64(st, 11, (sqlite3_int64)time(NULL));
	if (sqlite3_step(st) != SQLITE_DONE) {
		rc = db_error(r->store, e, "register");
		goto out;
	}
	rc = store_commit(r->store, e);
	if (rc != SL_OK)
		goto out;
	out->json = json_pack("{s:s,s:s}", "computer_id", id, "token", tok);
	if (out->json == NULL)
		rc = err_set(e, SL_ENOMEM, "out of memory");
out:
	sqlite3_finalize(st);
	if (rc != SL_OK)
		store_rollback(r->store);
	sodium_memzero(tok, sizeof(tok));
	json_decref(body);
	return rc;
}

/* A decimal anchor; -1 when absent or not one of ours. */
static int64_t
parse_anchor(json_t *v)
{
	const char *s;
	int64_t a = 0;
	size_t n;

	if (v == NULL || !json_is_string(v))
		return -1;
	s = json_string_value(v);
	n = strlen(s);
	if (n == 0 || n > 18)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		a = a * 10 + (s[i] - '0');
	}
	return a;
}

static int
add_files(json_t *files, sqlite3_stmt *fst, const char *id, int64_t rev,
          const struct req *r, const char *base, struct err *e)
{
	char url[4096];
	int rc;

	sqlite3_reset(fst);
	sqlite3_bind_text(fst, 1, id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(fst, 2, rev);
	while ((rc = sqlite3_step(fst)) == SQLITE_ROW) {
		const char *sha = (const char *)sqlite3_column_text(fst, 0);
		const char *up = (const char *)sqlite3_column_text(fst, 2);
		api_content_url(url, sizeof(url), r, base, sha, up);
		if (json_array_append_new(
		            files,
		            json_pack("{s:s,s:I,s:s}", "sha256", sha, "size",
		                      (json_int_t)sqlite3_column_int64(fst, 1),
		                      "url", url)) != 0)
			return err_set(e, SL_ENOMEM, "out of memory");
	}
	if (rc != SQLITE_DONE)
		return db_error(r->store, e, "update files");
	return SL_OK;
}

/* Append the approved updates of group gid (with what it inherits from its
 * parents, see approvals.h) changed after `since` (all when since < 0). */
static int
add_approved(json_t *updates, const struct req *r, int64_t gid, int64_t since,
             const char *base, struct err *e)
{
	sqlite3_stmt *st = NULL, *fst = NULL;
	json_error_t je;
	int rc;

	rc = approvals_prepare_set(&st, r->store, gid, since, e);
	if (rc == SL_OK)
		rc = db_prepare(r->store, &fst,
		                "SELECT sha256, size, upstream_url FROM "
		                "update_files WHERE update_id = ? AND "
		                "revision = ? ORDER BY name, sha256",
		                e);
	if (rc != SL_OK)
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *id = (const char *)sqlite3_column_text(st, 0);
		int64_t rev = sqlite3_column_int64(st, 1);
		const char *docs = (const char *)sqlite3_column_text(st, 4);
		json_t *doc, *files, *u;

		doc = json_loads(docs ? docs : "", 0, &je);
		if (doc == NULL) {
			rc = err_set(e, SL_EINTERNAL,
			             "stored document of %s revision %" PRId64
			             " does not parse",
			             id, rev);
			goto out;
		}
		files = json_array();
		u = json_pack("{s:s,s:I,s:{s:s,s:o},s:o,s:o}", "id", id,
		              "revision", (json_int_t)rev, "approval", "action",
		              (const char *)sqlite3_column_text(st, 2),
		              "deadline", api_time_or_null(st, 3), "document",
		              doc, "files", files);
		if (u == NULL || json_array_append_new(updates, u) != 0) {
			rc = err_set(e, SL_ENOMEM, "out of memory");
			goto out;
		}
		rc = add_files(files, fst, id, rev, r, base, e);
		if (rc != SL_OK)
			goto out;
	}
	rc = rc == SQLITE_DONE ? SL_OK : db_error(r->store, e, "approved set");
out:
	sqlite3_finalize(st);
	sqlite3_finalize(fst);
	return rc;
}

/* Ids no longer approved for group gid since `since`: approvals removed,
 * and approved updates declined or expired since. */
static int
add_removed(json_t *removed, const struct req *r, int64_t gid, int64_t since,
            struct err *e)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = approvals_prepare_removed(&st, r->store, gid, since, e);
	if (rc != SL_OK)
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (json_array_append_new(
		            removed,
		            json_string((const char *)sqlite3_column_text(
		                    st, 0))) != 0) {
			sqlite3_finalize(st);
			return err_set(e, SL_ENOMEM, "out of memory");
		}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? SL_OK : db_error(r->store, e, "removed set");
}

static int
touch_contact(struct store *db, const char *id, const char *col, struct err *e)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = db_prepare(db, &st,
	                strcmp(col, "last_report") == 0
	                        ? "UPDATE computers SET last_contact = ?1, "
	                          "last_report = ?1 WHERE id = ?2"
	                        : "UPDATE computers SET last_contact = ?1 "
	                          "WHERE id = ?2",
	                e);
	if (rc != SL_OK)
		return rc;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)time(NULL));
	sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st) == SQLITE_DONE ? SL_OK
	                                     : db_error(db, e, "last contact");
	sqlite3_finalize(st);
	return rc;
}

int
api_agent_sync(struct req *r, struct reply *out, struct err *e)
{
	json_t *body = NULL, *anchor_v, *updates = NULL, *removed = NULL;
	char base[2048], anchor[24];
	sqlite3_stmt *st = NULL;
	int64_t since, gid, gseq, cur;
	int rc, full, stale;

	rc = http_json_body(&body, r, e);
	if (rc != SL_OK)
		return rc;
	anchor_v = json_object_get(body, "anchor");
	if (anchor_v != NULL && !json_is_null(anchor_v) &&
	    !json_is_string(anchor_v)) {
		rc = err_set(e, SL_EINVAL, "anchor: expected a string or null");
		goto out;
	}
	since = parse_anchor(anchor_v);
	rc = http_public_base(base, sizeof(base), r, e);
	if (rc != SL_OK)
		goto out;
	/* One read snapshot for the sequence and the data. */
	rc = store_begin_read(r->store, e);
	if (rc != SL_OK)
		goto out;
	rc = db_prepare(r->store, &st,
	                "SELECT group_id, group_seq, last_contact FROM "
	                "computers WHERE id = ?",
	                e);
	if (rc != SL_OK)
		goto out;
	sqlite3_bind_text(st, 1, r->computer_id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW) {
		rc = err_set(e, SL_EAUTH, "unknown computer");
		goto out;
	}
	gid = sqlite3_column_int64(st, 0);
	gseq = sqlite3_column_int64(st, 1);
	/* Contact time to the minute: a computer syncing often does not take
	 * the write lock each time. */
	stale = sqlite3_column_type(st, 2) == SQLITE_NULL ||
	        sqlite3_column_int64(st, 2) < (sqlite3_int64)time(NULL) - 60;
	/* Done with the row: a statement left pending would keep the read
	 * snapshot past COMMIT and make the contact UPDATE fail as busy. */
	sqlite3_reset(st);
	rc = store_seq_current(r->store, &cur, e);
	if (rc != SL_OK)
		goto out;
	full = since < 0 || since > cur || gseq > since;
	updates = json_array();
	removed = json_array();
	if (updates == NULL || removed == NULL) {
		rc = err_set(e, SL_ENOMEM, "out of memory");
		goto out;
	}
	/* The change sequence is global: an anchor equal to it means nothing
	 * changed anywhere since, so a no-change sync costs no query. */
	if (full || since < cur) {
		rc = add_approved(updates, r, gid, full ? -1 : since, base, e);
		if (rc == SL_OK && !full)
			rc = add_removed(removed, r, gid, since, e);
	}
	if (rc != SL_OK)
		goto out;
	rc = store_commit(r->store, e);
	if (rc == SL_OK && stale)
		rc = touch_contact(r->store, r->computer_id, "last_contact", e);
	if (rc != SL_OK)
		goto out;
	snprintf(anchor, sizeof(anchor), "%" PRId64, cur);
	out->json = json_pack("{s:s,s:b,s:o,s:o}", "anchor", anchor, "full",
	                      full, "updates", updates, "removed", removed);
	updates = removed = NULL;
	if (out->json == NULL)
		rc = err_set(e, SL_ENOMEM, "out of memory");
out:
	sqlite3_finalize(st);
	if (rc != SL_OK) {
		store_rollback(r->store);
		err_prefix(e, "sync");
	}
	json_decref(updates);
	json_decref(removed);
	json_decref(body);
	return rc;
}

static int
check_int(json_t *o, const char *key, int required, int64_t min,
          const char *what, size_t i, struct err *e)
{
	json_t *v = json_object_get(o, key);

	if (v == NULL || json_is_null(v)) {
		if (required)
			return err_set(e, SL_EINVAL, "%s[%zu].%s: required",
			               what, i, key);
		return SL_OK;
	}
	if (!json_is_integer(v) || json_integer_value(v) < min)
		return err_set(e, SL_EINVAL,
		               "%s[%zu].%s: expected an integer >= %" PRId64,
		               what, i, key, min);
	return SL_OK;
}

static int
check_enum(const char **out, json_t *o, const char *key,
           const char *const *allowed, const char *what, size_t i,
           struct err *e)
{
	int rc = api_req_str(out, o, key, FIELD_MAX, e);

	if (rc == SL_OK && !in_list(*out, allowed))
		rc = err_set(e, SL_EINVAL, "%s: '%s' is not a known value", key,
		             *out);
	if (rc != SL_OK)
		return err_prefix(e, "%s[%zu]", what, i);
	return SL_OK;
}

/* Validate every state and event before anything is stored. */
static int
validate_report(json_t *states_v, json_t *events_v, struct err *e)
{
	const char *s;
	json_t *o;
	size_t i;
	int rc;

	json_array_foreach(states_v, i, o)
	{
		if (!json_is_object(o))
			return err_set(e, SL_EINVAL,
			               "states[%zu]: expected an object", i);
		rc = api_req_str(&s, o, "id", FIELD_MAX, e);
		if (rc == SL_OK && !auth_is_uuid(s))
			rc = err_set(e, SL_EINVAL, "id: expected a UUID");
		if (rc == SL_OK)
			rc = api_opt_str(&s, o, "detail", DETAIL_MAX, e);
		if (rc != SL_OK)
			return err_prefix(e, "states[%zu]", i);
		rc = check_int(o, "revision", 1, 1, "states", i, e);
		if (rc == SL_OK)
			rc = check_enum(&s, o, "state", states, "states", i, e);
		if (rc != SL_OK)
			return rc;
	}
	json_array_foreach(events_v, i, o)
	{
		if (!json_is_object(o))
			return err_set(e, SL_EINVAL,
			               "events[%zu]: expected an object", i);
		rc = api_req_str(&s, o, "event_id", 64, e);
		if (rc == SL_OK)
			rc = api_req_str(&s, o, "id", FIELD_MAX, e);
		if (rc == SL_OK && !auth_is_uuid(s))
			rc = err_set(e, SL_EINVAL, "id: expected a UUID");
		if (rc == SL_OK)
			rc = api_opt_str(&s, o, "time", 64, e);
		if (rc == SL_OK)
			rc = api_opt_str(&s, o, "output", OUTPUT_MAX, e);
		if (rc != SL_OK)
			return err_prefix(e, "events[%zu]", i);
		rc = check_int(o, "revision", 0, 1, "events", i, e);
		if (rc == SL_OK)
			rc = check_int(o, "exit_code", 0, INT32_MIN, "events",
			               i, e);
		if (rc == SL_OK)
			rc = check_enum(&s, o, "kind", kinds, "events", i, e);
		if (rc == SL_OK)
			rc = check_enum(&s, o, "result", results, "events", i,
			                e);
		if (rc != SL_OK)
			return rc;
	}
	return SL_OK;
}

static void
bind_opt_text(sqlite3_stmt *st, int col, json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	if (json_is_string(v))
		sqlite3_bind_text(st, col, json_string_value(v), -1,
		                  SQLITE_STATIC);
	else
		sqlite3_bind_null(st, col);
}

static void
bind_opt_int(sqlite3_stmt *st, int col, json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	if (json_is_integer(v))
		sqlite3_bind_int64(st, col, json_integer_value(v));
	else
		sqlite3_bind_null(st, col);
}

static int
store_report(int *n_events, const struct req *r, json_t *states_v,
             json_t *events_v, struct err *e)
{
	sqlite3_stmt *sst = NULL, *est = NULL;
	sqlite3_int64 now = (sqlite3_int64)time(NULL);
	json_t *o;
	size_t i;
	int rc;

	*n_events = 0;
	rc = db_prepare(r->store, &sst,
	                "INSERT INTO update_states(computer_id, update_id, "
	                "revision, state, detail, reported_at) "
	                "VALUES(?,?,?,?,?,?) ON CONFLICT(computer_id, "
	                "update_id) DO UPDATE SET revision = "
	                "excluded.revision, state = excluded.state, detail = "
	                "excluded.detail, reported_at = excluded.reported_at",
	                e);
	if (rc == SL_OK)
		rc = db_prepare(r->store, &est,
		                "INSERT OR IGNORE INTO events(event_id, "
		                "computer_id, update_id, revision, time, kind, "
		                "result, exit_code, output, received_at) "
		                "VALUES(?,?,?,?,?,?,?,?,?,?)",
		                e);
	if (rc != SL_OK)
		goto out;
	json_array_foreach(states_v, i, o)
	{
		sqlite3_reset(sst);
		sqlite3_bind_text(sst, 1, r->computer_id, -1, SQLITE_STATIC);
		bind_opt_text(sst, 2, o, "id");
		bind_opt_int(sst, 3, o, "revision");
		bind_opt_text(sst, 4, o, "state");
		bind_opt_text(sst, 5, o, "detail");
		sqlite3_bind_int64(sst, 6, now);
		if (sqlite3_step(sst) != SQLITE_DONE) {
			rc = db_error(r->store, e, "store state");
			goto out;
		}
	}
	json_array_foreach(events_v, i, o)
	{
		sqlite3_reset(est);
		bind_opt_text(est, 1, o, "event_id");
		sqlite3_bind_text(est, 2, r->computer_id, -1, SQLITE_STATIC);
		bind_opt_text(est, 3, o, "id");
		bind_opt_int(est, 4, o, "revision");
		bind_opt_text(est, 5, o, "time");
		bind_opt_text(est, 6, o, "kind");
		bind_opt_text(est, 7, o, "result");
		bind_opt_int(est, 8, o, "exit_code");
		bind_opt_text(est, 9, o, "output");
		sqlite3_bind_int64(est, 10, now);
		if (sqlite3_step(est) != SQLITE_DONE) {
			rc = db_error(r->store, e, "store event");
			goto out;
		}
		*n_events += sqlite3_changes(db_handle(r->store));
	}
out:
	sqlite3_finalize(sst);
	sqlite3_finalize(est);
	return rc;
}

int
api_agent_report(struct req *r, struct reply *out, struct err *e)
{
	json_t *body = NULL, *states_v, *events_v, *empty = NULL;
	int rc, n_events = 0;

	rc = http_json_body(&body, r, e);
	if (rc != SL_OK)
		return err_prefix(e, "report");
	empty = json_array();
	if (empty == NULL) {
		rc = err_set(e, SL_ENOMEM, "out of memory");
		goto out;
	}
	states_v = json_object_get(body, "states");
	events_v = json_object_get(body, "events");
	if (states_v == NULL || json_is_null(states_v))
		states_v = empty;
	if (events_v == NULL || json_is_null(events_v))
		events_v = empty;
	if (!json_is_array(states_v) || !json_is_array(events_v) ||
	    json_array_size(states_v) > BATCH_MAX ||
	    json_array_size(events_v) > BATCH_MAX) {
		rc = err_set(e, SL_EINVAL,
		             "states and events: expected arrays of at most %d "
		             "entries",
		             BATCH_MAX);
		goto out;
	}
	rc = validate_report(states_v, events_v, e);
	if (rc != SL_OK)
		goto out;
	rc = store_begin(r->store, e);
	if (rc == SL_OK)
		rc = store_report(&n_events, r, states_v, events_v, e);
	if (rc == SL_OK)
		rc = touch_contact(r->store, r->computer_id, "last_report", e);
	if (rc == SL_OK)
		rc = store_commit(r->store, e);
	if (rc != SL_OK)
		goto out;
	out->json = json_pack("{s:I,s:I}", "states",
	                      (json_int_t)json_array_size(states_v), "events",
	                      (json_int_t)n_events);
	if (out->json == NULL)
		rc = err_set(e, SL_ENOMEM, "out of memory");
out:
	if (rc != SL_OK) {
		store_rollback(r->store);
		err_prefix(e, "report");
	}
	json_decref(empty);
	json_decref(body);
	return rc;
}
