/*
 * config: the option table and everything that reads it (defaults, INI
 * parsing through inih, flag overrides, validation, dump, and the commented
 * template the packages install as /etc/sluice/sluiced.conf).
 */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "array.h"
#include "buf.h"

enum opt_type { OPT_STR, OPT_INT, OPT_LIST, OPT_STORAGE, OPT_LISTEN };

struct opt {
	const char *section;
	const char *name;
	enum opt_type type;
	size_t off; /* offset of the field in struct server_config */
	const char *def;
	long min, max; /* OPT_INT bounds */
	const char *help;
};

#define CONFIG_LIST_MAX 1024 /* entries of a comma-separated list */

#define F(field) offsetof(struct server_config, field)

static const struct opt options[] = {
        {"server", "listen", OPT_LISTEN, 0, "127.0.0.1:8530", 0, 0,
         "address and port to listen on"},
        {"server", "data", OPT_STR, F(data_dir), "/var/lib/sluice", 0, 0,
         "data directory (database, content store)"},
        {"server", "public_url", OPT_STR, F(public_url), "", 0, 0,
         "base URL agents use for content (empty: from the Host header)"},
        {"server", "threads", OPT_INT, F(threads), "4", 1, 256,
         "HTTP worker threads"},
        {"server", "access_log", OPT_INT, F(access_log), "0", 0, 1,
         "1: log every answered request; 0: failures only"},
        {"upstream", "url", OPT_STR, F(upstream_url), "", 0, 0,
         "catalog origin or upstream server URL"},
        {"upstream", "trusted_keys", OPT_STR, F(trusted_keys_spec), "", 0, 0,
         "comma-separated public key files"},
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
        {"upstream", "mode", OPT_STR, F(upstream_mode_name), "autonomous", 0, 0,
         "autonomous | replica (kind sluiced)"},
        {"storage", "mode", OPT_STORAGE, F(storage_mode), "none", 0, 0,
         "none | full | on-approval"},
        {"database", "url", OPT_STR, F(database_url), "", 0, 0,
         "PostgreSQL database postgresql://USER[:PASSWORD]@HOST[:PORT]/DB "
         "(empty: the SQLite file DATA/sluice.db)"},
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

int
config_finish(struct server_config *cfg, struct err *e)
{
	char *spec = NULL, *p, *comma;
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
	if ((rc = config_upstream_finish(cfg, e)) != SL_OK)
		return rc;
	cfg->trusted_keys.n = 0;
	if (cfg->trusted_keys_spec == NULL) {
		if (cfg->upstream_url != NULL)
			return err_set(
			        e, SL_EINVAL,
			        "upstream.trusted_keys must name at "
			        "least one key when upstream.url is set");
		return SL_OK;
	}
	spec = strdup(cfg->trusted_keys_spec);
	if (spec == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	for (p = spec; p != NULL; p = comma) {
		comma = strchr(p, ',');
		if (comma)
			*comma++ = '\0';
		char *t = trim(p);
		if (*t == '\0')
			continue;
		rc = sign_keyring_add_file(&cfg->trusted_keys, t, e);
		if (rc != SL_OK) {
			err_prefix(e, "upstream.trusted_keys");
			goto out;
		}
	}
	if (cfg->trusted_keys.n == 0)
		rc = err_set(e, SL_EINVAL,
		             "upstream.trusted_keys names no key file");
out:
	free(spec);
	return rc;
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
			if (o->off == F(upstream_token) && v != NULL)
				v = "(set; not shown)";
			if (o->off == F(database_url) && v != NULL)
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

void
config_free(struct server_config *cfg)
{
	if (cfg == NULL)
		return;
	free(cfg->listen_addr);
	free(cfg->data_dir);
	free(cfg->public_url);
	free(cfg->upstream_url);
	free(cfg->trusted_keys_spec);
	free(cfg->upstream_kind_name);
	free(cfg->upstream_mode_name);
	if (cfg->upstream_token != NULL)
		sodium_memzero(cfg->upstream_token,
		               strlen(cfg->upstream_token));
	free(cfg->upstream_token);
	list_free(cfg->products);
	list_free(cfg->classifications);
	if (cfg->database_url != NULL)
		sodium_memzero(cfg->database_url, strlen(cfg->database_url));
	free(cfg->database_url);
	if (cfg->db_path != NULL)
		sodium_memzero(cfg->db_path, strlen(cfg->db_path));
	free(cfg->db_path);
	free(cfg->content_dir);
	sodium_memzero(&cfg->trusted_keys, sizeof(cfg->trusted_keys));
	memset(cfg, 0, sizeof(*cfg));
}
