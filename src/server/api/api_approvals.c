/*
 * api_approvals: approving updates for groups (with license terms and
 * prerequisites / bundled updates), declining them, the detail view of one
 * update with its supersedence relations, and declining superseded updates
 * that no computer needs.
 *
 * Approving an update for installation:
 *   - a declined or expired update cannot be approved (409);
 *   - its prerequisites and bundled updates (transitively) must be
 *     approved for installation for that group too: without
 *     "with_prerequisites" the request is refused (409) with the list;
 *     with it they are approved in the same transaction;
 *   - every update so approved that has license terms ("eula") needs them
 *     accepted: "accept_license": true records who accepted them and when
 *     (per revision); without it the request is refused (409).
 * Approving an update for removal ("uninstall") is refused (409) when the
 * latest revision cannot be removed: it has no uninstall_arguments, or its
 * handler is deb (a downgrade is not a Debian operation).
 * action "not-approved" is an explicit setting (it overrides what the
 * group would inherit); action "inherit" removes the group's own setting.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "api_manage.h"
#include "store/store.h"
#include "store/store.h"
#include "auth.h"
#include "fetch.h"
#include "sign.h"

#define DEPS_MAX 256

struct dep_list {
	char ids[DEPS_MAX][UPDATE_ID_LEN + 1];
	char kind[DEPS_MAX][16];
	size_t n;
};

static int
dep_has(const struct dep_list *l, const char *id)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->ids[i], id) == 0)
			return 1;
	return 0;
}

static int
dep_add(struct dep_list *l, const char *id, const char *kind, struct err *e)
{
	if (dep_has(l, id))
		return SL_OK;
	if (l->n >= DEPS_MAX)
		return err_set(e, SL_ETOOBIG,
		               "more than %d prerequisites and bundled updates",
		               DEPS_MAX);
	snprintf(l->ids[l->n], sizeof(l->ids[0]), "%s", id);
	snprintf(l->kind[l->n], sizeof(l->kind[0]), "%s", kind);
	l->n++;
	return SL_OK;
}

/* All prerequisites and bundled updates of root, transitively: known ones
 * to `known`, ids the server does not have to `missing`. */
static int
collect_deps(struct dep_list *known, struct dep_list *missing, struct store *db,
             const char *root, struct err *e)
{
	struct dep_list queue = {.n = 0};
	int rc = dep_add(&queue, root, "root", e);

	for (size_t q = 0; rc == SL_OK && q < queue.n; q++) {
		struct update *u = NULL;
		rc = store_update_load(&u, NULL, NULL, db, queue.ids[q], e);
		if (rc == SL_ENOTFOUND) {
			rc = dep_add(missing, queue.ids[q], queue.kind[q], e);
			continue;
		}
		if (rc != SL_OK)
			break;
		if (q > 0)
			rc = dep_add(known, queue.ids[q], queue.kind[q], e);
		for (char **p = u->prerequisites; rc == SL_OK && p && *p; p++)
			if (strcmp(*p, root) != 0)
				rc = dep_add(&queue, *p, "prerequisite", e);
		for (char **p = u->bundles; rc == SL_OK && p && *p; p++)
			if (strcmp(*p, root) != 0)
				rc = dep_add(&queue, *p, "bundled", e);
		update_free(u);
	}
	return rc;
}

static int
title_of(char *out, size_t n, struct store *db, const char *id)
{
	bool known;

	store_update_title(out, n, &known, db, id, NULL);
	return SL_OK;
}

