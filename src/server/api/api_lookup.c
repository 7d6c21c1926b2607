/*
 * api_lookup: GET /v1/admin/lookup/updates?name=NAME — the updates a name
 * may mean (an id prefix, a KB article, an advisory id), so that the
 * console accepts what an administrator types, as git does with object id
 * prefixes. The console resolves a name to exactly one id or shows the
 * candidates.
 */
#include <string.h>

#include "api.h"
#include "api_manage.h"
#include "store/store.h"

int
api_lookup_updates(struct req *r, struct reply *out, struct err *e)
{
	const char *name = api_query(r, "name");
	json_t *arr;
	int rc;

	if (name == NULL || *name == '\0' || strlen(name) > 128)
		return err_set(e, SL_EINVAL,
		               "lookup: name: expected 1 to 128 characters");
	if ((arr = json_array()) == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	rc = store_begin_read(r->store, e);
	if (rc == SL_OK)
		rc = store_update_lookup(arr, r->store, name, e);
	if (rc == SL_OK)
		rc = store_commit(r->store, e);
	if (rc != SL_OK) {
		store_rollback(r->store);
		json_decref(arr);
		return err_prefix(e, "lookup");
	}
	out->json = json_pack("{s:o}", "updates", arr);
	return out->json ? SL_OK : err_set(e, SL_ENOMEM, "out of memory");
}
