/*
 * config: the option table and everything that reads it (defaults, INI
 * parsing through inih, flag overrides, validation, dump, and the commented
 * template the packages install as /etc/sluice/sluiced.conf).
 */
#include "config.h"
#include "netopts.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ini.h>

#include "array.h"
#include "buf.h"
#include "log.h"

enum opt_type {
	OPT_STR,
	OPT_INT,
	OPT_LIST,
	OPT_STORAGE,
	OPT_LISTEN,
	OPT_LEVEL
};

struct opt {
	const char *section;
	const char *name;
	enum opt_type type;
	size_t off; /* offset of the field in struct server_config */
	const char *def;
	long min, max; /* OPT_INT bounds */
	const char *help;
};

/* The options a SIGHUP applies (config_reload()); the others need a
 * restart. Only strings and levels are read by the main thread alone. */
static const char *const reloadable[] = {"log.level", "log.access", "log.file",
                                         NULL};

#define CONFIG_LIST_MAX 1024 /* entries of a comma-separated list */

#define F(field) offsetof(struct server_config, field)

static const struct opt options[] = {
        {"server", "listen", OPT_LISTEN, 0, "127.0.0.1:8530", 0, 0,
         "address and port to listen on"},
        {"server", "data", OPT_STR, F(data_dir), "/var/lib/sluice", 0, 0,
         "data directory (database, content store)"},
        {"server", "public_url", OPT_STR, F(public_url), "", 0, 0,
         "base URL agents use for content (empty: from the Host header)"},
        {"server", "console_dir", OPT_STR, F(console_dir), SLUICE_CONSOLE_DIR,
         0, 0, "the web console's files (web/ of the source tree)"},
        {"server", "threads", OPT_INT, F(threads), "0", 0, 256,
         "HTTP worker threads (0: one per processor core, at least 2)"},
        {"server", "token_cache", OPT_INT, F(token_cache), "262144", 0,
         16777216, "agents' token answers kept in memory, entries (0: off)"},
        {"server", "user", OPT_STR, F(run_user), "sluice", 0, 0,
         "account to run as when started as root (ports are bound first)"},
        {"server", "group", OPT_STR, F(run_group), "", 0, 0,
         "group to run as when started as root (empty: the user's group)"},
        {"server", "seccomp", OPT_STR, F(seccomp), "off", 0, 0,
         "on: a system-call filter (seccomp) allows only what sluiced uses"},
        {"server", "reuse_port", OPT_STR, F(reuse_port), "off", 0, 0,
         "on: several front-ends of one PostgreSQL database share the port "
         "(SO_REUSEPORT)"},
        {"upstream", "url", OPT_STR, F(upstream_url), "", 0, 0,
         "catalog origin or upstream server URL"},
        {"upstream", "trusted_keys", OPT_STR, F(trusted_keys_spec), "", 0, 0,
         "comma-separated public signing key files (the old way: "
         "trusted_root lets the origin rotate its keys)"},
        {"upstream", "trusted_root", OPT_STR, F(trusted_root_spec), "", 0, 0,
         "comma-separated root public key files of the catalog origin "
         "(its root.pub)"},
        {"upstream", "syncs_per_day", OPT_INT, F(syncs_per_day), "4", 0, 1440,
         "scheduled syncs per day (0 = manual only)"},
        {"upstream", "products", OPT_LIST, F(products), "", 0, 0,
         "comma-separated products to sync (empty = all)"},
        {"upstream", "classifications", OPT_LIST, F(classifications), "", 0, 0,
         "comma-separated classifications to sync (empty = all)"},
        {"upstream", "kind", OPT_STR, F(upstream_kind_name), "catalog", 0, 0,
         "catalog | sluiced (what upstream.url points to)"},
        {"upstream", "token", OPT_STR, F(upstream_token), "", 0, 0,
         "downstream token from the upstream sluiced (kind sluiced)"},
        {"upstream", "ca_file", OPT_STR, F(upstream_ca_file), "", 0, 0,
         "CA certificates (PEM) to trust for an https:// upstream (empty: "
         "the system's)"},
        {"upstream", "mode", OPT_STR, F(upstream_mode_name), "autonomous", 0, 0,
         "autonomous | replica (kind sluiced)"},
        {"storage", "mode", OPT_STORAGE, F(storage_mode), "none", 0, 0,
         "none | full | on-approval"},
        {"database", "url", OPT_STR, F(database_url), "", 0, 0,
         "PostgreSQL database postgresql://USER[:PASSWORD]@HOST[:PORT]/DB "
         "(empty: the SQLite file DATA/sluice.db)"},
        {"log", "level", OPT_LEVEL, F(log_level), "info", 0, 0,
         "debug | info | warn | error (reloaded on SIGHUP)"},
        {"log", "access", OPT_LEVEL, F(access_level), "info", 0, 0,
         "level of the access log line per request: debug | info | warn "
         "| off (reloaded on SIGHUP)"},
        {"log", "file", OPT_STR, F(log_file), "", 0, 0,
         "append the log to this file, reopened on SIGHUP (empty: "
         "standard error, the journal under systemd)"},
        {"metrics", "listen", OPT_STR, F(metrics_listen), "", 0, 0,
         "ADDR:PORT of a separate listener for /metrics, /healthz and "
         "/readyz without authentication (empty: none)"},
        {"metrics", "token", OPT_STR, F(metrics_token), "", 0, 0,
         "bearer token for GET /metrics on the main listener (empty: an "
         "administrator or reporter token)"},
        {"tls", "cert", OPT_STR, F(tls_cert), "", 0, 0,
         "PEM certificate (chain) of the HTTPS listener (empty: no TLS)"},
        {"tls", "key", OPT_STR, F(tls_key), "", 0, 0,
         "PEM private key of the HTTPS listener"},
        {"tls", "listen", OPT_STR, F(tls_listen), "", 0, 0,
         "HTTPS address and port (empty: server.listen's address, port "
         "8531)"},
        {"tls", "plain", OPT_STR, F(tls_plain), "content", 0, 0,
         "what server.listen serves over plain HTTP while TLS is on: "
         "content | all | off"},
        {"limits", "max_connections", OPT_INT, F(max_connections), "0", 0,
         1000000, "open connections at most (0: from the open file limit)"},
        {"limits", "per_address", OPT_INT, F(per_address_connections), "64", 0,
         100000, "open connections per client address (0: no limit)"},
        {"limits", "request_timeout", OPT_INT, F(request_timeout), "10", 1,
         3600, "seconds to receive a request's headers and body"},
        {"limits", "idle_timeout", OPT_INT, F(idle_timeout), "60", 1, 3600,
         "seconds a connection may stay silent"},
        {"limits", "backlog", OPT_INT, F(listen_backlog), "511", 1, 65535,
         "listen backlog (connections not yet accepted)"},
        {"network", "proxy", OPT_STR, F(proxy_url), "", 0, 0,
         "HTTP(S) proxy for upstream syncs and file downloads, "
         "http://[user:password@]host:port (empty: none)"},
        {"network", "download_limit_kbps", OPT_INT, F(download_limit_kbps), "0",
         0, 10000000, "file download bandwidth limit in KiB/s (0 = none)"},
        {"network", "download_window", OPT_STR, F(download_window), "", 0, 0,
         "hours in which files are downloaded, HH:MM-HH:MM local time "
         "(empty: always)"},
        {"notify", "smtp", OPT_STR, F(notify_smtp), "", 0, 0,
         "SMTP server for e-mail, smtp://host:port or smtps://host:port "
         "(empty: no e-mail)"},
        {"notify", "starttls", OPT_STR, F(notify_starttls), "try", 0, 0,
         "none | try | required"},
        {"notify", "ca_file", OPT_STR, F(notify_ca_file), "", 0, 0,
         "CA certificates for the SMTP server (empty: the system's)"},
        {"notify", "user", OPT_STR, F(notify_user), "", 0, 0,
         "SMTP user (empty: no authentication)"},
        {"notify", "password", OPT_STR, F(notify_password), "", 0, 0,
         "SMTP password"},
        {"notify", "from", OPT_STR, F(notify_from), "sluice@localhost", 0, 0,
         "sender address"},
        {"notify", "to", OPT_LIST, F(notify_to), "", 0, 0,
         "comma-separated recipient addresses"},
        {"notify", "webhook", OPT_STR, F(notify_webhook), "", 0, 0,
         "URL that receives each event as an HTTP POST of JSON (empty: "
         "none)"},
        {"notify", "on_sync", OPT_INT, F(notify_on_sync), "1", 0, 1,
         "notify when a sync brings new updates (1/0)"},
        {"notify", "report_hours", OPT_INT, F(notify_report_hours), "0", 0,
         8760, "send a status report every N hours (0 = never)"},
        {"cleanup", "interval_hours", OPT_INT, F(cleanup_hours), "0", 0, 8760,
         "run the cleanup every N hours (0 = only `sluice cleanup`)"},
        {"cleanup", "superseded_days", OPT_INT, F(cleanup_superseded_days),
         "30", -1, 36500,
         "decline updates superseded this many days that no computer "
         "needs (-1 = never)"},
        {"cleanup", "decline_expired", OPT_INT, F(cleanup_expired), "1", 0, 1,
         "decline expired updates (1/0)"},
        {"cleanup", "computer_days", OPT_INT, F(cleanup_computer_days), "0", 0,
         36500,
         "delete computers not heard from in this many days (0 = never)"},
        {"cleanup", "files", OPT_INT, F(cleanup_files), "1", 0, 1,
         "delete files and old revisions nothing needs (1/0)"},
        {"cleanup", "compact", OPT_INT, F(cleanup_compact), "1", 0, 1,
         "compact the database (1/0)"},
};
#define N_OPTIONS (sizeof(options) / sizeof(options[0]))

