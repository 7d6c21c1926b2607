/*
 * store: everything sluiced keeps in its database, behind functions named
 * for what they do. The only code that knows SQL is under src/server/store/
 * (the queries in store_*.c, written once in the common dialect of db.h,
 * and the engines behind db.h); handlers, jobs and the HTTP layer call
 * store_* functions and never see a statement.
 *
 * A struct store is one connection (SQLite file or PostgreSQL URL), used by
 * one thread at a time: each worker thread and each job opens its own.
 * Transactions are explicit: store_begin() (write) or store_begin_read()
 * (one consistent snapshot for several reads), then store_commit() or
 * store_rollback(). A function documented "inside a transaction" relies on
 * the caller's; the others run as one statement each.
 *
 * The functions are declared below by area; store_<area>.c holds the
 * queries of each. Listing functions append to a caller's JSON array the
 * objects the admin API shows (jansson is the model both sides share).
 * "Not found" is SL_ENOTFOUND with a message naming what was looked up.
 */
#ifndef SLUICE_SERVER_STORE_STORE_H
#define SLUICE_SERVER_STORE_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "err.h"

struct store;

/* Open the database named by target (an SQLite file path, created if
 * missing, or a postgresql:// URL) and bring its schema up to date. Free
 * with store_close(). */
int store_open(struct store **out, const char *target, struct err *e);
/* NULL-safe. */
void store_close(struct store *s);

/* A write transaction. SL_EUNAVAILABLE when the database stays busy. */
int store_begin(struct store *s, struct err *e);
/* A read transaction: the reads until store_commit()/store_rollback() see
 * one snapshot. */
int store_begin_read(struct store *s, struct err *e);
int store_commit(struct store *s, struct err *e);
/* Ignores errors; a no-op outside a transaction. NULL-safe. */
void store_rollback(struct store *s);

/* The schema version of the open database. */
int store_schema_version(struct store *s, int *out, struct err *e);

/* Change sequence (meta 'change_seq'): every change an agent or a
 * downstream server must see takes the next number, inside the same
 * transaction as the change it numbers. */
int store_seq_next(struct store *s, int64_t *out, struct err *e);
int store_seq_current(struct store *s, int64_t *out, struct err *e);

/* Server settings kept in the meta table. store_meta_get: *out (free())
 * or SL_ENOTFOUND. */
int store_meta_get(struct store *s, const char *key, char **out,
                   struct err *e);
int store_meta_set(struct store *s, const char *key, const char *value,
                   struct err *e);

/* --- Audit (store_audit.c): every administrative change, written in the
 * same transaction as the change it records. ---------------------------*/

#define STORE_ACTOR_MAX 160

/* Append one entry; detail is printf-formatted (fmt may be NULL). The
 * error object comes second because of the variable arguments. */
int store_audit_add(struct store *s, struct err *e, const char *actor,
                    const char *action, const char *target, const char *fmt,
                    ...) __attribute__((format(printf, 6, 7)));
/* The name of admin token admin_id ("token #N" when it has none). */
int store_audit_actor(char out[STORE_ACTOR_MAX], struct store *s,
                      int64_t admin_id, struct err *e);
/* The newest `limit` entries, newest first, optionally only those of actor
 * and those whose action starts with action_prefix (NULL: any). */
int store_audit_list(json_t *arr, struct store *s, const char *actor,
                     const char *action_prefix, int64_t limit,
                     struct err *e);

#endif
