/*
 * Unit tests for httpc against a real libmicrohttpd server on 127.0.0.1
 * (ephemeral port) started inside the test process, and real file:// URLs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "buf.h"
#include "fsx.h"
#include "hash.h"
#include "httpc.h"

#define BODY_LEN 100000
#define HALF_LEN 40000
#define CAP      (1024 * 1024)

static struct MHD_Daemon *daemon_;
static unsigned short port_;
static char body_[BODY_LEN];
#define BIG_LEN (2 * 1024 * 1024)
static char *big_;
static char big_sha_[HASH_HEX_LEN + 1];
static char body_sha_[HASH_HEX_LEN + 1];
static char dir_[64];

/* What the server saw: the Range header of the last request to /file. */
static pthread_mutex_t seen_mu = PTHREAD_MUTEX_INITIALIZER;
static char seen_range_[64];
static int file_requests_;

/* ---- the server ---- */

struct conn {
	struct buf upload;
};

static enum MHD_Result
queue_buffer(struct MHD_Connection *c, unsigned status, const void *data,
             size_t len, enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, (void *)data, mode);
	if (r == NULL)
		return MHD_NO;
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* Serve body_, honouring "Range: bytes=N-" unless ignore_range. */
static enum MHD_Result
serve_file(struct MHD_Connection *c, bool ignore_range)
{
	const char *range;
	struct MHD_Response *r;
	unsigned long long off = 0;
	enum MHD_Result ret;
	char cr[96], *end;

	range = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Range");
	pthread_mutex_lock(&seen_mu);
	snprintf(seen_range_, sizeof(seen_range_), "%s",
	         range != NULL ? range : "");
	file_requests_++;
	pthread_mutex_unlock(&seen_mu);
	if (range == NULL || ignore_range)
		return queue_buffer(c, MHD_HTTP_OK, body_, BODY_LEN,
		                    MHD_RESPMEM_PERSISTENT);
	if (strncmp(range, "bytes=", 6) != 0)
		return queue_buffer(c, 400, "bad range", 9,
		                    MHD_RESPMEM_PERSISTENT);
	off = strtoull(range + 6, &end, 10);
	if (*end != '-' || end[1] != '\0')
		return queue_buffer(c, 400, "bad range", 9,
		                    MHD_RESPMEM_PERSISTENT);
	if (off >= BODY_LEN)
		return queue_buffer(c, 416, "", 0, MHD_RESPMEM_PERSISTENT);
	r = MHD_create_response_from_buffer(BODY_LEN - off, body_ + off,
	                                    MHD_RESPMEM_PERSISTENT);
	if (r == NULL)
		return MHD_NO;
	snprintf(cr, sizeof(cr), "bytes %llu-%d/%d", off, BODY_LEN - 1,
	         BODY_LEN);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_RANGE, cr);
	ret = MHD_queue_response(c, 206, r);
	MHD_destroy_response(r);
	return ret;
}

/* Announce BODY_LEN bytes, send HALF_LEN, then drop the connection. */
static ssize_t
half_reader(void *cls, uint64_t pos, char *out, size_t max)
{
	size_t n;

	(void)cls;
	if (pos >= HALF_LEN)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	n = HALF_LEN - (size_t)pos;
	if (n > max)
		n = max;
	memcpy(out, body_ + pos, n);
	return (ssize_t)n;
}

/* Chunked (no Content-Length) copy of body_. */
static ssize_t
stream_reader(void *cls, uint64_t pos, char *out, size_t max)
{
	size_t n;

	(void)cls;
	if (pos >= BODY_LEN)
		return MHD_CONTENT_READER_END_OF_STREAM;
	n = BODY_LEN - (size_t)pos;
	if (n > max)
		n = max;
	memcpy(out, body_ + pos, n);
	return (ssize_t)n;
}

static enum MHD_Result
serve_reader(struct MHD_Connection *c, uint64_t size,
             MHD_ContentReaderCallback cb)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_callback(size, 4096, cb, NULL, NULL);
	if (r == NULL)
		return MHD_NO;
	ret = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result
