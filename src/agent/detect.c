/*
 * detect: the agent's context, registration, sync and the evaluation of
 * the approved view into per-update states (see agent.h).
 *
 * Trust: the server only transports documents. Each envelope is verified
 * against the agent's own trusted keys before its rules are read; a
 * refused document is never used, and its refusal is reported once.
 */
#include "agent.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agentapi.h"
#include "fsx.h"
#include "hash.h"
#include "log.h"
#include "osinfo.h"
#include "rules.h"
#include "sign.h"

static void
read_boot_id(char out[40])
{
	char *text = NULL;
	size_t len = 0;

	out[0] = '\0';
	if (fsx_read("/proc/sys/kernel/random/boot_id", 64, &text, &len,
	             NULL) != SL_OK)
		return;
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == ' '))
		text[--len] = '\0';
	snprintf(out, 40, "%s", text);
	free(text);
}

int
agent_open(struct agent *a, struct agentcfg *cfg, struct err *e)
{
	size_t n = 0;
	int rc;

	memset(a, 0, sizeof(*a));
	a->cfg = cfg;
	a->lock_fd = -1;
	if ((rc = fsx_mkdirs(cfg->state_dir, 0700, e)) != SL_OK ||
	    (rc = fsx_join(a->db_path, sizeof(a->db_path), cfg->state_dir,
	                   "agent.db", e)) != SL_OK ||
	    (rc = fsx_join(a->downloads, sizeof(a->downloads), cfg->state_dir,
	                   "downloads", e)) != SL_OK ||
	    (rc = fsx_join(a->work, sizeof(a->work), cfg->state_dir, "work",
	                   e)) != SL_OK ||
	    (rc = fsx_mkdirs(a->downloads, 0700, e)) != SL_OK)
		return err_prefix(e, "state directory");
	if ((rc = agentstate_open(&a->st, a->db_path, e)) != SL_OK)
		return rc;
	read_boot_id(a->boot_id);
	if ((rc = agentstate_journal_recover(a->st, &n, e)) != SL_OK) {
		agent_close(a);
		return rc;
	}
	if (n > 0)
		log_warn("%zu install(s) were interrupted when the agent "
		         "stopped; reported as failed",
		         n);
	return SL_OK;
}

void
agent_close(struct agent *a)
{
	if (a == NULL)
		return;
	agent_unlock(a);
	agentstate_close(a->st);
	a->st = NULL;
}

static int
do_register(struct agent *a, struct err *e)
{
	struct agentapi_host h;
	struct osinfo *oi = NULL;
	char host[256], *id = NULL, *token = NULL;
	int rc;

	if ((rc = osinfo_load(&oi, a->cfg->root, e)) != SL_OK)
		return err_prefix(e, "register");
	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "unknown");
	host[sizeof(host) - 1] = '\0';
	h.hostname = host;
	h.os_id = oi->id;
	h.os_version = oi->version_id;
	h.arch = oi->arch;
	h.kernel = oi->kernel;
	h.groups = a->cfg->groups;
	if ((rc = agentapi_register(&id, &token, a->cfg->server, &h, e)) !=
	    SL_OK)
		goto out;
	if ((rc = agentstate_set_identity(a->st, id, token, e)) != SL_OK)
		goto out;
	log_info("registered with %s as computer %s", a->cfg->server, id);
out:
	osinfo_free(oi);
	free(id);
	free(token);
	return rc;
}

static int
sync_once(struct agent *a, struct err *e)
{
	struct agentapi_sync s = {0};
	char *id = NULL, *token = NULL, *anchor = NULL;
	int rc;

	rc = agentstate_identity(a->st, &id, &token, e);
	if (rc == SL_ENOTFOUND) {
		if ((rc = do_register(a, e)) != SL_OK)
			goto out;
		rc = agentstate_identity(a->st, &id, &token, e);
	}
	if (rc != SL_OK)
		goto out;
	if ((rc = agentstate_anchor(a->st, &anchor, e)) != SL_OK)
		goto out;
	if ((rc = agentapi_sync(&s, a->cfg->server, token, anchor, e)) != SL_OK)
		goto out;
	if ((rc = agentstate_view_apply(a->st, s.full, s.entries, s.n,
	                                s.removed, s.n_removed, s.anchor, e)) !=
	    SL_OK)
		goto out;
	log_info("synced %s: %zu update(s)%s, %zu removed, anchor %s",
	         s.full ? "fully" : "incrementally", s.n,
	         s.full ? "" : " changed", s.n_removed, s.anchor);
out:
	agentapi_sync_clear(&s);
	free(id);
	free(token);
	free(anchor);
	return rc;
}

