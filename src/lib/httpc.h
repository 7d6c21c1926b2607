/*
 * httpc: the libcurl HTTP client of Sluice (file:// URLs work too).
 *
 * Bodies are bounded (cap), transfers have timeouts, at most 3 redirects
 * are followed. Downloads are resumable (Range on "<dst>.part"), verified
 * (size + SHA-256) and made visible atomically (fsync + rename).
 */
#ifndef SLUICE_HTTPC_H
#define SLUICE_HTTPC_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct httpc_opts {
	/* sent as "Authorization: Bearer <token>" when not NULL */
	const char *token;
	long timeout_s;            /* whole transfer; 0 = 300 */
	long connect_timeout_s;    /* 0 = 10 */
	long long max_bytes_per_s; /* download bandwidth limit; 0 = unlimited */
	/* When not NULL and set to true (by another thread), the transfer
	 * stops within about a second: SL_ENET "...: cancelled"; a download
	 * keeps its .part for the next attempt. */
	const atomic_bool *cancel;
	/* When not NULL, called now and then during a transfer with the
	 * bytes received so far by this request (a resumed download counts
	 * from its resume point). */
	void (*progress)(void *arg, uint64_t received);
	void *progress_arg;
	/* An HTTP(S) proxy URL ("http://[user:password@]host:port"); "" =
	 * none; NULL = curl's default (the *_proxy environment variables).
	 * Never used for file:// URLs. */
	const char *proxy;
};

struct httpc_resp {
	long status;
	char *body; /* NUL-terminated; owned by the response */
	size_t len;
};

/* Any HTTP answer (even 4xx/5xx) is SL_OK with out->status set; transport
 * failure SL_ENET (message: curl's error text + URL); body over cap ->
 * SL_ETOOBIG. For file:// URLs status is 200 on success, a missing file is
 * SL_ENOTFOUND. o may be NULL (defaults). Free out with httpc_resp_free. */
int httpc_get(struct httpc_resp *out, const char *url, size_t cap,
              const struct httpc_opts *o, struct err *e);

/* method "POST"/"PUT"/"DELETE"/...; body may be NULL; sent as
 * Content-Type: application/json */
int httpc_request(struct httpc_resp *out, const char *method, const char *url,
                  const char *body, size_t body_len, size_t cap,
                  const struct httpc_opts *o, struct err *e);

/* NULL-safe, zeroes it. */
void httpc_resp_free(struct httpc_resp *r);

/* A curl handle kept for many requests of one thread, so they share its
 * connections (HTTP keep-alive, TLS sessions) instead of opening one each.
 * Free with httpc_conn_free() (NULL-safe). */
struct httpc_conn;
int httpc_conn_new(struct httpc_conn **out, struct err *e);
void httpc_conn_free(struct httpc_conn *c);
/* httpc_get() on conn's handle. */
int httpc_conn_get(struct httpc_conn *c, struct httpc_resp *out,
                   const char *url, size_t cap, const struct httpc_opts *o,
                   struct err *e);

/* Resumable verified download: data goes to "<dst>.part" (appending with a
 * Range request when it exists, restarting from 0 if the server ignores the
 * Range); when complete, size and SHA-256 are checked; on mismatch the .part
 * is deleted and SL_EVERIFY is returned; on success it is fsynced and renamed
 * to dst. A transfer failure leaves the .part for the next attempt (SL_ENET);
 * HTTP 404 is SL_ENOTFOUND, other HTTP >= 400 SL_ENET. size may be 0 when
 * unknown (always pass the known size here). With timeout_s 0 a download
 * has no overall time limit but is aborted when stalled (< 1 byte/s) for
 * 60 s; dst's directory is created when missing. */
int httpc_download(const char *url, const char *dst, uint64_t size,
                   const char *sha256, const struct httpc_opts *o,
                   struct err *e);

/* Resolve a possibly relative reference against a base URL (base
 * "file:///x/public/" + "content/ab/ab.."). Free with free(). NULL on ENOMEM
 * (or when base/ref cannot be parsed). */
char *httpc_resolve(const char *base, const char *ref);

/* Trust only the CA certificates in this PEM file for https:// (NULL, the
 * default: the system's trust store). Peers are always verified: a
 * certificate that does not chain to a trusted CA, has expired or does not
 * name the host is a transport failure (SL_ENET). Call before any
 * transfer; path must stay valid while transfers run. */
void httpc_set_ca_file(const char *path);

/* Call once per process before threads: curl_global_init. */
int httpc_global_init(struct err *e);

/* Give back the HTTP library's memory until the next transfer: in a build
 * with HTTPC_DLOPEN (the agent's) libcurl is loaded by httpc_global_init,
 * unloaded here and loaded again by the next transfer; otherwise a no-op.
 * Call with no transfer running; after it, make transfers from one thread
 * only (loading again is not thread-safe). */
void httpc_release(void);

#endif
