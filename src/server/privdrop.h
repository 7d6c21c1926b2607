/*
 * privdrop: least privilege for sluiced. Started as root, it has bound
 * its ports and read its TLS key (http/listen.h); it then gives up root
 * for server.user / server.group (default "sluice") before it reads a
 * byte from the network, and refuses to go on as root when that account
 * does not exist. Only an explicit server.user = root keeps root (a
 * warning is logged). Started as any other user, nothing changes.
 */
#ifndef SLUICE_SERVER_PRIVDROP_H
#define SLUICE_SERVER_PRIVDROP_H

#include "config.h"
#include "err.h"

enum privdrop_result {
	PRIVDROP_NOT_ROOT,  /* not started as root: nothing to do */
	PRIVDROP_DROPPED,   /* now running as server.user */
	PRIVDROP_KEPT_ROOT, /* server.user = root, explicitly */
};

/* Drop root as described above; call before any thread starts. Creates
 * server.data for the account when it does not exist yet. SL_EINVAL when
 * the account is missing or is another name for root, SL_EDENIED when the
 * switch does not take. */
int privdrop_apply(enum privdrop_result *out, const struct server_config *cfg,
                   struct err *e);

#endif
