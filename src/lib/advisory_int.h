/*
 * advisory_int: what advisory.c (the database and merging) shares with its
 * readers, advisory_list.c (DSA/DLA lists) and advisory_json.c (tracker
 * JSON, USN, OSV).
 * Not part of libsluice's interface.
 */
#ifndef SLUICE_ADVISORY_INT_H
#define SLUICE_ADVISORY_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "advisory.h"

enum adv_sev {
	ADV_SEV_NONE,
	ADV_SEV_LOW,
	ADV_SEV_MODERATE,
	ADV_SEV_IMPORTANT,
	ADV_SEV_CRITICAL
};

/* One stored record: one advisory (or tracker aggregate) naming one source
 * version of the db's release. */
struct adv_entry {
	char *source, *version;
	char *id, *title, *description, *date, *url; /* any may be NULL */
	char **cves;                                 /* sorted, unique */
	size_t ncves;
	enum adv_sev sev;
	size_t seq; /* load order: earlier wins when merging */
};

struct advisory_db {
	char *codename, *version;
	struct adv_entry *v; /* sorted by source, version, seq after a load */
	size_t n, alloc;
	size_t seq;
};

/* What a reader hands to adv_add; everything is copied. cves may hold
 * anything: only valid CVE ids are kept, sorted and unique. */
struct adv_fields {
	const char *id, *title, *description, *date;
	const char *const *cves;
	size_t ncves;
	enum adv_sev sev;
};

int adv_add(struct advisory_db *db, const char *source, const char *version,
            const struct adv_fields *f, struct err *e);

bool adv_cve_valid(const char *s);

/* Map a publisher's word to a severity (case-insensitive): critical;
 * important/high; moderate/medium; low/negligible/unimportant. Anything
 * else is ADV_SEV_NONE. */
enum adv_sev adv_sev_parse(const char *word);

/* Whether s is a real calendar date YYYY-MM-DD. */
bool adv_date_valid(const char *s);

/* SL_ENOTFOUND when path is missing, SL_ETOOBIG over the file cap,
 * SL_EIO when it cannot be examined. want_dir selects a directory or a
 * regular file. */
int adv_check_path(const char *path, bool want_dir, struct err *e);

/* A growable vector of owned strings. */
struct adv_strv {
	char **v;
	size_t n, alloc;
};
int adv_strv_push(struct adv_strv *sv, const char *s, size_t len,
                  struct err *e);
void adv_strv_clear(struct adv_strv *sv);

/* advisory_scan.c: the members of a top-level JSON object, one at a time.
 * fn gets each member's name and the span of its value (offset off in the
 * file); adv_scan_parse turns a span into a tree, errors naming the file's
 * line and column. */
struct adv_member {
	const char *key;
	const char *val;
	size_t len, off;
};
typedef int (*adv_member_fn)(void *arg, const struct adv_member *m,
                             struct err *e);
int adv_scan_members(const char *path, const char *text, size_t len,
                     adv_member_fn fn, void *arg, struct err *e);
int adv_scan_parse(json_t **out, const char *path, const char *text,
                   const struct adv_member *m, struct err *e);
/* The whole file (checked with adv_check_path first); free with free(). */
int adv_read_file(char **out, size_t *len, const char *path, struct err *e);

/* JSON helpers (advisory_json.c). adv_load_json loads a whole (small)
 * document that must be an object. adv_opt_str: an optional string member,
 * NULL when absent or null, SL_EPARSE naming path and where otherwise.
 * adv_opt_str_array: an optional array of strings pushed onto sv, with
 * "UBUNTU-" / "DEBIAN-" prefixes dropped. adv_added_since: whether db
 * gained (src, ver) since entry mark. */
int adv_load_json(json_t **out, const char *path, struct err *e);
int adv_opt_str(const char **out, json_t *obj, const char *key,
                const char *path, const char *where, struct err *e);
int adv_opt_str_array(struct adv_strv *sv, json_t *obj, const char *key,
                      const char *path, const char *where, struct err *e);
bool adv_added_since(const struct advisory_db *db, size_t mark, const char *src,
                     const char *ver);

/* The readers (advisory_list.c, advisory_json.c, advisory_osv.c). */
int adv_load_list(struct advisory_db *db, const char *path, struct err *e);
int adv_load_tracker(struct advisory_db *db, const char *path, struct err *e);
int adv_load_usn(struct advisory_db *db, const char *path, struct err *e);
int adv_load_osv(struct advisory_db *db, const char *dir, struct err *e);

#endif
