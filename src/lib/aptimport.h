/*
 * aptimport: Debian/Ubuntu apt archives into Sluice updates.
 *
 * One update per source package version: its files are the binary
 * packages built from that source version for the requested
 * architectures plus `all`, each with its `deb` object; it is installable
 * where any of those packages is installed in an older version, and
 * installed where at least one is installed and none is older. The id is
 * a name-based UUIDv8 (RFC 9562) over SHA-256 of (archive origin,
 * codename, source, version), so the same source version always gets the
 * same id and a re-run adds only what is new. A newer version supersedes
 * the updates of the older versions of its source that the archive or an
 * earlier import knew.
 *
 * aptimport_map.c turns Packages indexes into source groups and groups
 * into updates; aptimport.c fetches (aptrepo) and writes (catalog_batch).
 */
#ifndef SLUICE_APTIMPORT_H
#define SLUICE_APTIMPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aptrepo.h"
#include "err.h"
#include "update.h"

/* Called for each NEW update before it is written, e.g. to name it from
 * a security advisory (title, severity, cve_ids, kb_article...). The
 * update may be changed (not its id, files or rules); a non-SL_OK return
 * stops the import with nothing written. */
typedef int (*aptimport_decorate_fn)(void *arg, const char *source,
                                     const char *version, struct update *u,
                                     struct err *e);

/* Called once the Release is verified, before any index is read, with
 * its Origin, Codename and Version fields (each may be NULL): where the
 * caller loads what depends on the release (advisories). A non-SL_OK
 * return stops the import with nothing written. */
typedef int (*aptimport_release_fn)(void *arg, const char *origin,
                                    const char *codename, const char *version,
                                    struct err *e);

/* Progress events (for a terminal): what ("fetched", "parsed",
 * "written"), a count and a name (a file) or NULL. */
typedef void (*aptimport_progress_fn)(void *arg, const char *what, size_t count,
                                      const char *name);

enum aptimport_files {
	APTIMPORT_FILES_URL,  /* files point into the archive */
	APTIMPORT_FILES_COPY, /* .debs downloaded into the content store */
};

struct aptimport_opts {
	const char *archive; /* base URL (http(s):// or file://) */
	const char *suite;
	const char *const *components; /* NULL-terminated; NULL = "main" */
	const char *const *archs;      /* NULL-terminated, at least one;
	                                * "all" is always added */
	const char *keyring;
	const char *product;        /* NULL: "ORIGIN VERSION" */
	const char *classification; /* NULL: security for *-security */
	enum aptimport_files files;
	int expiry_days; /* of the index written; 0 = default */
	long long now;   /* for Valid-Until; 0 = time(NULL) */
	aptimport_release_fn release;
	void *release_arg;
	aptimport_decorate_fn decorate; /* also asked again, for updates
	                                 * already published, whether an
	                                 * advisory names them now: one
	                                 * that gains a security_bulletin
	                                 * is published as a new revision */
	void *decorate_arg;
	aptimport_progress_fn progress;
	void *progress_arg;
};

/* A source version present in the archive. */
struct aptimport_pair {
	char *source;
	char *version;
};

struct aptimport_result {
	size_t n_new, n_unchanged, n_superseded;
	size_t n_revised;  /* published again: an advisory names them now */
	size_t n_binaries; /* binary packages read */
	struct aptimport_pair *pairs; /* every source version present */
	size_t n_pairs;
};

/* Import into the local catalog DIR (made by catalog_init). On failure
 * nothing is published (the catalog is as before). Clear res with
 * aptimport_result_clear() in every case. */
int aptimport_run(struct aptimport_result *res, const char *catalog_dir,
                  const struct aptimport_opts *o, struct err *e);
void aptimport_result_clear(struct aptimport_result *res);

/* The update id of a source version of an archive (origin and codename
 * as the Release names them). out: UPDATE_ID_LEN + 1 bytes. */
void aptimport_id(char *out, const char *origin, const char *codename,
                  const char *source, const char *version);

/* ---- the mapping (aptimport_map.c) ---- */

struct aptimport_bin {
	char *package, *version, *arch, *filename, *sha256, *synopsis;
	uint64_t size;
};

struct aptimport_group {
	char *source, *version; /* the source version */
	size_t *bins;           /* indexes into set->bins */
	size_t n_bins;
};

struct aptimport_set {
	struct aptimport_bin *bins;
	size_t n_bins, alloc_bins;
	struct aptimport_group *groups; /* sorted by source, then version */
	size_t n_groups, alloc_groups;
	size_t *table; /* hash of groups (index + 1; 0 = empty) */
	size_t table_n;
	size_t *bin_table; /* (package, version, arch) dedup */
	size_t bin_table_n;
};

/* Read one (uncompressed) Packages index named file into set, keeping
 * the binaries of the archs (NULL-terminated) and `all`. A stanza
 * without Package, Version, Architecture, Filename, Size or SHA256 is an
 * error naming the file, line and package. */
int aptimport_set_add(struct aptimport_set *set, const char *file,
                      const char *buf, size_t len, const char *const *archs,
                      struct err *e);
/* Sort the groups (source, then version in dpkg order); call once after
 * the last add. */
void aptimport_set_sort(struct aptimport_set *set);
void aptimport_set_clear(struct aptimport_set *set);

/* What every update of one import shares. */
struct aptimport_meta {
	const char *origin, *codename; /* for the ids */
	const char *suite;             /* for titles */
	const char *product, *classification;
	const char *release_date; /* YYYY-MM-DD */
	const char *archive;      /* base URL for the files' urls */
};

/* Build the update of group g (revision 1, no supersedes). urls: per
 * binary of g, the url to write (NULL: archive + Filename). Free *out
 * with update_free(). */
int aptimport_update(struct update **out, const struct aptimport_set *set,
                     const struct aptimport_group *g,
                     const struct aptimport_meta *m, char *const *urls,
                     struct err *e);

#endif
