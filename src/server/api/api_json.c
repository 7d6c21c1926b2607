/*
 * api_json: small JSON validation and conversion helpers shared by the
 * handlers.
 */
#include <stdio.h>
#include <string.h>

#include "api.h"
#include "api_manage.h"
#include "sign.h"

json_t *
api_time(int64_t t)
{
	char s[21];

	if (sign_time_format(s, (long long)t) != 0)
		return json_null();
	return json_string(s);
}

int
api_list_reply(struct reply *out, struct store *s, const char *key,
               api_list_fn fn, struct err *e)
{
	json_t *arr = json_array();
	int rc;

	if (arr == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	rc = fn(arr, s, e);
	if (rc != SL_OK) {
		json_decref(arr);
		return rc;
	}
	out->json = json_pack("{s:o}", key, arr);
	return out->json ? SL_OK : err_set(e, SL_ENOMEM, "out of memory");
}

void
api_content_url(char *out, size_t n, const struct req *r, const char *base,
                const char *sha256, const char *upstream_url)
{
	if (api_storage_mode(r) == STORAGE_NONE)
		snprintf(out, n, "%s",
		         upstream_url != NULL ? upstream_url : "");
	else
		snprintf(out, n, "%s/content/%s", base, sha256);
}
