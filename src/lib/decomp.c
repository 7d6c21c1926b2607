/*
 * decomp: xz and gzip into a growing, capped buffer.
 */
#include "decomp.h"

#include <lzma.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

enum decomp_kind
decomp_kind_of(const char *name)
{
	size_t n = strlen(name);

	if (n >= 3 && strcmp(name + n - 3, ".xz") == 0)
		return DECOMP_XZ;
	if (n >= 3 && strcmp(name + n - 3, ".gz") == 0)
		return DECOMP_GZ;
	return DECOMP_NONE;
}

/* Make room for at least one more output byte (+ the NUL). */
static int
grow(char **b, size_t *alloc, size_t used, size_t cap, const char *name,
     struct err *e)
{
	size_t want;
	char *g;

	if (used < *alloc - 1)
		return SL_OK;
	if (used >= cap)
		return err_set(e, SL_ETOOBIG,
		               "%s: more than %zu bytes uncompressed", name,
		               cap);
	want = *alloc * 2;
	if (want > cap + 1)
		want = cap + 1;
	if ((g = realloc(*b, want)) == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	*b = g;
	*alloc = want;
	return SL_OK;
}

static int
unxz(char **b, size_t *alloc, size_t *used, const char *in, size_t len,
     size_t cap, const char *name, struct err *e)
{
	lzma_stream s = LZMA_STREAM_INIT;
	lzma_ret r;
	int rc = SL_OK;

	if (lzma_stream_decoder(&s, 256u << 20, LZMA_CONCATENATED) != LZMA_OK)
		return err_set(e, SL_ENOMEM, "%s: lzma init failed", name);
	s.next_in = (const uint8_t *)in;
	s.avail_in = len;
	for (;;) {
		if ((rc = grow(b, alloc, *used, cap, name, e)) != SL_OK)
			break;
		s.next_out = (uint8_t *)*b + *used;
		s.avail_out = *alloc - 1 - *used;
		r = lzma_code(&s, LZMA_FINISH);
		*used = (size_t)((char *)s.next_out - *b);
		if (r == LZMA_STREAM_END)
			break;
		if (r != LZMA_OK) {
			rc = err_set(e, SL_EPARSE, "%s: %s xz data", name,
			             r == LZMA_BUF_ERROR ? "truncated"
			                                 : "corrupt");
			break;
		}
	}
	lzma_end(&s);
	return rc;
}

static int
ungz(char **b, size_t *alloc, size_t *used, const char *in, size_t len,
     size_t cap, const char *name, struct err *e)
{
	z_stream s;
	int r, rc = SL_OK;

	memset(&s, 0, sizeof(s));
	if (inflateInit2(&s, 16 + MAX_WBITS) != Z_OK)
		return err_set(e, SL_ENOMEM, "%s: zlib init failed", name);
	s.next_in = (Bytef *)(uintptr_t)in;
	s.avail_in = (uInt)len;
	for (;;) {
		if ((rc = grow(b, alloc, *used, cap, name, e)) != SL_OK)
			break;
		size_t room = *alloc - 1 - *used;
		s.next_out = (Bytef *)*b + *used;
		s.avail_out = room > (1u << 30) ? (1u << 30) : (uInt)room;
		r = inflate(&s, Z_NO_FLUSH);
		*used = (size_t)((char *)s.next_out - *b);
		if (r == Z_STREAM_END)
			break;
		if (r == Z_BUF_ERROR && s.avail_in == 0) {
			rc = err_set(e, SL_EPARSE, "%s: truncated gzip data",
			             name);
			break;
		}
		if (r != Z_OK && r != Z_BUF_ERROR) {
			rc = err_set(e, SL_EPARSE, "%s: corrupt gzip data",
			             name);
			break;
		}
	}
	inflateEnd(&s);
	return rc;
}

int
decomp_buf(char **out, size_t *out_len, const char *in, size_t len,
           enum decomp_kind kind, size_t cap, const char *name, struct err *e)
{
	return decomp_buf_hint(out, out_len, in, len, kind, cap, 0, name, e);
}

int
decomp_buf_hint(char **out, size_t *out_len, const char *in, size_t len,
                enum decomp_kind kind, size_t cap, size_t hint,
                const char *name, struct err *e)
{
	size_t alloc, used = 0;
	char *b;
	int rc;

	if (kind == DECOMP_NONE && len > cap)
		return err_set(e, SL_ETOOBIG, "%s: more than %zu bytes", name,
		               cap);
	if (kind == DECOMP_NONE)
		alloc = len + 1;
	else if (hint > 0)
		alloc = hint + 2; /* room to see the end of the stream */
	else
		alloc = len * 4 + 4096;
	if (alloc > cap + 1)
		alloc = cap + 1;
	if ((b = malloc(alloc)) == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	if (kind == DECOMP_NONE) {
		memcpy(b, in, len);
		used = len;
		rc = SL_OK;
	} else if (kind == DECOMP_XZ) {
		rc = unxz(&b, &alloc, &used, in, len, cap, name, e);
	} else {
		rc = ungz(&b, &alloc, &used, in, len, cap, name, e);
	}
	if (rc != SL_OK) {
		free(b);
		return rc;
	}
	b[used] = '\0';
	*out = b;
	*out_len = used;
	return SL_OK;
}
