/*
 * content: GET /content/<sha256>, the hot path agents and downstream
 * servers download files from. No database access: a file is served when
 * DATA/content/<aa>/<sha256> exists (fetch renames a file there only after
 * verifying it). The name must be exactly 64 lowercase hex digits, so no
 * path outside the store can be reached. Responses are fd-backed (MHD uses
 * sendfile), with a strong ETag, If-None-Match, and single byte ranges.
 * A whole small file over plain HTTP is answered from the worker thread's
 * cache of ready responses (content_cache.h) while stat() shows the same
 * file: one stat() instead of open/fstat/close and a response with its
 * four headers per answer. libmicrohttpd lets one response be queued on
 * several connections (it counts them; sendfile() and pread() take their
 * own offsets), and the cache is per thread, so an entry is only let go
 * by the thread that queues it.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include "api.h"
#include "content_cache.h"
#include "content_head.h"
#include "hash.h"
#include "httpdate.h"

/* Files up to this size are answered from a worker thread's cache of
 * ready responses (content_cache.h): the per-answer cost matters for small
 * files, and a cached response keeps its file open (a removed file's space
 * comes back once the entry is let go: replaced, or the file is asked for
 * again). */
#define CACHE_FILE_MAX (1024 * 1024)
#define CACHE_ENTRIES  32 /* per worker thread */

/* A cached answer: the response and the Date header it carries, for the
 * second date_s. libmicrohttpd writes a Date of its own into every answer
 * that has none, through gmtime_r() and its process-wide lock, a cost that
 * grew with the connections (0.3 us per answer at 512); a cached answer
 * carries the worker thread's Date instead, renewed once a second. Its
 * header is written out when a connection starts sending it, on this same
 * thread, so a connection queued a second earlier sends the newer Date. */
struct cached {
	struct MHD_Response *resp;
	time_t date_s;
	char date[HTTPDATE_LEN + 1];
};

/* A worker thread's cache and the Date of its current second. */
struct tstate {
	struct ccache *cache;
	time_t date_s;
	char date[HTTPDATE_LEN + 1];
};

static pthread_key_t cache_key;
static pthread_once_t cache_once = PTHREAD_ONCE_INIT;
static int cache_key_ok;

static void
release_cached(void *v)
{
	struct cached *c = v;

	MHD_destroy_response(c->resp);
	free(c);
}

static void
tstate_destroy(void *v)
{
	struct tstate *ts = v;

	ccache_free(ts->cache);
	free(ts);
}

static void
cache_key_make(void)
{
	cache_key_ok = pthread_key_create(&cache_key, tstate_destroy) == 0;
}

/* This thread's state, made on first use; NULL without memory. */
static struct tstate *
thread_state(void)
{
	struct tstate *ts;
	struct err e;

	pthread_once(&cache_once, cache_key_make);
	if (!cache_key_ok)
		return NULL;
	ts = pthread_getspecific(cache_key);
	if (ts != NULL)
		return ts;
	ts = calloc(1, sizeof(*ts));
	if (ts == NULL)
		return NULL;
	if (ccache_new(&ts->cache, CACHE_ENTRIES, release_cached, &e) !=
	    SL_OK) {
		free(ts);
		return NULL;
	}
	if (pthread_setspecific(cache_key, ts) != 0) {
		tstate_destroy(ts);
		return NULL;
	}
	return ts;
}

/* Give c's response the Date of this second (a clock before 1970 or
 * after 9999, or no memory: libmicrohttpd writes its own). */
static void
stamp_date(struct tstate *ts, struct cached *c)
{
	time_t now = time(NULL);

	if (ts->date_s != now || ts->date[0] == '\0') {
		if (httpdate_format(ts->date, sizeof(ts->date), now, NULL) !=
		    SL_OK)
			return;
		ts->date_s = now;
	}
	if (c->date[0] != '\0' && c->date_s == now)
		return;
	if (c->date[0] != '\0') {
		MHD_del_response_header(c->resp, MHD_HTTP_HEADER_DATE, c->date);
		c->date[0] = '\0';
	}
	if (MHD_add_response_header(c->resp, MHD_HTTP_HEADER_DATE, ts->date) ==
	    MHD_YES) {
		memcpy(c->date, ts->date, sizeof(c->date));
		c->date_s = now;
	}
}

/* A whole file's answer: fd-backed (MHD owns fd from here, also on
 * failure) with its headers. */
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

