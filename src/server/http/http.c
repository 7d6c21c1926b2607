/*
 * http: libmicrohttpd glue — request accumulation with a cap, route
 * matching, authentication, JSON replies and errors, per-thread
 * database connections (store.h). Handlers live in api/; the table in
 * routes.c.
 */
#include "http.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "access_log.h"
#include "api_console.h"
#include "auth.h"
#include "buf.h"
#include "connlimit.h"
#include "content_send.h"
#include "listen.h"
#include "log.h"
#include "metrics.h"
#include "tls.h"

#define PATH_MAX_LEN 2048
/* libmicrohttpd's memory pool per connection (listener_start()). */
#define HTTP_POOL_SIZE 8192

/* One listening daemon: the plain one (server.listen) and, with [tls],
 * the HTTPS one. content_only: the plain listener while TLS is on with
 * tls.plain = content. */
struct listener {
	struct http *h;
	struct MHD_Daemon *d;
	int content_only;
	int tls_on;
};

struct http {
	struct listener plain, tls;
	struct csend *sender; /* the plain listener's accept loop */
	struct connlimit *limits;
	struct tls_ctx *tls_ctx; /* the TLS listener's certificate */
	const struct http_env *env;
	pthread_key_t db_key;
	/* A worker thread's spare conn_state: a request takes it, its
	 * completion gives it back (no allocation per request). */
	pthread_key_t spare_key;
	int key_made, spare_made;
};

/* Per-request state across the access handler's calls. */
struct conn_state {
	struct buf body;
	int too_big;
	/* The '*' segments of the path: in pbuf when they fit (a content
	 * hash does), else their own allocation (owned). */
	char *params[HTTP_MAX_PARAMS];
	unsigned char owned[HTTP_MAX_PARAMS];
	char pbuf[160];
	/* For the access log and metrics, when the request completes. */
	uint64_t t0_us;
	int route; /* index in routes[]; -1 none */
	int status;
	uint64_t bytes;
	int corked; /* TCP_CORK set for this response (release it) */
	char method[16];
	char path[256]; /* cleaned for a log line (access_log_clean()) */
};

static uint64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* The body length of the last response this thread built and the status
 * it queued (dispatch() hands them to the access log and metrics). */
static _Thread_local uint64_t last_json_len;
static _Thread_local int last_status;

static void
db_key_destroy(void *p)
{
	store_close(p);
}

static struct store *
thread_db(struct http *h, struct err *e)
{
	struct store *db = pthread_getspecific(h->db_key);

	if (db != NULL)
		return db;
	if (store_open(&db, h->env->cfg->db_path, e) != SL_OK)
		return NULL;
	if (pthread_setspecific(h->db_key, db) != 0) {
		store_close(db);
		err_set(e, SL_EINTERNAL, "pthread_setspecific failed");
		return NULL;
	}
	return db;
}

struct MHD_Response *
http_json_response(json_t *v)
{
	char *s;

	s = json_dumps(v, JSON_COMPACT);
	json_decref(v);
	if (s == NULL)
		return NULL;
	last_json_len = strlen(s);
	return http_json_text_response(s, strlen(s));
}

struct MHD_Response *
http_json_text_response(char *s, size_t len)
{
	struct MHD_Response *resp;

	resp = MHD_create_response_from_buffer(len, s, MHD_RESPMEM_MUST_FREE);
	if (resp == NULL) {
		free(s);
		return NULL;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
	                        "application/json");
	return resp;
}

#define HTTP_RETRY_AFTER_S "5"

