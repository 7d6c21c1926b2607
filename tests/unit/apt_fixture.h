/*
 * apt_fixture: throwaway signed apt archives for test_aptrepo and
 * test_aptimport, made with real gpg keys (tests/unit/apt_fixture.sh) in
 * a temporary directory.
 */
#ifndef SLUICE_APT_FIXTURE_H
#define SLUICE_APT_FIXTURE_H

#include <stddef.h>

struct aptfix {
	char dir[128];
	char home[192], keyring[192];             /* the archive's key */
	char other_home[192], other_keyring[192]; /* a key nobody trusts */
	char repo[192];                           /* ROOT of the archive */
	char url[224];                            /* file://ROOT */
	char cat[192];                            /* a catalog directory */
};

/* A fresh directory with two keys; setup and teardown once per group. */
void aptfix_setup(struct aptfix *f);
void aptfix_teardown(struct aptfix *f);
/* Remove the archive and catalog (keep the keys). */
void aptfix_reset(struct aptfix *f);

/* Run a shell command (printf-style); assert that it succeeds. */
void aptfix_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Write text to ROOT/rel (directories made). */
void aptfix_write(const struct aptfix *f, const char *rel, const char *text);
/* Write a fake .deb at ROOT/rel; sha (65 bytes) gets its SHA-256. */
void aptfix_deb(const struct aptfix *f, const char *rel, const char *content,
                char *sha);
/* Append a Packages stanza to b (size n). source may be NULL. */
void aptfix_stanza(char *b, size_t n, const char *pkg, const char *source,
                   const char *version, const char *arch,
                   const struct aptfix *f);
/* Compress every Packages of the suite, write its Release (extra: more
 * Release lines, may be NULL) and sign it: mode "inline", "detached" or
 * "none", with home's key. */
void aptfix_publish(const struct aptfix *f, const char *suite,
                    const char *archs, const char *extra, const char *home,
                    const char *mode);

#endif
