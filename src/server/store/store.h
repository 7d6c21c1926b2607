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
int store_meta_get(struct store *s, const char *key, char **out, struct err *e);
int store_meta_set(struct store *s, const char *key, const char *value,
                   struct err *e);

/* --- Tokens (store_tokens.c): lookups by the SHA-256 hex of a token, and
 * the admin tokens. --------------------------------------------------------*/

struct store_admin_token {
	int64_t id;
	char name[128];
	char role[32];
};

/* The computer whose token has this hash: its id (SL_ENOTFOUND). */
int store_computer_by_token(char id_out[64], struct store *s,
                            const char *token_hash, struct err *e);
/* The active admin token with this hash (SL_ENOTFOUND). */
int store_admin_token_by_hash(struct store_admin_token *out, struct store *s,
                              const char *token_hash, struct err *e);
/* The oldest active admin token named name_or_id, or whose id is that
 * number, with the number of active administrator tokens (SL_ENOTFOUND). */
int store_admin_token_active(struct store_admin_token *out, int64_t *admins,
                             struct store *s, const char *name_or_id,
                             struct err *e);
/* Whether an active admin token is named name. */
int store_admin_token_name_taken(bool *out, struct store *s, const char *name,
                                 struct err *e);
/* Admin tokens ever created (revoked ones too). */
int store_admin_token_count(int64_t *out, struct store *s, struct err *e);
/* A new admin token row; *id_out its id. */
int store_admin_token_insert(int64_t *id_out, struct store *s, const char *name,
                             const char *role, const char *token_hash,
                             int64_t now, struct err *e);
int store_admin_token_revoke(struct store *s, int64_t id, struct err *e);
/* Every admin token as {id, name, role, created, revoked}, by id. */
int store_admin_tokens_list(json_t *arr, struct store *s, struct err *e);
/* The active downstream server with this token hash (SL_ENOTFOUND). */
int store_downstream_by_token(int64_t *id_out, char name_out[128],
                              struct store *s, const char *token_hash,
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
                     const char *action_prefix, int64_t limit, struct err *e);

#endif