static enum MHD_Result
queue_json(struct MHD_Connection *conn, int status, json_t *v)
{
	struct MHD_Response *resp = http_json_response(v);
	enum MHD_Result ret;

	if (resp == NULL)
		return MHD_NO;
	last_status = status;
	/* 503: the database is away (another front-end or a moment later
	 * will do); clients and load balancers retry. */
	if (status == 503)
		MHD_add_response_header(resp, "Retry-After",
		                        HTTP_RETRY_AFTER_S);
	ret = MHD_queue_response(conn, (unsigned)status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* Set or clear TCP_CORK on conn's socket (plain listeners only: a TLS
 * listener's records are not sendfile()d). 1 when it was set. */
static int
cork(struct listener *li, struct MHD_Connection *conn, int on)
{
	const union MHD_ConnectionInfo *ci;

	if (li->tls_on)
		return 0;
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (ci == NULL)
		return 0;
	return setsockopt(ci->connect_fd, IPPROTO_TCP, TCP_CORK, &on,
	                  sizeof(on)) == 0;
}

/* Text from a request fit for one log line: control bytes become '?' (MHD
 * has already percent-decoded the path), long text is cut. */
static const char *
log_path(char *out, size_t n, const char *url)
{
	size_t i;

	for (i = 0; url[i] && i + 4 < n; i++)
		out[i] = ((unsigned char)url[i] < 0x20 || url[i] == 0x7f)
		                 ? '?'
		                 : url[i];
	if (url[i]) {
		memcpy(out + i, "...", 3);
		i += 3;
	}
	out[i] = '\0';
	return out;
}

static enum MHD_Result
queue_error(struct MHD_Connection *conn, const char *method, const char *url,
            int status, const struct err *e)
{
	char lp[256], lm[ERR_MSG_MAX];
	json_t *v;

	if (status == 0)
		status = err_http_status(e->code);
	if (status >= 500)
		log_warn("%s %s -> %d %s: %s", method,
		         log_path(lp, sizeof(lp), url), status,
		         err_name(e->code), log_path(lm, sizeof(lm), e->msg));
	else
		log_info("%s %s -> %d %s: %s", method,
		         log_path(lp, sizeof(lp), url), status,
		         err_name(e->code), log_path(lm, sizeof(lm), e->msg));
	v = json_pack("{s:{s:s,s:s}}", "error", "code", err_name(e->code),
	              "message", e->msg);
	if (v == NULL)
		return MHD_NO;
	return queue_json(conn, status, v);
}

int
http_json_body(json_t **out, const struct req *r, struct err *e)
{
	json_error_t je;
	json_t *v;

	if (r->body_len == 0)
		return err_set(e, SL_EPARSE,
		               "request body: expected a JSON "
		               "object, got nothing");
	v = json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES, &je);
	if (v == NULL)
		return err_set(e, SL_EPARSE,
		               "request body: line %d column %d: %s", je.line,
		               je.column, je.text);
	if (!json_is_object(v)) {
		json_decref(v);
		return err_set(e, SL_EPARSE,
		               "request body: expected a JSON object");
	}
	*out = v;
	return SL_OK;
}

static int
host_ok(const char *h)
{
	if (*h == '\0' || strlen(h) > 255)
		return 0;
	for (; *h; h++)
		if (!((*h >= 'a' && *h <= 'z') || (*h >= 'A' && *h <= 'Z') ||
		      (*h >= '0' && *h <= '9') || *h == '.' || *h == '-' ||
		      *h == ':' || *h == '[' || *h == ']'))
			return 0;
	return 1;
}

int
http_public_base(char *out, size_t n, const struct req *r, struct err *e)
{
	const struct server_config *cfg = r->env->cfg;
	const char *host;
	size_t len;
	int w;

	if (cfg->public_url != NULL) {
		len = strlen(cfg->public_url);
		while (len > 0 && cfg->public_url[len - 1] == '/')
			len--;
		w = snprintf(out, n, "%.*s", (int)len, cfg->public_url);
	} else {
		const union MHD_ConnectionInfo *ci = MHD_get_connection_info(
		        r->conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
		const char *scheme = ci != NULL && ci->tls_session != NULL
		                             ? "https"
		                             : "http";
		host = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
		                                   MHD_HTTP_HEADER_HOST);
		if (host != NULL && host_ok(host))
			w = snprintf(out, n, "%s://%s", scheme, host);
		else
			w = snprintf(out, n, "http://%s:%d", cfg->listen_addr,
			             cfg->port);
	}
	if (w < 0 || (size_t)w >= n)
		return err_set(e, SL_ETOOBIG, "public base URL too long");
	return SL_OK;
}

/* Match path against pattern segment by segment; '*' matches one
 * non-empty segment, whose bounds go to starts/lens. */
static int
match(const char *pat, const char *path, const char *starts[], size_t lens[],
      size_t *n_params)
{
	size_t np = 0;

	while (*pat && *path) {
		if (*pat == '*') {
			const char *end = strchr(path, '/');
			size_t len = end ? (size_t)(end - path) : strlen(path);
			if (len == 0 || np >= HTTP_MAX_PARAMS)
				return 0;
			starts[np] = path;
			lens[np++] = len;
			path += len;
			pat++;
			continue;
		}
		if (*pat != *path)
			return 0;
		pat++;
		path++;
	}
	if (*pat != '\0' || *path != '\0')
		return 0;
	*n_params = np;
	return 1;
}

static const struct route *
find_route(const char *method, const char *path, struct conn_state *st,
           int *method_mismatch)
{
	const char *starts[HTTP_MAX_PARAMS];
	size_t lens[HTTP_MAX_PARAMS], np, used = 0;

	*method_mismatch = 0;
	for (size_t i = 0; i < n_routes; i++) {
		if (!match(routes[i].pattern, path, starts, lens, &np))
			continue;
		if (strcmp(routes[i].method, method) != 0) {
			*method_mismatch = 1;
			continue;
		}
		for (size_t k = 0; k < np; k++) {
			if (lens[k] < sizeof(st->pbuf) - used) {
				st->params[k] = st->pbuf + used;
				memcpy(st->params[k], starts[k], lens[k]);
				st->params[k][lens[k]] = '\0';
				used += lens[k] + 1;
				continue;
			}
			st->params[k] = strndup(starts[k], lens[k]);
			if (st->params[k] == NULL)
				return NULL;
			st->owned[k] = 1;
		}
		return &routes[i];
	}
	return NULL;
}

static int
authenticate(struct req *r, enum route_auth need, struct err *e)
{
	const char *hdr, *token;
	int rc;

	if (need == AUTH_NONE)
		return SL_OK;
	hdr = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
	                                  MHD_HTTP_HEADER_AUTHORIZATION);
	/* The web console's session cookie stands for an admin token
	 * (api_console.c: CSRF token and reporter checks there). */
	if (hdr == NULL && need == AUTH_ADMIN &&
	    MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND,
	                                CONSOLE_COOKIE) != NULL)
		return console_session_auth(&r->admin_id, r, e);
	rc = auth_bearer(&token, hdr, e);
	if (rc != SL_OK)
		return rc;
	if (need == AUTH_COMPUTER)
		return auth_computer_sync(r->computer_id, &r->computer_sync,
		                          &r->computer_seq, r->env->tokens,
		                          r->store, token, e);
	if (need == AUTH_DOWNSTREAM)
		return auth_downstream(&r->downstream_id, r->downstream_name,
		                       r->store, token, e);
	return auth_admin_for(&r->admin_id, r->store, token, r->method, e);
}

