/*
 * targeting: the vocabulary of how a computer gets its group, shared by
 * the server (meta 'targeting' and 'unknown_groups', the registration) and
 * the console (`sluice groups targeting`):
 *   server  administrators assign groups; a new computer lands in
 *           "Unassigned Computers" whatever it declares;
 *   client  the agent declares group names at registration; the computer
 *           joins the first one that exists. A declared name that does not
 *           exist is handled per the unknown-groups setting: ignore (the
 *           computer lands in "Unassigned Computers"), create (the group is
 *           created under "All Computers") or reject (the registration is
 *           refused).
 */
#ifndef SLUICE_TARGETING_H
#define SLUICE_TARGETING_H

#include "err.h"

#define TARGETING_SERVER "server"
#define TARGETING_CLIENT "client"

#define TARGETING_UNKNOWN_IGNORE "ignore"
#define TARGETING_UNKNOWN_CREATE "create"
#define TARGETING_UNKNOWN_REJECT "reject"

#define TARGETING_DEFAULT         TARGETING_CLIENT
#define TARGETING_UNKNOWN_DEFAULT TARGETING_UNKNOWN_IGNORE

/* Validate a mode and an unknown-groups setting (NULL: not given).
 * SL_EINVAL naming the field and the accepted values. */
int targeting_check(const char *mode, const char *unknown, struct err *e);

#endif
