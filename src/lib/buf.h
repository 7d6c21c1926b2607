/*
 * buf: a growable byte buffer with a hard cap (every growing buffer in
 * Sluice has one). The content is always NUL-terminated for convenience.
 */
#ifndef SLUICE_BUF_H
#define SLUICE_BUF_H

#include <stddef.h>

#include "err.h"

struct buf {
	char *data; /* NUL-terminated; NULL until the first append */
	size_t len;
	size_t alloc;
	size_t cap; /* maximum len; appends past it fail with SL_ETOOBIG */
};

/* Initialise an empty buffer that may grow to cap bytes. */
void buf_init(struct buf *b, size_t cap);

/* Release the storage; the buffer is then empty and reusable. */
void buf_free(struct buf *b);

/* Drop the content but keep the storage. */
void buf_reset(struct buf *b);

int buf_append(struct buf *b, const void *data, size_t len, struct err *e);
int buf_puts(struct buf *b, const char *s, struct err *e);
int buf_printf(struct buf *b, struct err *e, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* Hand the content over to the caller (free with free()); the buffer is
 * left empty. Never NULL on success: an empty buffer yields "". */
char *buf_steal(struct buf *b, size_t *len_out);

#endif
