/*
 * deb822: one pass over a control-data buffer, fields as spans into it.
 * Only the few values a caller asks for are ever copied (deb822_text,
 * deb822_hashents), so a 100 MB Packages file costs its own buffer and
 * nothing per stanza.
 */
#include "deb822.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "hash.h"

void
deb822_init(struct deb822 *d, const char *file, const char *buf, size_t len)
{
	memset(d, 0, sizeof(*d));
	d->file = file;
	d->p = buf;
	d->end = buf + len;
	d->line = 1;
}

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* The end of the line starting at p (its '\n' or the buffer's end). */
static const char *
line_end(const struct deb822 *d, const char *p)
{
	const char *nl = memchr(p, '\n', (size_t)(d->end - p));

	return nl ? nl : d->end;
}

static bool
line_is_empty(const char *p, const char *eol)
{
	while (p < eol && is_blank(*p))
		p++;
	return p == eol;
}

static int
add_field(struct deb822 *d, const char *p, const char *eol, struct err *e)
{
	const char *colon = memchr(p, ':', (size_t)(eol - p));
	struct deb822_field *f;

	if (colon == NULL)
		return err_set(e, SL_EPARSE, "%s:%zu: line without a ':'",
		               d->file, d->line);
	if (colon == p)
		return err_set(e, SL_EPARSE, "%s:%zu: field without a name",
		               d->file, d->line);
	for (const char *c = p; c < colon; c++)
		if (*c == ' ' || *c == '\t' || (unsigned char)*c < 0x21)
			return err_set(e, SL_EPARSE,
			               "%s:%zu: blank in a field name", d->file,
			               d->line);
	for (size_t i = 0; i < d->n; i++)
		if (d->fields[i].name_len == (size_t)(colon - p) &&
		    strncasecmp(d->fields[i].name, p, (size_t)(colon - p)) == 0)
			return err_set(e, SL_EPARSE,
			               "%s:%zu: duplicate field %.*s", d->file,
			               d->line, (int)(colon - p), p);
	if (d->n >= DEB822_MAX_FIELDS)
		return err_set(e, SL_ETOOBIG,
		               "%s:%zu: more than %d fields in a stanza",
		               d->file, d->line, DEB822_MAX_FIELDS);
	f = &d->fields[d->n++];
	f->name = p;
	f->name_len = (size_t)(colon - p);
	f->value = colon + 1;
	while (f->value < eol && is_blank(*f->value))
		f->value++;
	f->value_len = (size_t)(eol - f->value);
	f->line = d->line;
	return SL_OK;
}

int
deb822_next(struct deb822 *d, bool *got, struct err *e)
{
	int rc;

	d->n = 0;
	*got = false;
	while (d->p < d->end) {
		const char *eol = line_end(d, d->p);
		const char *next = eol < d->end ? eol + 1 : eol;

		if (line_is_empty(d->p, eol)) {
			if (d->n > 0) {
				d->p = next;
				d->line++;
				break;
			}
		} else if (*d->p == '#') {
			/* a comment */
		} else if (*d->p == ' ' || *d->p == '\t') {
			if (d->n == 0)
				return err_set(e, SL_EPARSE,
				               "%s:%zu: continuation line "
				               "outside a field",
				               d->file, d->line);
			struct deb822_field *f = &d->fields[d->n - 1];
			f->value_len = (size_t)(eol - f->value);
		} else {
			if (d->n == 0)
				d->stanza_line = d->line;
			if ((rc = add_field(d, d->p, eol, e)) != SL_OK)
				return rc;
		}
		d->p = next;
		d->line++;
	}
	*got = d->n > 0;
	return SL_OK;
}

const struct deb822_field *
deb822_get(const struct deb822 *d, const char *name)
{
	size_t len = strlen(name);

	for (size_t i = 0; i < d->n; i++)
		if (d->fields[i].name_len == len &&
		    strncasecmp(d->fields[i].name, name, len) == 0)
			return &d->fields[i];
	return NULL;
}

static void
trim_span(const char **p, size_t *n)
{
	while (*n > 0 && is_blank(**p)) {
		(*p)++;
		(*n)--;
	}
	while (*n > 0 && (is_blank((*p)[*n - 1]) || (*p)[*n - 1] == '\n'))
		(*n)--;
}

void
deb822_trim(const struct deb822_field *f, const char **p, size_t *n)
{
	if (f == NULL) {
		*p = "";
		*n = 0;
		return;
	}
	*p = f->value;
	*n = f->value_len;
	trim_span(p, n);
}

void
deb822_first_line(const struct deb822_field *f, const char **p, size_t *n)
{
	const char *nl;

	if (f == NULL) {
		*p = "";
		*n = 0;
		return;
	}
	*p = f->value;
	nl = memchr(f->value, '\n', f->value_len);
	*n = nl ? (size_t)(nl - f->value) : f->value_len;
	trim_span(p, n);
}

char *
deb822_text(const struct deb822_field *f)
{
	const char *p = f->value, *end = f->value + f->value_len, *eol, *s;
	struct buf b;
	size_t n;
	bool first = true;

	buf_init(&b, f->value_len + 1);
	while (p <= end) {
		eol = memchr(p, '\n', (size_t)(end - p));
		if (eol == NULL)
			eol = end;
		s = p;
		n = (size_t)(eol - p);
		if (!first) {
			if (n > 0 && (*s == ' ' || *s == '\t')) {
				s++;
				n--;
			}
			if (n == 1 && *s == '.')
				n = 0;
			if (buf_append(&b, "\n", 1, NULL) != SL_OK)
				goto fail;
		} else {
			trim_span(&s, &n);
		}
		while (n > 0 && is_blank(s[n - 1]))
			n--;
		if (buf_append(&b, s, n, NULL) != SL_OK)
			goto fail;
		first = false;
		if (eol == end)
			break;
		p = eol + 1;
	}
	return buf_steal(&b, NULL);
fail:
	buf_free(&b);
	return NULL;
}

int
deb822_source(const struct deb822_field *f, const char **name, size_t *name_n,
              const char **version, size_t *version_n, struct err *e)
{
	const char *p, *end, *q;
	size_t n;

	deb822_trim(f, &p, &n);
	end = p + n;
	for (q = p; q < end && !is_blank(*q) && *q != '('; q++)
		;
	if (q == p)
		return err_set(e, SL_EPARSE, "Source: empty package name");
	*name = p;
	*name_n = (size_t)(q - p);
	*version = NULL;
	*version_n = 0;
	while (q < end && is_blank(*q))
		q++;
	if (q == end)
		return SL_OK;
	if (*q != '(' || end[-1] != ')')
		return err_set(e, SL_EPARSE,
		               "Source: expected 'NAME' or 'NAME (VERSION)', "
		               "got '%.*s'",
		               (int)n, p);
	q++;
	while (q < end - 1 && is_blank(*q))
		q++;
	const char *vend = end - 1;
	while (vend > q && is_blank(vend[-1]))
		vend--;
	if (vend == q)
		return err_set(e, SL_EPARSE, "Source: empty version in '%.*s'",
		               (int)n, p);
	for (const char *c = q; c < vend; c++)
		if (is_blank(*c) || *c == '(' || *c == ')')
			return err_set(e, SL_EPARSE,
			               "Source: bad version in '%.*s'", (int)n,
			               p);
	*version = q;
	*version_n = (size_t)(vend - q);
	return SL_OK;
}

bool
deb822_eq(const char *p, size_t n, const char *s)
{
	return strlen(s) == n && memcmp(p, s, n) == 0;
}

void
deb822_hashents_free(struct deb822_hashent *h, size_t n)
{
	for (size_t i = 0; h != NULL && i < n; i++)
		free(h[i].path);
	free(h);
}

/* The next blank-separated token of [*p, end). */
static bool
token(const char **p, const char *end, const char **t, size_t *tn)
{
	while (*p < end && is_blank(**p))
		(*p)++;
	*t = *p;
	while (*p < end && !is_blank(**p))
		(*p)++;
	*tn = (size_t)(*p - *t);
	return *tn > 0;
}

int
deb822_hashents(struct deb822_hashent **out, size_t *n,
                const struct deb822_field *f, const char *file, struct err *e)
{
	const char *p = f->value, *end = f->value + f->value_len;
	struct deb822_hashent *h = NULL;
	size_t cnt = 0, alloc = 0, line = f->line;
	int rc = SL_OK;

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *t[3];
		size_t tn[3];
		char num[24];
		char *numend;

		if (eol == NULL)
			eol = end;
		if (line_is_empty(p, eol))
			goto next;
		if (!token(&p, eol, &t[0], &tn[0]) ||
		    !token(&p, eol, &t[1], &tn[1]) ||
		    !token(&p, eol, &t[2], &tn[2]) || !line_is_empty(p, eol)) {
			rc = err_set(e, SL_EPARSE,
			             "%s:%zu: %.*s: expected 'HASH SIZE PATH'",
			             file, line, (int)f->name_len, f->name);
			goto out;
		}
		if (cnt == alloc) {
			alloc = alloc ? alloc * 2 : 16;
			void *g = realloc(h, alloc * sizeof(*h));
			if (g == NULL) {
				rc = err_set(e, SL_ENOMEM, "out of memory");
				goto out;
			}
			h = g;
		}
		struct deb822_hashent *x = &h[cnt];
		memset(x, 0, sizeof(*x));
		if (tn[0] != HASH_HEX_LEN || tn[1] >= sizeof(num)) {
			rc = err_set(e, SL_EPARSE,
			             "%s:%zu: %.*s: bad hash or size", file,
			             line, (int)f->name_len, f->name);
			goto out;
		}
		memcpy(x->sha256, t[0], HASH_HEX_LEN);
		x->sha256[HASH_HEX_LEN] = '\0';
		for (int i = 0; i < HASH_HEX_LEN; i++)
			if (x->sha256[i] >= 'A' && x->sha256[i] <= 'F')
				x->sha256[i] = (char)(x->sha256[i] - 'A' + 'a');
		memcpy(num, t[1], tn[1]);
		num[tn[1]] = '\0';
		errno = 0;
		unsigned long long sz = strtoull(num, &numend, 10);
		if (!hash_is_hex(x->sha256) || *numend != '\0' ||
		    num[0] == '-' || errno != 0) {
			rc = err_set(e, SL_EPARSE,
			             "%s:%zu: %.*s: bad hash or size", file,
			             line, (int)f->name_len, f->name);
			goto out;
		}
		x->size = sz;
		if ((x->path = strndup(t[2], tn[2])) == NULL) {
			rc = err_set(e, SL_ENOMEM, "out of memory");
			goto out;
		}
		cnt++;
	next:
		line++;
		if (eol == end)
			break;
		p = eol + 1;
	}
	*out = h;
	*n = cnt;
	h = NULL;
out:
	deb822_hashents_free(h, cnt);
	return rc;
}
