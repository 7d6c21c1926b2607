/*
 * array: growing a plain C array (T *v with n used and cap allocated
 * elements) by doubling, under a hard cap in elements, like buf.h does for
 * bytes. The caller keeps v, n and cap in its own struct or variables and
 * frees v with free().
 *
 *     struct row *rows = NULL;
 *     size_t n = 0, cap = 0;
 *     if ((rc = ARRAY_GROW(rows, cap, n, ROWS_MAX, e)) != SL_OK)
 *             goto out;
 *     rows[n++] = r;
 */
#ifndef SLUICE_ARRAY_H
#define SLUICE_ARRAY_H

#include <stddef.h>

#include "err.h"

#define ARRAY_MIN 16 /* the first allocation, in elements (or max if less) */

/* Make room for `need` elements of elem bytes in the array *vp (vp is the
 * address of a T * pointer) whose capacity is *cap: the capacity doubles
 * (from ARRAY_MIN) until it holds need, never past max. SL_ETOOBIG ("more
 * than MAX elements") when need > max, SL_ENOMEM when the allocation fails;
 * the array and *cap are unchanged on failure. */
int array_reserve(void *vp, size_t *cap, size_t need, size_t elem, size_t max,
                  struct err *e);

/* Room for one more element after the n in use. */
#define ARRAY_GROW(v, cap, n, max, e)                                          \
	array_reserve(&(v), &(cap), (n) + 1, sizeof(*(v)), (max), (e))

/* qsort() and bsearch() for arrays that may be empty: the C library's
 * take no NULL base even for zero elements (undefined behaviour, which
 * UBSan reports); these do nothing for n == 0 (array_search answers
 * NULL). */
void array_sort(void *base, size_t n, size_t elem,
                int (*cmp)(const void *, const void *));
void *array_search(const void *key, const void *base, size_t n, size_t elem,
                   int (*cmp)(const void *, const void *));

#endif
