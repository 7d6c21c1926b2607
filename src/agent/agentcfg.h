/*
 * agentcfg: sluice-agent's configuration, declared once as a table.
 *
 * The INI file has one section, [agent]; every option has a default, so an
 * agent runs without a file. Command-line flags (--root, --state, --server)
 * override what the file says. The table drives parsing, validation and
 * agentcfg_dump().
 */
#ifndef SLUICE_AGENTCFG_H
#define SLUICE_AGENTCFG_H

#include <stdio.h>

#include "err.h"
#include "sign.h"

struct agentcfg {
	char *server;        /* base URL of the sluiced, no trailing '/' */
	char *state_dir;     /* agent.db and downloads/ live here */
	char *root;          /* system the rules and handlers work inside */
	char **trusted_keys; /* NULL-terminated public key file paths */
	char **trusted_root; /* the origin's root public key files */
	char **groups;       /* NULL-terminated group names asked for */
	long long detect_interval_hours;
	char *install_time;        /* "HH:MM", local time */
	long long bandwidth_limit; /* bytes/s, 0 = unlimited */
	char *proxy;               /* HTTP(S) proxy URL; NULL or "" = none */
	long long install_timeout; /* seconds, default for every installer */
	char *deb_dependencies;    /* deb handler: "none" or "apt" */
	char *ca_file;        /* CA PEM for https:// servers; NULL = system */
	char *enrollment_key; /* sent when registering; NULL = none */
	int install_hour, install_minute; /* parsed from install_time */
	/* The keys documents are verified with: those of trusted_keys,
	 * plus, with trusted_root, the origin's accepted key list
	 * (freshness.c updates it). */
	struct sign_keyring keyring;
	struct sign_keyring file_keys; /* those of trusted_keys alone */
	struct sign_keyring root_keys; /* those of trusted_root */
};

/* Fill c with the defaults. Free with agentcfg_free(). */
int agentcfg_init(struct agentcfg *c, struct err *e);

/* Read an INI file over the current values. Unknown sections or keys and
 * out-of-range values are SL_EINVAL ("FILE:LINE: ..."); a missing file is
 * SL_ENOTFOUND. */
int agentcfg_load(struct agentcfg *c, const char *path, struct err *e);

/* Set one option by name from text, as the file would (used for flags). */
int agentcfg_set(struct agentcfg *c, const char *name, const char *value,
                 struct err *e);

/* Check the combination and load the trusted keys into c->keyring. */
int agentcfg_finish(struct agentcfg *c, struct err *e);

/* Write the effective configuration as INI. */
void agentcfg_dump(const struct agentcfg *c, FILE *f);

/* Write every option of the table, commented out with its default and its
 * help line, as an INI template (the packaged /etc/sluice/agent.conf). */
void agentcfg_template(FILE *f);

void agentcfg_free(struct agentcfg *c);

#endif