serve_echo(struct MHD_Connection *c, const char *method, struct conn *cn)
{
	const char *ct, *auth;
	struct buf out;
	struct err e;
	enum MHD_Result ret;
	size_t len;
	char *p;

	ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
	auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
	buf_init(&out, CAP);
	if (buf_printf(&out, &e, "%s|%s|%s|%s", method, ct ? ct : "-",
	               auth ? auth : "-",
	               cn->upload.data ? cn->upload.data : "") != SL_OK)
		return MHD_NO;
	p = buf_steal(&out, &len);
	ret = queue_buffer(c, MHD_HTTP_OK, p, len, MHD_RESPMEM_MUST_FREE);
	return ret;
}

static enum MHD_Result
handler(void *cls, struct MHD_Connection *c, const char *url,
        const char *method, const char *version, const char *upload_data,
        size_t *upload_data_size, void **con_cls)
{
	struct conn *cn = *con_cls;
	struct err e;

	(void)cls;
	(void)version;
	if (cn == NULL) {
		if ((cn = calloc(1, sizeof(*cn))) == NULL)
			return MHD_NO;
		buf_init(&cn->upload, CAP);
		*con_cls = cn;
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		if (buf_append(&cn->upload, upload_data, *upload_data_size,
		               &e) != SL_OK)
			return MHD_NO;
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (strcmp(url, "/file") == 0)
		return serve_file(c, false);
	if (strcmp(url, "/big") == 0)
		return queue_buffer(c, MHD_HTTP_OK, big_, BIG_LEN,
		                    MHD_RESPMEM_PERSISTENT);
	if (strcmp(url, "/norange") == 0)
		return serve_file(c, true);
	if (strcmp(url, "/half") == 0)
		return serve_reader(c, BODY_LEN, half_reader);
	if (strcmp(url, "/stream") == 0)
		return serve_reader(c, MHD_SIZE_UNKNOWN, stream_reader);
	if (strcmp(url, "/echo") == 0)
		return serve_echo(c, method, cn);
	if (strcmp(url, "/500") == 0)
		return queue_buffer(c, 500, "boom", 4, MHD_RESPMEM_PERSISTENT);
	if (strcmp(url, "/redirect") == 0) {
		struct MHD_Response *r;
		enum MHD_Result ret;

		r = MHD_create_response_from_buffer(0, "",
		                                    MHD_RESPMEM_PERSISTENT);
		MHD_add_response_header(r, MHD_HTTP_HEADER_LOCATION, "/file");
		ret = MHD_queue_response(c, 302, r);
		MHD_destroy_response(r);
		return ret;
	}
	return queue_buffer(c, 404, "not found", 9, MHD_RESPMEM_PERSISTENT);
}

static void
completed(void *cls, struct MHD_Connection *c, void **con_cls,
          enum MHD_RequestTerminationCode toe)
{
	struct conn *cn = *con_cls;

	(void)cls;
	(void)c;
	(void)toe;
	if (cn != NULL) {
		buf_free(&cn->upload);
		free(cn);
		*con_cls = NULL;
	}
}

static int
setup(void **state)
{
	struct sockaddr_in sa;
	const union MHD_DaemonInfo *info;
	struct err e;
	size_t i;

	(void)state;
	assert_int_equal(httpc_global_init(&e), SL_OK);
	for (i = 0; i < BODY_LEN; i++)
		body_[i] = (char)((i * 7919u + i / 251u) & 0xff);
	hash_buf_hex(body_, BODY_LEN, body_sha_);
	if ((big_ = malloc(BIG_LEN)) == NULL)
		return -1;
	for (i = 0; i < BIG_LEN; i++)
		big_[i] = (char)(i % 253);
	hash_buf_hex(big_, BIG_LEN, big_sha_);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = 0;
	daemon_ = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL,
	                           NULL, handler, NULL, MHD_OPTION_SOCK_ADDR,
	                           &sa, MHD_OPTION_NOTIFY_COMPLETED, completed,
	                           NULL, MHD_OPTION_END);
	if (daemon_ == NULL)
		return -1;
	info = MHD_get_daemon_info(daemon_, MHD_DAEMON_INFO_BIND_PORT);
	if (info == NULL || info->port == 0)
		return -1;
	port_ = info->port;
	snprintf(dir_, sizeof(dir_), "/tmp/test_httpc.XXXXXX");
	if (mkdtemp(dir_) == NULL)
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	MHD_stop_daemon(daemon_);
	free(big_);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir_);
	return system(cmd) == 0 ? 0 : -1;
}

