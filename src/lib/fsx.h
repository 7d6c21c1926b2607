/*
 * fsx: file-system helpers. Every write that must survive a crash goes
 * through fsx_write_atomic or fsx_copy_atomic: write to a temporary file in
 * the same directory, fsync, rename, fsync the directory. A reader never
 * sees half a file under its final name.
 */
#ifndef SLUICE_FSX_H
#define SLUICE_FSX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "err.h"
#include "hash.h"

/* Read a whole file of at most cap bytes. *out is NUL-terminated; free it
 * with free(). SL_ENOTFOUND if missing, SL_ETOOBIG if over cap. */
int fsx_read(const char *path, size_t cap, char **out, size_t *len,
             struct err *e);

/* Atomically replace path with data (mode e.g. 0644 or 0600). */
int fsx_write_atomic(const char *path, const void *data, size_t len,
                     mode_t mode, struct err *e);

/* Like fsx_write_atomic but without any fsync: a reader still never sees
 * half a file, but a crash may lose it. For writing many files then
 * syncing once with fsx_syncfs() before publishing them. */
int fsx_write_unsynced(const char *path, const void *data, size_t len,
                       mode_t mode, struct err *e);

/* Flush the whole file system holding path (syncfs). */
int fsx_syncfs(const char *path, struct err *e);

/* Copy src to dst atomically, hashing as it goes. If want_sha256 is not
 * NULL the copy is refused (SL_EVERIFY, nothing left behind) unless the
 * content matches it. sha_out and size_out may be NULL. */
int fsx_copy_atomic(const char *src, const char *dst, const char *want_sha256,
                    char sha_out[HASH_HEX_LEN + 1], uint64_t *size_out,
                    struct err *e);

/* mkdir -p with the given mode for created directories. */
int fsx_mkdirs(const char *path, mode_t mode, struct err *e);

/* fsync the directory holding path (after a rename or unlink). */
int fsx_sync_parent(const char *path, struct err *e);

bool fsx_exists(const char *path);

/* Join two path parts into out (size n); SL_ETOOBIG if it does not fit. */
int fsx_join(char *out, size_t n, const char *a, const char *b, struct err *e);

/* Failure injection for tests: the nth atomic write or copy from now on
 * (1 = the next one) fails with SL_EIO just before its rename, as a crash
 * at that point would leave things. 0 turns injection off. Not
 * thread-safe; for tests only. */
void fsx_inject_failure(int nth);

#endif
