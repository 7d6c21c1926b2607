/*
 * listen: sluiced's listening sockets and TLS credentials, made before
 * anything else so that a server started as root binds its ports (and
 * reads a root-only TLS key) and then drops to its own account
 * (privdrop.h); http_start() takes them over.
 */
#ifndef SLUICE_SERVER_HTTP_LISTEN_H
#define SLUICE_SERVER_HTTP_LISTEN_H

#include "config.h"
#include "err.h"
#include "tls.h"

struct http_sockets {
	int plain_fd; /* server.listen; -1 when tls.plain = off */
	int tls_fd;   /* tls.listen; -1 without [tls] */
	struct tls_creds creds;
};

/* Bind and listen (backlog limits.backlog) on the configured addresses
 * and read the TLS certificate and key. On failure nothing is left open.
 * Release with http_sockets_close() unless http_start() took them. */
int http_sockets_open(struct http_sockets *out, const struct server_config *cfg,
                      struct err *e);
/* Close what is still open and wipe the key; NULL-safe. */
void http_sockets_close(struct http_sockets *s);

#endif
