/*
 * hash_ni: SHA-256 (FIPS 180-4) with the SHA-NI instructions
 * (hash_ni.h). The state is kept as the instructions want it (A B E F and
 * C D G H in two registers); each group of four rounds adds its message
 * words and constants, runs two rounds, shifts the sum down and runs two
 * more, and the message schedule is extended four words at a time with
 * sha256msg1 / sha256msg2.
 */
#include "hash_ni.h"

#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define HAVE_NI 1
#include <cpuid.h>
#include <immintrin.h>
#endif

#ifdef HAVE_NI

static const uint32_t K[64] = {
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
        0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
        0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
        0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
        0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
        0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
        0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
        0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
        0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

#define NI_TARGET __attribute__((target("sha,sse4.1,ssse3")))

/* Run the compression over n 64-byte blocks; st holds A..H. */
NI_TARGET static void
blocks(uint32_t st[8], const unsigned char *p, size_t n)
{
	const __m128i swap =
	        _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
	__m128i s0, s1, t, m[4], msg, save0, save1;

	/* A B C D / E F G H into A B E F / C D G H. */
	t = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&st[0]), 0xb1);
	s1 = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&st[4]), 0x1b);
	s0 = _mm_alignr_epi8(t, s1, 8);
	s1 = _mm_blend_epi16(s1, t, 0xf0);
	for (; n > 0; n--, p += 64) {
		save0 = s0;
		save1 = s1;
#pragma GCC unroll 16
		for (int g = 0; g < 16; g++) {
			__m128i *w = &m[g & 3];

			if (g < 4)
				*w = _mm_shuffle_epi8(
				        _mm_loadu_si128(
				                (const __m128i *)(p + 16 * g)),
				        swap);
			else
				*w = _mm_sha256msg2_epu32(
				        _mm_add_epi32(
				                _mm_sha256msg1_epu32(
				                        *w, m[(g + 1) & 3]),
				                _mm_alignr_epi8(m[(g + 3) & 3],
				                                m[(g + 2) & 3],
				                                4)),
				        m[(g + 3) & 3]);
			msg = _mm_add_epi32(
			        *w,
			        _mm_loadu_si128((const __m128i *)&K[4 * g]));
			s1 = _mm_sha256rnds2_epu32(s1, s0, msg);
			s0 = _mm_sha256rnds2_epu32(
			        s0, s1, _mm_shuffle_epi32(msg, 0x0e));
		}
		s0 = _mm_add_epi32(s0, save0);
		s1 = _mm_add_epi32(s1, save1);
	}
	/* Back to A B C D / E F G H. */
	t = _mm_shuffle_epi32(s0, 0x1b);
	s1 = _mm_shuffle_epi32(s1, 0xb1);
	s0 = _mm_blend_epi16(t, s1, 0xf0);
	s1 = _mm_alignr_epi8(s1, t, 8);
	_mm_storeu_si128((__m128i *)&st[0], s0);
	_mm_storeu_si128((__m128i *)&st[4], s1);
}

bool
hash_ni_available(void)
{
	static atomic_int known = -1; /* not asked yet; a race asks twice */
	unsigned a, b, c, d;
	int have;

	if (known >= 0)
		return known;
	have = __get_cpuid(1, &a, &b, &c, &d) && (c & bit_SSSE3) &&
	       (c & bit_SSE4_1) && __get_cpuid_count(7, 0, &a, &b, &c, &d) &&
	       (b & bit_SHA);
	known = have;
	return have;
}

void
hash_ni_buf(const void *data, size_t len, unsigned char out[32])
{
	uint32_t st[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
	                  0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
	const unsigned char *p = data;
	unsigned char last[128];
	size_t full = len / 64, rest = len % 64, n_last;
	uint64_t bits = (uint64_t)len * 8;

	blocks(st, p, full);
	/* The rest, 0x80, zeros and the length in bits: one block or two. */
	memset(last, 0, sizeof(last));
	if (rest > 0)
		memcpy(last, p + 64 * full, rest);
	last[rest] = 0x80;
	n_last = rest < 56 ? 64 : 128;
	for (int i = 0; i < 8; i++)
		last[n_last - 1 - i] = (unsigned char)(bits >> (8 * i));
	blocks(st, last, n_last / 64);
	for (int i = 0; i < 8; i++) {
		out[4 * i] = (unsigned char)(st[i] >> 24);
		out[4 * i + 1] = (unsigned char)(st[i] >> 16);
		out[4 * i + 2] = (unsigned char)(st[i] >> 8);
		out[4 * i + 3] = (unsigned char)st[i];
	}
}

#else

bool
hash_ni_available(void)
{
	return false;
}

void
hash_ni_buf(const void *data, size_t len, unsigned char out[32])
{
	(void)data;
	(void)len;
	memset(out, 0, 32);
}

#endif