/* Check (and with accept, record) the license terms of update id. */
static int
license_check(bool *recorded, struct store *db, const char *id, bool accept,
              const char *actor, struct err *e)
{
	struct update *u = NULL;
	bool accepted = false;
	int rc;

	*recorded = false;
	rc = store_update_load(&u, NULL, NULL, db, id, e);
	if (rc != SL_OK)
		return rc;
	if (u->eula == NULL)
		goto out;
	rc = store_license_accepted(&accepted, db, id, u->revision, e);
	if (rc != SL_OK || accepted)
		goto out;
	if (!accept) {
		rc = err_set(e, SL_ECONFLICT,
		             "update %s (%s) has license terms (%s): read them "
		             "(sluice updates show %s) and approve with "
		             "--accept-license",
		             id, u->title, u->eula->name, id);
		goto out;
	}
	rc = store_license_accept(db, id, u->revision, actor,
	                          (int64_t)time(NULL), e);
	if (rc == SL_OK)
		rc = store_audit_add(db, e, actor, "license.accept", id,
		                     "revision %lld, terms %s",
		                     (long long)u->revision, u->eula->name);
	*recorded = rc == SL_OK;
out:
	update_free(u);
	return rc;
}

/* Refuse approving a declined or expired update. */
static int
approvable(struct store *db, const char *id, struct err *e)
{
	struct update *u = NULL;
	bool declined = false, expired = false;
	int rc = store_update_load(&u, &declined, &expired, db, id, e);

	update_free(u);
	if (rc != SL_OK)
		return rc;
	if (declined)
		return err_set(e, SL_ECONFLICT,
		               "update %s is declined: undecline it first "
		               "(sluice updates decline --undo %s)",
		               id, id);
	if (expired)
		return err_set(e, SL_ECONFLICT,
		               "update %s is expired upstream and cannot be "
		               "approved",
		               id);
	return SL_OK;
}

/* Refuse approving for removal what agents cannot remove: the latest
 * revision decides. */
static int
removable(const struct update *u, struct err *e)
{
	if (strcmp(u->install.handler, "deb") == 0)
		return err_set(
		        e, SL_ECONFLICT,
		        "update %s cannot be approved for removal: its "
		        "handler is deb, and going back to older Debian "
		        "packages (a downgrade) is not a Debian operation",
		        u->id);
	if (u->install.uninstall_arguments == NULL)
		return err_set(
		        e, SL_ECONFLICT,
		        "update %s cannot be approved for removal: its "
		        "latest revision (%lld) has no uninstall_arguments",
		        u->id, (long long)u->revision);
	return SL_OK;
}

static int
approve_one(struct store *db, const struct req *r, const char *id, int64_t gid,
            const char *group, const char *action, bool has_dl, long long dl,
            const char *dl_s, const char *actor, struct err *e)
{
	bool changed;
	int rc;

	rc = store_approval_set(db, id, gid, action, has_dl, dl, actor,
	                        &changed, e);
	if (rc == SL_OK && changed)
		rc = store_audit_add(
		        db, e, actor, "approval.set", id, "group '%s': %s%s%s",
		        group, action ? action : "inherit",
		        has_dl ? ", deadline " : "", has_dl ? dl_s : "");
	if (rc == SL_OK && action != NULL && strcmp(action, "install") == 0 &&
	    api_storage_mode(r) == STORAGE_ON_APPROVAL)
		rc = fetch_mark_wanted_for_update(db, id, e);
	return rc;
}

