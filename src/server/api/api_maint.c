/*
 * api_maint: the maintenance endpoints (admin token): export and import of
 * updates for networks with no upstream (jobs/export.h). Both name a path
 * on the server's machine, as WSUS's wsusutil does: the archive is written
 * and read by sluiced itself, never carried through the HTTP body.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "api_maint.h"
#include "api_manage.h"
#include "cleanup.h"
#include "export.h"
#include "fetch.h"
#include "notify.h"
#include "progress.h"
#include "store/store_maint.h"
#include "store/store.h"

#define PATH_MAX_LEN 4000

static int
abs_path(const char **out, json_t *body, struct err *e)
{
	int rc = jsonx_req_str(out, body, "path", PATH_MAX_LEN, e);

	if (rc == SL_OK && (*out)[0] != '/')
		rc = err_set(e, SL_EINVAL,
		             "path: '%s' is not absolute (a path on the "
		             "server's machine)",
		             *out);
	return rc;
}

static void
audit(struct req *r, const char *action, const char *target, const char *detail)
{
	char actor[STORE_ACTOR_MAX];
	struct err e2;

	err_clear(&e2);
	/* Best effort: what was done is done either way. */
	if (api_actor(actor, sizeof(actor), r, &e2) == SL_OK)
		store_audit_add(r->store, &e2, actor, action, target, "%s",
		                detail);
}

int
api_maint_export(struct req *r, struct reply *out, struct err *e)
{
	struct export_opts o = {.files = EXPORT_FILES_ALL};
	struct export_result res;
	const char *files = NULL;
	json_t *body = NULL, *ap;
	char detail[256];
	int rc;

	if ((rc = http_json_body(&body, r, e)) != SL_OK)
		return err_prefix(e, "export");
	if ((rc = abs_path(&o.path, body, e)) != SL_OK ||
	    (rc = jsonx_opt_str(&files, body, "files", 16, e)) != SL_OK)
		goto out;
	if (files == NULL || strcmp(files, "all") == 0)
		o.files = EXPORT_FILES_ALL;
	else if (strcmp(files, "approved") == 0)
		o.files = EXPORT_FILES_APPROVED;
	else if (strcmp(files, "none") == 0)
		o.files = EXPORT_FILES_NONE;
	else {
		rc = err_set(e, SL_EINVAL,
		             "files: '%s' is not all, approved or none", files);
		goto out;
	}
	ap = json_object_get(body, "approvals");
	if (ap != NULL && !json_is_boolean(ap)) {
		rc = err_set(e, SL_EINVAL, "approvals: expected true or false");
		goto out;
	}
	o.approvals = json_is_true(ap);
	if ((rc = export_run(&res, r->store, r->env->cfg, &o, e)) != SL_OK)
		goto out;
	snprintf(detail, sizeof(detail),
	         "index %lld, %u updates, %u files, %u approvals",
	         (long long)res.index_version, res.updates, res.files,
	         res.approvals);
	audit(r, "export", o.path, detail);
	out->json = json_pack(
	        "{s:s,s:I,s:i,s:i,s:i,s:i,s:I,s:i}", "path", o.path,
	        "index_version", (json_int_t)res.index_version, "updates",
	        (int)res.updates, "skipped", (int)res.skipped, "files",
	        (int)res.files, "missing_files", (int)res.missing, "bytes",
	        (json_int_t)res.bytes, "approvals", (int)res.approvals);
	if (out->json == NULL)
		rc = err_set(e, SL_ENOMEM, "out of memory");
out:
	json_decref(body);
	return rc;
}

