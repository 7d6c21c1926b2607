/*
 * api_console_license: GET /v1/admin/console/license/<id>, the text of an
 * update's license terms, so that the console's Approve dialog can show
 * them. The terms are a file of the update (its `eula`): read from the
 * content store when this server keeps it, else fetched from the
 * upstream (a catalog origin's URL, or another sluiced's /content/) and
 * checked against its SHA-256 either way. Capped at LICENSE_MAX bytes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api.h"
#include "api_console.h"
#include "auth.h"
#include "buf.h"
#include "fsx.h"
#include "hash.h"
#include "httpc.h"
#include "update.h"

#define LICENSE_MAX (256u << 10)

static int
license_bytes(char **out, size_t *len, const struct server_config *cfg,
              const struct update_file *f, struct err *e)
{
	struct httpc_opts o = {.timeout_s = 20};
	struct httpc_resp resp = {0};
	char path[4096], *url = NULL;
	struct buf base;
	int rc;

	snprintf(path, sizeof(path), "%s/%.2s/%s", cfg->content_dir, f->sha256,
	         f->sha256);
	if (access(path, R_OK) == 0)
		return fsx_read(path, LICENSE_MAX, out, len, e);
	if (cfg->upstream_url == NULL)
		return err_set(e, SL_ENOTFOUND,
		               "not in the content store and no upstream");
	buf_init(&base, 8192);
	rc = buf_printf(&base, e, "%s", cfg->upstream_url);
	if (rc == SL_OK && (base.len == 0 || base.data[base.len - 1] != '/'))
		rc = buf_append(&base, "/", 1, e);
	if (rc != SL_OK)
		goto out;
	if (cfg->upstream_kind == UPSTREAM_SLUICED) {
		rc = buf_printf(&base, e, "content/%s", f->sha256);
		url = rc == SL_OK ? strdup(base.data) : NULL;
	} else {
		url = httpc_resolve(base.data, f->url);
	}
	if (rc == SL_OK && url == NULL)
		rc = err_set(e, SL_EINVAL, "URL %s cannot be resolved", f->url);
	if (rc == SL_OK)
		rc = httpc_get(&resp, url, LICENSE_MAX, &o, e);
	if (rc != SL_OK)
		goto out;
	if (resp.status != 200) {
		rc = err_set(e, SL_ENET, "%s: HTTP %ld", url, resp.status);
		goto out;
	}
	*out = resp.body;
	*len = resp.len;
	resp.body = NULL;
out:
	httpc_resp_free(&resp);
	buf_free(&base);
	free(url);
	return rc;
}

int
api_console_license(struct req *r, struct reply *out, struct err *e)
{
	const char *id = r->params[0];
	char hex[HASH_HEX_LEN + 1];
	struct update *u = NULL;
	char *text = NULL;
	size_t len = 0;
	int rc;

	if (!auth_is_uuid(id))
		return err_set(e, SL_EINVAL,
		               "license: expected an update UUID");
	rc = store_update_load(&u, NULL, NULL, r->store, id, e);
	if (rc != SL_OK)
		return err_prefix(e, "license");
	if (u->eula == NULL) {
		rc = err_set(e, SL_ENOTFOUND, "update %s has no license terms",
		             id);
		goto out;
	}
	rc = license_bytes(&text, &len, r->env->cfg, u->eula, e);
	if (rc != SL_OK) {
		err_prefix(e, "license terms %s", u->eula->name);
		goto out;
	}
	hash_buf_hex(text, len, hex);
	if (strcmp(hex, u->eula->sha256) != 0) {
		rc = err_set(e, SL_EVERIFY,
		             "license terms %s: SHA-256 does not match the "
		             "signed metadata",
		             u->eula->name);
		goto out;
	}
	out->json = json_pack("{s:s,s:s,s:s%}", "name", u->eula->name, "sha256",
	                      u->eula->sha256, "text", text, len);
	if (out->json == NULL)
		rc = err_set(e, SL_EINVAL,
		             "license terms %s: not UTF-8 text: read them from "
		             "the upstream",
		             u->eula->name);
out:
	free(text);
	update_free(u);
	return rc;
}
