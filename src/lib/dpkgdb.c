/*
 * dpkgdb: parses dpkg's status file in place (values are cut out of the one
 * file buffer with NULs) and keeps a sorted array of (name, version), with
 * a hash table over it for the look-ups (a detection asks tens of
 * thousands of times). "name:arch" keys live in one extra allocation.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dpkgdb.h"
#include "fsx.h"

struct entry {
	const char *name;
	const char *version;
	size_t seq; /* stanza order, so the first stanza wins on ties */
};

struct dpkgdb {
	char *text;            /* the status file, cut up in place */
	char *keys;            /* the "name:arch" strings */
	struct entry *entries; /* sorted by name, then seq; names unique */
	size_t n;
	size_t packages;
	uint32_t *slots; /* entry index + 1 by name hash (0: free) */
	size_t mask;     /* slots - 1, a power of two minus one */
};

static uint32_t
name_hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/* The hash table over the n unique entries: at most half full. */
static int
index_entries(struct dpkgdb *db, struct err *e)
{
	size_t cap = 16;

	while (cap < 2 * db->n)
		cap *= 2;
	if ((db->slots = calloc(cap, sizeof(*db->slots))) == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	db->mask = cap - 1;
	for (size_t i = 0; i < db->n; i++) {
		size_t k = name_hash(db->entries[i].name) & db->mask;

		while (db->slots[k] != 0)
			k = (k + 1) & db->mask;
		db->slots[k] = (uint32_t)(i + 1);
	}
	return SL_OK;
}

struct stanza {
	char *package, *version, *arch, *status;
};

static bool
installed(const char *status)
{
	const char *p = status;
	size_t len;
	int word;

	/* the third white-space separated word */
	for (word = 0; word < 2; word++) {
		p += strcspn(p, " \t");
		p += strspn(p, " \t");
	}
	len = strcspn(p, " \t");
	return len == 9 && strncmp(p, "installed", 9) == 0;
}

struct stanzas {
	struct stanza *v;
	size_t n, alloc;
};

/* Keep cur if it describes an installed package. */
static int
push(struct stanzas *sv, const struct stanza *cur, struct err *e)
{
	struct stanza *nv;
	size_t na;

	if (cur->package == NULL || cur->version == NULL ||
	    cur->status == NULL || !installed(cur->status))
		return SL_OK;
	if (sv->n == sv->alloc) {
		na = sv->alloc ? 2 * sv->alloc : 256;
		if ((nv = reallocarray(sv->v, na, sizeof(*nv))) == NULL)
			return err_set(e, SL_ENOMEM, "out of memory");
		sv->v = nv;
		sv->alloc = na;
	}
	sv->v[sv->n++] = *cur;
	return SL_OK;
}

/* Cut the status file into stanzas and collect the installed ones. */
static int
parse(char *text, struct stanzas *sv, struct err *e)
{
	struct stanza cur = {0};
	char *line = text, *nl, *colon, *v, *end;
	int rc;

	for (;;) {
		bool last = false;

		nl = strchr(line, '\n');
		if (nl == NULL) {
			nl = line + strlen(line);
			last = true;
		}
		end = nl;
		if (end > line && end[-1] == '\r')
			end--;
		if (end == line) { /* blank line: end of stanza */
			if ((rc = push(sv, &cur, e)) != SL_OK)
				return rc;
			memset(&cur, 0, sizeof(cur));
		} else if (*line != ' ' && *line != '\t' && *line != '#' &&
		           (colon = memchr(line, ':', (size_t)(end - line))) !=
		                   NULL) {
			/* continuation lines (leading blank) are skipped */
			v = colon + 1;
			while (v < end && (*v == ' ' || *v == '\t'))
				v++;
			while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
				end--;
			*end = '\0';
			*colon = '\0';
			if (strcasecmp(line, "Package") == 0)
				cur.package = v;
			else if (strcasecmp(line, "Version") == 0)
				cur.version = v;
			else if (strcasecmp(line, "Architecture") == 0)
				cur.arch = v;
			else if (strcasecmp(line, "Status") == 0)
				cur.status = v;
		}
		if (last)
			break;
		line = nl + 1;
	}
	return push(sv, &cur, e);
}

static int
entry_cmp(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	int r = strcmp(x->name, y->name);

	if (r != 0)
		return r;
	return (x->seq > y->seq) - (x->seq < y->seq);
}

int
dpkgdb_new_empty(struct dpkgdb **out, struct err *e)
{
	struct dpkgdb *db;

	if ((db = calloc(1, sizeof(*db))) == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	*out = db;
	return SL_OK;
}

int
dpkgdb_load(struct dpkgdb **out, const char *status_path, struct err *e)
{
	struct dpkgdb *db = NULL;
	struct stanzas sv = {0};
	struct stanza *st;
	size_t len, i, n, keylen = 0, k, off = 0;
	int rc;

	if ((rc = dpkgdb_new_empty(&db, e)) != SL_OK)
		return rc;
	if ((rc = fsx_read(status_path, DPKGDB_CAP, &db->text, &len, e)) !=
	    SL_OK)
		goto out;
	if ((rc = parse(db->text, &sv, e)) != SL_OK)
		goto out;
	st = sv.v;
	n = sv.n;
	db->packages = n;
	for (i = 0; i < n; i++)
		if (st[i].arch != NULL)
			keylen +=
			        strlen(st[i].package) + strlen(st[i].arch) + 2;
	if ((db->entries = calloc(2 * n + 1, sizeof(*db->entries))) == NULL ||
	    (db->keys = malloc(keylen + 1)) == NULL) {
		rc = err_set(e, SL_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0, k = 0; i < n; i++) {
		db->entries[k++] =
		        (struct entry){st[i].package, st[i].version, i};
		if (st[i].arch == NULL)
			continue;
		size_t pl = strlen(st[i].package), al = strlen(st[i].arch);
		char *key = db->keys + off;

		memcpy(key, st[i].package, pl);
		key[pl] = ':';
		memcpy(key + pl + 1, st[i].arch, al + 1);
		off += pl + al + 2;
		db->entries[k++] = (struct entry){key, st[i].version, i};
	}
	qsort(db->entries, k, sizeof(*db->entries), entry_cmp);
	/* keep the first stanza of each name */
	for (i = 0, n = 0; i < k; i++)
		if (n == 0 ||
		    strcmp(db->entries[n - 1].name, db->entries[i].name) != 0)
			db->entries[n++] = db->entries[i];
	db->n = n;
	if (n > UINT32_MAX / 2) {
		rc = err_set(e, SL_ETOOBIG, "too many packages");
		goto out;
	}
	if ((rc = index_entries(db, e)) != SL_OK)
		goto out;
	*out = db;
	db = NULL;
out:
	free(sv.v);
	dpkgdb_free(db);
	if (rc != SL_OK)
		err_prefix(e, "dpkg status");
	return rc;
}

void
dpkgdb_free(struct dpkgdb *db)
{
	if (db == NULL)
		return;
	free(db->text);
	free(db->keys);
	free(db->entries);
	free(db->slots);
	free(db);
}

const char *
dpkgdb_version(const struct dpkgdb *db, const char *package)
{
	size_t k;

	if (db == NULL || package == NULL || db->n == 0)
		return NULL;
	for (k = name_hash(package) & db->mask; db->slots[k] != 0;
	     k = (k + 1) & db->mask) {
		const struct entry *en = &db->entries[db->slots[k] - 1];

		if (en->name[0] == package[0] && strcmp(en->name, package) == 0)
			return en->version;
	}
	return NULL;
}

size_t
dpkgdb_count(const struct dpkgdb *db)
{
	return db != NULL ? db->packages : 0;
}
