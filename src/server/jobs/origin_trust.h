/*
 * origin_trust: the catalog origin's key list and timestamp as this server
 * holds them (trust.h). A sync hands what its upstream published (the
 * origin's keys.json and timestamp.json, or the copies an upstream sluiced
 * passes on) to origin_trust_accept(), which checks them and keeps them in
 * the meta table (upstream_keys, upstream_timestamp and their versions);
 * the agent API and the upstream API pass them on unchanged.
 *
 * With [upstream] trusted_root the key list must verify with the root key
 * and not roll back, and the timestamp must verify with the listed keys,
 * not be expired and not roll back: otherwise the sync fails (a frozen or
 * replaying upstream shows as a failed sync, and its agents see the
 * timestamp expire). With trusted_keys only (setups made before root
 * keys), the documents are kept when they can be checked and passed on
 * otherwise; the sync never fails because of them.
 */
#ifndef SLUICE_ORIGIN_TRUST_H
#define SLUICE_ORIGIN_TRUST_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "err.h"
#include "sign.h"
#include "trust.h"

struct store;

/* The keys that sign the origin's documents for this server: the
 * configured trusted_keys plus, with trusted_root, the keys of the stored
 * key list (and its threshold). */
int origin_trust_keyring(struct sign_keyring *out, struct store *db,
                         const struct server_config *cfg, struct err *e);

/* Check and keep the upstream's key list and timestamp (either may be
 * NULL: not published); keep false: the timestamp is checked but kept
 * only by origin_trust_keep_timestamp() (once the index it names has been
 * checked). *kr_out: the keyring to verify the rest of the sync with.
 * *ts_out (may be NULL): the timestamp accepted, version 0 when none.
 * Messages start "key list: " / "timestamp: ". */
int origin_trust_accept(struct sign_keyring *kr_out,
                        struct trust_timestamp *ts_out, struct store *db,
                        const struct server_config *cfg, const char *keys,
                        size_t keys_len, const char *ts, size_t ts_len,
                        bool keep, long long now, struct err *e);
/* Keep the timestamp text ts that origin_trust_accept() returned as *t
 * (nothing when t->version is 0 or not newer than the one kept). */
int origin_trust_keep_timestamp(struct store *db, const char *ts, size_t ts_len,
                                const struct trust_timestamp *t, struct err *e);

#endif
