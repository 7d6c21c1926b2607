/*
 * replica: pull groups and approvals from the upstream sluiced (replica
 * mode) and push the status of this server's computers to it (replica.h).
 */
#include "replica.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jsonx.h"
#include "store/store.h"
#include "sign.h"
#include "upstream_call.h"

#define NAME_MAX_LEN    255
#define ROLLUP_PAGE_MAX (512u << 10) /* bytes per roll-up request */
#define ROLLUP_PAGE_N   500          /* computers per roll-up request */

/* ---- groups ------------------------------------------------------------ */

static int
pull_groups(struct store *db, json_t *groups, struct err *e)
{
	const char *name, *parent;
	json_t *g;
	size_t i;
	int rc;

	json_array_foreach(groups, i, g)
	{
		if (!json_is_object(g) ||
		    jsonx_req_str(&name, g, "name", NAME_MAX_LEN, e) != SL_OK)
			return err_set(e, SL_EPARSE, "groups[%zu]: malformed",
			               i);
		if ((rc = store_replica_group(db, name, e)) != SL_OK)
			return rc;
	}
	json_array_foreach(groups, i, g)
	{
		if (jsonx_opt_str(&parent, g, "parent", NAME_MAX_LEN, e) !=
		    SL_OK)
			return err_set(e, SL_EPARSE, "groups[%zu]: malformed",
			               i);
		rc = store_replica_group_parent(
		        db, json_string_value(json_object_get(g, "name")),
		        parent, e);
		if (rc != SL_OK)
			return rc;
	}
	return SL_OK;
}

/* ---- approvals --------------------------------------------------------- */

/* The key of an approval in the maps below: "<update id>\n<group>". */
static int
approval_key(char *out, size_t n, const char *id, const char *group,
             struct err *e)
{
	if ((size_t)snprintf(out, n, "%s\n%s", id, group) >= n)
		return err_set(e, SL_EPARSE, "approval key too long");
	return SL_OK;
}

/* The upstream's approvals as {key: {update, group, action, deadline
 * (unix time or null)}}, validated. */
static int
load_upstream(json_t *map, json_t *approvals, struct err *e)
{
	const char *id, *group, *action, *dl;
	char key[NAME_MAX_LEN + 80];
	long long t = 0;
	json_t *a;
	size_t i;

	json_array_foreach(approvals, i, a)
	{
		if (!json_is_object(a) ||
		    jsonx_req_str(&id, a, "update", 64, e) != SL_OK ||
		    jsonx_req_str(&group, a, "group", NAME_MAX_LEN, e) !=
		            SL_OK ||
		    jsonx_req_str(&action, a, "action", 32, e) != SL_OK ||
		    jsonx_opt_str(&dl, a, "deadline", 64, e) != SL_OK ||
		    (dl != NULL && sign_time_parse(dl, &t, e) != SL_OK) ||
		    approval_key(key, sizeof(key), id, group, e) != SL_OK)
			return err_set(e, SL_EPARSE,
			               "approvals[%zu]: malformed", i);
		if (json_object_set_new(map, key,
		                        json_pack("{s:s,s:s,s:s,s:o}", "update",
		                                  id, "group", group, "action",
		                                  action, "deadline",
		                                  dl != NULL ? json_integer(t)
		                                             : json_null())) !=
		    0)
			return err_set(e, SL_ENOMEM, "out of memory");
	}
	return SL_OK;
}

/* Make the local approvals exactly the upstream's: remove those it does
 * not have, then set those that differ (groups it has that this server
 * lacks are skipped). */
static int
pull_approvals(struct store *db, json_t *approvals, unsigned *changed,
               struct err *e)
{
	struct store_approval_row *rows = NULL;
	json_t *up = json_object(), *local = json_object(), *a;
	char key[NAME_MAX_LEN + 80];
	int64_t now = (int64_t)time(NULL), gid, dl;
	unsigned n = 0;
	size_t n_rows = 0;
	const char *k;
	int rc;

