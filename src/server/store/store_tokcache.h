/*
 * store_tokcache: what an agent's request needs of its token, kept in
 * memory, so that a no-change sync touches no database.
 *
 * store_computer_by_token_sync() answers an agent request with one read:
 * the computer owning a token hash, its sync state and the change
 * sequence. This cache keeps those answers, keyed by token hash, all read
 * at one change sequence S. It rests on one rule of the store: everything
 * that changes who a token authenticates or what a no-change sync answers
 * (a computer deleted or registered again with a new token, a group move
 * or membership change, an approval, a decline, an expiry, a catalog
 * change) takes the next change sequence in the same transaction
 * (store_seq_next()). So the cached answers hold exactly as long as the
 * database's change sequence is still S:
 *   - on this process, a commit that took a sequence number drops the
 *     cache at once (store_changes_count() moves after the commit);
 *   - for changes made by other processes on the same database (front-ends
 *     sharing PostgreSQL, or a tool on the SQLite file), a thread reads the
 *     change sequence every poll_ms milliseconds and drops the cache when
 *     it differs from S. Such a change takes effect here within poll_ms
 *     (plus the time of one query);
 *   - when that thread cannot read the database for 3 x poll_ms, the cache
 *     answers nothing (every request reads the database, as without it).
 * Dropping is O(1) (a generation number); the next request of each agent
 * reads its row again.
 *
 * Bounded: at most max_entries entries, 8-way set-associative by the
 * token hash; a full set evicts its oldest entry. Memory: 12 bytes per
 * possible entry (3 MB at the default) plus 120 bytes per entry in use
 * (1.2 MB for 10,000 computers, 31 MB at the default cap). Unknown tokens
 * are never cached.
 *
 * Thread-safe: any thread may call store_tokcache_lookup().
 */
#ifndef SLUICE_SERVER_STORE_STORE_TOKCACHE_H
#define SLUICE_SERVER_STORE_STORE_TOKCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "store.h"

struct store_tokcache;

#define STORE_TOKCACHE_DEFAULT_ENTRIES 262144
#define STORE_TOKCACHE_POLL_MS         1000

/* A cache of at most max_entries entries (rounded up to a power of two,
 * >= 8). With target (store_open), a thread on a connection of its own
 * polls the change sequence every poll_ms milliseconds (>= 10); with
 * target NULL there is no thread and the caller polls with
 * store_tokcache_poll(). Free with store_tokcache_free(). */
int store_tokcache_new(struct store_tokcache **out, const char *target,
                       size_t max_entries, int poll_ms, struct err *e);

/* Stop the thread, free. NULL-safe. */
void store_tokcache_free(struct store_tokcache *c);

/* store_computer_by_token_sync() through the cache: from memory when the
 * token's entry is valid, else read on s and kept. Same results and
 * errors (SL_ENOTFOUND for an unknown token). token_hash: 64 hex digits;
 * anything else goes to the database uncached. */
int store_tokcache_lookup(char id_out[64], struct store_computer_sync *sync,
                          int64_t *seq, struct store_tokcache *c,
                          struct store *s, const char *token_hash,
                          struct err *e);

/* Read the change sequence on s and drop the cache if it moved; what the
 * thread does every poll_ms. */
int store_tokcache_poll(struct store_tokcache *c, struct store *s,
                        struct err *e);

/* Counters since creation. */
struct store_tokcache_stats {
	uint64_t hits, misses, drops, evictions;
	size_t entries; /* valid now */
};
void store_tokcache_stats(struct store_tokcache_stats *out,
                          struct store_tokcache *c);

#endif
