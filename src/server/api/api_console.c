/*
 * api_console: the web console's front door. It serves the static assets
 * of web/ (from cfg->console_dir) under /console/ with a strict
 * Content-Security-Policy, signs administrators in with an admin token
 * and keeps them signed in with a session cookie; the admin API accepts
 * that cookie in place of a Bearer token (console_session_auth(), called
 * by http.c), with a CSRF token on every state-changing request.
 *
 * The session is stateless: the cookie is "<token id>.<expiry>.<mac>"
 * where mac = HMAC-SHA-256(key, "<token id>.<expiry>"), and the CSRF
 * token is HMAC-SHA-256(key, "csrf:" + cookie). The key is 32 random
 * bytes kept in DATA/console.key (0600), made on first use, so sessions
 * survive a restart. Every request looks the token up again: a revoked
 * token ends its sessions, and the role is always the token's current one.
 */
#include "api_console.h"

#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "api.h"
#include "auth.h"
#include "fsx.h"
#include "hash.h"

#define COOKIE_NAME CONSOLE_COOKIE
#define SESSION_TTL (8 * 3600)
#define CSRF_HEADER "X-CSRF-Token"
#define KEY_FILE    "console.key"
#define COOKIE_MAX  128
#define ASSET_MAX   (8u << 20)

/* No inline script or style, nothing from elsewhere, no framing. */
#define CSP                                                                    \
	"default-src 'none'; script-src 'self'; style-src 'self'; "            \
	"img-src 'self' data:; connect-src 'self'; font-src 'self'; "          \
	"base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

static pthread_mutex_t key_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned char session_key[crypto_auth_hmacsha256_KEYBYTES];
static int key_loaded;

/* Load DATA/console.key, or make it. */
static int
load_key(const struct server_config *cfg, struct err *e)
{
	char path[4096], *data = NULL;
	size_t len = 0;
	int rc;

	pthread_mutex_lock(&key_lock);
	if (key_loaded) {
		pthread_mutex_unlock(&key_lock);
		return SL_OK;
	}
	rc = fsx_join(path, sizeof(path), cfg->data_dir, KEY_FILE, e);
	if (rc != SL_OK)
		goto out;
	if (access(path, F_OK) == 0) {
		rc = fsx_read(path, 4096, &data, &len, e);
		if (rc != SL_OK)
			goto out;
		if (len != sizeof(session_key)) {
			rc = err_set(e, SL_EINVAL,
			             "%s: expected %zu bytes, found %zu", path,
			             sizeof(session_key), len);
			goto out;
		}
		memcpy(session_key, data, len);
	} else {
		randombytes_buf(session_key, sizeof(session_key));
		rc = fsx_write_atomic(path, session_key, sizeof(session_key),
		                      0600, e);
		if (rc != SL_OK)
			goto out;
	}
	key_loaded = 1;
	rc = SL_OK;
out:
	pthread_mutex_unlock(&key_lock);
	if (data != NULL) {
		sodium_memzero(data, len);
		free(data);
	}
	return rc != SL_OK ? err_prefix(e, "console session key") : SL_OK;
}

static void
mac_hex(char out[65], const char *msg)
{
	unsigned char mac[crypto_auth_hmacsha256_BYTES];

	crypto_auth_hmacsha256(mac, (const unsigned char *)msg, strlen(msg),
	                       session_key);
	hex_encode(mac, sizeof(mac), out);
}

static void
csrf_for(char out[65], const char *cookie)
{
	char msg[COOKIE_MAX + 8];

	snprintf(msg, sizeof(msg), "csrf:%s", cookie);
	mac_hex(out, msg);
}

/* The session's token id when cookie is genuine and unexpired. */
static int
cookie_check(int64_t *id_out, const char *cookie, struct err *e)
{
	char body[64], want[65];
	const char *dot2, *mac;
	long long id, exp;
	char *end, *end2;

	if (strlen(cookie) >= COOKIE_MAX)
		return err_set(e, SL_EAUTH, "session: malformed cookie");
	id = strtoll(cookie, &end, 10);
	if (end == cookie || *end != '.' || id <= 0)
		return err_set(e, SL_EAUTH, "session: malformed cookie");
	exp = strtoll(end + 1, &end2, 10);
	dot2 = end2;
	if (dot2 == end + 1 || *dot2 != '.')
		return err_set(e, SL_EAUTH, "session: malformed cookie");
	mac = dot2 + 1;
	if ((size_t)(dot2 - cookie) >= sizeof(body))
		return err_set(e, SL_EAUTH, "session: malformed cookie");
	memcpy(body, cookie, (size_t)(dot2 - cookie));
	body[dot2 - cookie] = '\0';
	mac_hex(want, body);
	if (strlen(mac) != 64 || sodium_memcmp(mac, want, 64) != 0)
		return err_set(e, SL_EAUTH, "session: cookie does not verify");
	if (exp < (long long)time(NULL))
		return err_set(e, SL_EAUTH, "session expired: sign in again");
	*id_out = id;
	return SL_OK;
}

