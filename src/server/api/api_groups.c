/*
 * api_groups: rename, re-parent and delete computer groups; the targeting
 * settings; helpers shared by the administration handlers.
 *
 * Deleting a group that still holds computers or subgroups is refused
 * (409) unless ?force=1: then its computers and subgroups move to its
 * parent, and its own approvals are dropped. Re-parenting a group or
 * deleting one changes the inherited approvals of every computer below:
 * those computers get a full sync next time (group_seq).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "api_manage.h"
#include "api_enroll.h"
#include "store/store.h"
#include "store/store.h"
#include "api_targeting.h"

int
api_actor(char *out, size_t n, const struct req *r, struct err *e)
{
	char a[STORE_ACTOR_MAX];
	int rc = store_audit_actor(a, r->store, r->admin_id, e);

	if (rc == SL_OK)
		snprintf(out, n, "%s", a);
	return rc;
}

const char *
api_query(const struct req *r, const char *key)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, key);
}

int
api_group_name_ok(const char *s, struct err *e)
{
	if (*s == '\0' || strlen(s) > 128)
		return err_set(e, SL_EINVAL, "name: 1 to 128 bytes");
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f || *s == '/')
			return err_set(e, SL_EINVAL,
			               "name: no control characters or '/'");
	return SL_OK;
}

static int
is_builtin(const char *name)
{
	return strcmp(name, STORE_GROUP_ALL) == 0 ||
	       strcmp(name, STORE_GROUP_UNASSIGNED) == 0;
}

int
api_groups_update(struct req *r, struct reply *out, struct err *e)
{
	const char *name = r->params[0], *new_name, *new_parent;
	char actor[STORE_ACTOR_MAX];
	int64_t gid = 0, pid = 0, old_pid = 0;
	struct store_group_info gi = {0};
	json_t *body = NULL;
	int rc, cyc;

	rc = http_json_body(&body, r, e);
	if (rc == SL_OK)
		rc = jsonx_opt_str(&new_name, body, "name", 128, e);
	if (rc == SL_OK)
		rc = jsonx_opt_str(&new_parent, body, "parent", 128, e);
	if (rc == SL_OK && new_name != NULL)
		rc = api_group_name_ok(new_name, e);
	if (rc != SL_OK)
		goto out;
	if (is_builtin(name)) {
		rc = err_set(
		        e, SL_ECONFLICT,
		        "'%s' is a built-in group: it cannot be renamed or "
		        "moved",
		        name);
		goto out;
	}
	rc = store_begin(r->store, e);
	if (rc == SL_OK)
		rc = api_actor(actor, sizeof(actor), r, e);
	if (rc == SL_OK)
		rc = store_group_id(&gid, r->store, name, e);
	if (rc != SL_OK)
		goto out;
	if (new_name != NULL && strcmp(new_name, name) != 0) {
		int64_t other;
		if (store_group_id(&other, r->store, new_name, NULL) == SL_OK) {
			rc = err_set(e, SL_EEXISTS, "group '%s' already exists",
			             new_name);
			goto out;
		}
		rc = store_group_rename(r->store, gid, new_name, e);
		if (rc == SL_OK)
			rc = store_audit_add(r->store, e, actor, "group.rename",
			                     name, "new name '%s'", new_name);
		if (rc != SL_OK)
			goto out;
	}
	if (new_parent != NULL) {
		rc = store_group_id(&pid, r->store, new_parent, e);
		if (rc == SL_OK)
			rc = store_group_info(&gi, r->store, gid, e);
		old_pid = gi.parent_id;
		if (rc == SL_OK)
			rc = store_group_is_descendant(&cyc, r->store, pid, gid,
			                               e);
		if (rc != SL_OK)
			goto out;
		if (cyc) {
			rc = err_set(e, SL_ECONFLICT,
			             "cannot move '%s' under '%s': that group "
			             "is '%s' itself or one of its subgroups",
			             name, new_parent, name);
			goto out;
		}
		if (pid != old_pid) {
			rc = store_group_reparent(r->store, gid, pid, e);
			if (rc == SL_OK)
				rc = store_group_touch_subtree(r->store, gid,
				                               e);
			if (rc == SL_OK)
				rc = store_audit_add(
				        r->store, e, actor, "group.move",
				        new_name ? new_name : name,
				        "new parent '%s'", new_parent);
			if (rc != SL_OK)
				goto out;
		}
	}
	rc = store_commit(r->store, e);
	if (rc != SL_OK)
		goto out;
	out->json = json_pack("{s:s}", "name", new_name ? new_name : name);
	if (out->json == NULL)
		rc = err_set(e, SL_ENOMEM, "out of memory");
out:
	if (rc != SL_OK) {
		store_rollback(r->store);
		err_prefix(e, "update group '%s'", name);
	}
	json_decref(body);
	return rc;
}

int
api_groups_delete(struct req *r, struct reply *out, struct err *e)
{
	const char *name = r->params[0], *force_s = api_query(r, "force");
	char actor[STORE_ACTOR_MAX], pname[160] = "";
	struct store_group_info gi;
	int64_t gid = 0, pid = 0, n_comp = 0, n_sub = 0;
	bool force = force_s && (strcmp(force_s, "1") == 0 ||
	                         strcmp(force_s, "true") == 0);
	int rc;

	if (is_builtin(name))
		return err_set(e, SL_ECONFLICT,
		               "delete group: '%s' is a built-in group and "
		               "cannot be deleted",
		               name);
	rc = store_begin(r->store, e);
	if (rc == SL_OK)
		rc = api_actor(actor, sizeof(actor), r, e);
	if (rc == SL_OK)
		rc = store_group_id(&gid, r->store, name, e);
	if (rc == SL_OK)
		rc = store_group_info(&gi, r->store, gid, e);
	if (rc != SL_OK)
		goto out;
	pid = gi.parent_id;
	n_comp = gi.n_computers;
	n_sub = gi.n_subgroups;
	snprintf(pname, sizeof(pname), "%s", gi.parent_name);
	if ((n_comp > 0 || n_sub > 0) && !force) {
		rc = err_set(
		        e, SL_ECONFLICT,
		        "group '%s' holds %lld computer(s) and %lld "
		        "subgroup(s): move them first, or delete with "
		        "force (sluice groups delete --force) to move them "
		        "to '%s'",
		        name, (long long)n_comp, (long long)n_sub, pname);
		goto out;
	}
	/* Everything below gets new inherited approvals: full sync. */
	rc = store_group_touch_subtree(r->store, gid, e);
	if (rc == SL_OK)
		rc = store_group_delete(r->store, gid, pid, e);
	if (rc == SL_OK)
		rc = store_audit_add(
		        r->store, e, actor, "group.delete", name,
		        "%lld computer(s), %lld subgroup(s) moved to '%s'",
		        (long long)n_comp, (long long)n_sub, pname);
	if (rc == SL_OK)
		rc = store_commit(r->store, e);
	if (rc != SL_OK)
		goto out;
	out->json = json_pack("{s:s,s:I,s:I,s:s}", "deleted", name,
	                      "computers_moved", (json_int_t)n_comp,
	                      "subgroups_moved", (json_int_t)n_sub, "moved_to",
	                      pname);
	if (out->json == NULL)
		rc = err_set(e, SL_ENOMEM, "out of memory");