const char *
config_storage_name(enum storage_mode m)
{
	switch (m) {
	case STORAGE_NONE:
		return "none";
	case STORAGE_FULL:
		return "full";
	case STORAGE_ON_APPROVAL:
		return "on-approval";
	}
	return "?";
}

enum storage_mode
config_storage_mode(const struct server_config *cfg)
{
	return __atomic_load_n(&cfg->storage_mode, __ATOMIC_RELAXED);
}

/* server.threads, or when 0 one per online core, at least 2. */
static int
http_threads(int configured)
{
	long cores;

	if (configured > 0)
		return configured;
	cores = sysconf(_SC_NPROCESSORS_ONLN);
	if (cores < 2)
		return 2;
	return cores > 256 ? 256 : (int)cores;
}

int
config_storage_parse(enum storage_mode *out, const char *s, struct err *e)
{
	if (strcmp(s, "none") == 0)
		*out = STORAGE_NONE;
	else if (strcmp(s, "full") == 0)
		*out = STORAGE_FULL;
	else if (strcmp(s, "on-approval") == 0)
		*out = STORAGE_ON_APPROVAL;
	else
		return err_set(e, SL_EINVAL,
		               "storage mode '%s': expected none, full or "
		               "on-approval",
		               s);
	return SL_OK;
}

