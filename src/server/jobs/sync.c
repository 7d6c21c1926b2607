/*
 * sync: pull the signed index and the new update documents from the
 * upstream catalog origin, verify everything, then import it in one
 * transaction (see sync.h). The network and verification work happens
 * before the write transaction starts, so the database is never locked
 * while waiting on the upstream.
 */
#include "sync.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "autoapprove.h"
#include "export.h"
#include "array.h"
#include "buf.h"
#include "catalog.h"
#include "hash.h"
#include "httpc.h"
#include "netopts.h"
#include "origin_trust.h"
#include "progress.h"
#include "store/store.h"
#include "store/store_lease.h"
#include "sync_sluiced.h"
#include "update.h"

/* One verified document waiting to be imported. */
struct pending {
	const struct catalog_entry *entry; /* borrowed from the index */
	struct update *u;
	char *text; /* the envelope bytes verbatim */
	size_t len;
	bool revised; /* the update was known with an older revision */
};

/* Updates one sync imports or expires at most (the index caps them too). */
#define PLAN_MAX 1000000

struct plan {
	struct pending *docs;
	size_t n, alloc;
	const struct catalog_entry **expire; /* known updates to mark expired */
	size_t n_expire, alloc_expire;
};

static void
plan_free(struct plan *p)
{
	for (size_t i = 0; i < p->n; i++) {
		update_free(p->docs[i].u);
		free(p->docs[i].text);
	}
	free(p->docs);
	free(p->expire);
	memset(p, 0, sizeof(*p));
}

/* "<upstream_url>/index.json" whether or not the URL ends with '/'. */
static int
index_url(char **out, const char *upstream, struct err *e)
{
	struct buf b;
	char *url;
	size_t n = strlen(upstream);
	int rc;

	buf_init(&b, 8192);
	rc = buf_puts(&b, upstream, e);
	if (rc == SL_OK && (n == 0 || upstream[n - 1] != '/'))
		rc = buf_puts(&b, "/", e);
	if (rc != SL_OK) {
		buf_free(&b);
		err_prefix(e, "upstream URL");
		return rc;
	}
	url = httpc_resolve(b.data, "index.json");
	buf_free(&b);
	if (url == NULL)
		return err_set(e, SL_EINVAL,
		               "upstream URL %s: cannot be parsed", upstream);
	*out = url;
	return SL_OK;
}

/* GET url (cap bytes) and insist on a 200 answer. */
static int
fetch_body(struct httpc_resp *out, const char *url, size_t cap,
           const struct server_config *cfg, struct err *e)
{
	struct httpc_opts o = {0};

	netopts_http(&o, cfg, false);
	int rc;

	if ((rc = httpc_get(out, url, cap, &o, e)) != SL_OK)
		return rc;
	if (out->status != 200) {
		rc = err_set(e, out->status == 404 ? SL_ENOTFOUND : SL_ENET,
		             "%s: HTTP status %ld", url, out->status);
		httpc_resp_free(out);
	}
	return rc;
}

/* Fetch and verify the document of entry; append it to the plan. */
static int
plan_doc(struct plan *p, const char *base, const struct catalog_entry *en,
         const struct server_config *cfg, const struct sign_keyring *kr,
         bool revised, struct err *e)
{
	struct httpc_resp r = {0};
	struct update *u = NULL;
	char *url;
	int rc;

	if ((url = httpc_resolve(base, en->path)) == NULL)
		return err_set(e, SL_EINVAL, "%s: cannot resolve against %s",
		               en->path, base);
	if ((rc = fetch_body(&r, url, UPDATE_DOC_MAX, cfg, e)) != SL_OK)
		goto out;
	rc = catalog_doc_parse(&u, NULL, r.body, r.len, en, kr, e);
	if (rc != SL_OK)
		goto out;
	if ((rc = ARRAY_GROW(p->docs, p->alloc, p->n, PLAN_MAX, e)) != SL_OK)
		goto out;
	p->docs[p->n++] = (struct pending){.entry = en,
	                                   .u = u,
	                                   .text = r.body,
	                                   .len = r.len,
	                                   .revised = revised};
	u = NULL;
	r.body = NULL;
out:
	update_free(u);
	httpc_resp_free(&r);
	free(url);
	return rc;
}

/* Decide what to import: the newest revision of every update (entries are
 * sorted by id then revision, so it is the last of each run of ids). The
 * documents to fetch are chosen first, so progress can show a total. */