out:
	if (rc != SL_OK) {
		store_rollback(r->store);
		if (strncmp(e->msg, "delete group", 12) != 0)
			err_prefix(e, "delete group");
	}
	return rc;
}

int
api_settings_get(struct req *r, struct reply *out, struct err *e)
{
	struct targeting t;
	char reg[16];
	int rc = api_targeting_get(&t, r->store, e);

	if (rc == SL_OK)
		rc = store_registration_mode(reg, r->store, e);
	if (rc != SL_OK)
		return err_prefix(e, "settings");
	char *anr = NULL;

	rc = store_meta_get(r->store, "approve_new_revisions", &anr, e);
	if (rc != SL_OK && rc != SL_ENOTFOUND)
		return err_prefix(e, "settings");
	out->json = json_pack(
	        "{s:s,s:s,s:s,s:s,s:b}", "targeting", t.mode, "unknown_groups",
	        t.unknown, "registration", reg, "storage_mode",
	        config_storage_name(api_storage_mode(r)),
	        "approve_new_revisions", anr == NULL || strcmp(anr, "0") != 0);
	free(anr);
	return out->json ? SL_OK : err_set(e, SL_ENOMEM, "out of memory");
}

int
api_settings_put(struct req *r, struct reply *out, struct err *e)
{
	const char *mode, *unknown, *storage, *reg = NULL;
	char actor[STORE_ACTOR_MAX];
	json_t *body = NULL, *anr;
	bool storage_changed = false;
	int rc;

	rc = http_json_body(&body, r, e);
	if (rc == SL_OK)
		rc = jsonx_opt_str(&mode, body, "targeting", 16, e);
	if (rc == SL_OK)
		rc = jsonx_opt_str(&unknown, body, "unknown_groups", 16, e);
	if (rc == SL_OK)
		rc = jsonx_opt_str(&reg, body, "registration", 16, e);
	if (rc == SL_OK)
		rc = jsonx_opt_str(&storage, body, "storage_mode", 16, e);
	anr = json_object_get(body, "approve_new_revisions");
	if (rc == SL_OK && anr != NULL && !json_is_boolean(anr))
		rc = err_set(e, SL_EINVAL,
		             "approve_new_revisions: expected true or false");
	if (rc != SL_OK)
		goto out;
	rc = store_begin(r->store, e);
	if (rc == SL_OK)
		rc = api_actor(actor, sizeof(actor), r, e);
	if (rc == SL_OK && (mode != NULL || unknown != NULL))
		rc = api_targeting_set(r->store, mode, unknown, e);
	if (rc == SL_OK && reg != NULL)
		rc = api_enroll_set_mode(r->store, reg, e);
	if (rc == SL_OK && reg != NULL)
		rc = store_audit_add(r->store, e, actor, "settings.set",
		                     "registration", "registration=%s", reg);
	if (rc == SL_OK && (mode != NULL || unknown != NULL))
		rc = store_audit_add(r->store, e, actor, "settings.set",
		                     "targeting",
		                     "targeting=%s unknown_groups=%s",
		                     mode ? mode : "(unchanged)",
		                     unknown ? unknown : "(unchanged)");
	if (rc == SL_OK && anr != NULL)
		rc = store_meta_set(r->store, "approve_new_revisions",
		                    json_is_true(anr) ? "1" : "0", e);
	if (rc == SL_OK && anr != NULL)
		rc = store_audit_add(r->store, e, actor, "settings.set",
		                     "approve_new_revisions",
		                     "approve_new_revisions=%s",
		                     json_is_true(anr) ? "on" : "off");
	/* Last before the commit: it switches the mode in memory. */
	if (rc == SL_OK && storage != NULL)
		rc = api_storage_set(&storage_changed, r, storage, actor, e);
	if (rc == SL_OK)
		rc = store_commit(r->store, e);
	if (rc != SL_OK)
		goto out;
	if (storage_changed)
		api_storage_changed(r);
	json_decref(body);
	return api_settings_get(r, out, e);
out:
	store_rollback(r->store);
	err_prefix(e, "settings");
	json_decref(body);
	return rc;
}