static void
list_free(char **l)
{
	if (l == NULL)
		return;
	for (char **p = l; *p; p++)
		free(*p);
	free(l);
}

static char *
trim(char *s)
{
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
		*--end = '\0';
	return s;
}

/* Split "a, b,c" into a NULL-terminated list; "" gives NULL (= all). */
static int
list_parse(char ***out, const char *s, struct err *e)
{
	char *copy, *cur, *comma, **l = NULL;
	size_t n = 0, cap = 0;
	int rc = SL_OK;

	*out = NULL;
	copy = strdup(s);
	if (copy == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	for (cur = copy; cur != NULL; cur = comma) {
		comma = strchr(cur, ',');
		if (comma)
			*comma++ = '\0';
		char *t = trim(cur);
		if (*t == '\0')
			continue;
		/* Room for this entry and the terminating NULL. */
		if (n == CONFIG_LIST_MAX) {
			rc = err_set(e, SL_ETOOBIG, "more than %d entries",
			             CONFIG_LIST_MAX);
			goto out;
		}
		if ((rc = array_reserve(&l, &cap, n + 2, sizeof(*l),
		                        CONFIG_LIST_MAX + 1, e)) != SL_OK)
			goto out;
		l[n + 1] = NULL;
		l[n] = strdup(t);
		if (l[n] == NULL) {
			rc = err_set(e, SL_ENOMEM, "out of memory");
			goto out;
		}
		n++;
	}
	*out = l;
	l = NULL;
out:
	list_free(l);
	free(copy);
	return rc;
}

static int
parse_port(int *out, const char *s, struct err *e)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end != '\0' || v < 1 || v > 65535)
		return err_set(e, SL_EINVAL, "port '%s': expected 1..65535", s);
	*out = (int)v;
	return SL_OK;
}

