/*
 * report_body: POST /v1/agent/report's body in one pass (report_body.h).
 * A recursive-descent reader over the bytes: the top-level object's
 * members are found here; "events" is read event by event into struct
 * store_event rows, every string decoded into one arena (a decoded JSON
 * string is never longer than its quoted form, so an arena of the body's
 * size holds them all, each with its NUL); any other member's value is
 * delimited here and parsed by jansson (the states and the catalog keep
 * their jansson form; unknown members are only checked).
 */
#include "report_body.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "report_states.h"

#define EV_ID_MAX   64 /* event_id, time */
#define DEPTH_MAX   64 /* nesting of skipped values */
#define UNKNOWN_MAX 16 /* unknown keys of one event checked for repeats */

/* A syntax error at the reader's position. */
static int
syntax(struct rd *r, const char *what)
{
	long line = 1, col = 1;

	for (const char *q = r->start; q < r->p && q < r->end; q++) {
		if (*q == '\n') {
			line++;
			col = 1;
		} else {
			col++;
		}
	}
	if (r->ev >= 0)
		return err_set(
		        r->e, SL_EPARSE,
		        "request body: events[%ld]: line %ld column %ld: "
		        "%s",
		        r->ev, line, col, what);
	return err_set(r->e, SL_EPARSE, "request body: line %ld column %ld: %s",
	               line, col, what);
}

static void
ws(struct rd *r)
{
	while (r->p < r->end && (*r->p == ' ' || *r->p == '\n' ||
	                         *r->p == '\t' || *r->p == '\r'))
		r->p++;
}

static int
expect(struct rd *r, char c, const char *what)
{
	ws(r);
	if (r->p >= r->end || *r->p != c)
		return syntax(r, what);
	r->p++;
	return SL_OK;
}

