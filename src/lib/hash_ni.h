/*
 * hash_ni: SHA-256 of a memory block with the x86 SHA extensions, for
 * hash_buf_hex() (hash.h).
 *
 * A catalog sync hashes every document it fetches against the index;
 * libsodium's SHA-256 is portable C (about 45 instructions a byte), and
 * the processors the server runs on mostly have instructions that do a
 * round in one. Where they are missing (another architecture, an older
 * processor, a compiler without them) the caller keeps libsodium's.
 */
#ifndef SLUICE_HASH_NI_H
#define SLUICE_HASH_NI_H

#include <stdbool.h>
#include <stddef.h>

/* Whether this processor (and this build) has the instructions. */
bool hash_ni_available(void);

/* SHA-256 of [data, data + len) into out; only when
 * hash_ni_available(). */
void hash_ni_buf(const void *data, size_t len, unsigned char out[32]);

#endif
