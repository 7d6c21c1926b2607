/*
 * httpc: bounded HTTP(S)/file:// requests and resumable verified downloads
 * on top of libcurl's easy interface.
 */
#include "httpc.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifdef HTTPC_DLOPEN
#define CURL_DISABLE_TYPECHECK
#include <curl/curl.h>

#include "httpc_dl.h" /* curl_* through the library loaded at run time */
#else
#include <curl/curl.h>
#endif

#include "buf.h"
#include "fsx.h"
#include "hash.h"
#include "httpc_path.h"

#define DEFAULT_TIMEOUT_S         300
#define DEFAULT_CONNECT_TIMEOUT_S 10

/* httpc_set_ca_file(): set once before any transfer, read-only after. */
static const char *ca_file;
#define MAX_REDIRS 3
#define HEADER_CAP 8192
#define HASH_CHUNK 65536
/* Downloads without an explicit timeout abort when stalled this long. */
#define STALL_TIME_S 60

/* An easy handle kept between requests (httpc_conn_new()). */
struct httpc_conn {
	CURL *c;
};

/* One easy handle with its headers and error buffer. */
struct xfer {
	CURL *c;
	bool kept; /* c belongs to an httpc_conn */
	struct curl_slist *hdrs;
	char errbuf[CURL_ERROR_SIZE];
	bool is_file;
	/* Progress, cancel and pacing (xfer_progress). */
	const struct httpc_opts *o;
	long long rate;     /* bytes/s to pace to; 0 = none */
	struct timespec t0; /* when the first byte arrived */
	uint64_t received;  /* bytes received since */
	bool started;
};

static bool
is_file_url(const char *url)
{
	return strncasecmp(url, "file:", 5) == 0;
}

static void
xfer_cleanup(struct xfer *x)
{
	/* A kept handle forgets the options that point at x (error buffer,
	 * headers) but keeps its connections. */
	if (x->c != NULL && x->kept)
		curl_easy_reset(x->c);
	else if (x->c != NULL)
		curl_easy_cleanup(x->c);
	if (x->hdrs != NULL)
		curl_slist_free_all(x->hdrs);
	x->c = NULL;
	x->hdrs = NULL;
}

static int
add_header(struct xfer *x, const char *h, struct err *e)
{
	struct curl_slist *n;

	if ((n = curl_slist_append(x->hdrs, h)) == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	x->hdrs = n;
	return SL_OK;
}

/* Progress callback: a non-zero return makes curl stop the transfer. */
/* curl's own receive limit (CURLOPT_MAX_RECV_SPEED_LARGE) lets transfers
 * on a fast network through at several times the rate (it reads many
 * buffers per round), so downloads are also paced here, as each chunk is
 * written: while the average since the first byte is above the rate,
 * sleep (200 ms at a time, stopping early on a cancel); the socket buffers
 * fill and the sender slows down. */
static void
xfer_pace(struct xfer *x, size_t len)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (!x->started) {
		x->started = true;
		x->t0 = now;
	}
	x->received += len;
	/* curl reports progress between rounds of reads, and a paced round
	 * can last seconds: report from here too. */
	if (x->o->progress != NULL)
		x->o->progress(x->o->progress_arg, x->received);
	for (;;) {
		double el = (double)(now.tv_sec - x->t0.tv_sec) +
		            (double)(now.tv_nsec - x->t0.tv_nsec) / 1e9;
		double want = (double)x->received / (double)x->rate;
		double d = want - el;
		struct timespec ts;

		if (d <= 0 ||
		    (x->o->cancel != NULL && atomic_load(x->o->cancel)))
			return;
		if (d > 0.2)
			d = 0.2;
		ts.tv_sec = 0;
		ts.tv_nsec = (long)(d * 1e9);
		nanosleep(&ts, NULL);
		clock_gettime(CLOCK_MONOTONIC, &now);
	}
}

static int
xfer_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow,
              curl_off_t ultotal, curl_off_t ulnow)
{
	struct xfer *x = arg;
	const struct httpc_opts *o = x->o;

	(void)dltotal, (void)ultotal, (void)ulnow;
	if (o->progress != NULL && dlnow >= 0)
		o->progress(o->progress_arg, (uint64_t)dlnow);
	return o->cancel != NULL && atomic_load(o->cancel) ? 1 : 0;
}

