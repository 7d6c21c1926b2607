/*
 * api_agent_page: one page of a protocol 2 agent sync, written as bytes.
 *
 * The signed documents are the same for every computer and are stored as
 * the exact JSON text the origin signed: they are copied into the answer
 * verbatim, never parsed into a tree and printed again; the small
 * per-computer part of each entry (id, revision, approval, file URLs) is
 * written beside them as text. A page holds at most the request's limit
 * of updates, so the server holds one page per request in flight.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "api_agent_page.h"
#include "api_manage.h"
#include "api_origin.h"
#include "buf.h"
#include "jsonx.h"
#include "sign.h"
#include "store/store.h"

#define PAGE_BYTES_MAX (256u << 20) /* hard cap of one answer */

/* One update of the page, held until its files are known. */
struct entry {
	char id[40], action[16];
	int64_t revision, deadline;
	bool has_deadline;
	size_t doc_off, doc_len;     /* its document in page.docs */
	size_t files_off, files_len; /* its file objects in page.files */
};

struct page {
	struct buf b;
	struct buf files; /* the file objects of every entry, in id order */
	struct buf docs;  /* the documents of every entry, in id order */
	const struct req *r;
	const char *base;
	struct entry *v; /* the page's updates, by id */
	int64_t n;
	size_t cur; /* page_file: the entry being matched */
};

/* A file of the page's range: written to p->files, in the span of its
 * entry (files and entries come by id; files of updates that are not in
 * the page, declined or expired, are skipped). */
static int
page_file(void *arg, const char *update_id, const struct store_file *f,
          struct err *e)
{
	struct page *p = arg;
	struct entry *en;
	char url[4096];
	int rc;

	while (p->cur < (size_t)p->n && strcmp(p->v[p->cur].id, update_id) < 0)
		p->cur++;
	if (p->cur == (size_t)p->n || strcmp(p->v[p->cur].id, update_id) != 0 ||
	    p->v[p->cur].revision != f->revision)
		return SL_OK;
	en = &p->v[p->cur];
	if (en->files_len == 0)
		en->files_off = p->files.len;
	api_content_url(url, sizeof(url), p->r, p->base, f->sha256,
	                f->upstream_url);
	rc = buf_puts(&p->files,
	              en->files_len ? ",{\"sha256\":" : "{\"sha256\":", e);
	if (rc == SL_OK)
		rc = jsonx_put_str(&p->files, f->sha256, e);
	if (rc == SL_OK)
		rc = buf_printf(&p->files, e,
		                ",\"size\":%" PRId64 ",\"url\":", f->size);
	if (rc == SL_OK)
		rc = jsonx_put_str(&p->files, url, e);
	if (rc == SL_OK)
		rc = buf_puts(&p->files, "}", e);
	if (rc == SL_OK)
		en->files_len = p->files.len - en->files_off;
	return rc;
}

/* Keep one update of the page (its document copied: the statement's text
 * lives only until the next row). */
static int
page_keep(void *arg, const struct store_approved *a, struct err *e)
{
	struct page *p = arg;
	struct entry *en = &p->v[p->n];
	int rc;

	if (a->document == NULL || a->document[0] != '{')
		return err_set(e, SL_EINTERNAL,
		               "stored document of %s revision %" PRId64
		               " is not a JSON object",
		               a->update_id, a->revision);
	memset(en, 0, sizeof(*en));
	snprintf(en->id, sizeof(en->id), "%s", a->update_id);
	snprintf(en->action, sizeof(en->action), "%s", a->action);
	en->revision = a->revision;
	en->has_deadline = a->has_deadline;
	en->deadline = a->deadline;
	en->doc_off = p->docs.len;
	en->doc_len = strlen(a->document);
	rc = buf_append(&p->docs, a->document, en->doc_len, e);
	if (rc == SL_OK)
		p->n++;
	return rc;
}

/* One entry, {"id":...,"revision":...,"approval":{...},"files":[...],
 * "document":DOC}, written as text: the per-computer part is small and
 * fixed in shape, the document is copied as stored. */
