/*
 * catalog: the catalog origin, a static signed tree of updates that a root
 * sluiced syncs from (the role Microsoft Update plays for WSUS).
 *
 *   DIR/private/signing.key   Ed25519 secret key (0600); never publish
 *   DIR/private/state.json    highest index version this tool signed
 *   DIR/public/               the tree to publish (web server, file://)
 *     index.json              signed envelope: versioned, expiring list of
 *                             every update revision + its document's hash
 *     keys/<keyid>.pub        the public key (trust it out of band)
 *     updates/<id>/<rev>.json one signed metadata document per revision
 *     content/<aa>/<sha256>   files, content-addressed
 *
 * Writes are atomic (temp, fsync, rename) and ordered content -> document
 * -> index, so a crash mid-add leaves the previous valid catalog. The
 * parse/verify functions are shared with sluiced's sync and the agent.
 */
#ifndef SLUICE_CATALOG_H
#define SLUICE_CATALOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "err.h"
#include "sign.h"
#include "trust.h"
#include "update.h"

#define CATALOG_INDEX_TYPE          "sluice-catalog-index"
#define CATALOG_INDEX_MAX           (256u << 20)
#define CATALOG_DEFAULT_EXPIRY_DAYS 30

struct catalog_entry {
	char id[UPDATE_ID_LEN + 1];
	int64_t revision;
	char *path; /* relative to the catalog base: updates/<id>/<rev>.json */
	char sha256[65]; /* of the document's bytes */
	uint64_t size;
	char *title;
	char *classification;
	char *product;
	bool expired; /* the update was withdrawn (all its revisions) */
};

struct catalog_index {
	int64_t version;
	long long created, expires;
	struct catalog_entry *entries; /* sorted by id, then revision */
	size_t n;
};

/* Parse an index envelope and check it: a signature by a key in kr, not
 * expired at `now`, version not below min_version (SL_EROLLBACK). Free
 * *out with catalog_index_free(). */
int catalog_index_parse(struct catalog_index **out, const char *text,
                        size_t len, const struct sign_keyring *kr,
                        long long now, int64_t min_version, struct err *e);
void catalog_index_free(struct catalog_index *idx);

/* The newest revision of id in idx, or NULL. */
const struct catalog_entry *
catalog_index_latest(const struct catalog_index *idx, const char *id);

/* Check a metadata document's bytes against the index entry's hash and
 * size, its envelope signature, and parse it. *out (free with
 * update_free()) and *env_out (json_decref(); may be NULL) on success. */
int catalog_doc_parse(struct update **out, json_t **env_out, const char *text,
                      size_t len, const struct catalog_entry *entry,
                      const struct sign_keyring *kr, struct err *e);

/* "content/<aa>/<sha256>" for a content hash (out: at least 80 bytes). */
void catalog_content_path(char *out, size_t n, const char *sha256);

/* Tool operations on a local catalog directory DIR. */
int catalog_init(const char *dir, struct err *e);
/* Add an update (or a new revision) from a definition file plus files.
 * The completed document must pass update_check() (the origin's gate):
 * otherwise nothing changes and e holds the first problem ("... (and N
 * more problems)"). *added (may be NULL) receives the stored update
 * (update_free()). */
int catalog_add(const char *dir, const char *definition, char *const *files,
                size_t n_files, int expiry_days, struct update **added,
                struct err *e);

/* catalog_add() with flags: CATALOG_ADD_UNCHECKED skips update_check()
 * (a document written for newer agents, e.g. with a predicate this tool
 * does not know; the codec's validation still applies). */
#define CATALOG_ADD_UNCHECKED 0x1u
int catalog_add_flags(const char *dir, const char *definition,
                      char *const *files, size_t n_files, int expiry_days,
                      unsigned flags, struct update **added, struct err *e);
int catalog_expire(const char *dir, const char *id, int expiry_days,
                   struct err *e);
/* Re-sign the index with a higher version and a fresh expiry. */
int catalog_sign(const char *dir, int expiry_days, struct err *e);

