/*
 * http: sluiced's HTTP front end on libmicrohttpd (epoll, thread pool).
 *
 * A request is matched against the one route table (routes.c: method,
 * path pattern, handler, required role); its body is accumulated under a
 * cap (HTTP_BODY_MAX, 413 beyond it); the caller's token is checked for the
 * route's role; the handler fills a struct reply. Every failure becomes a
 * JSON error body {"error":{"code","message"}} with the status from
 * err_http_status(). Each worker thread has its own database connection
 * (a struct store), opened on first use and closed when the thread ends.
 */
#ifndef SLUICE_SERVER_HTTP_H
#define SLUICE_SERVER_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <microhttpd.h>

#include "config.h"
#include "store/store.h"
#include "err.h"

struct store_tokcache;

#define HTTP_BODY_MAX   (1u << 20) /* JSON request bodies */
#define HTTP_MAX_PARAMS 2

struct sched;
struct fetch;

/* Shared, read-mostly state every handler may use. */
struct api_origin_cache;

struct http_env {
	const struct server_config *cfg;
	struct sched *sched; /* sync scheduler (never NULL in sluiced) */
	struct fetch *fetch; /* background downloads; may be NULL */
	/* Last-contact times batched in memory (store_contact.h); NULL:
	 * each sync writes its contact itself. */
	struct store_contacts *contacts;
	/* Agents' token answers kept in memory (store_tokcache.h); NULL:
	 * every agent request reads its token's row. */
	struct store_tokcache *tokens;
	/* The origin's key list and timestamp, cached (api_origin.h); NULL:
	 * read at each request. */
	struct api_origin_cache *origin;
};

/* AUTH_DOWNSTREAM: a downstream sluiced's server token (api_upstream.c). */
enum route_auth { AUTH_NONE, AUTH_COMPUTER, AUTH_ADMIN, AUTH_DOWNSTREAM };

struct req {
	struct MHD_Connection *conn;
	const char *method;
	const char *path;
	const char *body; /* NUL-terminated; "" when none */
	size_t body_len;
	const char *params[HTTP_MAX_PARAMS]; /* the '*' segments of the path */
	struct store *store; /* this thread's database connection */
	const struct http_env *env;
	char computer_id[64]; /* set for AUTH_COMPUTER routes */
	/* AUTH_COMPUTER routes: the computer's sync state and the change
	 * sequence, read with its token (one snapshot). */
	struct store_computer_sync computer_sync;
	int64_t computer_seq;
	int64_t admin_id;      /* set for AUTH_ADMIN routes */
	int64_t downstream_id; /* set for AUTH_DOWNSTREAM routes */
	char downstream_name[128];
};

/* What a handler answers: a JSON body (reference handed over) or a raw
 * MHD response (handed over); status defaults to 200. */
struct reply {
	int status;
	json_t *json;
	struct MHD_Response *raw;
	uint64_t bytes; /* body bytes of raw (access log, metrics) */
	/* 1: hold the header back until the body joins it (TCP_CORK over
	 * plain TCP, released when the response completes), so a file's
	 * header and first bytes leave in one segment. */
	int cork;
};

typedef int (*route_fn)(struct req *r, struct reply *out, struct err *e);

struct route {
	const char *method;
	const char *pattern; /* "/v1/admin/computers/ * /group" ('*' = one
	                        segment) */
	route_fn fn;
	enum route_auth auth;
	int no_db; /* 1: the handler never touches the database (hot path) */
};

extern const struct route routes[];
extern const size_t n_routes;

/* SL_ECONFLICT naming the upstream when this server is a replica and rt
 * changes groups, approvals or approval rules (the list is in
 * routes.c); SL_OK otherwise. */
int routes_replica_refuse(const struct req *r, const struct route *rt,
                          struct err *e);

struct http;
struct http_sockets;

/* Start listening on cfg->listen_addr:cfg->port (plain HTTP) and, with
 * [tls], on cfg->tls_addr:cfg->tls_port (HTTPS), with cfg->threads worker
 * threads each and the [limits] of http/limits.h. env must outlive the server.
 * Free with http_stop(). */
/* socks: the sockets and TLS credentials of http_sockets_open() (listen.h),
 * taken over (also on failure); NULL: open them here. */
int http_start(struct http **out, const struct http_env *env,
               struct http_sockets *socks, struct err *e);
/* The global connection limit in effect (http/limits.h). */
unsigned int http_max_connections(const struct http *h);

/* Read [tls] cert and key again and serve them from the next handshake
 * on (tls.h); on failure the running pair stays. SL_OK without TLS. */
int http_tls_reload(struct http *h, struct err *e);

/* Stop accepting, finish, join the workers. NULL-safe. */
void http_stop(struct http *h);

/* Parse r->body as a JSON object (SL_EPARSE with jansson's position). */
int http_json_body(json_t **out, const struct req *r, struct err *e);

/* The base URL for content links: cfg public_url, else "http://" + Host.
 * Writes at most n bytes; no trailing '/'. */
int http_public_base(char *out, size_t n, const struct req *r, struct err *e);

/* A JSON response with the given status (consumes the reference). */
struct MHD_Response *http_json_response(json_t *v);

/* A JSON response of the text s (len bytes, from malloc), for answers
 * written as text rather than built as a tree; the response owns s, and s
 * is freed when it cannot be made (NULL: out of memory). */
struct MHD_Response *http_json_text_response(char *s, size_t len);

#endif
