/*
 * targeting: how a computer gets its group. Per server (meta 'targeting'):
 *   server  administrators assign groups; a new computer lands in
 *           "Unassigned Computers" whatever it declares;
 *   client  the agent declares group names at registration ("groups"); the
 *           computer joins the first one that exists. A declared name that
 *           does not exist is handled per meta 'unknown_groups':
 *           ignore (the computer lands in "Unassigned Computers"), create
 *           (the group is created under "All Computers") or reject (the
 *           registration is refused with a 400 naming the group).
 * Defaults: client + ignore.
 */
#ifndef SLUICE_SERVER_TARGETING_H
#define SLUICE_SERVER_TARGETING_H

#include <stdint.h>

#include <jansson.h>

#include "store/store.h"
#include "err.h"

struct targeting {
	char mode[16];    /* "server" | "client" */
	char unknown[16]; /* "ignore" | "create" | "reject" */
};

int targeting_get(struct targeting *out, struct store *db, struct err *e);
/* Validate and store (NULL members keep the current value). */
int targeting_set(struct store *db, const char *mode, const char *unknown,
                  struct err *e);

/* The group a registering computer joins, given its declared names (a
 * validated JSON array of strings, or NULL). Run inside a transaction. */
int targeting_pick_group(int64_t *out, struct store *db, json_t *groups,
                         struct err *e);

#endif