int
api_admin_approve(struct req *r, struct reply *out, struct err *e)
{
	const char *id, *group, *action, *dl_s;
	char actor[STORE_ACTOR_MAX], title[256], msg[ERR_MSG_MAX];
	struct dep_list *known = NULL, *missing = NULL;
	json_t *body = NULL, *also = NULL, *miss = NULL, *v;
	bool accept, with_deps, has_dl = false, rec, lic = false;
	long long dl = 0;
	int64_t gid;
	size_t used;
	int rc;

	rc = http_json_body(&body, r, e);
	if (rc == SL_OK)
		rc = jsonx_req_str(&id, body, "update", 64, e);
	if (rc == SL_OK && !auth_is_uuid(id))
		rc = err_set(e, SL_EINVAL, "update: expected a UUID");
	if (rc == SL_OK)
		rc = jsonx_req_str(&group, body, "group", 128, e);
	if (rc == SL_OK)
		rc = jsonx_opt_str(&action, body, "action", 32, e);
	if (rc == SL_OK)
		rc = jsonx_opt_str(&dl_s, body, "deadline", 64, e);
	if (rc != SL_OK)
		goto out;
	v = json_object_get(body, "accept_license");
	accept = json_is_true(v);
	v = json_object_get(body, "with_prerequisites");
	with_deps = json_is_true(v);
	if (action == NULL)
		action = "install";
	if (strcmp(action, "install") != 0 &&
	    strcmp(action, "uninstall") != 0 &&
	    strcmp(action, "not-approved") != 0 &&
	    strcmp(action, "inherit") != 0) {
		rc = err_set(
		        e, SL_EINVAL,
		        "action: expected install, uninstall, not-approved "
		        "or inherit");
		goto out;
	}
	if (dl_s != NULL) {
		rc = sign_time_parse(dl_s, &dl, e);
		if (rc != SL_OK) {
			err_prefix(e, "deadline");
			goto out;
		}
		has_dl = true;
	}
	known = calloc(1, sizeof(*known));
	missing = calloc(1, sizeof(*missing));
	also = json_array();
	miss = json_array();
	if (known == NULL || missing == NULL || also == NULL || miss == NULL) {
		rc = err_set(e, SL_ENOMEM, "out of memory");
		goto out;
	}
	rc = store_begin(r->store, e);
	if (rc == SL_OK)
		rc = api_actor(actor, sizeof(actor), r, e);
	if (rc == SL_OK) {
		struct update *u0 = NULL;
		rc = store_update_load(&u0, NULL, NULL, r->store, id, e);
		if (rc == SL_OK && strcmp(action, "uninstall") == 0)
			rc = removable(u0, e);
		update_free(u0);
	}
	if (rc == SL_OK)
		rc = store_group_id(&gid, r->store, group, e);
	if (rc != SL_OK)
		goto out;
	if (strcmp(action, "install") == 0) {
		rc = approvable(r->store, id, e);
		if (rc == SL_OK)
			rc = collect_deps(known, missing, r->store, id, e);
		if (rc != SL_OK)
			goto out;
		/* Which of them are not approved for installation here? */
		used = 0;
		msg[0] = '\0';
		for (size_t i = 0; i < known->n; i++) {
			struct store_approval_eff eff;
			rc = store_approval_effective(&eff, r->store,
			                              known->ids[i], gid, e);
			if (rc != SL_OK)
				goto out;
			if (strcmp(eff.action, "install") == 0) {
				known->kind[i][0] = '\0'; /* already fine */
				continue;
			}
			title_of(title, sizeof(title), r->store, known->ids[i]);
			used += (size_t)snprintf(
			        msg + used,
			        used < sizeof(msg) ? sizeof(msg) - used : 0,
			        "%s%s (%s, %s)", used ? "; " : "",
			        known->ids[i], title, known->kind[i]);
			if (used >= sizeof(msg))
				used = sizeof(msg) - 1;
		}
		if (msg[0] != '\0' && !with_deps) {
			rc = err_set(e, SL_ECONFLICT,
			             "update %s needs these approved for "
			             "installation for '%s' too: %s. Approve "
			             "them too with --with-prerequisites",
			             id, group, msg);
			goto out;
		}
		for (size_t i = 0; i < missing->n; i++)
			json_array_append_new(miss,
			                      json_string(missing->ids[i]));
		rc = license_check(&rec, r->store, id, accept, actor, e);
		lic |= rec;
		for (size_t i = 0; rc == SL_OK && i < known->n; i++) {
			if (known->kind[i][0] == '\0')
				continue;
			rc = approvable(r->store, known->ids[i], e);
			if (rc == SL_OK)
				rc = license_check(&rec, r->store,
				                   known->ids[i], accept, actor,
				                   e);
			lic |= rec;
			if (rc == SL_OK)
				rc = approve_one(r->store, r, known->ids[i],
				                 gid, group, "install", has_dl,
				                 dl, dl_s, actor, e);
			if (rc == SL_OK)
				json_array_append_new(
				        also, json_string(known->ids[i]));
		}
		if (rc != SL_OK)
			goto out;
	}
	rc = approve_one(r->store, r, id, gid, group,
	                 strcmp(action, "inherit") == 0 ? NULL : action, has_dl,
	                 dl, dl_s, actor, e);
	if (rc == SL_OK)
		rc = store_commit(r->store, e);
	if (rc != SL_OK)
		goto out;
	if (strcmp(action, "install") == 0 &&
	    api_storage_mode(r) == STORAGE_ON_APPROVAL)
		fetch_wake(r->env->fetch);
	out->json = json_pack("{s:s,s:s,s:s,s:o,s:O,s:O,s:b}", "update", id,
	                      "group", group, "action", action, "deadline",
	                      dl_s ? json_string(dl_s) : json_null(),
	                      "also_approved", also, "missing_prerequisites",
	                      miss, "license_accepted", lic);
	if (out->json == NULL)
		rc = err_set(e, SL_ENOMEM, "out of memory");
out:
	if (rc != SL_OK) {
		store_rollback(r->store);
		err_prefix(e, "approve");
	}
	free(known);
	free(missing);
	json_decref(also);
	json_decref(miss);
	json_decref(body);
	return rc;
}

