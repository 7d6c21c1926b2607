/*
 * catalog_priv: the pieces of catalog_tool.c that catalog_batch.c shares
 * (paths of a catalog directory, its lock, its key, reading and writing
 * the signed index, storing one signed document). Not a public API.
 */
#ifndef SLUICE_CATALOG_PRIV_H
#define SLUICE_CATALOG_PRIV_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "catalog.h"

#define PATH_MAX_LEN 4096

struct catalog_dir {
	char public[PATH_MAX_LEN];
	char key[PATH_MAX_LEN];
	char state[PATH_MAX_LEN];
	char lock[PATH_MAX_LEN];
	char root[PATH_MAX_LEN];     /* private/root.key */
	char root_pub[PATH_MAX_LEN]; /* public/root.pub */
	char keys[PATH_MAX_LEN];     /* public/keys.json */
	char ts[PATH_MAX_LEN];       /* public/timestamp.json */
};

int dir_paths(struct catalog_dir *d, const char *dir, struct err *e);
/* Exclusive lock on DIR/private/lock; close(*fd_out) releases it. */
int lock_dir(const struct catalog_dir *d, int *fd_out, struct err *e);
int64_t state_last_version(const struct catalog_dir *d);
/* One integer of private/state.json (0 when absent) / set one, keeping
 * the others. */
int64_t state_get(const struct catalog_dir *d, const char *key);
int state_set(const struct catalog_dir *d, const char *key, int64_t v,
              struct err *e);
/* Write v as indented JSON with sorted keys, atomically. */
int write_json(const char *path, const json_t *v, mode_t mode, struct err *e);
/* Sign (with k) and write a new timestamp for the index bytes text
 * (catalog_keys.c); seconds <= 0: the default lifetime. */
int timestamp_write(const struct catalog_dir *d, const struct sign_key *k,
                    int64_t index_version, const char *text, size_t len,
                    long long seconds, struct err *e);
/* The keys that sign DIR's documents: its key list when the catalog has a
 * root (verified with the root key), else its own signing key. */
int local_keyring(struct sign_keyring *kr, const struct catalog_dir *d,
                  struct err *e);
int load_own_key(struct sign_key *k, const struct catalog_dir *d,
                 struct err *e);
/* Sign and write a new index holding `updates` (stolen reference), then
 * the state file. */
int index_write(const struct catalog_dir *d, const struct sign_key *k,
                json_t *updates, int64_t version, int expiry_days,
                struct err *e);
/* The current index's signed document (new reference) and version; the
 * parsed index too when idx_out is not NULL (catalog_index_free()). */
int index_read(json_t **doc_out, int64_t *version,
               struct catalog_index **idx_out, const struct catalog_dir *d,
               const struct sign_key *k, struct err *e);
/* Sign and write u's document; *entry_out is its index entry (new
 * reference). sync false: written atomically but not fsynced (the caller
 * syncs the file system once before publishing the index). */
int store_document(json_t **entry_out, const struct update *u,
                   const struct catalog_dir *d, const struct sign_key *k,
                   bool sync, struct err *e);

#endif
