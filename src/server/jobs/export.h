/*
 * export / import: moving updates to a server with no upstream (WSUS's
 * `wsusutil export` / `import`), see docs/maintenance.md.
 *
 * The archive is a catalog-origin-shaped tree packed in a ustar file:
 *   index.json                the origin's signed index, byte for byte
 *                             (the one the exporting server last synced)
 *   updates/<id>/<rev>.json   each update the server holds, its signed
 *                             document byte for byte
 *   content/<aa>/<sha256>     the files of the chosen updates
 *   manifest.json             what the archive holds (unsigned: it can only
 *                             narrow what is imported, never widen it):
 *     {"format": "sluice-export", "version": 1, "created", "index_version",
 *      "updates": [{"id", "revision"}], "files": [sha256...],
 *      "groups": [{name, parent}], "approvals": [{update, group, action,
 *      deadline}]}   (groups and approvals only with --approvals)
 *
 * Import unpacks it into DATA/import/ and runs the ordinary catalog sync
 * against file://DATA/import/ (sync_run_filtered(): the same signature,
 * hash, expiry and rollback checks; a tampered archive imports nothing),
 * then copies the files the archive carries into the content store (each
 * verified against its SHA-256), then applies the approvals. Importing the
 * same archive twice changes nothing; a later export adds what is new.
 */
#ifndef SLUICE_SERVER_EXPORT_H
#define SLUICE_SERVER_EXPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "err.h"
#include "store/store.h"

/* Where the last synced index is kept: DATA/upstream-index.json. */
#define EXPORT_INDEX_FILE "upstream-index.json"
/* Members of an archive import accepts at most. */
#define EXPORT_MEMBERS_MAX 4000000

/* Keep the signed index text a successful sync accepted (atomic write). */
int export_keep_index(const struct server_config *cfg, const char *text,
                      size_t len, struct err *e);

enum export_files {
	EXPORT_FILES_ALL,      /* every file the server holds */
	EXPORT_FILES_APPROVED, /* files of updates approved for some group */
	EXPORT_FILES_NONE,     /* metadata only */
};

struct export_opts {
	const char *path; /* the archive to write (replaced atomically) */
	enum export_files files;
	bool approvals;
};

struct export_result {
	int64_t index_version;
	unsigned updates; /* documents written */
	unsigned skipped; /* updates the kept index does not describe */
	unsigned files;   /* files written */
	unsigned missing; /* chosen files not in the content store */
	uint64_t bytes;   /* archive size */
	unsigned approvals;
};

/* Write the archive. SL_ENOTFOUND when no index was kept (no sync from a
 * catalog origin yet), SL_EEXPIRED when the kept index has expired (sync
 * first), SL_EIO for file errors. */
int export_run(struct export_result *out, struct store *db,
               const struct server_config *cfg, const struct export_opts *o,
               struct err *e);

struct import_result {
	int64_t history_id; /* the sync_history row of the import */
	int64_t index_version;
	unsigned new_count, revised_count, expired_count;
	unsigned files;     /* files copied into the content store */
	unsigned files_had; /* files the store already held */
	unsigned approvals; /* approvals changed */
};

/* Import archive path (see above). On failure nothing of the metadata is
 * imported (the sync's transaction) and the history row says why. */
int import_run(struct import_result *out, struct store *db,
               const struct server_config *cfg, const char *path,
               struct err *e);

#endif