static enum MHD_Result
dispatch_route(struct listener *li, struct MHD_Connection *conn,
               const char *url, const char *method, struct conn_state *st)
{
	struct http *h = li->h;
	struct req r = {.conn = conn, .method = method, .path = url};
	struct reply rep = {0};
	const struct route *rt;
	struct err e;
	enum MHD_Result ret;
	int mismatch = 0, rc;

	err_clear(&e);
	connlimit_request_received(conn);
	if (st->too_big) {
		err_set(&e, SL_ETOOBIG, "request body over %u bytes",
		        HTTP_BODY_MAX);
		return queue_error(conn, method, url, 0, &e);
	}
	if (strlen(url) > PATH_MAX_LEN) {
		err_set(&e, SL_ETOOBIG, "request path too long");
		return queue_error(conn, method, url, 414, &e);
	}
	rt = find_route(method, url, st, &mismatch);
	if (rt == NULL) {
		if (mismatch) {
			err_set(&e, SL_EUNSUPPORTED,
			        "method %s not allowed on %s", method, url);
			return queue_error(conn, method, url, 405, &e);
		}
		err_set(&e, SL_ENOTFOUND, "no such resource: %s", url);
		return queue_error(conn, method, url, 0, &e);
	}
	st->route = (int)(rt - routes);
	if (li->content_only && !rt->no_db) {
		err_set(&e, SL_EDENIED,
		        "this listener serves only /content/ over plain HTTP: "
		        "use the server's https:// URL");
		return queue_error(conn, method, url, 403, &e);
	}
	for (size_t k = 0; k < HTTP_MAX_PARAMS; k++)
		r.params[k] = st->params[k];
	r.body = st->body.data ? st->body.data : "";
	r.body_len = st->body.len;
	r.env = h->env;
	if (!rt->no_db) {
		r.store = thread_db(h, &e);
		if (r.store == NULL) {
			err_prefix(&e, "database");
			return queue_error(conn, method, url, 0, &e);
		}
	}
	rc = authenticate(&r, rt->auth, &e);
	if (rc == SL_OK)
		rc = routes_replica_refuse(&r, rt, &e);
	if (rc == SL_OK)
		rc = rt->fn(&r, &rep, &e);
	if (rc != SL_OK) {
		json_decref(rep.json);
		if (rep.raw)
			MHD_destroy_response(rep.raw);
		return queue_error(conn, method, url, 0, &e);
	}
	if (rep.status == 0)
		rep.status = MHD_HTTP_OK;
	if (rep.raw != NULL) {
		/* Released in on_completed(), after the last byte. */
		if (rep.cork)
			st->corked = cork(li, conn, 1);
		ret = MHD_queue_response(conn, (unsigned)rep.status, rep.raw);
		MHD_destroy_response(rep.raw);
		json_decref(rep.json);
		last_status = rep.status;
		/* A raw body made by http_json_response() counted itself. */
		if (rep.bytes != 0)
			last_json_len = rep.bytes;
	} else {
		if (rep.json == NULL)
			rep.json = json_object();
		ret = queue_json(conn, rep.status, rep.json);
	}
	return ret;
}

