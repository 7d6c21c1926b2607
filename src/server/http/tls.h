/*
 * tls: the certificate and key of sluiced's TLS listener ([tls] cert and
 * key, PEM) and the libmicrohttpd options that turn a listener into an
 * HTTPS one (GnuTLS underneath; TLS 1.2 and 1.3 only).
 *
 * Reloading: tls_load() reads both files afresh and checks them; the
 * listener is restarted on the same socket with the new pair by
 * http_tls_reload() (http.h), which a SIGHUP handler calls.
 */
#ifndef SLUICE_SERVER_HTTP_TLS_H
#define SLUICE_SERVER_HTTP_TLS_H

#include <microhttpd.h>

#include "err.h"

/* Options tls_options() appends. */
#define TLS_N_OPTIONS 3

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

/* Append the certificate, key and priority options to opts (room for
 * TLS_N_OPTIONS); c must outlive the listener. Returns how many. */
size_t tls_options(const struct tls_creds *c, struct MHD_OptionItem *opts);

#endif
