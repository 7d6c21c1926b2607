/*
 * advisory_json: the JSON advisory formats, each read with jansson one
 * document at a time; only what the release being imported needs is copied
 * into the database before the document is dropped.
 *
 *   debian-tracker  {"zlib": {"CVE-2018-25032": {"description": "...",
 *                    "releases": {"bookworm": {"status": "resolved",
 *                    "fixed_version": "1:1.2.13.dfsg-1", "urgency":
 *                    "medium", ...}}}}}: one entry per (source, fixed
 *                    version) with the CVEs that version fixes
 *   usn             one notice {"id": "USN-6000-1", "title", "description",
 *                    "cves", "timestamp" | "published", "priority"?,
 *                    "releases": {"jammy": {"sources": {"name":
 *                    {"version"}}, "allbinaries": {...}}}} or an object of
 *                    notices keyed by id
 *   osv             DIR/NAME.json records: "id", "aliases", "related",
 *                    "upstream", "summary", "details", "published",
 *                    "severity", "database_specific", "affected": [{
 *                    "package": {"ecosystem": "Debian:12", "name"},
 *                    "ranges": [{"events": [{"fixed": "..."}]}]}]
 */
#include <dirent.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "advisory_int.h"
#include "buf.h"
#include "fsx.h"

#define TRACKER_DESC_CAP (8u * 1024) /* description kept per fixed version */
#define OSV_MAX_FILES    1000000u

static int
load_json(json_t **out, const char *path, struct err *e)
{
	json_error_t jerr;
	int rc;

	if ((rc = adv_check_path(path, false, e)) != SL_OK)
		return rc;
	if ((*out = json_load_file(path, 0, &jerr)) == NULL)
		return err_set(e, SL_EPARSE, "%s:%d:%d: %s", path, jerr.line,
		               jerr.column, jerr.text);
	if (!json_is_object(*out)) {
		json_decref(*out);
		*out = NULL;
		return err_set(e, SL_EPARSE, "%s: top level is not an object",
		               path);
	}
	return SL_OK;
}

/* An optional string member: NULL when absent or null, an error when it is
 * something else. */
static int
opt_str(const char **out, json_t *obj, const char *key, const char *path,
        const char *where, struct err *e)
{
	json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return SL_OK;
	if (!json_is_string(v))
		return err_set(e, SL_EPARSE, "%s: %s: %s is not a string", path,
		               where, key);
	*out = json_string_value(v);
	return SL_OK;
}

/* An optional array of strings, pushed onto sv with prefix_strip removed
 * from each ("UBUNTU-CVE-..." -> "CVE-..."). */
static int
opt_str_array(struct adv_strv *sv, json_t *obj, const char *key,
              const char *path, const char *where, struct err *e)
{
	json_t *arr = json_object_get(obj, key), *v;
	const char *s, *dash;
	size_t i;
	int rc;

	if (arr == NULL || json_is_null(arr))
		return SL_OK;
	if (!json_is_array(arr))
		return err_set(e, SL_EPARSE, "%s: %s: %s is not an array", path,
		               where, key);
	json_array_foreach(arr, i, v)
	{
		if (!json_is_string(v))
			return err_set(e, SL_EPARSE,
			               "%s: %s: %s[%zu] is not a string", path,
			               where, key, i);
		s = json_string_value(v);
		if ((strncmp(s, "UBUNTU-", 7) == 0 ||
		     strncmp(s, "DEBIAN-", 7) == 0) &&
		    (dash = strchr(s, '-')) != NULL)
			s = dash + 1;
		if ((rc = adv_strv_push(sv, s, strlen(s), e)) != SL_OK)
			return rc;
	}
	return SL_OK;
}

/* ---- debian-tracker ---- */

struct fix {
	const char *version; /* belongs to the document */
	struct adv_strv cves;
	struct buf desc;
	bool desc_full;
	enum adv_sev sev;
};

struct fixes {
	struct fix *v;
	size_t n, alloc;
};

