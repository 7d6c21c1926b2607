/*
 * config: sluiced's configuration, declared once as a table of options
 * (section, name, type, default, bounds). The INI file (inih) and the
 * command-line flags both write through that table; --check-config
 * validates and dumps it. Flags override the file.
 */
#ifndef SLUICE_SERVER_CONFIG_H
#define SLUICE_SERVER_CONFIG_H

#include <stdbool.h>
#include <stdio.h>

#include "err.h"
#include "sign.h"

#define CONFIG_DEFAULT_PORT     8530
#define CONFIG_DEFAULT_TLS_PORT 8531 /* as WSUS */

enum storage_mode {
	STORAGE_NONE,        /* metadata only; agents use upstream URLs */
	STORAGE_FULL,        /* every file downloaded during sync */
	STORAGE_ON_APPROVAL, /* files downloaded when approved */
};

enum upstream_kind {
	UPSTREAM_CATALOG, /* a catalog origin (signed static tree) */
	UPSTREAM_SLUICED, /* another sluiced (server-to-server API) */
};

enum upstream_mode {
	UPSTREAM_AUTONOMOUS, /* local administrators approve */
	UPSTREAM_REPLICA,    /* groups and approvals come from the upstream */
};

struct server_config {
	char *listen_addr; /* "127.0.0.1" */
	int port;          /* 8530 */
	char *data_dir;    /* /var/lib/sluice */
	char *public_url;  /* NULL = "http://" + Host header */
	int threads;       /* HTTP worker threads as configured; 0: auto */
	/* Derived by config_finish(): the worker threads each listener
	 * starts, threads or when that is 0 one per online processor core,
	 * at least 2 (so that one handler waiting for the database does not
	 * hold every connection). */
	int http_threads;
	int token_cache;   /* entries of store_tokcache.h; 0: off */
	char *console_dir; /* the web console's assets (web/) */

	char *upstream_url;      /* file:// or http(s)://; NULL = none */
	char *trusted_keys_spec; /* comma-separated key file paths */
	struct sign_keyring trusted_keys; /* loaded from trusted_keys_spec */
	char *trusted_root_spec;          /* comma-separated root key files */
	struct sign_keyring trusted_root; /* loaded from trusted_root_spec */
	int syncs_per_day;                /* 0 = manual only */
	char **products;                  /* NULL-terminated; NULL = all */
	char **classifications;           /* NULL-terminated; NULL = all */

	enum storage_mode storage_mode;

	/* [upstream] kind/token/mode (text as configured, then parsed by
	 * config_finish()). token: the downstream token issued by the
	 * upstream sluiced's administrator (kind sluiced only). */
	char *upstream_kind_name;
	char *upstream_token;
	char *upstream_ca_file; /* CA PEM for an https:// upstream; NULL:
	                           the system's */
	char *upstream_mode_name;
	enum upstream_kind upstream_kind;
	enum upstream_mode upstream_mode;

	/* [database] url: a PostgreSQL URL, NULL = SQLite in data_dir. */
	char *database_url;

	/* [limits] (http/limits.h). max_connections 0: from the open file
	 * limit. per_address 0: none. Timeouts in seconds. */
	int max_connections;
	int per_address_connections;
	int request_timeout;
	int idle_timeout;
	int listen_backlog;

	/* [tls] (http/tls.h): cert and key PEM files (NULL: no TLS); listen
	 * as configured (NULL: server.listen's address, port 8531), parsed
	 * into tls_addr/tls_port; plain: what the plain listener serves
	 * while TLS is on ("all", "content" or "off"). */
	char *tls_cert;
	char *tls_key;
	char *tls_listen;
	char *tls_plain;
	char *tls_addr;
	int tls_port;

	/* [server] user/group: the account sluiced drops to when started as
	 * root (privdrop.h); group NULL: the user's primary group. */
	char *run_user;
	char *run_group;
	char *seccomp; /* "on" | "off" (sandbox.h) */
	/* [server] reuse_port "on": the listening sockets take SO_REUSEPORT,
	 * so that several front-ends of one PostgreSQL database on one host
	 * share a port (the kernel spreads the connections; a restart
	 * hands the port over). Parsed into reuse_port_on. */
	char *reuse_port;
	bool reuse_port_on;

