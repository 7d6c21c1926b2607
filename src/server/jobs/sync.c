/*
 * sync: pull the signed index and the new update documents from the
 * upstream catalog origin and import them (see sync.h). The documents go
 * in batch by batch: a batch is fetched and verified first, then written
 * in one short transaction (while other threads fetch and verify the next
 * one), so the database is never locked while waiting on the upstream and
 * a sync holds two batches at a time, not the catalog.
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
#include "httpc_path.h"
#include "origin_trust.h"
#include "progress.h"
#include "store/store.h"
#include "store/store_lease.h"
#include "sync_batch.h"
#include "sync_sluiced.h"
#include "update.h"

/* Updates one sync imports or expires at most (the index caps them too). */
#define PLAN_MAX 1000000
/* An update whose document the sync fetches. */
struct todo {
	const struct catalog_entry *en; /* borrowed from the index */
	bool revised;
};

struct plan {
	struct todo *todo;
	size_t n_todo, alloc_todo;
	const struct catalog_entry **expire; /* known updates to mark expired */
	size_t n_expire, alloc_expire;
};

static void
plan_free(struct plan *p)
{
	free(p->todo);
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

/* What the database holds of one update, for the plan. */
struct known {
	char id[UPDATE_ID_LEN + 1];
	bool expired;
	int64_t revision;
};

struct known_set {
	struct known *v;
	size_t n, alloc;
};

static int
known_add(void *arg, const char *id, const struct store_update_status *st,
          struct err *e)
{
	struct known_set *k = arg;
	int rc;

	/* Index ids are UUIDs: a longer id can never match one. */
	if (strlen(id) > UPDATE_ID_LEN)
		return SL_OK;
	if ((rc = ARRAY_GROW(k->v, k->alloc, k->n, PLAN_MAX, e)) != SL_OK)
		return rc;
	snprintf(k->v[k->n].id, sizeof(k->v[k->n].id), "%s", id);
	k->v[k->n].expired = st->expired;
	k->v[k->n].revision = st->revision;
	k->n++;
	return SL_OK;
}

static int
known_cmp(const void *a, const void *b)
{
	return strcmp(((const struct known *)a)->id,
	              ((const struct known *)b)->id);
}

/* Every update the database holds, sorted by id: one query instead of
 * one per index entry. */
static int
known_load(struct known_set *k, struct store *db, struct err *e)
{
	int rc = store_update_status_each(db, known_add, k, e);

	if (rc == SL_OK && k->n > 1)
		qsort(k->v, k->n, sizeof(*k->v), known_cmp);
	return rc;
}

static const struct known *
known_find(const struct known_set *k, const char *id)
{
	struct known key;

	if (k->n == 0)
		return NULL;
	snprintf(key.id, sizeof(key.id), "%s", id);
	return bsearch(&key, k->v, k->n, sizeof(*k->v), known_cmp);
}

/* Decide what to import: the newest revision of every update (entries are
 * sorted by id then revision, so it is the last of each run of ids). Only
 * the index entries are kept; the documents are fetched batch by batch. */
static int
plan_build(struct plan *p, struct store *db, const struct server_config *cfg,
           const struct catalog_index *idx, sync_keep_fn keep, void *keep_arg,
           struct err *e)
{
	struct known_set k = {0};
	int rc;

	if ((rc = known_load(&k, db, e)) != SL_OK)
		goto out;
	for (size_t i = 0; i < idx->n; i++) {
		const struct catalog_entry *en = &idx->entries[i];
		const struct known *st;

		if (i + 1 < idx->n &&
		    strcmp(idx->entries[i + 1].id, en->id) == 0)
			continue;
		st = known_find(&k, en->id);
		if (en->expired) {
			/* Withdrawn: never import it, only record the expiry
			 * of an update we already have. */
			if (st != NULL && !st->expired) {
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
		if (st != NULL && st->revision >= en->revision)
			continue;
		rc = ARRAY_GROW(p->todo, p->alloc_todo, p->n_todo, PLAN_MAX, e);
		if (rc != SL_OK)
			goto out;
		p->todo[p->n_todo++] = (struct todo){en, st != NULL};
	}
	progress_sync_docs_total((unsigned)p->n_todo);
out:
	free(k.v);
	return rc;
}

/* Where a catalog document's files are: resolved against the index URL. */
struct doc_urls {
	const char *base; /* the index URL */
	const char *dir;  /* its directory (httpc_path_dir()) or NULL */
	const char *path; /* the document's path in the index */
};

static int
doc_file_url(char **out, const struct update *u, const struct update_file *f,
             void *arg, struct err *e)
{
	const struct doc_urls *d = arg;

	(void)u;
	if ((*out = httpc_path_join(d->dir, d->base, f->url)) == NULL)
		return err_set(e, SL_EINVAL,
		               "%s: file %s: URL %s cannot be resolved",
		               d->path, f->name, f->url);
	return SL_OK;
}

/* Write the verified documents of a batch in one transaction: the ones
 * still to import (another sync may have imported some since the plan was
 * made: checked again under the write lock), with one reserved range of
 * change sequence numbers. */
static int
batch_import(struct store *db, const struct sync_batch *b, const char *base,
             const char *dir, long long now, struct sync_result *res,
             struct err *e)
{
	unsigned n_new = 0, n_revised = 0;
	bool go[SYNC_BATCH_DOCS], known[SYNC_BATCH_DOCS];
	int64_t seq = 0;
	int rc;

	if ((rc = store_begin(db, e)) != SL_OK)
		return rc;
	for (size_t i = 0; i < b->n; i++) {
		const struct update *u = b->docs[i].u;
		struct store_update_status st;

		if ((rc = store_update_status(&st, db, u->id, e)) != SL_OK)
			goto fail;
		go[i] = !st.known || st.revision < u->revision;
		known[i] = st.known;
		if (go[i] && st.known)
			n_revised++;
		else if (go[i])
			n_new++;
	}
	if (n_new + n_revised > 0 &&
	    (rc = store_seq_reserve(db, n_new + n_revised, &seq, e)) != SL_OK)
		goto fail;
	for (size_t i = 0; i < b->n; i++) {
		const struct sync_doc *d = &b->docs[i];
		struct doc_urls urls = {
		        .base = base, .dir = dir, .path = d->entry->path};

		if (!go[i])
			continue;
		if ((rc = store_update_import_seq(
		             db, d->u, d->text, d->len, d->entry->sha256, now,
		             seq++, doc_file_url, &urls, e)) != SL_OK)
			goto fail;
		if (known[i] &&
		    (rc = sync_new_revision_approvals(db, d->u, e)) != SL_OK)
			goto fail;
	}
	if ((rc = store_commit(db, e)) != SL_OK)
		return rc;
	for (unsigned i = 0; i < n_new + n_revised; i++)
		progress_sync_doc_imported();
	res->new_count += n_new;
	res->revised_count += n_revised;
	return SL_OK;
fail:
	store_rollback(db);
	return rc;
}

/* Fill b with the plan's documents from *next on, and verify them. */
static int
batch_next(struct sync_batch *b, const struct server_config *cfg,
           const struct sign_keyring *kr, const struct plan *p, size_t *next,
           const char *base, struct err *e)
{
	int rc;

	sync_batch_clear(b);
	while (*next < p->n_todo && !sync_batch_full(b)) {
		sync_batch_add(b, p->todo[*next].en, p->todo[*next].revised);
		(*next)++;
	}
	if ((rc = sync_batch_verify(b, base, cfg, kr, e)) != SL_OK)
		return err_prefix(e, "upstream document");
	return SL_OK;
}

/* Fetch and verify every document of the plan, keeping none. */
static int
verify_all(const struct server_config *cfg, const struct sign_keyring *kr,
           const struct plan *p, const char *base, struct err *e)
{
	struct sync_batch b;
	size_t next = 0;
	int rc;

	if ((rc = sync_batch_init(&b, e)) != SL_OK)
		return rc;
	while (rc == SL_OK && next < p->n_todo)
		rc = batch_next(&b, cfg, kr, p, &next, base, e);
	sync_batch_free(&b);
	return rc;
}

/* Fill b with the plan's documents from *next on and start verifying
 * them (sync_batch_start()). */
static void
batch_start(struct sync_batch *b, const struct server_config *cfg,
            const struct sign_keyring *kr, const struct plan *p, size_t *next,
            const char *base)
{
	sync_batch_clear(b);
	while (*next < p->n_todo && !sync_batch_full(b)) {
		sync_batch_add(b, p->todo[*next].en, p->todo[*next].revised);
		(*next)++;
	}
	sync_batch_start(b, base, cfg, kr);
}

/* Wait for b's verification; SL_OK when every document verified. */
static int
batch_verified(struct sync_batch *b, struct err *e)
{
	if (sync_batch_wait(b, e) != SL_OK)
		return err_prefix(e, "upstream document");
	for (size_t i = 0; i < b->n; i++)
		progress_sync_doc_verified();
	return SL_OK;
}

/* Fetch, verify and import the plan's documents one batch at a time:
 * every document of a batch verifies before any of it is written, and a
 * committed batch stays when a later one fails (the next sync goes on
 * from there, as those updates are then known). Two batches are in
 * flight: while this thread writes one, other threads fetch and verify
 * the next, so the database writes and the signature checks use
 * different cores. */
static int
sync_docs(struct store *db, const struct server_config *cfg,
          const struct sign_keyring *kr, const struct plan *p, const char *base,
          long long now, struct sync_result *res, struct err *e)
{
	struct sync_batch two[2], *cur = &two[0], *nxt = &two[1], *t;
	/* NULL (ENOMEM, say): every file URL is resolved the long way. */
	char *dir = httpc_path_dir(base);
	size_t next = 0;
	int rc;

	if ((rc = sync_batch_init(&two[0], e)) != SL_OK) {
		free(dir);
		return rc;
	}
	if ((rc = sync_batch_init(&two[1], e)) != SL_OK) {
		sync_batch_free(&two[0]);
		free(dir);
		return rc;
	}
	progress_sync_phase("documents");
	if (p->n_todo == 0)
		goto out;
	batch_start(cur, cfg, kr, p, &next, base);
	if ((rc = batch_verified(cur, e)) != SL_OK)
		goto out;
	for (;;) {
		bool more = next < p->n_todo;

		if (more)
			batch_start(nxt, cfg, kr, p, &next, base);
		/* A failed write leaves the next batch to sync_batch_free(),
		 * which waits for it. */
		if ((rc = batch_import(db, cur, base, dir, now, res, e)) !=
		            SL_OK ||
		    !more)
			break;
		if ((rc = batch_verified(nxt, e)) != SL_OK)
			break;
		t = cur;
		cur = nxt;
		nxt = t;
	}
out:
	sync_batch_free(&two[0]);
	sync_batch_free(&two[1]);
	free(dir);
	return rc;
}

/* The end of a sync, in the caller's transaction: the expiries, the
 * content the storage mode wants. */
static int
finish_plan(struct store *db, const struct server_config *cfg,
            const struct plan *p, long long now, struct sync_result *res,
            struct err *e)
{
	int rc;

	for (size_t i = 0; i < p->n_expire; i++) {
		bool changed;

		if ((rc = store_update_expire(db, p->expire[i]->id, &changed,
		                              e)) != SL_OK)
			return rc;
		if (changed)
			res->expired_count++;
	}
	return sync_want_content(db, config_storage_mode(cfg), now,
	                         &res->files_wanted, e);
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
	rc = sync_fetch(out, NULL, url, TRUST_DOC_MAX, cfg, e);
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
	return sync_run_filtered(db, cfg, NULL, NULL, false, out, e);
}

int
sync_run_filtered(struct store *db, const struct server_config *cfg,
                  sync_keep_fn keep, void *keep_arg, bool verify_first,
                  struct sync_result *out, struct err *e)
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
	if ((rc = sync_fetch(&r, NULL, url, CATALOG_INDEX_MAX, cfg, e)) !=
	    SL_OK) {
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
	if ((rc = plan_build(&plan, db, cfg, idx, keep, keep_arg, e)) != SL_OK)
		goto out;
	if (verify_first && (rc = verify_all(cfg, &kr, &plan, url, e)) != SL_OK)
		goto out;
	if ((rc = sync_docs(db, cfg, &kr, &plan, url, now, &res, e)) != SL_OK)
		goto out;
	/* Every document is in: the expiries, the wanted content, the
	 * auto-approvals and the index version in one last transaction. */
	progress_sync_phase("importing");
	if ((rc = store_begin(db, e)) != SL_OK)
		goto out;
	in_tx = true;
	if ((rc = finish_plan(db, cfg, &plan, now, &res, e)) != SL_OK)
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
		/* The batches committed before the failure stay: the row
		 * counts them. */
		res = (struct sync_result){
		        .history_id = res.history_id,
		        .new_count = res.new_count,
		        .revised_count = res.revised_count,
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