/* A TLS connection's answers are not cached: its records are not
 * sendfile()d, and libmicrohttpd reads a shared fd response through one
 * buffer in the response, so connections sharing it would take turns
 * refilling it. */
static int
is_tls(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(
	        conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);

	return ci != NULL && ci->tls_session != NULL;
}

int
content_get(struct req *r, struct reply *out, struct err *e)
{
	const char *sha = r->params[0];
	const struct server_config *cfg = r->env->cfg;
	char path[4096], etag[HASH_HEX_LEN + 3], hdr[96];
	struct MHD_Response *resp = NULL;
	struct tstate *ts = NULL;
	struct cached *hit, *keep;
	struct ccache_id id, fid;
	uint64_t first = 0, last = 0;
	struct stat sb;
	size_t dlen;
	int fd = -1, range, sr;

	if (sha == NULL || !hash_is_hex(sha))
		return err_set(e, SL_EINVAL,
		               "content name must be 64 lowercase hex digits");
	/* DIR/aa/<sha256> */
	dlen = strlen(cfg->content_dir);
	if (dlen + 2 + 4 + HASH_HEX_LEN > sizeof(path))
		return err_set(e, SL_ETOOBIG, "content path too long");
	memcpy(path, cfg->content_dir, dlen);
	path[dlen] = '/';
	memcpy(path + dlen + 1, sha, 2);
	path[dlen + 3] = '/';
	memcpy(path + dlen + 4, sha, HASH_HEX_LEN + 1);
	etag[0] = '"';
	memcpy(etag + 1, sha, HASH_HEX_LEN);
	memcpy(etag + 1 + HASH_HEX_LEN, "\"", 2);
	/* stat() first: a cached answer needs no open(). */
	sr = stat(path, &sb);
	if (sr != 0 || !S_ISREG(sb.st_mode)) {
		int err = sr != 0 ? errno : ENOENT;

		if ((ts = thread_state()) != NULL)
			ccache_drop(ts->cache, sha);
		if (err == ENOENT || err == ENOTDIR)
			return err_set(e, SL_ENOTFOUND,
			               "content %s is not in the store", sha);
		return err_set(e, SL_EIO, "content %s: %s", sha, strerror(err));
	}
	if (chead_etag_matches(
	            MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
	                                        MHD_HTTP_HEADER_IF_NONE_MATCH),
	            etag)) {
		resp = MHD_create_response_from_buffer(0, NULL,
		                                       MHD_RESPMEM_PERSISTENT);
		if (resp == NULL)
			return err_set(e, SL_ENOMEM, "out of memory");
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, etag);
		out->raw = resp;
		out->status = MHD_HTTP_NOT_MODIFIED;
		return SL_OK;
	}
	range = chead_range(MHD_lookup_connection_value(r->conn,
	                                                MHD_HEADER_KIND,
	                                                MHD_HTTP_HEADER_RANGE),
	                    (uint64_t)sb.st_size, &first, &last);
	ts = NULL;
	if (range == 0 && sb.st_size <= CACHE_FILE_MAX && !is_tls(r->conn))
		ts = thread_state();
	if (ts != NULL) {
		ccache_id_of(&id, &sb);
		hit = ccache_get(ts->cache, sha, &id);
		if (hit != NULL) {
			stamp_date(ts, hit);
			file_reply(out, r, hit->resp, (uint64_t)sb.st_size);
			out->borrowed = 1;
			return SL_OK;
		}
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return err_set(e, SL_ENOTFOUND,
			               "content %s is not in the store", sha);
		return err_set(e, SL_EIO, "content %s: %s", sha,
		               strerror(errno));
	}
	/* The file may have been replaced since stat(): the answer is the
	 * open file's. */
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return err_set(e, SL_ENOTFOUND,
		               "content %s is not in the store", sha);
	}
	range = chead_range(MHD_lookup_connection_value(r->conn,
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
	/* Kept only when what was opened is what stat() saw. */
	ccache_id_of(&fid, &sb);
	if (ts != NULL && ccache_id_eq(&id, &fid) &&
	    (keep = calloc(1, sizeof(*keep))) != NULL) {
		keep->resp = resp;
		stamp_date(ts, keep);
		ccache_put(ts->cache, sha, &fid, keep);
		out->borrowed = 1;
	}
	return SL_OK;
}
