/*
 * listen: binding the listening sockets (listen.h).
 */
#include "listen.h"

#include <errno.h>
#include <netdb.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* A listening socket on addr:port; reuse_port: with SO_REUSEPORT, so that
 * other processes of the same user may listen on the port too. */
static int
bind_one(int *out, const char *addr, int port, int backlog, bool reuse_port,
         struct err *e)
{
	struct addrinfo hints = {0}, *ai = NULL;
	char sport[16];
	int fd, one = 1, grc;

	snprintf(sport, sizeof(sport), "%d", port);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV | AI_PASSIVE;
	grc = getaddrinfo(addr, sport, &hints, &ai);
	if (grc != 0)
		return err_set(e, SL_EINVAL, "listen address %s: %s", addr,
		               gai_strerror(grc));
	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
	            ai->ai_protocol);
	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    (reuse_port && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one,
	                              sizeof(one)) != 0) ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 ||
	    listen(fd, backlog) != 0) {
		int saved = errno;
		if (fd >= 0)
			close(fd);
		freeaddrinfo(ai);
		return err_set(e, SL_EIO, "cannot listen on %s:%d: %s", addr,
		               port, strerror(saved));
	}
	freeaddrinfo(ai);
	*out = fd;
	return SL_OK;
}

int
http_sockets_open(struct http_sockets *out, const struct server_config *cfg,
                  struct err *e)
{
	struct http_sockets s = {.plain_fd = -1, .tls_fd = -1};
	int tls = cfg->tls_cert != NULL, rc = SL_OK;

	if (tls)
		rc = tls_load(&s.creds, cfg->tls_cert, cfg->tls_key, e);
	if (rc == SL_OK && (!tls || strcmp(cfg->tls_plain, "off") != 0))
		rc = bind_one(&s.plain_fd, cfg->listen_addr, cfg->port,
		              cfg->listen_backlog, cfg->reuse_port_on, e);
	if (rc == SL_OK && tls)
		rc = bind_one(&s.tls_fd, cfg->tls_addr, cfg->tls_port,
		              cfg->listen_backlog, cfg->reuse_port_on, e);
	if (rc != SL_OK) {
		http_sockets_close(&s);
		return rc;
	}
	*out = s;
	return SL_OK;
}

void
http_sockets_close(struct http_sockets *s)
{
	if (s == NULL)
		return;
	if (s->plain_fd >= 0)
		close(s->plain_fd);
	if (s->tls_fd >= 0)
		close(s->tls_fd);
	s->plain_fd = s->tls_fd = -1;
	tls_creds_free(&s->creds);
}
