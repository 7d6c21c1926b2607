/*
 * canon_tree: a tree from checked canonical JSON (canon_tree.h). One pass,
 * recursive, bounded by the span's end; every value is handed to jansson
 * with its "nocheck" constructors, since canon_check() already checked the
 * UTF-8 and the keys.
 */
#include "canon_tree.h"

#include <stdlib.h>
#include <string.h>

/* Deeper than this is refused (canon_check() stops at 32). */
#define TREE_DEPTH 64
/* Longer integers are refused (canon_check()'s limit: no overflow). */
#define INT_DIGITS 18
/* Escaped strings up to this long are decoded on the stack. */
#define STACK_STR 512

struct reader {
	const char *p, *end, *start;
	int rc;             /* SL_OK until something fails */
	const char *bad_at; /* where the text stopped being what we read */
};

static json_t *value(struct reader *r, int depth);

/* Nothing from here on is read: the text is not what it should be. */
static json_t *
refuse(struct reader *r)
{
	if (r->rc == SL_OK) {
		r->rc = SL_EPARSE;
		r->bad_at = r->p;
	}
	return NULL;
}

static json_t *
nomem(struct reader *r)
{
	if (r->rc == SL_OK)
		r->rc = SL_ENOMEM;
	return NULL;
}

static void
skip_ws(struct reader *r)
{
	while (r->p < r->end && (*r->p == ' ' || *r->p == '\n' ||
	                         *r->p == '\t' || *r->p == '\r'))
		r->p++;
}

/* The string at r->p (at its opening quote): its text [*s, *s + *n) as
 * written and whether it has escapes. */
static bool
string_span(struct reader *r, const char **s, size_t *n, bool *escaped)
{
	const char *p = r->p + 1;

	*escaped = false;
	for (; p < r->end && *p != '"'; p++) {
		if ((unsigned char)*p < 0x20)
			return false;
		if (*p == '\\') {
			*escaped = true;
			if (++p == r->end)
				return false;
		}
	}
	if (p >= r->end)
		return false;
	*s = r->p + 1;
	*n = (size_t)(p - *s);
	r->p = p + 1;
	return true;
}

static json_t *
string(struct reader *r)
{
	char stack[STACK_STR], *buf;
	const char *s, *at = r->p;
	bool escaped;
	json_t *v;
	size_t n;
	long len;

	if (!string_span(r, &s, &n, &escaped))
		return refuse(r);
	if (!escaped) {
		v = json_stringn_nocheck(s, n);
		return v != NULL ? v : nomem(r);
	}
	buf = n <= sizeof(stack) ? stack : malloc(n);
	if (buf == NULL)
		return nomem(r);
	if ((len = canon_unescape(buf, s, n)) < 0) {
		if (buf != stack)
			free(buf);
		r->p = at;
		return refuse(r);
	}
	v = json_stringn_nocheck(buf, (size_t)len);
	if (buf != stack)
		free(buf);
	return v != NULL ? v : nomem(r);
}

static json_t *
object(struct reader *r, int depth)
{
	json_t *o = json_object(), *v;

	if (o == NULL)
		return nomem(r);
	r->p++; /* { */
	skip_ws(r);
	if (r->p < r->end && *r->p == '}') {
		r->p++;
		return o;
	}
	for (;;) {
		const char *k, *at;
		size_t klen;
		bool escaped;

		skip_ws(r);
		at = r->p;
		if (r->p >= r->end || *r->p != '"' ||
		    !string_span(r, &k, &klen, &escaped))
			break;
		if (escaped) { /* canonical keys have none */
			r->p = at;
			break;
		}
		skip_ws(r);
		if (r->p >= r->end || *r->p != ':')
			break;
		r->p++;
		if ((v = value(r, depth + 1)) == NULL)
			goto fail;
		/* Takes v, also when it fails. */
		if (json_object_setn_new_nocheck(o, k, klen, v) != 0) {
			nomem(r);
			goto fail;
		}
		skip_ws(r);
		if (r->p < r->end && *r->p == '}') {
			r->p++;
			return o;
		}
		if (r->p >= r->end || *r->p != ',')
			break;
		r->p++;
	}
	refuse(r);
fail:
	json_decref(o);
	return NULL;
}

static json_t *
array(struct reader *r, int depth)
{
	json_t *a = json_array(), *v;

	if (a == NULL)
		return nomem(r);
	r->p++; /* [ */
	skip_ws(r);
	if (r->p < r->end && *r->p == ']') {
		r->p++;
		return a;
	}
	for (;;) {
		if ((v = value(r, depth + 1)) == NULL)
			goto fail;
		if (json_array_append_new(a, v) != 0) {
			nomem(r);
			goto fail;
		}
		skip_ws(r);
		if (r->p < r->end && *r->p == ']') {
			r->p++;
			return a;
		}
		if (r->p >= r->end || *r->p != ',')
			break;
		r->p++;
	}
	refuse(r);
fail:
	json_decref(a);
	return NULL;
}

static json_t *
integer(struct reader *r)
{
	const char *p = r->p;
	bool neg = p < r->end && *p == '-';
	long long n = 0;
	size_t digits = 0;
	json_t *v;

	p += neg;
	if (p >= r->end || *p < '0' || *p > '9')
		return refuse(r);
	if (*p == '0') {
		p++;
		if (neg)
			return refuse(r);
	} else {
		for (; p < r->end && *p >= '0' && *p <= '9'; p++) {
			if (++digits > INT_DIGITS)
				return refuse(r);
			n = n * 10 + (*p - '0');
		}
	}
	r->p = p;
	if ((v = json_integer(neg ? -n : n)) == NULL)
		return nomem(r);
	return v;
}

static json_t *
word(struct reader *r, const char *w, size_t n, json_t *v)
{
	if ((size_t)(r->end - r->p) < n || memcmp(r->p, w, n) != 0)
		return refuse(r);
	r->p += n;
	return v;
}

static json_t *
value(struct reader *r, int depth)
{
	skip_ws(r);
	if (depth > TREE_DEPTH || r->p >= r->end)
		return refuse(r);
	switch (*r->p) {
	case '{':
		return object(r, depth);
	case '[':
		return array(r, depth);
	case '"':
		return string(r);
	case 't':
		return word(r, "true", 4, json_true());
	case 'f':
		return word(r, "false", 5, json_false());
	case 'n':
		return word(r, "null", 4, json_null());
	default:
		return integer(r);
	}
}

int
canon_tree_load(json_t **out, const struct canon_span *v, struct err *e)
{
	struct reader r = {.p = v->p, .end = v->p + v->len, .start = v->p};
	json_t *t = value(&r, 0);

	if (t != NULL) {
		skip_ws(&r);
		if (r.p == r.end) {
			*out = t;
			return SL_OK;
		}
		json_decref(t);
		refuse(&r);
	}
	if (r.rc == SL_ENOMEM)
		return err_set(e, SL_ENOMEM, "out of memory");
	return err_set(e, SL_EPARSE, "not canonical JSON at byte %zu",
	               (size_t)(r.bad_at - r.start));
}