int
api_maint_import(struct req *r, struct reply *out, struct err *e)
{
	struct import_result res = {0};
	int64_t started;
	const char *path;
	json_t *body = NULL;
	char detail[256];
	int rc;

	if ((rc = http_json_body(&body, r, e)) != SL_OK)
		return err_prefix(e, "import");
	if ((rc = abs_path(&path, body, e)) != SL_OK)
		goto out;
	started = (int64_t)time(NULL);
	rc = import_run(&res, r->store, r->env->cfg, path, e);
	if (rc != SL_OK) {
		audit(r, "import", path, e->msg);
		goto out;
	}
	snprintf(detail, sizeof(detail),
	         "index %lld: %u new, %u revised, %u expired, %u files, %u "
	         "approvals",
	         (long long)res.index_version, res.new_count, res.revised_count,
	         res.expired_count, res.files, res.approvals);
	audit(r, "import", path, detail);
	fetch_wake(r->env->fetch);
	if (res.new_count + res.revised_count > 0) {
		struct err e2;

		err_clear(&e2);
		/* Best effort, as after a sync (the import is done). */
		(void)notify_after_sync(r->store, r->env->cfg, started, NULL,
		                        &e2);
	}
	out->json =
	        json_pack("{s:s,s:I,s:I,s:i,s:i,s:i,s:i,s:i,s:i}", "path", path,
	                  "history_id", (json_int_t)res.history_id,
	                  "index_version", (json_int_t)res.index_version, "new",
	                  (int)res.new_count, "revised", (int)res.revised_count,
	                  "expired", (int)res.expired_count, "files",
	                  (int)res.files, "files_already_present",
	                  (int)res.files_had, "approvals", (int)res.approvals);
	if (out->json == NULL)
		rc = err_set(e, SL_ENOMEM, "out of memory");
out:
	json_decref(body);
	return rc;
}

/* An optional integer member within [lo, hi] into *out. */
static int
opt_int(int *out, json_t *body, const char *key, int lo, int hi, struct err *e)
{
	json_t *v = json_object_get(body, key);

	if (v == NULL || json_is_null(v))
		return SL_OK;
	if (!json_is_integer(v) || json_integer_value(v) < lo ||
	    json_integer_value(v) > hi)
		return err_set(e, SL_EINVAL, "%s: expected an integer %d..%d",
		               key, lo, hi);
	*out = (int)json_integer_value(v);
	return SL_OK;
}

static int
opt_bool(bool *out, json_t *body, const char *key, struct err *e)
{
	json_t *v = json_object_get(body, key);

	if (v == NULL || json_is_null(v))
		return SL_OK;
	if (!json_is_boolean(v))
		return err_set(e, SL_EINVAL, "%s: expected true or false", key);
	*out = json_is_true(v);
	return SL_OK;
}

int
api_maint_cleanup(struct req *r, struct reply *out, struct err *e)
{
	struct cleanup_opts o;
	char actor[STORE_ACTOR_MAX];
	json_t *body = NULL, *rep = NULL;
	int rc;

	cleanup_opts_from_config(&o, r->env->cfg);
	if (r->body_len > 0 && (rc = http_json_body(&body, r, e)) != SL_OK)
		return err_prefix(e, "cleanup");
	if ((rc = api_actor(actor, sizeof(actor), r, e)) != SL_OK)
		goto out;
	o.actor = actor;
	if (body != NULL &&
	    ((rc = opt_bool(&o.dry_run, body, "dry_run", e)) != SL_OK ||
	     (rc = opt_int(&o.superseded_days, body, "superseded_days", -1,
	                   36500, e)) != SL_OK ||
	     (rc = opt_bool(&o.expired, body, "expired", e)) != SL_OK ||
	     (rc = opt_int(&o.computer_days, body, "computer_days", 0, 36500,
	                   e)) != SL_OK ||
	     (rc = opt_bool(&o.files, body, "files", e)) != SL_OK ||
	     (rc = opt_bool(&o.compact, body, "compact", e)) != SL_OK ||
	     (rc = opt_bool(&o.vacuum_full, body, "vacuum_full", e)) != SL_OK ||
	     (rc = opt_int(&o.batch, body, "batch", 0, 100000, e)) != SL_OK))
		goto out;
	if ((rc = cleanup_run(&rep, r->store, r->env->cfg, &o, e)) != SL_OK)
		goto out;
	if (!o.dry_run) {
		struct err e2;

		err_clear(&e2);
		store_audit_add(r->store, &e2, actor, "cleanup", NULL,
		                "finished in %lld ms",
		                (long long)json_integer_value(
		                        json_object_get(rep, "duration_ms")));
	}
	out->json = rep;
	rep = NULL;
out:
	json_decref(rep);
	json_decref(body);
	return rc;
}

/* The pending and failed files as the progress and history show them. */
static int
files_state(json_t **out, struct store *db, struct err *e)
{
	struct store_content_summary cs;
	json_t *list = json_array();
	int rc;

	if (list == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	if ((rc = store_maint_content_summary(&cs, db, e)) != SL_OK ||
	    (rc = store_maint_content_problems(list, db, 20, e)) != SL_OK) {
		json_decref(list);
		return rc;
	}
	*out = json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:o}", "pending",
	                 (json_int_t)cs.wanted, "pending_bytes",
	                 (json_int_t)cs.wanted_bytes, "failed",
	                 (json_int_t)cs.failed, "failed_bytes",
	                 (json_int_t)cs.failed_bytes, "present",
	                 (json_int_t)cs.present, "present_bytes",
	                 (json_int_t)cs.present_bytes, "problems", list);
	return *out != NULL ? SL_OK : err_set(e, SL_ENOMEM, "out of memory");
}

