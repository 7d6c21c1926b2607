/*
 * sign: Ed25519 keys (libsodium), the canonical JSON serialisation that
 * signatures cover, and signed envelopes.
 *
 * Canonical JSON (what a signature covers): UTF-8, object keys sorted by
 * their bytes, no insignificant whitespace (separators "," and ":"), no
 * floating-point numbers (integers only), strings escaped minimally: '"',
 * '\\' and control characters (\b \f \n \r \t, others as \u00XX); every
 * other character, including non-ASCII, is written as itself.
 *
 * A signed envelope is {"signed": DOC, "signatures": [{"keyid": K,
 * "sig": HEX}]} where each sig is Ed25519 over canonical(DOC). Envelopes
 * travel unchanged from the catalog origin down to every agent.
 *
 * Key files are one line of text: "sluice-ed25519-secret <128 hex>" (mode
 * 0600) or "sluice-ed25519-public <64 hex>". A key id is the first 16 hex
 * digits of SHA-256 over the raw public key.
 */
#ifndef SLUICE_SIGN_H
#define SLUICE_SIGN_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>
#include <sodium.h>

#include "err.h"

#define SIGN_KEYID_LEN 16
#define SIGN_MAX_KEYS  16

struct sign_key {
	unsigned char pk[crypto_sign_PUBLICKEYBYTES];
	unsigned char sk[crypto_sign_SECRETKEYBYTES];
	bool has_secret;
	char keyid[SIGN_KEYID_LEN + 1];
};

/* The set of public keys a verifier trusts. threshold: how many distinct
 * keys of the ring must have signed a document (0 counts as 1). */
struct sign_keyring {
	struct sign_key keys[SIGN_MAX_KEYS];
	size_t n;
	unsigned threshold;
};

/* A new random key pair. */
int sign_key_generate(struct sign_key *out, struct err *e);

/* Write the secret key (0600) and/or public key (0644) files; either path
 * may be NULL. Atomic writes. */
int sign_key_save(const struct sign_key *k, const char *secret_path,
                  const char *public_path, struct err *e);

/* Load a secret or public key file (the kind is read from the file). */
int sign_key_load(struct sign_key *out, const char *path, struct err *e);

/* Add a public key file to a keyring (at most SIGN_MAX_KEYS). */
int sign_keyring_add_file(struct sign_keyring *kr, const char *path,
                          struct err *e);
int sign_keyring_add(struct sign_keyring *kr, const struct sign_key *k,
                     struct err *e);

/* A public key from its 64 hex digits (key id computed). */
int sign_key_from_hex(struct sign_key *out, const char *hex, struct err *e);
/* The public key as 64 hex digits. */
void sign_key_public_hex(const struct sign_key *k, char out[65]);
/* Whether kr holds a key with this id. */
bool sign_keyring_has(const struct sign_keyring *kr, const char *keyid);

/* Canonical serialisation of v (see above). Free *out with free(). */
int sign_canonical(char **out, size_t *len, const json_t *v, struct err *e);

/* Wrap doc in an envelope signed by k. *out is a new reference. */
int sign_envelope(json_t **out, const json_t *doc, const struct sign_key *k,
                  struct err *e);

/* Verify an envelope: signatures by at least kr->threshold (at least one)
 * distinct keys of kr must verify over canonical(signed). *doc_out (may be
 * NULL) is a borrowed reference into env. SL_EVERIFY when too few trusted
 * signatures verify. */
int sign_envelope_verify(const json_t *env, const struct sign_keyring *kr,
                         const json_t **doc_out, struct err *e);

/* The signature check of sign_envelope_verify() alone: at least one
 * signature in sigs (an envelope's "signatures" array) by a key in kr
 * verifies over canon, the canonical bytes of the signed document.
 * SL_EVERIFY otherwise ("unsigned document" when sigs is empty). */
int sign_verify_sigs(const char *canon, size_t len, const json_t *sigs,
                     const struct sign_keyring *kr, struct err *e);

/* Current time and conversions for the RFC 3339 UTC form
 * "2026-11-24T12:00:00Z" used in every signed document. */
int sign_time_format(char out[21], long long t);
int sign_time_parse(const char *s, long long *out, struct err *e);

#endif
