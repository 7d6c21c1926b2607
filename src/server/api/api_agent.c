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
#include "api_agent_body.h"
#include "array.h"
#include "store/store.h"
#include "store/store_contact.h"
#include "auth.h"
#include "hash.h"
#include "sign.h"
#include "api_targeting.h"
#include "api_enroll.h"
#include "api_agent_page.h"
#include "report_body.h"

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
	return api_targeting_pick_group(out, db, groups, e);
}

/* Client-side targeting with several names: the computer joins every one
 * that exists (its first group is gid); *joined gets their names (or
 * the name of gid, the one group it landed in: Unassigned Computers or
 * the group an enrollment key pinned), *unknown the names that do not
 * exist. */
static int
join_groups(json_t **joined, json_t **unknown, struct store *db, const char *id,
            int64_t gid, json_t *groups, struct err *e)
{
	json_t *j = json_array(), *u = json_array(), *g;
	struct targeting t;
	bool changed;
	int64_t other;
	size_t i;
	int rc;

	if (j == NULL || u == NULL) {
		rc = err_set(e, SL_ENOMEM, "out of memory");
		goto out;
	}
	rc = api_targeting_get(&t, db, e);
	if (rc == SL_OK && strcmp(t.mode, TARGETING_CLIENT) == 0 &&
	    json_is_array(groups)) {
		json_array_foreach(groups, i, g)
		{
			const char *name = json_string_value(g);

			rc = store_group_id(&other, db, name, e);
			if (rc == SL_ENOTFOUND) {
				json_array_append_new(u, json_string(name));
				rc = SL_OK;
				continue;
			}
			if (rc == SL_OK && other != gid)
				rc = store_computer_group_add(&changed, db, id,
				                              other, e);
			if (rc != SL_OK)
				goto out;
			json_array_append_new(j, json_string(name));
		}
	}
	if (rc == SL_OK && json_array_size(j) == 0) {
		struct store_group_info gi;

		rc = store_group_info(&gi, db, gid, e);
		if (rc == SL_OK)
			json_array_append_new(j, json_string(gi.name));
	}
out:
	if (rc != SL_OK) {
		json_decref(j);
		json_decref(u);
		return rc;
	}
	*joined = j;
	*unknown = u;
	return SL_OK;
}

int
api_agent_register(struct req *r, struct reply *out, struct err *e)
{
	static const char *const opt[] = {"os_id",         "os_version",
	                                  "arch",          "kernel",
	                                  "agent_version", "machine_id"};
	const char *hostname, *vals[6];
	char id[AUTH_UUID_LEN + 1], tok[AUTH_TOKEN_LEN + 1],
	        th[AUTH_TOKEN_LEN + 1], replaced[40];
	struct store_computer_new c;
	json_t *body = NULL, *joined = NULL, *unknown = NULL;
	int64_t gid, key_id = 0;
	bool pinned = false;
	int rc;

	rc = http_json_body(&body, r, e);
	if (rc != SL_OK)
		return rc;
	rc = jsonx_req_str(&hostname, body, "hostname", FIELD_MAX, e);
	for (size_t i = 0; rc == SL_OK && i < 6; i++)
		rc = jsonx_opt_str(&vals[i], body, opt[i], FIELD_MAX, e);
	if (rc != SL_OK)
		goto out;
	rc = store_begin(r->store, e);
	if (rc != SL_OK)
		goto out;
	/* The enrollment key (or open registration) and the group. */
	rc = api_enroll_admit(&key_id, &gid, &pinned, r->store, body,
	                      pick_group, e);
	if (rc != SL_OK)
		goto out;
	auth_uuid(id);
	auth_token_new(tok);
	auth_token_hash(th, tok);
	c = (struct store_computer_new){
	        .id = id,
	        .token_hash = th,
	        .hostname = hostname,
	        .os_id = vals[0],
	        .os_version = vals[1],
	        .arch = vals[2],
	        .kernel = vals[3],
	        .agent_version = vals[4],
	        .group_id = gid,
	        .now = (int64_t)time(NULL),
	        .machine_id = vals[5] && *vals[5] ? vals[5] : NULL,
	};
	rc = store_computer_register(replaced, r->store, &c, e);
	if (rc != SL_OK)
		goto out;
	if (replaced[0] != '\0')
		snprintf(id, sizeof(id), "%.36s", replaced);
	rc = api_enroll_audit(r->store, id, hostname, gid, key_id, e);
	if (rc != SL_OK)
		goto out;
	/* A key that pins groups decides them alone. */
	rc = join_groups(&joined, &unknown, r->store, id, gid,
	                 pinned ? NULL : json_object_get(body, "groups"), e);
	if (rc != SL_OK)
		goto out;
	rc = store_commit(r->store, e);
	if (rc != SL_OK)
		goto out;
	out->json = json_pack("{s:s,s:s,s:o,s:o,s:b}", "computer_id", id,
	                      "token", tok, "groups", joined, "unknown_groups",
	                      unknown, "replaced", replaced[0] != '\0');
	joined = unknown = NULL;
	if (out->json == NULL)
		rc = err_set(e, SL_ENOMEM, "out of memory");
out:
	if (rc != SL_OK)
		store_rollback(r->store);
	sodium_memzero(tok, sizeof(tok));
	json_decref(joined);
	json_decref(unknown);
	json_decref(body);
	return rc;
}

