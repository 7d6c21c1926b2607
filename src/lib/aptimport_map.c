/*
 * aptimport_map: Packages stanzas -> binaries grouped by source version ->
 * one update per group. Strings are copied out of the index only for the
 * binaries kept; groups and duplicates (an `all` package is listed in the
 * index of every architecture) are found through two open-addressing hash
 * tables.
 */
#include "aptimport.h"
#include "array.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "deb822.h"
#include "debver.h"
#include "hash.h"

#define DESCRIPTION_MAX 4000

static uint64_t
fnv(uint64_t h, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)p[i];
		h *= 1099511628211ull;
	}
	return h ^ 0xff; /* a separator, so ("ab","c") != ("a","bc") */
}

static bool
span_is(const char *p, size_t n, const char *s)
{
	return strncmp(p, s, n) == 0 && s[n] == '\0';
}

/* Grow a table of slots (index + 1) to keep the load under a half. */
static int
table_fit(size_t **t, size_t *tn, size_t used, struct err *e)
{
	if (used * 2 < *tn)
		return SL_OK;
	size_t nn = *tn ? *tn * 2 : 1024;
	size_t *nt = calloc(nn, sizeof(*nt));
	if (nt == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	free(*t);
	*t = nt;
	*tn = nn;
	return SL_OK + 1; /* rehash needed */
}

static uint64_t
group_hash(const char *s, size_t sn, const char *v, size_t vn)
{
	return fnv(fnv(1469598103934665603ull, s, sn), v, vn);
}

static uint64_t
bin_hash(const char *p, size_t pn, const char *v, size_t vn, const char *a,
         size_t an)
{
	return fnv(fnv(fnv(1469598103934665603ull, p, pn), v, vn), a, an);
}

static int
rehash_groups(struct aptimport_set *s, struct err *e)
{
	int rc = table_fit(&s->table, &s->table_n, s->n_groups, e);

	if (rc <= 0)
		return rc;
	for (size_t i = 0; i < s->n_groups; i++) {
		struct aptimport_group *g = &s->groups[i];
		uint64_t h = group_hash(g->source, strlen(g->source),
		                        g->version, strlen(g->version));
		size_t j = h & (s->table_n - 1);
		while (s->table[j] != 0)
			j = (j + 1) & (s->table_n - 1);
		s->table[j] = i + 1;
	}
	return SL_OK;
}

static int
rehash_bins(struct aptimport_set *s, struct err *e)
{
	int rc = table_fit(&s->bin_table, &s->bin_table_n, s->n_bins, e);

	if (rc <= 0)
		return rc;
	for (size_t i = 0; i < s->n_bins; i++) {
		struct aptimport_bin *b = &s->bins[i];
		uint64_t h =
		        bin_hash(b->package, strlen(b->package), b->version,
		                 strlen(b->version), b->arch, strlen(b->arch));
		size_t j = h & (s->bin_table_n - 1);
		while (s->bin_table[j] != 0)
			j = (j + 1) & (s->bin_table_n - 1);
		s->bin_table[j] = i + 1;
	}
	return SL_OK;
}

/* The group of (source, version), made when new. */
static int
group_of(struct aptimport_set *s, size_t *out, const char *src, size_t sn,
         const char *ver, size_t vn, struct err *e)
{
	uint64_t h = group_hash(src, sn, ver, vn);
	size_t j;
	int rc;

	if ((rc = rehash_groups(s, e)) != SL_OK)
		return rc;
	for (j = h & (s->table_n - 1); s->table[j] != 0;
	     j = (j + 1) & (s->table_n - 1)) {
		struct aptimport_group *g = &s->groups[s->table[j] - 1];
		if (span_is(src, sn, g->source) &&
		    span_is(ver, vn, g->version)) {
			*out = s->table[j] - 1;
			return SL_OK;
		}
	}
	if (s->n_groups == s->alloc_groups) {
		size_t na = s->alloc_groups ? s->alloc_groups * 2 : 256;
		void *g = realloc(s->groups, na * sizeof(*s->groups));
		if (g == NULL)
			return err_set(e, SL_ENOMEM, "out of memory");
		s->groups = g;
		s->alloc_groups = na;
	}
	struct aptimport_group *g = &s->groups[s->n_groups];
	memset(g, 0, sizeof(*g));
	if ((g->source = strndup(src, sn)) == NULL ||
	    (g->version = strndup(ver, vn)) == NULL) {
		free(g->source);
		return err_set(e, SL_ENOMEM, "out of memory");
	}
	s->table[j] = ++s->n_groups;
	*out = s->n_groups - 1;
	return SL_OK;
}

/* Whether (package, version, arch) is already in the set; if not, its
 * slot is reserved for the binary about to be added as s->n_bins. */
static int
bin_seen(struct aptimport_set *s, bool *seen, const char *p, size_t pn,
         const char *v, size_t vn, const char *a, size_t an, struct err *e)
{
	uint64_t h = bin_hash(p, pn, v, vn, a, an);
	size_t j;
	int rc;

	if ((rc = rehash_bins(s, e)) != SL_OK)
		return rc;
	for (j = h & (s->bin_table_n - 1); s->bin_table[j] != 0;
	     j = (j + 1) & (s->bin_table_n - 1)) {
		struct aptimport_bin *b = &s->bins[s->bin_table[j] - 1];
		if (span_is(p, pn, b->package) && span_is(v, vn, b->version) &&
		    span_is(a, an, b->arch)) {
			*seen = true;
			return SL_OK;
		}
	}
	s->bin_table[j] = s->n_bins + 1;
	*seen = false;
	return SL_OK;
}

static bool
arch_wanted(const char *a, size_t n, const char *const *archs)
{
	if (span_is(a, n, "all"))
		return true;
	for (size_t i = 0; archs && archs[i]; i++)
		if (span_is(a, n, archs[i]))
			return true;
	return false;
}

static int
append_index(size_t **v, size_t *n, size_t x, struct err *e)
{
	/* Powers of two: grow when n is one. */
	if ((*n & (*n - 1)) == 0 || *n == 0) {
		size_t na = *n ? *n * 2 : 1;
		void *g = realloc(*v, na * sizeof(**v));
		if (g == NULL)
			return err_set(e, SL_ENOMEM, "out of memory");
		*v = g;
	}
	(*v)[(*n)++] = x;
	return SL_OK;
}

static const char *const required[] = {
        "Version", "Architecture", "Filename", "Size", "SHA256",
};

static int
add_stanza(struct aptimport_set *s, const struct deb822 *d, const char *file,
           const char *const *archs, struct err *e)
{
	const struct deb822_field *f[6], *src;
	const char *p[6], *sn, *sv, *syn;
	size_t n[6], snn, svn, synn, gi = 0;
	char num[24], *end;
	bool seen;
	int rc;

	if ((f[0] = deb822_get(d, "Package")) == NULL)
		return err_set(e, SL_EPARSE, "%s:%zu: stanza without Package",
		               file, d->stanza_line);
	deb822_trim(f[0], &p[0], &n[0]);
	for (size_t i = 0; i < 5; i++) {
		if ((f[i + 1] = deb822_get(d, required[i])) == NULL)
			return err_set(e, SL_EPARSE,
			               "%s:%zu: package %.*s: missing %s", file,
			               d->stanza_line, (int)n[0], p[0],
			               required[i]);
		deb822_trim(f[i + 1], &p[i + 1], &n[i + 1]);
		if (n[i + 1] == 0)
			return err_set(e, SL_EPARSE,
			               "%s:%zu: package %.*s: empty %s", file,
			               f[i + 1]->line, (int)n[0], p[0],
			               required[i]);
	}
	if (!arch_wanted(p[2], n[2], archs))
		return SL_OK;
	if (n[5] != HASH_HEX_LEN || n[4] >= sizeof(num))
		return err_set(e, SL_EPARSE, "%s:%zu: package %.*s: bad %s",
		               file, f[n[5] != HASH_HEX_LEN ? 5 : 4]->line,
		               (int)n[0], p[0],
		               n[5] != HASH_HEX_LEN ? "SHA256" : "Size");
	memcpy(num, p[4], n[4]);
	num[n[4]] = '\0';
	unsigned long long size = strtoull(num, &end, 10);
	if (*end != '\0' || num[0] < '0' || num[0] > '9')
		return err_set(e, SL_EPARSE, "%s:%zu: package %.*s: bad Size",
		               file, f[4]->line, (int)n[0], p[0]);
	if ((rc = bin_seen(s, &seen, p[0], n[0], p[1], n[1], p[2], n[2], e)))
		return rc;
	if (seen)
		return SL_OK;
	sn = p[0];
	snn = n[0];
	sv = p[1];
	svn = n[1];
	if ((src = deb822_get(d, "Source")) != NULL) {
		const char *v;
		size_t vn;
		if ((rc = deb822_source(src, &sn, &snn, &v, &vn, e)) != SL_OK)
			return err_prefix(e, "%s:%zu: package %.*s", file,
			                  src->line, (int)n[0], p[0]);
		if (vn > 0) {
			sv = v;
			svn = vn;
		}
	}
	deb822_first_line(deb822_get(d, "Description"), &syn, &synn);
	if (s->n_bins == s->alloc_bins) {
		size_t na = s->alloc_bins ? s->alloc_bins * 2 : 1024;
		void *g = realloc(s->bins, na * sizeof(*s->bins));
		if (g == NULL)
			return err_set(e, SL_ENOMEM, "out of memory");
		s->bins = g;
		s->alloc_bins = na;
	}
	struct aptimport_bin *b = &s->bins[s->n_bins];
	memset(b, 0, sizeof(*b));
	b->size = size;
	b->package = strndup(p[0], n[0]);
	b->version = strndup(p[1], n[1]);
	b->arch = strndup(p[2], n[2]);
	b->filename = strndup(p[3], n[3]);
	b->sha256 = strndup(p[5], n[5]);
	b->synopsis = strndup(syn, synn);
	s->n_bins++; /* owned by the set from here, even half made */
	if (!b->package || !b->version || !b->arch || !b->filename ||
	    !b->sha256 || !b->synopsis)
		return err_set(e, SL_ENOMEM, "out of memory");
	for (char *c = b->sha256; *c; c++)
		if (*c >= 'A' && *c <= 'F')
			*c = (char)(*c - 'A' + 'a');
	if (!hash_is_hex(b->sha256))
		return err_set(e, SL_EPARSE, "%s:%zu: package %s: bad SHA256",
		               file, f[5]->line, b->package);
	if ((rc = group_of(s, &gi, sn, snn, sv, svn, e)) != SL_OK)
		return rc;
	return append_index(&s->groups[gi].bins, &s->groups[gi].n_bins,
	                    s->n_bins - 1, e);
}

int
aptimport_set_add(struct aptimport_set *set, const char *file, const char *buf,
                  size_t len, const char *const *archs, struct err *e)
{
	struct deb822 d;
	bool got;
	int rc;

	deb822_init(&d, file, buf, len);
	for (;;) {
		if ((rc = deb822_next(&d, &got, e)) != SL_OK)
			return rc;
		if (!got)
			return SL_OK;
		if ((rc = add_stanza(set, &d, file, archs, e)) != SL_OK)
			return rc;
	}
}

static int
cmp_group(const void *a, const void *b)
{
	const struct aptimport_group *x = a, *y = b;
	int c = strcmp(x->source, y->source);

	return c != 0 ? c : debver_cmp(x->version, y->version);
}

void
aptimport_set_sort(struct aptimport_set *set)
{
	array_sort(set->groups, set->n_groups, sizeof(*set->groups), cmp_group);
	/* The group table's indexes are stale now. */
	free(set->table);
	set->table = NULL;
	set->table_n = 0;
}

void
aptimport_set_clear(struct aptimport_set *set)
{
	for (size_t i = 0; i < set->n_bins; i++) {
		struct aptimport_bin *b = &set->bins[i];
		free(b->package);
		free(b->version);
		free(b->arch);
		free(b->filename);
		free(b->sha256);
		free(b->synopsis);
	}
	for (size_t i = 0; i < set->n_groups; i++) {
		free(set->groups[i].source);
		free(set->groups[i].version);
		free(set->groups[i].bins);
	}
	free(set->bins);
	free(set->groups);
	free(set->table);
	free(set->bin_table);
	memset(set, 0, sizeof(*set));
}

void
aptimport_id(char *out, const char *origin, const char *codename,
             const char *source, const char *version)
{
	unsigned char h[crypto_hash_sha256_BYTES];
	crypto_hash_sha256_state st;
	char hex[33];

	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const unsigned char *)"sluice-apt", 11);
	crypto_hash_sha256_update(&st, (const unsigned char *)origin,
	                          strlen(origin) + 1);
	crypto_hash_sha256_update(&st, (const unsigned char *)codename,
	                          strlen(codename) + 1);
	crypto_hash_sha256_update(&st, (const unsigned char *)source,
	                          strlen(source) + 1);
	crypto_hash_sha256_update(&st, (const unsigned char *)version,
	                          strlen(version));
	crypto_hash_sha256_final(&st, h);
	h[6] = (unsigned char)((h[6] & 0x0f) | 0x80); /* version 8 */
	h[8] = (unsigned char)((h[8] & 0x3f) | 0x80); /* variant 10 */
	hex_encode(h, 16, hex);
	snprintf(out, UPDATE_ID_LEN + 1, "%.8s-%.4s-%.4s-%.4s-%.12s", hex,
	         hex + 8, hex + 12, hex + 16, hex + 20);
}