/*
 * Common options: URL, no signals, error buffer, timeouts, a few redirects
 * (never to file://), bearer token.
 */
static int
xfer_setup(struct xfer *x, const char *url, const struct httpc_opts *o,
           bool download, struct err *e)
{
	struct buf h;
	long timeout, ctimeout;
	int rc;

	if (x->kept) {
		/* A kept handle: the options start over, the connections
		 * (keep-alive) and caches stay. */
		curl_easy_reset(x->c);
		*x = (struct xfer){.c = x->c, .kept = true};
	} else {
		memset(x, 0, sizeof(*x));
#ifdef HTTPC_DLOPEN
		if ((rc = httpc_dl_load(e)) != SL_OK)
			return rc;
#endif
		if ((x->c = curl_easy_init()) == NULL)
			return err_set(e, SL_ENOMEM, "curl_easy_init failed");
	}
	buf_init(&h, HEADER_CAP);
	x->is_file = is_file_url(url);
	timeout = o != NULL && o->timeout_s > 0 ? o->timeout_s : 0;
	ctimeout = o != NULL && o->connect_timeout_s > 0
	                   ? o->connect_timeout_s
	                   : DEFAULT_CONNECT_TIMEOUT_S;
	if (timeout == 0 && !download)
		timeout = DEFAULT_TIMEOUT_S;
	if (curl_easy_setopt(x->c, CURLOPT_URL, url) != CURLE_OK ||
	    curl_easy_setopt(x->c, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(x->c, CURLOPT_ERRORBUFFER, x->errbuf) !=
	            CURLE_OK ||
	    curl_easy_setopt(x->c, CURLOPT_PROTOCOLS_STR, "http,https,file") !=
	            CURLE_OK ||
	    curl_easy_setopt(x->c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https") !=
	            CURLE_OK ||
	    curl_easy_setopt(x->c, CURLOPT_FOLLOWLOCATION, 1L) != CURLE_OK ||
	    curl_easy_setopt(x->c, CURLOPT_MAXREDIRS, (long)MAX_REDIRS) !=
	            CURLE_OK ||
	    curl_easy_setopt(x->c, CURLOPT_TIMEOUT, timeout) != CURLE_OK ||
	    curl_easy_setopt(x->c, CURLOPT_CONNECTTIMEOUT, ctimeout) !=
	            CURLE_OK ||
	    curl_easy_setopt(x->c, CURLOPT_USERAGENT,
	                     "sluice/" SLUICE_VERSION) != CURLE_OK) {
		rc = err_set(e, SL_EINTERNAL, "%s: cannot set curl options",
		             url);
		goto out;
	}
	/* https:// peers are always verified (certificate chain and host
	 * name); ca_file replaces the system's trusted authorities. */
	if (ca_file != NULL &&
	    curl_easy_setopt(x->c, CURLOPT_CAINFO, ca_file) != CURLE_OK) {
		rc = err_set(e, SL_EINTERNAL, "%s: cannot set the CA file",
		             url);
		goto out;
	}
	if (download && timeout == 0 &&
	    (curl_easy_setopt(x->c, CURLOPT_LOW_SPEED_LIMIT, 1L) != CURLE_OK ||
	     curl_easy_setopt(x->c, CURLOPT_LOW_SPEED_TIME,
	                      (long)STALL_TIME_S) != CURLE_OK)) {
		rc = err_set(e, SL_EINTERNAL, "%s: cannot set curl options",
		             url);
		goto out;
	}
	if (download && o != NULL && o->max_bytes_per_s > 0 &&
	    curl_easy_setopt(x->c, CURLOPT_MAX_RECV_SPEED_LARGE,
	                     (curl_off_t)o->max_bytes_per_s) != CURLE_OK) {
		rc = err_set(e, SL_EINTERNAL, "%s: cannot set curl options",
		             url);
		goto out;
	}
	if (!x->is_file && o != NULL && o->proxy != NULL &&
	    curl_easy_setopt(x->c, CURLOPT_PROXY, o->proxy) != CURLE_OK) {
		rc = err_set(e, SL_EINTERNAL, "%s: cannot set the proxy", url);
		goto out;
	}
	x->o = o;
	x->rate = download && o != NULL ? o->max_bytes_per_s : 0;
	if (o != NULL && (o->cancel != NULL || o->progress != NULL) &&
	    (curl_easy_setopt(x->c, CURLOPT_XFERINFOFUNCTION, xfer_progress) !=
	             CURLE_OK ||
	     curl_easy_setopt(x->c, CURLOPT_XFERINFODATA, (void *)x) !=
	             CURLE_OK ||
	     curl_easy_setopt(x->c, CURLOPT_NOPROGRESS, 0L) != CURLE_OK)) {
		rc = err_set(e, SL_EINTERNAL, "%s: cannot set curl options",
		             url);
		goto out;
	}
	/* No "Expect: 100-continue" round trip for request bodies. */
	if ((rc = add_header(x, "Expect:", e)) != SL_OK)
		goto out;
	if (o != NULL && o->token != NULL) {
		if (strpbrk(o->token, "\r\n") != NULL) {
			rc = err_set(e, SL_EINVAL,
			             "token contains a line break");
			goto out;
		}
		if ((rc = buf_printf(&h, e, "Authorization: Bearer %s",
		                     o->token)) != SL_OK ||
		    (rc = add_header(x, h.data, e)) != SL_OK)
			goto out;
	}
	rc = SL_OK;
out:
	buf_free(&h);
	if (rc != SL_OK)
		xfer_cleanup(x);
	return rc;
}

static int
xfer_headers(struct xfer *x, const char *url, struct err *e)
{
	if (curl_easy_setopt(x->c, CURLOPT_HTTPHEADER, x->hdrs) != CURLE_OK)
		return err_set(e, SL_EINTERNAL, "%s: cannot set headers", url);
	return SL_OK;
}

/* The curl error text: the error buffer when filled, else the generic. */
static const char *
xfer_errtext(struct xfer *x, CURLcode cc)
{
	return x->errbuf[0] != '\0' ? x->errbuf : curl_easy_strerror(cc);
}

/* Map a failed transfer to a status and message. */
static int
xfer_fail(struct xfer *x, CURLcode cc, const char *method, const char *url,
          struct err *e)
{
	int code = SL_ENET;

	if (x->is_file && cc == CURLE_FILE_COULDNT_READ_FILE)
		code = SL_ENOTFOUND;
	if (cc == CURLE_ABORTED_BY_CALLBACK)
		return err_set(e, SL_ENET, "%s %s: cancelled", method, url);
	return err_set(e, code, "%s %s: %s", method, url, xfer_errtext(x, cc));
}

/* ---- bounded requests ---- */

struct body_sink {
	struct buf b;
	bool too_big;
	bool nomem;
};

static size_t
body_write(char *p, size_t sz, size_t n, void *ud)
{
	struct body_sink *s = ud;
	struct err e;
	int rc;

	if ((rc = buf_append(&s->b, p, sz * n, &e)) != SL_OK) {
		if (rc == SL_ETOOBIG)
			s->too_big = true;
		else
			s->nomem = true;
		return 0;
	}
	return sz * n;
}

static int
method_setup(struct xfer *x, const char *method, const char *body,
             size_t body_len, struct err *e)
{
	CURLcode cc = CURLE_OK;
	int rc;

	if (strcmp(method, "GET") == 0) {
		if (body == NULL)
			return SL_OK;
	} else if (x->is_file) {
		return err_set(e, SL_EUNSUPPORTED,
		               "%s is not supported for file:// URLs", method);
	}
	if (strcmp(method, "HEAD") == 0)
		cc = curl_easy_setopt(x->c, CURLOPT_NOBODY, 1L);
	else if (strcmp(method, "POST") != 0)
		cc = curl_easy_setopt(x->c, CURLOPT_CUSTOMREQUEST, method);
	if (cc == CURLE_OK && (body != NULL || strcmp(method, "POST") == 0)) {
		cc = curl_easy_setopt(
		        x->c, CURLOPT_POSTFIELDSIZE_LARGE,
		        (curl_off_t)(body != NULL ? body_len : 0));
		if (cc == CURLE_OK)
			cc = curl_easy_setopt(x->c, CURLOPT_POSTFIELDS,
			                      body != NULL ? body : "");
	}
	if (cc != CURLE_OK)
		return err_set(e, SL_EINTERNAL, "%s: cannot set curl options",
		               method);
	if (body != NULL &&
	    (rc = add_header(x, "Content-Type: application/json", e)) != SL_OK)
		return rc;
	return SL_OK;
}

static int
request(struct httpc_conn *conn, struct httpc_resp *out, const char *method,
        const char *url, const char *body, size_t body_len, size_t cap,
        const struct httpc_opts *o, struct err *e)
{
	struct xfer x = {.c = conn != NULL ? conn->c : NULL,
	                 .kept = conn != NULL};
	struct body_sink s = {0};
	CURLcode cc;
	long status = 0;
	size_t len;
	char *p;
	int rc;

	if (strcmp(method, "GET") == 0 &&
	    httpc_path_file_get(&rc, out, url, cap, e))
		return rc;
	buf_init(&s.b, cap);
	if ((rc = xfer_setup(&x, url, o, false, e)) != SL_OK)
		goto out;
	if ((rc = method_setup(&x, method, body, body_len, e)) != SL_OK ||
	    (rc = xfer_headers(&x, url, e)) != SL_OK)
		goto out;
	if (curl_easy_setopt(x.c, CURLOPT_WRITEFUNCTION, body_write) !=
	            CURLE_OK ||
	    curl_easy_setopt(x.c, CURLOPT_WRITEDATA, &s) != CURLE_OK ||
	    curl_easy_setopt(x.c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)cap) !=
	            CURLE_OK) {
		rc = err_set(e, SL_EINTERNAL, "%s: cannot set curl options",
		             url);
		goto out;
	}
	cc = curl_easy_perform(x.c);
	if (s.too_big || cc == CURLE_FILESIZE_EXCEEDED) {
		rc = err_set(e, SL_ETOOBIG,
		             "%s %s: response body over the limit of %zu bytes",
		             method, url, cap);
		goto out;
	}
	if (s.nomem) {
		rc = err_set(e, SL_ENOMEM, "%s %s: out of memory", method, url);
		goto out;
	}
	if (cc != CURLE_OK) {
		rc = xfer_fail(&x, cc, method, url, e);
		goto out;
	}
	if (x.is_file)
		status = 200;
	else
		curl_easy_getinfo(x.c, CURLINFO_RESPONSE_CODE, &status);
	if ((p = buf_steal(&s.b, &len)) == NULL) {
		rc = err_set(e, SL_ENOMEM, "out of memory");
		goto out;
	}
	out->status = status;
	out->body = p;
	out->len = len;
	rc = SL_OK;
out:
	buf_free(&s.b);
	xfer_cleanup(&x);
	return rc;
}

int
httpc_request(struct httpc_resp *out, const char *method, const char *url,
              const char *body, size_t body_len, size_t cap,
              const struct httpc_opts *o, struct err *e)
{
	return request(NULL, out, method, url, body, body_len, cap, o, e);
}

int
httpc_get(struct httpc_resp *out, const char *url, size_t cap,
          const struct httpc_opts *o, struct err *e)
{
	return request(NULL, out, "GET", url, NULL, 0, cap, o, e);
}

int
httpc_conn_new(struct httpc_conn **out, struct err *e)
{
	struct httpc_conn *c;

#ifdef HTTPC_DLOPEN
	int rc;

	if ((rc = httpc_dl_load(e)) != SL_OK)
		return rc;
#endif
	c = calloc(1, sizeof(*c));
	if (c == NULL || (c->c = curl_easy_init()) == NULL) {
		free(c);
		return err_set(e, SL_ENOMEM, "curl_easy_init failed");
	}
	*out = c;
	return SL_OK;
}

void
httpc_conn_free(struct httpc_conn *c)
{
	if (c == NULL)
		return;
	curl_easy_cleanup(c->c);
	free(c);
}

int
httpc_conn_get(struct httpc_conn *c, struct httpc_resp *out, const char *url,
               size_t cap, const struct httpc_opts *o, struct err *e)
{
	return request(c, out, "GET", url, NULL, 0, cap, o, e);
}

void
httpc_resp_free(struct httpc_resp *r)
{
	if (r == NULL)
		return;
	free(r->body);
	r->body = NULL;
	r->len = 0;
	r->status = 0;
}

/* ---- downloads ---- */

struct dl {
	CURL *c;
	const char *part;
	bool is_file;
	int fd;
	struct hash_ctx h;
	uint64_t have; /* bytes in the .part (all hashed) */
	uint64_t size; /* expected size; 0 = unknown */
	bool started;
	long status;
	bool bad_status; /* answer >= 300: nothing written */
	bool too_big;    /* more than size bytes */
	int io_errno;
	struct xfer *x; /* for pacing */
};

static int
write_all(int fd, const char *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Start the .part over: empty file, fresh hash. */
static int
dl_restart(struct dl *d)
{
	if (ftruncate(d->fd, 0) < 0 || lseek(d->fd, 0, SEEK_SET) < 0)
		return -1;
	hash_init(&d->h);
	d->have = 0;
	return 0;
}

static size_t
dl_write(char *p, size_t sz, size_t n, void *ud)
{
	struct dl *d = ud;
	size_t len = sz * n;

	if (!d->started) {
		d->started = true;
		if (!d->is_file) {
			curl_easy_getinfo(d->c, CURLINFO_RESPONSE_CODE,
			                  &d->status);
			if (d->status >= 300) {
				d->bad_status = true;
				return 0;
			}
			/* Range ignored (200): the body is the whole file. */
			if (d->have > 0 && d->status != 206 &&
			    dl_restart(d) < 0) {
				d->io_errno = errno;
				return 0;
			}
		}
	}
	if (d->size > 0 && d->have + len > d->size) {
		d->too_big = true;
		return 0;
	}
	if (write_all(d->fd, p, len) < 0) {
		d->io_errno = errno;
		return 0;
	}
	hash_update(&d->h, p, len);
	d->have += len;
	if (d->x != NULL && d->x->rate > 0)
		xfer_pace(d->x, len);
	return len;
}

/* Hash the bytes already in the .part (resume). */
static int
hash_part(struct dl *d, const char *part, struct err *e)
{
	char *chunk;
	ssize_t n;
	uint64_t off = 0;
	int rc = SL_OK;

	if ((chunk = malloc(HASH_CHUNK)) == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	hash_init(&d->h);
	for (;;) {
		n = pread(d->fd, chunk, HASH_CHUNK, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = err_set(e, SL_EIO, "read %s: %s", part,
			             strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		hash_update(&d->h, chunk, (size_t)n);
		off += (uint64_t)n;
	}
	d->have = off;
out:
	free(chunk);
	return rc;
}

/* Open "<dst>.part", dropping it when longer than the expected size. */
static int
open_part(struct dl *d, const char *part, struct err *e)
{
	struct stat st;

	if (stat(part, &st) == 0 && d->size > 0 &&
	    (uint64_t)st.st_size > d->size && unlink(part) < 0)
		return err_set(e, SL_EIO, "unlink %s: %s", part,
		               strerror(errno));
	d->fd = open(part, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (d->fd < 0)
		return err_set(e, SL_EIO, "open %s: %s", part, strerror(errno));
	return hash_part(d, part, e);
}

/* One GET of the missing bytes into the .part. */
static int
dl_transfer(struct dl *d, const char *url, const struct httpc_opts *o,
            struct err *e)
{
	struct xfer x = {0};
	char range[32];
	CURLcode cc;
	int rc;

	if ((rc = xfer_setup(&x, url, o, true, e)) != SL_OK)
		return rc;
	if ((rc = xfer_headers(&x, url, e)) != SL_OK)
		goto out;
	d->c = x.c;
	d->x = &x;
	d->is_file = x.is_file;
	d->started = false;
	d->status = 0;
	cc = curl_easy_setopt(x.c, CURLOPT_WRITEFUNCTION, dl_write);
	if (cc == CURLE_OK)
		cc = curl_easy_setopt(x.c, CURLOPT_WRITEDATA, d);
	/* HTTP: a plain Range header so that a 200 answer can be taken as a
	 * restart (RESUME_FROM would fail it); file://: curl seeks. */
	if (cc == CURLE_OK && d->have > 0 && !x.is_file) {
		snprintf(range, sizeof(range), "%llu-",
		         (unsigned long long)d->have);
		cc = curl_easy_setopt(x.c, CURLOPT_RANGE, range);
	} else if (cc == CURLE_OK && d->have > 0) {
		cc = curl_easy_setopt(x.c, CURLOPT_RESUME_FROM_LARGE,
		                      (curl_off_t)d->have);
	}
	if (cc != CURLE_OK) {
		rc = err_set(e, SL_EINTERNAL, "%s: cannot set curl options",
		             url);
		goto out;
	}
	cc = curl_easy_perform(x.c);
	if (!d->is_file && !d->bad_status)
		curl_easy_getinfo(x.c, CURLINFO_RESPONSE_CODE, &d->status);
	if (d->io_errno != 0) {
		rc = err_set(e, SL_EIO, "write %s: %s", d->part,
		             strerror(d->io_errno));
		goto out;
	}
	if (d->too_big) {
		rc = err_set(e, SL_EVERIFY,
		             "GET %s: more than the expected %llu bytes", url,
		             (unsigned long long)d->size);
		goto out;
	}
	if (d->bad_status || (!d->is_file && d->status >= 300)) {
		rc = err_set(e, d->status == 404 ? SL_ENOTFOUND : SL_ENET,
		             "GET %s: HTTP %ld", url, d->status);
		goto out;
	}
	if (cc != CURLE_OK) {
		rc = xfer_fail(&x, cc, "GET", url, e);
		goto out;
	}
	/* Empty 200 answer to a range request: the file is empty now. */
	if (!d->is_file && !d->started && d->have > 0 && d->status == 200 &&
	    dl_restart(d) < 0) {
		rc = err_set(e, SL_EIO, "truncate: %s", strerror(errno));
		goto out;
	}
	rc = SL_OK;
out:
	d->c = NULL;
	xfer_cleanup(&x);
	return rc;
}

/* Transfer until the .part holds what the server has; restart once when
 * the server refuses the range (416, or file:// past the end). */
static int
dl_fetch(struct dl *d, const char *url, const struct httpc_opts *o,
         struct err *e)
{
	uint64_t had;
	int rc, attempt;

	for (attempt = 0; attempt < 2; attempt++) {
		had = d->have;
		d->bad_status = false;
		if (d->size > 0 && had == d->size)
			return SL_OK; /* complete already: just verify */
		rc = dl_transfer(d, url, o, e);
		if (rc == SL_OK || had == 0)
			return rc;
		if (!(!d->is_file && d->status == 416) &&
		    !(d->is_file && rc == SL_ENET))
			return rc;
		if (dl_restart(d) < 0)
			return err_set(e, SL_EIO, "truncate: %s",
			               strerror(errno));
	}
	return rc;
}

static int
dl_finish(struct dl *d, const char *url, const char *part, const char *dst,
          const char *want, struct err *e)
{
	char got[HASH_HEX_LEN + 1];
	int rc;

	if (d->size > 0 && d->have != d->size) {
		rc = err_set(e, SL_EVERIFY,
		             "%s: size %llu does not match expected %llu", url,
		             (unsigned long long)d->have,
		             (unsigned long long)d->size);
		goto bad;
	}
	hash_final_hex(&d->h, got);
	if (strcmp(got, want) != 0) {
		rc = err_set(e, SL_EVERIFY,
		             "%s: SHA-256 %s does not match expected %s", url,
		             got, want);
		goto bad;
	}
	if (fsync(d->fd) < 0)
		return err_set(e, SL_EIO, "fsync %s: %s", part,
		               strerror(errno));
	if (rename(part, dst) < 0)
		return err_set(e, SL_EIO, "rename %s: %s", part,
		               strerror(errno));
	return fsx_sync_parent(dst, e);
bad:
	unlink(part);
	return rc;
}

int
httpc_download(const char *url, const char *dst, uint64_t size,
               const char *sha256, const struct httpc_opts *o, struct err *e)
{
	struct dl d = {.fd = -1, .size = size};
	struct buf part;
	char *dir = NULL, *slash;
	int rc;

	buf_init(&part, 4096);
	if (sha256 == NULL || !hash_is_hex(sha256)) {
		rc = err_set(e, SL_EINVAL,
		             "%s: expected SHA-256 is not 64 "
		             "lowercase hex digits",
		             url);
		goto out;
	}
	if ((rc = buf_printf(&part, e, "%s.part", dst)) != SL_OK)
		goto out;
	if ((dir = strdup(dst)) == NULL) {
		rc = err_set(e, SL_ENOMEM, "out of memory");
		goto out;
	}
	if ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
		*slash = '\0';
		if ((rc = fsx_mkdirs(dir, 0755, e)) != SL_OK)
			goto out;
	}
	d.part = part.data;
	if ((rc = open_part(&d, part.data, e)) != SL_OK ||
	    (rc = dl_fetch(&d, url, o, e)) != SL_OK ||
	    (rc = dl_finish(&d, url, part.data, dst, sha256, e)) != SL_OK)
		goto out;
out:
	/* An empty .part after a failure is of no use to a retry. */
	if (rc != SL_OK && d.fd >= 0 && d.have == 0)
		unlink(part.data);
	if (d.fd >= 0)
		close(d.fd);
	free(dir);
	buf_free(&part);
	return rc;
}

/* ---- URLs ---- */

/* RFC 3986 scheme ":" prefix. */
static bool
has_scheme(const char *s)
{
	const char *p = s;

	if (!isalpha((unsigned char)*p))
		return false;
	while (isalnum((unsigned char)*p) || *p == '+' || *p == '-' ||
	       *p == '.')
		p++;
	return *p == ':';
}

/* base without its fragment (and without its query when ref has one),
 * followed by ref. */
static char *
join_same_document(const char *base, const char *ref)
{
	size_t n = strcspn(base, ref[0] == '?' ? "?#" : "#");
	size_t rn = strlen(ref);
	char *r;

	if ((r = malloc(n + rn + 1)) == NULL)
		return NULL;
	memcpy(r, base, n);
	memcpy(r + n, ref, rn + 1);
	return r;
}

char *
httpc_resolve(const char *base, const char *ref)
{
	CURLU *u = NULL;
	char *s = NULL, *r = NULL;

	if (has_scheme(ref) || base == NULL || base[0] == '\0')
		return strdup(ref);
	/* Same-document references keep the base path (RFC 3986 5.2.2). */
	if (ref[0] == '\0' || ref[0] == '#' || ref[0] == '?')
		return join_same_document(base, ref);
#ifdef HTTPC_DLOPEN
	if (httpc_dl_load(&(struct err){0}) != SL_OK)
		return NULL;
#endif
	if ((u = curl_url()) == NULL)
		return NULL;
	if (curl_url_set(u, CURLUPART_URL, base, CURLU_NON_SUPPORT_SCHEME) !=
	            CURLUE_OK ||
	    curl_url_set(u, CURLUPART_URL, ref, CURLU_NON_SUPPORT_SCHEME) !=
	            CURLUE_OK ||
	    curl_url_get(u, CURLUPART_URL, &s, 0) != CURLUE_OK)
		goto out;
	r = strdup(s);
out:
	curl_free(s);
	curl_url_cleanup(u);
	return r;
}

int
httpc_global_init(struct err *e)
{
	CURLcode cc;
	int rc;

	if ((rc = hash_global_init(e)) != SL_OK)
		return rc;
#ifdef HTTPC_DLOPEN
	/* Loaded now, before any thread; after httpc_release the next
	 * transfer loads it again (from the one thread making transfers). */
	(void)cc;
	if ((rc = httpc_dl_load(e)) != SL_OK)
		return rc;
#else
	if ((cc = curl_global_init(CURL_GLOBAL_DEFAULT)) != CURLE_OK)
		return err_set(e, SL_EINTERNAL, "curl_global_init: %s",
		               curl_easy_strerror(cc));
#endif
	return SL_OK;
}

void
httpc_release(void)
{
#ifdef HTTPC_DLOPEN
	httpc_dl_release();
#endif
}

void
httpc_set_ca_file(const char *path)
{
	ca_file = path;
}
