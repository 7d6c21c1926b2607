/*
 * api_storage: the storage mode as a setting that changes on a running
 * server (PUT /v1/admin/settings {"storage_mode": ...}, audited). The
 * mode set here is kept in the meta table and wins over [storage] mode at
 * the next start. Switching hands every agent the files' new URLs at its
 * next incremental sync (every update's change sequence moves), and, into
 * full or on-approval, queues the files the mode wants at once (without
 * waiting for the next upstream change).
 */
#include <time.h>

#include "api.h"
#include "api_manage.h"
#include "store/store.h"
#include "fetch.h"
#include "sync_result.h"

/* The mode in effect. The field is written only here, one aligned int,
 * and read by handlers and the fetch thread. */
enum storage_mode
api_storage_mode(const struct req *r)
{
	return config_storage_mode(r->env->cfg);
}

int
api_storage_set(bool *changed, struct req *r, const char *name,
                const char *actor, struct err *e)
{
	struct server_config *cfg = (struct server_config *)r->env->cfg;
	enum storage_mode want, was = api_storage_mode(r);
	unsigned n = 0;
	int rc;

	*changed = false;
	rc = config_storage_parse(&want, name, e);
	if (rc != SL_OK)
		return err_prefix(e, "storage_mode");
	if (want == was)
		return SL_OK;
	/* Inside the caller's transaction: the setting, the new URLs, the
	 * audit record. */
	rc = store_meta_set(r->store, "storage_mode", name, e);
	if (rc == SL_OK)
		rc = store_updates_touch_all(r->store, e);
	if (rc == SL_OK)
		rc = store_audit_add(r->store, e, actor, "settings.set",
		                     "storage_mode", "storage_mode=%s (was %s)",
		                     name, config_storage_name(was));
	if (rc == SL_OK)
		rc = sync_want_content(r->store, want, (long long)time(NULL),
		                       &n, e);
	if (rc != SL_OK)
		return rc;
	__atomic_store_n(&cfg->storage_mode, want, __ATOMIC_RELAXED);
	*changed = true;
	return SL_OK;
}

void
api_storage_changed(struct req *r)
{
	if (r->env->fetch != NULL)
		fetch_wake(r->env->fetch);
}
