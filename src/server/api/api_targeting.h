/*
 * api_targeting: this server's targeting settings (meta 'targeting' and
 * 'unknown_groups'; the vocabulary is libsluice's targeting.h) and the
 * group a registering computer joins. A rejected unknown group refuses the
 * registration with a 400 naming the group. Defaults: client + ignore.
 */
#ifndef SLUICE_SERVER_API_TARGETING_H
#define SLUICE_SERVER_API_TARGETING_H

#include <stdint.h>

#include <jansson.h>

#include "store/store.h"
#include "err.h"
#include "targeting.h"

struct targeting {
	char mode[16];    /* "server" | "client" */
	char unknown[16]; /* "ignore" | "create" | "reject" */
};

int api_targeting_get(struct targeting *out, struct store *db, struct err *e);
/* Validate and store (NULL members keep the current value). */
int api_targeting_set(struct store *db, const char *mode, const char *unknown,
                      struct err *e);

/* The group a registering computer joins, given its declared names (a
 * validated JSON array of strings, or NULL). Run inside a transaction. */
int api_targeting_pick_group(int64_t *out, struct store *db, json_t *groups,
                             struct err *e);

#endif
