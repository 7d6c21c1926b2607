/*
 * sync_batch: the documents of a batch are fetched and verified by up to
 * SYNC_BATCH_THREADS threads (one per online CPU), each taking the next
 * document none has taken, while the caller goes on (writing the batch before,
 * say); the errors stay with their documents so the one reported is the first
 * in batch order, whatever thread met it.
 */
#include "sync_batch.h"

#include <assert.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "httpc_path.h"
#include "netopts.h"

/* Fewer documents than this per thread are not worth a thread. */
#define DOCS_PER_THREAD 16

struct worker {
	struct sync_batch *b;
	const char *base;
	const char *dir; /* base's directory (httpc_path_dir()) or NULL */
	const struct server_config *cfg;
	const struct sign_keyring *kr;
	struct httpc_conn *conn; /* NULL: a handle per request */
	atomic_size_t *next;     /* the next document no thread has taken */
	pthread_t tid;
	bool started; /* on a thread of its own */
};

/* The verification of a batch in flight (sync_batch_start()). */
struct sync_run {
	struct worker w[SYNC_BATCH_THREADS];
	size_t n;
	atomic_size_t next;
	char *dir;
	bool active;
};

int
sync_fetch(struct httpc_resp *out, struct httpc_conn *conn, const char *url,
           size_t cap, const struct server_config *cfg, struct err *e)
{
	struct httpc_opts o = {0};
	int rc;

	netopts_http(&o, cfg, false);
	rc = conn != NULL ? httpc_conn_get(conn, out, url, cap, &o, e)
	                  : httpc_get(out, url, cap, &o, e);
	if (rc != SL_OK)
		return rc;
	if (out->status != 200) {
		rc = err_set(e, out->status == 404 ? SL_ENOTFOUND : SL_ENET,
		             "%s: HTTP status %ld", url, out->status);
		httpc_resp_free(out);
	}
	return rc;
}

int
sync_batch_init(struct sync_batch *b, struct err *e)
{
	memset(b, 0, sizeof(*b));
	if ((b->docs = calloc(SYNC_BATCH_DOCS, sizeof(*b->docs))) == NULL ||
	    (b->run = calloc(1, sizeof(*b->run))) == NULL) {
		free(b->docs);
		b->docs = NULL;
		return err_set(e, SL_ENOMEM, "out of memory");
	}
	return SL_OK;
}

bool
sync_batch_full(const struct sync_batch *b)
{
	return b->n >= SYNC_BATCH_DOCS || b->bytes >= SYNC_BATCH_BYTES;
}

void
sync_batch_add(struct sync_batch *b, const struct catalog_entry *entry,
               bool revised)
{
	b->docs[b->n++] = (struct sync_doc){.entry = entry, .revised = revised};
	b->bytes += entry->size;
}

/* Fetch and verify one document into its slot. */
static int
doc_verify(struct sync_doc *d, struct httpc_conn *conn, const char *base,
           const char *dir, const struct server_config *cfg,
           const struct sign_keyring *kr, struct err *e)
{
	const struct catalog_entry *en = d->entry;
	struct httpc_resp r = {0};
	struct update *u = NULL;
	char *url;
	int rc;

	if ((url = httpc_path_join(dir, base, en->path)) == NULL)
		return err_set(e, SL_EINVAL, "%s: cannot resolve against %s",
		               en->path, base);
	if ((rc = sync_fetch(&r, conn, url, UPDATE_DOC_MAX, cfg, e)) != SL_OK)
		goto out;
	rc = catalog_doc_parse(&u, NULL, r.body, r.len, en, kr, e);
	if (rc != SL_OK)
		goto out;
	d->u = u;
	d->text = r.body;
	d->len = r.len;
	r.body = NULL;
out:
	httpc_resp_free(&r);
	free(url);
	return rc;
}

static void *
worker_run(void *arg)
{
	struct worker *w = arg;

	/* Each thread takes the next document left: one that gets less of
	 * the CPU (a loaded machine) does less, instead of holding up the
	 * batch with its fixed share. */
	for (size_t i; (i = atomic_fetch_add(w->next, 1)) < w->b->n;) {
		struct sync_doc *d = &w->b->docs[i];

		err_clear(&d->err);
		d->rc = doc_verify(d, w->conn, w->base, w->dir, w->cfg, w->kr,
		                   &d->err);
	}
	return NULL;
}

static size_t
thread_count(size_t n_docs)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	size_t n = cpus > 0 ? (size_t)cpus : 1;

	if (n > SYNC_BATCH_THREADS)
		n = SYNC_BATCH_THREADS;
	if (n > n_docs / DOCS_PER_THREAD)
		n = n_docs / DOCS_PER_THREAD;
	return n > 0 ? n : 1;
}

void
sync_batch_start(struct sync_batch *b, const char *base,
                 const struct server_config *cfg, const struct sign_keyring *kr)
{
	struct sync_run *r = b->run;

	assert(!r->active);
	r->n = thread_count(b->n);
	r->active = true;
	atomic_store(&r->next, 0);
	/* NULL (ENOMEM, say): every path is resolved the long way. */
	r->dir = httpc_path_dir(base);
	for (size_t t = 0; t < r->n; t++) {
		struct err ce;

		/* Without a kept handle the requests still work, each on
		 * its own. */
		if (b->conn[t] == NULL)
			(void)httpc_conn_new(&b->conn[t], &ce);
		r->w[t] = (struct worker){.b = b,
		                          .base = base,
		                          .dir = r->dir,
		                          .cfg = cfg,
		                          .kr = kr,
		                          .conn = b->conn[t],
		                          .next = &r->next};
		/* A share whose thread cannot start is done by
		 * sync_batch_wait()'s caller. */
		r->w[t].started = pthread_create(&r->w[t].tid, NULL, worker_run,
		                                 &r->w[t]) == 0;
	}
}

int
sync_batch_wait(struct sync_batch *b, struct err *e)
{
	struct sync_run *r = b->run;

	if (!r->active)
		return SL_OK;
	for (size_t t = 0; t < r->n; t++) {
		if (r->w[t].started)
			pthread_join(r->w[t].tid, NULL);
		else
			worker_run(&r->w[t]);
	}
	r->active = false;
	free(r->dir);
	r->dir = NULL;
	for (size_t i = 0; i < b->n; i++) {
		if (b->docs[i].rc != SL_OK) {
			if (e != NULL)
				*e = b->docs[i].err;
			return b->docs[i].rc;
		}
	}
	return SL_OK;
}

int
sync_batch_verify(struct sync_batch *b, const char *base,
                  const struct server_config *cfg,
                  const struct sign_keyring *kr, struct err *e)
{
	sync_batch_start(b, base, cfg, kr);
	return sync_batch_wait(b, e);
}

void
sync_batch_clear(struct sync_batch *b)
{
	assert(b->run == NULL || !b->run->active);
	for (size_t i = 0; i < b->n; i++) {
		update_free(b->docs[i].u);
		free(b->docs[i].text);
	}
	b->n = 0;
	b->bytes = 0;
}

void
sync_batch_free(struct sync_batch *b)
{
	if (b->run != NULL && b->run->active)
		(void)sync_batch_wait(b, NULL);
	if (b->docs != NULL)
		sync_batch_clear(b);
	free(b->docs);
	free(b->run);
	b->docs = NULL;
	b->run = NULL;
	for (size_t t = 0; t < SYNC_BATCH_THREADS; t++) {
		httpc_conn_free(b->conn[t]);
		b->conn[t] = NULL;
	}
}