static void
fixes_clear(struct fixes *fx)
{
	for (size_t i = 0; i < fx->n; i++) {
		adv_strv_clear(&fx->v[i].cves);
		buf_free(&fx->v[i].desc);
	}
	fx->n = 0;
}

static int
fix_for(struct fix **out, struct fixes *fx, const char *version, struct err *e)
{
	struct fix *nv;
	size_t na;

	for (size_t i = 0; i < fx->n; i++)
		if (strcmp(fx->v[i].version, version) == 0) {
			*out = &fx->v[i];
			return SL_OK;
		}
	if (fx->n == fx->alloc) {
		na = fx->alloc ? 2 * fx->alloc : 8;
		if ((nv = reallocarray(fx->v, na, sizeof(*nv))) == NULL)
			return err_set(e, SL_ENOMEM, "out of memory");
		fx->v = nv;
		fx->alloc = na;
	}
	*out = &fx->v[fx->n++];
	memset(*out, 0, sizeof(**out));
	(*out)->version = version;
	buf_init(&(*out)->desc, TRACKER_DESC_CAP);
	return SL_OK;
}

/* One CVE of one package: note its fixed version for our release. */
static int
tracker_cve(struct fixes *fx, const char *codename, const char *path,
            const char *src, const char *cve, json_t *c, struct err *e)
{
	const char *status, *fixed, *urgency, *desc;
	json_t *rels, *r;
	struct fix *f;
	struct err ign;
	char where[512];
	int rc;

	snprintf(where, sizeof(where), "%s/%s", src, cve);
	if (!json_is_object(c))
		return err_set(e, SL_EPARSE, "%s: %s: not an object", path,
		               where);
	if ((rels = json_object_get(c, "releases")) == NULL)
		return SL_OK;
	if (!json_is_object(rels))
		return err_set(e, SL_EPARSE,
		               "%s: %s: releases is not an object", path,
		               where);
	if ((r = json_object_get(rels, codename)) == NULL)
		return SL_OK;
	snprintf(where, sizeof(where), "%s/%s/releases/%s", src, cve, codename);
	if (!json_is_object(r))
		return err_set(e, SL_EPARSE, "%s: %s: not an object", path,
		               where);
	if ((rc = opt_str(&status, r, "status", path, where, e)) != SL_OK ||
	    (rc = opt_str(&fixed, r, "fixed_version", path, where, e)) !=
	            SL_OK ||
	    (rc = opt_str(&urgency, r, "urgency", path, where, e)) != SL_OK ||
	    (rc = opt_str(&desc, c, "description", path, where, e)) != SL_OK)
		return rc;
	/* open/undetermined have no fix; "0" marks a version never
	 * affected */
	if (status == NULL || strcmp(status, "resolved") != 0 ||
	    fixed == NULL || strcmp(fixed, "0") == 0 || fixed[0] == '\0')
		return SL_OK;
	if ((rc = fix_for(&f, fx, fixed, e)) != SL_OK)
		return rc;
	if (adv_cve_valid(cve) &&
	    (rc = adv_strv_push(&f->cves, cve, strlen(cve), e)) != SL_OK)
		return rc;
	if (urgency != NULL) {
		char word[32];
		size_t n = strcspn(urgency, "*");
		if (n < sizeof(word)) {
			memcpy(word, urgency, n);
			word[n] = '\0';
			if (adv_sev_parse(word) > f->sev)
				f->sev = adv_sev_parse(word);
		}
	}
	if (desc != NULL && desc[0] != '\0' && !f->desc_full &&
	    buf_printf(&f->desc, &ign, "%s%s: %s", f->desc.len ? "\n" : "", cve,
	               desc) != SL_OK)
		f->desc_full = true; /* the rest is left out, not an error */
	return SL_OK;
}

