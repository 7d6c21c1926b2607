/*
 * api_json: small JSON validation and conversion helpers shared by the
 * handlers.
 */
#include <stdio.h>
#include <string.h>

#include "api.h"
#include "sign.h"

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
