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
#include "api_origin.h"
#include "auth.h"
#include "sign.h"

#define CHANGES_PAGE_DEFAULT 200
#define CHANGES_PAGE_MAX     1000
#define ROLLUP_MAX           2000 /* computers per request */
#define STATES_MAX           20000
#define FIELD_MAX            255
#define SERVER_PATH_MAX      1024

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

struct changes_ctx {
	const struct req *r;
	const char *products, *classes, *base;
	json_t *updates, *files;
	int64_t n, last;
};

/* One file of a change, with the URL this server's agents get. */
static int
change_file(void *arg, const struct store_file *f, struct err *e)
{
	struct changes_ctx *c = arg;
	char url[4096];

	api_content_url(url, sizeof(url), c->r, c->base, f->sha256,
	                f->upstream_url);
	if (json_array_append_new(
	            c->files, json_pack("{s:s,s:I,s:s,s:s}", "sha256",
	                                f->sha256, "size", (json_int_t)f->size,
	                                "name", f->name, "url", url)) != 0)
		return err_set(e, SL_ENOMEM, "out of memory");
	return SL_OK;
}

static int
change_one(void *arg, const struct store_change *ch, struct err *e)
{
	struct changes_ctx *c = arg;
	json_t *u;

	c->n++;
	c->last = ch->change_seq;
	if (!in_csv(c->products, ch->product) ||
	    !in_csv(c->classes, ch->classification))
		return SL_OK;
	c->files = json_array();
	u = json_pack("{s:s,s:I,s:b,s:b,s:o}", "id", ch->id, "revision",
	              (json_int_t)ch->revision, "expired", ch->expired,
	              "declined", ch->declined, "files", c->files);
	if (u == NULL || json_array_append_new(c->updates, u) != 0)
		return err_set(e, SL_ENOMEM, "out of memory");
	/* The envelope bytes exactly as the origin signed them. */
	if (json_object_set_new(u, "document",
	                        ch->expired ? json_null()
	                                    : json_string(ch->document
	                                                          ? ch->document
	                                                          : "")) != 0)
		return err_set(e, SL_ENOMEM, "out of memory");
	if (ch->expired)
		return SL_OK;
	return store_update_files_each(c->r->store, ch->id, ch->revision,
	                               change_file, c, e);
}

