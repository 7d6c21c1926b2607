/*
 * catalog_verify: check a published catalog tree end to end: the index
 * (signature, expiry, rollback), every metadata document (hash against the
 * index, signature, validity) and every file (size and SHA-256). Each
 * problem is reported separately so one run names all of them.
 */
#include "catalog.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsx.h"
#include "hash.h"
#include "trust.h"
#include "update_check.h"

#define PATH_MAX_LEN 4096

struct verify_run {
	catalog_problem_fn cb;
	void *arg;
	size_t n;
};

static void problem(struct verify_run *v, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

static void
problem(struct verify_run *v, const char *fmt, ...)
{
	char msg[ERR_MSG_MAX + 256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	v->n++;
	if (v->cb != NULL)
		v->cb(v->arg, msg);
}

static void
verify_file(struct verify_run *v, const char *public_dir,
            const struct update *u, const struct update_file *f)
{
	char rel[96], path[PATH_MAX_LEN], hex[HASH_HEX_LEN + 1];
	struct err e;
	uint64_t size;

	/* A file named by an absolute URL (an apt archive's pool) is not in
	 * this catalog's content store: the agent checks it on download. */
	if (f->url != NULL && strstr(f->url, "://") != NULL)
		return;
	catalog_content_path(rel, sizeof(rel), f->sha256);
	if (fsx_join(path, sizeof(path), public_dir, rel, &e) != SL_OK) {
		problem(v, "%s: %s", f->name, e.msg);
		return;
	}
	if (hash_file_hex(path, hex, &size, &e) != SL_OK) {
		problem(v, "update %s revision %lld: file %s: %s", u->id,
		        (long long)u->revision, f->name, e.msg);
		return;
	}
	if (size != f->size)
		problem(v,
		        "update %s revision %lld: file %s: size %llu, the "
		        "metadata says %llu",
		        u->id, (long long)u->revision, f->name,
		        (unsigned long long)size, (unsigned long long)f->size);
	else if (strcmp(hex, f->sha256) != 0)
		problem(v,
		        "update %s revision %lld: file %s: SHA-256 %s does "
		        "not match %s",
		        u->id, (long long)u->revision, f->name, hex, f->sha256);
}

struct check_problem_arg {
	struct verify_run *v;
	const struct update *u;
};

/* A problem update_check() found in a published revision. */
static void
check_problem(void *arg, int code, const char *msg)
{
	struct check_problem_arg *cp = arg;

	(void)code;
	problem(cp->v, "update %s revision %lld: %s", cp->u->id,
	        (long long)cp->u->revision, msg);
}

static void
verify_entry(struct verify_run *v, const char *public_dir,
             const struct catalog_entry *en, const struct sign_keyring *kr)
{
	char path[PATH_MAX_LEN], *text = NULL;
	struct update *u = NULL;
	struct check_problem_arg cp = {v, NULL};
	struct err e;
	size_t len;

	if (fsx_join(path, sizeof(path), public_dir, en->path, &e) != SL_OK ||
	    fsx_read(path, UPDATE_DOC_MAX, &text, &len, &e) != SL_OK) {
		problem(v, "%s: %s", en->path, e.msg);
		return;
	}
	if (catalog_doc_parse(&u, NULL, text, len, en, kr, &e) != SL_OK) {
		problem(v, "%s", e.msg);
		goto out;
	}
	cp.u = u;
	update_check(u, check_problem, &cp, NULL, &e);
	for (size_t i = 0; i < u->n_files; i++)
		verify_file(v, public_dir, u, &u->files[i]);
	if (u->eula != NULL)
		verify_file(v, public_dir, u, u->eula);
out:
	update_free(u);
	free(text);
}

/* The timestamp, when the tree has one: signature, expiry, and the index
 * it names (same hash and size when it names this version). */
static void
verify_timestamp(struct verify_run *v, const char *public_dir,
                 const struct sign_keyring *kr, long long now,
                 const struct catalog_index *idx, const char *index_text,
                 size_t index_len)
{
	char path[PATH_MAX_LEN], *text = NULL, hex[HASH_HEX_LEN + 1];
	struct trust_timestamp ts;
	struct err e;
	size_t len;

	if (fsx_join(path, sizeof(path), public_dir, "timestamp.json", &e) !=
	            SL_OK ||
	    !fsx_exists(path))
		return;
	if (fsx_read(path, TRUST_DOC_MAX, &text, &len, &e) != SL_OK ||
	    trust_timestamp_parse(&ts, text, len, kr, now, 0, &e) != SL_OK) {
		problem(v, "%s", e.msg);
		goto out;
	}
	hash_buf_hex(index_text, index_len, hex);
	if (ts.index_version == idx->version &&
	    (ts.index_size != (uint64_t)index_len ||
	     strcmp(ts.index_sha256, hex) != 0))
		problem(v,
		        "timestamp: names index version %lld with SHA-256 "
		        "%s, index.json has %s",
		        (long long)idx->version, ts.index_sha256, hex);
	else if (ts.index_version > idx->version)
		problem(v,
		        "timestamp: names index version %lld, index.json is "
		        "version %lld",
		        (long long)ts.index_version, (long long)idx->version);
out:
	free(text);
}

int
catalog_verify(const char *public_dir, const struct sign_keyring *kr,
               long long now, int64_t min_version, catalog_problem_fn cb,
               void *arg, size_t *n_problems, struct err *e)
{
	struct verify_run v = {.cb = cb, .arg = arg};
	struct catalog_index *idx = NULL;
	char path[PATH_MAX_LEN], *text = NULL;
	struct err ie;
	size_t len;
	int rc;

	if ((rc = fsx_join(path, sizeof(path), public_dir, "index.json", e)))
		return rc;
	if (fsx_read(path, CATALOG_INDEX_MAX, &text, &len, &ie) != SL_OK) {
		problem(&v, "%s", ie.msg);
		goto out;
	}
	if (catalog_index_parse(&idx, text, len, kr, now, min_version, &ie) ==
	    SL_EEXPIRED) {
		/* Report the expiry, then check the rest all the same. */
		problem(&v, "%s", ie.msg);
		catalog_index_parse(&idx, text, len, kr, 0, min_version, &ie);
	}
	if (idx == NULL) {
		problem(&v, "%s", ie.msg);
		goto out;
	}
	verify_timestamp(&v, public_dir, kr, now, idx, text, len);
	for (size_t i = 0; i < idx->n; i++)
		verify_entry(&v, public_dir, &idx->entries[i], kr);
out:
	catalog_index_free(idx);
	free(text);
	if (n_problems != NULL)
		*n_problems = v.n;
	if (v.n > 0)
		return err_set(e, SL_EVERIFY, "%zu problem%s found", v.n,
		               v.n == 1 ? "" : "s");
	return SL_OK;
}
