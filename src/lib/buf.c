/*
 * buf: bounded growable buffer.
 */
#include "buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
buf_init(struct buf *b, size_t cap)
{
	b->data = NULL;
	b->len = 0;
	b->alloc = 0;
	b->cap = cap;
}

void
buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = 0;
	b->alloc = 0;
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

static int
buf_grow(struct buf *b, size_t need, struct err *e)
{
	size_t n;
	char *p;

	if (need > b->cap)
		return err_set(e, SL_ETOOBIG, "over the limit of %zu bytes",
		               b->cap);
	if (need + 1 <= b->alloc)
		return SL_OK;
	n = b->alloc ? b->alloc : 256;
	while (n < need + 1)
		n *= 2;
	if (n > b->cap + 1)
		n = b->cap + 1;
	p = realloc(b->data, n);
	if (p == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	b->data = p;
	b->alloc = n;
	return SL_OK;
}

int
buf_append(struct buf *b, const void *data, size_t len, struct err *e)
{
	int rc;

	if (len > b->cap || b->len > b->cap - len)
		return err_set(e, SL_ETOOBIG, "over the limit of %zu bytes",
		               b->cap);
	if ((rc = buf_grow(b, b->len + len, e)) != SL_OK)
		return rc;
	if (len > 0)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return SL_OK;
}

int
buf_puts(struct buf *b, const char *s, struct err *e)
{
	return buf_append(b, s, strlen(s), e);
}

int
buf_printf(struct buf *b, struct err *e, const char *fmt, ...)
{
	va_list ap;
	int n, rc;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return err_set(e, SL_EINVAL, "bad format");
	if ((size_t)n > b->cap || b->len > b->cap - (size_t)n)
		return err_set(e, SL_ETOOBIG, "over the limit of %zu bytes",
		               b->cap);
	if ((rc = buf_grow(b, b->len + (size_t)n, e)) != SL_OK)
		return rc;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return SL_OK;
}

char *
buf_steal(struct buf *b, size_t *len_out)
{
	char *p = b->data;

	if (p == NULL)
		p = calloc(1, 1);
	if (len_out != NULL)
		*len_out = b->len;
	b->data = NULL;
	b->len = 0;
	b->alloc = 0;
	return p;
}