/* The active token of this request's session cookie. */
static int
session_token(struct store_admin_token *t, const char **cookie_out,
              const struct req *r, struct err *e)
{
	const char *cookie;
	char idtxt[24];
	int64_t id = 0, admins = 0;
	int rc;

	cookie = MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND,
	                                     COOKIE_NAME);
	if (cookie == NULL)
		return err_set(e, SL_EAUTH, "not signed in");
	rc = load_key(r->env->cfg, e);
	if (rc == SL_OK)
		rc = cookie_check(&id, cookie, e);
	if (rc != SL_OK)
		return rc;
	snprintf(idtxt, sizeof(idtxt), "%" PRId64, id);
	rc = store_admin_token_active(t, &admins, r->store, idtxt, e);
	if (rc == SL_ENOTFOUND)
		return err_set(e, SL_EAUTH,
		               "session: the token was revoked: sign in again");
	if (rc == SL_OK && cookie_out != NULL)
		*cookie_out = cookie;
	return rc;
}

int
console_session_auth(int64_t *id_out, const struct req *r, struct err *e)
{
	struct store_admin_token t;
	const char *cookie = NULL, *sent;
	char want[65];
	int rc;

	rc = session_token(&t, &cookie, r, e);
	if (rc != SL_OK)
		return rc;
	if (strcmp(r->method, "GET") != 0 && strcmp(r->method, "HEAD") != 0) {
		if (strcmp(t.role, AUTH_ROLE_ADMINISTRATOR) != 0)
			return err_set(e, SL_EDENIED,
			               "token '%s' has the role reporter "
			               "(read-only): changes need an "
			               "administrator token",
			               t.name);
		sent = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
		                                   CSRF_HEADER);
		csrf_for(want, cookie);
		if (sent == NULL || strlen(sent) != 64 ||
		    sodium_memcmp(sent, want, 64) != 0)
			return err_set(e, SL_EDENIED,
			               "missing or wrong CSRF token "
			               "(header " CSRF_HEADER ")");
	}
	*id_out = t.id;
	return SL_OK;
}

static void
security_headers(struct MHD_Response *resp)
{
	MHD_add_response_header(resp, "Content-Security-Policy", CSP);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	MHD_add_response_header(resp, "Cache-Control", "no-cache");
}

static int
session_reply(struct reply *out, const struct store_admin_token *t,
              const char *cookie, const char *set_cookie, struct err *e)
{
	char csrf[65];
	json_t *v;

	csrf_for(csrf, cookie);
	v = json_pack("{s:s,s:s,s:s}", "name", t->name, "role", t->role, "csrf",
	              csrf);
	if (v == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	out->raw = http_json_response(v);
	if (out->raw == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	security_headers(out->raw);
	if (set_cookie != NULL)
		MHD_add_response_header(out->raw, "Set-Cookie", set_cookie);
	return SL_OK;
}

/* "; Secure" when the console is reached over https. */
static const char *
secure_attr(const struct req *r)
{
	const char *pu = r->env->cfg->public_url;
	const union MHD_ConnectionInfo *ci =
	        MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_PROTOCOL);

	if (ci != NULL && ci->protocol != 0)
		return "; Secure";
	if (pu != NULL && strncmp(pu, "https://", 8) == 0)
		return "; Secure";
	return "";
}

/* A browser names the page a POST comes from in Origin: sign-in is only
 * taken from this server's own pages (no login CSRF). Clients that send
 * no Origin (curl, scripts) are not browsers and pass. */
static int
same_origin(const struct req *r, struct err *e)
{
	const char *origin, *host, *p;

	origin =
	        MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Origin");
	if (origin == NULL)
		return SL_OK;
	host = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
	                                   MHD_HTTP_HEADER_HOST);
	p = strstr(origin, "://");
	if (host != NULL && p != NULL && strcmp(p + 3, host) == 0)
		return SL_OK;
	return err_set(e, SL_EDENIED,
	               "sign-in from another site (Origin %.100s) refused",
	               origin);
}

