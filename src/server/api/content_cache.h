/*
 * content_cache (ccache_): a small cache of what serving recently served
 * content files needs, one per content sender thread (not thread-safe: each
 * thread keeps its own, so an entry is never released while another
 * thread is about to use it). An entry is keyed by the file's SHA-256 and
 * remembers the identity of the file it was made from (device, inode,
 * size, modification and change times): a lookup gives the value only
 * when the file now at that path has the same identity, and releases an
 * entry whose file was replaced. The values are opaque here (the content
 * sender keeps open files: content_send.c); the cache releases them with
 * the function given at creation.
 */
#ifndef SLUICE_CONTENT_CACHE_H
#define SLUICE_CONTENT_CACHE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "err.h"

#define CCACHE_KEY_LEN 64 /* a SHA-256 in hex */

/* What makes a file the same file: a rename over it, a rewrite or a
 * truncation changes at least one of these. */
struct ccache_id {
	uint64_t dev, ino, size;
	int64_t mtime_s, mtime_ns, ctime_s, ctime_ns;
};

typedef void (*ccache_release_fn)(void *val);

struct ccache;

/* A cache of up to cap entries (rounded up to a multiple of 4, at least
 * 4); release frees a value the cache lets go. Free with ccache_free(). */
int ccache_new(struct ccache **out, size_t cap, ccache_release_fn release,
               struct err *e);
/* Release every value and the cache; NULL is a no-op. */
void ccache_free(struct ccache *c);

/* The identity of the file sb describes. */
void ccache_id_of(struct ccache_id *out, const struct stat *sb);
int ccache_id_eq(const struct ccache_id *a, const struct ccache_id *b);

/* The value kept for key (CCACHE_KEY_LEN characters) made from the file
 * id, or NULL. An entry for key made from another file is released. The
 * value stays the cache's: valid until the next call on this cache. */
void *ccache_get(struct ccache *c, const char *key, const struct ccache_id *id);
/* Keep val for key and id (the cache takes val over; an older entry for
 * key, or the least recently used one of its set, is released). */
void ccache_put(struct ccache *c, const char *key, const struct ccache_id *id,
                void *val);
/* Release the entry for key, if any (its file is gone). */
void ccache_drop(struct ccache *c, const char *key);
/* How many entries are kept. */
size_t ccache_count(const struct ccache *c);

#endif