int
adv_load_tracker(struct advisory_db *db, const char *path, struct err *e)
{
	struct fixes fx = {0};
	json_t *root = NULL, *pkg, *c;
	const char *src, *cve;
	int rc;

	if ((rc = load_json(&root, path, e)) != SL_OK)
		return rc;
	if (db->codename == NULL) /* the tracker knows releases by name */
		goto out;
	json_object_foreach(root, src, pkg)
	{
		if (!json_is_object(pkg)) {
			rc = err_set(e, SL_EPARSE, "%s: %s: not an object",
			             path, src);
			goto out;
		}
		json_object_foreach(pkg, cve, c)
		{
			if ((rc = tracker_cve(&fx, db->codename, path, src, cve,
			                      c, e)) != SL_OK)
				goto out;
		}
		for (size_t i = 0; i < fx.n; i++) {
			struct fix *f = &fx.v[i];
			struct adv_fields fl = {
			        .description =
			                f->desc.len ? f->desc.data : NULL,
			        .cves = (const char *const *)f->cves.v,
			        .ncves = f->cves.n,
			        .sev = f->sev,
			};
			if ((rc = adv_add(db, src, f->version, &fl, e)) !=
			    SL_OK)
				goto out;
		}
		fixes_clear(&fx);
	}
out:
	fixes_clear(&fx);
	free(fx.v);
	json_decref(root);
	return rc;
}

/* ---- usn ---- */

/* "published": "2023-04-05T23:53:45.665573" or "timestamp": 1680735225.6 */
static int
notice_date(char out[11], json_t *n, const char *path, const char *where,
            struct err *e)
{
	json_t *ts = json_object_get(n, "timestamp");
	const char *pub;
	struct tm tm;
	time_t t;
	int rc;

	out[0] = '\0';
	if ((rc = opt_str(&pub, n, "published", path, where, e)) != SL_OK)
		return rc;
	if (pub != NULL) {
		if (strlen(pub) >= 10) {
			memcpy(out, pub, 10);
			out[10] = '\0';
		}
		if (!adv_date_valid(out))
			return err_set(e, SL_EPARSE,
			               "%s: %s: bad published date '%s'", path,
			               where, pub);
		return SL_OK;
	}
	if (ts == NULL || json_is_null(ts))
		return SL_OK;
	if (!json_is_number(ts) || json_number_value(ts) < 0 ||
	    json_number_value(ts) > 32503680000.0) {
		return err_set(e, SL_EPARSE, "%s: %s: bad timestamp", path,
		               where);
	}
	t = (time_t)json_number_value(ts);
	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(out, 11, "%Y-%m-%d", &tm) != 10 || !adv_date_valid(out))
		return err_set(e, SL_EPARSE, "%s: %s: bad timestamp", path,
		               where);
	return SL_OK;
}

static bool
added_since(const struct advisory_db *db, size_t mark, const char *src,
            const char *ver)
{
	for (size_t i = mark; i < db->n; i++)
		if (strcmp(db->v[i].source, src) == 0 &&
		    strcmp(db->v[i].version, ver) == 0)
			return true;
	return false;
}

static int
usn_notice(struct advisory_db *db, const char *path, const char *key, json_t *n,
           struct err *e)
{
	struct adv_strv cves = {0};
	struct adv_fields f = {0};
	const char *id, *title, *desc, *prio, *name, *ver, *bsrc;
	char where[256], nid[80], ftitle[1024], date[11];
	json_t *rels, *r, *srcs, *s, *bins;
	size_t mark = db->n;
	int rc;

