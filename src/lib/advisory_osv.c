/*
 * advisory_osv: a directory of OSV records (NAME.json, read in name order),
 * each loaded on its own:
 *   {"id": "DSA-5521-1" | "USN-6001-1" | "DEBIAN-CVE-..." | "CVE-...",
 *    "aliases", "related", "upstream": CVE ids (UBUNTU-/DEBIAN- prefixes
 *    dropped), "summary", "details", "published", "withdrawn",
 *    "severity": [{"type", "score"}], "database_specific": {"severity"},
 *    "affected": [{"package": {"ecosystem": "Debian:12", "name"},
 *                  "ranges": [{"events": [{"fixed": "..."}]}]}]}
 * Each "fixed" version of a package in our release's ecosystem becomes an
 * entry; ids other than DSA/DLA/DTSA/USN/LSN give entries without an id.
 */
#include <dirent.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "advisory_int.h"
#include "array.h"
#include "fsx.h"

#define OSV_MAX_FILES 1000000u

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
		if ((rc = adv_opt_str(&w, ds, "severity", path,
		                      "database_specific", e)) != SL_OK)
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
	if ((rc = adv_opt_str(&eco, pkg, "ecosystem", path, where, e)) !=
	            SL_OK ||
	    (rc = adv_opt_str(&name, pkg, "name", path, where, e)) != SL_OK)
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
			if ((rc = adv_opt_str(&fixed, ev, "fixed", path, where,
			                      e)) != SL_OK)
				return rc;
			if (fixed == NULL ||
			    adv_added_since(db, mark, name, fixed))
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
	const char *id, *summary, *details, *pub, *cid, *withdrawn;
	char title[1024], date[11] = "";
	size_t mark = db->n, i;
	bool adv;
	int rc;

	if ((rc = adv_load_json(&rec, path, e)) != SL_OK)
		return rc;
	if ((rc = adv_opt_str(&id, rec, "id", path, "record", e)) != SL_OK)
		goto out;
	if (id == NULL) {
		rc = err_set(e, SL_EPARSE, "%s: record without an id", path);
		goto out;
	}
	if ((rc = adv_opt_str(&summary, rec, "summary", path, id, e)) !=
	            SL_OK ||
	    (rc = adv_opt_str(&details, rec, "details", path, id, e)) !=
	            SL_OK ||
	    (rc = adv_opt_str(&pub, rec, "published", path, id, e)) != SL_OK ||
	    (rc = adv_opt_str(&withdrawn, rec, "withdrawn", path, id, e)) !=
	            SL_OK ||
	    (rc = adv_opt_str_array(&cves, rec, "aliases", path, id, e)) !=
	            SL_OK ||
	    (rc = adv_opt_str_array(&cves, rec, "related", path, id, e)) !=
	            SL_OK ||
	    (rc = adv_opt_str_array(&cves, rec, "upstream", path, id, e)) !=
	            SL_OK ||
	    (rc = osv_severity(&f.sev, rec, path, e)) != SL_OK)
		goto out;
	if (withdrawn != NULL) /* the publisher took it back */
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
		array_sort(names.v, names.n, sizeof(*names.v), name_cmp);
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
