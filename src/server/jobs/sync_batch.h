/*
 * sync_batch: fetch and verify one batch of catalog documents for the sync
 * (sync.c), on a few threads at once: the Ed25519 check of each document
 * is most of a sync's work, and the documents are independent. Nothing
 * here touches the database; the sync writes a batch once every document
 * in it verified, while the next batch is being verified.
 */
#ifndef SLUICE_SERVER_SYNC_BATCH_H
#define SLUICE_SERVER_SYNC_BATCH_H

#include <stdbool.h>
#include <stddef.h>

#include "catalog.h"
#include "config.h"
#include "err.h"
#include "httpc.h"
#include "update.h"

/* Documents in a batch at most, and (counted from the index's sizes, the
 * one that crosses it included) envelope bytes at most. */
#define SYNC_BATCH_DOCS  500
#define SYNC_BATCH_BYTES (8u << 20)
/* Threads that fetch and verify at most (one per online CPU). */
#define SYNC_BATCH_THREADS 4

/* One document of a batch: the caller sets entry and revised; a verified
 * document has u and text (the envelope bytes verbatim) set. */
struct sync_doc {
	const struct catalog_entry *entry; /* borrowed from the index */
	bool revised; /* the update was known with an older revision */
	struct update *u;
	char *text;
	size_t len;
	int rc;
	struct err err;
};

struct sync_batch {
	struct sync_doc *docs; /* SYNC_BATCH_DOCS of them */
	size_t n;
	size_t bytes; /* the index's sizes of the n documents */
	/* One per thread, kept from batch to batch (keep-alive). */
	struct httpc_conn *conn[SYNC_BATCH_THREADS];
	struct sync_run *run; /* the verification in flight (private) */
};

/* An empty batch; free with sync_batch_free(). */
int sync_batch_init(struct sync_batch *b, struct err *e);
/* Whether one more document fits. */
bool sync_batch_full(const struct sync_batch *b);
/* Append entry (to be fetched); the batch must not be full. */
void sync_batch_add(struct sync_batch *b, const struct catalog_entry *entry,
                    bool revised);
/* Fetch every document of the batch (resolved against base, the index
 * URL) and check it against its index entry and the keyring kr
 * (catalog_doc_parse()). SL_OK when all of them verified; otherwise the
 * error of the first one, in batch order, that did not. */
int sync_batch_verify(struct sync_batch *b, const char *base,
                      const struct server_config *cfg,
                      const struct sign_keyring *kr, struct err *e);
/* sync_batch_verify() in two halves: start fetching and verifying the
 * batch on threads of its own and return at once; the caller may do
 * anything meanwhile but touch this batch, then must call
 * sync_batch_wait() (which gives sync_batch_verify()'s answer) before
 * clearing, refilling or freeing it. cfg, kr, base and the index entries
 * must stay until then. */
void sync_batch_start(struct sync_batch *b, const char *base,
                      const struct server_config *cfg,
                      const struct sign_keyring *kr);
/* Wait for the verification started last (SL_OK when none is). */
int sync_batch_wait(struct sync_batch *b, struct err *e);
/* Empty the batch for the next one (no verification in flight). */
void sync_batch_clear(struct sync_batch *b);
/* NULL-safe on a zeroed batch; waits for a verification in flight. */
void sync_batch_free(struct sync_batch *b);

/* GET url (at most cap bytes) with the server's network options, on conn
 * when not NULL, and insist on a 200 answer (404: SL_ENOTFOUND). Free
 * with httpc_resp_free(). */
int sync_fetch(struct httpc_resp *out, struct httpc_conn *conn, const char *url,
               size_t cap, const struct server_config *cfg, struct err *e);

#endif