	snprintf(where, sizeof(where), "%s", key ? key : "notice");
	if (!json_is_object(n))
		return err_set(e, SL_EPARSE, "%s: %s: not an object", path,
		               where);
	if ((rc = opt_str(&id, n, "id", path, where, e)) != SL_OK)
		return rc;
	if (id == NULL && (id = key) == NULL)
		return err_set(e, SL_EPARSE, "%s: notice without an id", path);
	snprintf(where, sizeof(where), "%s", id);
	if (strlen(id) > 60)
		return err_set(e, SL_EPARSE, "%s: notice id too long", path);
	snprintf(nid, sizeof(nid), "%s%s",
	         strncmp(id, "USN-", 4) == 0 || strncmp(id, "LSN-", 4) == 0
	                 ? ""
	                 : "USN-",
	         id);
	if ((rc = opt_str(&title, n, "title", path, where, e)) != SL_OK ||
	    (rc = opt_str(&desc, n, "description", path, where, e)) != SL_OK ||
	    (rc = opt_str(&prio, n, "priority", path, where, e)) != SL_OK ||
	    (rc = opt_str_array(&cves, n, "cves", path, where, e)) != SL_OK ||
	    (rc = notice_date(date, n, path, where, e)) != SL_OK)
		goto out;
	if (desc == NULL &&
	    (rc = opt_str(&desc, n, "summary", path, where, e)) != SL_OK)
		goto out;
	snprintf(ftitle, sizeof(ftitle), "%s%s%s", nid, title ? ": " : "",
	         title ? title : "");
	f.id = nid;
	f.title = ftitle;
	f.description = desc;
	f.date = date[0] ? date : NULL;
	f.cves = (const char *const *)cves.v;
	f.ncves = cves.n;
	f.sev = adv_sev_parse(prio);
	rels = json_object_get(n, "releases");
	if (!json_is_object(rels)) {
		rc = err_set(e, SL_EPARSE, "%s: %s: releases is %s", path,
		             where, rels ? "not an object" : "missing");
		goto out;
	}
	if (db->codename == NULL ||
	    (r = json_object_get(rels, db->codename)) == NULL)
		goto out;
	snprintf(where, sizeof(where), "%s/releases/%s", id, db->codename);
	srcs = json_object_get(r, "sources");
	bins = json_object_get(r, "allbinaries");
	if (!json_is_object(r) || (srcs && !json_is_object(srcs)) ||
	    (bins && !json_is_object(bins))) {
		rc = err_set(e, SL_EPARSE, "%s: %s: not an object", path,
		             where);
		goto out;
	}
	json_object_foreach(srcs, name, s)
	{
		if (!json_is_object(s) ||
		    (rc = opt_str(&ver, s, "version", path, where, e)) !=
		            SL_OK ||
		    ver == NULL) {
			rc = err_set(e, SL_EPARSE,
			             "%s: %s: sources/%s has no version", path,
			             where, name);
			goto out;
		}
		if ((rc = adv_add(db, name, ver, &f, e)) != SL_OK)
			goto out;
	}
	/* old notices name only binaries; each says which source built it */
	if (srcs == NULL) {
		json_object_foreach(bins, name, s)
		{
			if (!json_is_object(s) ||
			    opt_str(&bsrc, s, "source", path, where, NULL) ||
			    opt_str(&ver, s, "version", path, where, NULL) ||
			    bsrc == NULL || ver == NULL)
				continue;
			if (!added_since(db, mark, bsrc, ver) &&
			    (rc = adv_add(db, bsrc, ver, &f, e)) != SL_OK)
				goto out;
		}
	}
	rc = SL_OK;
out:
	adv_strv_clear(&cves);
	return rc;
}

int
adv_load_usn(struct advisory_db *db, const char *path, struct err *e)
{
	json_t *root = NULL, *n;
	const char *key;
	int rc;

	if ((rc = load_json(&root, path, e)) != SL_OK)
		return rc;
	if (json_is_string(json_object_get(root, "id"))) {
		rc = usn_notice(db, path, NULL, root, e);
		goto out;
	}
	json_object_foreach(root, key, n)
	{
		if ((rc = usn_notice(db, path, key, n, e)) != SL_OK)
			goto out;
	}
out:
	json_decref(root);
	return rc;
}

/* ---- osv ---- */

static bool
has_prefix(const char *s, const char *p)
{
	return strncmp(s, p, strlen(p)) == 0;
}

/* "Debian:12", "Ubuntu:22.04:LTS", "Ubuntu:Pro:18.04:LTS": a part after
 * the distribution names our release. */