	/* [cleanup] (jobs/cleanup.h): every interval_hours (0 = only on
	 * demand); superseded_days < 0 skips that step, computer_days 0
	 * keeps every computer; the flags are 0/1. */
	int cleanup_hours;
	int cleanup_superseded_days;
	int cleanup_expired;
	int cleanup_computer_days;
	int cleanup_files;
	int cleanup_compact;
	/* [network] (jobs/netopts.h): an HTTP(S) proxy for the upstream and
	 * file downloads ("http://[user:password@]host:port", "" = none), a
	 * bandwidth limit for file downloads (KiB/s, 0 = none) and the hours
	 * in which file downloads run ("HH:MM-HH:MM" local time, "" =
	 * always; parsed into minutes of the day, -1 when none). */
	char *proxy_url;
	int download_limit_kbps;
	char *download_window;
	int window_start_min, window_end_min;
	/* [notify] (jobs/notify.h): e-mail through an SMTP server and/or a
	 * webhook (HTTP POST of a JSON event). */
	char *notify_smtp;     /* smtp://host:port ("" = no e-mail) */
	char *notify_starttls; /* none | try | required */
	char *notify_ca_file;  /* "" = the system's CAs */
	char *notify_user;     /* "" = no AUTH */
	char *notify_password;
	char *notify_from;
	char **notify_to;        /* recipients */
	char *notify_webhook;    /* http(s) URL ("" = none) */
	int notify_on_sync;      /* 1/0: new updates synced */
	int notify_report_hours; /* status report every N hours, 0 = never */
	/* Derived by config_finish(). db_path is the target of db_open():
	 * database_url when set, else DATA/sluice.db. */
	char *db_path;
	char *content_dir; /* DATA/content */

	/* [log]: level and access (enum log_level; access may be
	 * CONFIG_LEVEL_OFF), file (NULL = standard error). */
	int log_level;
	int access_level;
	char *log_file;

	/* [metrics] listen "ADDR:PORT" (NULL = none; parsed into
	 * metrics_addr/metrics_port) and token (NULL = admin tokens). */
	char *metrics_listen;
	char *metrics_addr;
	int metrics_port;
	char *metrics_token;
};

#define CONFIG_LEVEL_OFF 9 /* above every log level: never written */

/* Fill cfg with the defaults of the option table. Free with config_free(). */
int config_defaults(struct server_config *cfg, struct err *e);

/* Read an INI file over cfg (unknown keys and bad values are errors,
 * named "FILE:LINE: ..."). */
int config_load_file(struct server_config *cfg, const char *path,
                     struct err *e);

/* Set one option by section and name from its text form. */
int config_set(struct server_config *cfg, const char *section, const char *name,
               const char *value, struct err *e);

/* Set "ADDR:PORT" (listen). */
int config_set_listen(struct server_config *cfg, const char *value,
                      struct err *e);

/* Validate, derive db_path/content_dir and load the trusted keys. */
int config_finish(struct server_config *cfg, struct err *e);

/* Write the effective configuration as INI text. */
void config_dump(const struct server_config *cfg, FILE *f);

/* Write every option of the table, commented out with its default and its
 * help line, as an INI template (the packaged /etc/sluice/sluiced.conf). */
void config_template(FILE *f);

/* Compare a freshly loaded and finished configuration next with the
 * running one cur. Each option that differs is reported to changed();
 * those the option table marks reloadable ([log] level, access, file) are
 * moved into cur (applied = true), the others stay as they are and need a
 * restart (applied = false). Returns how many options differ. */
int config_reload(struct server_config *cur, struct server_config *next,
                  void (*changed)(const char *section, const char *name,
                                  bool applied, void *arg),
                  void *arg);

/* Release the strings; cfg is zeroed. NULL-safe. */
void config_free(struct server_config *cfg);

const char *config_storage_name(enum storage_mode m);
/* cfg->storage_mode, which an administrator may change while the server
 * runs (api_storage.c stores it atomically): every reader outside the
 * start-up reads it through this. */
enum storage_mode config_storage_mode(const struct server_config *cfg);
int config_storage_parse(enum storage_mode *out, const char *s, struct err *e);

#endif