/* Route the request and keep what the access log and the metrics need
 * when it completes (on_completed()). */
static enum MHD_Result
dispatch(struct listener *li, struct MHD_Connection *conn, const char *url,
         const char *method, struct conn_state *st)
{
	enum MHD_Result ret;

	last_status = 0;
	last_json_len = 0;
	ret = dispatch_route(li, conn, url, method, st);
	st->status = last_status;
	st->bytes = last_json_len;
	return ret;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url,
           const char *method, const char *version, const char *upload,
           size_t *upload_size, void **con_cls)
{
	struct listener *li = cls;
	struct conn_state *st = *con_cls;
	const char *cl;
	struct err e;

	(void)version;
	if (st == NULL) {
		st = pthread_getspecific(li->h->spare_key);
		if (st != NULL) {
			pthread_setspecific(li->h->spare_key, NULL);
			memset(st, 0, sizeof(*st));
		} else if ((st = calloc(1, sizeof(*st))) == NULL) {
			return MHD_NO;
		}
		buf_init(&st->body, HTTP_BODY_MAX);
		st->t0_us = now_us();
		st->route = -1;
		if (access_log_enabled()) {
			access_log_clean(st->method, sizeof(st->method),
			                 method);
			access_log_clean(st->path, sizeof(st->path), url);
		}
		*con_cls = st;
		cl = MHD_lookup_connection_value(
		        conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl != NULL && (strlen(cl) > 10 ||
		                   strtoull(cl, NULL, 10) > HTTP_BODY_MAX)) {
			/* Refuse before reading the body. */
			err_clear(&e);
			err_set(&e, SL_ETOOBIG, "request body over %u bytes",
			        HTTP_BODY_MAX);
			st->too_big = 2;
			last_status = 0;
			last_json_len = 0;
			if (queue_error(conn, method, url, 0, &e) != MHD_YES)
				return MHD_NO;
			st->status = last_status;
			st->bytes = last_json_len;
			return MHD_YES;
		}
		return MHD_YES;
	}
	if (*upload_size != 0) {
		if (!st->too_big && buf_append(&st->body, upload, *upload_size,
		                               NULL) != SL_OK) {
			st->too_big = 1;
			buf_free(&st->body);
		}
		*upload_size = 0;
		return MHD_YES;
	}
	if (st->too_big == 2)
		return MHD_YES; /* already answered */
	return dispatch(li, conn, url, method, st);
}

