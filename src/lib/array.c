/*
 * array: capped doubling growth of plain C arrays (array.h).
 */
#include "array.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int
array_reserve(void *vp, size_t *cap, size_t need, size_t elem, size_t max,
              struct err *e)
{
	size_t ncap;
	void *p, *np;

	if (need <= *cap)
		return SL_OK;
	if (need > max)
		return err_set(e, SL_ETOOBIG, "more than %zu elements", max);
	ncap = *cap < ARRAY_MIN ? ARRAY_MIN : *cap;
	while (ncap < need)
		ncap = ncap > max / 2 ? max : ncap * 2;
	if (ncap > max)
		ncap = max;
	if (elem != 0 && ncap > SIZE_MAX / elem)
		return err_set(e, SL_ENOMEM, "out of memory");
	memcpy(&p, vp, sizeof(p));
	np = realloc(p, ncap * elem);
	if (np == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	memcpy(vp, &np, sizeof(np));
	*cap = ncap;
	return SL_OK;
}

void
array_sort(void *base, size_t n, size_t elem,
           int (*cmp)(const void *, const void *))
{
	if (n > 1)
		qsort(base, n, elem, cmp);
}

void *
array_search(const void *key, const void *base, size_t n, size_t elem,
             int (*cmp)(const void *, const void *))
{
	return n == 0 ? NULL : bsearch(key, base, n, elem, cmp);
}