static int
plan_build(struct plan *p, struct store *db, const struct server_config *cfg,
           const struct sign_keyring *kr, const struct catalog_index *idx,
           const char *base, sync_keep_fn keep, void *keep_arg, struct err *e)
{
	struct todo {
		const struct catalog_entry *en;
		bool revised;
	} *todo = NULL;
	size_t n_todo = 0, alloc_todo = 0;
	int rc = SL_OK;

	for (size_t i = 0; i < idx->n; i++) {
		const struct catalog_entry *en = &idx->entries[i];
		struct store_update_status st;

		if (i + 1 < idx->n &&
		    strcmp(idx->entries[i + 1].id, en->id) == 0)
			continue;
		if ((rc = store_update_status(&st, db, en->id, e)) != SL_OK)
			goto out;
		if (en->expired) {
			/* Withdrawn: never import it, only record the expiry
			 * of an update we already have. */
			if (st.known && !st.expired) {
				rc = ARRAY_GROW(p->expire, p->alloc_expire,
				                p->n_expire, PLAN_MAX, e);
				if (rc != SL_OK)
					goto out;
				p->expire[p->n_expire++] = en;
			}
			continue;
		}
		if (!sync_in_list(cfg->products, en->product) ||
		    !sync_in_list(cfg->classifications, en->classification))
			continue;
		if (keep != NULL && !keep(keep_arg, en->id))
			continue;
		if (st.known && st.revision >= en->revision)
			continue;
		if ((rc = ARRAY_GROW(todo, alloc_todo, n_todo, PLAN_MAX, e)) !=
		    SL_OK)
			goto out;
		todo[n_todo++] = (struct todo){en, st.known};
	}
	progress_sync_docs_total((unsigned)n_todo);
	progress_sync_phase("documents");
	for (size_t i = 0; i < n_todo; i++) {
		rc = plan_doc(p, base, todo[i].en, cfg, kr, todo[i].revised, e);
		if (rc != SL_OK) {
			err_prefix(e, "upstream document");
			goto out;
		}
		progress_sync_doc_verified();
	}
out:
	free(todo);
	return rc;
}

/* Where a catalog document's files are: resolved against the index URL. */
struct doc_urls {
	const char *base; /* the index URL */
	const char *path; /* the document's path in the index */
};

static int
doc_file_url(char **out, const struct update *u, const struct update_file *f,
             void *arg, struct err *e)
{
	const struct doc_urls *d = arg;

	(void)u;
	if ((*out = httpc_resolve(d->base, f->url)) == NULL)
		return err_set(e, SL_EINVAL,
		               "%s: file %s: URL %s cannot be resolved",
		               d->path, f->name, f->url);
	return SL_OK;
}

/* WSUS's "automatically approve new revisions of updates that are
 * already approved": on unless the setting approve_new_revisions is "0".
 * Off, a new revision of an approved update is not approved: its install
 * approvals are withdrawn (audited) until an administrator approves it.
 * Either way a revision whose license terms are new waits for their
 * acceptance (store.h, STORE_LICENSE_OK). */
static int
new_revision_approvals(struct store *db, const struct update *u, struct err *e)
{
	char *v = NULL;
	unsigned n = 0;
	int rc = store_meta_get(db, "approve_new_revisions", &v, e);

	if (rc == SL_ENOTFOUND)
		return SL_OK;
	if (rc == SL_OK && strcmp(v, "0") == 0)
		rc = store_approvals_withdraw_install(
		        &n, db, u->id, "sync (approve_new_revisions off)", e);
	if (rc == SL_OK && n > 0)
		rc = store_audit_add(db, e, "sync", "approval.withdraw", u->id,
		                     "revision %lld: %u install approval(s) "
		                     "withdrawn (approve_new_revisions is off)",
		                     (long long)u->revision, n);
	free(v);
	return rc;
}

/* Write everything of a verified plan. The caller holds the transaction. */
static int
import_plan(struct store *db, const struct server_config *cfg,
            const struct plan *p, const char *base, long long now,
            struct sync_result *res, struct err *e)
{
	int rc;

	for (size_t i = 0; i < p->n; i++) {
		const struct pending *d = &p->docs[i];
		struct doc_urls urls = {.base = base, .path = d->entry->path};
		struct store_update_status st;

		/* Re-check under the write lock: another sync may have
		 * imported it since the plan was made. */
		if ((rc = store_update_status(&st, db, d->u->id, e)) != SL_OK)
			return rc;
		if (st.known && st.revision >= d->u->revision)
			continue;
		if ((rc = store_update_import(db, d->u, d->text, d->len,
		                              d->entry->sha256, now,
		                              doc_file_url, &urls, e)) != SL_OK)
			return rc;
		progress_sync_doc_imported();
		if (st.known &&
		    (rc = new_revision_approvals(db, d->u, e)) != SL_OK)
			return rc;
		if (st.known)
			res->revised_count++;
		else
			res->new_count++;
	}
	for (size_t i = 0; i < p->n_expire; i++) {
		bool changed;

		if ((rc = store_update_expire(db, p->expire[i]->id, &changed,
		                              e)) != SL_OK)
			return rc;
		if (changed)
			res->expired_count++;
	}
	return sync_want_content(db, cfg->storage_mode, now, &res->files_wanted,
	                         e);
}

