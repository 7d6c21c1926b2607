/*
 * evaluate: from the stored view to a state for every approved update
 * (see agent.h).
 *
 * Trust: the server only transports documents. A document is verified
 * against the agent's own trusted keys when it enters the view (and again
 * whenever those keys change); what detection needs from it (title, rule
 * trees, supersedes, prerequisites) is kept next to it, so a detection over
 * tens of thousands of updates parses only small rule trees. A refused
 * document is never used; its refusal is reported once. Before an
 * installer runs, its document is verified again (apply.c).
 */
#include "agent.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "array.h"
#include "hash.h"
#include "log.h"
#include "rules.h"
#include "sign.h"

#define CHECK_CHUNK       256
#define DETECT_MAX        1000000     /* updates one detection pass holds */
#define FULL_REPORT_EVERY (24 * 3600) /* all states, not only changes */

/* Copy src into dst[cap], cut to fit (snprintf "%s" without the format
 * machinery: a detection copies several strings per update). */
static void
copy_str(char *dst, size_t cap, const char *src)
{
	size_t n = src != NULL ? strnlen(src, cap - 1) : 0;

	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* --- verification --------------------------------------------------------*/

int
agent_load_update(struct agent *a, const struct as_entry *en,
                  struct update **out, struct err *e)
{
	const json_t *doc = NULL;
	struct update *u = NULL;
	json_error_t je;
	json_t *env;
	int rc;

	if ((env = json_loads(en->document, 0, &je)) == NULL)
		return err_set(e, SL_EPARSE, "document: %s", je.text);
	if ((rc = sign_envelope_verify(env, &a->cfg->keyring, &doc, e)) !=
	            SL_OK ||
	    (rc = update_from_json(&u, doc, e)) != SL_OK)
		goto out;
	if (strcmp(u->id, en->id) != 0 || u->revision != en->revision) {
		rc = err_set(e, SL_EVERIFY,
		             "the signed document is %s revision %lld, not "
		             "revision %lld of this update",
		             u->id, (long long)u->revision,
		             (long long)en->revision);
		goto out;
	}
	*out = u;
	u = NULL;
out:
	update_free(u);
	json_decref(env);
	return rc;
}

/* A fingerprint of the trusted keys: documents checked under another set
 * are checked again. */
static void
keyring_fp(const struct sign_keyring *kr, char fp[HASH_HEX_LEN + 1])
{
	unsigned char th =
	        (unsigned char)(kr->threshold > 1 ? kr->threshold : 1);
	struct hash_ctx h;

	hash_init(&h);
	for (size_t i = 0; i < kr->n; i++)
		hash_update(&h, kr->keys[i].pk, sizeof(kr->keys[i].pk));
	/* A threshold other than one is part of the set (the origin's key
	 * list); one adds nothing, so older fingerprints stay valid. */
	if (th > 1)
		hash_update(&h, &th, 1);
	hash_final_hex(&h, fp);
}

/* ids joined by ' ' ("" for none); free with free(). */
static char *
id_text(char *const *l)
{
	size_t n = 1;
	char *t;

	for (size_t i = 0; l && l[i]; i++)
		n += strlen(l[i]) + 1;
	if ((t = calloc(1, n)) == NULL)
		return NULL;
	for (size_t i = 0, at = 0; l && l[i]; i++)
		at += (size_t)snprintf(t + at, n - at, "%s%s", i ? " " : "",
		                       l[i]);
	return t;
}

static int
queue_refusal(struct agent *a, const struct as_entry *en, const char *why,
              struct err *e)
{
	char sha[HASH_HEX_LEN + 1];
	struct as_event ev;
	bool is_new = false;
	int rc;

	hash_buf_hex(en->document, strlen(en->document), sha);
	if ((rc = agentstate_refused_mark(a->st, en->id, en->revision, sha,
	                                  &is_new, e)) != SL_OK ||
	    !is_new)
		return rc;
	log_warn("update %s revision %lld: metadata refused: %s", en->id,
	         (long long)en->revision, why);
	memset(&ev, 0, sizeof(ev));
	snprintf(ev.id, sizeof(ev.id), "%s", en->id);
	ev.revision = en->revision;
	snprintf(ev.kind, sizeof(ev.kind), "verify");
	snprintf(ev.result, sizeof(ev.result), "failure");
	ev.exit_code = -1;
	ev.output = why;
	return agentstate_queue_event(a->st, &ev, e);
}

static int
check_one(struct agent *a, const struct as_entry *en, const char *fp,
          struct err *e)
{
	struct update *u = NULL;
	struct as_check c;
	struct err ve;
	char *t[4] = {NULL, NULL, NULL, NULL};
	int rc;

	memset(&c, 0, sizeof(c));
	snprintf(c.id, sizeof(c.id), "%s", en->id);
	c.revision = en->revision;
	err_clear(&ve);
	if (agent_load_update(a, en, &u, &ve) == SL_OK) {
		t[0] = json_dumps(u->is_installed, JSON_COMPACT);
		t[1] = json_dumps(u->is_installable, JSON_COMPACT);
		t[2] = id_text(u->supersedes);
		t[3] = id_text(u->prerequisites);
		if (!t[0] || !t[1] || !t[2] || !t[3]) {
			rc = err_set(e, SL_ENOMEM, "out of memory");
			goto out;
		}
		c.title = u->title;
		c.is_installed = t[0];
		c.is_installable = t[1];
		c.supersedes = t[2];
		c.prerequisites = t[3];
	} else {
		c.refused = ve.msg;
		if ((rc = queue_refusal(a, en, ve.msg, e)) != SL_OK)
			goto out;
	}
	rc = agentstate_view_set_checked(a->st, &c, fp, e);
out:
	for (size_t i = 0; i < 4; i++)
		free(t[i]);
	update_free(u);
	return rc;
}

/* Verify every entry not yet checked under the current keys. */
static int
check_view(struct agent *a, struct err *e)
{
	char fp[HASH_HEX_LEN + 1], after[AS_ID_MAX];
	struct as_entry *ents = NULL;
	size_t n = 0, total = 0;
	bool any = true;
	int rc;

	keyring_fp(&a->cfg->keyring, fp);
	if ((rc = agentstate_view_any_unchecked(a->st, fp, &any, e)) != SL_OK ||
	    !any)
		return rc;
	after[0] = '\0';
	for (;;) {
		if ((rc = agentstate_view_unchecked(a->st, fp, after,
		                                    CHECK_CHUNK, &ents, &n,
		                                    e)) != SL_OK)
			return rc;
		if (n == 0)
			break;
		snprintf(after, sizeof(after), "%s", ents[n - 1].id);
		if ((rc = agentstate_begin(a->st, e)) == SL_OK) {
			for (size_t i = 0; rc == SL_OK && i < n; i++)
				rc = check_one(a, &ents[i], fp, e);
			rc = agentstate_end(a->st, rc, e);
		}
		agentstate_entries_free(ents, n);
		ents = NULL;
		total += n;
		if (rc != SL_OK)
			return rc;
	}
	if (total > 0)
		log_debug("verified %zu document(s)", total);
	return SL_OK;
}

/* --- the detection --------------------------------------------------------*/

static void
list_free(char **l)
{
	for (size_t i = 0; l && l[i]; i++)
		free(l[i]);
	free(l);
}

void
detection_free(struct detection *d)
{
	if (d == NULL)
		return;
	for (size_t i = 0; i < d->n; i++) {
		free(d->ups[i].title);
		free(d->ups[i].detail);
		list_free(d->ups[i].supersedes);
		list_free(d->ups[i].prerequisites);
	}
	free(d->ups);
	free(d->order);
	free(d);
}

struct det_update *
detection_find(struct detection *d, const char *id)
{
	size_t lo = 0, hi = d->n;

	/* The view is scanned in id order. */
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(d->ups[mid].id, id);
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
is_installed_state(const struct det_update *x)
{
	return strcmp(x->state, "installed") == 0 ||
	       strcmp(x->state, "installed-pending-reboot") == 0;
}

static bool
is_needed_state(const struct det_update *x)
{
	return strcmp(x->state, "needed") == 0 ||
	       strcmp(x->state, "downloaded") == 0 ||
	       strcmp(x->state, "failed") == 0;
}

static void set_detail(struct det_update *x, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

/* Replace the detail (NULL fmt: none), keeping the state. */
static void
set_detail(struct det_update *x, const char *fmt, ...)
{
	char text[ERR_MSG_MAX + 64];
	va_list ap;

	free(x->detail);
	x->detail = NULL;
	if (fmt == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	x->detail = strdup(text); /* NULL on ENOMEM: no detail */
}

static void set_state(struct det_update *x, const char *state, const char *fmt,
                      ...) __attribute__((format(printf, 3, 4)));

static void
set_state(struct det_update *x, const char *state, const char *fmt, ...)
{
	char text[ERR_MSG_MAX + 64];
	va_list ap;

	copy_str(x->state, sizeof(x->state), state);
	if (fmt == NULL) {
		set_detail(x, NULL);
		return;
	}
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	set_detail(x, "%s", text);
}

static int
cmp_str(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

static int
cmp_outcome(const void *key, const void *elem)
{
	return strcmp(key, ((const struct as_outcome *)elem)->id);
}

/* What one scan needs at hand. */
struct scan {
	struct agent *a;
	struct detection *d;
	struct rules_ctx *rules;
	char **installed; /* known installed ids, sorted */
	size_t n_installed;
	struct as_outcome *outcomes; /* sorted by id */
	size_t n_outcomes;
	size_t *mark_on, *mark_off; /* indexes whose installed mark changes */
	size_t n_on, n_off, cap_on, cap_off;
	bool dl_listed; /* dl holds every name of downloads/ */
	char (*dl)[65]; /* the 64-character names there, sorted */
	size_t n_dl, cap_dl;
};

static bool
known_installed(const struct scan *sc, const char *id)
{
	return sc->n_installed > 0 &&
	       bsearch(&id, sc->installed, sc->n_installed, sizeof(char *),
	               cmp_str) != NULL;
}

/* update_installed: evaluated installed in this detection, else known
 * installed locally (installed by this agent or seen by an earlier
 * detection). */
static bool
lookup_installed(void *arg, const char *id)
{
	struct scan *sc = arg;
	struct det_update *x = detection_find(sc->d, id);

	if (x != NULL && x->accepted && x->state[0] != '\0')
		return is_installed_state(x);
	return known_installed(sc, id);
}

/* Split "a b c" into a NULL-terminated list (NULL for none). */
static int
str_list(char ***out, const char *text, struct err *e)
{
	size_t n = 0, k = 0;
	const char *p;
	char **l;

	*out = NULL;
	for (p = text; p && *p; p++)
		n += (p == text || p[-1] == ' ') && *p != ' ';
	if (n == 0)
		return SL_OK;
	if ((l = calloc(n + 1, sizeof(*l))) == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	for (p = text; *p;) {
		size_t len = strcspn(p, " ");
		if (len > 0 && (l[k++] = strndup(p, len)) == NULL) {
			list_free(l);
			return err_set(e, SL_ENOMEM, "out of memory");
		}
		p += len;
		p += *p == ' ';
	}
	*out = l;
	return SL_OK;
}

static int
cmp_name(const void *x, const void *y)
{
	return strcmp(x, y);
}

/* The names in downloads/, read once per detection so that the updates
 * whose files are not there (most of them) cost no stat() each. Without a
 * listing (an error other than no directory, too many names), every file
 * is asked for in turn as before. */
static void
list_downloads(struct scan *sc)
{
	DIR *d = opendir(sc->a->downloads);
	struct dirent *de;
	struct err e;

	sc->dl_listed = false;
	if (d == NULL) {
		sc->dl_listed = errno == ENOENT;
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (strlen(de->d_name) != 64)
			continue;
		if (ARRAY_GROW(sc->dl, sc->cap_dl, sc->n_dl, DETECT_MAX, &e) !=
		    SL_OK) {
			closedir(d);
			return;
		}
		memcpy(sc->dl[sc->n_dl++], de->d_name, 65);
	}
	closedir(d);
	array_sort(sc->dl, sc->n_dl, sizeof(*sc->dl), cmp_name);
	sc->dl_listed = true;
}

/* Every file ("<sha256> <size>,...") is in downloads/ with its size (an
 * update without files is "needed", never "downloaded"). */
static bool
files_present(const struct scan *sc, const char *files)
{
	struct agent *a = sc->a;
	char path[4200], sha[65];
	const char *p = files;
	struct stat sb;

	if (p == NULL || *p == '\0')
		return false;
	while (p && *p) {
		size_t len = strcspn(p, ",");
		unsigned long long size;
		char *end;

		if (len < 66 || p[64] != ' ')
			return false;
		memcpy(sha, p, 64);
		sha[64] = '\0';
		if (sc->dl_listed &&
		    array_search(sha, sc->dl, sc->n_dl, sizeof(*sc->dl),
		                 cmp_name) == NULL)
			return false;
		size = strtoull(p + 65, &end, 10);
		snprintf(path, sizeof(path), "%s/%s", a->downloads, sha);
		if (stat(path, &sb) != 0 || (uint64_t)sb.st_size != size)
			return false;
		p += len;
		p += *p == ',';
	}
	return true;
}

/* Evaluate a stored rule tree. */
static int
eval_text(struct scan *sc, const char *text, bool *out, struct err *e)
{
	return rules_eval_text(sc->rules, text, out, e);
}

/* The update's own state from its rules and its history. */
static int
evaluate_rules(struct scan *sc, size_t idx, const struct as_row *r,
               struct err *e)
{
	struct det_update *x = &sc->d->ups[idx];
	const struct as_outcome *oc;
	struct err re;
	bool inst = false, able = false, pending, has_oc, known = false;
	struct agent *a = sc->a;
	size_t **mark, *nmark, *cap;

	err_clear(&re);
	oc = sc->n_outcomes == 0 ? NULL
	                         : bsearch(x->id, sc->outcomes, sc->n_outcomes,
	                                   sizeof(*oc), cmp_outcome);
	has_oc = oc != NULL && oc->revision == x->revision;
	x->last_failed = has_oc && strcmp(oc->result, "failure") == 0 &&
	                 strcmp(oc->action, x->action) == 0;
	pending = has_oc && strcmp(oc->action, "install") == 0 &&
	          strcmp(oc->result, "reboot-required") == 0 &&
	          a->boot_id[0] != '\0' && strcmp(oc->boot_id, a->boot_id) == 0;
	if (eval_text(sc, r->is_installed, &inst, &re) != SL_OK) {
		log_warn("update %s: is_installed: %s", x->id, re.msg);
		set_state(x, "not-applicable", "is_installed: %s", re.msg);
		return SL_OK;
	}
	known = true;
	if (pending) {
		set_state(x, "installed-pending-reboot", "reboot required");
	} else if (inst) {
		set_state(x, "installed", NULL);
	} else if (strcmp(x->action, "uninstall") == 0) {
		set_state(x, "not-applicable",
		          "approved for removal; not installed");
	} else if (eval_text(sc, r->is_installable, &able, &re) != SL_OK) {
		log_warn("update %s: is_installable: %s", x->id, re.msg);
		set_state(x, "not-applicable", "is_installable: %s", re.msg);
	} else if (!able && x->last_failed) {
		/* The failed attempt itself may have made the rules miss (dpkg
		 * leaves a package with missing dependencies unpacked, which
		 * no longer counts as installed): keep the failure and its
		 * reason in sight rather than calling it not applicable. It is
		 * not tried again. */
		set_state(x, "failed", "%s",
		          oc->detail ? oc->detail : "failed");
	} else if (!able) {
		set_state(x, "not-applicable", NULL);
	} else {
		/* Every update is evaluated (WSUS: an unapproved update still
		 * shows whether it is needed); only an approved one is a
		 * candidate for installation. */
		x->candidate = strcmp(x->action, "install") == 0;
		if (x->last_failed)
			set_state(x, "failed", "%s",
			          oc->detail ? oc->detail : "failed");
		else if (files_present(sc, r->files))
			set_state(x, "downloaded", NULL);
		else
			set_state(x, "needed", NULL);
	}
	/* Keep the local "known installed" marks in step with the rules;
	 * collected here, written in the states' transaction. */
	if (known && is_installed_state(x) != known_installed(sc, x->id)) {
		bool on = is_installed_state(x);
		int rc;

		mark = on ? &sc->mark_on : &sc->mark_off;
		nmark = on ? &sc->n_on : &sc->n_off;
		cap = on ? &sc->cap_on : &sc->cap_off;
		if ((rc = array_reserve(mark, cap, *nmark + 1, sizeof(**mark),
		                        DETECT_MAX, e)) != SL_OK)
			return rc;
		(*mark)[(*nmark)++] = idx;
	}
	return SL_OK;
}

static int
scan_row(void *arg, const struct as_row *r, struct err *e)
{
	struct scan *sc = arg;
	struct detection *d = sc->d;
	struct det_update *x;
	int rc = SL_OK;

	if ((rc = ARRAY_GROW(d->ups, d->cap, d->n, DETECT_MAX, e)) != SL_OK)
		return rc;
	x = &d->ups[d->n++]; /* counted now: detection_free releases it */
	memset(x, 0, sizeof(*x));
	copy_str(x->id, sizeof(x->id), r->id);
	x->revision = r->revision;
	copy_str(x->action, sizeof(x->action), r->action);
	x->deadline = r->deadline;
	if (r->refused != NULL || r->is_installed == NULL) {
		set_state(x, "not-applicable", "refused: %s",
		          r->refused ? r->refused : "not verified");
		return SL_OK;
	}
	x->accepted = true;
	if (r->title && (x->title = strdup(r->title)) == NULL)
		rc = err_set(e, SL_ENOMEM, "out of memory");
	if (rc == SL_OK)
		rc = str_list(&x->supersedes, r->supersedes, e);
	if (rc == SL_OK)
		rc = str_list(&x->prerequisites, r->prerequisites, e);
	if (rc == SL_OK)
		rc = evaluate_rules(sc, d->n - 1, r, e);
	return rc;
}

/* An update superseded by an approved, applicable update is not offered;
 * an unapproved one (evaluated all the same) superseded by any applicable
 * update is not needed. */
static void
apply_supersedence(struct detection *d)
{
	for (size_t i = 0; i < d->n; i++) {
		struct det_update *s = &d->ups[i];
		bool approved = strcmp(s->action, "install") == 0;

		if (!s->accepted ||
		    !(is_needed_state(s) || is_installed_state(s)))
			continue;
		for (size_t k = 0; s->supersedes && s->supersedes[k]; k++) {
			struct det_update *x =
			        detection_find(d, s->supersedes[k]);
			bool unapproved_needed =
			        x != NULL && strcmp(x->action, "none") == 0 &&
			        is_needed_state(x);

			if (x == NULL || x == s ||
			    !((approved && x->candidate) || unapproved_needed))
				continue;
			x->candidate = false;
			set_state(x, "not-applicable", "superseded by %s",
			          s->id);
		}
	}
}

/* A candidate whose prerequisite is neither installed nor itself an
 * unblocked candidate waits (to a fixed point, for chains). */
static void
apply_prerequisites(struct scan *sc)
{
	struct detection *d = sc->d;
	bool changed = true;

	while (changed) {
		changed = false;
		for (size_t i = 0; i < d->n; i++) {
			struct det_update *x = &d->ups[i];
			if (!x->candidate || x->blocked)
				continue;
			for (size_t k = 0;
			     x->prerequisites && x->prerequisites[k]; k++) {
				const char *pid = x->prerequisites[k];
				struct det_update *p = detection_find(d, pid);

				if (p != NULL &&
				    (is_installed_state(p) ||
				     (p->candidate && !p->blocked)))
					continue;
				if (p == NULL && known_installed(sc, pid))
					continue;
				x->blocked = true;
				set_detail(x, "waiting for prerequisite %s",
				           pid);
				changed = true;
				break;
			}
		}
	}
}

/* Depth-first: prerequisites before the updates that need them. */
static void
order_visit(struct detection *d, size_t i, unsigned char *mark, size_t *n)
{
	struct det_update *x = &d->ups[i];

	if (mark[i])
		return;
	mark[i] = 1;
	for (size_t k = 0; x->prerequisites && x->prerequisites[k]; k++) {
		struct det_update *p = detection_find(d, x->prerequisites[k]);
		if (p != NULL)
			order_visit(d, (size_t)(p - d->ups), mark, n);
	}
	d->order[(*n)++] = i;
}

/* State i of the detection, for agentstate_states_store_fn. */
static const struct as_state *
state_get(void *arg, size_t i, struct as_state *st)
{
	const struct det_update *x = &((const struct detection *)arg)->ups[i];

	copy_str(st->id, sizeof(st->id), x->id);
	st->revision = x->revision;
	copy_str(st->state, sizeof(st->state), x->state);
	st->detail = x->detail;
	st->title = x->title;
	return st;
}

/* Store states (queueing the changed ones, or all once a day and after a
 * full sync) and the installed marks, in one transaction. */
static int
store(struct scan *sc, struct err *e)
{
	struct agent *a = sc->a;
	struct detection *d = sc->d;
	char *flag = NULL, *last = NULL, now_s[24];
	long long now = (long long)time(NULL);
	bool all;
	int rc;

	if ((rc = agentstate_meta(a->st, "report_all", &flag, e)) != SL_OK ||
	    (rc = agentstate_meta(a->st, "full_report_at", &last, e)) != SL_OK)
		goto out;
	all = (flag && strcmp(flag, "1") == 0) || last == NULL ||
	      now - strtoll(last, NULL, 10) >= FULL_REPORT_EVERY;
	snprintf(now_s, sizeof(now_s), "%lld", now);
	if ((rc = agentstate_begin(a->st, e)) != SL_OK)
		goto out;
	for (size_t i = 0; rc == SL_OK && i < sc->n_on; i++) {
		struct det_update *x = &d->ups[sc->mark_on[i]];
		rc = agentstate_set_installed(a->st, x->id, x->revision, true,
		                              e);
	}
	for (size_t i = 0; rc == SL_OK && i < sc->n_off; i++)
		rc = agentstate_set_installed(a->st, d->ups[sc->mark_off[i]].id,
		                              0, false, e);
	if (rc == SL_OK)
		rc = agentstate_states_store_fn(a->st, state_get, d, d->n, all,
		                                &d->n_queued, e);
	if (rc == SL_OK && all)
		rc = agentstate_set_meta(a->st, "full_report_at", now_s, e);
	if (rc == SL_OK && all)
		rc = agentstate_set_meta(a->st, "report_all", NULL, e);
	rc = agentstate_end(a->st, rc, e);
out:
	free(flag);
	free(last);
	return rc;
}

int
agent_evaluate(struct detection **out, struct agent *a, struct err *e)
{
	struct detection *d = calloc(1, sizeof(*d));
	unsigned char *mark = NULL;
	struct scan sc;
	size_t n_order = 0;
	int rc;

	memset(&sc, 0, sizeof(sc));
	sc.a = a;
	sc.d = d;
	if (d == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	if ((rc = check_view(a, e)) != SL_OK ||
	    (rc = agentstate_installed_all(a->st, &sc.installed,
	                                   &sc.n_installed, e)) != SL_OK ||
	    (rc = agentstate_outcomes_all(a->st, &sc.outcomes, &sc.n_outcomes,
	                                  e)) != SL_OK)
		goto out;
	if ((rc = rules_ctx_new(&sc.rules, a->cfg->root, e)) != SL_OK) {
		err_prefix(e, "root %s", a->cfg->root);
		goto out;
	}
	rules_ctx_set_update_lookup(sc.rules, lookup_installed, &sc);
	/* Sized once: no doubling of tens of thousands of entries. */
	if ((rc = agentstate_view_count(a->st, &d->cap, e)) != SL_OK)
		goto out;
	if (d->cap > 0 && (d->ups = malloc(d->cap * sizeof(*d->ups))) == NULL) {
		rc = err_set(e, SL_ENOMEM, "out of memory");
		goto out;
	}
	list_downloads(&sc);
	if ((rc = agentstate_view_scan(a->st, scan_row, &sc, e)) != SL_OK)
		goto out;
	apply_supersedence(d);
	apply_prerequisites(&sc);
	d->order = calloc(d->n ? d->n : 1, sizeof(*d->order));
	mark = calloc(d->n ? d->n : 1, 1);
	if (d->order == NULL || mark == NULL) {
		rc = err_set(e, SL_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < d->n; i++)
		order_visit(d, i, mark, &n_order);
	if ((rc = store(&sc, e)) != SL_OK)
		goto out;
	*out = d;
	d = NULL;
out:
	rules_ctx_free(sc.rules);
	for (size_t i = 0; i < sc.n_installed; i++)
		free(sc.installed[i]);
	free(sc.installed);
	agentstate_outcomes_free(sc.outcomes, sc.n_outcomes);
	free(sc.mark_on);
	free(sc.mark_off);
	free(sc.dl);
	free(mark);
	detection_free(d);
	return rc == SL_OK ? rc : err_prefix(e, "detect");
}

bool
agent_deadline_due(const struct detection *d, long long now)
{
	for (size_t i = 0; i < d->n; i++) {
		const struct det_update *x = &d->ups[i];
		if (x->deadline == 0 || x->deadline > now || x->last_failed)
			continue;
		if ((x->candidate && !x->blocked) ||
		    (strcmp(x->action, "uninstall") == 0 &&
		     is_installed_state(x)))
			return true;
	}
	return false;
}