/* A batch of new updates for a local catalog DIR (catalog_batch.c): the
 * catalog stays locked from begin to free; every added document is
 * written (atomically, without an fsync each), then commit syncs the file
 * system once and writes the index once. Until the index is renamed into
 * place readers see the previous catalog; a failure at any step leaves it
 * valid and unchanged. */
struct catalog_batch;

/* Lock DIR, load its key and index. Free with catalog_batch_free(). */
int catalog_batch_begin(struct catalog_batch **out, const char *dir,
                        struct err *e);
/* Whether the catalog's index (before this batch) holds update id. */
bool catalog_batch_has(const struct catalog_batch *b, const char *id);
/* Sign and store u's document (an id at most once per batch). A revision
 * of 0 becomes the next one for its id (1 for a new update). */
int catalog_batch_add(struct catalog_batch *b, struct update *u, struct err *e);
/* Download url (size + SHA-256 checked) into the content store unless it
 * is there; rel (at least 80 bytes) receives "content/<aa>/<sha256>". */
int catalog_batch_content(struct catalog_batch *b, const char *url,
                          uint64_t size, const char *sha256, char *rel,
                          struct err *e);
/* Publish: sync, then sign and write the index once. Nothing added:
 * nothing written and SL_OK. */
int catalog_batch_commit(struct catalog_batch *b, int expiry_days,
                         struct err *e);
/* Updates added so far. */
size_t catalog_batch_count(const struct catalog_batch *b);
/* Discard what is not committed and unlock; NULL is a no-op. */
void catalog_batch_free(struct catalog_batch *b);

/* Load DIR's index trusting DIR's own key (for list). */
int catalog_load(struct catalog_index **out, const char *dir, struct err *e);

/* Called once per problem found by catalog_verify. */
typedef void (*catalog_problem_fn)(void *arg, const char *problem);

/* Verify a catalog's public tree: index signature, expiry, rollback
 * against min_version, every document's hash and signature, every file's
 * size and hash. public_dir is DIR/public or a bare published tree.
 * Returns SL_OK when nothing is wrong, else SL_EVERIFY with *n_problems
 * problems reported through cb. */
int catalog_verify(const char *public_dir, const struct sign_keyring *kr,
                   long long now, int64_t min_version, catalog_problem_fn cb,
                   void *arg, size_t *n_problems, struct err *e);

/* Root key and key list (catalog_keys.c, see trust.h). catalog_init makes
 * them for a new catalog; catalog_migrate adds them to a catalog made
 * before they existed (its signing key becomes the one listed key;
 * nothing else changes, so readers that trust that key keep working).
 * root_keyid receives the new root key's id. SL_EEXISTS when DIR has one.
 */
int catalog_migrate(const char *dir, char root_keyid[SIGN_KEYID_LEN + 1],
                    struct err *e);
/* A new signing key: listed (beside the old one, which stays listed until
 * revoked) and then used to re-sign the index; the old secret key is kept
 * as private/retired-<id>.key. */
int catalog_rotate(const char *dir, char new_keyid[SIGN_KEYID_LEN + 1],
                   struct err *e);
/* Remove keyid from the key list (not the current signing key:
 * SL_ECONFLICT). Documents signed only by it are refused from then on. */
int catalog_revoke(const char *dir, const char *keyid, struct err *e);
/* The key list (verified with DIR's root key); resign: sign it again
 * first (new version, fresh expiry). */
int catalog_keys(struct trust_keys *out, const char *dir, bool resign,
                 struct err *e);
/* Sign a new timestamp for the current index, valid for seconds (<= 0:
 * TRUST_TS_DEFAULT_SECONDS). Every index write renews it too. */
int catalog_timestamp(const char *dir, long long seconds, struct err *e);

/* For a catalog DIR made by catalog_init: its public tree, the keys that
 * sign it (its key list when it has a root key, else its own key) and the
 * highest version it signed (0 if unknown). */
int catalog_local_trust(const char *dir, char *public_dir, size_t n,
                        struct sign_keyring *kr, int64_t *last_version,
                        struct err *e);

#endif
