/*
 * Unit tests for content_cache: a value is found only for the file
 * identity it was made from (a file replaced by rename, rewritten or
 * truncated is a miss, and the stale value is released), the least
 * recently used entry of a full set goes first, drop and free release
 * what they hold, and every value is released exactly once.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "content_cache.h"

/* Values are ints; released[i] counts releases of value i. */
static int vals[16];
static int released[16];

static void
rel(void *v)
{
	released[(int *)v - vals]++;
}

static void
reset(void)
{
	memset(released, 0, sizeof(released));
}

/* A 64-hex-digit key: the first 8 digits pick the set, so keys with the
 * same prefix share one. */
static const char *
key(char out[CCACHE_KEY_LEN + 1], const char *prefix, int n)
{
	memset(out, '0', CCACHE_KEY_LEN);
	out[CCACHE_KEY_LEN] = '\0';
	memcpy(out, prefix, strlen(prefix));
	for (int i = CCACHE_KEY_LEN - 1; n > 0; i--, n /= 10)
		out[i] = (char)('0' + n % 10);
	return out;
}

static struct ccache_id
id_n(uint64_t ino)
{
	struct ccache_id id = {.dev = 1,
	                       .ino = ino,
	                       .size = 100,
	                       .mtime_s = 5,
	                       .mtime_ns = 6,
	                       .ctime_s = 7,
	                       .ctime_ns = 8};
	return id;
}

static void
test_hit_and_identity(void **state)
{
	struct ccache *c;
	struct ccache_id id = id_n(1), other;
	struct err e;
	char k[CCACHE_KEY_LEN + 1];

	(void)state;
	reset();
	assert_int_equal(ccache_new(&c, 8, rel, &e), SL_OK);
	key(k, "aaaa", 1);
	assert_null(ccache_get(c, k, &id));
	ccache_put(c, k, &id, &vals[0]);
	assert_int_equal(ccache_count(c), 1);
	assert_ptr_equal(ccache_get(c, k, &id), &vals[0]);
	assert_ptr_equal(ccache_get(c, k, &id), &vals[0]);
	assert_int_equal(released[0], 0);

	/* Any field of the identity differing is a miss that lets go of
	 * the stale value. */
	for (int f = 0; f < 7; f++) {
		ccache_put(c, k, &id, &vals[f + 1]);
		other = id;
		switch (f) {
		case 0:
			other.dev++;
			break;
		case 1:
			other.ino++;
			break;
		case 2:
			other.size--;
			break;
		case 3:
			other.mtime_s++;
			break;
		case 4:
			other.mtime_ns++;
			break;
		case 5:
			other.ctime_s++;
			break;
		default:
			other.ctime_ns++;
			break;
		}
		assert_false(ccache_id_eq(&id, &other));
		assert_null(ccache_get(c, k, &other));
		assert_int_equal(released[f + 1], 1);
		assert_int_equal(ccache_count(c), 0);
		/* and it stays gone for the old identity too */
		assert_null(ccache_get(c, k, &id));
	}
	/* Putting a key again releases what it held. */
	ccache_put(c, k, &id, &vals[9]);
	ccache_put(c, k, &id, &vals[10]);
	assert_int_equal(released[9], 1);
	assert_int_equal(ccache_count(c), 1);
	ccache_drop(c, k);
	assert_int_equal(released[10], 1);
	assert_int_equal(ccache_count(c), 0);
	ccache_drop(c, k); /* nothing left: a no-op */
	ccache_free(c);
	ccache_free(NULL);
	for (int i = 0; i < 16; i++)
		assert_true(released[i] <= 1);
}

