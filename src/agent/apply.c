/*
 * apply: download and run the installers the detection found due, one at
 * a time, prerequisites first (see agent.h). Every installer runs between
 * a journal row and the recorded result, so an agent that dies mid-install
 * reports it on its next start instead of forgetting it.
 */
#include "agent.h"
#include "agentapi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "hash.h"
#include "httpc.h"
#include "install.h"
#include "log.h"

static void
queue_simple(struct agent *a, const struct det_update *x, const char *kind,
             const char *result, int code, const char *output)
{
	struct as_event ev;
	struct err e;

	memset(&ev, 0, sizeof(ev));
	snprintf(ev.id, sizeof(ev.id), "%s", x->id);
	ev.revision = x->revision;
	snprintf(ev.kind, sizeof(ev.kind), "%s", kind);
	snprintf(ev.result, sizeof(ev.result), "%s", result);
	ev.exit_code = code;
	ev.output = output;
	if (agentstate_queue_event(a->st, &ev, &e) != SL_OK)
		log_error("queueing a %s event for %s: %s", kind, x->id, e.msg);
}

/* Make every file of x present under downloads/<sha256>; paths[i] gets
 * its path (freed by the caller). */
static int
download_all(struct agent *a, const struct as_entry *en, const bool *want,
             char **paths, struct err *e)
{
	struct httpc_opts o = {0};
	struct stat sb;
	int rc;

	o.max_bytes_per_s = a->cfg->bandwidth_limit;
	o.proxy = agentapi_proxy();
	o.timeout_s = 24 * 3600;
	for (size_t i = 0; i < en->n_files; i++) {
		const struct as_file *f = &en->files[i];
		size_t n = strlen(a->downloads) + 1 + 64 + 1;

		if (want != NULL && !want[i])
			continue;
		if ((paths[i] = malloc(n)) == NULL)
			return err_set(e, SL_ENOMEM, "out of memory");
		snprintf(paths[i], n, "%s/%s", a->downloads, f->sha256);
		/* A file kept from an earlier run is used only if it still
		 * has its hash; otherwise it is fetched again. */
		if (stat(paths[i], &sb) == 0) {
			char sha[HASH_HEX_LEN + 1];
			if ((uint64_t)sb.st_size == f->size &&
			    hash_file_hex(paths[i], sha, NULL, NULL) == SL_OK &&
			    strcmp(sha, f->sha256) == 0)
				continue;
			log_warn("%s does not match its SHA-256; fetching it "
			         "again",
			         paths[i]);
			unlink(paths[i]);
		}
		log_info("downloading %s (%llu bytes) for %s", f->url,
		         (unsigned long long)f->size, en->id);
		if ((rc = httpc_download(f->url, paths[i], f->size, f->sha256,
		                         &o, e)) != SL_OK)
			return err_prefix(e, "download %s", f->url);
	}
	return SL_OK;
}

/* The document's files in the order of u->files, matched by hash (NULL
 * for a file not downloaded). */
static int
map_paths(const struct as_entry *en, const struct update *u, char **by_entry,
          const char **out, struct err *e)
{
	for (size_t i = 0; i < u->n_files; i++) {
		bool listed = false;
		out[i] = NULL;
		for (size_t k = 0; k < en->n_files; k++)
			if (strcmp(en->files[k].sha256, u->files[i].sha256) ==
			    0) {
				out[i] = by_entry[k];
				listed = true;
			}
		if (!listed)
			return err_set(e, SL_ENOTFOUND,
			               "the server lists no URL for file %s",
			               u->files[i].name);
	}
	return SL_OK;
}

/* For the deb handler: which of the entry's files will be installed (the
 * binaries the machine has in an older version), so only those are
 * downloaded. NULL (download everything; the handler decides and reports)
 * when that cannot be told. Free with free(). */
static bool *
deb_wanted(struct agent *a, const struct as_entry *en, const struct update *u)
{
	bool *chosen = calloc(u->n_files + 1, sizeof(bool));
	bool *want = calloc(en->n_files + 1, sizeof(bool));
	size_t n = 0;
	struct err e;

	if (chosen == NULL || want == NULL ||
	    install_deb_select(chosen, &n, NULL, 0, u, a->cfg->root, &e) !=
	            SL_OK) {
		free(chosen);
		free(want);
		return NULL;
	}
	for (size_t i = 0; i < u->n_files; i++)
		for (size_t k = 0; chosen[i] && k < en->n_files; k++)
			if (strcmp(en->files[k].sha256, u->files[i].sha256) ==
			    0)
				want[k] = true;
	free(chosen);
	return want;
}

