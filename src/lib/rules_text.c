/*
 * rules_text: evaluating a rule tree stored as JSON text (see rules.h).
 *
 * The agent keeps every update's rule trees as compact JSON and evaluates
 * tens of thousands of them per detection: general JSON parsing (jansson's
 * lexer reads a character at a time through a stream) was most of a
 * detection's time. Rule text is plain (objects, arrays, strings without
 * escapes, true/false/null, integers), so it is read here directly into a
 * tree; anything else (escapes, fractions, malformed text) goes to
 * json_loads, which also gives the error message.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "rules.h"

#define TEXT_DEPTH_MAX (2 * RULES_MAX_DEPTH + 8)

static json_t *value(const char **pp, int depth);

static void
skip_ws(const char **pp)
{
	while (**pp == ' ' || **pp == '\n' || **pp == '\t' || **pp == '\r')
		(*pp)++;
}

/* A string without escapes: its bytes in [*s, *s + *len); NULL-safe. */
static int
plain_string(const char **pp, const char **s, size_t *len)
{
	const char *p = *pp;

	if (*p != '"')
		return -1;
	*s = ++p;
	for (; *p != '"'; p++)
		if (*p == '\0' || *p == '\\' || (unsigned char)*p < 0x20)
			return -1;
	*len = (size_t)(p - *s);
	*pp = p + 1;
	return 0;
}

static json_t *
object(const char **pp, int depth)
{
	json_t *o = json_object(), *v;
	const char *k;
	size_t klen;

	(*pp)++; /* { */
	skip_ws(pp);
	if (**pp == '}') {
		(*pp)++;
		return o;
	}
	while (o != NULL) {
		skip_ws(pp);
		if (plain_string(pp, &k, &klen) != 0)
			break;
		skip_ws(pp);
		if (*(*pp)++ != ':' || (v = value(pp, depth + 1)) == NULL)
			break;
		if (json_object_setn_new(o, k, klen, v) != 0)
			break;
		skip_ws(pp);
		if (**pp == '}') {
			(*pp)++;
			return o;
		}
		if (*(*pp)++ != ',')
			break;
	}
	json_decref(o);
	return NULL;
}

static json_t *
array(const char **pp, int depth)
{
	json_t *a = json_array(), *v;

	(*pp)++; /* [ */
	skip_ws(pp);
	if (**pp == ']') {
		(*pp)++;
		return a;
	}
	while (a != NULL) {
		if ((v = value(pp, depth + 1)) == NULL ||
		    json_array_append_new(a, v) != 0)
			break;
		skip_ws(pp);
		if (**pp == ']') {
			(*pp)++;
			return a;
		}
		if (*(*pp)++ != ',')
			break;
	}
	json_decref(a);
	return NULL;
}

static json_t *
integer(const char **pp)
{
	const char *p = *pp;
	long long v = 0;
	bool neg = *p == '-';

	p += neg;
	if (*p < '0' || *p > '9' || (*p == '0' && p[1] >= '0' && p[1] <= '9'))
		return NULL;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (LLONG_MAX - (*p - '0')) / 10)
			return NULL;
		v = v * 10 + (*p - '0');
	}
	if (*p == '.' || *p == 'e' || *p == 'E')
		return NULL;
	*pp = p;
	return json_integer(neg ? -v : v);
}

static json_t *
word(const char **pp, const char *w, json_t *v)
{
	size_t n = strlen(w);

	if (strncmp(*pp, w, n) != 0)
		return NULL;
	*pp += n;
	return v;
}

static json_t *
value(const char **pp, int depth)
{
	const char *s;
	size_t len;

	if (depth > TEXT_DEPTH_MAX)
		return NULL;
	skip_ws(pp);
	switch (**pp) {
	case '{':
		return object(pp, depth);
	case '[':
		return array(pp, depth);
	case '"':
		return plain_string(pp, &s, &len) == 0 ? json_stringn(s, len)
		                                       : NULL;
	case 't':
		return word(pp, "true", json_true());
	case 'f':
		return word(pp, "false", json_false());
	case 'n':
		return word(pp, "null", json_null());
	default:
		return integer(pp);
	}
}

/* The tree of text, or NULL when the quick reading does not apply. */
static json_t *
quick_load(const char *text)
{
	const char *p = text;
	json_t *v = value(&p, 0);

	if (v == NULL)
		return NULL;
	skip_ws(&p);
	if (*p != '\0') {
		json_decref(v);
		return NULL;
	}
	return v;
}

int
rules_eval_text(struct rules_ctx *ctx, const char *text, bool *out,
                struct err *e)
{
	json_error_t je;
	json_t *rule;
	int rc;

	if (text == NULL)
		return err_set(e, SL_EPARSE, "stored rule: missing");
	if ((rule = quick_load(text)) == NULL &&
	    (rule = json_loads(text, 0, &je)) == NULL)
		return err_set(e, SL_EPARSE, "stored rule: %s", je.text);
	rc = rules_eval(ctx, rule, out, e);
	json_decref(rule);
	return rc;
}
