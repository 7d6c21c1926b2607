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
#include "sign.h"
#include "store/store.h"

#define PAGE_BYTES_MAX (256u << 20) /* hard cap of one answer */

struct page {
	struct buf b;
	const struct req *r;
	const char *base;
	char last[40];
	int64_t n;
	int64_t n_files; /* of the update being written */
};

/* s as a JSON string: quotes, backslashes and control characters escaped
 * (the text is UTF-8 already: ids, hashes, URLs). */
static int
put_str(struct buf *b, const char *s, struct err *e)
{
	const char *run = s;
	char esc[8];
	int rc = buf_puts(b, "\"", e);

	for (; rc == SL_OK && *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		rc = buf_append(b, run, (size_t)(s - run), e);
		if (c == '"' || c == '\\')
			snprintf(esc, sizeof(esc), "\\%c", c);
		else
			snprintf(esc, sizeof(esc), "\\u%04x", c);
		if (rc == SL_OK)
			rc = buf_puts(b, esc, e);
		run = s + 1;
	}
	if (rc == SL_OK)
		rc = buf_append(b, run, (size_t)(s - run), e);
	return rc == SL_OK ? buf_puts(b, "\"", e) : rc;
}

static int
page_file(void *arg, const struct store_file *f, struct err *e)
{
	struct page *p = arg;
	char url[4096];
	int rc;

	api_content_url(url, sizeof(url), p->r, p->base, f->sha256,
	                f->upstream_url);
	rc = buf_puts(&p->b,
	              p->n_files++ ? ",{\"sha256\":" : "{\"sha256\":", e);
	if (rc == SL_OK)
		rc = put_str(&p->b, f->sha256, e);
	if (rc == SL_OK)
		rc = buf_printf(&p->b, e,
		                ",\"size\":%" PRId64 ",\"url\":", f->size);
	if (rc == SL_OK)
		rc = put_str(&p->b, url, e);
	return rc == SL_OK ? buf_puts(&p->b, "}", e) : rc;
}

/* One entry, {"id":...,"revision":...,"approval":{...},"files":[...],
 * "document":DOC}, written straight into the page: the per-computer part
 * is small and fixed in shape, the document is copied as stored. */
static int
page_entry(void *arg, const struct store_approved *a, struct err *e)
{
	struct page *p = arg;
	char when[21];
	int rc;

	if (a->document == NULL || a->document[0] != '{')
		return err_set(e, SL_EINTERNAL,
		               "stored document of %s revision %" PRId64
		               " is not a JSON object",
		               a->update_id, a->revision);
	rc = buf_puts(&p->b, p->n ? ",{\"id\":" : "{\"id\":", e);
	if (rc == SL_OK)
		rc = put_str(&p->b, a->update_id, e);
	if (rc == SL_OK)
		rc = buf_printf(&p->b, e,
		                ",\"revision\":%" PRId64
		                ",\"approval\":{\"action\":",
		                a->revision);
	if (rc == SL_OK)
		rc = put_str(&p->b, a->action, e);
	if (rc == SL_OK)
		rc = buf_puts(&p->b, ",\"deadline\":", e);
	if (rc == SL_OK && a->has_deadline &&
	    sign_time_format(when, (long long)a->deadline) == 0)
		rc = put_str(&p->b, when, e);
	else if (rc == SL_OK)
		rc = buf_puts(&p->b, "null", e);
	if (rc == SL_OK)
		rc = buf_puts(&p->b, "},\"files\":[", e);
	p->n_files = 0;
	if (rc == SL_OK)
		rc = store_update_files_each(p->r->store, a->update_id,
		                             a->revision, page_file, p, e);
	if (rc == SL_OK)
		rc = buf_puts(&p->b, "],\"document\":", e);
	if (rc == SL_OK)
		rc = buf_puts(&p->b, a->document, e);
	if (rc == SL_OK)
		rc = buf_puts(&p->b, "}", e);
	if (rc != SL_OK)
		return rc;
	snprintf(p->last, sizeof(p->last), "%s", a->update_id);
	p->n++;
	return SL_OK;
}

static int
page_removed(void *arg, const char *id, struct err *e)
{
	struct page *p = arg;
	int rc = buf_puts(&p->b, p->b.data[p->b.len - 1] == '[' ? "" : ",", e);

	return rc == SL_OK ? put_str(&p->b, id, e) : rc;
}

int
api_agent_page(struct reply *out, const struct req *r,
               const struct agent_page_req *q, struct err *e)
{
	struct page p = {.r = r, .base = q->base};
	struct MHD_Response *resp;
	char *body;
	size_t len;
	int rc;

	buf_init(&p.b, PAGE_BYTES_MAX);
	rc = buf_printf(&p.b, e,
	                "{\"protocol\":2,\"anchor\":\"%" PRId64
	                "\",\"full\":%s,\"updates\":[",
	                q->cur, q->full ? "true" : "false");
	if (rc == SL_OK && (q->full || q->since < q->cur))
		rc = store_evaluate_each(r->store, q->gid, r->computer_id,
		                         q->full ? -1 : q->since, q->after,
		                         q->limit, page_entry, &p, e);
	if (rc == SL_OK)
		rc = buf_puts(&p.b, "],\"removed\":[", e);
	if (rc == SL_OK && !q->full && q->first && q->since < q->cur)
		rc = store_gone_each(r->store, q->gid, r->computer_id, q->since,
		                     page_removed, &p, e);
	if (rc == SL_OK)
		rc = buf_puts(&p.b, "],\"next\":", e);
	if (rc == SL_OK && p.n == q->limit) {
		if (q->full)
			rc = buf_printf(&p.b, e, "\"f/%" PRId64 "/%s\"}",
			                q->cur, p.last);
		else
			rc = buf_printf(&p.b, e,
			                "\"%" PRId64 "/%" PRId64 "/%s\"}",
			                q->since, q->cur, p.last);
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
	resp = MHD_create_response_from_buffer(len, body,
	                                       MHD_RESPMEM_MUST_FREE);
	if (resp == NULL) {
		free(body);
		rc = err_set(e, SL_ENOMEM, "out of memory");
		goto out;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
	                        "application/json");
	out->raw = resp;
	out->status = MHD_HTTP_OK;
out:
	buf_free(&p.b);
	return rc;
}