static void
on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
             enum MHD_RequestTerminationCode toe)
{
	struct listener *li = cls;
	struct conn_state *st = *con_cls;
	uint64_t usec;

	(void)toe;
	connlimit_request_done(li->h->limits, conn);
	if (st == NULL)
		return;
	if (st->corked)
		cork(li, conn, 0);
	if (st->status != 0) {
		usec = now_us() - st->t0_us;
		metrics_request(st->route, st->status, st->bytes, usec);
		if (access_log_enabled())
			access_log_write(conn, st->method, st->path, st->status,
			                 st->bytes, usec);
	}
	buf_free(&st->body);
	for (size_t k = 0; k < HTTP_MAX_PARAMS; k++)
		if (st->owned[k])
			free(st->params[k]);
	*con_cls = NULL;
	if (pthread_getspecific(li->h->spare_key) == NULL &&
	    pthread_setspecific(li->h->spare_key, st) == 0)
		return;
	free(st);
}

/* Start one listener of at most max connections on the bound socket fd
 * (TLS with h->creds when tls); fd < 0: no listening socket (the content
 * sender accepts and hands connections over). The daemon owns fd from
 * here on, also on failure. */
static int
listener_start(struct listener *li, struct http *h, int fd, const char *addr,
               int port, int tls, unsigned int max, struct err *e)
{
	const struct server_config *cfg = h->env->cfg;
	struct MHD_OptionItem opts[CONNLIMIT_N_OPTIONS + TLS_N_OPTIONS + 2];
	/* TURBO: accept4() with the flags set, no extra fcntl() per
	 * connection. */
	unsigned int flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_TURBO;
	size_t n;

	li->h = h;
	li->tls_on = tls;
	n = connlimit_options(h->limits, opts, max);
	if (tls) {
		flags |= MHD_USE_TLS;
		n += tls_options(h->tls_ctx, opts + n);
	}
	if (fd >= 0)
		opts[n++] = (struct MHD_OptionItem){MHD_OPTION_LISTEN_SOCKET,
		                                    fd, NULL};
	else
		flags |= MHD_USE_NO_LISTEN_SOCKET | MHD_USE_ITC;
	opts[n] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
	li->d = MHD_start_daemon(
	        flags, fd >= 0 ? (uint16_t)port : 0, NULL, NULL, on_request, li,
	        MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)cfg->http_threads,
	        MHD_OPTION_NOTIFY_COMPLETED, on_completed, li,
	        /* MHD zeroes a connection's memory pool
	         * between requests (and half of it again
	         * once the header is read): at 512
	         * connections 16 KB pools left the cache
	         * and the zeroing cost 0.5 us per answer.
	         * 8 KB (not MHD's 32 KB default) holds a
	         * request header of up to 7 KB, as
	         * nginx's 8 KB header line buffers do;
	         * bodies stream in pieces. */
	        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTP_POOL_SIZE,
	        MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
	if (li->d == NULL) {
		if (fd >= 0)
			close(fd);
		return err_set(
		        e, SL_EIO,
		        tls ? "cannot serve TLS on %s:%d (tls.cert and "
		              "tls.key are not a matching certificate and "
		              "key?)"
		            : "cannot serve on %s:%d",
		        addr, port);
	}
	return SL_OK;
}

/* The index in routes[] of method on /content/ (-1: none). */
static int
content_route(const char *method)
{
	for (size_t i = 0; i < n_routes; i++)
		if (strcmp(routes[i].pattern, "/content/*") == 0 &&
		    strcmp(routes[i].method, method) == 0)
			return (int)i;
	return -1;
}

/* The plain listener: libmicrohttpd without a listening socket, and the
 * content sender accepting on fd (taken over) in front of it, with an
 * eighth of the listener's connections. */
