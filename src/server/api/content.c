/*
 * content: GET /content/<sha256>, as libmicrohttpd answers it. On the
 * plain listener sluiced's own sender (http/content_send.h) answers the
 * plain form of this request itself, with larger sendfile() calls, and
 * leaves libmicrohttpd the rest: the TLS listener's requests, requests on
 * a connection that began with another one, HTTP/1.0, a query, a missing
 * file (404) and a range that cannot be satisfied (416). No database
 * access: a file is served when DATA/content/<aa>/<sha256> exists (fetch
 * renames a file there only after verifying it). The name must be exactly
 * 64 lowercase hex digits, so no path outside the store can be reached.
 * Responses are fd-backed (MHD uses sendfile over plain TCP), with a
 * strong ETag, If-None-Match, and single byte ranges (content_head.h).
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
#include "content_head.h"
#include "hash.h"

/* A file's answer: fd-backed (MHD owns fd from here, also on failure)
 * with its headers. */
static struct MHD_Response *
file_response(int fd, uint64_t first, uint64_t len, const char *etag)
{
	struct MHD_Response *resp;

	resp = MHD_create_response_from_fd_at_offset64(len, fd, first);
	if (resp == NULL) {
		close(fd);
		return NULL;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, etag);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_ACCEPT_RANGES, "bytes");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
	                        "application/octet-stream");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
	                        "public, max-age=31536000, immutable");
	return resp;
}

/* Hand a file's answer to the caller: its body bytes count for the access
 * log and metrics on a GET (a HEAD sends none), its header waits for the
 * body (cork). */
static void
file_reply(struct reply *out, const struct req *r, struct MHD_Response *resp,
           uint64_t len)
{
	out->raw = resp;
	if (strcmp(r->method, "GET") == 0)
		out->bytes = len;
	out->cork = 1;
}

/* An empty answer of status with one header. */
static int
empty_reply(struct reply *out, int status, const char *name, const char *value,
            struct err *e)
{
	out->raw = MHD_create_response_from_buffer(0, NULL,
	                                           MHD_RESPMEM_PERSISTENT);
	if (out->raw == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	MHD_add_response_header(out->raw, name, value);
	out->status = status;
	return SL_OK;
}

int
content_get(struct req *r, struct reply *out, struct err *e)
{
	const char *sha = r->params[0];
	const struct server_config *cfg = r->env->cfg;
	char path[4096], etag[HASH_HEX_LEN + 3], hdr[96];
	struct MHD_Response *resp;
	uint64_t first = 0, last = 0;
	struct stat sb;
	int fd, range, n;

	if (sha == NULL || !hash_is_hex(sha))
		return err_set(e, SL_EINVAL,
		               "content name must be 64 lowercase hex digits");
	n = snprintf(path, sizeof(path), "%s/%.2s/%s", cfg->content_dir, sha,
	             sha);
	if (n < 0 || (size_t)n >= sizeof(path))
		return err_set(e, SL_ETOOBIG, "content path too long");
	snprintf(etag, sizeof(etag), "\"%s\"", sha);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
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
	if (chead_etag_matches(
	            MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
	                                        MHD_HTTP_HEADER_IF_NONE_MATCH),
	            etag)) {
		close(fd);
		return empty_reply(out, MHD_HTTP_NOT_MODIFIED,
		                   MHD_HTTP_HEADER_ETAG, etag, e);
	}
	range = chead_range(MHD_lookup_connection_value(r->conn,
	                                                MHD_HEADER_KIND,
	                                                MHD_HTTP_HEADER_RANGE),
	                    (uint64_t)sb.st_size, &first, &last);
	if (range < 0) {
		close(fd);
		snprintf(hdr, sizeof(hdr), "bytes */%" PRIu64,
		         (uint64_t)sb.st_size);
		return empty_reply(out, MHD_HTTP_RANGE_NOT_SATISFIABLE,
		                   MHD_HTTP_HEADER_CONTENT_RANGE, hdr, e);
	}
	if (range == 0) {
		first = 0;
		last = (uint64_t)sb.st_size - 1;
	}
	resp = file_response(fd, first,
	                     (uint64_t)sb.st_size == 0 ? 0 : last - first + 1,
	                     etag);
	if (resp == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	if (range == 1) {
		snprintf(hdr, sizeof(hdr),
		         "bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64, first, last,
		         (uint64_t)sb.st_size);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_RANGE,
		                        hdr);
		out->status = MHD_HTTP_PARTIAL_CONTENT;
		file_reply(out, r, resp, last - first + 1);
		return SL_OK;
	}
	file_reply(out, r, resp, (uint64_t)sb.st_size);
	return SL_OK;
}
