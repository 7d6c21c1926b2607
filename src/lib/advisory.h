/*
 * advisory: security advisories in the formats their publishers ship,
 * indexed by (source package, version) for one release of one
 * distribution, so the apt importer can ask "which advisory names this
 * source package version?" and fill an update's title, bulletin, CVE ids,
 * severity, date and support URL from the answer.
 *
 * Formats (advisory_db_load's "KIND:PATH"):
 *   dsa-list:PATH        the Debian security tracker's data/DSA/list
 *   dla-list:PATH        the same for Debian LTS (data/DLA/list)
 *   debian-tracker:PATH  the tracker's JSON export (package -> CVE ->
 *                        releases); no advisory ids, only CVE ids, urgency
 *                        and descriptions per fixed version
 *   usn:PATH             Ubuntu Security Notices JSON: one notice, or the
 *                        combined database keyed by notice id
 *   osv:DIR              a directory of OSV records (*.json)
 *
 * Only entries for the release given to advisory_db_new count; the rest of
 * each file is skipped as it is read. A list line "- pkg version" without a
 * [release] tag counts for the release loaded. Text files are read line by
 * line; the large JSON files member by member (one package or notice tree
 * at a time); OSV records one file at a time. Only the fields kept here
 * survive (per fixed version, the tracker's descriptions are kept up to
 * 8 KiB).
 */
#ifndef SLUICE_ADVISORY_H
#define SLUICE_ADVISORY_H

#include "err.h"
#include "update.h"

#define ADVISORY_FILE_CAP (512u * 1024 * 1024) /* largest input file */
#define ADVISORY_LINE_CAP (64u * 1024)         /* longest list line */

/* One merged answer. All strings are owned by the struct. Titles: the
 * list header for DSA/DLA ("DSA-5111-1 zlib - security update"), "ID:
 * TITLE" for USN ("USN-6000-1: curl vulnerabilities"), "ID SUMMARY" for
 * Debian OSV records and "ID: SUMMARY" for Ubuntu ones. Support URLs:
 * https://www.debian.org/security/YYYY/dsa-NNNN (dsa-NNNN-R for a
 * revision after -1), https://www.debian.org/lts/security/YYYY/dla-NNNN-R,
 * https://ubuntu.com/security/notices/USN-NNNN-R (LSN too); YYYY is the
 * advisory's year, so a DSA/DLA without a date has no URL. */
struct advisory {
	char *id;           /* "DSA-5111-1", "DLA-3500-1", "USN-6000-1"; NULL
	                       when only tracker (or CVE) data named it */
	char *title;        /* NULL with id NULL */
	char *description;  /* may be NULL */
	char **cve_ids;     /* NULL-terminated (never NULL itself), sorted,
	                       unique, CVE-YYYY-NNNN+ only */
	char *severity;     /* critical|important|moderate|low or NULL */
	char *release_date; /* YYYY-MM-DD or NULL */
	char *support_url;  /* the publisher's page for id, or NULL */
};

/* Free a looked-up advisory; NULL is a no-op. */
void advisory_free(struct advisory *a);

struct advisory_db;

/* An empty database for one release: its codename ("bookworm", "jammy")
 * and version ("12", "22.04"). Either may be NULL when unknown, but not
 * both. Free with advisory_db_free(). */
int advisory_db_new(struct advisory_db **out, const char *codename,
                    const char *version, struct err *e);

/* NULL is a no-op. */
void advisory_db_free(struct advisory_db *db);

/* Load one source, spec "KIND:PATH" (kinds above). SL_EINVAL for an
 * unknown kind or a spec without ':'; SL_ENOTFOUND for a missing path;
 * SL_ETOOBIG over ADVISORY_FILE_CAP; SL_EPARSE for malformed content, the
 * message naming the file and line (text lists), line and column or member
 * path (JSON) or the record file (OSV). On error nothing from this spec is
 * kept; what earlier loads added stays. Load order matters for merging
 * (see advisory_db_lookup). */
int advisory_db_load(struct advisory_db *db, const char *spec, struct err *e);

/* The merged record for source at exactly version (ordered with
 * debver_cmp, but only the identical string matches). When several loaded
 * entries name it: id, title, release date and support URL come from the
 * first loaded entry that has an id, the description from that entry (or
 * else the first that has one), CVE ids are unioned, and severity is the
 * highest given. SL_ENOTFOUND when nothing names it. Free *out with
 * advisory_free(). */
int advisory_db_lookup(const struct advisory_db *db, const char *source,
                       const char *version, struct advisory **out,
                       struct err *e);

/* Every distinct (source, version, id-or-NULL) the database holds, sorted
 * by source, then version; for reporting advisories that name versions the
 * archive no longer has. The strings belong to db. */
typedef void (*advisory_each_fn)(void *arg, const char *source,
                                 const char *version, const char *id);
void advisory_db_each(const struct advisory_db *db, advisory_each_fn fn,
                      void *arg);

/* Name update u by advisory a: title, security_bulletin (a's id),
 * cve_ids, and severity, release_date, support_url and description where a
 * has them (u's own values stay where a has none). Nothing changes when a
 * has no id and no CVE. SL_ENOMEM leaves u valid (partly named). */
int advisory_apply(const struct advisory *a, struct update *u, struct err *e);

/* Number of (source, version, entry) records held (for reporting). */
size_t advisory_db_count(const struct advisory_db *db);

#endif