	if (up == NULL || local == NULL) {
		rc = err_set(e, SL_ENOMEM, "out of memory");
		goto out;
	}
	rc = load_upstream(up, approvals, e);
	if (rc == SL_OK)
		rc = store_approval_rows(&rows, &n_rows, db, e);
	for (size_t i = 0; rc == SL_OK && i < n_rows; i++) {
		const struct store_approval_row *r = &rows[i];

		rc = approval_key(key, sizeof(key), r->update_id, r->group_name,
		                  e);
		if (rc != SL_OK)
			break;
		if (json_object_get(up, key) == NULL) {
			rc = store_replica_approval(db, r->update_id,
			                            r->group_id, NULL, NULL,
			                            now, e);
			n++;
		} else if (json_object_set_new(local, key,
		                               json_integer((json_int_t)i)) !=
		           0) {
			rc = err_set(e, SL_ENOMEM, "out of memory");
		}
	}
	json_object_foreach(up, k, a)
	{
		const char *action =
		        json_string_value(json_object_get(a, "action"));
		json_t *dv = json_object_get(a, "deadline"), *li;
		const struct store_approval_row *r = NULL;

		if (rc != SL_OK)
			break;
		rc = store_group_id(
		        &gid, db,
		        json_string_value(json_object_get(a, "group")), e);
		if (rc == SL_ENOTFOUND) {
			err_clear(e);
			rc = SL_OK;
			continue;
		}
		if (rc != SL_OK)
			break;
		if ((li = json_object_get(local, k)) != NULL)
			r = &rows[json_integer_value(li)];
		dl = json_integer_value(dv);
		if (r != NULL && strcmp(r->action, action) == 0 &&
		    r->has_deadline == json_is_integer(dv) &&
		    (!r->has_deadline || r->deadline == dl))
			continue;
		rc = store_replica_approval(
		        db, json_string_value(json_object_get(a, "update")),
		        gid, action, json_is_integer(dv) ? &dl : NULL, now, e);
		n++;
	}
	if (rc == SL_OK && changed != NULL)
		*changed = n;
out:
	store_approval_rows_free(rows, n_rows);
	json_decref(up);
	json_decref(local);
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

struct rollup_ctx {
	const struct server_config *cfg;
	json_t *page;
	size_t page_bytes;
	unsigned n;
};

static int
rollup_add(void *arg, json_t *c, struct err *e)
{
	struct rollup_ctx *x = arg;
	char *text;
	size_t len;
	int rc;

	if ((text = json_dumps(c, JSON_COMPACT)) == NULL) {
		json_decref(c);
		return err_set(e, SL_ENOMEM, "out of memory");
	}
	len = strlen(text);
	free(text);
	if (len > ROLLUP_PAGE_MAX) {
		/* Too big for one request: send it without states. */
		json_object_set_new(c, "updates", json_array());
		len = 1024;
	}
	if (x->page_bytes + len > ROLLUP_PAGE_MAX ||
	    json_array_size(x->page) >= ROLLUP_PAGE_N) {
		if ((rc = push_page(x->cfg, &x->page, e)) != SL_OK) {
			json_decref(c);
			return rc;
		}
		x->page_bytes = 0;
	}
	if (json_array_append_new(x->page, c) != 0)
		return err_set(e, SL_ENOMEM, "out of memory");
	x->page_bytes += len;
	x->n++;
	return SL_OK;
}

int
replica_rollup(struct store *db, const struct server_config *cfg,
               unsigned *pushed, struct err *e)
{
	struct rollup_ctx x = {.cfg = cfg, .page = json_array()};
	int rc;

	*pushed = 0;
	if (x.page == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	rc = store_rollup_each(db, rollup_add, &x, e);
	if (rc == SL_OK)
		rc = push_page(cfg, &x.page, e);
	if (rc == SL_OK)
		*pushed = x.n;
	json_decref(x.page);
	if (rc != SL_OK)
		err_prefix(e, "status roll-up");
	return rc;
}
