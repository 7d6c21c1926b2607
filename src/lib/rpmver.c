/*
 * rpmver: rpm's version ordering (see rpmver.h), working on slices so that
 * epoch, version and release need no copies.
 */
#include <stdbool.h>
#include <string.h>

#include "rpmver.h"

static bool
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static bool
is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool
is_alnum(int c)
{
	return is_digit(c) || is_alpha(c);
}

/* rpmvercmp on a[0..an) and b[0..bn). */
static int
vercmp(const char *a, size_t an, const char *b, size_t bn)
{
	size_t i = 0, j = 0;

	if (an == bn && memcmp(a, b, an) == 0)
		return 0;
	while (i < an || j < bn) {
		size_t si, sj, li, lj;
		bool num;
		int r;

		while (i < an && !is_alnum((unsigned char)a[i]) &&
		       a[i] != '~' && a[i] != '^')
			i++;
		while (j < bn && !is_alnum((unsigned char)b[j]) &&
		       b[j] != '~' && b[j] != '^')
			j++;
		/* a tilde sorts before everything, even the end */
		if ((i < an && a[i] == '~') || (j < bn && b[j] == '~')) {
			if (i >= an || a[i] != '~')
				return 1;
			if (j >= bn || b[j] != '~')
				return -1;
			i++;
			j++;
			continue;
		}
		/* a caret sorts after the end but before anything else */
		if ((i < an && a[i] == '^') || (j < bn && b[j] == '^')) {
			if (i >= an)
				return -1;
			if (j >= bn)
				return 1;
			if (a[i] != '^')
				return 1;
			if (b[j] != '^')
				return -1;
			i++;
			j++;
			continue;
		}
		if (i >= an || j >= bn)
			break;
		si = i;
		sj = j;
		num = is_digit((unsigned char)a[i]);
		if (num) {
			while (i < an && is_digit((unsigned char)a[i]))
				i++;
			while (j < bn && is_digit((unsigned char)b[j]))
				j++;
		} else {
			while (i < an && is_alpha((unsigned char)a[i]))
				i++;
			while (j < bn && is_alpha((unsigned char)b[j]))
				j++;
		}
		/* runs of different kinds: the number is newer */
		if (j == sj)
			return num ? 1 : -1;
		if (num) {
			while (si < i && a[si] == '0')
				si++;
			while (sj < j && b[sj] == '0')
				sj++;
			if (i - si != j - sj)
				return i - si > j - sj ? 1 : -1;
		}
		li = i - si;
		lj = j - sj;
		r = memcmp(a + si, b + sj, li < lj ? li : lj);
		if (r != 0)
			return r < 0 ? -1 : 1;
		if (li != lj)
			return li > lj ? 1 : -1;
	}
	if (i >= an && j >= bn)
		return 0;
	return i < an ? 1 : -1;
}

int
rpmver_cmp(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return (a != NULL) - (b != NULL);
	return vercmp(a, strlen(a), b, strlen(b));
}

struct evr {
	const char *e, *v, *r;
	size_t en, vn, rn;
	bool has_r;
};

static void
split(const char *s, struct evr *x)
{
	const char *colon = strchr(s, ':'), *dash;
	size_t i;

	x->e = "0";
	x->en = 1;
	if (colon != NULL) {
		bool digits = colon > s;

		for (i = 0; s + i < colon; i++)
			if (!is_digit((unsigned char)s[i]))
				digits = false;
		if (digits) {
			x->e = s;
			x->en = (size_t)(colon - s);
		}
		/* "(none):" from rpm --qf means no epoch */
		s = colon + 1;
	}
	dash = strrchr(s, '-');
	x->v = s;
	if (dash != NULL) {
		x->vn = (size_t)(dash - s);
		x->r = dash + 1;
		x->rn = strlen(dash + 1);
		x->has_r = true;
	} else {
		x->vn = strlen(s);
		x->r = "";
		x->rn = 0;
		x->has_r = false;
	}
}

int
rpmver_cmp_evr(const char *a, const char *b)
{
	struct evr x, y;
	int r;

	if (a == NULL || b == NULL)
		return (a != NULL) - (b != NULL);
	split(a, &x);
	split(b, &y);
	if ((r = vercmp(x.e, x.en, y.e, y.en)) != 0)
		return r;
	if ((r = vercmp(x.v, x.vn, y.v, y.vn)) != 0)
		return r;
	if (!x.has_r || !y.has_r)
		return 0;
	return vercmp(x.r, x.rn, y.r, y.rn);
}