int
config_set_listen(struct server_config *cfg, const char *value, struct err *e)
{
	const char *colon = strrchr(value, ':');
	char *addr;
	int port = 0, rc;

	if (colon == NULL || colon == value)
		return err_set(e, SL_EINVAL, "listen '%s': expected ADDR:PORT",
		               value);
	rc = parse_port(&port, colon + 1, e);
	if (rc != SL_OK)
		return err_prefix(e, "listen");
	addr = strndup(value, (size_t)(colon - value));
	if (addr == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	free(cfg->listen_addr);
	cfg->listen_addr = addr;
	cfg->port = port;
	return SL_OK;
}

static int
opt_set(struct server_config *cfg, const struct opt *o, const char *value,
        struct err *e)
{
	char *base = (char *)cfg;
	int rc;

	switch (o->type) {
	case OPT_STR: {
		char **field = (char **)(base + o->off);
		char *copy = NULL;
		if (*value != '\0') {
			copy = strdup(value);
			if (copy == NULL)
				return err_set(e, SL_ENOMEM, "out of memory");
		}
		free(*field);
		*field = copy;
		return SL_OK;
	}
	case OPT_INT: {
		int *field = (int *)(base + o->off);
		char *end;
		long v;
		errno = 0;
		v = strtol(value, &end, 10);
		if (errno || end == value || *end != '\0' || v < o->min ||
		    v > o->max)
			return err_set(e, SL_EINVAL,
			               "%s.%s = '%s': expected an integer in "
			               "%ld..%ld",
			               o->section, o->name, value, o->min,
			               o->max);
		*field = (int)v;
		return SL_OK;
	}
	case OPT_LIST: {
		char ***field = (char ***)(base + o->off);
		char **l;
		rc = list_parse(&l, value, e);
		if (rc != SL_OK)
			return rc;
		list_free(*field);
		*field = l;
		return SL_OK;
	}
	case OPT_STORAGE:
		rc = config_storage_parse(&cfg->storage_mode, value, e);
		return rc == SL_OK ? rc : err_prefix(e, "storage.mode");
	case OPT_LISTEN:
		return config_set_listen(cfg, value, e);
	case OPT_LEVEL: {
		int *field = (int *)(base + o->off);
		enum log_level lvl;
		if (strcmp(value, "off") == 0 && o->off == F(access_level)) {
			*field = CONFIG_LEVEL_OFF;
			return SL_OK;
		}
		if (log_level_parse(&lvl, value) != 0)
			return err_set(e, SL_EINVAL,
			               "%s.%s = '%s': expected debug, info, "
			               "warn or error%s",
			               o->section, o->name, value,
			               o->off == F(access_level) ? " or off"
			                                         : "");
		*field = (int)lvl;
		return SL_OK;
	}
	}
	return err_set(e, SL_EINTERNAL, "bad option type");
}

int
config_set(struct server_config *cfg, const char *section, const char *name,
           const char *value, struct err *e)
{
	for (size_t i = 0; i < N_OPTIONS; i++)
		if (strcmp(options[i].section, section) == 0 &&
		    strcmp(options[i].name, name) == 0)
			return opt_set(cfg, &options[i], value, e);
	return err_set(e, SL_EINVAL, "unknown option %s.%s", section, name);
}

int
config_defaults(struct server_config *cfg, struct err *e)
{
	int rc;

	memset(cfg, 0, sizeof(*cfg));
	for (size_t i = 0; i < N_OPTIONS; i++) {
		rc = opt_set(cfg, &options[i], options[i].def, e);
		if (rc != SL_OK) {
			config_free(cfg);
			return rc;
		}
	}
	return SL_OK;
}

struct ini_ctx {
	struct server_config *cfg;
	struct err *e;
	int rc;
};

static int
ini_cb(void *user, const char *section, const char *name, const char *value)
{
	struct ini_ctx *c = user;

	if (c->rc != SL_OK)
		return 0;
	c->rc = config_set(c->cfg, section, name, value, c->e);
	return c->rc == SL_OK;
}

static int
ini_accept(void *user, const char *section, const char *name, const char *value)
{
	(void)user;
	(void)section;
	(void)name;
	(void)value;
	return 1;
}

int
config_load_file(struct server_config *cfg, const char *path, struct err *e)
{
	struct ini_ctx c = {.cfg = cfg, .e = e, .rc = SL_OK};
	FILE *f;
	int line;

	f = fopen(path, "r");
	if (f == NULL)
		return err_set(e, errno == ENOENT ? SL_ENOTFOUND : SL_EIO,
		               "%s: %s", path, strerror(errno));
	/* Two passes: inih reports only the first failing line, so syntax
	 * is checked alone before any value is applied. */
	line = ini_parse_file(f, ini_accept, NULL);
	if (line != 0) {
		fclose(f);
		return err_set(e, SL_EPARSE, "%s:%d: syntax error", path, line);
	}
	rewind(f);
	line = ini_parse_file(f, ini_cb, &c);
	fclose(f);
	if (c.rc != SL_OK)
		return err_prefix(e, "%s:%d", path, line);
	if (line != 0)
		return err_set(e, SL_EPARSE, "%s:%d: syntax error", path, line);
	return SL_OK;
}

static int
path_join(char **out, const char *a, const char *b, struct err *e)
{
	struct buf bf;
	int rc;

	buf_init(&bf, 4096);
	rc = buf_printf(&bf, e, "%s/%s", a, b);
	if (rc != SL_OK) {
		buf_free(&bf);
		return rc;
	}
	*out = buf_steal(&bf, NULL);
	return SL_OK;
}

/* [upstream] kind and mode; a sluiced upstream needs http(s) and a token. */
static int
config_upstream_finish(struct server_config *cfg, struct err *e)
{
	const char *k =
	        cfg->upstream_kind_name ? cfg->upstream_kind_name : "catalog";
	const char *m = cfg->upstream_mode_name ? cfg->upstream_mode_name
	                                        : "autonomous";

	if (strcmp(k, "catalog") == 0)
		cfg->upstream_kind = UPSTREAM_CATALOG;
	else if (strcmp(k, "sluiced") == 0)
		cfg->upstream_kind = UPSTREAM_SLUICED;
	else
		return err_set(
		        e, SL_EINVAL,
		        "upstream.kind '%s': expected catalog or sluiced", k);
	if (strcmp(m, "autonomous") == 0)
		cfg->upstream_mode = UPSTREAM_AUTONOMOUS;
	else if (strcmp(m, "replica") == 0)
		cfg->upstream_mode = UPSTREAM_REPLICA;
	else
		return err_set(e, SL_EINVAL,
		               "upstream.mode '%s': expected autonomous or "
		               "replica",
		               m);
	if (cfg->upstream_kind != UPSTREAM_SLUICED)
		return SL_OK;
	if (cfg->upstream_url == NULL ||
	    (strncmp(cfg->upstream_url, "http://", 7) != 0 &&
	     strncmp(cfg->upstream_url, "https://", 8) != 0))
		return err_set(e, SL_EINVAL,
		               "upstream.kind sluiced: upstream.url must be "
		               "the upstream server's http:// or https:// URL");
	if (cfg->upstream_token == NULL)
		return err_set(e, SL_EINVAL,
		               "upstream.kind sluiced: upstream.token must be "
		               "set (sluice downstream add NAME on the "
		               "upstream prints it)");
	return SL_OK;
}

/* [metrics] listen "ADDR:PORT" -> metrics_addr, metrics_port. */
static int
config_metrics_finish(struct server_config *cfg, struct err *e)
{
	const char *v = cfg->metrics_listen, *colon;
	int rc;

	free(cfg->metrics_addr);
	cfg->metrics_addr = NULL;
	cfg->metrics_port = 0;
	if (v == NULL)
		return SL_OK;
	colon = strrchr(v, ':');
	if (colon == NULL || colon == v)
		return err_set(e, SL_EINVAL,
		               "metrics.listen '%s': expected ADDR:PORT", v);
	if ((rc = parse_port(&cfg->metrics_port, colon + 1, e)) != SL_OK)
		return err_prefix(e, "metrics.listen");
	cfg->metrics_addr = strndup(v, (size_t)(colon - v));
	if (cfg->metrics_addr == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	return SL_OK;
}

/* [tls]: both files or neither; the HTTPS address; what stays plain. */
static int
config_tls_finish(struct server_config *cfg, struct err *e)
{
	const char *colon;
	int rc;

	free(cfg->tls_addr);
	cfg->tls_addr = NULL;
	if ((cfg->tls_cert == NULL) != (cfg->tls_key == NULL))
		return err_set(e, SL_EINVAL,
		               "tls.cert and tls.key: set both or neither");
	if (cfg->tls_plain == NULL || (strcmp(cfg->tls_plain, "content") != 0 &&
	                               strcmp(cfg->tls_plain, "all") != 0 &&
	                               strcmp(cfg->tls_plain, "off") != 0))
		return err_set(e, SL_EINVAL,
		               "tls.plain '%s': expected content, all or off",
		               cfg->tls_plain ? cfg->tls_plain : "");
	if (cfg->tls_listen == NULL) {
		cfg->tls_port = CONFIG_DEFAULT_TLS_PORT;
		cfg->tls_addr = strdup(cfg->listen_addr);
	} else {
		colon = strrchr(cfg->tls_listen, ':');
		if (colon == NULL || colon == cfg->tls_listen)
			return err_set(e, SL_EINVAL,
			               "tls.listen '%s': expected ADDR:PORT",
			               cfg->tls_listen);
		rc = parse_port(&cfg->tls_port, colon + 1, e);
		if (rc != SL_OK)
			return err_prefix(e, "tls.listen");
		cfg->tls_addr = strndup(cfg->tls_listen,
		                        (size_t)(colon - cfg->tls_listen));
	}
	if (cfg->tls_addr == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	if (cfg->tls_cert != NULL &&
	    strcmp(cfg->tls_addr, cfg->listen_addr) == 0 &&
	    cfg->tls_port == cfg->port)
		return err_set(e, SL_EINVAL,
		               "tls.listen: %s:%d is server.listen too",
		               cfg->tls_addr, cfg->tls_port);
	return SL_OK;
}

/* Load a comma-separated list of public key files (NULL: none). */
static int
load_keys(struct sign_keyring *kr, const char *list, const char *name,
          struct err *e)
{
	char *spec, *p, *comma;
	int rc = SL_OK;

	if (list == NULL)
		return SL_OK;
	if ((spec = strdup(list)) == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	for (p = spec; p != NULL; p = comma) {
		comma = strchr(p, ',');
		if (comma)
			*comma++ = '\0';
		char *t = trim(p);
		if (*t == '\0')
			continue;
		if ((rc = sign_keyring_add_file(kr, t, e)) != SL_OK) {
			err_prefix(e, "%s", name);
			goto out;
		}
	}
	if (kr->n == 0)
		rc = err_set(e, SL_EINVAL, "%s names no key file", name);
out:
	free(spec);
	return rc;
}

int
config_finish(struct server_config *cfg, struct err *e)
{
	int rc = SL_OK;

	if (cfg->data_dir == NULL)
		return err_set(e, SL_EINVAL, "server.data must be set");
	free(cfg->db_path);
	free(cfg->content_dir);
	cfg->db_path = cfg->content_dir = NULL;
	if (cfg->database_url == NULL) {
		rc = path_join(&cfg->db_path, cfg->data_dir, "sluice.db", e);
	} else if (strncmp(cfg->database_url, "postgresql://", 13) != 0 &&
	           strncmp(cfg->database_url, "postgres://", 11) != 0) {
		/* Not echoed: it may hold a password. */
		return err_set(e, SL_EINVAL,
		               "database.url: expected a postgresql:// URL "
		               "(empty: the SQLite file DATA/sluice.db)");
	} else if ((cfg->db_path = strdup(cfg->database_url)) == NULL) {
		rc = err_set(e, SL_ENOMEM, "out of memory");
	}
	if (rc == SL_OK)
		rc = path_join(&cfg->content_dir, cfg->data_dir, "content", e);
	if (rc == SL_OK)
		rc = netopts_window_parse(&cfg->window_start_min,
		                          &cfg->window_end_min,
		                          cfg->download_window, e);
	if (rc != SL_OK)
		return rc;
	if (cfg->upstream_url != NULL &&
	    strncmp(cfg->upstream_url, "file://", 7) != 0 &&
	    strncmp(cfg->upstream_url, "http://", 7) != 0 &&
	    strncmp(cfg->upstream_url, "https://", 8) != 0)
		return err_set(e, SL_EINVAL,
		               "upstream.url '%s': expected file://, http:// "
		               "or https://",
		               cfg->upstream_url);
	if (cfg->public_url != NULL &&
	    strncmp(cfg->public_url, "http://", 7) != 0 &&
	    strncmp(cfg->public_url, "https://", 8) != 0)
		return err_set(e, SL_EINVAL,
		               "server.public_url '%s': expected http:// or "
		               "https://",
		               cfg->public_url);
	if (cfg->seccomp == NULL || (strcmp(cfg->seccomp, "on") != 0 &&
	                             strcmp(cfg->seccomp, "off") != 0))
		return err_set(e, SL_EINVAL,
		               "server.seccomp: expected on or off");
	if (cfg->reuse_port == NULL || (strcmp(cfg->reuse_port, "on") != 0 &&
	                                strcmp(cfg->reuse_port, "off") != 0))
		return err_set(e, SL_EINVAL,
		               "server.reuse_port: expected on or off");
	cfg->reuse_port_on = strcmp(cfg->reuse_port, "on") == 0;
	cfg->http_threads = http_threads(cfg->threads);
	/* Front-ends of one SQLite file would each keep their own change
	 * sequence and caches in memory: only PostgreSQL's are shared. */
	if (cfg->reuse_port_on && cfg->database_url == NULL)
		return err_set(
		        e, SL_EINVAL,
		        "server.reuse_port: needs database.url (only "
		        "front-ends of one PostgreSQL database may share "
		        "a port)");
	if ((rc = config_upstream_finish(cfg, e)) != SL_OK ||
	    (rc = config_tls_finish(cfg, e)) != SL_OK)
		return rc;
	if ((rc = config_metrics_finish(cfg, e)) != SL_OK)
		return rc;
	cfg->trusted_keys.n = 0;
	cfg->trusted_root.n = 0;
	if (cfg->trusted_keys_spec == NULL && cfg->trusted_root_spec == NULL) {
		if (cfg->upstream_url != NULL)
			return err_set(
			        e, SL_EINVAL,
			        "upstream.trusted_root (or trusted_keys) must "
			        "name at least one key when upstream.url is "
			        "set");
		return SL_OK;
	}
	if ((rc = load_keys(&cfg->trusted_keys, cfg->trusted_keys_spec,
	                    "upstream.trusted_keys", e)) != SL_OK)
		return rc;
	return load_keys(&cfg->trusted_root, cfg->trusted_root_spec,
	                 "upstream.trusted_root", e);
}

/* A database URL without its password or query parameters. */
static void
dump_url(FILE *f, const char *url)
{
	const char *auth = strstr(url, "://"), *end, *at, *colon;

	auth = auth ? auth + 3 : url;
	end = auth + strcspn(auth, "/?");
	at = NULL;
	for (const char *p = auth; p < end; p++)
		if (*p == '@')
			at = p;
	colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
	if (colon == NULL) {
		fprintf(f, "%.*s", (int)strcspn(url, "?"), url);
	} else {
		fprintf(f, "%.*s", (int)(colon - url), url);
		fprintf(f, "%.*s", (int)strcspn(at, "?"), at);
	}
	if (strchr(url, '?') != NULL || colon != NULL)
		fputs(" ; password and parameters not shown", f);
}

static void
dump_list(FILE *f, char **l)
{
	for (size_t i = 0; l && l[i]; i++)
		fprintf(f, "%s%s", i ? "," : "", l[i]);
}

void
config_dump(const struct server_config *cfg, FILE *f)
{
	const char *section = NULL;
	const char *base = (const char *)cfg;

	for (size_t i = 0; i < N_OPTIONS; i++) {
		const struct opt *o = &options[i];
		if (section == NULL || strcmp(section, o->section) != 0) {
			fprintf(f, "%s[%s]\n", section ? "\n" : "", o->section);
			section = o->section;
		}
		fprintf(f, "# %s\n%s = ", o->help, o->name);
		switch (o->type) {
		case OPT_STR: {
			const char *v = *(char *const *)(base + o->off);
			if ((o->off == F(upstream_token) ||
			     o->off == F(metrics_token) ||
			     o->off == F(notify_password)) &&
			    v != NULL && v[0] != '\0')
				v = "(set; not shown)";
			if ((o->off == F(database_url) ||
			     o->off == F(proxy_url)) &&
			    v != NULL && v[0] != '\0')
				dump_url(f, v);
			else
				fputs(v ? v : "", f);
			break;
		}
		case OPT_INT:
			fprintf(f, "%d", *(const int *)(base + o->off));
			break;
		case OPT_LIST:
			dump_list(f, *(char **const *)(base + o->off));
			break;
		case OPT_STORAGE:
			fputs(config_storage_name(cfg->storage_mode), f);
			break;
		case OPT_LISTEN:
			fprintf(f, "%s:%d", cfg->listen_addr, cfg->port);
			break;
		case OPT_LEVEL: {
			int v = *(const int *)(base + o->off);
			fputs(v == CONFIG_LEVEL_OFF
			              ? "off"
			              : log_level_name((enum log_level)v),
			      f);
			break;
		}
		}
		fputc('\n', f);
	}
}

void
config_template(FILE *f)
{
	const char *section = NULL;

	fputs("# sluiced configuration. Every option is listed with its "
	      "default,\n"
	      "# commented out; uncomment a line and change the value to "
	      "override it.\n"
	      "# Flags (--data, --listen) override this file; "
	      "sluiced --check-config\n"
	      "# prints the effective configuration. See sluiced.conf(5).\n",
	      f);
	for (size_t i = 0; i < N_OPTIONS; i++) {
		const struct opt *o = &options[i];
		if (section == NULL || strcmp(section, o->section) != 0) {
			fprintf(f, "\n[%s]\n", o->section);
			section = o->section;
		}
		fprintf(f, "# %s\n#%s =%s%s\n", o->help, o->name,
		        *o->def ? " " : "", o->def);
	}
}

/* Free a string that may hold a secret (a token, a password, a URL with
 * one), wiping it first. NULL is a no-op. */
static void
free_secret(char *p)
{
	if (p != NULL)
		sodium_memzero(p, strlen(p));
	free(p);
}

void
config_free(struct server_config *cfg)
{
	if (cfg == NULL)
		return;
	free(cfg->listen_addr);
	free(cfg->data_dir);
	free(cfg->public_url);
	free(cfg->console_dir);
	free(cfg->upstream_url);
	free(cfg->trusted_keys_spec);
	free(cfg->trusted_root_spec);
	free(cfg->upstream_kind_name);
	free(cfg->upstream_mode_name);
	free_secret(cfg->upstream_token);
	list_free(cfg->products);
	list_free(cfg->classifications);
	free_secret(cfg->database_url);
	free_secret(cfg->db_path);
	free(cfg->content_dir);
	free(cfg->log_file);
	free(cfg->metrics_listen);
	free(cfg->metrics_addr);
	free_secret(cfg->metrics_token);
	free(cfg->upstream_ca_file);
	free(cfg->tls_cert);
	free(cfg->tls_key);
	free(cfg->tls_listen);
	free(cfg->tls_plain);
	free(cfg->tls_addr);
	free(cfg->run_user);
	free(cfg->run_group);
	free(cfg->seccomp);
	free(cfg->reuse_port);
	free_secret(cfg->proxy_url);
	free(cfg->download_window);
	free_secret(cfg->notify_password);
	free(cfg->notify_smtp);
	free(cfg->notify_starttls);
	free(cfg->notify_ca_file);
	free(cfg->notify_user);
	free(cfg->notify_from);
	list_free(cfg->notify_to);
	free(cfg->notify_webhook);
	sodium_memzero(&cfg->trusted_keys, sizeof(cfg->trusted_keys));
	memset(cfg, 0, sizeof(*cfg));
}

static bool
opt_equal(const struct server_config *a, const struct server_config *b,
          const struct opt *o)
{
	const char *pa = (const char *)a + o->off,
	           *pb = (const char *)b + o->off;

	switch (o->type) {
	case OPT_STR: {
		const char *x = *(char *const *)pa, *y = *(char *const *)pb;
		return (x == NULL && y == NULL) ||
		       (x != NULL && y != NULL && strcmp(x, y) == 0);
	}
	case OPT_INT:
	case OPT_LEVEL:
		return *(const int *)pa == *(const int *)pb;
	case OPT_LIST: {
		char **x = *(char **const *)pa, **y = *(char **const *)pb;
		for (; x && y && *x && *y; x++, y++)
			if (strcmp(*x, *y) != 0)
				return false;
		return (x == NULL || *x == NULL) && (y == NULL || *y == NULL);
	}
	case OPT_STORAGE:
		return config_storage_mode(a) == config_storage_mode(b);
	case OPT_LISTEN:
		return a->port == b->port &&
		       strcmp(a->listen_addr, b->listen_addr) == 0;
	}
	return false;
}

int
config_reload(struct server_config *cur, struct server_config *next,
              void (*changed)(const char *section, const char *name,
                              bool applied, void *arg),
              void *arg)
{
	char full[64];
	bool reload;
	int n = 0;

	for (size_t i = 0; i < N_OPTIONS; i++) {
		const struct opt *o = &options[i];
		if (opt_equal(cur, next, o))
			continue;
		n++;
		snprintf(full, sizeof(full), "%s.%s", o->section, o->name);
		reload = false;
		for (size_t k = 0; reloadable[k] != NULL; k++)
			reload = reload || strcmp(reloadable[k], full) == 0;
		if (reload) {
			/* Only OPT_STR and OPT_LEVEL options are reloadable:
			 * a string is swapped (next frees the old one). */
			char *pc = (char *)cur + o->off,
			     *pn = (char *)next + o->off;
			if (o->type == OPT_STR) {
				char *t = *(char **)pc;
				*(char **)pc = *(char **)pn;
				*(char **)pn = t;
			} else {
				*(int *)pc = *(int *)pn;
			}
		}
		changed(o->section, o->name, reload, arg);
	}
	return n;
}
