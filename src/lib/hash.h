/*
 * hash: SHA-256 (nettle: Debian's build uses the processor's SHA
 * instructions where it has them, about four times libsodium's portable
 * C), streaming over files, and hex helpers.
 */
#ifndef SLUICE_HASH_H
#define SLUICE_HASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <nettle/sha2.h>
#include <sodium.h>

#include "err.h"

#define HASH_LEN     32
#define HASH_HEX_LEN 64

struct hash_ctx {
	struct sha256_ctx st;
};

/* Initialise libsodium once; safe to call many times. */
int hash_global_init(struct err *e);

void hash_init(struct hash_ctx *h);
void hash_update(struct hash_ctx *h, const void *data, size_t len);
/* Write the lowercase hex digest (65 bytes with NUL) to hex. */
void hash_final_hex(struct hash_ctx *h, char hex[HASH_HEX_LEN + 1]);

/* SHA-256 of a memory block as lowercase hex. */
void hash_buf_hex(const void *data, size_t len, char hex[HASH_HEX_LEN + 1]);

/* Stream a file through SHA-256; size_out (may be NULL) gets its size. */
int hash_file_hex(const char *path, char hex[HASH_HEX_LEN + 1],
                  uint64_t *size_out, struct err *e);

/* True when s is exactly 64 lowercase hex digits. */
bool hash_is_hex(const char *s);

/* Lowercase hex encoding of n bytes into out (2n+1 bytes). */
void hex_encode(const unsigned char *in, size_t n, char *out);
/* Decode exactly 2n hex digits into out; SL_EINVAL otherwise. */
int hex_decode(const char *in, unsigned char *out, size_t n);

#endif
