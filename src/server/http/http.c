/*
 * http: libmicrohttpd glue — request accumulation with a cap, route
 * matching, authentication, JSON replies and errors, per-thread
 * database connections (store.h). Handlers live in api/; the table in
 * routes.c.
 */
#include "http.h"

#include <netdb.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "auth.h"
#include "buf.h"
#include "log.h"

#define PATH_MAX_LEN 2048

struct http {
	struct MHD_Daemon *d;
	const struct http_env *env;
	pthread_key_t db_key;
	int key_made;
};

/* Per-connection state across the access handler's calls. */
struct conn_state {
	struct buf body;
	int too_big;
	char *params[HTTP_MAX_PARAMS];
};

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
	struct MHD_Response *resp;
	char *s;

	s = json_dumps(v, JSON_COMPACT);
	json_decref(v);
	if (s == NULL)
		return NULL;
	resp = MHD_create_response_from_buffer(strlen(s), s,
	                                       MHD_RESPMEM_MUST_FREE);
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
	/* 503: the database is away (another front-end or a moment later
	 * will do); clients and load balancers retry. */
	if (status == 503)
		MHD_add_response_header(resp, "Retry-After",
		                        HTTP_RETRY_AFTER_S);
	ret = MHD_queue_response(conn, (unsigned)status, resp);
	MHD_destroy_response(resp);
	return ret;
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
		host = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
		                                   MHD_HTTP_HEADER_HOST);
		if (host != NULL && host_ok(host))
			w = snprintf(out, n, "http://%s", host);
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
	size_t lens[HTTP_MAX_PARAMS], np;

	*method_mismatch = 0;
	for (size_t i = 0; i < n_routes; i++) {
		if (!match(routes[i].pattern, path, starts, lens, &np))
			continue;
		if (strcmp(routes[i].method, method) != 0) {
			*method_mismatch = 1;
			continue;
		}
		for (size_t k = 0; k < np; k++) {
			st->params[k] = strndup(starts[k], lens[k]);
			if (st->params[k] == NULL)
				return NULL;
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
	rc = auth_bearer(&token, hdr, e);
	if (rc != SL_OK)
		return rc;
	if (need == AUTH_COMPUTER)
		return auth_computer(r->computer_id, r->store, token, e);
	if (need == AUTH_DOWNSTREAM)
		return auth_downstream(&r->downstream_id, r->downstream_name,
		                       r->store, token, e);
	return auth_admin_for(&r->admin_id, r->store, token, r->method, e);
}

static enum MHD_Result
dispatch(struct http *h, struct MHD_Connection *conn, const char *url,
         const char *method, struct conn_state *st)
{
	struct req r = {.conn = conn, .method = method, .path = url};
	struct reply rep = {0};
	const struct route *rt;
	char lp[256];
	struct err e;
	enum MHD_Result ret;
	int mismatch = 0, rc;

	err_clear(&e);
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
		ret = MHD_queue_response(conn, (unsigned)rep.status, rep.raw);
		MHD_destroy_response(rep.raw);
		json_decref(rep.json);
	} else {
		if (rep.json == NULL)
			rep.json = json_object();
		ret = queue_json(conn, rep.status, rep.json);
	}
	/* Content downloads are the hot path: their successes are logged at
	 * debug level only (failures always are). */
	if (rt->no_db)
		log_debug("%s %s -> %d", method, log_path(lp, sizeof(lp), url),
		          rep.status);
	else
		log_info("%s %s -> %d", method, log_path(lp, sizeof(lp), url),
		         rep.status);
	return ret;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url,
           const char *method, const char *version, const char *upload,
           size_t *upload_size, void **con_cls)
{
	struct http *h = cls;
	struct conn_state *st = *con_cls;
	const char *cl;
	struct err e;

	(void)version;
	if (st == NULL) {
		st = calloc(1, sizeof(*st));
		if (st == NULL)
			return MHD_NO;
		buf_init(&st->body, HTTP_BODY_MAX);
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
			return queue_error(conn, method, url, 0, &e);
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
	return dispatch(h, conn, url, method, st);
}

static void
on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
             enum MHD_RequestTerminationCode toe)
{
	struct conn_state *st = *con_cls;

	(void)cls;
	(void)conn;
	(void)toe;
	if (st == NULL)
		return;
	buf_free(&st->body);
	for (size_t k = 0; k < HTTP_MAX_PARAMS; k++)
		free(st->params[k]);
	free(st);
	*con_cls = NULL;
}

int
http_start(struct http **out, const struct http_env *env, struct err *e)
{
	const struct server_config *cfg = env->cfg;
	struct addrinfo hints = {0}, *ai = NULL;
	unsigned int flags = MHD_USE_EPOLL_INTERNAL_THREAD;
	struct http *h;
	char port[16];
	int rc, grc;

	h = calloc(1, sizeof(*h));
	if (h == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	h->env = env;
	if (pthread_key_create(&h->db_key, db_key_destroy) != 0) {
		rc = err_set(e, SL_EINTERNAL, "pthread_key_create failed");
		goto out;
	}
	h->key_made = 1;
	snprintf(port, sizeof(port), "%d", cfg->port);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV | AI_PASSIVE;
	grc = getaddrinfo(cfg->listen_addr, port, &hints, &ai);
	if (grc != 0) {
		rc = err_set(e, SL_EINVAL, "listen address %s: %s",
		             cfg->listen_addr, gai_strerror(grc));
		goto out;
	}
	if (ai->ai_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	h->d = MHD_start_daemon(
	        flags, (uint16_t)cfg->port, NULL, NULL, on_request, h,
	        MHD_OPTION_SOCK_ADDR, ai->ai_addr, MHD_OPTION_THREAD_POOL_SIZE,
	        (unsigned int)cfg->threads, MHD_OPTION_NOTIFY_COMPLETED,
	        on_completed, h, MHD_OPTION_CONNECTION_TIMEOUT,
	        (unsigned int)120, MHD_OPTION_END);
	if (h->d == NULL) {
		rc = err_set(e, SL_EIO,
		             "cannot listen on %s:%d (address in use or not "
		             "available)",
		             cfg->listen_addr, cfg->port);
		goto out;
	}
	*out = h;
	h = NULL;
	rc = SL_OK;
out:
	if (ai)
		freeaddrinfo(ai);
	http_stop(h);
	return rc;
}

void
http_stop(struct http *h)
{
	if (h == NULL)
		return;
	if (h->d)
		MHD_stop_daemon(h->d);
	if (h->key_made)
		pthread_key_delete(h->db_key);
	free(h);
}
