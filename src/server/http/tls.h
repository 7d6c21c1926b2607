/*
 * tls: the certificate and key of sluiced's TLS listener ([tls] cert and
 * key, PEM) and the libmicrohttpd options that turn a listener into an
 * HTTPS one (GnuTLS underneath; TLS 1.2 and 1.3 only).
 *
 * Reloading: the listener takes its certificate from a tls_ctx through
 * GnuTLS's certificate callback at every handshake, so tls_ctx_set() with
 * a pair newly read by tls_load() changes it for new connections without
 * touching the socket or the connections in progress (http_tls_reload()
 * in http.h, called on SIGHUP). A pair that does not load (unreadable, not
 * PEM, a key that does not match the certificate) leaves the running one.
 * One TLS listener per process: the callback has no argument of its own.
 */
#ifndef SLUICE_SERVER_HTTP_TLS_H
#define SLUICE_SERVER_HTTP_TLS_H

#include <microhttpd.h>

#include "err.h"

/* Options tls_options() appends. */
#define TLS_N_OPTIONS 2

/* GnuTLS priorities: what GnuTLS calls NORMAL, less every version before
 * TLS 1.2. */
#define TLS_PRIORITIES "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"

struct tls_creds {
	char *cert_pem; /* NUL-terminated PEM text */
	char *key_pem;
};

/* Read the certificate (chain) and key files; each must hold a PEM block
 * of the right kind. On failure *out is untouched. Free with
 * tls_creds_free(). */
int tls_load(struct tls_creds *out, const char *cert_path, const char *key_path,
             struct err *e);
/* Wipe and free the PEM text; zeroes c. NULL-safe. */
void tls_creds_free(struct tls_creds *c);

/* The certificate a listener serves, replaceable while it runs. */
struct tls_ctx;

/* A context serving c (parsed and checked: the key must match the
 * certificate). Free with tls_ctx_free() after the listener stopped. */
int tls_ctx_new(struct tls_ctx **out, const struct tls_creds *c, struct err *e);
/* Serve c from the next handshake on; on failure the running pair stays.
 * Pairs replaced are kept until tls_ctx_free() (a handshake in progress may
 * still use one). */
int tls_ctx_set(struct tls_ctx *t, const struct tls_creds *c, struct err *e);
void tls_ctx_free(struct tls_ctx *t);

/* Append the certificate callback and priority options to opts (room for
 * TLS_N_OPTIONS); t must outlive the listener. Returns how many. */
size_t tls_options(struct tls_ctx *t, struct MHD_OptionItem *opts);

#endif