/* ---- helpers ---- */

static void
url_of(char *out, size_t n, const char *path)
{
	snprintf(out, n, "http://127.0.0.1:%u%s", (unsigned)port_, path);
}

static void
path_of(char *out, size_t n, const char *name)
{
	snprintf(out, n, "%s/%s", dir_, name);
}

static off_t
file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? st.st_size : -1;
}

static void
assert_file_is_body(const char *path)
{
	char *data = NULL;
	size_t len = 0;
	struct err e;

	assert_int_equal(fsx_read(path, CAP, &data, &len, &e), SL_OK);
	assert_int_equal(len, BODY_LEN);
	assert_memory_equal(data, body_, BODY_LEN);
	free(data);
}

static void
write_file(const char *path, const void *data, size_t len)
{
	struct err e;

	assert_int_equal(fsx_write_atomic(path, data, len, 0644, &e), SL_OK);
}

static void
last_range(char *out, size_t n, int *requests)
{
	pthread_mutex_lock(&seen_mu);
	snprintf(out, n, "%s", seen_range_);
	if (requests != NULL)
		*requests = file_requests_;
	pthread_mutex_unlock(&seen_mu);
}

/* ---- requests ---- */

static void
test_get(void **state)
{
	struct httpc_resp r = {0};
	struct err e;
	char url[128];

	(void)state;
	url_of(url, sizeof(url), "/file");
	assert_int_equal(httpc_get(&r, url, CAP, NULL, &e), SL_OK);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.len, BODY_LEN);
	assert_memory_equal(r.body, body_, BODY_LEN);
	httpc_resp_free(&r);
	assert_null(r.body);
	assert_int_equal(r.len, 0);
	httpc_resp_free(NULL);

	/* chunked answer, no Content-Length */
	url_of(url, sizeof(url), "/stream");
	assert_int_equal(httpc_get(&r, url, CAP, NULL, &e), SL_OK);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.len, BODY_LEN);
	assert_memory_equal(r.body, body_, BODY_LEN);
	httpc_resp_free(&r);

	/* a redirect is followed */
	url_of(url, sizeof(url), "/redirect");
	assert_int_equal(httpc_get(&r, url, CAP, NULL, &e), SL_OK);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.len, BODY_LEN);
	httpc_resp_free(&r);
}

static void
test_get_error_statuses(void **state)
{
	struct httpc_resp r = {0};
	struct err e;
	char url[128];

	(void)state;
	url_of(url, sizeof(url), "/nope");
	assert_int_equal(httpc_get(&r, url, CAP, NULL, &e), SL_OK);
	assert_int_equal(r.status, 404);
	assert_string_equal(r.body, "not found");
	httpc_resp_free(&r);

	url_of(url, sizeof(url), "/500");
	assert_int_equal(httpc_get(&r, url, CAP, NULL, &e), SL_OK);
	assert_int_equal(r.status, 500);
	assert_string_equal(r.body, "boom");
	assert_int_equal(r.len, 4);
	httpc_resp_free(&r);
}

static void
test_request_echo(void **state)
{
	struct httpc_opts o = {.token = "tok123"};
	struct httpc_resp r = {0};
	struct err e;
	char url[128], big[5000];

	(void)state;
	url_of(url, sizeof(url), "/echo");
	assert_int_equal(
	        httpc_request(&r, "POST", url, "{\"a\":1}", 7, CAP, &o, &e),
	        SL_OK);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body,
	                    "POST|application/json|Bearer tok123|{\"a\":1}");
	httpc_resp_free(&r);

	assert_int_equal(httpc_request(&r, "PUT", url, "{}", 2, CAP, NULL, &e),
	                 SL_OK);
	assert_string_equal(r.body, "PUT|application/json|-|{}");
	httpc_resp_free(&r);

	assert_int_equal(
	        httpc_request(&r, "DELETE", url, NULL, 0, CAP, NULL, &e),
	        SL_OK);
	assert_string_equal(r.body, "DELETE|-|-|");
	httpc_resp_free(&r);

	/* a body larger than one read, no Expect: 100-continue stall */
	memset(big, 'x', sizeof(big));
	assert_int_equal(
	        httpc_request(&r, "POST", url, big, sizeof(big), CAP, NULL, &e),
	        SL_OK);
	assert_int_equal(r.len, strlen("POST|application/json|-|") + 5000);
	httpc_resp_free(&r);
}

