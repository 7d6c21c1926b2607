/*
 * api_enroll: enrollment keys and their check at registration
 * (api_enroll.h).
 */
#include "api_enroll.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "api.h"
#include "api_manage.h"
#include "auth.h"
#include "sign.h"

#define KEY_GROUPS_MAX 32
#define KEY_MAX_LEN    128

int
api_enroll_list(struct req *r, struct reply *out, struct err *e)
{
	return api_list_reply(out, r->store, "enrollment_keys",
	                      store_enroll_list, e);
}

/* "groups": an array of existing group names, as JSON text (NULL when
 * absent or empty). */
static int
key_groups(char **out, struct store *s, json_t *groups, struct err *e)
{
	size_t i;
	json_t *g;
	int64_t gid;
	int rc;

	*out = NULL;
	if (groups == NULL || json_is_null(groups))
		return SL_OK;
	if (!json_is_array(groups) || json_array_size(groups) > KEY_GROUPS_MAX)
		return err_set(e, SL_EINVAL,
		               "groups: expected an array of at most %d names",
		               KEY_GROUPS_MAX);
	json_array_foreach(groups, i, g)
	{
		if (!json_is_string(g))
			return err_set(e, SL_EINVAL,
			               "groups[%zu]: expected a name", i);
		rc = store_group_id(&gid, s, json_string_value(g), e);
		if (rc == SL_ENOTFOUND)
			return err_set(e, SL_EINVAL,
			               "groups[%zu]: no group named '%s'", i,
			               json_string_value(g));
		if (rc != SL_OK)
			return rc;
	}
	if (json_array_size(groups) == 0)
		return SL_OK;
	*out = json_dumps(groups, JSON_COMPACT);
	return *out ? SL_OK : err_set(e, SL_ENOMEM, "out of memory");
}

/* "expires": RFC 3339 time, or "expires_in": seconds from now. */
static int
key_expiry(int64_t *out, json_t *body, int64_t now, struct err *e)
{
	json_t *in = json_object_get(body, "expires_in");
	const char *at = NULL;
	long long t;
	int rc;

	*out = 0;
	rc = jsonx_opt_str(&at, body, "expires", 64, e);
	if (rc != SL_OK)
		return rc;
	if (at != NULL && in != NULL)
		return err_set(e, SL_EINVAL,
		               "give expires or expires_in, not both");
	if (at != NULL) {
		rc = sign_time_parse(at, &t, e);
		if (rc != SL_OK)
			return err_prefix(e, "expires");
		*out = t;
	} else if (in != NULL) {
		if (!json_is_integer(in) || json_integer_value(in) <= 0 ||
		    json_integer_value(in) > 100LL * 366 * 86400)
			return err_set(e, SL_EINVAL,
			               "expires_in: expected seconds, 1 to 100 "
			               "years");
		*out = now + json_integer_value(in);
	}
	if (*out != 0 && *out <= now)
		return err_set(e, SL_EINVAL, "expires: %s is in the past", at);
	return SL_OK;
}

int
api_enroll_create(struct req *r, struct reply *out, struct err *e)
{
	char actor[STORE_ACTOR_MAX], key[AUTH_TOKEN_LEN + 1],
	        kh[AUTH_TOKEN_LEN + 1];
	struct store_enroll_new k = {0};
	const char *name = NULL;
	char *groups = NULL;
	json_t *body = NULL, *uses;
	int64_t id, now = (int64_t)time(NULL);
	int rc;

	key[0] = '\0';
	rc = http_json_body(&body, r, e);
	if (rc == SL_OK)
		rc = jsonx_opt_str(&name, body, "name", 64, e);
	if (rc != SL_OK)
		goto out;
	k.now = now;
	uses = json_object_get(body, "uses");
	if (uses != NULL && !json_is_null(uses)) {
		if (!json_is_integer(uses) || json_integer_value(uses) < 1 ||
		    json_integer_value(uses) > 1000000000) {
			rc = err_set(e, SL_EINVAL,
			             "uses: expected 1 to 1000000000");
			goto out;
		}
		k.max_uses = json_integer_value(uses);
	}
	rc = key_expiry(&k.expires_at, body, now, e);
	if (rc != SL_OK)
		goto out;
	rc = store_begin(r->store, e);
	if (rc == SL_OK)
		rc = key_groups(&groups, r->store,
		                json_object_get(body, "groups"), e);
	if (rc == SL_OK)
		rc = api_actor(actor, sizeof(actor), r, e);
	if (rc != SL_OK)
		goto out;
	auth_token_new(key);
	auth_token_hash(kh, key);
	k.key_hash = kh;
	k.name = name;
	k.groups = groups;
	k.created_by = actor;
	rc = store_enroll_create(&id, r->store, &k, e);
	if (rc == SL_OK)
		rc = store_audit_add(
		        r->store, e, actor, "enrollment.create", name,
		        "key #%lld, groups %s, uses %lld, "
		        "expires %lld",
		        (long long)id, groups ? groups : "(any)",
		        (long long)k.max_uses, (long long)k.expires_at);
	if (rc == SL_OK)
		rc = store_commit(r->store, e);
	if (rc != SL_OK)
		goto out;
	out->status = 201;
	out->json = json_pack("{s:I,s:s}", "id", (json_int_t)id, "key", key);
	if (out->json == NULL)
		rc = err_set(e, SL_ENOMEM, "out of memory");
out:
	if (rc != SL_OK) {
		store_rollback(r->store);
		err_prefix(e, "create enrollment key");
	}
	sodium_memzero(key, sizeof(key));
	free(groups);
	json_decref(body);
	return rc;
}

