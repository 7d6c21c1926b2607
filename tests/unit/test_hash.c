/*
 * Unit tests for hash: the FIPS 180-4 test vectors, and every length
 * from 0 to 300 bytes (each padding case: one block, two, the length
 * split across them) plus a few large ones compared with libsodium's
 * SHA-256, in one piece and streamed in uneven pieces.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"

static void
hex_of(char hex[HASH_HEX_LEN + 1], const void *data, size_t len)
{
	hash_buf_hex(data, len, hex);
}

/* The digest of [data, data + len) streamed in pieces of step bytes. */
static void
hex_streamed(char hex[HASH_HEX_LEN + 1], const unsigned char *data, size_t len,
             size_t step)
{
	struct hash_ctx h;

	hash_init(&h);
	for (size_t off = 0; off < len; off += step)
		hash_update(&h, data + off,
		            len - off < step ? len - off : step);
	hash_final_hex(&h, hex);
}

static void
test_vectors(void **state)
{
	static const char two_blocks[] =
	        "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	char hex[HASH_HEX_LEN + 1];

	(void)state;
	hex_of(hex, "", 0);
	assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb924"
	                         "27ae41e4649b934ca495991b7852b855");
	hex_of(hex, "abc", 3);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223"
	                         "b00361a396177a9cb410ff61f20015ad");
	hex_of(hex, two_blocks, strlen(two_blocks));
	assert_string_equal(hex, "248d6a61d20638b8e5c026930c3e6039"
	                         "a33ce45964ff2167f6ecedd419db06c1");
}

static void
test_lengths(void **state)
{
	size_t max = 300, big[] = {4096, 65536 + 17, 1000003};
	unsigned char *buf = malloc(big[2]);
	unsigned char ref[HASH_LEN];
	char want[HASH_HEX_LEN + 1], one[HASH_HEX_LEN + 1],
	        streamed[HASH_HEX_LEN + 1];

	(void)state;
	assert_non_null(buf);
	assert_true(sodium_init() >= 0);
	randombytes_buf(buf, big[2]);
	for (size_t n = 0; n <= max; n++) {
		crypto_hash_sha256(ref, buf, n);
		hex_encode(ref, HASH_LEN, want);
		hex_of(one, buf, n);
		hex_streamed(streamed, buf, n, 7);
		if (strcmp(want, one) != 0 || strcmp(want, streamed) != 0)
			fail_msg("length %zu differs from libsodium's", n);
	}
	for (size_t i = 0; i < sizeof(big) / sizeof(big[0]); i++) {
		crypto_hash_sha256(ref, buf, big[i]);
		hex_encode(ref, HASH_LEN, want);
		hex_of(one, buf, big[i]);
		hex_streamed(streamed, buf, big[i], 4099);
		if (strcmp(want, one) != 0 || strcmp(want, streamed) != 0)
			fail_msg("length %zu differs from libsodium's", big[i]);
	}
	free(buf);
}

/* hash_buf_hex() and the streaming form agree. */
static void
test_buf_hex(void **state)
{
	char a[HASH_HEX_LEN + 1], b[HASH_HEX_LEN + 1];
	struct hash_ctx h;
	const char *t = "a catalog document, more or less";

	(void)state;
	hash_buf_hex(t, strlen(t), a);
	hash_init(&h);
	hash_update(&h, t, 5);
	hash_update(&h, t + 5, strlen(t) - 5);
	hash_final_hex(&h, b);
	assert_string_equal(a, b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_vectors),
	        cmocka_unit_test(test_lengths),
	        cmocka_unit_test(test_buf_hex),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
