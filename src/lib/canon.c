/*
 * canon: a strict one-pass recogniser of canonical JSON and an in-place
 * walk over what it accepted (canon.h). The rules mirror sign.c's
 * canonical serialisation of a jansson value: keys sorted by their bytes,
 * no whitespace, integers only, strings escaped minimally (\" \\ \b \f \n
 * \r \t, other control characters as \u00xx in lowercase, everything else
 * as itself), and jansson's own limits (valid UTF-8, no \u0000, no
 * duplicate keys). Where being exact would take more code than it saves
 * (keys with escapes, integers of 19 digits or more, nesting deeper than
 * CHECK_DEPTH) the text is refused: the caller then parses it the general
 * way.
 */
#include "canon.h"

#include <stdlib.h>
#include <string.h>

/* Deeper than this is refused (sign.c allows 64 below the signed doc). */
#define CHECK_DEPTH 32
/* Longer integers are refused (19 digits may overflow int64). */
#define INT_DIGITS 18

struct scan {
	const unsigned char *p, *end;
	/* canon_check_members(): where the top object's members go */
	struct canon_span *keys, *vals;
	size_t max, n;
};

static bool value(struct scan *s, int depth);

/* One UTF-8 sequence starting at a byte >= 0x80, as jansson checks it:
 * no overlong forms, no surrogates, nothing above U+10FFFF. */
static bool
utf8_seq(struct scan *s)
{
	unsigned c = *s->p, cp;
	size_t n;

	if (c >= 0xc2 && c <= 0xdf) {
		n = 1;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 2;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 3;
		cp = c & 0x07;
	} else {
		return false;
	}
	if ((size_t)(s->end - s->p) <= n)
		return false;
	for (size_t i = 1; i <= n; i++) {
		if ((s->p[i] & 0xc0) != 0x80)
			return false;
		cp = (cp << 6) | (s->p[i] & 0x3f);
	}
	if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return false;
	s->p += n + 1;
	return true;
}

static bool
is_hex_lower(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/* A \u escape as canonical JSON writes one: \u00xx for a control
 * character that has no short form (and is not NUL). */
static bool
escape_u(struct scan *s)
{
	const unsigned char *p = s->p;
	unsigned v;

	if (s->end - p < 6 || p[2] != '0' || p[3] != '0' ||
	    (p[4] != '0' && p[4] != '1') || !is_hex_lower(p[5]))
		return false;
	v = (unsigned)(p[4] - '0') * 16 +
	    (unsigned)(p[5] <= '9' ? p[5] - '0' : p[5] - 'a' + 10);
	if (v == 0 || v == '\b' || v == '\t' || v == '\n' || v == '\f' ||
	    v == '\r')
		return false;
	s->p += 6;
	return true;
}

/* A string; a key (escapes refused) also gets its span. */
static bool
string(struct scan *s, struct canon_span *key)
{
	const unsigned char *start;

	if (s->p >= s->end || *s->p != '"')
		return false;
	start = ++s->p;
	while (s->p < s->end) {
		unsigned char c = *s->p;

		if (c == '"') {
			if (key != NULL) {
				key->p = (const char *)start;
				key->len = (size_t)(s->p - start);
			}
			s->p++;
			return true;
		}
		if (c < 0x20)
			return false;
		if (c == '\\') {
			if (key != NULL || s->end - s->p < 2)
				return false;
			switch (s->p[1]) {
			case '"':
			case '\\':
			case 'b':
			case 'f':
			case 'n':
			case 'r':
			case 't':
				s->p += 2;
				continue;
			case 'u':
				if (!escape_u(s))
					return false;
				continue;
			default:
				return false;
			}
		}
		if (c >= 0x80) {
			if (!utf8_seq(s))
				return false;
			continue;
		}
		s->p++;
	}
	return false;
}

static bool
is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static bool
integer(struct scan *s)
{
	bool neg = false;
	size_t n = 0;

	if (s->p < s->end && *s->p == '-') {
		neg = true;
		s->p++;
	}
	if (s->p >= s->end || !is_digit(*s->p))
		return false;
	if (*s->p == '0') {
		s->p++;
		return !neg; /* "-0" is written "0" */
	}
	while (s->p < s->end && is_digit(*s->p)) {
		if (++n > INT_DIGITS)
			return false;
		s->p++;
	}
	return true;
}

static bool
literal(struct scan *s, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0)
		return false;
	s->p += n;
	return true;
}

