/*
 * audit: the log of every administrative change — who (the admin token's
 * name, or what acted on its own: "auto-approval rule NAME", "agent
 * registration"), what (a dotted action name: "approval.set",
 * "group.delete", ...), on what (target) and when. Written in the same
 * transaction as the change it records; read by GET /v1/admin/audit.
 */
#ifndef SLUICE_SERVER_AUDIT_H
#define SLUICE_SERVER_AUDIT_H

#include <stdint.h>

#include "db_legacy.h"
#include "err.h"

#define AUDIT_ACTOR_MAX 160

/* Append one entry; detail is printf-formatted (fmt may be NULL). The
 * error object comes second here because of the variable arguments. */
int audit_add(struct db *db, struct err *e, const char *actor,
              const char *action, const char *target, const char *fmt, ...)
        __attribute__((format(printf, 6, 7)));

/* The name of admin token admin_id ("token #N" when it has none). */
int audit_actor(char out[AUDIT_ACTOR_MAX], struct db *db, int64_t admin_id,
                struct err *e);

#endif
