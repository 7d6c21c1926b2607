/*
 * jsonx: validated JSON member access (jsonx.h).
 */
#include "jsonx.h"

#include <stdio.h>
#include <string.h>

int
jsonx_opt_str(const char **out, json_t *obj, const char *key, size_t max,
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
jsonx_req_str(const char **out, json_t *obj, const char *key, size_t max,
              struct err *e)
{
	int rc = jsonx_opt_str(out, obj, key, max, e);

	if (rc != SL_OK)
		return rc;
	if (*out == NULL || **out == '\0')
		return err_set(e, SL_EINVAL, "%s: required", key);
	return SL_OK;
}

int
jsonx_put_str(struct buf *b, const char *s, struct err *e)
{
	const char *run = s;
	char esc[8];
	int rc;

	if (s == NULL)
		return buf_puts(b, "null", e);
	rc = buf_puts(b, "\"", e);
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
