/*
 * api_downstream: administration of the downstream servers of this
 * sluiced (`sluice downstream add|list|remove`). A downstream server
 * authenticates to the server-to-server API (api_upstream.c) with a token
 * made here, shown once; only its SHA-256 is stored.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "auth.h"
#include "sign.h"

#define DS_NAME_MAX 64

/* Names become part of rolled-up computers' server path ("a/b"). */
static int
name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > DS_NAME_MAX)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '.' || *s == '-' ||
		      *s == '_'))
			return 0;
	return 1;
}

int
api_admin_downstream_add(struct req *r, struct reply *out, struct err *e)
{
	char tok[AUTH_TOKEN_LEN + 1], th[AUTH_TOKEN_LEN + 1];
	json_t *body = NULL;
	const char *name;
	int rc;

	rc = http_json_body(&body, r, e);
	if (rc == SL_OK)
		rc = jsonx_req_str(&name, body, "name", DS_NAME_MAX, e);
	if (rc == SL_OK && !name_ok(name))
		rc = err_set(e, SL_EINVAL,
		             "name: letters, digits, '.', '-' and '_' only");
	if (rc != SL_OK)
		goto out;
	auth_token_new(tok);
	auth_token_hash(th, tok);
	rc = store_downstream_add(r->store, name, th, (int64_t)time(NULL), e);
	if (rc != SL_OK)
		goto out;
	out->status = 201;
	out->json = json_pack("{s:s,s:s}", "name", name, "token", tok);
	if (out->json == NULL)
		rc = err_set(e, SL_ENOMEM, "out of memory");
out:
	sodium_memzero(tok, sizeof(tok));
	json_decref(body);
	if (rc != SL_OK)
		err_prefix(e, "downstream add");
	return rc;
}

int
api_admin_downstream_list(struct req *r, struct reply *out, struct err *e)
{
	return api_list_reply(out, r->store, "downstreams",
	                      store_downstreams_list, e);
}

/* Revoke: the token stops working; the row (and the computers rolled
 * up through it) stay for the reports. */
int
api_admin_downstream_remove(struct req *r, struct reply *out, struct err *e)
{
	int rc = store_downstream_revoke(r->store, r->params[0], e);

	if (rc == SL_OK) {
		out->json = json_pack("{s:s,s:b}", "name", r->params[0],
		                      "revoked", 1);
		if (out->json == NULL)
			rc = err_set(e, SL_ENOMEM, "out of memory");
	}
	return rc;
}
