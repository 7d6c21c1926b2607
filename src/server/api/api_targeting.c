/*
 * api_targeting: server-side or client-side group assignment (see the
 * header).
 */
#include "api_targeting.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"

static int
meta_or(char *out, size_t n, struct store *db, const char *key, const char *def,
        struct err *e)
{
	char *v = NULL;
	int rc = store_meta_get(db, key, &v, e);

	if (rc == SL_ENOTFOUND) {
		snprintf(out, n, "%s", def);
		return SL_OK;
	}
	if (rc != SL_OK)
		return rc;
	snprintf(out, n, "%s", v);
	free(v);
	return SL_OK;
}

int
api_targeting_get(struct targeting *out, struct store *db, struct err *e)
{
	int rc = meta_or(out->mode, sizeof(out->mode), db, "targeting",
	                 TARGETING_DEFAULT, e);

	if (rc == SL_OK)
		rc = meta_or(out->unknown, sizeof(out->unknown), db,
		             "unknown_groups", TARGETING_UNKNOWN_DEFAULT, e);
	return rc;
}

int
api_targeting_set(struct store *db, const char *mode, const char *unknown,
                  struct err *e)
{
	int rc = targeting_check(mode, unknown, e);

	if (rc != SL_OK)
		return rc;
	if (mode != NULL)
		rc = store_meta_set(db, "targeting", mode, e);
	if (rc == SL_OK && unknown != NULL)
		rc = store_meta_set(db, "unknown_groups", unknown, e);
	return rc;
}

static int
create_group(int64_t *out, struct store *db, const char *name, struct err *e)
{
	int64_t all;
	int rc;

	rc = store_group_id(&all, db, STORE_GROUP_ALL, e);
	if (rc == SL_OK)
		rc = store_group_create(out, db, name, all, e);
	if (rc != SL_OK)
		return err_prefix(e, "create group");
	if (rc == SL_OK)
		rc = store_audit_add(db, e, "agent registration",
		                     "group.create", name,
		                     "client-side targeting");
	return rc;
}

static int
name_ok(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f || *s == '/')
			return 0;
	return 1;
}

int
api_targeting_pick_group(int64_t *out, struct store *db, json_t *groups,
                         struct err *e)
{
	struct targeting t;
	const char *first = NULL;
	size_t i;
	json_t *g;
	int rc;

	rc = api_targeting_get(&t, db, e);
	if (rc != SL_OK)
		return rc;
	if (strcmp(t.mode, TARGETING_CLIENT) == 0 && json_is_array(groups)) {
		json_array_foreach(groups, i, g)
		{
			const char *name = json_string_value(g);
			rc = store_group_id(out, db, name, e);
			if (rc == SL_OK)
				return SL_OK;
			if (rc != SL_ENOTFOUND)
				return rc;
			if (first == NULL)
				first = name;
		}
		if (first != NULL &&
		    strcmp(t.unknown, TARGETING_UNKNOWN_REJECT) == 0)
			return err_set(
			        e, SL_EINVAL,
			        "groups: no group named '%s' on this "
			        "server (client-side targeting rejects "
			        "unknown groups: ask an administrator to "
			        "create it)",
			        first);
		if (first != NULL &&
		    strcmp(t.unknown, TARGETING_UNKNOWN_CREATE) == 0) {
			if (!name_ok(first) || strlen(first) > 128)
				return err_set(e, SL_EINVAL,
				               "groups: '%s' is not a valid "
				               "group name",
				               first);
			return create_group(out, db, first, e);
		}
	}
	return store_group_id(out, db, STORE_GROUP_UNASSIGNED, e);
}
