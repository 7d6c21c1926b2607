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
#include "buf.h"
#include "jsonx.h"
#include "sign.h"
#include "store/store.h"
#include "auth.h"
#include "scheduler.h"

#define NAME_MAX_LEN 128

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

int
api_admin_sync_history(struct req *r, struct reply *out, struct err *e)
{
	return api_list_reply(out, r->store, "history", store_sync_history, e);
}

static int
skip_update(void *arg, json_t *u, json_t *c)
{
	return api_update_filtered(arg, u, c);
}

int
api_admin_updates(struct req *r, struct reply *out, struct err *e)
{
	json_t *arr = json_array(), *map = NULL;
	int rc;

	if (arr == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	rc = store_begin_read(r->store, e);
	if (rc == SL_OK)
		rc = api_update_filter_check(r, e);
	if (rc == SL_OK)
		rc = store_report_counts(&map, r->store, e);
	if (rc == SL_OK)
		rc = store_updates_list(arr, r->store, map, skip_update, r, e);
	if (rc == SL_OK)
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
	json_decref(arr);
	json_decref(map);
	return rc;
}

int
api_admin_groups(struct req *r, struct reply *out, struct err *e)
{
	return api_list_reply(out, r->store, "groups", store_groups_list, e);
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
	rc = jsonx_req_str(&name, body, "name", NAME_MAX_LEN, e);
	if (rc == SL_OK)
		rc = api_group_name_ok(name, e);
	if (rc == SL_OK)
		rc = jsonx_opt_str(&parent, body, "parent", NAME_MAX_LEN, e);
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

int
api_admin_computers(struct req *r, struct reply *out, struct err *e)
{
	return api_list_reply(out, r->store, "computers", store_computers_list,
	                      e);
}

int
api_admin_computer_move(struct req *r, struct reply *out, struct err *e)
{
	const char *id = r->params[0], *group;
	char actor[STORE_ACTOR_MAX];
	json_t *body = NULL;
	bool moved;
	int64_t gid;
	int rc;

	rc = http_json_body(&body, r, e);
	if (rc == SL_OK)
		rc = jsonx_req_str(&group, body, "group", NAME_MAX_LEN, e);
	if (rc != SL_OK)
		goto out;
	rc = store_begin(r->store, e);
	if (rc != SL_OK)
		goto out;
	rc = store_group_id(&gid, r->store, group, e);
	if (rc != SL_OK)
		goto out;
	rc = store_computer_move(&moved, r->store, id, gid, e);
	if (rc != SL_OK)
		goto out;
	if (moved) {
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
	if (rc != SL_OK) {
		store_rollback(r->store);
		err_prefix(e, "move computer");
	}
	json_decref(body);
	return rc;
}

/* An integer query value in [min, max] into *out; false when not one. */
static bool
query_count(int64_t *out, const char *v, int64_t min, int64_t max)
{
	char *end;
	long long n;

	if (*v == '\0')
		return false;
	n = strtoll(v, &end, 10);
	if (*end != '\0' || n < min || n > max)
		return false;
	*out = n;
	return true;
}

/* GET /v1/admin/computers/<id>/status[?state=S&limit=N&offset=N]: the
 * computer, the counts of its states (from the counters), its states (all,
 * or the page asked for) and its newest events. The states are written as
 * JSON text a row at a time (all of them: 20,000 rows, 3 MB): a tree of
 * them cost more than the query. */
#define STATUS_PAGE_MAX 10000
#define STATUS_BODY_MAX ((size_t)256 << 20)

struct states_text {
	struct buf *b;
	bool more; /* a row was written: the next needs a comma */
};

static int
state_text(void *arg, const struct store_computer_state *st, struct err *e)
{
	struct states_text *t = arg;
	char when[21];
	int rc;

	rc = buf_puts(t->b, t->more ? ",{\"id\":" : "{\"id\":", e);
	t->more = true;
	if (rc == SL_OK)
		rc = jsonx_put_str(t->b, st->update_id, e);
	if (rc == SL_OK)
		rc = buf_printf(t->b, e, ",\"revision\":%" PRId64 ",\"title\":",
		                st->revision);
	if (rc == SL_OK)
		rc = jsonx_put_str(t->b, st->title, e);
	if (rc == SL_OK)
		rc = buf_puts(t->b, ",\"state\":", e);
	if (rc == SL_OK)
		rc = jsonx_put_str(t->b, st->state, e);
	if (rc == SL_OK)
		rc = buf_puts(t->b, ",\"detail\":", e);
	if (rc == SL_OK)
		rc = jsonx_put_str(t->b, st->detail, e);
	if (rc == SL_OK)
		rc = buf_puts(t->b, ",\"reported\":", e);
	if (rc == SL_OK)
		rc = jsonx_put_str(
		        t->b,
		        sign_time_format(when, (long long)st->reported) == 0
		                ? when
		                : NULL,
		        e);
	if (rc == SL_OK)
		rc = buf_puts(t->b, "}", e);
	if (rc == SL_ETOOBIG)
		rc = err_set(e, SL_ETOOBIG,
		             "over %zu MB of states: ask for pages (limit, "
		             "offset)",
		             STATUS_BODY_MAX >> 20);
	return rc;
}

/* Start b (empty) with {"computer", "counts", "events"} and an open
 * "updates" array for the states; b may then grow by STATUS_BODY_MAX
 * (the head itself is bounded by the events kept: 200 of at most 64 KB
 * of output each, which escaping may make six times as long). */
static int
status_head(struct buf *b, json_t *comp, json_t *counts, json_t *evs,
            struct err *e)
{
	json_t *head = json_pack("{s:O,s:O,s:O}", "computer", comp, "counts",
	                         counts, "events", evs);
	char *h = head != NULL ? json_dumps(head, JSON_COMPACT) : NULL;
	int rc;

	json_decref(head);
	if (h == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	buf_init(b, strlen(h) + STATUS_BODY_MAX);
	rc = buf_append(b, h, strlen(h) - 1, e); /* without its '}' */
	free(h);
	return rc == SL_OK ? buf_puts(b, ",\"updates\":[", e) : rc;
}

/* out->raw: the text of b, closed. */
static int
status_reply(struct reply *out, struct buf *b, struct err *e)
{
	char *body;
	size_t len;
	int rc = buf_puts(b, "]}", e);

	if (rc != SL_OK)
		return rc;
	body = buf_steal(b, &len);
	out->raw = http_json_text_response(body, len);
	if (out->raw == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	out->bytes = len;
	return SL_OK;
}

int
api_admin_computer_status(struct req *r, struct reply *out, struct err *e)
{
	json_t *comp = NULL, *evs = json_array(), *counts = NULL;
	const char *id = r->params[0], *lim = api_query(r, "limit");
	const char *off = api_query(r, "offset");
	struct store_page pg = {.state = api_query(r, "state"),
	                        .limit = INT64_MAX};
	struct buf b;
	struct states_text t = {.b = &b};
	int rc = SL_OK;

	buf_init(&b, STATUS_BODY_MAX); /* status_head sets it again */
	if (evs == NULL) {
		rc = err_set(e, SL_ENOMEM, "out of memory");
		goto out;
	}
	if (pg.state != NULL && *pg.state == '\0')
		pg.state = NULL;
	if (lim != NULL && !query_count(&pg.limit, lim, 1, STATUS_PAGE_MAX)) {
		rc = err_set(e, SL_EINVAL, "limit: expected 1 to %d",
		             STATUS_PAGE_MAX);
		goto out;
	}
	if (off != NULL && !query_count(&pg.offset, off, 0, INT64_MAX / 2)) {
		rc = err_set(e, SL_EINVAL, "offset: expected 0 or more");
		goto out;
	}
	rc = store_begin_read(r->store, e);
	if (rc == SL_OK)
		rc = store_computer_status(&comp, evs, r->store, id, e);
	if (rc == SL_OK)
		rc = store_computer_counts(&counts, r->store, id, e);
	if (rc == SL_OK)
		rc = status_head(&b, comp, counts, evs, e);
	if (rc == SL_OK)
		rc = store_computer_states(r->store, id, &pg, state_text, &t,
		                           e);
	if (rc == SL_OK)
		rc = store_commit(r->store, e);
	if (rc == SL_OK)
		rc = status_reply(out, &b, e);
out:
	if (rc != SL_OK) {
		store_rollback(r->store);
		err_prefix(e, "computer status");
	}
	buf_free(&b);
	json_decref(comp);
	json_decref(counts);
	json_decref(evs);
	return rc;
}