/* GET base/name when the origin publishes it: *out NULL when it does not
 * (404, no such file). */
static int
fetch_optional(struct httpc_resp *out, const char *index, const char *name,
               const struct server_config *cfg, struct err *e)
{
	char *url = httpc_resolve(index, name);
	int rc;

	memset(out, 0, sizeof(*out));
	if (url == NULL)
		return err_set(e, SL_EINVAL, "%s: cannot resolve against %s",
		               name, index);
	rc = fetch_body(out, url, TRUST_DOC_MAX, cfg, e);
	free(url);
	if (rc == SL_ENOTFOUND) {
		memset(out, 0, sizeof(*out));
		return SL_OK;
	}
	return rc != SL_OK ? err_prefix(e, "%s", name) : SL_OK;
}

/* The origin's key list (checked and kept) and timestamp (checked; *t
 * holds it, kept once the index matched: origin_trust.h); *kr is the
 * keyring for the index and documents. */
static int
origin_docs(struct sign_keyring *kr, struct trust_timestamp *ts,
            struct httpc_resp *t, struct store *db,
            const struct server_config *cfg, const char *index_url,
            long long now, struct err *e)
{
	struct httpc_resp k = {0};
	int rc;

	if ((rc = fetch_optional(&k, index_url, "keys.json", cfg, e)) ||
	    (rc = fetch_optional(t, index_url, "timestamp.json", cfg, e)))
		goto out;
	rc = origin_trust_accept(kr, ts, db, cfg, k.body, k.len, t->body,
	                         t->len, false, now, e);
out:
	httpc_resp_free(&k);
	return rc;
}

/* The index must be the one the timestamp names (or a newer one: the
 * origin writes the index first). */
static int
index_matches(const struct trust_timestamp *ts, const struct catalog_index *idx,
              const char *text, size_t len, struct err *e)
{
	char hex[HASH_HEX_LEN + 1];

	if (ts->version == 0 || idx->version > ts->index_version)
		return SL_OK;
	if (idx->version < ts->index_version)
		return err_set(e, SL_EROLLBACK,
		               "index: version %" PRId64 " is older than "
		               "version %" PRId64 " the timestamp names",
		               idx->version, ts->index_version);
	hash_buf_hex(text, len, hex);
	if ((uint64_t)len != ts->index_size ||
	    strcmp(hex, ts->index_sha256) != 0)
		return err_set(e, SL_EVERIFY,
		               "index: SHA-256 %s does not match the "
		               "timestamp's (%s)",
		               hex, ts->index_sha256);
	return SL_OK;
}

/* The index version a catalog sync records: none before one was accepted. */
static const int64_t *
version_or_null(const struct sync_result *r)
{
	return r->index_version > 0 ? &r->index_version : NULL;
}

/* Sync from an upstream sluiced; an autonomous server then runs its own
 * auto-approval rules over what the sync brought (a replica's approvals
 * come from its upstream). */
static int
sync_from_sluiced(struct store *db, const struct server_config *cfg,
                  struct sync_result *out, long long started, struct err *e)
{
	struct autoapprove_result aa;
	int rc;

	if ((rc = sync_sluiced_run(db, cfg, out, e)) != SL_OK ||
	    cfg->upstream_mode == UPSTREAM_REPLICA)
		return rc;
	if ((rc = store_begin(db, e)) != SL_OK)
		return err_prefix(e, "sync: auto-approval");
	if ((rc = autoapprove_run(&aa, db, cfg, 0, started, e)) != SL_OK) {
		store_rollback(db);
		return err_prefix(e, "sync: auto-approval");
	}
	if ((rc = store_commit(db, e)) != SL_OK)
		return err_prefix(e, "sync: auto-approval");
	out->files_wanted += aa.approved;
	return SL_OK;
}

int
sync_run(struct store *db, const struct server_config *cfg,
         struct sync_result *out, struct err *e)
{
	return sync_run_filtered(db, cfg, NULL, NULL, out, e);
}