static void
test_body_over_cap(void **state)
{
	struct httpc_resp r = {0};
	struct err e;
	char url[128], want[256];

	(void)state;
	url_of(url, sizeof(url), "/file");
	assert_int_equal(httpc_get(&r, url, 1000, NULL, &e), SL_ETOOBIG);
	snprintf(want, sizeof(want),
	         "GET %s: response body over the limit of 1000 bytes", url);
	assert_string_equal(e.msg, want);
	assert_null(r.body);

	url_of(url, sizeof(url), "/stream");
	assert_int_equal(httpc_get(&r, url, 1000, NULL, &e), SL_ETOOBIG);
	snprintf(want, sizeof(want),
	         "GET %s: response body over the limit of 1000 bytes", url);
	assert_string_equal(e.msg, want);
	assert_null(r.body);
}

static void
test_connection_refused(void **state)
{
	struct httpc_resp r = {0};
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	struct err e;
	char url[128], prefix[160];
	int fd;

	(void)state;
	/* a port that was just free: nobody listens there */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	close(fd);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/x",
	         (unsigned)ntohs(sa.sin_port));
	assert_int_equal(httpc_get(&r, url, CAP, NULL, &e), SL_ENET);
	snprintf(prefix, sizeof(prefix), "GET %s: ", url);
	assert_memory_equal(e.msg, prefix, strlen(prefix));
	assert_non_null(strstr(e.msg, "Couldn't connect to server"));
	assert_null(r.body);
}

static void
test_bad_token(void **state)
{
	struct httpc_opts o = {.token = "abc\r\nX-Evil: 1"};
	struct httpc_resp r = {0};
	struct err e;
	char url[128];

	(void)state;
	url_of(url, sizeof(url), "/echo");
	assert_int_equal(httpc_get(&r, url, CAP, &o, &e), SL_EINVAL);
	assert_string_equal(e.msg, "token contains a line break");
	assert_null(r.body);
}

/* ---- downloads ---- */

static void
test_download_complete(void **state)
{
	struct err e;
	char url[128], dst[128], part[160];

	(void)state;
	url_of(url, sizeof(url), "/file");
	path_of(dst, sizeof(dst), "sub/dir/complete");
	snprintf(part, sizeof(part), "%s.part", dst);
	assert_int_equal(
	        httpc_download(url, dst, BODY_LEN, body_sha_, NULL, &e), SL_OK);
	assert_file_is_body(dst);
	assert_false(fsx_exists(part));
}

static void
test_download_resume(void **state)
{
	struct httpc_opts o = {.max_bytes_per_s = 10 * 1000 * 1000};
	struct err e;
	char url[128], dst[128], part[160], range[64], want[64];

	(void)state;
	path_of(dst, sizeof(dst), "resumed");
	snprintf(part, sizeof(part), "%s.part", dst);

	/* the first attempt dies half-way: the .part stays */
	url_of(url, sizeof(url), "/half");
	assert_int_equal(httpc_download(url, dst, BODY_LEN, body_sha_, &o, &e),
	                 SL_ENET);
	assert_memory_equal(e.msg, "GET ", 4);
	assert_non_null(strstr(e.msg, url));
	assert_false(fsx_exists(dst));
	assert_int_equal(file_size(part), HALF_LEN);

	/* the second asks for the rest only */
	url_of(url, sizeof(url), "/file");
	assert_int_equal(httpc_download(url, dst, BODY_LEN, body_sha_, &o, &e),
	                 SL_OK);
	last_range(range, sizeof(range), NULL);
	snprintf(want, sizeof(want), "bytes=%d-", HALF_LEN);
	assert_string_equal(range, want);
	assert_file_is_body(dst);
	assert_false(fsx_exists(part));
}

