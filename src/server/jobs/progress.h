/*
 * progress: what a running sync and the file fetcher are doing, for the
 * admin API (GET /v1/admin/sync/progress) and `sluice sync --wait`. One
 * process-wide record behind a mutex: the sync and fetch threads report
 * into it (cheap calls, safe from any thread), the API reads a snapshot.
 */
#ifndef SLUICE_SERVER_PROGRESS_H
#define SLUICE_SERVER_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

/* Sync: begin resets the counters; phase is "index", "documents",
 * "importing"; end records the result ("success" or "failure"). */
void progress_sync_begin(void);
void progress_sync_phase(const char *phase);
void progress_sync_docs_total(unsigned n);
void progress_sync_doc_verified(void);
void progress_sync_doc_imported(void);
void progress_sync_end(bool ok);

/* Fetch: one file at a time. A file begun after the fetcher was idle
 * starts a new round (the counters and the rate restart). */
void progress_fetch_begin(const char *sha256, uint64_t size);
/* Bytes of the current file received so far (the httpc callback). */
void progress_fetch_bytes(void *arg, uint64_t received);
void progress_fetch_end(bool ok);

/* A snapshot:
 *   {sync: {running, phase, started, documents: {total, verified,
 *           imported}, last_result},
 *    fetch: {active, current: {sha256, size, received} | null,
 *            round: {files_done, files_failed, bytes_done, seconds,
 *                    rate_bps}}}
 * (a new reference; NULL when out of memory). */
json_t *progress_json(void);

#endif
