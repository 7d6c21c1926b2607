/*
 * auth: tokens and identities. A token is 32 random bytes as 64 hex
 * digits; the database keeps only the SHA-256 hex of it. Computers get
 * theirs at registration, administrators at first start (written once to
 * DATA/admin.token, mode 0600, and shown once in the log).
 */
#ifndef SLUICE_SERVER_AUTH_H
#define SLUICE_SERVER_AUTH_H

#include <stdbool.h>
#include <stdint.h>

#include "store/store.h"
#include "store/store_tokcache.h"
#include "err.h"

#define AUTH_TOKEN_LEN 64
#define AUTH_UUID_LEN  36

/* A new random token (64 lowercase hex + NUL). */
void auth_token_new(char out[AUTH_TOKEN_LEN + 1]);
/* SHA-256 hex of a token, as stored. */
void auth_token_hash(char out[AUTH_TOKEN_LEN + 1], const char *token);
/* A random (version 4) UUID in canonical lowercase form. */
void auth_uuid(char out[AUTH_UUID_LEN + 1]);
/* True for a canonical lowercase UUID text. */
bool auth_is_uuid(const char *s);

/* Parse an Authorization header "Bearer <token>": *token points into hdr.
 * SL_EAUTH when missing or malformed. */
int auth_bearer(const char **token, const char *hdr, struct err *e);

/* The computer owning token (id copied to id_out, 64 bytes), else
 * SL_EAUTH ("unknown computer or bad token"). */
int auth_computer(char id_out[64], struct store *db, const char *token,
                  struct err *e);
/* auth_computer, and from the same statement the computer's sync state and
 * the change sequence (store_computer_by_token_sync); through cache when
 * not NULL (store_tokcache.h: from memory while nothing changed). */
int auth_computer_sync(char id_out[64], struct store_computer_sync *sync,
                       int64_t *seq, struct store_tokcache *cache,
                       struct store *db, const char *token, struct err *e);

/* The admin token's row id, else SL_EAUTH. */
int auth_admin(int64_t *id_out, struct store *db, const char *token,
               struct err *e);

/* Roles of admin tokens. */
#define AUTH_ROLE_ADMINISTRATOR "administrator" /* everything */
#define AUTH_ROLE_REPORTER      "reporter"      /* read-only */

/* Any active admin token for a request with this HTTP method: the row id,
 * else SL_EAUTH; a reporter token on anything but GET/HEAD gets SL_EDENIED
 * (403) saying that it is read-only. */
int auth_admin_for(int64_t *id_out, struct store *db, const char *token,
                   const char *method, struct err *e);

/* The active downstream server owning token: id and name (128 bytes),
 * else SL_EAUTH ("unknown downstream server token"). */
int auth_downstream(int64_t *id_out, char name_out[128], struct store *db,
                    const char *token, struct err *e);

/* Create an admin token NAME with ROLE (one of the above): the new token
 * (shown once) goes to token_out, its row id to *id_out. SL_EINVAL for a
 * bad role or name, SL_EEXISTS when an active token has that name. */
int auth_token_create(int64_t *id_out, char token_out[AUTH_TOKEN_LEN + 1],
                      struct store *db, const char *name, const char *role,
                      struct err *e);

/* When no admin token exists yet: make one, store its hash, write it to
 * DATA/admin.token (0600) and copy it to token_out with *created = true.
 * Otherwise *created = false. */
int auth_admin_bootstrap(char token_out[AUTH_TOKEN_LEN + 1], bool *created,
                         struct store *db, const char *data_dir, struct err *e);

#endif