static int
hex4(const char *p, unsigned *out)
{
	unsigned v = 0;

	for (int i = 0; i < 4; i++) {
		char c = p[i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

/* The length of the valid UTF-8 sequence at p (first byte >= 0x80), or 0. */
static size_t
utf8_len(const unsigned char *p, const unsigned char *end)
{
	unsigned c = p[0], v;
	size_t n;

	if (c >= 0xc2 && c <= 0xdf)
		n = 2, v = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, v = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, v = c & 0x07;
	else
		return 0;
	if ((size_t)(end - p) < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		v = (v << 6) | (p[i] & 0x3f);
	}
	if ((n == 3 && (v < 0x800 || (v >= 0xd800 && v <= 0xdfff))) ||
	    (n == 4 && (v < 0x10000 || v > 0x10ffff)))
		return 0;
	return n;
}

static char *
put_utf8(char *o, unsigned v)
{
	if (v < 0x80) {
		*o++ = (char)v;
	} else if (v < 0x800) {
		*o++ = (char)(0xc0 | (v >> 6));
		*o++ = (char)(0x80 | (v & 0x3f));
	} else if (v < 0x10000) {
		*o++ = (char)(0xe0 | (v >> 12));
		*o++ = (char)(0x80 | ((v >> 6) & 0x3f));
		*o++ = (char)(0x80 | (v & 0x3f));
	} else {
		*o++ = (char)(0xf0 | (v >> 18));
		*o++ = (char)(0x80 | ((v >> 12) & 0x3f));
		*o++ = (char)(0x80 | ((v >> 6) & 0x3f));
		*o++ = (char)(0x80 | (v & 0x3f));
	}
	return o;
}

/* The string at r->p (its opening quote) decoded into the arena:
 * *out and *n (without the NUL the arena also gets). */
static int
string(struct rd *r, const char **out, size_t *n)
{
	char *o = r->arena, *first = r->arena;

	r->p++;
	for (;;) {
		const unsigned char *q = (const unsigned char *)r->p;
		if (r->p >= r->end)
			return syntax(r, "premature end of input");
		if (*q == '"')
			break;
		if (*q < 0x20)
			return syntax(r, "control character in a string");
		if (*q >= 0x80) {
			size_t k = utf8_len(q, (const unsigned char *)r->end);
			if (k == 0)
				return syntax(r, "invalid UTF-8 in a string");
			memcpy(o, r->p, k);
			o += k;
			r->p += k;
			continue;
		}
		if (*q != '\\') {
			*o++ = *r->p++;
			continue;
		}
		if (r->end - r->p < 2)
			return syntax(r, "premature end of input");
		switch (r->p[1]) {
		case '"':
		case '\\':
		case '/':
			*o++ = r->p[1];
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
		case 'u': {
			unsigned v, lo;
			if (r->end - r->p < 6 || hex4(r->p + 2, &v) != 0)
				return syntax(r, "invalid \\u escape");
			if (v == 0)
				return syntax(r, "\\u0000 is not allowed");
			if (v >= 0xdc00 && v <= 0xdfff)
				return syntax(r, "invalid Unicode escape");
			if (v >= 0xd800 && v <= 0xdbff) {
				if (r->end - r->p < 12 || r->p[6] != '\\' ||
				    r->p[7] != 'u' ||
				    hex4(r->p + 8, &lo) != 0 || lo < 0xdc00 ||
				    lo > 0xdfff)
					return syntax(r,
					              "invalid Unicode escape");
				v = 0x10000 + ((v - 0xd800) << 10) +
				    (lo - 0xdc00);
				r->p += 6;
			}
			o = put_utf8(o, v);
			r->p += 4;
			break;
		}
		default:
			return syntax(r, "invalid escape");
		}
		r->p += 2;
	}
	r->p++;
	*o++ = '\0';
	r->arena = o;
	*out = first;
	*n = (size_t)(o - first) - 1;
	return SL_OK;
}

/* A JSON number: *is_int when it has no fraction or exponent (then *v). */
static int
number(struct rd *r, bool *is_int, int64_t *v)
{
	const char *s = r->p;
	bool neg = false;
	uint64_t u = 0, lim;

	*is_int = true;
	if (r->p < r->end && *r->p == '-') {
		neg = true;
		r->p++;
	}
	if (r->p >= r->end || *r->p < '0' || *r->p > '9')
		return syntax(r, "invalid number");
	lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	if (*r->p == '0') {
		r->p++;
	} else {
		while (r->p < r->end && *r->p >= '0' && *r->p <= '9') {
			unsigned d = (unsigned)(*r->p - '0');
			if (u > (lim - d) / 10) {
				r->p = s;
				return syntax(r, "too big integer");
			}
			u = u * 10 + d;
			r->p++;
		}
	}
	if (r->p < r->end && *r->p == '.') {
		*is_int = false;
		r->p++;
		if (r->p >= r->end || *r->p < '0' || *r->p > '9')
			return syntax(r, "invalid number");
		while (r->p < r->end && *r->p >= '0' && *r->p <= '9')
			r->p++;
	}
	if (r->p < r->end && (*r->p == 'e' || *r->p == 'E')) {
		*is_int = false;
		r->p++;
		if (r->p < r->end && (*r->p == '+' || *r->p == '-'))
			r->p++;
		if (r->p >= r->end || *r->p < '0' || *r->p > '9')
			return syntax(r, "invalid number");
		while (r->p < r->end && *r->p >= '0' && *r->p <= '9')
			r->p++;
	}
	if (*is_int)
		*v = neg ? (int64_t)(0 - u) : (int64_t)u;
	return SL_OK;
}

static int
literal(struct rd *r, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(r->end - r->p) < n || memcmp(r->p, word, n) != 0)
		return syntax(r, "invalid token");
	r->p += n;
	return SL_OK;
}

/* The end of the value at r->p (after ws): strings and nesting are
 * followed, the text is checked later by jansson. */
static int
delimit(struct rd *r)
{
	int depth = 0;

	ws(r);
	if (r->p >= r->end)
		return syntax(r, "premature end of input");
	do {
		if (r->p >= r->end)
			return syntax(r, "premature end of input");
		char c = *r->p;
		if (c == '"') {
			for (r->p++; r->p < r->end && *r->p != '"'; r->p++)
				if (*r->p == '\\')
					r->p++;
			if (r->p >= r->end)
				return syntax(r, "premature end of input");
			r->p++;
		} else if (c == '{' || c == '[') {
			if (++depth > DEPTH_MAX)
				return syntax(r, "too deeply nested");
			r->p++;
		} else if (c == '}' || c == ']') {
			if (depth == 0)
				return syntax(r, "unexpected token");
			depth--;
			r->p++;
		} else if (depth == 0) {
			/* a scalar: up to the next delimiter */
			while (r->p < r->end && !strchr(",}] \t\r\n", *r->p))
				r->p++;
		} else {
			r->p++;
		}
	} while (depth > 0);
	return SL_OK;
}

/* The value at r->p as a jansson value (*out may be NULL: only checked). */
static int
jvalue(struct rd *r, json_t **out)
{
	const char *s;
	json_error_t je;
	json_t *v;
	int rc;

	ws(r);
	s = r->p;
	rc = delimit(r);
	if (rc != SL_OK)
		return rc;
	v = json_loadb(s, (size_t)(r->p - s),
	               JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &je);
	if (v == NULL) {
		r->p = s + (je.position > 0 ? je.position - 1 : 0);
		if (r->p > r->end)
			r->p = r->end;
		return syntax(r, je.text);
	}
	if (out != NULL)
		*out = v;
	else
		json_decref(v);
	return SL_OK;
}

/* Event members, in the order the report API checks them. */
enum {
	K_EVENT_ID,
	K_ID,
	K_TIME,
	K_OUTPUT,
	K_REV,
	K_CODE,
	K_KIND,
	K_RESULT,
	K_N
};
static const char *const keys[K_N] = {
        "event_id", "id",        "time", "output",
        "revision", "exit_code", "kind", "result",
};

/* The member index of key (K_N: unknown), by length first. */
static int
key_of(const char *key, size_t n)
{
	int k;

	switch (n) {
	case 2:
		k = K_ID;
		break;
	case 4:
		k = key[0] == 't' ? K_TIME : K_KIND;
		break;
	case 6:
		k = key[0] == 'o' ? K_OUTPUT : K_RESULT;
		break;
	case 8:
		k = key[0] == 'e' ? K_EVENT_ID : K_REV;
		break;
	case 9:
		k = K_CODE;
		break;
	default:
		return K_N;
	}
	return memcmp(key, keys[k], n + 1) == 0 ? k : K_N;
}

/* What one event's members held. */
struct ev_raw {
	const char *str[K_N];
	size_t len[K_N];
	int64_t num[K_N];
	unsigned char type[K_N]; /* 0 absent/null, 's' string, 'i' integer,
	                            'x' anything else */
};

static bool
in_list(const char *s, const char *const *l)
{
	for (; *l; l++)
		if (strcmp(s, *l) == 0)
			return true;
	return false;
}

/* The first problem of event i, in *e (SL_OK when it is valid). */
static int
check_event(struct err *e, const struct ev_raw *v, size_t i,
            const struct rbody_limits *lim)
{
	static const size_t str_max[] = {EV_ID_MAX, 0, EV_ID_MAX, 0};
	static const int64_t int_min[] = {1, INT32_MIN};

	for (int k = K_EVENT_ID; k <= K_OUTPUT; k++) {
		size_t max = k == K_ID       ? lim->field_max
		             : k == K_OUTPUT ? lim->output_max
		                             : str_max[k];
		bool req = k == K_EVENT_ID || k == K_ID;
		if (v->type[k] != 0 && v->type[k] != 's')
			return err_set(e, SL_EINVAL,
			               "events[%zu]: %s: expected a string", i,
			               keys[k]);
		if (v->type[k] == 's' && v->len[k] > max)
			return err_set(e, SL_EINVAL,
			               "events[%zu]: %s: longer than %zu bytes",
			               i, keys[k], max);
		if (req && (v->type[k] == 0 || v->len[k] == 0))
			return err_set(e, SL_EINVAL,
			               "events[%zu]: %s: required", i, keys[k]);
		if (k == K_ID && !auth_is_uuid(v->str[k]))
			return err_set(e, SL_EINVAL,
			               "events[%zu]: id: expected a UUID", i);
	}
	for (int k = K_REV; k <= K_CODE; k++)
		if (v->type[k] != 0 &&
		    (v->type[k] != 'i' || v->num[k] < int_min[k - K_REV]))
			return err_set(e, SL_EINVAL,
			               "events[%zu].%s: expected an integer >= "
			               "%" PRId64,
			               i, keys[k], int_min[k - K_REV]);
	for (int k = K_KIND; k <= K_RESULT; k++) {
		const char *const *ok = k == K_KIND ? lim->kinds : lim->results;
		if (v->type[k] == 0 || (v->type[k] == 's' && v->len[k] == 0))
			return err_set(e, SL_EINVAL,
			               "events[%zu]: %s: required", i, keys[k]);
		if (v->type[k] != 's')
			return err_set(e, SL_EINVAL,
			               "events[%zu]: %s: expected a string", i,
			               keys[k]);
		if (!in_list(v->str[k], ok))
			return err_set(
			        e, SL_EINVAL,
			        "events[%zu]: %s: '%.64s' is not a known "
			        "value",
			        i, keys[k], v->str[k]);
	}
	return SL_OK;
}

/* One member value of an event into v->...[k] (k = K_N: unknown, only
 * checked). */
static int
member(struct rd *r, struct ev_raw *v, int k)
{
	bool is_int;
	int64_t n = 0;
	int rc;

	ws(r);
	if (r->p >= r->end)
		return syntax(r, "premature end of input");
	if (k == K_N)
		return jvalue(r, NULL);
	switch (*r->p) {
	case '"':
		v->type[k] = 's';
		return string(r, &v->str[k], &v->len[k]);
	case 'n':
		v->type[k] = 0;
		return literal(r, "null");
	case '-':
	case '0':
	case '1':
	case '2':
	case '3':
	case '4':
	case '5':
	case '6':
	case '7':
	case '8':
	case '9':
		rc = number(r, &is_int, &n);
		v->type[k] = is_int ? 'i' : 'x';
		v->num[k] = n;
		return rc;
	default:
		v->type[k] = 'x';
		return jvalue(r, NULL);
	}
}

/* The object at r->p (its '{') as event i. */
static int
event(struct rd *r, struct rbody *b, size_t i, const struct rbody_limits *lim)
{
	struct ev_raw v = {0};
	const char *unknown[UNKNOWN_MAX];
	size_t n_unknown = 0, klen;
	unsigned seen = 0;
	const char *key;
	int rc, k;

	r->p++;
	ws(r);
	if (r->p < r->end && *r->p == '}') {
		r->p++;
		goto check;
	}
	for (;;) {
		ws(r);
		if (r->p >= r->end || *r->p != '"')
			return syntax(r, "string or '}' expected");
		rc = string(r, &key, &klen);
		if (rc != SL_OK)
			return rc;
		k = key_of(key, klen);
		if (k < K_N && (seen & (1u << k)))
			return syntax(r, "duplicate object key");
		if (k < K_N)
			seen |= 1u << k;
		for (size_t u = 0; k == K_N && u < n_unknown; u++)
			if (strcmp(unknown[u], key) == 0)
				return syntax(r, "duplicate object key");
		if (k == K_N && n_unknown < UNKNOWN_MAX)
			unknown[n_unknown++] = key;
		rc = expect(r, ':', "':' expected");
		if (rc == SL_OK)
			rc = member(r, &v, k);
		if (rc != SL_OK)
			return rc;
		ws(r);
		if (r->p < r->end && *r->p == ',') {
			r->p++;
			continue;
		}
		rc = expect(r, '}', "'}' expected");
		if (rc != SL_OK)
			return rc;
		break;
	}
check:
	if (b->events_err.code == SL_OK &&
	    check_event(&b->events_err, &v, i, lim) != SL_OK)
		return SL_OK;
	if (i >= lim->max_events)
		return SL_OK;
	/* The integers' pointers are set once the arrays stop growing. */
	b->ints[2 * i] = v.num[K_REV];
	b->ints[2 * i + 1] = v.num[K_CODE];
	b->has[i] = (unsigned char)((v.type[K_REV] == 'i' ? 1 : 0) |
	                            (v.type[K_CODE] == 'i' ? 2 : 0));
	b->events[i] = (struct store_event){
	        .event_id = v.str[K_EVENT_ID],
	        .update_id = v.str[K_ID],
	        .time = v.type[K_TIME] == 's' ? v.str[K_TIME] : NULL,
	        .kind = v.str[K_KIND],
	        .result = v.str[K_RESULT],
	        .output = v.type[K_OUTPUT] == 's' ? v.str[K_OUTPUT] : NULL,
	};
	return SL_OK;
}

/* Make room for event i (the arrays grow by doubling up to max_events). */
static int
room(struct rbody *b, size_t i, struct err *e)
{
	size_t cap = b->cap ? b->cap * 2 : 64;
	struct store_event *ev;
	unsigned char *has;
	int64_t *ints;

	if (i < b->cap)
		return SL_OK;
	ev = realloc(b->events, cap * sizeof(*ev));
	if (ev == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	b->events = ev;
	ints = realloc(b->ints, 2 * cap * sizeof(*ints));
	if (ints == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	b->ints = ints;
	has = realloc(b->has, cap);
	if (has == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	b->has = has;
	b->cap = cap;
	return SL_OK;
}

/* The value of "events". */
static int
events(struct rd *r, struct rbody *b, const struct rbody_limits *lim)
{
	size_t i = 0;
	int rc;

	ws(r);
	if (r->p < r->end && *r->p == 'n')
		return literal(r, "null");
	if (r->p >= r->end || *r->p != '[') {
		b->events_shape_bad = true;
		return jvalue(r, NULL);
	}
	r->p++;
	ws(r);
	if (r->p < r->end && *r->p == ']') {
		r->p++;
		return SL_OK;
	}
	for (;; i++) {
		ws(r);
		r->ev = (long)i;
		if (i < lim->max_events && (rc = room(b, i, r->e)) != SL_OK)
			return rc;
		if (r->p < r->end && *r->p == '{') {
			rc = event(r, b, i, lim);
		} else {
			rc = jvalue(r, NULL);
			if (rc == SL_OK && b->events_err.code == SL_OK)
				err_set(&b->events_err, SL_EINVAL,
				        "events[%zu]: expected an object", i);
		}
		if (rc != SL_OK)
			return rc;
		ws(r);
		if (r->p < r->end && *r->p == ',') {
			r->p++;
			continue;
		}
		r->ev = -1;
		rc = expect(r, ']', "']' expected");
		if (rc != SL_OK)
			return rc;
		break;
	}
	i++;
	if (i > lim->max_events) {
		b->events_shape_bad = true;
		return SL_OK;
	}
	b->n_events = i;
	for (i = 0; i < b->n_events; i++) {
		b->events[i].revision = b->has[i] & 1 ? &b->ints[2 * i] : NULL;
		b->events[i].exit_code =
		        b->has[i] & 2 ? &b->ints[2 * i + 1] : NULL;
	}
	return SL_OK;
}

/* The top-level object. */
static int
body_object(struct rd *r, struct rbody *b, const struct rbody_limits *lim)
{
	const char **seen = NULL;
	size_t n_seen = 0, klen;
	const char *key;
	int rc;

	ws(r);
	if (r->p >= r->end || *r->p != '{')
		return err_set(r->e, SL_EPARSE,
		               "request body: expected a JSON object");
	r->p++;
	ws(r);
	if (r->p < r->end && *r->p == '}') {
		r->p++;
		return SL_OK;
	}
	for (;;) {
		const char **grow;
		ws(r);
		if (r->p >= r->end || *r->p != '"') {
			rc = syntax(r, "string or '}' expected");
			break;
		}
		rc = string(r, &key, &klen);
		if (rc != SL_OK)
			break;
		for (size_t k = 0; k < n_seen && rc == SL_OK; k++)
			if (strcmp(seen[k], key) == 0)
				rc = syntax(r, "duplicate object key");
		if (rc != SL_OK)
			break;
		grow = realloc(seen, (n_seen + 1) * sizeof(*seen));
		if (grow == NULL) {
			rc = err_set(r->e, SL_ENOMEM, "out of memory");
			break;
		}
		seen = grow;
		seen[n_seen++] = key;
		rc = expect(r, ':', "':' expected");
		if (rc != SL_OK)
			break;
		if (strlen(key) != klen)
			rc = jvalue(r, NULL);
		else if (strcmp(key, "events") == 0)
			rc = events(r, b, lim);
		else if (strcmp(key, "states") == 0)
			rc = rstates_read(r, b, lim);
		else if (strcmp(key, "catalog") == 0)
			rc = jvalue(r, &b->catalog);
		else
			rc = jvalue(r, NULL);
		if (rc != SL_OK)
			break;
		ws(r);
		if (r->p < r->end && *r->p == ',') {
			r->p++;
			continue;
		}
		rc = expect(r, '}', "'}' expected");
		break;
	}
	free(seen);
	return rc;
}

int
rbody_parse(struct rbody **out, const char *body, size_t len,
            const struct rbody_limits *lim, struct err *e)
{
	struct rbody *b;
	struct rd r = {
	        .p = body, .end = body + len, .start = body, .ev = -1, .e = e};
	int rc;

	if (len == 0)
		return err_set(e, SL_EPARSE,
		               "request body: expected a JSON object, got "
		               "nothing");
	b = calloc(1, sizeof(*b));
	if (b == NULL || (b->arena = malloc(len + 1)) == NULL) {
		rbody_free(b);
		return err_set(e, SL_ENOMEM, "out of memory");
	}
	err_clear(&b->events_err);
	r.arena = b->arena;
	rc = body_object(&r, b, lim);
	if (rc == SL_OK) {
		ws(&r);
		if (r.p != r.end)
			rc = syntax(&r, "end of file expected");
	}
	if (rc != SL_OK) {
		rbody_free(b);
		return rc;
	}
	if (json_is_null(b->states)) {
		json_decref(b->states);
		b->states = NULL;
	}
	*out = b;
	return SL_OK;
}

void
rbody_free(struct rbody *b)
{
	if (b == NULL)
		return;
	json_decref(b->states);
	json_decref(b->catalog);
	free(b->state_rows);
	free(b->state_revs);
	free(b->events);
	free(b->ints);
	free(b->has);
	free(b->arena);
	free(b);
}

/* The reader's steps for report_states.c (report_states.h). */
void
rd_ws(struct rd *r)
{
	ws(r);
}

int
rd_string(struct rd *r, const char **out, size_t *n)
{
	return string(r, out, n);
}

int
rd_number(struct rd *r, bool *is_int, int64_t *v)
{
	return number(r, is_int, v);
}

int
rd_literal(struct rd *r, const char *word)
{
	return literal(r, word);
}

int
rd_jvalue(struct rd *r, json_t **out)
{
	return jvalue(r, out);
}