static int
plain_start(struct http *h, int fd, unsigned int share, struct err *e)
{
	const struct server_config *cfg = h->env->cfg;
	unsigned int max = connlimit_share(h->limits, share);
	struct csend_config sc = {
	        .content_dir = cfg->content_dir,
	        .threads = (unsigned int)cfg->http_threads,
	        .max_conns = max / 8 > 0 ? max / 8 : 1,
	        .idle_timeout = (unsigned int)cfg->idle_timeout,
	        .route_get = content_route("GET"),
	        .route_head = content_route("HEAD"),
	};
	int rc;

	rc = listener_start(&h->plain, h, -1, cfg->listen_addr, cfg->port, 0,
	                    max - sc.max_conns > 0 ? max - sc.max_conns : 1, e);
	if (rc != SL_OK) {
		close(fd);
		return rc;
	}
	return csend_start(&h->sender, fd, h->plain.d, &sc, e);
}

int
http_start(struct http **out, const struct http_env *env,
           struct http_sockets *socks, struct err *e)
{
	const struct server_config *cfg = env->cfg;
	struct http_sockets own = {.plain_fd = -1, .tls_fd = -1};
	struct http *h;
	int rc, fd;

	if (socks == NULL) {
		rc = http_sockets_open(&own, cfg, e);
		if (rc != SL_OK)
			return rc;
		socks = &own;
	}
	h = calloc(1, sizeof(*h));
	if (h == NULL) {
		http_sockets_close(socks);
		return err_set(e, SL_ENOMEM, "out of memory");
	}
	h->env = env;
	if (socks->tls_fd >= 0 &&
	    (rc = tls_ctx_new(&h->tls_ctx, &socks->creds, e)) != SL_OK)
		goto out;
	tls_creds_free(&socks->creds);
	if (pthread_key_create(&h->db_key, db_key_destroy) != 0) {
		rc = err_set(e, SL_EINTERNAL, "pthread_key_create failed");
		goto out;
	}
	h->key_made = 1;
	if (pthread_key_create(&h->spare_key, free) != 0) {
		rc = err_set(e, SL_EINTERNAL, "pthread_key_create failed");
		goto out;
	}
	h->spare_made = 1;
	rc = connlimit_new(&h->limits, cfg, e);
	if (rc == SL_OK && socks->plain_fd >= 0) {
		h->plain.content_only = socks->tls_fd >= 0 &&
		                        strcmp(cfg->tls_plain, "content") == 0;
		fd = socks->plain_fd;
		socks->plain_fd = -1;
		rc = plain_start(h, fd, socks->tls_fd >= 0 ? 2 : 1, e);
	}
	if (rc == SL_OK && socks->tls_fd >= 0) {
		fd = socks->tls_fd;
		socks->tls_fd = -1;
		rc = listener_start(
		        &h->tls, h, fd, cfg->tls_addr, cfg->tls_port, 1,
		        connlimit_share(h->limits, h->plain.d != NULL ? 2 : 1),
		        e);
	}
	if (rc != SL_OK)
		goto out;
	*out = h;
	h = NULL;
out:
	http_sockets_close(socks);
	http_stop(h);
	return rc;
}

int
http_tls_reload(struct http *h, struct err *e)
{
	const struct server_config *cfg = h->env->cfg;
	struct tls_creds c;
	int rc;

	if (h->tls_ctx == NULL)
		return SL_OK;
	if ((rc = tls_load(&c, cfg->tls_cert, cfg->tls_key, e)) != SL_OK)
		return rc;
	rc = tls_ctx_set(h->tls_ctx, &c, e);
	tls_creds_free(&c);
	return rc;
}

unsigned int
http_max_connections(const struct http *h)
{
	return connlimit_max_connections(h->limits);
}

void
http_stop(struct http *h)
{
	if (h == NULL)
		return;
	csend_stop(h->sender); /* it hands connections to h->plain.d */
	if (h->plain.d)
		MHD_stop_daemon(h->plain.d);
	if (h->tls.d)
		MHD_stop_daemon(h->tls.d);
	connlimit_free(h->limits);
	tls_ctx_free(h->tls_ctx);
	if (h->key_made)
		pthread_key_delete(h->db_key);
	if (h->spare_made)
		pthread_key_delete(h->spare_key);
	free(h);
}