/* Whether key a sorts strictly before key b (strcmp's byte order). */
static bool
key_before(const struct canon_span *a, const struct canon_span *b)
{
	size_t n = a->len < b->len ? a->len : b->len;
	int c = memcmp(a->p, b->p, n);

	return c < 0 || (c == 0 && a->len < b->len);
}

static bool
object(struct scan *s, int depth)
{
	struct canon_span prev = {NULL, 0}, key;
	bool first = true;

	s->p++; /* '{' */
	if (s->p < s->end && *s->p == '}') {
		s->p++;
		return true;
	}
	for (;;) {
		const unsigned char *at;

		if (!string(s, &key) || (!first && !key_before(&prev, &key)))
			return false;
		if (s->p >= s->end || *s->p++ != ':')
			return false;
		at = s->p;
		if (!value(s, depth + 1))
			return false;
		if (depth == 0 && s->keys != NULL && s->n++ < s->max) {
			s->keys[s->n - 1] = key;
			s->vals[s->n - 1] = (struct canon_span){
			        (const char *)at, (size_t)(s->p - at)};
		}
		prev = key;
		first = false;
		if (s->p >= s->end)
			return false;
		if (*s->p == '}') {
			s->p++;
			return true;
		}
		if (*s->p++ != ',')
			return false;
	}
}

static bool
array(struct scan *s, int depth)
{
	s->p++; /* '[' */
	if (s->p < s->end && *s->p == ']') {
		s->p++;
		return true;
	}
	for (;;) {
		if (!value(s, depth + 1) || s->p >= s->end)
			return false;
		if (*s->p == ']') {
			s->p++;
			return true;
		}
		if (*s->p++ != ',')
			return false;
	}
}

static bool
value(struct scan *s, int depth)
{
	if (depth > CHECK_DEPTH || s->p >= s->end)
		return false;
	switch (*s->p) {
	case '{':
		return object(s, depth);
	case '[':
		return array(s, depth);
	case '"':
		return string(s, NULL);
	case 't':
		return literal(s, "true");
	case 'f':
		return literal(s, "false");
	case 'n':
		return literal(s, "null");
	default:
		return integer(s);
	}
}

static bool
is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

bool
canon_check(struct canon_span *out, const char *text, size_t len)
{
	size_t n;

	return canon_check_members(out, NULL, NULL, 0, &n, text, len);
}

bool
canon_check_members(struct canon_span *out, struct canon_span *keys,
                    struct canon_span *vals, size_t max, size_t *n,
                    const char *text, size_t len)
{
	struct scan s = {.keys = keys, .vals = vals, .max = max};

	while (len > 0 && is_ws(text[0])) {
		text++;
		len--;
	}
	while (len > 0 && is_ws(text[len - 1]))
		len--;
	s.p = (const unsigned char *)text;
	s.end = s.p + len;
	*n = 0;
	if (len == 0 || !value(&s, 0) || s.p != s.end)
		return false;
	*n = s.n;
	if (out != NULL) {
		out->p = text;
		out->len = len;
	}
	return true;
}

static bool
is_structural(char c)
{
	return c == '{' || c == '}' || c == '[' || c == ']' || c == ':' ||
	       c == ',';
}

bool
canon_compact(char **out, size_t *out_len, const char *text, size_t len)
{
	bool in_str = false, removed = false;
	size_t n = 0;
	char *o;

	if (len == 0 || (o = malloc(len)) == NULL)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = text[i];

		if (in_str) {
			o[n++] = c;
			if (c == '\\' && i + 1 < len)
				o[n++] = text[++i];
			else if (c == '"')
				in_str = false;
			continue;
		}
		if (is_ws(c)) {
			size_t j = i;

			while (j < len && is_ws(text[j]))
				j++;
			/* Between two tokens only: next to a structural
			 * character or an end of the text. */
			if (i > 0 && j < len && !is_structural(text[i - 1]) &&
			    !is_structural(text[j]))
				goto refuse;
			removed = true;
			i = j - 1;
			continue;
		}
		if (c == '"')
			in_str = true;
		o[n++] = c;
	}
	if (!removed)
		goto refuse;
	*out = o;
	*out_len = n;
	return true;