int
agent_sync(struct agent *a, struct err *e)
{
	int rc = sync_once(a, e);

	if (rc == SL_EAUTH) {
		log_warn("%s; registering again", e->msg);
		if ((rc = agentstate_clear_identity(a->st, e)) == SL_OK)
			rc = sync_once(a, e);
	}
	return rc;
}

void
detection_free(struct detection *d)
{
	if (d == NULL)
		return;
	for (size_t i = 0; i < d->n; i++)
		update_free(d->ups[i].u);
	agentstate_entries_free(d->ents, d->n);
	free(d->ups);
	free(d->order);
	free(d);
}

struct det_update *
detection_find(struct detection *d, const char *id)
{
	size_t lo = 0, hi = d->n;

	/* The view is sorted by id. */
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(d->ents[mid].id, id);
		if (c == 0)
			return &d->ups[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static bool
state_is(const struct det_update *x, const char *a, const char *b,
         const char *c)
{
	return strcmp(x->state, a) == 0 || (b && strcmp(x->state, b) == 0) ||
	       (c && strcmp(x->state, c) == 0);
}

static bool
is_installed_state(const struct det_update *x)
{
	return state_is(x, "installed", "installed-pending-reboot", NULL);
}

static bool
is_needed_state(const struct det_update *x)
{
	return state_is(x, "needed", "downloaded", "failed");
}

struct lookup_ctx {
	struct agent *a;
	struct detection *d;
};

/* update_installed: known installed locally, or evaluated installed now. */
static bool
lookup_installed(void *arg, const char *id)
{
	struct lookup_ctx *lc = arg;
	struct det_update *x = detection_find(lc->d, id);
	bool installed = false;

	if (x != NULL && x->evaluated)
		return is_installed_state(x);
	if (agentstate_installed(lc->a->st, id, &installed, NULL) != SL_OK)
		return false;
	return installed;
}

static void set_state(struct det_update *x, const char *state, const char *fmt,
                      ...) __attribute__((format(printf, 3, 4)));

static void
set_state(struct det_update *x, const char *state, const char *fmt, ...)
{
	va_list ap;

	snprintf(x->state, sizeof(x->state), "%s", state);
	x->detail[0] = '\0';
	if (fmt != NULL) {
		va_start(ap, fmt);
		vsnprintf(x->detail, sizeof(x->detail), fmt, ap);
		va_end(ap);
	}
}

/* Verify the envelope and parse the signed document into x->u. */
static int
verify_doc(struct agent *a, struct det_update *x, struct err *e)
{
	const struct as_entry *en = x->en;
	const json_t *doc = NULL;
	json_error_t je;
	json_t *env;
	int rc;

	env = json_loads(en->document, 0, &je);
	if (env == NULL)
		return err_set(e, SL_EPARSE, "document: %s", je.text);
	if ((rc = sign_envelope_verify(env, &a->cfg->keyring, &doc, e)) !=
	            SL_OK ||
	    (rc = update_from_json(&x->u, doc, e)) != SL_OK)
		goto out;
	if (strcmp(x->u->id, en->id) != 0 || x->u->revision != en->revision)
		rc = err_set(e, SL_EVERIFY,
		             "the signed document is %s revision %lld, not "
		             "revision %lld of this update",
		             x->u->id, (long long)x->u->revision,
		             (long long)en->revision);
out:
	if (rc != SL_OK) {
		update_free(x->u);
		x->u = NULL;
	}
	json_decref(env);
	return rc;
}

static int
refuse(struct agent *a, struct det_update *x, const struct err *why,
       struct err *e)
{
	char sha[HASH_HEX_LEN + 1];
	struct as_event ev;
	bool is_new = false;
	int rc;

	set_state(x, "not-applicable", "refused: %s", why->msg);
	hash_buf_hex(x->en->document, strlen(x->en->document), sha);
	if ((rc = agentstate_refused_mark(a->st, x->en->id, x->en->revision,
	                                  sha, &is_new, e)) != SL_OK ||
	    !is_new)
		return rc;
	log_warn("update %s revision %lld: metadata refused: %s", x->en->id,
	         (long long)x->en->revision, why->msg);
	memset(&ev, 0, sizeof(ev));
	snprintf(ev.id, sizeof(ev.id), "%s", x->en->id);
	ev.revision = x->en->revision;
	snprintf(ev.kind, sizeof(ev.kind), "verify");
	snprintf(ev.result, sizeof(ev.result), "failure");
	ev.exit_code = -1;
	ev.output = why->msg;
	return agentstate_queue_event(a->st, &ev, e);
}

static bool
files_present(struct agent *a, const struct as_entry *en)
{
	char path[4200];
	struct stat sb;

	for (size_t i = 0; i < en->n_files; i++) {
		snprintf(path, sizeof(path), "%s/%s", a->downloads,
		         en->files[i].sha256);
		if (stat(path, &sb) != 0 ||
		    (uint64_t)sb.st_size != en->files[i].size)
			return false;
	}
	return true;
}

/* Keep the "known installed" mark in step (written only on a change, so
 * a detection over thousands of updates does not write thousands of
 * transactions). */
static int
mark_installed(struct agent *a, const struct det_update *x, struct err *e)
{
	bool was = false, now = is_installed_state(x);
	int rc;

	if ((rc = agentstate_installed(a->st, x->en->id, &was, e)) != SL_OK ||
	    was == now)
		return rc;
	return agentstate_set_installed(a->st, x->en->id, x->en->revision, now,
	                                e);
}

/* First pass: the update's own state from its rules and history. */
static int
evaluate_one(struct agent *a, struct rules_ctx *rc_, struct det_update *x,
             struct err *e)
{
	struct as_outcome oc;
	struct err re;
	bool inst = false, able = false, pending = false, has_oc, known = false;
	int rc;

	err_clear(&re);
	x->evaluated = true;
	if (verify_doc(a, x, &re) != SL_OK)
		return refuse(a, x, &re, e);
	memset(&oc, 0, sizeof(oc));
	rc = agentstate_outcome(a->st, x->en->id, &oc, e);
	if (rc != SL_OK && rc != SL_ENOTFOUND)
		return rc;
	has_oc = rc == SL_OK && oc.revision == x->en->revision;
	x->last_failed = has_oc && strcmp(oc.result, "failure") == 0 &&
	                 strcmp(oc.action, x->en->action) == 0;
	pending = has_oc && strcmp(oc.action, "install") == 0 &&
	          strcmp(oc.result, "reboot-required") == 0 &&
	          a->boot_id[0] != '\0' && strcmp(oc.boot_id, a->boot_id) == 0;
	rc = SL_OK;
	if (rules_eval(rc_, x->u->is_installed, &inst, &re) != SL_OK) {
		log_warn("update %s: is_installed: %s", x->en->id, re.msg);
		set_state(x, "not-applicable", "is_installed: %s", re.msg);
		goto out;
	}
	known = true;
	if (pending) {
		set_state(x, "installed-pending-reboot", "reboot required");
		goto out;
	}
	if (inst) {
		set_state(x, "installed", NULL);
		goto out;
	}
	if (strcmp(x->en->action, "uninstall") == 0) {
		set_state(x, "not-applicable",
		          "approved for removal; not "
		          "installed");
		goto out;
	}
	if (rules_eval(rc_, x->u->is_installable, &able, &re) != SL_OK) {
		log_warn("update %s: is_installable: %s", x->en->id, re.msg);
		set_state(x, "not-applicable", "is_installable: %s", re.msg);
		goto out;
	}
	if (!able) {
		set_state(x, "not-applicable", NULL);
		goto out;
	}
	x->candidate = true;
	if (has_oc && strcmp(oc.action, "install") == 0 &&
	    strcmp(oc.result, "failure") == 0)
		set_state(x, "failed", "%s", oc.detail ? oc.detail : "failed");
	else if (files_present(a, x->en))
		set_state(x, "downloaded", NULL);
	else
		set_state(x, "needed", NULL);
out:
	/* Keep the local "known installed" mark in step with the rules. */
	if (known)
		rc = mark_installed(a, x, e);
	agentstate_outcome_clear(&oc);
	return rc;
}

/* An update superseded by an approved, applicable update is not offered. */
static void
apply_supersedence(struct detection *d)
{
	for (size_t i = 0; i < d->n; i++) {
		struct det_update *s = &d->ups[i];
		if (s->u == NULL || strcmp(s->en->action, "install") != 0 ||
		    !(is_needed_state(s) || is_installed_state(s)))
			continue;
		for (size_t k = 0; s->u->supersedes && s->u->supersedes[k];
		     k++) {
			struct det_update *x =
			        detection_find(d, s->u->supersedes[k]);
			if (x == NULL || x == s || !x->candidate)
				continue;
			x->candidate = false;
			set_state(x, "not-applicable", "superseded by %s",
			          s->en->id);
		}
	}
}

/* A candidate whose prerequisite is neither installed nor itself an
 * unblocked candidate waits (to a fixed point, for chains). */
static int
apply_prerequisites(struct agent *a, struct detection *d, struct err *e)
{
	bool changed = true;
	int rc;

	while (changed) {
		changed = false;
		for (size_t i = 0; i < d->n; i++) {
			struct det_update *x = &d->ups[i];
			if (!x->candidate || x->blocked)
				continue;
			for (size_t k = 0;
			     x->u->prerequisites && x->u->prerequisites[k];
			     k++) {
				const char *pid = x->u->prerequisites[k];
				struct det_update *p = detection_find(d, pid);
				bool inst = false;

				if (p != NULL && is_installed_state(p))
					continue;
				if (p != NULL && p->candidate && !p->blocked)
					continue;
				if (p == NULL &&
				    (rc = agentstate_installed(
				             a->st, pid, &inst, e)) != SL_OK)
					return rc;
				if (inst)
					continue;
				x->blocked = true;
				snprintf(x->detail, sizeof(x->detail),
				         "waiting for prerequisite %s", pid);
				changed = true;
				break;
			}
		}
	}
	return SL_OK;
}

/* Depth-first: prerequisites before the updates that need them. */
static void
order_visit(struct detection *d, size_t i, unsigned char *mark, size_t *n)
{
	struct det_update *x = &d->ups[i];

	if (mark[i])
		return;
	mark[i] = 1;
	for (size_t k = 0;
	     x->u && x->u->prerequisites && x->u->prerequisites[k]; k++) {
		struct det_update *p =
		        detection_find(d, x->u->prerequisites[k]);
		if (p != NULL)
			order_visit(d, (size_t)(p - d->ups), mark, n);
	}
	d->order[(*n)++] = i;
}

static int
store_states(struct agent *a, struct detection *d, struct err *e)
{
	struct as_state *st = calloc(d->n ? d->n : 1, sizeof(*st));
	int rc;

	if (st == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	for (size_t i = 0; i < d->n; i++) {
		struct det_update *x = &d->ups[i];
		snprintf(st[i].id, sizeof(st[i].id), "%s", x->en->id);
		st[i].revision = x->en->revision;
		snprintf(st[i].state, sizeof(st[i].state), "%s", x->state);
		st[i].detail = x->detail[0] ? x->detail : NULL;
		st[i].title = x->u ? x->u->title : NULL;
	}
	rc = agentstate_states_store(a->st, st, d->n, e);
	free(st);
	return rc;
}

int
agent_evaluate(struct detection **out, struct agent *a, struct err *e)
{
	struct detection *d = calloc(1, sizeof(*d));
	struct rules_ctx *rctx = NULL;
	struct lookup_ctx lc;
	unsigned char *mark = NULL;
	size_t n_order = 0;
	int rc;

	if (d == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	if ((rc = agentstate_view_load(a->st, &d->ents, &d->n, e)) != SL_OK)
		goto out;
	d->ups = calloc(d->n ? d->n : 1, sizeof(*d->ups));
	d->order = calloc(d->n ? d->n : 1, sizeof(*d->order));
	mark = calloc(d->n ? d->n : 1, 1);
	if (d->ups == NULL || d->order == NULL || mark == NULL) {
		rc = err_set(e, SL_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = rules_ctx_new(&rctx, a->cfg->root, e)) != SL_OK) {
		err_prefix(e, "root %s", a->cfg->root);
		goto out;
	}
	lc.a = a;
	lc.d = d;
	rules_ctx_set_update_lookup(rctx, lookup_installed, &lc);
	for (size_t i = 0; i < d->n; i++)
		d->ups[i].en = &d->ents[i];
	for (size_t i = 0; i < d->n; i++)
		if ((rc = evaluate_one(a, rctx, &d->ups[i], e)) != SL_OK)
			goto out;
	apply_supersedence(d);
	if ((rc = apply_prerequisites(a, d, e)) != SL_OK)
		goto out;
	for (size_t i = 0; i < d->n; i++)
		order_visit(d, i, mark, &n_order);
	if ((rc = store_states(a, d, e)) != SL_OK)
		goto out;
	*out = d;
	d = NULL;
out:
	rules_ctx_free(rctx);
	free(mark);
	detection_free(d);
	return rc == SL_OK ? rc : err_prefix(e, "detect");
}

bool
agent_deadline_due(const struct detection *d, long long now)
{
	for (size_t i = 0; i < d->n; i++) {
		const struct det_update *x = &d->ups[i];
		if (x->en->deadline == 0 || x->en->deadline > now)
			continue;
		if (x->last_failed)
			continue;
		if ((x->candidate && !x->blocked) ||
		    (strcmp(x->en->action, "uninstall") == 0 &&
		     is_installed_state(x)))
			return true;
	}
	return false;
}

int
agent_lock(struct agent *a, struct err *e)
{
	char path[4200];
	int fd;

	if (a->lock_fd >= 0)
		return SL_OK;
	snprintf(path, sizeof(path), "%s/agent.lock", a->cfg->state_dir);
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0)
		return err_set(e, SL_EIO, "%s: %s", path, strerror(errno));
	while (flock(fd, LOCK_EX) != 0) {
		if (errno == EINTR)
			continue;
		close(fd);
		return err_set(e, SL_EIO, "lock %s: %s", path, strerror(errno));
	}
	a->lock_fd = fd;
	return SL_OK;
}

void
agent_unlock(struct agent *a)
{
	if (a == NULL || a->lock_fd < 0)
		return;
	close(a->lock_fd); /* releases the flock */
	a->lock_fd = -1;
}

static int
cmp_str(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

void
agent_prune_downloads(struct agent *a, const struct detection *d)
{
	const char **keep = NULL;
	size_t n = 0, total = 0;
	struct dirent *de;
	char path[4400], name[72];
	DIR *dir;

	for (size_t i = 0; i < d->n; i++)
		total += d->ents[i].n_files;
	if ((keep = calloc(total ? total : 1, sizeof(*keep))) == NULL)
		return;
	for (size_t i = 0; i < d->n; i++)
		for (size_t k = 0; k < d->ents[i].n_files; k++)
			keep[n++] = d->ents[i].files[k].sha256;
	qsort(keep, n, sizeof(*keep), cmp_str);
	if ((dir = opendir(a->downloads)) == NULL) {
		free(keep);
		return;
	}
	while ((de = readdir(dir)) != NULL) {
		const char *key = name;
		size_t len = strlen(de->d_name);

		/* Only our own names: <sha256> and <sha256>.part. */
		if (len != 64 &&
		    !(len == 69 && strcmp(de->d_name + 64, ".part") == 0))
			continue;
		snprintf(name, sizeof(name), "%.64s", de->d_name);
		if (!hash_is_hex(name) ||
		    bsearch(&key, keep, n, sizeof(*keep), cmp_str) != NULL)
			continue;
		snprintf(path, sizeof(path), "%s/%s", a->downloads, de->d_name);
		if (unlink(path) == 0)
			log_info("removed download %s (no longer needed)",
			         de->d_name);
	}
	closedir(dir);
	free(keep);
}
