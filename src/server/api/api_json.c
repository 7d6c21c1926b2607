/*
 * api_json: small JSON validation and conversion helpers shared by the
 * handlers.
 */
#include <stdio.h>
#include <string.h>

#include "api.h"
#include "sign.h"

int
api_opt_str(const char **out, json_t *obj, const char *key, size_t max,
            struct err *e)
{
	json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return SL_OK;
	if (!json_is_string(v))
		return err_set(e, SL_EINVAL, "%s: expected a string", key);
	if (json_string_length(v) > max)
		return err_set(e, SL_EINVAL, "%s: longer than %zu bytes", key,
		               max);
	if (strlen(json_string_value(v)) != json_string_length(v))
		return err_set(e, SL_EINVAL, "%s: contains a NUL byte", key);
	*out = json_string_value(v);
	return SL_OK;
}

int
api_req_str(const char **out, json_t *obj, const char *key, size_t max,
            struct err *e)
{
	int rc = api_opt_str(out, obj, key, max, e);

	if (rc != SL_OK)
		return rc;
	if (*out == NULL || **out == '\0')
		return err_set(e, SL_EINVAL, "%s: required", key);
	return SL_OK;
}

json_t *
api_time(int64_t t)
{
	char s[21];

	if (sign_time_format(s, (long long)t) != 0)
		return json_null();
	return json_string(s);
}

json_t *
api_time_or_null(sqlite3_stmt *st, int col)
{
	char t[21];

	if (sqlite3_column_type(st, col) == SQLITE_NULL)
		return json_null();
	if (sign_time_format(t, (long long)sqlite3_column_int64(st, col)) != 0)
		return json_null();
	return json_string(t);
}

json_t *
api_text_or_null(sqlite3_stmt *st, int col)
{
	const char *s = (const char *)sqlite3_column_text(st, col);

	return s ? json_string(s) : json_null();
}

void
api_content_url(char *out, size_t n, const struct req *r, const char *base,
                const char *sha256, const char *upstream_url)
{
	if (r->env->cfg->storage_mode == STORAGE_NONE)
		snprintf(out, n, "%s",
		         upstream_url != NULL ? upstream_url : "");
	else
		snprintf(out, n, "%s/content/%s", base, sha256);
}