enum run_result { RUN_OK, RUN_FAILED, RUN_SKIPPED };

/* Load the entry and verify its document once more right before use. */
static int
load(struct agent *a, const struct det_update *x, struct as_entry **en,
     struct update **u, struct err *e)
{
	int rc;

	if ((rc = agentstate_view_get(a->st, x->id, en, e)) != SL_OK)
		return rc;
	if ((*en)->revision != x->revision)
		rc = err_set(e, SL_ECONFLICT,
		             "revision changed since the detection");
	else
		rc = agent_load_update(a, *en, u, e);
	if (rc != SL_OK) {
		agentstate_entries_free(*en, 1);
		*en = NULL;
	}
	return rc;
}

/* Download and run one installer; the result is recorded and queued. */
static int
run_one(struct agent *a, struct det_update *x, bool uninstall,
        enum run_result *res, struct err *e)
{
	const char *kind = uninstall ? "uninstall" : "install";
	struct as_entry *en = NULL;
	struct update *u = NULL;
	char **paths = NULL;
	const char **upaths = NULL;
	struct install_outcome oc;
	struct install_job job;
	struct as_event ev;
	struct err de;
	bool need_files, *want = NULL;
	int rc = SL_OK;

	*res = RUN_FAILED;
	memset(&oc, 0, sizeof(oc));
	err_clear(&de);
	if (load(a, x, &en, &u, &de) != SL_OK) {
		log_error("update %s: not run: %s", x->id, de.msg);
		queue_simple(a, x, "verify", "failure", -1, de.msg);
		goto out;
	}
	if (uninstall && u->install.uninstall_arguments == NULL) {
		log_warn("update %s is approved for removal but cannot be "
		         "uninstalled (no uninstall_arguments)",
		         x->id);
		*res = RUN_SKIPPED;
		goto out;
	}
	need_files = !(uninstall && strcmp(u->install.handler, "dpkg") == 0);
	paths = calloc(en->n_files + 1, sizeof(char *));
	upaths = calloc(u->n_files + 1, sizeof(char *));
	if (paths == NULL || upaths == NULL) {
		rc = err_set(e, SL_ENOMEM, "out of memory");
		goto out;
	}
	if (need_files && !uninstall && strcmp(u->install.handler, "deb") == 0)
		want = deb_wanted(a, en, u);
	if (need_files && (download_all(a, en, want, paths, &de) != SL_OK ||
	                   map_paths(en, u, paths, upaths, &de) != SL_OK)) {
		log_error("update %s: %s", x->id, de.msg);
		queue_simple(a, x, "download", "failure", -1, de.msg);
		goto out;
	}
	memset(&job, 0, sizeof(job));
	job.u = u;
	job.uninstall = uninstall;
	job.root = a->cfg->root;
	job.paths = need_files ? upaths : NULL;
	job.work_dir = a->work;
	job.default_timeout_s = (int)a->cfg->install_timeout;
	job.kill_grace_s = a->kill_grace_s;
	job.deb_apt = a->cfg->deb_dependencies != NULL &&
	              strcmp(a->cfg->deb_dependencies, "apt") == 0;
	if ((rc = agentstate_journal_begin(a->st, x->id, x->revision, kind,
	                                   e)) != SL_OK)
		goto out;
	log_info("%s %s revision %lld (%s): starting %s handler",
	         uninstall ? "removing" : "installing", x->id,
	         (long long)x->revision, u->title, u->install.handler);
	if ((rc = install_run(&oc, &job, e)) != SL_OK) {
		/* Could not even prepare: a failure, recorded like any. */
		oc.result = INSTALL_FAILURE;
		oc.exit_code = -1;
		snprintf(oc.detail, sizeof(oc.detail), "%s", e->msg);
		rc = SL_OK;
	}
	memset(&ev, 0, sizeof(ev));
	snprintf(ev.id, sizeof(ev.id), "%s", x->id);
	ev.revision = x->revision;
	snprintf(ev.kind, sizeof(ev.kind), "%s", kind);
	snprintf(ev.result, sizeof(ev.result), "%s",
	         install_result_name(oc.result));
	ev.exit_code = oc.exit_code;
	ev.output = oc.output ? oc.output : oc.detail;
	if ((rc = agentstate_journal_finish(a->st, &ev, oc.detail, a->boot_id,
	                                    e)) != SL_OK)
		goto out;
	if (oc.result != INSTALL_FAILURE) {
		*res = RUN_OK;
		log_info("%s %s: %s (%s)", kind, x->id,
		         install_result_name(oc.result), oc.detail);
	} else {
		log_error("%s %s: failure (%s)", kind, x->id, oc.detail);
	}
out:
	install_outcome_clear(&oc);
	for (size_t i = 0; paths && en && i < en->n_files; i++)
		free(paths[i]);
	free(paths);
	free(upaths);
	free(want);
	update_free(u);
	agentstate_entries_free(en, en ? 1 : 0);
	return rc;
}

