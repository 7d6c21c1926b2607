/*
 * content_head: reading a content request's head (content_head.h).
 */
#include "content_head.h"

#include <string.h>
#include <strings.h>

/* Parse a decimal uint64 of s[0..len). */
static int
parse_u64(uint64_t *out, const char *s, size_t len)
{
	uint64_t v = 0;

	if (len == 0 || len > 19)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return 0;
}

int
chead_range(const char *h, uint64_t size, uint64_t *first, uint64_t *last)
{
	const char *dash;
	uint64_t a, b;

	if (h == NULL || strncmp(h, "bytes=", 6) != 0)
		return 0;
	h += 6;
	if (strchr(h, ',') != NULL)
		return 0;
	dash = strchr(h, '-');
	if (dash == NULL)
		return 0;
	if (dash == h) { /* suffix: last N bytes */
		if (parse_u64(&b, dash + 1, strlen(dash + 1)) != 0)
			return 0;
		if (b == 0 || size == 0)
			return -1;
		*first = b >= size ? 0 : size - b;
		*last = size - 1;
		return 1;
	}
	if (parse_u64(&a, h, (size_t)(dash - h)) != 0)
		return 0;
	if (dash[1] == '\0') {
		b = UINT64_MAX;
	} else if (parse_u64(&b, dash + 1, strlen(dash + 1)) != 0 || b < a) {
		return 0;
	}
	if (a >= size)
		return -1;
	*first = a;
	*last = b >= size ? size - 1 : b;
	return 1;
}

int
chead_etag_matches(const char *inm, const char *etag)
{
	if (inm == NULL)
		return 0;
	if (strcmp(inm, "*") == 0)
		return 1;
	/* A list of tags. */
	return strstr(inm, etag) != NULL;
}

/* Whether buf[0..len) may still begin with pfx (len may be shorter). */
static int
may_begin(const char *buf, size_t len, const char *pfx)
{
	size_t n = strlen(pfx);

	return memcmp(buf, pfx, len < n ? len : n) == 0;
}

/* The request line "GET|HEAD /content/<64 hex> HTTP/1.1" of line[0..n)
 * (no CRLF). */
static int
request_line(struct chead *out, const char *line, size_t n)
{
	static const char tail[] = " HTTP/1.1";
	size_t m;

	if (n > 4 && memcmp(line, "GET ", 4) == 0) {
		m = 4;
	} else if (n > 5 && memcmp(line, "HEAD ", 5) == 0) {
		m = 5;
		out->head = 1;
	} else {
		return 0;
	}
	if (n != m + 9 + HASH_HEX_LEN + sizeof(tail) - 1 ||
	    memcmp(line + m, "/content/", 9) != 0 ||
	    memcmp(line + m + 9 + HASH_HEX_LEN, tail, sizeof(tail) - 1) != 0)
		return 0;
	memcpy(out->sha, line + m + 9, HASH_HEX_LEN);
	out->sha[HASH_HEX_LEN] = '\0';
	return hash_is_hex(out->sha);
}

/* Copy value v[0..n) to dst (cap bytes, NUL-terminated) unless dst holds
 * one already (a repeated header) or it does not fit. */
static int
keep_value(char *dst, size_t cap, const char *v, size_t n)
{
	if (dst[0] != '\0' || n == 0 || n >= cap)
		return 0;
	memcpy(dst, v, n);
	dst[n] = '\0';
	return 1;
}

static int
name_is(const char *name, size_t n, const char *want)
{
	return strlen(want) == n && strncasecmp(name, want, n) == 0;
}

/* One header line[0..n) (no CRLF): 1 = fine, 0 = not for this parser. */
static int
header_line(struct chead *out, const char *line, size_t n, int *host)
{
	const char *colon = memchr(line, ':', n), *v, *end = line + n;
	size_t nl;

	if (colon == NULL || colon == line)
		return 0;
	nl = (size_t)(colon - line);
	for (size_t i = 0; i < nl; i++)
		if (line[i] == ' ' || line[i] == '\t')
			return 0;
	v = colon + 1;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	if (name_is(line, nl, "host")) {
		*host += 1;
		return 1;
	}
	if (name_is(line, nl, "range"))
		return keep_value(out->range, sizeof(out->range), v,
		                  (size_t)(end - v));
	if (name_is(line, nl, "if-none-match"))
		return keep_value(out->if_none_match,
		                  sizeof(out->if_none_match), v,
		                  (size_t)(end - v));
	if (name_is(line, nl, "content-length"))
		return end - v == 1 && *v == '0';
	if (name_is(line, nl, "connection")) {
		if ((size_t)(end - v) == 5 && strncasecmp(v, "close", 5) == 0) {
			out->close = 1;
			return 1;
		}
		return (size_t)(end - v) == 10 &&
		       strncasecmp(v, "keep-alive", 10) == 0;
	}
	return !name_is(line, nl, "transfer-encoding") &&
	       !name_is(line, nl, "expect") && !name_is(line, nl, "upgrade") &&
	       !name_is(line, nl, "if-range");
}

enum chead_kind
chead_parse(struct chead *out, const char *buf, size_t len)
{
	const char *p = buf, *end, *lf;
	int host = 0;

	memset(out, 0, sizeof(*out));
	if (len > CHEAD_MAX)
		len = CHEAD_MAX;
	if (!may_begin(buf, len, "GET /content/") &&
	    !may_begin(buf, len, "HEAD /content/"))
		return CHEAD_OTHER;
	if (memchr(buf, '\0', len) != NULL)
		return CHEAD_OTHER;
	end = buf + len;
	for (int first = 1;; first = 0) {
		lf = memchr(p, '\n', (size_t)(end - p));
		if (lf == NULL)
			return len < CHEAD_MAX ? CHEAD_MORE : CHEAD_OTHER;
		if (lf == p || lf[-1] != '\r')
			return CHEAD_OTHER; /* a bare LF */
		if (first) {
			if (!request_line(out, p, (size_t)(lf - 1 - p)))
				return CHEAD_OTHER;
		} else if (lf - 1 == p) {
			break; /* the blank line */
		} else if (*p == ' ' || *p == '\t' ||
		           !header_line(out, p, (size_t)(lf - 1 - p), &host)) {
			return CHEAD_OTHER;
		}
		p = lf + 1;
	}
	if (host != 1)
		return CHEAD_OTHER;
	out->len = (size_t)(lf + 1 - buf);
	return CHEAD_CONTENT;
}
