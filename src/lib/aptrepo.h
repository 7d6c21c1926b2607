/*
 * aptrepo: fetching an apt archive's suite and trusting what it says.
 *
 * The suite's InRelease (or Release + Release.gpg) is checked by gpgv, the
 * OpenPGP verifier apt itself uses, against one keyring file; only the
 * content gpgv writes out as verified is ever parsed. Unsigned, badly
 * signed, signed by a key not in the keyring and expired (Valid-Until in
 * the past) Release files are refused. Every index fetched afterwards is
 * checked against the size and SHA-256 the verified Release lists for it,
 * then decompressed (xz, gzip) under a cap.
 *
 * archive is a base URL: http://, https:// or file:// (the directory
 * holding dists/ and pool/).
 */
#ifndef SLUICE_APTREPO_H
#define SLUICE_APTREPO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "deb822.h"
#include "err.h"

#define APTREPO_RELEASE_MAX  (64u << 20)
#define APTREPO_INDEX_MAX    (256u << 20)  /* compressed, as fetched */
#define APTREPO_PACKAGES_MAX (1024u << 20) /* uncompressed */

struct aptrepo_release {
	char *origin, *label, *suite, *codename, *version; /* NULL if absent */
	char *date;                                        /* as written */
	long long date_t;                                  /* 0 when absent */
	long long valid_until_t;                           /* 0 when absent */
	char **archs;                                      /* NULL-terminated */
	char **components;                                 /* NULL-terminated */
	struct deb822_hashent *files;                      /* the SHA256 list */
	size_t n_files;
	bool by_hash; /* Acquire-By-Hash: yes (indexes also under by-hash/) */
	bool all_in_arch_indexes; /* No-Support-for-Architecture-all:
	                           * Packages: each binary-ARCH index holds
	                           * the arch all packages too, and apt
	                           * reads no binary-all index */
};

/* Parse a verified Release text (file names it for errors) and check that
 * it has not expired at `now`: SL_EEXPIRED "FILE: expired on DATE
 * (Valid-Until)". Free *out with aptrepo_release_free(). */
int aptrepo_release_parse(struct aptrepo_release **out, const char *file,
                          const char *text, size_t len, long long now,
                          struct err *e);
void aptrepo_release_free(struct aptrepo_release *r);

/* The SHA256 entry for a path relative to dists/SUITE, or NULL. */
const struct deb822_hashent *
aptrepo_release_file(const struct aptrepo_release *r, const char *path);

/* Whether the Release lists arch in its Architectures (or has none). */
bool aptrepo_release_has_arch(const struct aptrepo_release *r,
                              const char *arch);

/* Run gpgv over signed data with keyring (a binary OpenPGP keyring file).
 * sig NULL: data is clear-signed (InRelease) and *out receives the signed
 * content gpgv verified; otherwise sig is a detached signature of data
 * and *out a copy of data. name is for errors. SL_EVERIFY with the reason
 * ("InRelease: not signed", "...: signature does not verify (BADSIG)",
 * "...: signed by key K which is not in KEYRING (NO_PUBKEY)"). Free *out
 * with free(). */
int aptrepo_gpgv(char **out, size_t *out_len, const char *data, size_t len,
                 const char *sig, size_t sig_len, const char *keyring,
                 const char *name, struct err *e);

/* Fetch dists/SUITE/InRelease (falling back to Release + Release.gpg when
 * there is no InRelease), verify and parse it. */
int aptrepo_release_fetch(struct aptrepo_release **out, const char *archive,
                          const char *suite, const char *keyring, long long now,
                          struct err *e);

/* Fetch, check and decompress COMPONENT/binary-ARCH/Packages{.xz,.gz,}:
 * the forms the Release lists in that order (by hash first when the
 * archive offers it) until one matches its size and SHA-256; when none
 * does, the first form's error. SL_ENOTFOUND only when the Release lists
 * none; a listed index that is missing is SL_ENET. *name_out (may be NULL;
 * free()) names the file fetched, relative to the archive
 * ("dists/SUITE/main/binary-amd64/Packages.xz"). Free *out with free(). */
int aptrepo_packages_fetch(char **out, size_t *out_len, char **name_out,
                           const char *archive, const char *suite,
                           const struct aptrepo_release *r,
                           const char *component, const char *arch,
                           struct err *e);

/* archive + "/" + rel with exactly one slash between. Free with free(). */
char *aptrepo_url(const char *archive, const char *rel);

#endif