static int
page_entry(struct page *p, const struct entry *en, bool first, struct err *e)
{
	char when[21];
	int rc;

	rc = buf_puts(&p->b, first ? "{\"id\":" : ",{\"id\":", e);
	if (rc == SL_OK)
		rc = jsonx_put_str(&p->b, en->id, e);
	if (rc == SL_OK)
		rc = buf_printf(&p->b, e,
		                ",\"revision\":%" PRId64
		                ",\"approval\":{\"action\":",
		                en->revision);
	if (rc == SL_OK)
		rc = jsonx_put_str(&p->b, en->action, e);
	if (rc == SL_OK)
		rc = buf_puts(&p->b, ",\"deadline\":", e);
	if (rc == SL_OK && en->has_deadline &&
	    sign_time_format(when, (long long)en->deadline) == 0)
		rc = jsonx_put_str(&p->b, when, e);
	else if (rc == SL_OK)
		rc = buf_puts(&p->b, "null", e);
	if (rc == SL_OK)
		rc = buf_puts(&p->b, "},\"files\":[", e);
	if (rc == SL_OK && en->files_len > 0)
		rc = buf_append(&p->b, p->files.data + en->files_off,
		                en->files_len, e);
	if (rc == SL_OK)
		rc = buf_puts(&p->b, "],\"document\":", e);
	if (rc == SL_OK)
		rc = buf_append(&p->b, p->docs.data + en->doc_off, en->doc_len,
		                e);
	return rc == SL_OK ? buf_puts(&p->b, "}", e) : rc;
}

/* The page's updates: kept, their files fetched in one query, written. */
static int
page_updates(struct page *p, const struct agent_page_req *q, struct err *e)
{
	const struct req *r = p->r;
	int rc;

	p->v = calloc((size_t)q->limit, sizeof(*p->v));
	if (p->v == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	rc = store_evaluate_each(r->store, q->gid, r->computer_id,
	                         q->full ? -1 : q->since, q->after, q->limit,
	                         page_keep, p, e);
	if (rc == SL_OK && p->n > 0)
		rc = store_page_files_each(r->store, q->after,
		                           p->v[p->n - 1].id, page_file, p, e);
	for (int64_t i = 0; rc == SL_OK && i < p->n; i++)
		rc = page_entry(p, &p->v[i], i == 0, e);
	return rc;
}

static int
page_removed(void *arg, const char *id, struct err *e)
{
	struct page *p = arg;
	int rc = buf_puts(&p->b, p->b.data[p->b.len - 1] == '[' ? "" : ",", e);

	return rc == SL_OK ? jsonx_put_str(&p->b, id, e) : rc;
}

int
api_agent_page(struct reply *out, const struct req *r,
               const struct agent_page_req *q, struct err *e)
{
	struct page p = {.r = r, .base = q->base};
	bool changed = false;
	char *body;
	size_t len;
	int rc;

	buf_init(&p.b, PAGE_BYTES_MAX);
	buf_init(&p.files, PAGE_BYTES_MAX);
	buf_init(&p.docs, PAGE_BYTES_MAX);
	rc = buf_printf(&p.b, e,
	                "{\"protocol\":2,\"anchor\":\"%" PRId64
	                "\",\"full\":%s,\"updates\":[",
	                q->cur, q->full ? "true" : "false");
	/* An incremental sync reads the updates only when something it
	 * would read changed (the anchor falls behind whenever anything
	 * takes a change sequence number, a registration too). */
	if (rc == SL_OK && !q->full && q->since < q->cur)
		rc = store_changed_since(&changed, r->store, q->gid,
		                         r->computer_id, q->since, e);
	if (rc == SL_OK && (q->full || changed))
		rc = page_updates(&p, q, e);
	if (rc == SL_OK)
		rc = buf_puts(&p.b, "],\"removed\":[", e);
	if (rc == SL_OK && !q->full && q->first && changed)
		rc = store_gone_each(r->store, q->gid, r->computer_id, q->since,
		                     page_removed, &p, e);
	if (rc == SL_OK)
		rc = buf_puts(&p.b, "],\"next\":", e);
	if (rc == SL_OK && p.n == q->limit) {
		const char *last = p.v[p.n - 1].id;

		if (q->full)
			rc = buf_printf(&p.b, e, "\"f/%" PRId64 "/%s\"}",
			                q->cur, last);
		else
			rc = buf_printf(&p.b, e,
			                "\"%" PRId64 "/%" PRId64 "/%s\"}",
			                q->since, q->cur, last);
	} else if (rc == SL_OK)
		rc = buf_puts(&p.b, "null}", e);
	/* The first page carries the origin's key list and timestamp: the
	 * agent checks the catalog's freshness with them. */
	if (rc == SL_OK && q->first) {
		p.b.data[--p.b.len] = '\0'; /* the closing '}' */
		rc = api_origin_raw(&p.b, r, e);
		if (rc == SL_OK)
			rc = buf_puts(&p.b, "}", e);
	}
	if (rc != SL_OK)
		goto out;
	body = buf_steal(&p.b, &len);
	out->raw = http_json_text_response(body, len);
	if (out->raw == NULL) {
		rc = err_set(e, SL_ENOMEM, "out of memory");
		goto out;
	}
	out->status = MHD_HTTP_OK;
out:
	free(p.v);
	buf_free(&p.docs);
	buf_free(&p.files);
	buf_free(&p.b);
	return rc;
}
