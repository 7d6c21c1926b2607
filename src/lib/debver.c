/*
 * debver: dpkg's version ordering (see debver.h). The comparison works on
 * (pointer, length) slices of the input so no copies are made.
 */
#include <string.h>

#include "debver.h"

struct slice {
	const char *p;
	size_t n;
};

struct parsed {
	struct slice epoch, upstream, revision;
	bool has_epoch, has_revision;
};

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
is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
	       c == '\v';
}

static void
parse(const char *v, struct parsed *out)
{
	const char *end, *colon, *hyphen, *up;
	size_t i;

	while (is_space((unsigned char)*v))
		v++;
	end = v + strlen(v);
	while (end > v && is_space((unsigned char)end[-1]))
		end--;
	colon = memchr(v, ':', (size_t)(end - v));
	if (colon != NULL) {
		out->epoch = (struct slice){v, (size_t)(colon - v)};
		out->has_epoch = true;
		up = colon + 1;
	} else {
		out->epoch = (struct slice){"0", 1};
		out->has_epoch = false;
		up = v;
	}
	hyphen = NULL;
	for (i = 0; up + i < end; i++)
		if (up[i] == '-')
			hyphen = up + i;
	if (hyphen != NULL) {
		out->upstream = (struct slice){up, (size_t)(hyphen - up)};
		out->revision =
		        (struct slice){hyphen + 1, (size_t)(end - hyphen - 1)};
		out->has_revision = true;
	} else {
		out->upstream = (struct slice){up, (size_t)(end - up)};
		out->revision = (struct slice){"", 0};
		out->has_revision = false;
	}
}

/* The weight of a character in a non-digit run; 0 stands for "end of the
 * run" (a digit or the end of the string). */
static int
order(const struct slice *s, size_t i)
{
	int c;

	if (i >= s->n)
		return 0;
	c = (unsigned char)s->p[i];
	if (is_digit(c))
		return 0;
	if (is_alpha(c))
		return c;
	if (c == '~')
		return -1;
	return c + 256;
}

static int
sign(int x)
{
	return (x > 0) - (x < 0);
}

/* Compare two digit-or-not runs in dpkg's manner. */
static int
verrevcmp(struct slice a, struct slice b)
{
	size_t i = 0, j = 0;

	while (i < a.n || j < b.n) {
		int first_diff = 0;

		while ((i < a.n && !is_digit((unsigned char)a.p[i])) ||
		       (j < b.n && !is_digit((unsigned char)b.p[j]))) {
			int ac = order(&a, i), bc = order(&b, j);

			if (ac != bc)
				return sign(ac - bc);
			i++;
			j++;
		}
		while (i < a.n && a.p[i] == '0')
			i++;
		while (j < b.n && b.p[j] == '0')
			j++;
		while (i < a.n && j < b.n && is_digit((unsigned char)a.p[i]) &&
		       is_digit((unsigned char)b.p[j])) {
			if (first_diff == 0)
				first_diff = a.p[i] - b.p[j];
			i++;
			j++;
		}
		if (i < a.n && is_digit((unsigned char)a.p[i]))
			return 1;
		if (j < b.n && is_digit((unsigned char)b.p[j]))
			return -1;
		if (first_diff != 0)
			return sign(first_diff);
	}
	return 0;
}

int
debver_cmp(const char *a, const char *b)
{
	struct parsed pa, pb;
	int r;

	if (a == NULL || b == NULL)
		return (a != NULL) - (b != NULL);
	parse(a, &pa);
	parse(b, &pb);
	/* The epoch is a plain number: verrevcmp compares digit runs
	 * numerically whatever their length. */
	if ((r = verrevcmp(pa.epoch, pb.epoch)) != 0)
		return r;
	if ((r = verrevcmp(pa.upstream, pb.upstream)) != 0)
		return r;
	return verrevcmp(pa.revision, pb.revision);
}

int
debver_valid(const char *v, struct err *e)
{
	struct parsed p;
	size_t i;

	if (v == NULL)
		return err_set(e, SL_EINVAL, "version is missing");
	parse(v, &p);
	if (!p.has_epoch && p.upstream.n == 0 && !p.has_revision)
		return err_set(e, SL_EINVAL, "version string is empty");
	if (memchr(p.upstream.p, ' ', p.upstream.n) != NULL ||
	    memchr(p.upstream.p, '\t', p.upstream.n) != NULL ||
	    memchr(p.revision.p, ' ', p.revision.n) != NULL ||
	    memchr(p.revision.p, '\t', p.revision.n) != NULL)
		return err_set(e, SL_EINVAL,
		               "version string has embedded spaces");
	if (p.has_epoch) {
		if (p.epoch.n == 0)
			return err_set(e, SL_EINVAL,
			               "epoch in version is empty");
		for (i = 0; i < p.epoch.n; i++)
			if (!is_digit((unsigned char)p.epoch.p[i]))
				return err_set(
				        e, SL_EINVAL,
				        "epoch in version is not a number");
		if (p.epoch.n > 9)
			return err_set(e, SL_EINVAL,
			               "epoch in version is too big");
		if (p.upstream.n == 0)
			return err_set(e, SL_EINVAL,
			               "nothing after colon in version number");
	}
	if (p.upstream.n == 0)
		return err_set(e, SL_EINVAL, "version number is empty");
	if (p.has_revision && p.revision.n == 0)
		return err_set(e, SL_EINVAL, "revision number is empty");
	if (!is_digit((unsigned char)p.upstream.p[0]))
		return err_set(e, SL_EINVAL,
		               "version number does not start with digit");
	for (i = 0; i < p.upstream.n; i++) {
		int c = (unsigned char)p.upstream.p[i];

		if (!is_digit(c) && !is_alpha(c) && strchr(".-+~:", c) == NULL)
			return err_set(e, SL_EINVAL,
			               "invalid character in version number");
	}
	for (i = 0; i < p.revision.n; i++) {
		int c = (unsigned char)p.revision.p[i];

		if (!is_digit(c) && !is_alpha(c) && strchr(".+~", c) == NULL)
			return err_set(e, SL_EINVAL,
			               "invalid character in revision number");
	}
	return SL_OK;
}

int
debver_op_holds(const char *op, int cmp, bool *out, struct err *e)
{
	static const struct {
		const char *name;
		int lt, eq, gt; /* result for cmp <0, ==0, >0 */
	} ops[] = {
	        {"<", 1, 0, 0},  {"<<", 1, 0, 0}, {"lt", 1, 0, 0},
	        {"<=", 1, 1, 0}, {"le", 1, 1, 0}, {"=", 0, 1, 0},
	        {"==", 0, 1, 0}, {"eq", 0, 1, 0}, {"!=", 1, 0, 1},
	        {"ne", 1, 0, 1}, {">=", 0, 1, 1}, {"ge", 0, 1, 1},
	        {">", 0, 0, 1},  {">>", 0, 0, 1}, {"gt", 0, 0, 1},
	};
	size_t i;

	if (op == NULL)
		return err_set(e, SL_EINVAL, "missing comparison operator");
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		if (strcmp(op, ops[i].name) != 0)
			continue;
		*out = cmp < 0 ? ops[i].lt : cmp == 0 ? ops[i].eq : ops[i].gt;
		return SL_OK;
	}
	return err_set(e, SL_EINVAL, "unknown comparison operator '%.64s'", op);
}