struct approved_ctx {
	json_t *updates;
	json_t *files; /* of the update being added */
	const struct req *r;
	const char *base;
};

static int
add_file(void *arg, const struct store_file *f, struct err *e)
{
	struct approved_ctx *c = arg;
	char url[4096];

	api_content_url(url, sizeof(url), c->r, c->base, f->sha256,
	                f->upstream_url);
	if (json_array_append_new(c->files, json_pack("{s:s,s:I,s:s}", "sha256",
	                                              f->sha256, "size",
	                                              (json_int_t)f->size,
	                                              "url", url)) != 0)
		return err_set(e, SL_ENOMEM, "out of memory");
	return SL_OK;
}

static int
add_one(void *arg, const struct store_approved *a, struct err *e)
{
	struct approved_ctx *c = arg;
	json_error_t je;
	json_t *doc, *u;

	doc = json_loads(a->document ? a->document : "", 0, &je);
	if (doc == NULL)
		return err_set(e, SL_EINTERNAL,
		               "stored document of %s revision %" PRId64
		               " does not parse",
		               a->update_id, a->revision);
	c->files = json_array();
	u = json_pack("{s:s,s:I,s:{s:s,s:o},s:o,s:o}", "id", a->update_id,
	              "revision", (json_int_t)a->revision, "approval", "action",
	              a->action, "deadline",
	              a->has_deadline ? api_time(a->deadline) : json_null(),
	              "document", doc, "files", c->files);
	if (u == NULL || json_array_append_new(c->updates, u) != 0)
		return err_set(e, SL_ENOMEM, "out of memory");
	return store_update_files_each(c->r->store, a->update_id, a->revision,
	                               add_file, c, e);
}

/* Append the approved updates of group gid (with what it inherits from its
 * parents, see store.h) changed after `since` (all when since < 0). */
static int
add_approved(json_t *updates, const struct req *r, int64_t gid, int64_t since,
             const char *base, struct err *e)
{
	struct approved_ctx c = {updates, NULL, r, base};

	return store_approved_each(r->store, gid, r->computer_id, since,
	                           add_one, &c, e);
}

static int
add_id(void *arg, const char *id, struct err *e)
{
	if (json_array_append_new(arg, json_string(id)) != 0)
		return err_set(e, SL_ENOMEM, "out of memory");
	return SL_OK;
}

/* A page cursor "SINCE/ANCHOR/LASTID" (SINCE -1: a full sync): the next
 * page continues the same sync at the same anchor after LASTID. */
static int
parse_cursor(int64_t *since, int64_t *cur, char after[40], const char *c,
             struct err *e)
{
	char buf[96], *p, *q;

	if (strlen(c) >= sizeof(buf))
		goto bad;
	snprintf(buf, sizeof(buf), "%s", c);
	p = strchr(buf, '/');
	q = p ? strchr(p + 1, '/') : NULL;
	if (q == NULL || strlen(q + 1) == 0 || strlen(q + 1) >= 40)
		goto bad;
	*p = *q = '\0';
	*since = strcmp(buf, "f") == 0 ? -1 : agent_decimal(buf, strlen(buf));
	*cur = agent_decimal(p + 1, strlen(p + 1));
	if ((*since < 0 && strcmp(buf, "f") != 0) || *cur < 0 ||
	    !auth_is_uuid(q + 1))
		goto bad;
	snprintf(after, 40, "%s", q + 1);
	return SL_OK;
bad:
	return err_set(e, SL_EINVAL, "cursor: not one this server made");
}