refuse:
	free(o);
	return false;
}

static const char *
skip_ws(const char *p, const char *end)
{
	while (p < end && is_ws(*p))
		p++;
	return p;
}

/* The end of the (already checked) value at p; whitespace between tokens
 * is stepped over. */
static const char *
skip_value(const char *p, const char *end)
{
	int depth = 0;

	do {
		if (*p == '"') {
			for (p++; *p != '"'; p++)
				if (*p == '\\')
					p++;
			p++;
		} else if (*p == '{' || *p == '[') {
			depth++;
			p++;
		} else if (*p == '}' || *p == ']') {
			depth--;
			p++;
		} else if (is_ws(*p)) {
			p++;
		} else {
			while (p < end && *p != ',' && *p != '}' && *p != ']' &&
			       *p != ':' && !is_ws(*p))
				p++;
		}
		if (depth > 0 && p < end && (*p == ',' || *p == ':'))
			p++;
	} while (depth > 0 && p < end);
	return p;
}

bool
canon_next(struct canon_span *key, struct canon_span *val,
           const struct canon_span *c, size_t *pos)
{
	const char *end = c->p + c->len;
	const char *p = skip_ws(c->p + (*pos == 0 ? 1 : *pos), end);

	if (p >= end || *p == '}' || *p == ']')
		return false;
	if (*p == ',')
		p = skip_ws(p + 1, end);
	if (c->p[0] == '{') {
		const char *k = ++p;

		while (*p != '"')
			p++;
		if (key != NULL) {
			key->p = k;
			key->len = (size_t)(p - k);
		}
		p = skip_ws(p + 1, end); /* at ':' */
		p = skip_ws(p + 1, end);
	}
	val->p = p;
	p = skip_value(p, end);
	val->len = (size_t)(p - val->p);
	*pos = (size_t)(p - c->p);
	return true;
}

bool
canon_key_is(const struct canon_span *key, const char *name)
{
	size_t n = strlen(name);

	return key->len == n && memcmp(key->p, name, n) == 0;
}

long
canon_unescape(char *out, const char *s, size_t n)
{
	const char *end = s + n;
	char *o = out;

	while (s < end) {
		if (*s != '\\') {
			*o++ = *s++;
			continue;
		}
		if (end - s < 2)
			return -1;
		switch (s[1]) {
		case '"':
		case '\\':
		case '/':
			*o++ = s[1];
			break;
		case 'b':
			*o++ = '\b';
			break;
		case 'f':
			*o++ = '\f';
			break;
		case 'n':
			*o++ = '\n';
			break;
		case 'r':
			*o++ = '\r';
			break;
		case 't':
			*o++ = '\t';
			break;
		case 'u': { /* \u00xx: a control character, never NUL */
			struct scan sc = {(const unsigned char *)s,
			                  (const unsigned char *)end,
			                  NULL,
			                  NULL,
			                  0,
			                  0};

			if (!escape_u(&sc))
				return -1;
			*o++ = (char)((s[4] - '0') * 16 +
			              (s[5] <= '9' ? s[5] - '0'
			                           : s[5] - 'a' + 10));
			s += 4;
			break;
		}
		default:
			return -1;
		}
		s += 2;
	}
	return (long)(o - out);
}

int
canon_string(char **out, const struct canon_span *v)
{
	char *r;
	long n;

	*out = NULL;
	if (v->len < 2 || v->p[0] != '"' || v->p[v->len - 1] != '"')
		return 0;
	if ((r = malloc(v->len - 1)) == NULL)
		return -1;
	if ((n = canon_unescape(r, v->p + 1, v->len - 2)) < 0) {
		free(r);
		return 0;
	}
	r[n] = '\0';
	*out = r;
	return 1;
}

bool
canon_int(long long *out, const struct canon_span *v)
{
	size_t i = v->len > 0 && v->p[0] == '-' ? 1 : 0;
	long long n = 0;

	if (i == v->len || v->len - i > INT_DIGITS)
		return false;
	for (; i < v->len; i++) {
		if (v->p[i] < '0' || v->p[i] > '9')
			return false;
		n = n * 10 + (v->p[i] - '0');
	}
	*out = v->p[0] == '-' ? -n : n;
	return true;
}