/* One set of 4: the fifth key pushes out the least recently used. */
static void
test_lru(void **state)
{
	struct ccache *c;
	struct ccache_id id = id_n(1);
	struct err e;
	char k[5][CCACHE_KEY_LEN + 1];

	(void)state;
	reset();
	assert_int_equal(ccache_new(&c, 1, rel, &e), SL_OK);
	for (int i = 0; i < 4; i++)
		ccache_put(c, key(k[i], "0123abcd", i), &id, &vals[i]);
	assert_int_equal(ccache_count(c), 4);
	/* 0 is used again: 1 is now the oldest */
	assert_ptr_equal(ccache_get(c, k[0], &id), &vals[0]);
	ccache_put(c, key(k[4], "0123abcd", 4), &id, &vals[4]);
	assert_int_equal(ccache_count(c), 4);
	assert_int_equal(released[1], 1);
	assert_null(ccache_get(c, k[1], &id));
	for (int i = 0; i < 5; i++)
		if (i != 1)
			assert_ptr_equal(ccache_get(c, k[i], &id), &vals[i]);
	ccache_free(c);
	for (int i = 0; i < 5; i++)
		assert_int_equal(released[i], 1);
}

/* Keys spread over the sets: a cache of 16 keeps 16 different keys
 * when they fall in different sets, and never more than its size. */
static void
test_sets(void **state)
{
	struct ccache *c;
	struct ccache_id id = id_n(1);
	struct err e;
	char k[CCACHE_KEY_LEN + 1], p[9];
	static const char hex[] = "0123456789abcdef";

	(void)state;
	reset();
	assert_int_equal(ccache_new(&c, 16, rel, &e), SL_OK);
	for (int i = 0; i < 16; i++) {
		snprintf(p, sizeof(p), "0000000%c", hex[i]);
		ccache_put(c, key(k, p, i), &id, &vals[i]);
	}
	assert_int_equal(ccache_count(c), 16);
	for (int i = 0; i < 16; i++)
		assert_int_equal(released[i], 0);
	ccache_free(c);
	for (int i = 0; i < 16; i++)
		assert_int_equal(released[i], 1);
}

/* The identity of real files: a rename over the path, a rewrite of the
 * same length, a truncation each give another identity. */
static void
test_file_identity(void **state)
{
	char dir[] = "/tmp/sluice-test-ccache.XXXXXX", a[64], b[64];
	struct ccache_id i0, i1;
	struct timespec ts = {0, 20 * 1000 * 1000};
	struct stat sb;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(a, sizeof(a), "%s/a", dir);
	snprintf(b, sizeof(b), "%s/b", dir);
	f = fopen(a, "w");
	assert_non_null(f);
	fputs("first", f);
	fclose(f);
	assert_int_equal(stat(a, &sb), 0);
	ccache_id_of(&i0, &sb);
	assert_int_equal(stat(a, &sb), 0);
	ccache_id_of(&i1, &sb);
	assert_true(ccache_id_eq(&i0, &i1));

	/* replaced by rename: another inode */
	f = fopen(b, "w");
	assert_non_null(f);
	fputs("other", f);
	fclose(f);
	assert_int_equal(rename(b, a), 0);
	assert_int_equal(stat(a, &sb), 0);
	ccache_id_of(&i1, &sb);
	assert_false(ccache_id_eq(&i0, &i1));

	/* rewritten in place, same length */
	i0 = i1;
	nanosleep(&ts, NULL);
	f = fopen(a, "r+");
	assert_non_null(f);
	fputs("again", f);
	fclose(f);
	assert_int_equal(stat(a, &sb), 0);
	ccache_id_of(&i1, &sb);
	assert_false(ccache_id_eq(&i0, &i1));

	/* truncated */
	i0 = i1;
	assert_int_equal(truncate(a, 2), 0);
	assert_int_equal(stat(a, &sb), 0);
	ccache_id_of(&i1, &sb);
	assert_false(ccache_id_eq(&i0, &i1));
	assert_int_equal(i1.size, 2);

	unlink(a);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_hit_and_identity),
	        cmocka_unit_test(test_lru),
	        cmocka_unit_test(test_sets),
	        cmocka_unit_test(test_file_identity),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