int
api_agent_sync(struct req *r, struct reply *out, struct err *e)
{
	json_t *updates = NULL, *removed = NULL;
	char base[2048], anchor[24], after[40] = "";
	struct store_computer_sync c;
	struct agent_sync_args a;
	int64_t since, cur, now, limit;
	const char *cursor;
	int rc, full, stale, proto, in_txn = 0;

	/* Protocol 2 pages: at most a.limit updates per answer, so neither
	 * side ever holds the whole set. */
	rc = agent_sync_args(&a, r, e);
	if (rc == SL_EPARSE) /* "request body: ..." */
		return rc;
	if (rc != SL_OK)
		return err_prefix(e, "sync");
	since = a.since;
	proto = a.proto;
	limit = a.limit;
	cursor = a.has_cursor ? a.cursor : NULL;
	/* Every sync records its contact: in memory, written in batches
	 * (store_contact.h), or else written here to the minute. */
	now = (int64_t)time(NULL);
	c = r->computer_sync;
	cur = r->computer_seq;
	stale = !c.has_contact || c.last_contact < now - 60;
	if (r->env->contacts != NULL) {
		store_contacts_note(r->env->contacts, r->computer_id, now);
		stale = 0;
	}
	if (proto == 2 && cursor != NULL) {
		/* A later page: the sync the first page started, at its
		 * anchor (changes since are sent again next time). */
		rc = parse_cursor(&since, &cur, after, cursor, e);
		if (rc != SL_OK)
			goto out;
		full = since < 0;
	} else
		full = since < 0 || since > cur || c.group_seq > since;
	if (proto == 2) {
		struct agent_page_req q;

		/* A no-change first page needs no query (api_agent_page);
		 * anything else reads in one snapshot. */
		if (full || since < cur || cursor != NULL) {
			rc = http_public_base(base, sizeof(base), r, e);
			if (rc == SL_OK)
				rc = store_begin_read(r->store, e);
			if (rc != SL_OK)
				goto out;
			in_txn = 1;
			rc = store_computer_sync_state(&c, r->store,
			                               r->computer_id, e);
			if (rc == SL_ENOTFOUND)
				rc = err_set(e, SL_EAUTH, "unknown computer");
			if (rc == SL_OK && cursor == NULL) {
				rc = store_seq_current(r->store, &cur, e);
				full = since < 0 || since > cur ||
				       c.group_seq > since;
			}
			if (rc != SL_OK)
				goto out;
		}
		q = (struct agent_page_req){
		        .gid = c.group_id,
		        .since = full ? -1 : since,
		        .cur = cur,
		        .full = full,
		        .first = cursor == NULL,
		        .after = after,
		        .limit = limit,
		        .base = base,
		};
		rc = api_agent_page(out, r, &q, e);
		goto done;
	}
	updates = json_array();
	removed = json_array();
	if (updates == NULL || removed == NULL) {
		rc = err_set(e, SL_ENOMEM, "out of memory");
		goto out;
	}
	/* The change sequence is global: an anchor equal to it means nothing
	 * changed anywhere since. The computer row and the sequence came from
	 * one statement with the token (one snapshot), so a no-change sync
	 * costs no further query and no transaction. */
	if (full || since < cur) {
		rc = http_public_base(base, sizeof(base), r, e);
		if (rc != SL_OK)
			goto out;
		/* One read snapshot for the sequence and the data. */
		rc = store_begin_read(r->store, e);
		if (rc != SL_OK)
			goto out;
		rc = store_computer_sync_state(&c, r->store, r->computer_id, e);
		if (rc == SL_ENOTFOUND)
			rc = err_set(e, SL_EAUTH, "unknown computer");
		if (rc == SL_OK)
			rc = store_seq_current(r->store, &cur, e);
		if (rc != SL_OK)
			goto out;
		full = since < 0 || since > cur || c.group_seq > since;
		rc = add_approved(updates, r, c.group_id, full ? -1 : since,
		                  base, e);
		if (rc == SL_OK && !full)
			/* Ids no longer approved since `since`: approvals
			 * removed, approved updates declined or expired. */
			rc = store_removed_each(r->store, c.group_id,
			                        r->computer_id, since, add_id,
			                        removed, e);
		in_txn = 1;
	}
	if (rc != SL_OK)
		goto out;
	snprintf(anchor, sizeof(anchor), "%" PRId64, cur);
	out->json = json_pack("{s:s,s:b,s:o,s:o}", "anchor", anchor, "full",
	                      full, "updates", updates, "removed", removed);
	updates = removed = NULL;
	if (out->json == NULL)
		rc = err_set(e, SL_ENOMEM, "out of memory");
done:
	if (rc == SL_OK && in_txn)
		rc = store_commit(r->store, e);
	if (rc == SL_OK && stale)
		rc = store_computer_touch(r->store, r->computer_id, now, false,
		                          e);
	if (rc == SL_ENOTFOUND)
		rc = err_set(e, SL_EAUTH, "unknown computer");
out:
	if (rc != SL_OK) {
		store_rollback(r->store);
		err_prefix(e, "sync");
		json_decref(out->json);
		out->json = NULL;
		if (out->raw != NULL)
			MHD_destroy_response(out->raw);
		out->raw = NULL;
	}
	json_decref(updates);
	json_decref(removed);
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
	int rc = jsonx_req_str(out, o, key, FIELD_MAX, e);

	if (rc == SL_OK && !in_list(*out, allowed))
		rc = err_set(e, SL_EINVAL, "%s: '%s' is not a known value", key,
		             *out);
	if (rc != SL_OK)
		return err_prefix(e, "%s[%zu]", what, i);
	return SL_OK;
}

