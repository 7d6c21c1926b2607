/*
 * api_ops: /healthz, /readyz and /metrics (api_ops.h), on the main
 * listener through the route table and on the optional separate listener.
 */
#include "api_ops.h"

#include <netdb.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <sodium.h>

#include "auth.h"
#include "metrics.h"

#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

static struct MHD_Response *
text_response(char *s, size_t len, const char *type)
{
	struct MHD_Response *resp;

	resp = MHD_create_response_from_buffer(len, s, MHD_RESPMEM_MUST_FREE);
	if (resp == NULL) {
		free(s);
		return NULL;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
	                        "no-store");
	return resp;
}

int
api_healthz(struct req *r, struct reply *out, struct err *e)
{
	(void)r;
	out->json = json_pack("{s:s}", "status", "ok");
	if (out->json == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	return SL_OK;
}

/* The /readyz answer: 200 {"status":"ready",...} or 503 naming what is
 * not. The upstream's sync age never makes the server unready (agents are
 * served from what it has); it is shown for the operator's checks. */
static int
ready(json_t **out, int *status, struct store *db,
      const struct server_config *cfg)
{
	int64_t last = 0;
	int version = 0;
	json_t *v, *up = json_null();
	struct err e;

	err_clear(&e);
	*status = 503;
	if (db == NULL)
		v = json_pack("{s:s,s:s}", "status", "unready", "database",
		              "unreachable");
	else if (store_schema_version(db, &version, &e) != SL_OK)
		v = json_pack("{s:s,s:s}", "status", "unready", "database",
		              e.msg);
	else if (version != store_schema_wanted())
		v = json_pack("{s:s,s:s,s:i,s:i}", "status", "unready",
		              "database", "migrations not applied", "schema",
		              version, "schema_wanted", store_schema_wanted());
	else if (store_last_sync_success(db, &last, &e) != SL_OK)
		v = json_pack("{s:s,s:s}", "status", "unready", "database",
		              e.msg);
	else {
		if (cfg->upstream_url != NULL)
			up = json_pack(
			        "{s:o,s:o}", "last_success",
			        last ? json_integer(last) : json_null(),
			        "age_seconds",
			        last ? json_integer((int64_t)time(NULL) - last)
			             : json_null());
		v = json_pack("{s:s,s:s,s:i,s:o}", "status", "ready",
		              "database", "ok", "schema", version, "upstream",
		              up);
		up = NULL;
		*status = 200;
	}
	json_decref(up);
	*out = v;
	return v == NULL ? SL_ENOMEM : SL_OK;
}

int
api_readyz(struct req *r, struct reply *out, struct err *e)
{
	if (ready(&out->json, &out->status, r->store, r->env->cfg) != SL_OK)
		return err_set(e, SL_ENOMEM, "out of memory");
	return SL_OK;
}

static int
metrics_reply(struct reply *out, struct store *db,
              const struct server_config *cfg, struct err *e)
{
	struct buf b;
	size_t len;
	char *s;
	int rc;

	buf_init(&b, METRICS_BODY_MAX);
	rc = metrics_render(&b, db, cfg, e);
	if (rc != SL_OK) {
		buf_free(&b);
		return rc;
	}
	s = buf_steal(&b, &len);
	if (s == NULL)
		s = strdup(""), len = 0;
	out->raw = s ? text_response(s, len, METRICS_CONTENT_TYPE) : NULL;
	if (out->raw == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	out->bytes = len;
	return SL_OK;
}

int
api_metrics(struct req *r, struct reply *out, struct err *e)
{
	const char *want = r->env->cfg->metrics_token, *hdr, *token;
	int64_t id;
	int rc;

	hdr = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
	                                  MHD_HTTP_HEADER_AUTHORIZATION);
	if (want != NULL) {
		/* Any text the operator chose: compared whole, in constant
		 * time. */
		token = hdr != NULL && strncmp(hdr, "Bearer ", 7) == 0 ? hdr + 7
		                                                       : "";
		if (strlen(token) != strlen(want) ||
		    sodium_memcmp(token, want, strlen(want)) != 0)
			return err_set(e, SL_EAUTH,
			               "GET /metrics needs the metrics token "
			               "([metrics] token)");
	} else if ((rc = auth_bearer(&token, hdr, e)) != SL_OK ||
	           (rc = auth_admin_for(&id, r->store, token, r->method, e)) !=
	                   SL_OK) {
		return rc;
	}
	return metrics_reply(out, r->store, r->env->cfg, e);
}

/* --- The separate listener --------------------------------------------- */

struct ops_listener {
	struct MHD_Daemon *d;
	const struct http_env *env;
	struct store *db; /* used by the daemon's one thread only */
};

static enum MHD_Result
queue(struct MHD_Connection *conn, int status, struct MHD_Response *resp)
{
	enum MHD_Result ret;

	if (resp == NULL)
		return MHD_NO;
	ret = MHD_queue_response(conn, (unsigned)status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result
on_ops_request(void *cls, struct MHD_Connection *conn, const char *url,
               const char *method, const char *version, const char *upload,
               size_t *upload_size, void **con_cls)
{
	struct ops_listener *l = cls;
	struct reply rep = {0};
	struct err e;
	json_t *v = NULL;
	int status = 200;

	(void)version;
	(void)upload;
	if (*con_cls == NULL) {
		*con_cls = l;
		return MHD_YES;
	}
	if (*upload_size != 0) {
		*upload_size = 0;
		return MHD_YES;
	}
	err_clear(&e);
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return queue(conn, 405,
		             http_json_response(json_pack(
		                     "{s:{s:s,s:s}}", "error", "code",
		                     "unsupported", "message",
		                     "only GET and HEAD on this listener")));
	if (l->db == NULL && strcmp(url, "/healthz") != 0 &&
	    store_open(&l->db, l->env->cfg->db_path, &e) != SL_OK)
		l->db = NULL;
	if (strcmp(url, "/healthz") == 0) {
		v = json_pack("{s:s}", "status", "ok");
	} else if (strcmp(url, "/readyz") == 0) {
		if (ready(&v, &status, l->db, l->env->cfg) != SL_OK)
			return MHD_NO;
	} else if (strcmp(url, "/metrics") == 0) {
		if (metrics_reply(&rep, l->db, l->env->cfg, &e) != SL_OK) {
			status = err_http_status(e.code);
			v = json_pack("{s:{s:s,s:s}}", "error", "code",
			              err_name(e.code), "message", e.msg);
		} else {
			return queue(conn, 200, rep.raw);
		}
	} else {
		status = 404;
		v = json_pack("{s:{s:s,s:s}}", "error", "code", "not_found",
		              "message",
		              "this listener answers /healthz, /readyz and "
		              "/metrics only");
	}
	return queue(conn, status, http_json_response(v));
}

int
ops_listener_start(struct ops_listener **out, const struct http_env *env,
                   struct err *e)
{
	const struct server_config *cfg = env->cfg;
	struct addrinfo hints = {0}, *ai = NULL;
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD;
	struct ops_listener *l;
	char port[16];
	int grc;

	*out = NULL;
	if (cfg->metrics_addr == NULL)
		return SL_OK;
	snprintf(port, sizeof(port), "%d", cfg->metrics_port);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV | AI_PASSIVE;
	grc = getaddrinfo(cfg->metrics_addr, port, &hints, &ai);
	if (grc != 0)
		return err_set(e, SL_EINVAL, "metrics.listen %s: %s",
		               cfg->metrics_addr, gai_strerror(grc));
	if (ai->ai_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	l = calloc(1, sizeof(*l));
	if (l == NULL) {
		freeaddrinfo(ai);
		return err_set(e, SL_ENOMEM, "out of memory");
	}
	l->env = env;
	l->d = MHD_start_daemon(flags, (uint16_t)cfg->metrics_port, NULL, NULL,
	                        on_ops_request, l, MHD_OPTION_SOCK_ADDR,
	                        ai->ai_addr, MHD_OPTION_CONNECTION_TIMEOUT,
	                        (unsigned int)30, MHD_OPTION_END);
	freeaddrinfo(ai);
	if (l->d == NULL) {
		free(l);
		return err_set(
		        e, SL_EIO,
		        "metrics.listen: cannot listen on %s:%d (address "
		        "in use or not available)",
		        cfg->metrics_addr, cfg->metrics_port);
	}
	*out = l;
	return SL_OK;
}

void
ops_listener_stop(struct ops_listener *l)
{
	if (l == NULL)
		return;
	MHD_stop_daemon(l->d);
	store_close(l->db);
	free(l);
}