static void
test_download_range_ignored(void **state)
{
	struct err e;
	char url[128], dst[128], part[160], range[64], junk[1000];

	(void)state;
	path_of(dst, sizeof(dst), "norange");
	snprintf(part, sizeof(part), "%s.part", dst);
	/* a wrong prefix: only a restart from 0 can verify */
	memset(junk, 'j', sizeof(junk));
	write_file(part, junk, sizeof(junk));
	url_of(url, sizeof(url), "/norange");
	assert_int_equal(
	        httpc_download(url, dst, BODY_LEN, body_sha_, NULL, &e), SL_OK);
	last_range(range, sizeof(range), NULL);
	assert_string_equal(range, "bytes=1000-");
	assert_file_is_body(dst);
	assert_false(fsx_exists(part));
}

static void
test_download_part_too_large(void **state)
{
	struct err e;
	char url[128], dst[128], part[160], range[64];
	static char junk[BODY_LEN + 10];

	(void)state;
	path_of(dst, sizeof(dst), "toolarge");
	snprintf(part, sizeof(part), "%s.part", dst);
	memset(junk, 'j', sizeof(junk));
	write_file(part, junk, sizeof(junk));
	url_of(url, sizeof(url), "/file");
	assert_int_equal(
	        httpc_download(url, dst, BODY_LEN, body_sha_, NULL, &e), SL_OK);
	last_range(range, sizeof(range), NULL);
	assert_string_equal(range, "");
	assert_file_is_body(dst);
	assert_false(fsx_exists(part));
}

static void
test_download_part_already_complete(void **state)
{
	struct err e;
	char url[128], dst[128], part[160];
	int before, after;

	(void)state;
	path_of(dst, sizeof(dst), "already");
	snprintf(part, sizeof(part), "%s.part", dst);
	write_file(part, body_, BODY_LEN);
	last_range(url, sizeof(url), &before);
	url_of(url, sizeof(url), "/file");
	assert_int_equal(
	        httpc_download(url, dst, BODY_LEN, body_sha_, NULL, &e), SL_OK);
	last_range(url, sizeof(url), &after);
	assert_int_equal(after, before); /* no request needed */
	assert_file_is_body(dst);
	assert_false(fsx_exists(part));
}

static void
test_download_range_not_satisfiable(void **state)
{
	struct err e;
	char url[128], dst[128], part[160], range[64];

	(void)state;
	/* size unknown and the .part already as long as the file: the server
	 * answers 416 to "bytes=100000-", the download restarts from 0 */
	path_of(dst, sizeof(dst), "unsatisfiable");
	snprintf(part, sizeof(part), "%s.part", dst);
	write_file(part, body_, BODY_LEN);
	url_of(url, sizeof(url), "/file");
	assert_int_equal(httpc_download(url, dst, 0, body_sha_, NULL, &e),
	                 SL_OK);
	last_range(range, sizeof(range), NULL);
	assert_string_equal(range, "");
	assert_file_is_body(dst);
	assert_false(fsx_exists(part));
}

static void
test_download_rate_limit(void **state)
{
	struct httpc_opts o = {.max_bytes_per_s = 2 * 1024 * 1024};
	struct timespec t0, t1;
	struct err e;
	char url[128], dst[128];
	double secs;

	(void)state;
	path_of(dst, sizeof(dst), "slow");
	url_of(url, sizeof(url), "/big");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(httpc_download(url, dst, BIG_LEN, big_sha_, &o, &e),
	                 SL_OK);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) +
	       (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	/* 2 MiB at 2 MiB/s: about a second (unlimited: milliseconds) */
	assert_true(secs >= 0.5);
}

static void *
cancel_later(void *arg)
{
	usleep(200 * 1000);
	atomic_store((atomic_bool *)arg, true);
	return NULL;
}

