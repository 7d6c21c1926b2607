/*
 * advisory_json: the tracker's JSON export and Ubuntu Security Notices.
 * Both can be large, so their top-level objects are walked member by
 * member (advisory_scan.c) and only what the release being imported needs
 * is copied into the database before each member's tree is dropped.
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
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "advisory_int.h"
#include "buf.h"

#define TRACKER_DESC_CAP (8u * 1024) /* description kept per fixed version */

int
adv_load_json(json_t **out, const char *path, struct err *e)
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
int
adv_opt_str(const char **out, json_t *obj, const char *key, const char *path,
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

/* An optional array of strings, pushed onto sv with a "UBUNTU-" or
 * "DEBIAN-" prefix dropped ("UBUNTU-CVE-..." -> "CVE-..."). */
int
adv_opt_str_array(struct adv_strv *sv, json_t *obj, const char *key,
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

/* For a file whose content does not apply: still checked for shape. */
static int
skip_member(void *arg, const struct adv_member *m, struct err *e)
{
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
	const char *status = NULL, *fixed = NULL, *urgency = NULL, *desc = NULL;
	json_t *rels, *r;
	struct fix *f = NULL;
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
	if ((rc = adv_opt_str(&status, r, "status", path, where, e)) != SL_OK ||
	    (rc = adv_opt_str(&fixed, r, "fixed_version", path, where, e)) !=
	            SL_OK ||
	    (rc = adv_opt_str(&urgency, r, "urgency", path, where, e)) !=
	            SL_OK ||
	    (rc = adv_opt_str(&desc, c, "description", path, where, e)) !=
	            SL_OK)
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

struct tracker_run {
	struct advisory_db *db;
	const char *path, *text;
	struct fixes fx;
};

/* One package: {"CVE-...": {...}, ...}. */
static int
tracker_pkg(void *arg, const struct adv_member *m, struct err *e)
{
	struct tracker_run *t = arg;
	json_t *pkg = NULL, *c;
	const char *cve;
	int rc;

	if ((rc = adv_scan_parse(&pkg, t->path, t->text, m, e)) != SL_OK)
		return rc;
	if (!json_is_object(pkg)) {
		rc = err_set(e, SL_EPARSE, "%s: %s: not an object", t->path,
		             m->key);
		goto out;
	}
	json_object_foreach(pkg, cve, c)
	{
		if ((rc = tracker_cve(&t->fx, t->db->codename, t->path, m->key,
		                      cve, c, e)) != SL_OK)
			goto out;
	}
	for (size_t i = 0; i < t->fx.n; i++) {
		struct fix *f = &t->fx.v[i];
		struct adv_fields fl = {
		        .description = f->desc.len ? f->desc.data : NULL,
		        .cves = (const char *const *)f->cves.v,
		        .ncves = f->cves.n,
		        .sev = f->sev,
		};
		if ((rc = adv_add(t->db, m->key, f->version, &fl, e)) != SL_OK)
			goto out;
	}
out:
	fixes_clear(&t->fx);
	json_decref(pkg);
	return rc;
}

int
adv_load_tracker(struct advisory_db *db, const char *path, struct err *e)
{
	struct tracker_run t = {.db = db, .path = path};
	char *text = NULL;
	size_t len;
	int rc;

	if ((rc = adv_read_file(&text, &len, path, e)) != SL_OK)
		return rc;
	t.text = text;
	/* the tracker knows releases by name only */
	if (db->codename != NULL)
		rc = adv_scan_members(path, text, len, tracker_pkg, &t, e);
	else
		rc = adv_scan_members(path, text, len, skip_member, NULL, e);
	fixes_clear(&t.fx);
	free(t.fx.v);
	free(text);
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
	if ((rc = adv_opt_str(&pub, n, "published", path, where, e)) != SL_OK)
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

bool
adv_added_since(const struct advisory_db *db, size_t mark, const char *src,
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
	if ((rc = adv_opt_str(&id, n, "id", path, where, e)) != SL_OK)
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
	if ((rc = adv_opt_str(&title, n, "title", path, where, e)) != SL_OK ||
	    (rc = adv_opt_str(&desc, n, "description", path, where, e)) !=
	            SL_OK ||
	    (rc = adv_opt_str(&prio, n, "priority", path, where, e)) != SL_OK ||
	    (rc = adv_opt_str_array(&cves, n, "cves", path, where, e)) !=
	            SL_OK ||
	    (rc = notice_date(date, n, path, where, e)) != SL_OK)
		goto out;
	if (desc == NULL &&
	    (rc = adv_opt_str(&desc, n, "summary", path, where, e)) != SL_OK)
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
		    (rc = adv_opt_str(&ver, s, "version", path, where, e)) !=
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
			    adv_opt_str(&bsrc, s, "source", path, where,
			                NULL) ||
			    adv_opt_str(&ver, s, "version", path, where,
			                NULL) ||
			    bsrc == NULL || ver == NULL)
				continue;
			if (!adv_added_since(db, mark, bsrc, ver) &&
			    (rc = adv_add(db, bsrc, ver, &f, e)) != SL_OK)
				goto out;
		}
	}
	rc = SL_OK;
out:
	adv_strv_clear(&cves);
	return rc;
}

struct usn_run {
	struct advisory_db *db;
	const char *path, *text;
	bool single; /* the file is one notice, not a database of them */
};

/* First pass: a member "id" with a string value means one notice. */
static int
usn_peek(void *arg, const struct adv_member *m, struct err *e)
{
	struct usn_run *u = arg;

	if (strcmp(m->key, "id") == 0 && m->val[0] == '"')
		u->single = true;
	return SL_OK;
}

static int
usn_member(void *arg, const struct adv_member *m, struct err *e)
{
	struct usn_run *u = arg;
	json_t *n = NULL;
	int rc;

	if ((rc = adv_scan_parse(&n, u->path, u->text, m, e)) != SL_OK)
		return rc;
	rc = usn_notice(u->db, u->path, m->key, n, e);
	json_decref(n);
	return rc;
}

int
adv_load_usn(struct advisory_db *db, const char *path, struct err *e)
{
	struct usn_run u = {.db = db, .path = path};
	struct adv_member whole;
	json_t *n = NULL;
	char *text = NULL;
	size_t len;
	int rc;

	if ((rc = adv_read_file(&text, &len, path, e)) != SL_OK)
		return rc;
	u.text = text;
	if ((rc = adv_scan_members(path, text, len, usn_peek, &u, e)) != SL_OK)
		goto out;
	if (u.single) {
		whole = (struct adv_member){.val = text, .len = len};
		if ((rc = adv_scan_parse(&n, path, text, &whole, e)) == SL_OK)
			rc = usn_notice(db, path, NULL, n, e);
	} else {
		rc = adv_scan_members(path, text, len, usn_member, &u, e);
	}
out:
	json_decref(n);
	free(text);
	return rc;
}
