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

#define CONFIG_DEFAULT_PORT 8530

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
	int threads;       /* HTTP worker threads */
	int access_log;    /* 1: a line per answered request */

	char *upstream_url;      /* file:// or http(s)://; NULL = none */
	char *trusted_keys_spec; /* comma-separated key file paths */
	struct sign_keyring trusted_keys; /* loaded from trusted_keys_spec */
	int syncs_per_day;                /* 0 = manual only */
	char **products;                  /* NULL-terminated; NULL = all */
	char **classifications;           /* NULL-terminated; NULL = all */

	enum storage_mode storage_mode;

	/* [upstream] kind/token/mode (text as configured, then parsed by
	 * config_finish()). token: the downstream token issued by the
	 * upstream sluiced's administrator (kind sluiced only). */
	char *upstream_kind_name;
	char *upstream_token;
	char *upstream_mode_name;
	enum upstream_kind upstream_kind;
	enum upstream_mode upstream_mode;

	/* [database] url: a PostgreSQL URL, NULL = SQLite in data_dir. */
	char *database_url;

	/* Derived by config_finish(). db_path is the target of db_open():
	 * database_url when set, else DATA/sluice.db. */
	char *db_path;
	char *content_dir; /* DATA/content */
};

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

/* Release the strings; cfg is zeroed. NULL-safe. */
void config_free(struct server_config *cfg);

const char *config_storage_name(enum storage_mode m);
int config_storage_parse(enum storage_mode *out, const char *s, struct err *e);

#endif
