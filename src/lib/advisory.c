/*
 * advisory: the advisory database (a sorted array of entries, one per
 * advisory naming a source version of the release), merging at lookup
 * time, and the helpers the readers share. The readers: advisory_list.c
 * (the tracker's DSA and DLA lists), advisory_json.c (tracker JSON, USN,
 * OSV).
 */
#include "advisory.h"
#include "array.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "advisory_int.h"
#include "debver.h"

static const char *const sev_names[] = {NULL, "low", "moderate", "important",
                                        "critical"};

/* ---- small helpers shared with the readers ---- */

bool
adv_cve_valid(const char *s)
{
	size_t n = 0;

	if (strncmp(s, "CVE-", 4) != 0)
		return false;
	s += 4;
	for (size_t i = 0; i < 4; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	if (s[4] != '-')
		return false;
	for (s += 5; isdigit((unsigned char)*s); s++)
		n++;
	return *s == '\0' && n >= 4;
}

enum adv_sev
adv_sev_parse(const char *w)
{
	if (w == NULL)
		return ADV_SEV_NONE;
	if (strcasecmp(w, "critical") == 0)
		return ADV_SEV_CRITICAL;
	if (strcasecmp(w, "important") == 0 || strcasecmp(w, "high") == 0)
		return ADV_SEV_IMPORTANT;
	if (strcasecmp(w, "moderate") == 0 || strcasecmp(w, "medium") == 0)
		return ADV_SEV_MODERATE;
	if (strcasecmp(w, "low") == 0 || strcasecmp(w, "negligible") == 0 ||
	    strcasecmp(w, "unimportant") == 0)
		return ADV_SEV_LOW;
	return ADV_SEV_NONE;
}

static int
days_in(int y, int m)
{
	static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : d[m - 1];
}

bool
adv_date_valid(const char *s)
{
	int y = 0, m, d;

	for (size_t i = 0; i < 10; i++) {
		if (i == 4 || i == 7) {
			if (s[i] != '-')
				return false;
		} else if (!isdigit((unsigned char)s[i])) {
			return false;
		}
	}
	if (s[10] != '\0')
		return false;
	for (size_t i = 0; i < 4; i++)
		y = y * 10 + (s[i] - '0');
	m = (s[5] - '0') * 10 + (s[6] - '0');
	d = (s[8] - '0') * 10 + (s[9] - '0');
	return y >= 1970 && m >= 1 && m <= 12 && d >= 1 && d <= days_in(y, m);
}

int
adv_check_path(const char *path, bool want_dir, struct err *e)
{
	struct stat st;

	if (stat(path, &st) != 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return err_set(e, SL_ENOTFOUND, "%s: no such %s", path,
			               want_dir ? "directory" : "file");
		return err_set(e, SL_EIO, "%s: %s", path, strerror(errno));
	}
	if (want_dir && !S_ISDIR(st.st_mode))
		return err_set(e, SL_EINVAL, "%s: not a directory", path);
	if (!want_dir && !S_ISREG(st.st_mode))
		return err_set(e, SL_EINVAL, "%s: not a regular file", path);
	if (!want_dir && (unsigned long long)st.st_size > ADVISORY_FILE_CAP)
		return err_set(e, SL_ETOOBIG, "%s: larger than %u bytes", path,
		               ADVISORY_FILE_CAP);
	return SL_OK;
}

int
adv_strv_push(struct adv_strv *sv, const char *s, size_t len, struct err *e)
{
	char **nv, *c;
	size_t na;

	if (sv->n == sv->alloc) {
		na = sv->alloc ? 2 * sv->alloc : 8;
		if ((nv = reallocarray(sv->v, na, sizeof(*nv))) == NULL)
			return err_set(e, SL_ENOMEM, "out of memory");
		sv->v = nv;
		sv->alloc = na;
	}
	if ((c = strndup(s, len)) == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	sv->v[sv->n++] = c;
	return SL_OK;
}

void
adv_strv_clear(struct adv_strv *sv)
{
	for (size_t i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->n = sv->alloc = 0;
}

/* ---- the database ---- */

static void
entry_free(struct adv_entry *x)
{
	free(x->source);
	free(x->version);
	free(x->id);
	free(x->title);
	free(x->description);
	free(x->date);
	free(x->url);
	for (size_t i = 0; i < x->ncves; i++)
		free(x->cves[i]);
	free(x->cves);
}

static int
str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The publisher's page for an advisory id, or NULL when none is known.
 * Debian's DSA pages drop a "-1" revision; DLA pages keep it. */
static int
support_url(char **out, const char *id, const char *date, struct err *e)
{
	char buf[256], low[64];
	size_t n = strlen(id), numlen;
	int len = -1;

	*out = NULL;
	if (n >= sizeof(low))
		return SL_OK;
	for (size_t i = 0; i <= n; i++)
		low[i] = (char)tolower((unsigned char)id[i]);
	if (strncmp(id, "USN-", 4) == 0 || strncmp(id, "LSN-", 4) == 0) {
		len = snprintf(buf, sizeof(buf),
		               "https://ubuntu.com/security/notices/%s", id);
	} else if (strncmp(id, "DSA-", 4) == 0 && date != NULL) {
		numlen = n;
		if (n > 2 && strcmp(id + n - 2, "-1") == 0)
			numlen = n - 2;
		len = snprintf(buf, sizeof(buf),
		               "https://www.debian.org/security/%.4s/%.*s",
		               date, (int)numlen, low);
	} else if (strncmp(id, "DLA-", 4) == 0 && date != NULL) {
		len = snprintf(buf, sizeof(buf),
		               "https://www.debian.org/lts/security/%.4s/%s",
		               date, low);
	}
	if (len < 0 || (size_t)len >= sizeof(buf))
		return SL_OK;
	if ((*out = strdup(buf)) == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	return SL_OK;
}

static int
dup_opt(char **out, const char *s)
{
	*out = NULL;
	if (s == NULL)
		return 0;
	*out = strdup(s);
	return *out == NULL ? -1 : 0;
}

int
adv_add(struct advisory_db *db, const char *source, const char *version,
        const struct adv_fields *f, struct err *e)
{
	struct adv_entry x = {0}, *nv;
	size_t na, k = 0;
	int rc;

	if (db->n == db->alloc) {
		na = db->alloc ? 2 * db->alloc : 64;
		if ((nv = reallocarray(db->v, na, sizeof(*nv))) == NULL)
			return err_set(e, SL_ENOMEM, "out of memory");
		db->v = nv;
		db->alloc = na;
	}
	if (dup_opt(&x.source, source) || dup_opt(&x.version, version) ||
	    dup_opt(&x.id, f->id) || dup_opt(&x.title, f->title) ||
	    dup_opt(&x.description, f->description) ||
	    dup_opt(&x.date, f->date)) {
		rc = err_set(e, SL_ENOMEM, "out of memory");
		goto out;
	}
	if (x.id != NULL &&
	    (rc = support_url(&x.url, x.id, x.date, e)) != SL_OK)
		goto out;
	if (f->ncves > 0 &&
	    (x.cves = calloc(f->ncves, sizeof(*x.cves))) == NULL) {
		rc = err_set(e, SL_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < f->ncves; i++) {
		if (!adv_cve_valid(f->cves[i]))
			continue;
		if ((x.cves[x.ncves] = strdup(f->cves[i])) == NULL) {
			rc = err_set(e, SL_ENOMEM, "out of memory");
			goto out;
		}
		x.ncves++;
	}
	if (x.ncves > 0) {
		array_sort(x.cves, x.ncves, sizeof(*x.cves), str_cmp);
		for (size_t i = 0; i < x.ncves; i++) {
			if (k > 0 && strcmp(x.cves[k - 1], x.cves[i]) == 0)
				free(x.cves[i]);
			else
				x.cves[k++] = x.cves[i];
		}
		x.ncves = k;
	}
	x.sev = f->sev;
	x.seq = db->seq++;
	db->v[db->n++] = x;
	return SL_OK;
out:
	entry_free(&x);
	return rc;
}

int
advisory_db_new(struct advisory_db **out, const char *codename,
                const char *version, struct err *e)
{
	struct advisory_db *db;

	if (codename == NULL && version == NULL)
		return err_set(e, SL_EINVAL,
		               "advisories: a release codename or version is "
		               "required");
	if ((db = calloc(1, sizeof(*db))) == NULL ||
	    dup_opt(&db->codename, codename) ||
	    dup_opt(&db->version, version)) {
		advisory_db_free(db);
		return err_set(e, SL_ENOMEM, "out of memory");
	}
	*out = db;
	return SL_OK;
}

void
advisory_db_free(struct advisory_db *db)
{
	if (db == NULL)
		return;
	for (size_t i = 0; i < db->n; i++)
		entry_free(&db->v[i]);
	free(db->v);
	free(db->codename);
	free(db->version);
	free(db);
}

size_t
advisory_db_count(const struct advisory_db *db)
{
	return db->n;
}

/* Source, then version in dpkg order with the exact string breaking ties,
 * so each run of identical (source, version) is contiguous. */
static int
key_cmp(const char *s1, const char *v1, const char *s2, const char *v2)
{
	int c;

	if ((c = strcmp(s1, s2)) != 0)
		return c;
	if ((c = debver_cmp(v1, v2)) != 0)
		return c;
	return strcmp(v1, v2);
}

static int
entry_cmp(const void *pa, const void *pb)
{
	const struct adv_entry *a = pa, *b = pb;
	int c;

	if ((c = key_cmp(a->source, a->version, b->source, b->version)) != 0)
		return c;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* The first entry of the run for (source, version), or db->n. */
static size_t
lower_bound(const struct advisory_db *db, const char *source,
            const char *version)
{
	size_t lo = 0, hi = db->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (key_cmp(db->v[mid].source, db->v[mid].version, source,
		            version) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool
same_key(const struct adv_entry *a, const char *source, const char *version)
{
	return strcmp(a->source, source) == 0 &&
	       strcmp(a->version, version) == 0;
}

void
advisory_free(struct advisory *a)
{
	if (a == NULL)
		return;
	free(a->id);
	free(a->title);
	free(a->description);
	if (a->cve_ids != NULL)
		for (size_t i = 0; a->cve_ids[i] != NULL; i++)
			free(a->cve_ids[i]);
	free(a->cve_ids);
	free(a->severity);
	free(a->release_date);
	free(a->support_url);
	free(a);
}

/* Union of the CVE ids of run [lo, hi), sorted and unique. */
static int
merge_cves(char ***out, const struct advisory_db *db, size_t lo, size_t hi,
           struct err *e)
{
	char **v;
	size_t total = 0, k = 0;

	for (size_t i = lo; i < hi; i++)
		total += db->v[i].ncves;
	if ((v = calloc(total + 1, sizeof(*v))) == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	for (size_t i = lo; i < hi; i++)
		for (size_t j = 0; j < db->v[i].ncves; j++)
			v[k++] = db->v[i].cves[j];
	array_sort(v, total, sizeof(*v), str_cmp);
	k = 0;
	for (size_t i = 0; i < total; i++)
		if (k == 0 || strcmp(v[k - 1], v[i]) != 0)
			v[k++] = v[i];
	v[k] = NULL;
	/* the pointers still belong to db: copy them */
	for (size_t i = 0; i < k; i++) {
		if ((v[i] = strdup(v[i])) == NULL) {
			for (size_t j = 0; j < i; j++)
				free(v[j]);
			free(v);
			return err_set(e, SL_ENOMEM, "out of memory");
		}
	}
	*out = v;
	return SL_OK;
}

int
advisory_db_lookup(const struct advisory_db *db, const char *source,
                   const char *version, struct advisory **out, struct err *e)
{
	const struct adv_entry *first = NULL, *desc = NULL;
	struct advisory *a = NULL;
	enum adv_sev sev = ADV_SEV_NONE;
	size_t lo, hi;
	int rc;

	assert(db != NULL && source != NULL && version != NULL);
	lo = lower_bound(db, source, version);
	for (hi = lo; hi < db->n && same_key(&db->v[hi], source, version); hi++)
		;
	if (lo == hi)
		return err_set(e, SL_ENOTFOUND,
		               "no advisory names %s %s for %s", source,
		               version,
		               db->codename ? db->codename : db->version);
	for (size_t i = lo; i < hi; i++) {
		const struct adv_entry *x = &db->v[i];
		if (first == NULL && x->id != NULL)
			first = x;
		if (desc == NULL && x->description != NULL)
			desc = x;
		if (x->sev > sev)
			sev = x->sev;
	}
	if (first != NULL && first->description != NULL)
		desc = first;
	if ((a = calloc(1, sizeof(*a))) == NULL) {
		rc = err_set(e, SL_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = merge_cves(&a->cve_ids, db, lo, hi, e)) != SL_OK)
		goto out;
	if ((first != NULL &&
	     (dup_opt(&a->id, first->id) || dup_opt(&a->title, first->title) ||
	      dup_opt(&a->release_date, first->date) ||
	      dup_opt(&a->support_url, first->url))) ||
	    (desc != NULL && dup_opt(&a->description, desc->description)) ||
	    dup_opt(&a->severity, sev_names[sev])) {
		rc = err_set(e, SL_ENOMEM, "out of memory");
		goto out;
	}
	*out = a;
	a = NULL;
	rc = SL_OK;
out:
	advisory_free(a);
	return rc;
}

void
advisory_db_each(const struct advisory_db *db, advisory_each_fn fn, void *arg)
{
	size_t start = 0;

	for (size_t i = 0; i < db->n; i++) {
		const struct adv_entry *x = &db->v[i];
		bool seen = false;

		if (!same_key(&db->v[start], x->source, x->version))
			start = i;
		for (size_t j = start; j < i && !seen; j++) {
			const char *id = db->v[j].id;
			seen = (id == NULL && x->id == NULL) ||
			       (id != NULL && x->id != NULL &&
			        strcmp(id, x->id) == 0);
		}
		if (!seen)
			fn(arg, x->source, x->version, x->id);
	}
}

int
advisory_db_load(struct advisory_db *db, const char *spec, struct err *e)
{
	const char *colon, *path;
	size_t mark, klen;
	int rc;

	assert(db != NULL && spec != NULL);
	mark = db->n;
	colon = strchr(spec, ':');
	if (colon == NULL || colon[1] == '\0')
		return err_set(e, SL_EINVAL, "advisories: '%s': want KIND:PATH",
		               spec);
	klen = (size_t)(colon - spec);
	path = colon + 1;
#define KIND(k) (klen == sizeof(k) - 1 && strncmp(spec, k, klen) == 0)
	if (KIND("dsa-list") || KIND("dla-list"))
		rc = adv_load_list(db, path, e);
	else if (KIND("debian-tracker"))
		rc = adv_load_tracker(db, path, e);
	else if (KIND("usn"))
		rc = adv_load_usn(db, path, e);
	else if (KIND("osv"))
		rc = adv_load_osv(db, path, e);
	else
		return err_set(
		        e, SL_EINVAL,
		        "advisories: unknown kind '%.*s' (want "
		        "dsa-list, dla-list, debian-tracker, usn or osv)",
		        (int)klen, spec);
#undef KIND
	if (rc != SL_OK) {
		while (db->n > mark)
			entry_free(&db->v[--db->n]);
		return err_prefix(e, "advisories");
	}
	if (db->n > 0)
		array_sort(db->v, db->n, sizeof(*db->v), entry_cmp);
	return SL_OK;
}

/* Replace *dst by a copy of src when src is given. */
static int
take_str(char **dst, const char *src, struct err *e)
{
	char *c;

	if (src == NULL)
		return SL_OK;
	if ((c = strdup(src)) == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	free(*dst);
	*dst = c;
	return SL_OK;
}

int
advisory_apply(const struct advisory *a, struct update *u, struct err *e)
{
	size_t n = 0;
	char **cves;
	int rc;

	if (a->id == NULL && (a->cve_ids == NULL || a->cve_ids[0] == NULL))
		return SL_OK;
	if ((rc = take_str(&u->title, a->title, e)) ||
	    (rc = take_str(&u->security_bulletin, a->id, e)) ||
	    (rc = take_str(&u->severity, a->severity, e)) ||
	    (rc = take_str(&u->release_date, a->release_date, e)) ||
	    (rc = take_str(&u->support_url, a->support_url, e)) ||
	    (rc = take_str(&u->description, a->description, e)))
		return rc;
	while (a->cve_ids != NULL && a->cve_ids[n] != NULL)
		n++;
	if ((cves = calloc(n + 1, sizeof(*cves))) == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++)
		if ((cves[i] = strdup(a->cve_ids[i])) == NULL) {
			while (i-- > 0)
				free(cves[i]);
			free(cves);
			return err_set(e, SL_ENOMEM, "out of memory");
		}
	for (size_t i = 0; u->cve_ids != NULL && u->cve_ids[i] != NULL; i++)
		free(u->cve_ids[i]);
	free(u->cve_ids);
	u->cve_ids = cves;
	return SL_OK;
}
