/*
 * decomp: whole-buffer decompression of xz (liblzma) and gzip (zlib)
 * data, bounded by a cap on the output, for the indexes of apt archives.
 */
#ifndef SLUICE_DECOMP_H
#define SLUICE_DECOMP_H

#include <stddef.h>

#include "err.h"

enum decomp_kind {
	DECOMP_NONE, /* plain: copied */
	DECOMP_XZ,
	DECOMP_GZ,
};

/* The kind for a file name's suffix (".xz", ".gz", anything else NONE). */
enum decomp_kind decomp_kind_of(const char *name);

/* Decompress in[0..len) into *out (NUL-terminated, free with free()).
 * name is for errors ("Packages.xz: corrupt xz data"). More than cap
 * output bytes -> SL_ETOOBIG; corrupt or truncated data -> SL_EPARSE. */
int decomp_buf(char **out, size_t *out_len, const char *in, size_t len,
               enum decomp_kind kind, size_t cap, const char *name,
               struct err *e);
/* The same with the expected output size (0: unknown), allocated at
 * once instead of grown by doubling. */
int decomp_buf_hint(char **out, size_t *out_len, const char *in, size_t len,
                    enum decomp_kind kind, size_t cap, size_t hint,
                    const char *name, struct err *e);

#endif