int
api_maint_sync_progress(struct req *r, struct reply *out, struct err *e)
{
	json_t *p = progress_json(), *files = NULL, *fe, *round;
	int64_t left;
	double rate;
	int rc;

	if (p == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	if ((rc = files_state(&files, r->store, e)) != SL_OK) {
		json_decref(p);
		return rc;
	}
	fe = json_object_get(p, "fetch");
	round = json_object_get(fe, "round");
	/* Total of this round: what it fetched plus what is still due. */
	json_object_set_new(round, "files_total",
	                    json_integer(json_integer_value(json_object_get(
	                                         round, "files_done")) +
	                                 json_integer_value(json_object_get(
	                                         files, "pending"))));
	left = json_integer_value(json_object_get(files, "pending_bytes"));
	if (json_object_get(fe, "current") != NULL)
		left -= json_integer_value(json_object_get(
		        json_object_get(fe, "current"), "received"));
	json_object_set_new(round, "bytes_total",
	                    json_integer(json_integer_value(json_object_get(
	                                         round, "bytes_done")) +
	                                 (left > 0 ? left : 0)));
	rate = (double)json_integer_value(json_object_get(round, "rate_bps"));
	json_object_set_new(
	        round, "eta_s",
	        rate > 0 && left > 0
	                ? json_integer((json_int_t)(left / rate + 1))
	                : (left > 0 ? json_null() : json_integer(0)));
	json_object_set_new(p, "files", files);
	out->json = p;
	return SL_OK;
}

int
api_maint_sync_history(struct req *r, struct reply *out, struct err *e)
{
	json_t *h0, *files = NULL;
	const char *res;
	int rc;

	if ((rc = api_list_reply(out, r->store, "history", store_sync_history,
	                         e)) != SL_OK)
		return rc;
	/* The newest successful run also says whether its files are all in
	 * (files_result complete, pending or failed) and which are not, and
	 * why. "result" keeps the metadata's outcome for scripts. */
	h0 = json_array_get(json_object_get(out->json, "history"), 0);
	res = json_string_value(json_object_get(h0, "result"));
	if (res == NULL || strcmp(res, "success") != 0 ||
	    config_storage_mode(r->env->cfg) == STORAGE_NONE)
		return SL_OK;
	if ((rc = files_state(&files, r->store, e)) != SL_OK)
		return rc;
	json_object_set_new(h0, "files_result",
	                    json_string(json_integer_value(json_object_get(
	                                        files, "failed")) > 0
	                                        ? "failed"
	                                : json_integer_value(json_object_get(
	                                          files, "pending")) > 0
	                                        ? "pending"
	                                        : "complete"));
	json_object_set_new(h0, "files", files);
	return SL_OK;
}

int
api_maint_notify(struct req *r, struct reply *out, struct err *e)
{
	const struct server_config *cfg = r->env->cfg;
	const char *what = r->params[0];
	json_t *ev;
	int rc, sent = 0;

	if (!notify_configured(cfg))
		return err_set(e, SL_ECONFLICT,
		               "no notification configured ([notify] smtp and "
		               "to, or webhook)");
	if (strcmp(what, "test") == 0) {
		if ((ev = json_object()) == NULL)
			return err_set(e, SL_ENOMEM, "out of memory");
		rc = notify_send(cfg, "test", "sluice: test message",
		                 "This is a test message from sluiced: "
		                 "notifications work.\n",
		                 ev, &sent, e);
		json_decref(ev);
	} else if (strcmp(what, "report") == 0) {
		rc = notify_report(r->store, cfg, &sent, e);
	} else {
		return err_set(e, SL_ENOTFOUND,
		               "notify: '%s' is not test or report", what);
	}
	if (rc != SL_OK)
		return err_prefix(e, "notify %s", what);
	audit(r, "notify", what, "sent");
	out->json = json_pack("{s:s,s:i}", "sent", what, "channels", sent);
	return out->json ? SL_OK : err_set(e, SL_ENOMEM, "out of memory");
}
