/*
 * content_head (chead_): what a request for an update file asks for, read
 * from the bytes of its head, for the content sender (content_send.h),
 * which looks at a connection's bytes before it decides who answers them;
 * and the two header rules every answer of /content/ follows (a byte range,
 * If-None-Match), shared with the libmicrohttpd handler (content.c).
 *
 * chead_parse() accepts only the plain form agents, downstream servers and
 * download tools send: "GET" or "HEAD", the path /content/ and 64 lowercase
 * hex digits with no query, HTTP/1.1, a Host header, no body. Anything
 * else (another path, HTTP/1.0, a body, Expect, Upgrade, If-Range, folded
 * or bare-LF lines, a repeated Range or If-None-Match, a head over the cap)
 * is CHEAD_OTHER: libmicrohttpd answers it, with its own checks and
 * errors, so this parser never has to refuse anything itself.
 */
#ifndef SLUICE_SERVER_CONTENT_HEAD_H
#define SLUICE_SERVER_CONTENT_HEAD_H

#include <stddef.h>
#include <stdint.h>

#include "hash.h"

/* The longest head chead_parse() reads (libmicrohttpd's pool for a
 * connection holds a head of about 7 KB: http.c). */
#define CHEAD_MAX 8192

enum chead_kind {
	CHEAD_MORE,    /* may be a content request: its head is incomplete */
	CHEAD_OTHER,   /* anything else: for libmicrohttpd */
	CHEAD_CONTENT, /* GET or HEAD /content/<sha256>, head complete */
};

struct chead {
	size_t len;                 /* bytes of the head, blank line too */
	int head;                   /* HEAD, not GET */
	int close;                  /* Connection: close */
	char sha[HASH_HEX_LEN + 1]; /* the file's name */
	char range[64];             /* Range's value, "" without */
	char if_none_match[256];    /* If-None-Match's value, "" without */
};

/* Read the first len bytes a connection sent. CHEAD_CONTENT fills out;
 * CHEAD_MORE says more bytes could still make a content request (len
 * below CHEAD_MAX). */
enum chead_kind chead_parse(struct chead *out, const char *buf, size_t len);

/* A Range header against a file of size bytes: 0 = the whole file,
 * 1 = bytes [*first, *last], -1 = not satisfiable. A malformed or
 * multi-range header is 0 (RFC 9110 lets a server ignore it). h may be
 * NULL. */
int chead_range(const char *h, uint64_t size, uint64_t *first, uint64_t *last);

/* Whether If-None-Match's value inm (NULL: absent) names etag (a quoted
 * tag; weak comparison, as RFC 9110 says for If-None-Match). */
int chead_etag_matches(const char *inm, const char *etag);

#endif