int
api_enroll_revoke(struct req *r, struct reply *out, struct err *e)
{
	char actor[STORE_ACTOR_MAX], *end;
	long long id;
	int rc;

	id = strtoll(r->params[0], &end, 10);
	if (*end != '\0' || id <= 0)
		return err_set(e, SL_EINVAL,
		               "revoke enrollment key: '%s' is not a key id",
		               r->params[0]);
	rc = store_begin(r->store, e);
	if (rc == SL_OK)
		rc = api_actor(actor, sizeof(actor), r, e);
	if (rc == SL_OK)
		rc = store_enroll_revoke(r->store, id, e);
	if (rc == SL_OK)
		rc = store_audit_add(r->store, e, actor, "enrollment.revoke",
		                     NULL, "key #%lld", id);
	if (rc == SL_OK)
		rc = store_commit(r->store, e);
	if (rc != SL_OK) {
		store_rollback(r->store);
		return err_prefix(e, "revoke enrollment key");
	}
	out->json = json_pack("{s:I}", "revoked", (json_int_t)id);
	return out->json ? SL_OK : err_set(e, SL_ENOMEM, "out of memory");
}

/* The group of a pinned key: see api_enroll.h. */
static int
pinned_group(int64_t *out, struct store *s, const struct store_enroll_key *k,
             json_t *asked, struct err *e)
{
	json_t *pins = json_loads(k->groups, 0, NULL), *p, *a;
	size_t i, j;
	int rc = SL_ENOTFOUND;

	if (!json_is_array(pins)) {
		json_decref(pins);
		return err_set(e, SL_EINTERNAL,
		               "enrollment key #%lld: bad group list",
		               (long long)k->id);
	}
	if (json_is_array(asked))
		json_array_foreach(asked, i, a)
		{
			json_array_foreach(pins, j, p)
			{
				if (!json_equal(a, p))
					continue;
				rc = store_group_id(out, s,
				                    json_string_value(p), e);
				if (rc != SL_ENOTFOUND)
					goto out;
			}
		}
	json_array_foreach(pins, j, p)
	{
		rc = store_group_id(out, s, json_string_value(p), e);
		if (rc != SL_ENOTFOUND)
			goto out;
	}
	rc = err_set(e, SL_ECONFLICT,
	             "enrollment key #%lld: none of its groups %s exists "
	             "any more",
	             (long long)k->id, k->groups);
out:
	json_decref(pins);
	return rc;
}

int
api_enroll_admit(int64_t *key_id, int64_t *group_id, bool *pinned,
                 struct store *s, json_t *body,
                 int (*pick)(int64_t *out, struct store *s, json_t *groups,
                             struct err *e),
                 struct err *e)
{
	struct store_enroll_key k = {0};
	json_t *groups = json_object_get(body, "groups");
	char mode[16], kh[AUTH_TOKEN_LEN + 1];
	const char *key = NULL;
	int rc;

	*pinned = false;
	rc = jsonx_opt_str(&key, body, "enrollment_key", KEY_MAX_LEN, e);
	if (rc == SL_OK)
		rc = store_registration_mode(mode, s, e);
	if (rc != SL_OK)
		return rc;
	if (key == NULL) {
		if (strcmp(mode, STORE_REGISTRATION_OPEN) != 0)
			return err_set(
			        e, SL_EAUTH,
			        "this server registers computers with an "
			        "enrollment key only (enrollment_key in "
			        "the agent's configuration; sluice "
			        "enrollment create makes one)");
		*key_id = 0;
		return pick(group_id, s, groups, e);
	}
	auth_token_hash(kh, key);
	rc = store_enroll_use(&k, s, kh, (int64_t)time(NULL), e);
	if (rc != SL_OK)
		return rc;
	*pinned = k.groups != NULL;
	if (k.groups != NULL)
		rc = pinned_group(group_id, s, &k, groups, e);
	else
		rc = pick(group_id, s, groups, e);
	if (rc == SL_OK)
		*key_id = k.id;
	store_enroll_key_clear(&k);
	return rc;
}

int
api_enroll_audit(struct store *s, const char *computer_id, const char *hostname,
                 int64_t group_id, int64_t key_id, struct err *e)
{
	char actor[64];
	int rc;

	if (key_id > 0)
		snprintf(actor, sizeof(actor), "enrollment key #%lld",
		         (long long)key_id);
	else
		snprintf(actor, sizeof(actor), "open registration");
	rc = key_id > 0 ? store_enroll_mark_computer(s, computer_id, key_id, e)
	                : SL_OK;
	if (rc == SL_OK)
		rc = store_audit_add(s, e, actor, "computer.register",
		                     computer_id, "hostname %s, group #%lld",
		                     hostname, (long long)group_id);
	return rc;
}

int
api_enroll_set_mode(struct store *s, const char *mode, struct err *e)
{
	if (strcmp(mode, STORE_REGISTRATION_KEY) != 0 &&
	    strcmp(mode, STORE_REGISTRATION_OPEN) != 0)
		return err_set(e, SL_EINVAL,
		               "registration: expected key or open");
	return store_meta_set(s, "registration", mode, e);
}