/* {id, title, known} of an update id. */
static int
relation_add(json_t *arr, struct store *db, const char *id, struct err *e)
{
	char title[512];
	bool known;
	int rc = store_update_title(title, sizeof(title), &known, db, id, e);

	if (rc != SL_OK)
		return rc;
	if (json_array_append_new(
	            arr, json_pack("{s:s,s:o,s:b}", "id", id, "title",
	                           known ? json_string(title) : json_null(),
	                           "known", known)) != 0)
		return err_set(e, SL_ENOMEM, "out of memory");
	return SL_OK;
}

/* The ids listed in the document's field (supersedes, prerequisites,
 * bundles), with titles. */
static int
listed(json_t **out, struct store *db, json_t *doc, const char *field,
       struct err *e)
{
	json_t *arr = json_array(), *v;
	size_t i;
	int rc = SL_OK;

	if (arr == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	json_array_foreach(
	        json_object_get(json_object_get(doc, "signed"), field), i, v)
	{
		if (json_is_string(v))
			rc = relation_add(arr, db, json_string_value(v), e);
		if (rc != SL_OK)
			break;
	}
	if (rc != SL_OK)
		json_decref(arr);
	else
		*out = arr;
	return rc;
}

/* Whether the stored envelope text lists id in signed.supersedes. */
static bool
doc_supersedes(const char *text, const char *id)
{
	json_error_t je;
	json_t *doc = json_loads(text ? text : "", 0, &je), *v;
	bool hit = false;
	size_t i;

	json_array_foreach(
	        json_object_get(json_object_get(doc, "signed"), "supersedes"),
	        i, v)
	{
		if (json_is_string(v) && strcmp(json_string_value(v), id) == 0)
			hit = true;
	}
	json_decref(doc);
	return hit;
}

struct superseders {
	const char *id;
	json_t *arr;
};

static int
add_superseder(void *arg, const struct store_update_row *u, struct err *e)
{
	struct superseders *c = arg;

	if (!doc_supersedes(u->document, c->id))
		return SL_OK;
	if (json_array_append_new(
	            c->arr,
	            json_pack("{s:s,s:o,s:b}", "id", u->id, "title",
	                      u->title ? json_string(u->title) : json_null(),
	                      "known", u->title != NULL)) != 0)
		return err_set(e, SL_ENOMEM, "out of memory");
	return SL_OK;
}

int
api_updates_show(struct req *r, struct reply *out, struct err *e)
{
	const char *id = r->params[0];
	json_t *doc = NULL, *sup = NULL, *supby = NULL, *pre = NULL,
	       *bun = NULL, *apps = NULL, *eff = NULL, *lic = NULL;
	struct superseders sb = {.id = id};
	bool declined = false, expired = false;
	int rc;

	if (!auth_is_uuid(id))
		return err_set(e, SL_EINVAL, "update: expected a UUID");
	apps = json_array();
	eff = json_array();
	supby = json_array();
	if (apps == NULL || eff == NULL || supby == NULL) {
		rc = err_set(e, SL_ENOMEM, "out of memory");
		goto out;
	}
	rc = store_begin_read(r->store, e);
	if (rc == SL_OK)
		rc = store_update_document(&doc, &declined, &expired, r->store,
		                           id, e);
	if (rc == SL_OK)
		rc = listed(&sup, r->store, doc, "supersedes", e);
	if (rc == SL_OK)
		rc = listed(&pre, r->store, doc, "prerequisites", e);
	if (rc == SL_OK)
		rc = listed(&bun, r->store, doc, "bundles", e);
	sb.arr = supby;
	if (rc == SL_OK)
		rc = store_updates_each(r->store, add_superseder, &sb, e);
	if (rc == SL_OK)
		rc = store_update_approvals(apps, eff, r->store, id, e);
	if (rc == SL_OK)
		rc = store_update_license(&lic, r->store, id, e);
	if (rc == SL_OK)
		rc = store_commit(r->store, e);
	if (rc != SL_OK)
		goto out;
	out->json = json_pack("{s:O,s:b,s:b,s:O,s:O,s:O,s:O,s:O,s:O,s:O}",
	                      "update", json_object_get(doc, "signed"),
	                      "declined", declined, "expired", expired,
	                      "supersedes", sup, "superseded_by", supby,
	                      "prerequisites", pre, "bundles", bun, "license",
	                      lic, "approvals", apps, "effective", eff);
	if (out->json == NULL)
		rc = err_set(e, SL_ENOMEM, "out of memory");
out:
	if (rc != SL_OK) {
		store_rollback(r->store);
		err_prefix(e, "update %s", id);
	}
	json_decref(doc);
	json_decref(sup);
	json_decref(supby);
	json_decref(pre);
	json_decref(bun);
	json_decref(apps);
	json_decref(eff);
	json_decref(lic);
	return rc;
}

/* Set update id's decline flag; *changed when it changed. */
static int
set_declined(bool *changed, struct store *db, const char *id, bool declined,
             struct err *e)
{
	return store_update_set_declined(changed, db, id, declined,
	                                 (int64_t)time(NULL), e);
}

/* Live updates (neither declined nor expired) by the ids they supersede:
 * {superseded id: "id1,id2"}. */
static int
map_superseders(void *arg, const struct store_update_row *u, struct err *e)
{
	json_t *map = arg, *v, *doc;
	json_error_t je;
	size_t i;

	if (u->declined || u->expired)
		return SL_OK;
	doc = json_loads(u->document ? u->document : "", 0, &je);
	json_array_foreach(
	        json_object_get(json_object_get(doc, "signed"), "supersedes"),
	        i, v)
	{
		const char *t = json_string_value(v), *cur;
		char *joined;
		size_t n;

		if (t == NULL)
			continue;
		cur = json_string_value(json_object_get(map, t));
		n = (cur ? strlen(cur) + 1 : 0) + strlen(u->id) + 1;
		if ((joined = malloc(n)) == NULL) {
			json_decref(doc);
			return err_set(e, SL_ENOMEM, "out of memory");
		}
		snprintf(joined, n, "%s%s%s", cur ? cur : "", cur ? "," : "",
		         u->id);
		json_object_set_new(map, t, json_string(joined));
		free(joined);
	}
	json_decref(doc);
	return SL_OK;
}

struct superseded {
	struct store *db;
	json_t *map, *list;
};

/* Superseded by a live update and needed by no computer. */
static int
add_superseded(void *arg, const struct store_update_row *u, struct err *e)
{
	struct superseded *c = arg;
	const char *by = json_string_value(json_object_get(c->map, u->id));
	bool needed;
	int rc;

	if (u->declined || by == NULL)
		return SL_OK;
	rc = store_update_needed(&needed, c->db, u->id, e);
	if (rc != SL_OK || needed)
		return rc;
	if (json_array_append_new(c->list,
	                          json_pack("{s:s,s:s,s:s}", "id", u->id,
	                                    "title", u->title ? u->title : "",
	                                    "superseded_by", by)) != 0)
		return err_set(e, SL_ENOMEM, "out of memory");
	return SL_OK;
}

int
api_updates_decline(struct req *r, struct reply *out, struct err *e)
{
	const char *id = r->params[0];
	char actor[STORE_ACTOR_MAX];
	struct update *u = NULL;
	json_t *body = NULL, *v;
	bool declined = true, changed = false;
	int rc = SL_OK;

	if (r->body_len > 0) {
		rc = http_json_body(&body, r, e);
		if (rc != SL_OK)
			goto out;
		v = json_object_get(body, "declined");
		if (v != NULL && !json_is_boolean(v)) {
			rc = err_set(e, SL_EINVAL,
			             "declined: expected true or false");
			goto out;
		}
		if (v != NULL)
			declined = json_is_true(v);
	}
	rc = store_begin(r->store, e);
	if (rc == SL_OK)
		rc = api_actor(actor, sizeof(actor), r, e);
	if (rc == SL_OK)
		rc = store_update_load(&u, NULL, NULL, r->store, id, e);
	if (rc == SL_OK)
		rc = set_declined(&changed, r->store, id, declined, e);
	if (rc == SL_OK && changed)
		rc = store_audit_add(r->store, e, actor,
		                     declined ? "update.decline"
		                              : "update.undecline",
		                     id, "%s", u->title);
	if (rc == SL_OK)
		rc = store_commit(r->store, e);
	if (rc != SL_OK)
		goto out;
	out->json = json_pack("{s:s,s:b,s:b}", "update", id, "declined",
	                      declined, "changed", changed);
	if (out->json == NULL)
		rc = err_set(e, SL_ENOMEM, "out of memory");
out:
	if (rc != SL_OK) {
		store_rollback(r->store);
		err_prefix(e, "decline");
	}
	update_free(u);
	json_decref(body);
	return rc;
}

int
api_updates_decline_superseded(struct req *r, struct reply *out, struct err *e)
{
	char actor[STORE_ACTOR_MAX];
	json_t *body = NULL, *list = json_array(), *map = json_object();
	struct superseded sc = {r->store, map, list};
	bool dry = false, changed;
	size_t i;
	json_t *it;
	int rc = SL_OK;

	if (list == NULL || map == NULL) {
		json_decref(list);
		json_decref(map);
		return err_set(e, SL_ENOMEM, "out of memory");
	}
	if (r->body_len > 0) {
		rc = http_json_body(&body, r, e);
		if (rc != SL_OK)
			goto out;
		dry = json_is_true(json_object_get(body, "dry_run"));
	}
	rc = store_begin(r->store, e);
	if (rc == SL_OK)
		rc = api_actor(actor, sizeof(actor), r, e);
	/* Superseded by an update that is itself live, and needed by no
	 * computer (no needed / downloaded / failed state). */
	if (rc == SL_OK)
		rc = store_updates_each(r->store, map_superseders, map, e);
	if (rc == SL_OK)
		rc = store_updates_each(r->store, add_superseded, &sc, e);
	if (rc != SL_OK)
		goto out;
	json_array_foreach(list, i, it)
	{
		const char *uid = json_string_value(json_object_get(it, "id"));
		if (dry)
			break;
		rc = set_declined(&changed, r->store, uid, true, e);
		if (rc == SL_OK)
			rc = store_audit_add(
			        r->store, e, actor, "update.decline", uid,
			        "superseded by %s, needed by no computer",
			        json_string_value(
			                json_object_get(it, "superseded_by")));
		if (rc != SL_OK)
			goto out;
	}
	rc = store_commit(r->store, e);
	if (rc != SL_OK)
		goto out;
	out->json = json_pack("{s:b,s:O}", "dry_run", dry, "declined", list);
	if (out->json == NULL)
		rc = err_set(e, SL_ENOMEM, "out of memory");
out:
	if (rc != SL_OK) {
		store_rollback(r->store);
		err_prefix(e, "decline superseded");
	}
	json_decref(map);
	json_decref(list);
	json_decref(body);
	return rc;
}
