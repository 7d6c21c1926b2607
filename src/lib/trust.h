/*
 * trust: the catalog origin's root key, its signed key list and its
 * timestamp (The Update Framework's root and timestamp roles, reduced to
 * what Sluice needs).
 *
 * The root key signs the key list (keys.json): which signing keys sign the
 * index, the metadata documents and the timestamp, and how many of them
 * must sign each (threshold). Servers and agents are configured with the
 * root public key only, so a signing key is rotated or revoked by
 * publishing a new key list. The timestamp (timestamp.json) is a short
 * document the origin re-signs often: its version, expiry and the hash of
 * the current index. It travels origin -> servers -> agents unchanged; a
 * reader refuses an expired one (a frozen server) and one older than one
 * it has seen (a rollback).
 *
 *   keys.json      {"signed": {"type": "sluice-catalog-keys", "version": N,
 *                   "created": T, "expires": T, "threshold": 1,
 *                   "keys": [{"keyid": K, "public": HEX}]},
 *                   "signatures": [... by the root key ...]}
 *   timestamp.json {"signed": {"type": "sluice-catalog-timestamp",
 *                   "version": N, "created": T, "expires": T,
 *                   "index": {"version": V, "sha256": H, "size": S}},
 *                   "signatures": [... by listed signing keys ...]}
 */
#ifndef SLUICE_TRUST_H
#define SLUICE_TRUST_H

#include <stdint.h>

#include <jansson.h>

#include "err.h"
#include "sign.h"

#define TRUST_KEYS_TYPE          "sluice-catalog-keys"
#define TRUST_TIMESTAMP_TYPE     "sluice-catalog-timestamp"
#define TRUST_DOC_MAX            (64u << 10)
#define TRUST_KEYS_DEFAULT_DAYS  365
#define TRUST_TS_DEFAULT_SECONDS (7 * 86400)

/* A verified key list. */
struct trust_keys {
	int64_t version;
	long long expires;
	struct sign_keyring kr; /* the listed signing keys + threshold */
};

/* Parse the key list envelope text and check it: signed by the root
 * keyring, type, version >= min_version (SL_EROLLBACK), not expired at now
 * (SL_EEXPIRED; now 0 skips the check), every key's id matches its public
 * key, 1 <= threshold <= number of keys. Messages start "key list: ". */
int trust_keys_parse(struct trust_keys *out, const char *text, size_t len,
                     const struct sign_keyring *root, long long now,
                     int64_t min_version, struct err *e);

/* A verified timestamp. */
struct trust_timestamp {
	int64_t version;
	long long expires;
	int64_t index_version;
	char index_sha256[65];
	uint64_t index_size;
};

/* Parse the timestamp envelope text and check it against the signing
 * keyring kr (its threshold), version >= min_version (SL_EROLLBACK), not
 * expired at now (SL_EEXPIRED; now 0 skips). Messages start "timestamp: ".
 */
int trust_timestamp_parse(struct trust_timestamp *out, const char *text,
                          size_t len, const struct sign_keyring *kr,
                          long long now, int64_t min_version, struct err *e);

/* Build and sign a key list listing kr's keys (threshold kr->threshold,
 * at least 1) with the root key. *out is a new reference. */
int trust_keys_sign(json_t **out, const struct sign_keyring *kr,
                    int64_t version, long long now, long long expires,
                    const struct sign_key *root, struct err *e);

/* Build and sign a timestamp for the index of index_version whose bytes
 * hash to sha256 (size bytes). *out is a new reference. */
int trust_timestamp_sign(json_t **out, int64_t version, long long now,
                         long long expires, int64_t index_version,
                         const char *sha256, uint64_t size,
                         const struct sign_key *k, struct err *e);

#endif