static bool
ecosystem_matches(const struct advisory_db *db, const char *eco)
{
	const char *p = strchr(eco, ':');
	size_t n;

	while (p != NULL) {
		p++;
		n = strcspn(p, ":");
		if ((db->version && strlen(db->version) == n &&
		     strncmp(p, db->version, n) == 0) ||
		    (db->codename && strlen(db->codename) == n &&
		     strncmp(p, db->codename, n) == 0))
			return true;
		p = strchr(p, ':');
	}
	return false;
}

static int
osv_severity(enum adv_sev *out, json_t *rec, const char *path, struct err *e)
{
	json_t *ds = json_object_get(rec, "database_specific");
	json_t *sv = json_object_get(rec, "severity"), *v;
	const char *w;
	size_t i;
	int rc;

	*out = ADV_SEV_NONE;
	if (json_is_object(ds)) {
		if ((rc = opt_str(&w, ds, "severity", path, "database_specific",
		                  e)) != SL_OK)
			return rc;
		*out = adv_sev_parse(w);
	}
	if (sv == NULL || json_is_null(sv))
		return SL_OK;
	if (!json_is_array(sv))
		return err_set(e, SL_EPARSE, "%s: severity is not an array",
		               path);
	json_array_foreach(sv, i, v)
	{
		/* CVSS vectors are not reduced to a word here */
		w = json_string_value(json_object_get(v, "score"));
		if (w != NULL && adv_sev_parse(w) > *out)
			*out = adv_sev_parse(w);
	}
	return SL_OK;
}

static int
osv_affected(struct advisory_db *db, size_t mark, const char *path, size_t ai,
             json_t *a, const struct adv_fields *f, struct err *e)
{
	json_t *pkg, *ranges, *r, *events, *ev;
	const char *eco, *name, *fixed;
	char where[64];
	size_t i, j;
	int rc;

	snprintf(where, sizeof(where), "affected[%zu]", ai);
	pkg = json_object_get(a, "package");
	if (!json_is_object(a) || !json_is_object(pkg))
		return err_set(e, SL_EPARSE, "%s: %s: no package", path, where);
	if ((rc = opt_str(&eco, pkg, "ecosystem", path, where, e)) != SL_OK ||
	    (rc = opt_str(&name, pkg, "name", path, where, e)) != SL_OK)
		return rc;
	if (eco == NULL || name == NULL)
		return err_set(e, SL_EPARSE,
		               "%s: %s: package without ecosystem or name",
		               path, where);
	if (!ecosystem_matches(db, eco))
		return SL_OK;
	ranges = json_object_get(a, "ranges");
	if (ranges != NULL && !json_is_array(ranges))
		return err_set(e, SL_EPARSE, "%s: %s: ranges is not an array",
		               path, where);
	json_array_foreach(ranges, i, r)
	{
		events = json_object_get(r, "events");
		if (!json_is_array(events))
			return err_set(e, SL_EPARSE,
			               "%s: %s: ranges[%zu] has no events",
			               path, where, i);
		json_array_foreach(events, j, ev)
		{
			if ((rc = opt_str(&fixed, ev, "fixed", path, where,
			                  e)) != SL_OK)
				return rc;
			if (fixed == NULL || added_since(db, mark, name, fixed))
				continue;
			if ((rc = adv_add(db, name, fixed, f, e)) != SL_OK)
				return rc;
		}
	}
	return SL_OK;
}

