/*
 * api_agent_body: an agent sync's request body (api_agent_body.h).
 */
#include "api_agent_body.h"

#include <stdio.h>
#include <string.h>

int64_t
agent_decimal(const char *s, size_t n)
{
	int64_t a = 0;

	if (n == 0 || n > 18)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		a = a * 10 + (s[i] - '0');
	}
	return a;
}

/* --- the scanner ------------------------------------------------------ */

struct scan {
	const char *p, *end;
};

static void
ws(struct scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' ||
	                         *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

static bool
eat(struct scan *s, char c)
{
	ws(s);
	if (s->p < s->end && *s->p == c) {
		s->p++;
		return true;
	}
	return false;
}

/* A string of printable ASCII without escapes: its bytes. */
static bool
plain_str(struct scan *s, const char **v, size_t *n)
{
	const char *q;

	if (!eat(s, '"'))
		return false;
	for (q = s->p; q < s->end && *q != '"'; q++)
		if ((unsigned char)*q < 0x20 || (unsigned char)*q > 0x7e ||
		    *q == '\\')
			return false;
	if (q == s->end)
		return false;
	*v = s->p;
	*n = (size_t)(q - s->p);
	s->p = q + 1;
	return true;
}

enum kind { K_NULL, K_STR, K_INT };

/* null, a plain string or a plain integer (digits, no sign, no leading
 * zero, no fraction or exponent). */
static bool
value(struct scan *s, enum kind *k, const char **v, size_t *n)
{
	const char *q;

	ws(s);
	if (s->p == s->end)
		return false;
	if (*s->p == '"') {
		*k = K_STR;
		return plain_str(s, v, n);
	}
	if ((size_t)(s->end - s->p) >= 4 && memcmp(s->p, "null", 4) == 0) {
		s->p += 4;
		*k = K_NULL;
	} else {
		for (q = s->p; q < s->end && *q >= '0' && *q <= '9'; q++)
			;
		if (q == s->p || q - s->p > 18 ||
		    (*s->p == '0' && q - s->p > 1))
			return false;
		*k = K_INT;
		*v = s->p;
		*n = (size_t)(q - s->p);
		s->p = q;
	}
	/* What may follow a value here. */
	ws(s);
	return s->p < s->end && (*s->p == ',' || *s->p == '}');
}

bool
agent_sync_scan(struct agent_sync_args *out, const char *body, size_t n)
{
	static const char *const keys[] = {"anchor", "protocol", "limit",
	                                   "cursor"};
	struct scan s = {body, body + n};
	unsigned seen = 0;
	const char *k, *v = NULL;
	size_t kn, vn = 0;
	enum kind kind;
	int i;

	*out = (struct agent_sync_args){
	        .since = -1, .proto = 1, .limit = AGENT_PAGE_DEFAULT};
	if (!eat(&s, '{'))
		return false;
	if (!eat(&s, '}')) {
		do {
			if (!plain_str(&s, &k, &kn) || !eat(&s, ':'))
				return false;
			for (i = 0; i < 4; i++)
				if (strlen(keys[i]) == kn &&
				    memcmp(keys[i], k, kn) == 0)
					break;
			if (i == 4 || (seen & (1u << i)) ||
			    !value(&s, &kind, &v, &vn))
				return false;
			seen |= 1u << i;
			if (kind == K_NULL)
				continue;
			/* The type each member must have, else jansson
			 * says what is wrong. */
			if ((i == 0 || i == 3) != (kind == K_STR))
				return false;
			if (i == 0)
				out->since = agent_decimal(v, vn);
			else if (i == 1)
				out->proto =
				        (int)(vn > 2 ? 99
				                     : agent_decimal(v, vn));
			else if (i == 2)
				out->limit = agent_decimal(v, vn);
			else if (vn > AGENT_CURSOR_MAX)
				return false;
			else {
				memcpy(out->cursor, v, vn);
				out->cursor[vn] = '\0';
				out->has_cursor = true;
			}
		} while (eat(&s, ','));
		if (!eat(&s, '}'))
			return false;
	}
	ws(&s);
	return s.p == s.end;
}

/* --- both paths ---------------------------------------------------------- */

/* The members through jansson (anything the scanner does not take). */
static int
args_json(struct agent_sync_args *out, const struct req *r, struct err *e)
{
	json_t *body, *v;
	int rc;

	*out = (struct agent_sync_args){
	        .since = -1, .proto = 1, .limit = AGENT_PAGE_DEFAULT};
	rc = http_json_body(&body, r, e);
	if (rc != SL_OK)
		return rc;
	v = json_object_get(body, "anchor");
	if (v != NULL && !json_is_null(v) && !json_is_string(v)) {
		rc = err_set(e, SL_EINVAL, "anchor: expected a string or null");
		goto out;
	}
	if (json_is_string(v))
		out->since = agent_decimal(json_string_value(v),
		                           strlen(json_string_value(v)));
	v = json_object_get(body, "protocol");
	if (v != NULL && !json_is_null(v)) {
		if (!json_is_integer(v) || json_integer_value(v) < 1 ||
		    json_integer_value(v) > 2) {
			rc = err_set(e, SL_EINVAL, "protocol: expected 1 or 2");
			goto out;
		}
		out->proto = (int)json_integer_value(v);
	}
	v = json_object_get(body, "limit");
	if (v != NULL && !json_is_null(v)) {
		if (!json_is_integer(v) || json_integer_value(v) < 1 ||
		    json_integer_value(v) > AGENT_PAGE_MAX) {
			rc = err_set(e, SL_EINVAL, "limit: expected 1 to %d",
			             AGENT_PAGE_MAX);
			goto out;
		}
		out->limit = json_integer_value(v);
	}
	v = json_object_get(body, "cursor");
	if (v != NULL && !json_is_null(v)) {
		if (!json_is_string(v)) {
			rc = err_set(e, SL_EINVAL,
			             "cursor: expected a string or null");
			goto out;
		}
		/* A longer one is not ours: "" says so the same way. */
		if (strlen(json_string_value(v)) <= AGENT_CURSOR_MAX)
			snprintf(out->cursor, sizeof(out->cursor), "%s",
			         json_string_value(v));
		out->has_cursor = true;
	}
out:
	json_decref(body);
	return rc;
}

int
agent_sync_args(struct agent_sync_args *out, const struct req *r, struct err *e)
{
	if (!agent_sync_scan(out, r->body, r->body_len))
		return args_json(out, r, e);
	if (out->proto < 1 || out->proto > 2)
		return err_set(e, SL_EINVAL, "protocol: expected 1 or 2");
	if (out->limit < 1 || out->limit > AGENT_PAGE_MAX)
		return err_set(e, SL_EINVAL, "limit: expected 1 to %d",
		               AGENT_PAGE_MAX);
	return SL_OK;
}