int
api_console_login(struct req *r, struct reply *out, struct err *e)
{
	struct store_admin_token t;
	char h[AUTH_TOKEN_LEN + 1], body[48], mac[65], cookie[COOKIE_MAX];
	char set[COOKIE_MAX + 160];
	const char *tok;
	json_t *req = NULL;
	long long exp;
	int rc;

	rc = same_origin(r, e);
	if (rc == SL_OK)
		rc = http_json_body(&req, r, e);
	if (rc == SL_OK)
		rc = jsonx_req_str(&tok, req, "token", 256, e);
	if (rc != SL_OK)
		goto out;
	if (strlen(tok) != AUTH_TOKEN_LEN || !hash_is_hex(tok)) {
		rc = err_set(e, SL_EAUTH, "unknown or revoked token");
		goto out;
	}
	auth_token_hash(h, tok);
	rc = store_admin_token_by_hash(&t, r->store, h, e);
	if (rc == SL_ENOTFOUND)
		rc = err_set(e, SL_EAUTH, "unknown or revoked token");
	if (rc == SL_OK)
		rc = load_key(r->env->cfg, e);
	if (rc != SL_OK)
		goto out;
	exp = (long long)time(NULL) + SESSION_TTL;
	snprintf(body, sizeof(body), "%" PRId64 ".%lld", t.id, exp);
	mac_hex(mac, body);
	snprintf(cookie, sizeof(cookie), "%s.%s", body, mac);
	snprintf(set, sizeof(set),
	         COOKIE_NAME "=%s; Path=/; Max-Age=%d; HttpOnly; "
	                     "SameSite=Strict%s",
	         cookie, SESSION_TTL, secure_attr(r));
	rc = session_reply(out, &t, cookie, set, e);
out:
	json_decref(req);
	return rc != SL_OK ? err_prefix(e, "sign in") : SL_OK;
}

int
api_console_session(struct req *r, struct reply *out, struct err *e)
{
	struct store_admin_token t;
	const char *cookie = NULL;
	int rc;

	rc = session_token(&t, &cookie, r, e);
	if (rc != SL_OK)
		return rc;
	return session_reply(out, &t, cookie, NULL, e);
}

int
api_console_logout(struct req *r, struct reply *out, struct err *e)
{
	json_t *v = json_pack("{s:b}", "signed_out", 1);

	(void)r;
	if (v == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	out->raw = http_json_response(v);
	if (out->raw == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	security_headers(out->raw);
	MHD_add_response_header(out->raw, "Set-Cookie",
	                        COOKIE_NAME "=; Path=/; Max-Age=0; HttpOnly; "
	                                    "SameSite=Strict");
	return SL_OK;
}

static const char *
content_type(const char *name)
{
	static const struct {
		const char *ext, *type;
	} types[] = {
	        {".html", "text/html; charset=utf-8"},
	        {".js", "text/javascript; charset=utf-8"},
	        {".mjs", "text/javascript; charset=utf-8"},
	        {".css", "text/css; charset=utf-8"},
	        {".svg", "image/svg+xml"},
	        {".png", "image/png"},
	        {".ico", "image/x-icon"},
	        {".json", "application/json"},
	};
	const char *dot = strrchr(name, '.');

	for (size_t i = 0; dot && i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(dot, types[i].ext) == 0)
			return types[i].type;
	return "application/octet-stream";
}

static int
asset_name_ok(const char *s)
{
	if (*s == '\0' || *s == '.' || strlen(s) > 128)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '.' || *s == '-' ||
		      *s == '_'))
			return 0;
	return 1;
}

static int
serve_file(struct reply *out, const char *dir, const char *name, struct err *e)
{
	char path[4096];
	struct stat sb;
	int fd, rc;

	rc = fsx_join(path, sizeof(path), dir, name, e);
	if (rc != SL_OK)
		return rc;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_set(e, SL_ENOTFOUND, "console: no such file: %s",
		               name);
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) ||
	    (uint64_t)sb.st_size > ASSET_MAX) {
		close(fd);
		return err_set(e, SL_ENOTFOUND, "console: no such file: %s",
		               name);
	}
	out->raw = MHD_create_response_from_fd((size_t)sb.st_size, fd);
	if (out->raw == NULL) {
		close(fd);
		return err_set(e, SL_ENOMEM, "out of memory");
	}
	MHD_add_response_header(out->raw, MHD_HTTP_HEADER_CONTENT_TYPE,
	                        content_type(name));
	security_headers(out->raw);
	return SL_OK;
}

int
api_console_index(struct req *r, struct reply *out, struct err *e)
{
	return serve_file(out, r->env->cfg->console_dir, "index.html", e);
}

int
api_console_redirect(struct req *r, struct reply *out, struct err *e)
{
	(void)r;
	out->raw =
	        MHD_create_response_from_buffer(0, "", MHD_RESPMEM_PERSISTENT);
	if (out->raw == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	MHD_add_response_header(out->raw, MHD_HTTP_HEADER_LOCATION,
	                        "/console/");
	out->status = 302;
	return SL_OK;
}

int
api_console_asset(struct req *r, struct reply *out, struct err *e)
{
	const char *dir = r->env->cfg->console_dir, *name = r->params[0];
	char sub[4096];
	int rc;

	if (r->params[1] != NULL) {
		/* /console/<dir>/<file>: one level of folders (js/, css/) */
		if (!asset_name_ok(name) || !asset_name_ok(r->params[1]))
			return err_set(e, SL_ENOTFOUND,
			               "console: no such file");
		rc = fsx_join(sub, sizeof(sub), dir, name, e);
		if (rc != SL_OK)
			return rc;
		return serve_file(out, sub, r->params[1], e);
	}
	if (!asset_name_ok(name))
		return err_set(e, SL_ENOTFOUND, "console: no such file");
	return serve_file(out, dir, name, e);
}