static int
osv_record(struct advisory_db *db, const char *path, struct err *e)
{
	struct adv_strv cves = {0};
	struct adv_fields f = {0};
	json_t *rec = NULL, *aff, *a;
	const char *id, *summary, *details, *pub, *cid;
	char title[1024], date[11] = "";
	size_t mark = db->n, i;
	bool adv;
	int rc;

	if ((rc = load_json(&rec, path, e)) != SL_OK)
		return rc;
	if ((rc = opt_str(&id, rec, "id", path, "record", e)) != SL_OK)
		goto out;
	if (id == NULL) {
		rc = err_set(e, SL_EPARSE, "%s: record without an id", path);
		goto out;
	}
	if ((rc = opt_str(&summary, rec, "summary", path, id, e)) != SL_OK ||
	    (rc = opt_str(&details, rec, "details", path, id, e)) != SL_OK ||
	    (rc = opt_str(&pub, rec, "published", path, id, e)) != SL_OK ||
	    (rc = opt_str_array(&cves, rec, "aliases", path, id, e)) != SL_OK ||
	    (rc = opt_str_array(&cves, rec, "related", path, id, e)) != SL_OK ||
	    (rc = opt_str_array(&cves, rec, "upstream", path, id, e)) !=
	            SL_OK ||
	    (rc = osv_severity(&f.sev, rec, path, e)) != SL_OK)
		goto out;
	cid = id;
	if (has_prefix(id, "DEBIAN-") || has_prefix(id, "UBUNTU-"))
		cid = id + 7;
	if ((rc = adv_strv_push(&cves, cid, strlen(cid), e)) != SL_OK)
		goto out;
	if (pub != NULL) {
		if (strlen(pub) >= 10) {
			memcpy(date, pub, 10);
			date[10] = '\0';
		}
		if (!adv_date_valid(date)) {
			rc = err_set(e, SL_EPARSE,
			             "%s: %s: bad published date '%s'", path,
			             id, pub);
			goto out;
		}
	}
	adv = has_prefix(id, "DSA-") || has_prefix(id, "DLA-") ||
	      has_prefix(id, "DTSA-") || has_prefix(id, "USN-") ||
	      has_prefix(id, "LSN-");
	if (adv) {
		bool ubuntu = has_prefix(id, "USN-") || has_prefix(id, "LSN-");
		snprintf(title, sizeof(title), "%s%s%s", id,
		         summary ? (ubuntu ? ": " : " ") : "",
		         summary ? summary : "");
		f.id = id;
		f.title = title;
		f.date = date[0] ? date : NULL;
	}
	f.description = details && details[0] ? details : summary;
	f.cves = (const char *const *)cves.v;
	f.ncves = cves.n;
	aff = json_object_get(rec, "affected");
	if (aff != NULL && !json_is_array(aff)) {
		rc = err_set(e, SL_EPARSE, "%s: affected is not an array",
		             path);
		goto out;
	}
	json_array_foreach(aff, i, a)
	{
		if ((rc = osv_affected(db, mark, path, i, a, &f, e)) != SL_OK)
			goto out;
	}
out:
	adv_strv_clear(&cves);
	json_decref(rec);
	return rc;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
adv_load_osv(struct advisory_db *db, const char *dir, struct err *e)
{
	struct adv_strv names = {0};
	struct dirent *de;
	char path[PATH_MAX];
	DIR *d = NULL;
	size_t n;
	int rc;

	if ((rc = adv_check_path(dir, true, e)) != SL_OK)
		return rc;
	if ((d = opendir(dir)) == NULL)
		return err_set(e, SL_EIO, "%s: cannot open directory", dir);
	while ((de = readdir(d)) != NULL) {
		n = strlen(de->d_name);
		if (de->d_name[0] == '.' || n < 6 ||
		    strcmp(de->d_name + n - 5, ".json") != 0)
			continue;
		if (names.n >= OSV_MAX_FILES) {
			rc = err_set(e, SL_ETOOBIG, "%s: more than %u records",
			             dir, OSV_MAX_FILES);
			goto out;
		}
		if ((rc = adv_strv_push(&names, de->d_name, n, e)) != SL_OK)
			goto out;
	}
	/* a fixed order, so merging does not depend on the file system */
	if (names.n > 0)
		qsort(names.v, names.n, sizeof(*names.v), name_cmp);
	for (size_t i = 0; i < names.n; i++) {
		if ((rc = fsx_join(path, sizeof(path), dir, names.v[i], e)) !=
		            SL_OK ||
		    (rc = osv_record(db, path, e)) != SL_OK)
			goto out;
	}
	rc = SL_OK;
out:
	adv_strv_clear(&names);
	closedir(d);
	return rc;
}
