/*
 * test_array: capped doubling growth (src/lib/array.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>

#include "array.h"

struct pair {
	int a;
	long b;
};

static void
test_grow_doubles(void **state)
{
	struct pair *v = NULL;
	size_t n = 0, cap = 0;
	struct err e;

	(void)state;
	for (int i = 0; i < 100; i++) {
		assert_int_equal(ARRAY_GROW(v, cap, n, 1000, &e), SL_OK);
		v[n++] = (struct pair){i, (long)i * 2};
		if (n == 1)
			assert_int_equal(cap, ARRAY_MIN);
	}
	assert_int_equal(n, 100);
	assert_int_equal(cap, 128); /* 16, 32, 64, 128 */
	for (int i = 0; i < 100; i++) {
		assert_int_equal(v[i].a, i);
		assert_int_equal(v[i].b, (long)i * 2);
	}
	free(v);
}

static void
test_cap(void **state)
{
	int *v = NULL;
	size_t n = 0, cap = 0;
	struct err e;

	(void)state;
	/* The last doubling stops at the cap, not past it. */
	for (int i = 0; i < 20; i++) {
		assert_int_equal(ARRAY_GROW(v, cap, n, 20, &e), SL_OK);
		v[n++] = i;
	}
	assert_int_equal(cap, 20);
	assert_int_equal(ARRAY_GROW(v, cap, n, 20, &e), SL_ETOOBIG);
	assert_string_equal(e.msg, "more than 20 elements");
	assert_int_equal(n, 20);
	assert_int_equal(cap, 20);
	assert_int_equal(v[19], 19);
	free(v);
	/* A cap below the first allocation. */
	v = NULL;
	n = cap = 0;
	assert_int_equal(ARRAY_GROW(v, cap, n, 3, &e), SL_OK);
	assert_int_equal(cap, 3);
	free(v);
}

static void
test_reserve(void **state)
{
	char *v = NULL;
	size_t cap = 0;
	struct err e;

	(void)state;
	assert_int_equal(array_reserve(&v, &cap, 0, 1, 10, &e), SL_OK);
	assert_null(v);
	assert_int_equal(array_reserve(&v, &cap, 40, 1, 100, &e), SL_OK);
	assert_int_equal(cap, 64);
	assert_int_equal(array_reserve(&v, &cap, 101, 1, 100, &e), SL_ETOOBIG);
	assert_string_equal(e.msg, "more than 100 elements");
	assert_int_equal(cap, 64);
	/* An allocation that cannot be made leaves the array as it was. */
	assert_int_equal(
	        array_reserve(&v, &cap, 65, SIZE_MAX / 8, SIZE_MAX, &e),
	        SL_ENOMEM);
	assert_string_equal(e.msg, "out of memory");
	assert_int_equal(cap, 64);
	assert_non_null(v);
	free(v);
}

static int
cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

/* Empty arrays (NULL base) are fine; UBSan would report qsort(NULL, 0). */
static void
test_sort_search(void **state)
{
	int *none = NULL, v[] = {5, 1, 4}, key = 4;

	(void)state;
	array_sort(none, 0, sizeof(int), cmp_int);
	assert_null(array_search(&key, none, 0, sizeof(int), cmp_int));
	array_sort(v, 3, sizeof(int), cmp_int);
	assert_int_equal(v[0], 1);
	assert_int_equal(v[2], 5);
	assert_ptr_equal(array_search(&key, v, 3, sizeof(int), cmp_int), &v[1]);
	key = 2;
	assert_null(array_search(&key, v, 3, sizeof(int), cmp_int));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_grow_doubles),
	        cmocka_unit_test(test_cap),
	        cmocka_unit_test(test_reserve),
	        cmocka_unit_test(test_sort_search),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
