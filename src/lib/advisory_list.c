/*
 * advisory_list: the Debian security tracker's DSA and DLA lists, read one
 * line at a time (each line under ADVISORY_LINE_CAP):
 *   [01 Apr 2022] DSA-5111-1 zlib - security update
 *   	{CVE-2018-25032}
 *   	[bullseye] - zlib 1:1.2.11.dfsg-2+deb11u1
 *   	[buster] - zlib <not-affected> (vulnerable code not present)
 *   	[sarge] - awstats 6.4-1sarge1 (bug #322591; medium)
 *   	NOTE: free text
 * Release lines whose version is a <marker> name no fixed version and are
 * skipped; a "- pkg version" line without a [release] tag is taken to be
 * for the release being imported. An advisory becomes entries when the
 * next header (or the end of the file) closes it.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "advisory_int.h"
#include "debver.h"

struct list_adv {
	bool open;
	char id[64], date[11];
	char *title;
	struct adv_strv cves, pkgs, versions, urgencies;
};

static void
list_adv_reset(struct list_adv *a)
{
	free(a->title);
	a->title = NULL;
	adv_strv_clear(&a->cves);
	adv_strv_clear(&a->pkgs);
	adv_strv_clear(&a->versions);
	adv_strv_clear(&a->urgencies);
	a->open = false;
}

static int
list_adv_flush(struct advisory_db *db, struct list_adv *a, struct err *e)
{
	struct adv_fields f = {0};
	int rc = SL_OK;

	if (!a->open)
		return SL_OK;
	f.id = a->id;
	f.title = a->title;
	f.date = a->date;
	f.cves = (const char *const *)a->cves.v;
	f.ncves = a->cves.n;
	for (size_t i = 0; i < a->pkgs.n && rc == SL_OK; i++) {
		f.sev = adv_sev_parse(a->urgencies.v[i]);
		rc = adv_add(db, a->pkgs.v[i], a->versions.v[i], &f, e);
	}
	list_adv_reset(a);
	return rc;
}

static int
month_of(const char *s)
{
	static const char *const m[] = {"Jan", "Feb", "Mar", "Apr",
	                                "May", "Jun", "Jul", "Aug",
	                                "Sep", "Oct", "Nov", "Dec"};

	for (int i = 0; i < 12; i++)
		if (strncmp(s, m[i], 3) == 0)
			return i + 1;
	return 0;
}

static size_t
word(const char *s)
{
	return strcspn(s, " \t");
}

static const char *
skip_ws(const char *s)
{
	return s + strspn(s, " \t");
}

/* "[01 Apr 2022] DSA-5111-1 zlib - security update" */
static int
parse_header(struct list_adv *a, const char *line, struct err *e)
{
	const char *p = line + 1, *q;
	int day = 0, mon, year = 0, nd = 0;
	size_t n;

	for (; isdigit((unsigned char)*p) && nd < 2; p++, nd++)
		day = day * 10 + (*p - '0');
	if (nd == 0 || *p != ' ' || (mon = month_of(p + 1)) == 0 || p[4] != ' ')
		goto bad_date;
	p += 5;
	for (nd = 0; isdigit((unsigned char)*p) && nd < 4; p++, nd++)
		year = year * 10 + (*p - '0');
	if (nd != 4 || *p != ']')
		goto bad_date;
	{
		char d[32]; /* room for any int, so no truncation warning */
		snprintf(d, sizeof(d), "%04d-%02d-%02d", year, mon, day);
		snprintf(a->date, sizeof(a->date), "%.10s", d);
	}
	if (!adv_date_valid(a->date))
		goto bad_date;
	p = skip_ws(p + 1);
	if ((n = word(p)) == 0)
		return err_set(e, SL_EPARSE, "advisory header without an id");
	for (q = p; q < p + n && (isupper((unsigned char)*q)); q++)
		;
	if (q == p || *q != '-' || !isdigit((unsigned char)q[1]) ||
	    n >= sizeof(a->id))
		return err_set(e, SL_EPARSE, "bad advisory id '%.*s'", (int)n,
		               p);
	memcpy(a->id, p, n);
	a->id[n] = '\0';
	/* The real lists hold "ID  - text" and "ID - pkg - text" too: the
	 * entries come from the release lines, so only a header with
	 * nothing after the id is refused. */
	q = skip_ws(p + n);
	if (*q == '\0')
		return err_set(e, SL_EPARSE, "advisory %s names no package",
		               a->id);
	if ((a->title = strdup(p)) == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	a->open = true;
	return SL_OK;
bad_date:
	return err_set(e, SL_EPARSE, "bad date in '%.*s' (want [DD Mon YYYY])",
	               (int)strcspn(line, "]") + 1, line);
}

/* "{CVE-2018-25032 CVE-2022-1234}" */
static int
parse_cves(struct list_adv *a, const char *p, struct err *e)
{
	const char *end = strchr(p, '}');
	size_t n;
	int rc;

	if (end == NULL)
		return err_set(e, SL_EPARSE, "CVE list without '}'");
	for (p = skip_ws(p + 1); p < end; p = skip_ws(p + n)) {
		n = word(p);
		if (p + n > end)
			n = (size_t)(end - p);
		if ((rc = adv_strv_push(&a->cves, p, n, e)) != SL_OK)
			return rc;
	}
	return SL_OK;
}

/* Old entries note the urgency after the version: "(bug #332524; medium)".
 * Returns the word (length in *len, 0 when there is none). */
static const char *
urgency(const char *p, size_t *len)
{
	const char *end, *item;
	size_t n;

	*len = 0;
	p = skip_ws(p);
	if (*p != '(' || (end = strchr(p, ')')) == NULL)
		return p;
	for (item = p + 1; item < end; item += n + 1) {
		item = skip_ws(item);
		n = strcspn(item, ";)");
		if ((n == 3 && strncmp(item, "low", 3) == 0) ||
		    (n == 4 && strncmp(item, "high", 4) == 0) ||
		    (n == 6 && strncmp(item, "medium", 6) == 0)) {
			*len = n;
			return item;
		}
	}
	return p;
}

/* "[bookworm] - zlib 1:1.2.13.dfsg-1+deb12u1" or "- zlib 1.2" */
static int
parse_release(const struct advisory_db *db, struct list_adv *a, const char *p,
              struct err *e)
{
	const char *rel = NULL, *pkg, *ver, *urg;
	size_t rlen = 0, plen, vlen, ulen;
	int rc;

	if (*p == '[') {
		rel = p + 1;
		if ((rlen = strcspn(rel, "] \t")) == 0 || rel[rlen] != ']')
			return err_set(e, SL_EPARSE, "bad release tag");
		p = skip_ws(rel + rlen + 1);
	}
	if (*p != '-' || (p[1] != ' ' && p[1] != '\t'))
		return err_set(e, SL_EPARSE, "expected '- PACKAGE VERSION'");
	pkg = skip_ws(p + 1);
	if ((plen = word(pkg)) == 0)
		return err_set(e, SL_EPARSE, "release line without a package");
	ver = skip_ws(pkg + plen);
	if ((vlen = word(ver)) == 0)
		return err_set(e, SL_EPARSE, "%.*s without a version",
		               (int)plen, pkg);
	if (rel != NULL &&
	    (db->codename == NULL || strlen(db->codename) != rlen ||
	     strncmp(rel, db->codename, rlen) != 0))
		return SL_OK;
	if (*ver == '<') /* <not-affected>, <unfixed>, <end-of-life>... */
		return SL_OK;
	urg = urgency(ver + vlen, &ulen);
	if ((rc = adv_strv_push(&a->pkgs, pkg, plen, e)) != SL_OK ||
	    (rc = adv_strv_push(&a->versions, ver, vlen, e)) != SL_OK ||
	    (rc = adv_strv_push(&a->urgencies, urg, ulen, e)) != SL_OK)
		return rc;
	if (debver_valid(a->versions.v[a->versions.n - 1], e) != SL_OK)
		return err_set(e, SL_EPARSE, "%.*s: bad version '%.*s'",
		               (int)plen, pkg, (int)vlen, ver);
	return SL_OK;
}

static int
parse_line(struct advisory_db *db, struct list_adv *a, char *line,
           struct err *e)
{
	const char *p;
	int rc;

	if (line[0] == '\0' || line[0] == '#')
		return SL_OK;
	if (line[0] == '[') {
		if ((rc = list_adv_flush(db, a, e)) != SL_OK)
			return rc;
		return parse_header(a, line, e);
	}
	if (line[0] != ' ' && line[0] != '\t')
		return err_set(e, SL_EPARSE,
		               "expected '[DD Mon YYYY] ID PACKAGE - TEXT'");
	p = skip_ws(line);
	if (*p == '\0')
		return SL_OK;
	if (!a->open)
		return err_set(e, SL_EPARSE,
		               "indented line before any "
		               "advisory header");
	if (*p == '{')
		return parse_cves(a, p, e);
	if (*p == '[' || *p == '-')
		return parse_release(db, a, p, e);
	return SL_OK; /* NOTE: and other annotations */
}

int
adv_load_list(struct advisory_db *db, const char *path, struct err *e)
{
	struct list_adv a = {0};
	FILE *f = NULL;
	char *line = NULL;
	size_t lineno = 0, len;
	int rc;

	if ((rc = adv_check_path(path, false, e)) != SL_OK)
		return rc;
	if ((f = fopen(path, "r")) == NULL) {
		rc = err_set(e, errno == ENOENT ? SL_ENOTFOUND : SL_EIO,
		             "%s: %s", path, strerror(errno));
		goto out;
	}
	if ((line = malloc(ADVISORY_LINE_CAP + 2)) == NULL) {
		rc = err_set(e, SL_ENOMEM, "out of memory");
		goto out;
	}
	while (fgets(line, ADVISORY_LINE_CAP + 2, f) != NULL) {
		lineno++;
		len = strlen(line);
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		else if (!feof(f) || len > ADVISORY_LINE_CAP) {
			rc = err_set(e, SL_EPARSE,
			             "%s:%zu: line longer than %u bytes", path,
			             lineno, ADVISORY_LINE_CAP);
			goto out;
		}
		if (len > 0 && line[len - 1] == '\r')
			line[--len] = '\0';
		if ((rc = parse_line(db, &a, line, e)) != SL_OK) {
			if (rc == SL_EPARSE)
				err_prefix(e, "%s:%zu", path, lineno);
			goto out;
		}
	}
	if (ferror(f)) {
		rc = err_set(e, SL_EIO, "%s: read error", path);
		goto out;
	}
	rc = list_adv_flush(db, &a, e);
out:
	list_adv_reset(&a);
	free(line);
	if (f != NULL)
		fclose(f);
	return rc;
}
