/*
 * api_agent_page: one page of a protocol 2 agent sync, written as bytes.
 *
 * The signed documents are the same for every computer and are stored as
 * the exact JSON text the origin signed: they are copied into the answer
 * verbatim, never parsed into a tree and printed again. Only the small
 * per-computer part of each entry (id, revision, approval, file URLs) is
 * built with jansson. A page holds at most the request's limit of
 * updates, so the server holds one page per request in flight.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "api_agent_page.h"
#include "api_manage.h"
#include "api_origin.h"
#include "buf.h"
#include "store/store.h"

#define PAGE_BYTES_MAX (256u << 20) /* hard cap of one answer */

struct page {
	struct buf b;
	const struct req *r;
	const char *base;
	json_t *files; /* of the update being written */
	char last[40];
	int64_t n;
};

static int
page_file(void *arg, const struct store_file *f, struct err *e)
{
	struct page *p = arg;
	char url[4096];

	api_content_url(url, sizeof(url), p->r, p->base, f->sha256,
	                f->upstream_url);
	if (json_array_append_new(p->files, json_pack("{s:s,s:I,s:s}", "sha256",
	                                              f->sha256, "size",
	                                              (json_int_t)f->size,
	                                              "url", url)) != 0)
		return err_set(e, SL_ENOMEM, "out of memory");
	return SL_OK;
}

static int
page_entry(void *arg, const struct store_approved *a, struct err *e)
{
	struct page *p = arg;
	json_t *meta = NULL;
	char *text = NULL;
	size_t len;
	int rc;

	if (a->document == NULL || a->document[0] != '{')
		return err_set(e, SL_EINTERNAL,
		               "stored document of %s revision %" PRId64
		               " is not a JSON object",
		               a->update_id, a->revision);
	p->files = json_array();
	meta = json_pack("{s:s,s:I,s:{s:s,s:o},s:o}", "id", a->update_id,
	                 "revision", (json_int_t)a->revision, "approval",
	                 "action", a->action, "deadline",
	                 a->has_deadline ? api_time(a->deadline) : json_null(),
	                 "files", p->files);
	if (meta == NULL) {
		rc = err_set(e, SL_ENOMEM, "out of memory");
		goto out;
	}
	rc = store_update_files_each(p->r->store, a->update_id, a->revision,
	                             page_file, p, e);
	if (rc != SL_OK)
		goto out;
	if ((text = json_dumps(meta, JSON_COMPACT)) == NULL) {
		rc = err_set(e, SL_ENOMEM, "out of memory");
		goto out;
	}
	/* {"id":...,"files":[...]} -> {"id":...,"files":[...],"document":DOC}
	 */
	len = strlen(text);
	rc = buf_puts(&p->b, p->n ? "," : "", e);
	if (rc == SL_OK)
		rc = buf_append(&p->b, text, len - 1, e);
	if (rc == SL_OK)
		rc = buf_puts(&p->b, ",\"document\":", e);
	if (rc == SL_OK)
		rc = buf_puts(&p->b, a->document, e);
	if (rc == SL_OK)
		rc = buf_puts(&p->b, "}", e);
	if (rc != SL_OK)
		goto out;
	snprintf(p->last, sizeof(p->last), "%s", a->update_id);
	p->n++;
out:
	free(text);
	json_decref(meta);
	return rc;
}

static int
page_removed(void *arg, const char *id, struct err *e)
{
	struct page *p = arg;
	json_t *s = json_string(id);
	char *t = s ? json_dumps(s, JSON_ENCODE_ANY) : NULL;
	int rc;

	if (t == NULL)
		rc = err_set(e, SL_ENOMEM, "out of memory");
	else
		rc = buf_printf(&p->b, e, "%s%s",
		                p->b.data[p->b.len - 1] == '[' ? "" : ",", t);
	free(t);
	json_decref(s);
	return rc;
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