/* Validate every state before anything is stored (the events are checked
 * as they are read: report_body.c). */
static int
validate_states(json_t *states_v, struct err *e)
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
		rc = jsonx_req_str(&s, o, "id", FIELD_MAX, e);
		if (rc == SL_OK && !auth_is_uuid(s))
			rc = err_set(e, SL_EINVAL, "id: expected a UUID");
		if (rc == SL_OK)
			rc = jsonx_opt_str(&s, o, "detail", DETAIL_MAX, e);
		if (rc != SL_OK)
			return err_prefix(e, "states[%zu]", i);
		rc = check_int(o, "revision", 1, 1, "states", i, e);
		if (rc == SL_OK)
			rc = check_enum(&s, o, "state", states, "states", i, e);
		if (rc != SL_OK)
			return rc;
	}
	return SL_OK;
}

static const char *
opt_text(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* The integer member key in *slot; NULL when absent. */
static const int64_t *
opt_int(int64_t *slot, json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_integer(v))
		return NULL;
	*slot = json_integer_value(v);
	return slot;
}

/* A reported state and its place in the body. */
struct placed {
	struct store_state st;
	int64_t rev;
	size_t at;
};

/* By update id, then by place in the body. */
static int
by_id(const void *a, const void *b)
{
	const struct placed *x = a, *y = b;
	int c = strcmp(x->st.update_id, y->st.update_id);

	return c != 0 ? c : (x->at > y->at) - (x->at < y->at);
}

static int
store_report(int *n_events, const struct req *r, json_t *states_v,
             const struct rbody *body, int64_t now, struct err *e)
{
	size_t n = body->states_read ? body->n_states
	                             : json_array_size(states_v),
	       k = 0;
	struct placed *v = NULL;
	struct store_state *sts = NULL;
	int64_t added = 0;
	json_t *o;
	size_t i;
	int rc = SL_OK;

	*n_events = 0;
	/* States in update id order: the counters each one updates are
	 * locked (PostgreSQL) in one order by every report, so two reports
	 * never wait for each other in a cycle. An id sent twice counts
	 * once, as its last state (what storing them in turn left). */
	if (n > 0 && ((v = calloc(n, sizeof(*v))) == NULL ||
	              (sts = calloc(n, sizeof(*sts))) == NULL)) {
		free(v);
		return err_set(e, SL_ENOMEM, "out of memory");
	}
	for (i = 0; body->states_read && i < n; i++) {
		v[i].at = i;
		v[i].st = body->state_rows[i];
		v[i].rev = *v[i].st.revision;
	}
	json_array_foreach(states_v, i, o)
	{
		v[i].at = i;
		v[i].st.update_id = opt_text(o, "id");
		v[i].st.revision = opt_int(&v[i].rev, o, "revision");
		v[i].st.state = opt_text(o, "state");
		v[i].st.detail = opt_text(o, "detail");
	}
	array_sort(v, n, sizeof(*v), by_id);
	for (i = 0; i < n; i++) {
		if (i + 1 < n &&
		    strcmp(v[i].st.update_id, v[i + 1].st.update_id) == 0)
			continue;
		sts[k] = v[i].st;
		if (sts[k].revision != NULL)
			sts[k].revision = &v[i].rev;
		k++;
	}
	rc = store_states_report(r->store, r->computer_id, sts, k, now, e);
	free(sts);
	free(v);
	if (rc != SL_OK)
		return rc;
	if (body->n_events == 0)
		return SL_OK;
	rc = store_events_insert(&added, r->store, r->computer_id, body->events,
	                         body->n_events, now, e);
	if (rc == SL_OK)
		*n_events = (int)added;
	return rc;
}