/* Another thread cancels a (slow) download: it stops, keeps its .part. */
static void
test_download_cancel(void **state)
{
	atomic_bool cancel = false;
	struct httpc_opts o = {.max_bytes_per_s = 512 * 1024,
	                       .cancel = &cancel};
	char url[128], dst[128], part[160];
	pthread_t t;
	struct err e;

	(void)state;
	path_of(dst, sizeof(dst), "cancelled");
	snprintf(part, sizeof(part), "%s.part", dst);
	url_of(url, sizeof(url), "/big");
	assert_int_equal(pthread_create(&t, NULL, cancel_later, &cancel), 0);
	assert_int_equal(httpc_download(url, dst, BIG_LEN, big_sha_, &o, &e),
	                 SL_ENET);
	pthread_join(t, NULL);
	assert_non_null(strstr(e.msg, ": cancelled"));
	assert_false(fsx_exists(dst));
	assert_true(fsx_exists(part));
	/* The next attempt resumes and completes. */
	cancel = false;
	assert_int_equal(httpc_download(url, dst, BIG_LEN, big_sha_, NULL, &e),
	                 SL_OK);
	assert_false(fsx_exists(part));
}

static void
test_download_wrong_sha(void **state)
{
	struct err e;
	char url[128], dst[128], part[160], want[512];
	const char *bad = "00000000000000000000000000000000"
	                  "00000000000000000000000000000000";

	(void)state;
	url_of(url, sizeof(url), "/file");
	path_of(dst, sizeof(dst), "wrongsha");
	snprintf(part, sizeof(part), "%s.part", dst);
	assert_int_equal(httpc_download(url, dst, BODY_LEN, bad, NULL, &e),
	                 SL_EVERIFY);
	snprintf(want, sizeof(want),
	         "%s: SHA-256 %s does not match expected %s", url, body_sha_,
	         bad);
	assert_string_equal(e.msg, want);
	assert_false(fsx_exists(part));
	assert_false(fsx_exists(dst));

	/* wrong size: fewer bytes than announced */
	assert_int_equal(
	        httpc_download(url, dst, BODY_LEN + 1, body_sha_, NULL, &e),
	        SL_EVERIFY);
	snprintf(want, sizeof(want), "%s: size %d does not match expected %d",
	         url, BODY_LEN, BODY_LEN + 1);
	assert_string_equal(e.msg, want);
	assert_false(fsx_exists(part));
	assert_false(fsx_exists(dst));

	/* more bytes than announced */
	assert_int_equal(httpc_download(url, dst, 10, body_sha_, NULL, &e),
	                 SL_EVERIFY);
	snprintf(want, sizeof(want), "GET %s: more than the expected 10 bytes",
	         url);
	assert_string_equal(e.msg, want);
	assert_false(fsx_exists(part));
	assert_false(fsx_exists(dst));

	/* a malformed expected hash is refused up front */
	assert_int_equal(httpc_download(url, dst, 10, "ABC", NULL, &e),
	                 SL_EINVAL);
	snprintf(want, sizeof(want),
	         "%s: expected SHA-256 is not 64 lowercase hex digits", url);
	assert_string_equal(e.msg, want);
}

static void
test_download_http_errors(void **state)
{
	struct err e;
	char url[128], dst[128], want[256];

	(void)state;
	path_of(dst, sizeof(dst), "missing");
	url_of(url, sizeof(url), "/nope");
	assert_int_equal(
	        httpc_download(url, dst, BODY_LEN, body_sha_, NULL, &e),
	        SL_ENOTFOUND);
	snprintf(want, sizeof(want), "GET %s: HTTP 404", url);
	assert_string_equal(e.msg, want);
	assert_false(fsx_exists(dst));

	url_of(url, sizeof(url), "/500");
	assert_int_equal(
	        httpc_download(url, dst, BODY_LEN, body_sha_, NULL, &e),
	        SL_ENET);
	snprintf(want, sizeof(want), "GET %s: HTTP 500", url);
	assert_string_equal(e.msg, want);
	assert_false(fsx_exists(dst));
	/* the error body did not land in the .part */
	snprintf(want, sizeof(want), "%s.part", dst);
	assert_true(file_size(want) <= 0);
}

/* ---- file:// ---- */

