/*
 * content: GET /content/<sha256>, the hot path agents and downstream
 * servers download files from. No database access: a file is served when
 * DATA/content/<aa>/<sha256> exists (fetch renames a file there only after
 * verifying it). The name must be exactly 64 lowercase hex digits, so no
 * path outside the store can be reached. Responses are fd-backed (MHD uses
 * sendfile), with a strong ETag, If-None-Match, and single byte ranges.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api.h"
#include "hash.h"

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

/* Result of a Range header against a file of size: 0 = serve whole file,
 * 1 = serve [*first, *last], -1 = unsatisfiable. Malformed or multi-range
 * headers are ignored (the whole file is served, as RFC 9110 allows). */
static int
parse_range(const char *h, uint64_t size, uint64_t *first, uint64_t *last)
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

static int
etag_matches(const char *inm, const char *etag)
{
	if (inm == NULL)
		return 0;
	if (strcmp(inm, "*") == 0)
		return 1;
	/* A list of tags; weak comparison as RFC 9110 says for
	 * If-None-Match. */
	return strstr(inm, etag) != NULL;
}

int
content_get(struct req *r, struct reply *out, struct err *e)
{
	const char *sha = r->params[0];
	const struct server_config *cfg = r->env->cfg;
	char path[4096], etag[HASH_HEX_LEN + 3], hdr[96];
	struct MHD_Response *resp = NULL;
	uint64_t first = 0, last = 0;
	struct stat sb;
	int fd = -1, w, range;

	if (sha == NULL || !hash_is_hex(sha))
		return err_set(e, SL_EINVAL,
		               "content name must be 64 lowercase hex digits");
	w = snprintf(path, sizeof(path), "%s/%.2s/%s", cfg->content_dir, sha,
	             sha);
	if (w < 0 || (size_t)w >= sizeof(path))
		return err_set(e, SL_ETOOBIG, "content path too long");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return err_set(e, SL_ENOTFOUND,
			               "content %s is not in the store", sha);
		return err_set(e, SL_EIO, "content %s: %s", sha,
		               strerror(errno));
	}
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return err_set(e, SL_ENOTFOUND,
		               "content %s is not in the store", sha);
	}
	snprintf(etag, sizeof(etag), "\"%s\"", sha);
	if (etag_matches(
	            MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
	                                        MHD_HTTP_HEADER_IF_NONE_MATCH),
	            etag)) {
		close(fd);
		resp = MHD_create_response_from_buffer(0, NULL,
		                                       MHD_RESPMEM_PERSISTENT);
		if (resp == NULL)
			return err_set(e, SL_ENOMEM, "out of memory");
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, etag);
		out->raw = resp;
		out->status = MHD_HTTP_NOT_MODIFIED;
		return SL_OK;
	}
	range = parse_range(MHD_lookup_connection_value(r->conn,
	                                                MHD_HEADER_KIND,
	                                                MHD_HTTP_HEADER_RANGE),
	                    (uint64_t)sb.st_size, &first, &last);
	if (range < 0) {
		close(fd);
		resp = MHD_create_response_from_buffer(0, NULL,
		                                       MHD_RESPMEM_PERSISTENT);
		if (resp == NULL)
			return err_set(e, SL_ENOMEM, "out of memory");
		snprintf(hdr, sizeof(hdr), "bytes */%" PRIu64,
		         (uint64_t)sb.st_size);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_RANGE,
		                        hdr);
		out->raw = resp;
		out->status = MHD_HTTP_RANGE_NOT_SATISFIABLE;
		return SL_OK;
	}
	if (range == 0) {
		first = 0;
		last = (uint64_t)sb.st_size - 1;
	}
	/* MHD owns fd from here (closed with the response). */
	resp = MHD_create_response_from_fd_at_offset64(
	        (uint64_t)sb.st_size == 0 ? 0 : last - first + 1, fd, first);
	if (resp == NULL) {
		close(fd);
		return err_set(e, SL_ENOMEM, "out of memory");
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, etag);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_ACCEPT_RANGES, "bytes");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
	                        "application/octet-stream");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
	                        "public, max-age=31536000, immutable");
	if (range == 1) {
		snprintf(hdr, sizeof(hdr),
		         "bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64, first, last,
		         (uint64_t)sb.st_size);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_RANGE,
		                        hdr);
		out->status = MHD_HTTP_PARTIAL_CONTENT;
	}
	if (strcmp(r->method, "GET") == 0 && sb.st_size > 0)
		out->bytes = last - first + 1;
	out->cork = 1;
	out->raw = resp;
	return SL_OK;
}