/* The catalog freshness the agent reports: {"state": "ok" | "stale",
 * "detail": text} (optional). */
static int
check_catalog(const char **state, const char **detail, json_t *c, struct err *e)
{
	json_t *d;

	if (c == NULL || json_is_null(c))
		return SL_OK;
	static const char *const cat_states[] = {"ok", "stale", NULL};
	const char *v;

	d = json_object_get(c, "detail");
	v = json_string_value(json_object_get(c, "state"));
	if (!json_is_object(c) || v == NULL || !in_list(v, cat_states))
		return err_set(e, SL_EINVAL,
		               "catalog.state: expected ok or stale");
	*state = v;
	if (d != NULL && !json_is_null(d) &&
	    (!json_is_string(d) || json_string_length(d) > DETAIL_MAX))
		return err_set(e, SL_EINVAL,
		               "catalog.detail: expected a string of at most "
		               "%d bytes",
		               DETAIL_MAX);
	*detail = json_string_value(d);
	return SL_OK;
}

int
api_agent_report(struct req *r, struct reply *out, struct err *e)
{
	static const struct rbody_limits lim = {
	        .max_events = BATCH_MAX,
	        .field_max = FIELD_MAX,
	        .output_max = OUTPUT_MAX,
	        .kinds = kinds,
	        .results = results,
	        .max_states = BATCH_MAX,
	        .detail_max = DETAIL_MAX,
	        .states = states,
	};
	const char *cat_state = NULL, *cat_detail = NULL;
	struct rbody *body = NULL;
	json_t *states_v, *empty = NULL;
	int rc, n_events = 0;
	int64_t now;

	/* The body in one pass: the events straight into rows. */
	rc = rbody_parse(&body, r->body, r->body_len, &lim, e);
	if (rc != SL_OK)
		return err_prefix(e, "report");
	empty = json_array();
	if (empty == NULL) {
		rc = err_set(e, SL_ENOMEM, "out of memory");
		goto out;
	}
	states_v = body->states != NULL ? body->states : empty;
	if (!json_is_array(states_v) || body->events_shape_bad ||
	    json_array_size(states_v) > BATCH_MAX) {
		rc = err_set(e, SL_EINVAL,
		             "states and events: expected arrays of at most %d "
		             "entries",
		             BATCH_MAX);
		goto out;
	}
	/* States read in one pass are valid (report_states.h). */
	rc = body->states_read ? SL_OK : validate_states(states_v, e);
	if (rc == SL_OK && body->events_err.code != SL_OK)
		rc = err_set(e, body->events_err.code, "%s",
		             body->events_err.msg);
	if (rc == SL_OK)
		rc = check_catalog(&cat_state, &cat_detail, body->catalog, e);
	if (rc != SL_OK)
		goto out;
	now = (int64_t)time(NULL);
	rc = store_begin(r->store, e);
	if (rc == SL_OK)
		rc = store_report(&n_events, r, states_v, body, now, e);
	if (rc == SL_OK && cat_state != NULL)
		rc = store_computer_catalog_set(r->store, r->computer_id,
		                                cat_state, cat_detail, e);
	/* The token may have been checked from memory (store_tokcache.h):
	 * the row itself, in this transaction, says whether the computer
	 * still exists; if not, nothing of the report is kept. */
	if (rc == SL_OK)
		rc = store_computer_touch(r->store, r->computer_id, now, true,
		                          e);
	if (rc == SL_ENOTFOUND)
		rc = err_set(e, SL_EAUTH, "unknown computer");
	if (rc == SL_OK)
		rc = store_commit(r->store, e);
	if (rc != SL_OK)
		goto out;
	out->json = json_pack("{s:I,s:I}", "states",
	                      (json_int_t)(body->states_read
	                                           ? body->n_states
	                                           : json_array_size(states_v)),
	                      "events", (json_int_t)n_events);
	if (out->json == NULL)
		rc = err_set(e, SL_ENOMEM, "out of memory");
out:
	if (rc != SL_OK) {
		store_rollback(r->store);
		err_prefix(e, "report");
	}
	json_decref(empty);
	rbody_free(body);
	return rc;
}