static void
test_file_urls(void **state)
{
	struct httpc_resp r = {0};
	struct err e;
	char src[128], url[256], dst[128], part[160], want[300];

	(void)state;
	path_of(src, sizeof(src), "source");
	write_file(src, body_, BODY_LEN);
	snprintf(url, sizeof(url), "file://%s", src);

	assert_int_equal(httpc_get(&r, url, CAP, NULL, &e), SL_OK);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.len, BODY_LEN);
	assert_memory_equal(r.body, body_, BODY_LEN);
	httpc_resp_free(&r);

	assert_int_equal(httpc_get(&r, url, 10, NULL, &e), SL_ETOOBIG);

	snprintf(url, sizeof(url), "file://%s/absent", dir_);
	assert_int_equal(httpc_get(&r, url, CAP, NULL, &e), SL_ENOTFOUND);
	snprintf(want, sizeof(want), "GET %s: ", url);
	assert_memory_equal(e.msg, want, strlen(want));

	/* download, then a resumed one from a partial .part */
	snprintf(url, sizeof(url), "file://%s", src);
	path_of(dst, sizeof(dst), "fromfile");
	snprintf(part, sizeof(part), "%s.part", dst);
	assert_int_equal(
	        httpc_download(url, dst, BODY_LEN, body_sha_, NULL, &e), SL_OK);
	assert_file_is_body(dst);
	assert_int_equal(unlink(dst), 0);
	write_file(part, body_, HALF_LEN);
	assert_int_equal(
	        httpc_download(url, dst, BODY_LEN, body_sha_, NULL, &e), SL_OK);
	assert_file_is_body(dst);
	assert_false(fsx_exists(part));

	snprintf(url, sizeof(url), "file://%s/absent", dir_);
	assert_int_equal(
	        httpc_download(url, dst, BODY_LEN, body_sha_, NULL, &e),
	        SL_ENOTFOUND);
}

/* ---- resolve ---- */

static void
test_resolve(void **state)
{
	static const struct {
		const char *base, *ref, *want;
	} cases[] = {
	        {"http://h/a/b", "c", "http://h/a/c"},
	        {"http://h/a/", "c/d", "http://h/a/c/d"},
	        {"http://h/a/b", "/x/y", "http://h/x/y"},
	        {"http://h/a/b?q#f", "", "http://h/a/b?q"},
	        {"http://h/a/b?q#f", "#g", "http://h/a/b?q#g"},
	        {"http://h/a/b?q#f", "?r", "http://h/a/b?r"},
	        {"http://h:8530/a/b?q=1", "c?d=2", "http://h:8530/a/c?d=2"},
	        {"http://h/a/b/", "../c", "http://h/a/c"},
	        {"http://h/a/", "https://o/x", "https://o/x"},
	        {"http://h/a/", "file:///abs/x", "file:///abs/x"},
	        {"file:///x/public/", "content/ab/abcd",
	         "file:///x/public/content/ab/abcd"},
	        {"file:///x/public/index.json", "content/ab",
	         "file:///x/public/content/ab"},
	        {"file:///x/public/", "/y/z", "file:///y/z"},
	        {"https://h.example/p/", "//cdn.example/f",
	         "https://cdn.example/f"},
	};
	size_t i;
	char *got;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		got = httpc_resolve(cases[i].base, cases[i].ref);
		assert_non_null(got);
		assert_string_equal(got, cases[i].want);
		free(got);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_get),
	        cmocka_unit_test(test_get_error_statuses),
	        cmocka_unit_test(test_request_echo),
	        cmocka_unit_test(test_body_over_cap),
	        cmocka_unit_test(test_connection_refused),
	        cmocka_unit_test(test_bad_token),
	        cmocka_unit_test(test_download_complete),
	        cmocka_unit_test(test_download_resume),
	        cmocka_unit_test(test_download_range_ignored),
	        cmocka_unit_test(test_download_part_too_large),
	        cmocka_unit_test(test_download_part_already_complete),
	        cmocka_unit_test(test_download_range_not_satisfiable),
	        cmocka_unit_test(test_download_rate_limit),
	        cmocka_unit_test(test_download_cancel),
	        cmocka_unit_test(test_download_wrong_sha),
	        cmocka_unit_test(test_download_http_errors),
	        cmocka_unit_test(test_file_urls),
	        cmocka_unit_test(test_resolve),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
