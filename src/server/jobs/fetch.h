/*
 * fetch: sluiced's background download of update files into the content
 * store DATA/content/<aa>/<sha256>.
 *
 * Work comes from the content table: rows in state 'wanted' (made by the
 * sync in storage mode full, or by fetch_mark_wanted_for_update() when an
 * update is approved in mode on-approval) and rows in state 'failed' whose
 * next_attempt has come. Each file is downloaded with httpc_download():
 * into "<final>.part" beside the final name, resumed with a Range request
 * when the .part exists (after a failure, or after a server restart
 * mid-download), verified against size and SHA-256, and only then renamed
 * to its final name, which is what the server serves. Success sets the row
 * 'present'; a failure sets it 'failed' with the error text, attempts + 1
 * and next_attempt = now + min(5 s * 2^attempts, 1 h).
 *
 * In storage mode none nothing is downloaded (rows left from another
 * mode stay as they are).
 *
 * The thread has its own database connection. It wakes on fetch_wake() or
 * every 30 s (sooner when a retry falls due). fetch_stop() returns within
 * about a second even mid-transfer: the transfer runs on a helper thread
 * that is abandoned (its .part stays, so the next start resumes it).
 * The thread logs one line per download (log.h).
 */
#ifndef SLUICE_SERVER_FETCH_H
#define SLUICE_SERVER_FETCH_H

#include "config.h"
#include "store/store.h"
#include "err.h"

#define FETCH_IDLE_SECONDS   30
#define FETCH_BACKOFF_BASE_S 5
#define FETCH_BACKOFF_MAX_S  3600

struct fetch;

/* Open a database connection on cfg->db_path and start the thread; it
 * immediately resumes whatever is due. cfg must outlive the fetch.
 * Stop and free with fetch_stop(). httpc_global_init() must have run. */
int fetch_start(struct fetch **out, const struct server_config *cfg,
                struct err *e);

/* Tell the thread there may be new work (after a sync or an approval).
 * NULL-safe; never blocks on a transfer. */
void fetch_wake(struct fetch *f);

/* Stop the thread, join it, close its connection and free f. NULL-safe.
 * A transfer in progress is abandoned (its .part is kept). */
void fetch_stop(struct fetch *f);

/* Set 'wanted' content rows for every file of the update's latest
 * revision: new rows are inserted, 'failed' rows are reset to be retried
 * now, 'present' and 'wanted' rows are left alone. Then call fetch_wake().
 * SL_ENOTFOUND when the update is unknown. */
int fetch_mark_wanted_for_update(struct store *db, const char *update_id,
                                 struct err *e);

struct fetch_stats {
	unsigned downloaded; /* rows that became 'present' */
	unsigned failed;     /* rows that failed (and were rescheduled) */
};

/* Synchronously process every row due now, once each (what one round of
 * the thread does; for tests and one-shot use). Individual download
 * failures are recorded in their rows and counted in *out (may be NULL),
 * not returned; the return value reports database errors only. */
int fetch_run_once(struct fetch_stats *out, struct store *db,
                   const struct server_config *cfg, struct err *e);

#endif