/* Mark x and, recursively, the prerequisites it needs as wanted now. */
static void
want(struct detection *d, struct det_update *x, unsigned char *wanted)
{
	size_t i = (size_t)(x - d->ups);

	if (wanted[i])
		return;
	wanted[i] = 1;
	for (size_t k = 0; x->prerequisites && x->prerequisites[k]; k++) {
		struct det_update *p = detection_find(d, x->prerequisites[k]);
		if (p != NULL && p->candidate)
			want(d, p, wanted);
	}
}

/* A prerequisite failed (or was skipped) in this run. */
static const char *
failed_prerequisite(struct detection *d, struct det_update *x,
                    const unsigned char *failed)
{
	for (size_t k = 0; x->prerequisites && x->prerequisites[k]; k++) {
		struct det_update *p = detection_find(d, x->prerequisites[k]);
		if (p != NULL && failed[p - d->ups])
			return p->id;
	}
	return NULL;
}

int
agent_apply(struct agent *a, struct detection *d, bool due_only,
            volatile int *stop, size_t *n_done, size_t *n_failed, struct err *e)
{
	unsigned char *wanted = calloc(d->n ? d->n : 1, 1);
	unsigned char *failed = calloc(d->n ? d->n : 1, 1);
	long long now = (long long)time(NULL);
	size_t done = 0, nfail = 0;
	enum run_result res;
	int rc = SL_OK;

	if (wanted == NULL || failed == NULL) {
		rc = err_set(e, SL_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < d->n; i++) {
		struct det_update *x = &d->ups[i];
		bool due = !due_only || (x->deadline != 0 &&
		                         x->deadline <= now && !x->last_failed);
		if (due && x->candidate && !x->blocked)
			want(d, x, wanted);
	}
	/* A stale catalog (freshness.c): the view may be what a frozen or
	 * replaying server shows; nothing is installed or removed. */
	for (size_t i = 0; i < d->n; i++) {
		char why[ERR_MSG_MAX];

		if (!wanted[i])
			continue;
		if (agent_catalog_stale(a, why, sizeof(why)))
			rc = err_set(e, SL_EEXPIRED,
			             "catalog stale: %s: nothing installed",
			             why);
		break;
	}
	if (rc != SL_OK)
		goto out;
	for (size_t j = 0; j < d->n; j++) {
		size_t i = d->order[j];
		struct det_update *x = &d->ups[i];
		const char *pf;

		if (!wanted[i] || x->blocked || !x->candidate)
			continue;
		if (stop != NULL && *stop)
			break;
		if ((pf = failed_prerequisite(d, x, failed)) != NULL) {
			log_warn("update %s: not installed: prerequisite %s "
			         "failed",
			         x->id, pf);
			failed[i] = 1;
			continue;
		}
		if ((rc = run_one(a, x, false, &res, e)) != SL_OK)
			goto out;
		failed[i] = res != RUN_OK;
		nfail += res == RUN_FAILED;
		done += res != RUN_SKIPPED;
	}
	for (size_t i = 0; i < d->n; i++) {
		struct det_update *x = &d->ups[i];
		bool due = !due_only || (x->deadline != 0 &&
		                         x->deadline <= now && !x->last_failed);
		if (!due || !x->accepted ||
		    strcmp(x->action, "uninstall") != 0 ||
		    strncmp(x->state, "installed", 9) != 0)
			continue;
		if (stop != NULL && *stop)
			break;
		if ((rc = run_one(a, x, true, &res, e)) != SL_OK)
			goto out;
		nfail += res == RUN_FAILED;
		done += res != RUN_SKIPPED;
	}
	if (n_done != NULL)
		*n_done = done;
	if (n_failed != NULL)
		*n_failed = nfail;
out:
	free(wanted);
	free(failed);
	return rc;
}