int
api_upstream_changes(struct req *r, struct reply *out, struct err *e)
{
	const char *mode = qarg(r, "mode");
	struct changes_ctx c = {
	        .r = r,
	        .products = qarg(r, "products"),
	        .classes = qarg(r, "classifications"),
	};
	int64_t since, limit, cur;
	char base[2048], anchor[24];
	int rc, full = 0;

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
	c.base = base;
	if (limit < 1)
		limit = 1;
	if ((c.updates = json_array()) == NULL) {
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
	rc = store_changes_each(r->store, since, limit, change_one, &c, e);
	if (rc != SL_OK)
		goto out;
	if ((rc = store_commit(r->store, e)) != SL_OK)
		goto out;
	if ((rc = store_downstream_note_sync(r->store, r->downstream_id,
	                                     (int64_t)time(NULL), since, mode,
	                                     e)) != SL_OK)
		goto out;
	snprintf(anchor, sizeof(anchor), "%" PRId64,
	         c.n == limit ? c.last : cur);
	out->json = json_pack("{s:s,s:b,s:b,s:o}", "anchor", anchor, "more",
	                      c.n == limit, "full", full, "updates", c.updates);
	c.updates = NULL;
	if (out->json == NULL)
		rc = err_set(e, SL_ENOMEM, "out of memory");
	else if ((rc = api_origin_json(out->json, r, e)) != SL_OK) {
		json_decref(out->json);
		out->json = NULL;
	}
out:
	json_decref(c.updates);
	if (rc != SL_OK) {
		store_rollback(r->store);
		err_prefix(e, "changes");
	}
	return rc;
}

int
api_upstream_replica(struct req *r, struct reply *out, struct err *e)
{
	json_t *groups = json_array(), *approvals = json_array();
	int rc;

	if (groups == NULL || approvals == NULL) {
		rc = err_set(e, SL_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = store_begin_read(r->store, e)) != SL_OK)
		goto out;
	if ((rc = store_replica_state(groups, approvals, r->store, e)) != SL_OK)
		goto out;
	if ((rc = store_commit(r->store, e)) != SL_OK)
		goto out;
	out->json = json_pack("{s:o,s:o}", "groups", groups, "approvals",
	                      approvals);
	groups = approvals = NULL;
	if (out->json == NULL)
		rc = err_set(e, SL_ENOMEM, "out of memory");
out:
	json_decref(groups);
	json_decref(approvals);
	if (rc != SL_OK) {
		store_rollback(r->store);
		err_prefix(e, "replica");
	}
	return rc;
}

/* ---- roll-up ---------------------------------------------------------- */

/* An optional RFC 3339 member as unix time: *out = slot, or NULL when
 * absent. */
static int
opt_time(const int64_t **out, int64_t *slot, json_t *o, const char *key,
         struct err *e)
{
	const char *s;
	long long t;
	int rc = jsonx_opt_str(&s, o, key, 64, e);

	*out = NULL;
	if (rc != SL_OK)
		return rc;
	if (s == NULL)
		return SL_OK;
	if ((rc = sign_time_parse(s, &t, e)) != SL_OK)
		return err_prefix(e, "%s", key);
	*slot = t;
	*out = slot;
	return SL_OK;
}

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
rollup_one(int *stored, struct req *r, json_t *c, int64_t now, struct err *e)
{
	static const char *const opt[] = {"os_id", "os_version", "arch",
	                                  "kernel", "agent_version"};
	const char *id, *host, *group, *sub, *vals[5], *uid, *state, *detail;
	const char *cat = NULL, *cat_detail = NULL;
	char th[80], server[SERVER_PATH_MAX + 160];
	int64_t gid, reg, contact, report, rep, rev;
	struct store_rollup_computer rc_row;
	json_t *states, *o;
	bool ok;
	size_t i;
	int rc;

	*stored = 0;
	if (!json_is_object(c))
		return err_set(e, SL_EINVAL, "expected an object");
	rc = jsonx_req_str(&id, c, "id", 64, e);
	if (rc == SL_OK && !auth_is_uuid(id))
		rc = err_set(e, SL_EINVAL, "id: expected a UUID");
	if (rc == SL_OK)
		rc = jsonx_req_str(&host, c, "hostname", FIELD_MAX, e);
	if (rc == SL_OK)
		rc = jsonx_opt_str(&group, c, "group", FIELD_MAX, e);
	if (rc == SL_OK)
		rc = jsonx_opt_str(&sub, c, "server", SERVER_PATH_MAX, e);
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
	for (i = 0; i < 5; i++)
		if ((rc = jsonx_opt_str(&vals[i], c, opt[i], FIELD_MAX, e)) !=
		    SL_OK)
			return rc;
	rc_row = (struct store_rollup_computer){
	        .id = id,
	        .token_hash = th,
	        .hostname = host,
	        .os_id = vals[0],
	        .os_version = vals[1],
	        .arch = vals[2],
	        .kernel = vals[3],
	        .agent_version = vals[4],
	        .group_id = gid,
	        .server = server,
	        .downstream = r->downstream_name,
	        .now = now,
	};
	if ((rc = opt_time(&rc_row.registered, &reg, c, "registered", e)) !=
	            SL_OK ||
	    (rc = opt_time(&rc_row.last_contact, &contact, c, "last_contact",
	                   e)) != SL_OK ||
	    (rc = opt_time(&rc_row.last_report, &report, c, "last_report",
	                   e)) != SL_OK)
		return rc;
	if ((rc = store_rollup_computer(&ok, r->store, &rc_row, e)) != SL_OK)
		return rc;
	if (!ok)
		return SL_OK;
	/* The catalog freshness its agent reported (api_agent.c). */
	if ((rc = jsonx_opt_str(&cat, c, "catalog", 16, e)) != SL_OK ||
	    (rc = jsonx_opt_str(&cat_detail, c, "catalog_detail", 4096, e)) !=
	            SL_OK)
		return rc;
	if (cat != NULL && strcmp(cat, "ok") != 0 && strcmp(cat, "stale") != 0)
		return err_set(e, SL_EINVAL, "catalog: expected ok or stale");
	if (cat != NULL && (rc = store_computer_catalog_set(
	                            r->store, id, cat, cat_detail, e)) != SL_OK)
		return rc;
	json_array_foreach(states, i, o)
	{
		const int64_t *reported;
		json_t *rev_v;

		if (!json_is_object(o))
			return err_set(e, SL_EINVAL,
			               "updates[%zu]: expected an object", i);
		rc = jsonx_req_str(&uid, o, "id", 64, e);
		if (rc == SL_OK)
			rc = jsonx_req_str(&state, o, "state", 64, e);
		if (rc == SL_OK)
			rc = jsonx_opt_str(&detail, o, "detail", 4096, e);
		rev_v = json_object_get(o, "revision");
		if (rc == SL_OK && !json_is_integer(rev_v))
			rc = err_set(e, SL_EINVAL,
			             "revision: expected a number");
		if (rc == SL_OK)
			rc = opt_time(&reported, &rep, o, "reported", e);
		if (rc != SL_OK)
			return err_prefix(e, "updates[%zu]", i);
		rev = json_integer_value(rev_v);
		struct store_state st = {
		        .update_id = uid,
		        .revision = &rev,
		        .state = state,
		        .detail = detail,
		};
		rc = store_rollup_state(r->store, id, &st, reported, now, e);
		if (rc != SL_OK)
			return rc;
	}
	*stored = 1;
	return SL_OK;
}

int
api_upstream_rollup(struct req *r, struct reply *out, struct err *e)
{
	json_t *body = NULL, *comps, *c;
	int rc, stored, n = 0, skipped = 0;
	int64_t now = (int64_t)time(NULL);
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
	json_array_foreach(comps, i, c)
	{
		if ((rc = rollup_one(&stored, r, c, now, e)) != SL_OK) {
			err_prefix(e, "computers[%zu]", i);
			goto out;
		}
		n += stored;
		skipped += !stored;
	}
	rc = store_downstream_note_rollup(r->store, r->downstream_id, now, e);
	if (rc == SL_OK)
		rc = store_commit(r->store, e);
	if (rc != SL_OK)
		goto out;
	out->json = json_pack("{s:i,s:i}", "computers", n, "skipped", skipped);
	if (out->json == NULL)
		rc = err_set(e, SL_ENOMEM, "out of memory");
out:
	json_decref(body);
	if (rc != SL_OK) {
		store_rollback(r->store);
		err_prefix(e, "rollup");
	}
	return rc;
}
