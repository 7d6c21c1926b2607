/*
 * upstream_call: calling the upstream sluiced's server-to-server API
 * (upstream_call.h).
 */
#include "upstream_call.h"

#include <stdlib.h>
#include <string.h>

#include "httpc.h"
#include "netopts.h"

int
upstream_base_url(struct buf *b, const struct server_config *cfg, struct err *e)
{
	size_t n = strlen(cfg->upstream_url);

	while (n > 0 && cfg->upstream_url[n - 1] == '/')
		n--;
	return buf_printf(b, e, "%.*s", (int)n, cfg->upstream_url);
}

/* The upstream's {"error":{"message"}} text, or the raw status. */
static int
call_error(const struct httpc_resp *r, const char *method, const char *url,
           struct err *e)
{
	json_t *v = json_loadb(r->body ? r->body : "", r->len, 0, NULL);
	const char *msg = json_string_value(
	        json_object_get(json_object_get(v, "error"), "message"));
	int code = r->status == 401   ? SL_EAUTH
	           : r->status == 403 ? SL_EDENIED
	           : r->status == 404 ? SL_ENOTFOUND
	                              : SL_ENET;

	err_set(e, code, "%s %s: HTTP %ld%s%s", method, url, r->status,
	        msg ? ": " : "", msg ? msg : "");
	json_decref(v);
	return code;
}

int
sluiced_call(json_t **out, const struct server_config *cfg, const char *method,
             const char *path, const json_t *body, struct err *e)
{
	struct httpc_opts o = {.token = cfg->upstream_token, .timeout_s = 600};

	netopts_http(&o, cfg, false);
	struct httpc_resp r = {0};
	json_error_t je;
	struct buf url;
	char *text = NULL;
	json_t *v;
	int rc;

	buf_init(&url, 8192);
	if ((rc = upstream_base_url(&url, cfg, e)) != SL_OK ||
	    (rc = buf_puts(&url, path, e)) != SL_OK)
		goto out;
	if (body != NULL && (text = json_dumps(body, JSON_COMPACT)) == NULL) {
		rc = err_set(e, SL_ENOMEM, "out of memory");
		goto out;
	}
	rc = httpc_request(&r, method, url.data, text, text ? strlen(text) : 0,
	                   UPSTREAM_ANSWER_CAP, &o, e);
	if (rc != SL_OK)
		goto out;
	if (r.status < 200 || r.status > 299) {
		rc = call_error(&r, method, url.data, e);
		goto out;
	}
	v = json_loadb(r.body, r.len, JSON_REJECT_DUPLICATES, &je);
	if (v == NULL || !json_is_object(v)) {
		json_decref(v);
		rc = err_set(e, SL_EPARSE, "%s %s: answer is not a JSON object",
		             method, url.data);
		goto out;
	}
	*out = v;
out:
	free(text);
	httpc_resp_free(&r);
	buf_free(&url);
	return rc;
}