/* "name:arch", or plain name for arch all. */
static json_t *
pkg_ref(const struct aptimport_bin *b)
{
	char ref[512];

	if (strcmp(b->arch, "all") == 0)
		snprintf(ref, sizeof(ref), "%s", b->package);
	else
		snprintf(ref, sizeof(ref), "%s:%s", b->package, b->arch);
	return json_string(ref);
}

static int
build_doc(json_t **out, const struct aptimport_set *set,
          const struct aptimport_group *g, const struct aptimport_meta *m,
          char *const *urls, struct err *e)
{
	json_t *older = json_array(), *present = json_array(),
	       *files = json_array(), *doc = NULL;
	char id[UPDATE_ID_LEN + 1], title[1024];
	struct buf desc;
	int rc = SL_OK;

	buf_init(&desc, DESCRIPTION_MAX);
	if (older == NULL || present == NULL || files == NULL) {
		rc = err_set(e, SL_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < g->n_bins; i++) {
		const struct aptimport_bin *b = &set->bins[g->bins[i]];
		const char *base = strrchr(b->filename, '/');
		char *url = NULL;
		bool dup = false;

		base = base ? base + 1 : b->filename;
		if (urls == NULL || urls[i] == NULL)
			url = aptrepo_url(m->archive, b->filename);
		json_t *ref = pkg_ref(b);
		if (json_array_append_new(older,
		                          json_pack("{s:s,s:O,s:s,s:s}", "type",
		                                    "deb_installed", "package",
		                                    ref, "op", "<", "version",
		                                    b->version)) ||
		    json_array_append_new(present,
		                          json_pack("{s:s,s:O}", "type",
		                                    "deb_installed", "package",
		                                    ref)) ||
		    json_array_append_new(
		            files,
		            json_pack("{s:s,s:I,s:s,s:s,s:{s:s,s:s,s:s}}",
		                      "name", base, "size", (json_int_t)b->size,
		                      "sha256", b->sha256, "url",
		                      url ? url : urls[i], "deb", "package",
		                      b->package, "version", b->version,
		                      "architecture", b->arch))) {
			json_decref(ref);
			free(url);
			rc = err_set(e, SL_ENOMEM, "out of memory");
			goto out;
		}
		json_decref(ref);
		free(url);
		/* One synopsis line per package name (not per arch). */
		for (size_t j = 0; j < i; j++)
			if (strcmp(set->bins[g->bins[j]].package, b->package) ==
			    0)
				dup = true;
		if (!dup &&
		    desc.len + strlen(b->package) + strlen(b->synopsis) + 4 <
		            DESCRIPTION_MAX)
			buf_printf(&desc, NULL, "%s%s: %s",
			           desc.len ? "\n" : "", b->package,
			           b->synopsis);
	}
	aptimport_id(id, m->origin, m->codename, g->source, g->version);
	snprintf(title, sizeof(title), "%s %s (%s)", g->source, g->version,
	         m->suite);
	doc = json_pack(
	        "{s:s,s:I,s:s,s:s,s:s,s:s,s:s,"
	        "s:{s:{s:[{s:o},{s:{s:O}}]},s:{s:O}},"
	        "s:{s:s,s:[]},s:o}",
	        "id", id, "revision", (json_int_t)1, "title", title,
	        "description", desc.data ? desc.data : "", "classification",
	        m->classification, "product", m->product, "release_date",
	        m->release_date, "applicability", "is_installed", "and", "or",
	        present, "not", "or", older, "is_installable", "or", older,
	        "install", "handler", "deb", "arguments", "files", files);
	present = NULL; /* stolen by json_pack ("o"), even on failure */
	files = NULL;
	if (doc == NULL)
		rc = err_set(e, SL_ENOMEM, "out of memory");
	else
		*out = doc;
out:
	buf_free(&desc);
	json_decref(older);
	json_decref(present);
	json_decref(files);
	return rc;
}

int
aptimport_update(struct update **out, const struct aptimport_set *set,
                 const struct aptimport_group *g,
                 const struct aptimport_meta *m, char *const *urls,
                 struct err *e)
{
	json_t *doc = NULL;
	int rc;

	if ((rc = build_doc(&doc, set, g, m, urls, e)) != SL_OK)
		return rc;
	rc = update_from_json(out, doc, e);
	json_decref(doc);
	if (rc != SL_OK)
		return err_prefix(e, "source %s %s", g->source, g->version);
	return SL_OK;
}