int
sync_run_filtered(struct store *db, const struct server_config *cfg,
                  sync_keep_fn keep, void *keep_arg, struct sync_result *out,
                  struct err *e)
{
	struct sync_result res = {0};
	struct autoapprove_result aa;
	struct sign_keyring kr;
	struct trust_timestamp ts;
	struct catalog_index *idx = NULL;
	struct httpc_resp r = {0}, tsr = {0};
	struct plan plan = {0};
	struct err e2;
	char *url = NULL, num[32];
	long long now = (long long)time(NULL);
	int64_t min_version;
	bool in_tx = false;
	int rc;

	if (cfg->upstream_kind == UPSTREAM_SLUICED)
		return sync_from_sluiced(db, cfg, out, now, e);
	memset(out, 0, sizeof(*out));
	if ((rc = store_sync_start(&res.history_id, db, now, e)) != SL_OK) {
		err_prefix(e, "sync");
		return rc;
	}
	out->history_id = res.history_id;
	progress_sync_begin();
	if (cfg->upstream_url == NULL || cfg->upstream_url[0] == '\0') {
		rc = err_set(e, SL_EINVAL, "no upstream configured");
		goto out;
	}
	if ((rc = index_url(&url, cfg->upstream_url, e)) != SL_OK)
		goto out;
	rc = store_meta_int(&min_version, db, "upstream_index_version", e);
	if (rc != SL_OK)
		goto out;
	if ((rc = origin_docs(&kr, &ts, &tsr, db, cfg, url, now, e)) != SL_OK) {
		err_prefix(e, "upstream");
		goto out;
	}
	if ((rc = fetch_body(&r, url, CATALOG_INDEX_MAX, cfg, e)) != SL_OK) {
		err_prefix(e, "upstream index");
		goto out;
	}
	rc = catalog_index_parse(&idx, r.body, r.len, &kr, now, min_version, e);
	if (rc == SL_OK)
		rc = index_matches(&ts, idx, r.body, r.len, e);
	if (rc == SL_OK)
		rc = origin_trust_keep_timestamp(db, tsr.body, tsr.len, &ts, e);
	if (rc != SL_OK) {
		err_prefix(e, "upstream");
		goto out;
	}
	if ((rc = plan_build(&plan, db, cfg, &kr, idx, url, keep, keep_arg,
	                     e)) != SL_OK)
		goto out;
	/* Everything verified: import it all or nothing. */
	progress_sync_phase("importing");
	if ((rc = store_begin(db, e)) != SL_OK)
		goto out;
	in_tx = true;
	if ((rc = import_plan(db, cfg, &plan, url, now, &res, e)) != SL_OK)
		goto out;
	/* Auto-approval rules over the updates this sync saw first. */
	if ((rc = autoapprove_run(&aa, db, cfg, 0, now, e)) != SL_OK)
		goto out;
	res.files_wanted += aa.approved;
	snprintf(num, sizeof(num), "%" PRId64, idx->version);
	if ((rc = store_meta_set(db, "upstream_index_version", num, e)) !=
	    SL_OK)
		goto out;
	res.index_version = idx->version;
	if ((rc = sync_history_finish(db, &res, version_or_null(&res), NULL,
	                              e)) != SL_OK)
		goto out;
	if ((rc = store_commit(db, e)) != SL_OK)
		goto out;
	in_tx = false;
	/* Keep the origin's signed index for `sluice export` (best effort:
	 * the sync itself succeeded). */
	err_clear(&e2);
	(void)export_keep_index(cfg, r.body, r.len, &e2);
	*out = res;
out:
	if (rc != SL_OK) {
		if (in_tx)
			store_rollback(db);
		res = (struct sync_result){
		        .history_id = res.history_id,
		        .index_version = idx != NULL ? idx->version : 0};
		/* Record the failure; a second error here cannot hide the
		 * first one, which is what the caller sees. */
		err_clear(&e2);
		sync_history_finish(db, &res, version_or_null(&res),
		                    e != NULL ? e->msg : err_name(rc), &e2);
		err_prefix(e, "sync");
	}
	progress_sync_end(rc == SL_OK);
	plan_free(&plan);
	catalog_index_free(idx);
	httpc_resp_free(&r);
	httpc_resp_free(&tsr);
	free(url);
	return rc;
}

int
sync_mark_interrupted(struct store *db, int *n, struct err *e)
{
	char holder[128];

	/* Another front-end on the database may be syncing right now: its
	 * 'running' row is no leftover. */
	if (store_lease_holder(holder, sizeof(holder), db, "sync",
	                       (int64_t)time(NULL), e) != SL_OK)
		return err_prefix(e, "sync");
	if (holder[0] != '\0') {
		if (n != NULL)
			*n = 0;
		return SL_OK;
	}
	return store_sync_interrupted(n, db, (int64_t)time(NULL), e);
}
