/*
 * tarx: the small subset of POSIX ustar that sluice's export archives use
 * (regular files and directories, names of at most 100 bytes, sizes below
 * 8 GiB). The writer streams files into one archive; the reader extracts an
 * archive into a directory, refusing anything that could escape it
 * (absolute names, "..", links, devices) and anything over its caps.
 */
#ifndef SLUICE_TARX_H
#define SLUICE_TARX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define TARX_NAME_MAX 100

struct tarx_writer;

/* Create path (truncating it) for writing. Free with tarx_writer_free(). */
int tarx_writer_open(struct tarx_writer **out, const char *path, struct err *e);
/* Add a member named name with the bytes data[0..len). */
int tarx_add_bytes(struct tarx_writer *w, const char *name, const void *data,
                   size_t len, struct err *e);
/* Add a member named name holding a copy of the file at src. */
int tarx_add_file(struct tarx_writer *w, const char *name, const char *src,
                  struct err *e);
/* Write the end-of-archive blocks, fsync and close. */
int tarx_writer_finish(struct tarx_writer *w, struct err *e);
/* Close (an unfinished archive stays as it is: the caller removes it).
 * NULL-safe. */
void tarx_writer_free(struct tarx_writer *w);

struct tarx_limits {
	size_t max_members;  /* 0 = no limit */
	uint64_t max_total;  /* bytes of all members; 0 = no limit */
	uint64_t max_member; /* bytes of one member; 0 = no limit */
};

/* Whether a member name is acceptable to the caller (after the reader's
 * own checks). Return SL_OK or an error naming the problem. */
typedef int (*tarx_name_fn)(void *arg, const char *name, struct err *e);

/* Extract archive into dir (which must exist). Members are written as
 * files (mode 0644) and directories (0755) under dir; errors name the
 * archive and the member: "X.tar: member 'a/../b': ...". On error what was
 * extracted so far stays (the caller extracts into a scratch directory).
 * *n_members (may be NULL) receives the number of files written. */
int tarx_extract(const char *archive, const char *dir,
                 const struct tarx_limits *lim, tarx_name_fn check, void *arg,
                 size_t *n_members, struct err *e);

#endif
