/*
 * Unit tests for the catalog origin: add/revisions, verify catching a
 * flipped file byte, a wrong signature, an expired index and a rollback.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "catalog.h"
#include "fsx.h"
#include "sign.h"

#define ID1 "0b8f5a52-3c1e-4d8e-9a55-6f0e3c7d1a01"
#define ID2 "7c2d9e14-55aa-4b0c-8f61-1e2d3c4b5a69"

static char tmp[64], cat[128], pub[160];

static void
write_text(const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmp, name);
	assert_non_null(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
}

static void
write_def(const char *name, const char *id, const char *title)
{
	char text[1024];

	snprintf(text, sizeof(text),
	         "{\"id\":\"%s\",\"title\":\"%s\",\"classification\":"
	         "\"security\",\"product\":\"demo\",\"kb_article\":\"KB1\","
	         "\"release_date\":\"2026-11-01\",\"applicability\":{"
	         "\"is_installed\":{\"type\":\"false\"},\"is_installable\":"
	         "{\"type\":\"true\"}},\"install\":{\"handler\":\"script\","
	         "\"arguments\":[\"fix.sh\"]}}",
	         id, title);
	write_text(name, text);
}

static int
setup(void **state)
{
	struct err e;
	char def[256], file[256];
	char *files[] = {file};

	(void)state;
	snprintf(tmp, sizeof(tmp), "/tmp/sluice-cat-XXXXXX");
	assert_non_null(mkdtemp(tmp));
	snprintf(cat, sizeof(cat), "%s/cat", tmp);
	snprintf(pub, sizeof(pub), "%s/public", cat);
	assert_int_equal(catalog_init(cat, &e), SL_OK);
	write_def("one.json", ID1, "First fix");
	write_text("fix.sh", "echo fixed\n");
	snprintf(def, sizeof(def), "%s/one.json", tmp);
	snprintf(file, sizeof(file), "%s/fix.sh", tmp);
	assert_int_equal(catalog_add(cat, def, files, 1, 0, NULL, &e), SL_OK);
	return 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
	return system(cmd);
}

/* Run verify with the catalog's own trust; returns the problem count and
 * keeps the last problem in last_problem. */
static char last_problem[2048];

static void
keep_problem(void *arg, const char *msg)
{
	(void)arg;
	snprintf(last_problem, sizeof(last_problem), "%s", msg);
}

static size_t
verify_at(long long now)
{
	struct sign_keyring kr = {0};
	char p[512];
	int64_t last;
	size_t n = 0;
	struct err e;

	last_problem[0] = '\0';
	assert_int_equal(catalog_local_trust(cat, p, sizeof(p), &kr, &last, &e),
	                 SL_OK);
	catalog_verify(p, &kr, now, last, keep_problem, NULL, &n, &e);
	return n;
}

static void
test_init_refuses_existing(void **state)
{
	struct err e;

	(void)state;
	assert_int_equal(catalog_init(cat, &e), SL_EEXISTS);
	assert_non_null(strstr(e.msg, "already a catalog"));
	assert_int_equal(verify_at(time(NULL)), 0);
}

static void
test_new_revision_keeps_old(void **state)
{
	struct catalog_index *idx = NULL;
	struct sign_keyring kr = {0};
	struct update *u = NULL, *old = NULL;
	char def[256], file[256], path[512], p[512], *text;
	char *files[] = {file};
	int64_t last;
	size_t len;
	struct err e;

	(void)state;
	snprintf(def, sizeof(def), "%s/one.json", tmp);
	snprintf(file, sizeof(file), "%s/fix.sh", tmp);
	write_def("one.json", ID1, "First fix, revised");
	assert_int_equal(catalog_add(cat, def, files, 1, 0, &u, &e), SL_OK);
	assert_int_equal(u->revision, 2);
	update_free(u);

	/* An explicit revision that is not newer is refused. */
	write_text("old.json",
	           "{\"id\":\"" ID1 "\",\"revision\":2,\"title\":\"x\"}");
	snprintf(def, sizeof(def), "%s/old.json", tmp);
	assert_int_equal(catalog_add(cat, def, files, 1, 0, NULL, &e),
	                 SL_EEXISTS);
	char want[512];
	snprintf(want, sizeof(want),
	         "%s: revision 2 of " ID1 " already exists (latest is 2); "
	         "omit \"revision\" to add the next one",
	         def);
	assert_string_equal(e.msg, want);

	assert_int_equal(catalog_load(&idx, cat, &e), SL_OK);
	assert_int_equal(idx->n, 2);
	assert_int_equal(catalog_index_latest(idx, ID1)->revision, 2);
	/* Revision 1 is still there and still verifies. */
	assert_int_equal(catalog_local_trust(cat, p, sizeof(p), &kr, &last, &e),
	                 SL_OK);
	snprintf(path, sizeof(path), "%s/%s", pub, idx->entries[0].path);
	assert_int_equal(fsx_read(path, UPDATE_DOC_MAX, &text, &len, &e),
	                 SL_OK);
	assert_int_equal(catalog_doc_parse(&old, NULL, text, len,
	                                   &idx->entries[0], &kr, &e),
	                 SL_OK);
	assert_int_equal(old->revision, 1);
	assert_string_equal(old->title, "First fix");
	update_free(old);
	free(text);
	catalog_index_free(idx);
	assert_int_equal(verify_at(time(NULL)), 0);
}

static void
test_invalid_definition_leaves_catalog(void **state)
{
	struct catalog_index *before = NULL, *after = NULL;
	char def[256];
	struct err e;

	(void)state;
	assert_int_equal(catalog_load(&before, cat, &e), SL_OK);
	write_text("bad.json", "{\"id\":\"" ID2 "\",\"title\":\"t\","
	                       "\"classification\":\"bogus\"}");
	snprintf(def, sizeof(def), "%s/bad.json", tmp);
	assert_int_equal(catalog_add(cat, def, NULL, 0, 0, NULL, &e),
	                 SL_EINVAL);
	assert_non_null(strstr(e.msg, "bad.json: "));
	assert_int_equal(catalog_load(&after, cat, &e), SL_OK);
	assert_int_equal(after->version, before->version);
	catalog_index_free(before);
	catalog_index_free(after);
}

static void
test_verify_flipped_file_byte(void **state)
{
	struct catalog_index *idx = NULL;
	struct sign_keyring kr = {0};
	struct update *u = NULL;
	char path[512], p[512], *text;
	int64_t last;
	size_t len;
	struct err e;
	FILE *f;

	(void)state;
	assert_int_equal(catalog_load(&idx, cat, &e), SL_OK);
	assert_int_equal(catalog_local_trust(cat, p, sizeof(p), &kr, &last, &e),
	                 SL_OK);
	snprintf(path, sizeof(path), "%s/%s", pub, idx->entries[0].path);
	assert_int_equal(fsx_read(path, UPDATE_DOC_MAX, &text, &len, &e),
	                 SL_OK);
	assert_int_equal(catalog_doc_parse(&u, NULL, text, len,
	                                   &idx->entries[0], &kr, &e),
	                 SL_OK);
	snprintf(path, sizeof(path), "%s/content/%.2s/%s", pub,
	         u->files[0].sha256, u->files[0].sha256);
	assert_non_null(f = fopen(path, "r+"));
	fputc('E', f); /* "echo" -> "Echo": one byte */
	fclose(f);
	assert_int_equal(verify_at(time(NULL)), 1);
	assert_non_null(strstr(last_problem, "file fix.sh: SHA-256 "));
	assert_non_null(strstr(last_problem, "does not match"));
	assert_non_null(f = fopen(path, "r+"));
	fputc('e', f);
	fclose(f);
	assert_int_equal(verify_at(time(NULL)), 0);
	update_free(u);
	free(text);
	catalog_index_free(idx);
}

static void
test_verify_flipped_document_byte(void **state)
{
	struct catalog_index *idx = NULL;
	char path[512], *text;
	size_t len;
	struct err e;

	(void)state;
	assert_int_equal(catalog_load(&idx, cat, &e), SL_OK);
	snprintf(path, sizeof(path), "%s/%s", pub, idx->entries[0].path);
	assert_int_equal(fsx_read(path, UPDATE_DOC_MAX, &text, &len, &e),
	                 SL_OK);
	char *t = strstr(text, "First fix");
	t[0] = 'f';
	assert_int_equal(fsx_write_atomic(path, text, len, 0644, &e), SL_OK);
	assert_int_equal(verify_at(time(NULL)), 1);
	assert_non_null(strstr(last_problem, "does not match the index"));
	t[0] = 'F';
	assert_int_equal(fsx_write_atomic(path, text, len, 0644, &e), SL_OK);
	assert_int_equal(verify_at(time(NULL)), 0);
	free(text);
	catalog_index_free(idx);
}

static void
test_verify_wrong_signature(void **state)
{
	char path[512], *text, *saved;
	size_t len;
	struct err e;

	(void)state;
	snprintf(path, sizeof(path), "%s/index.json", pub);
	assert_int_equal(fsx_read(path, CATALOG_INDEX_MAX, &text, &len, &e),
	                 SL_OK);
	saved = strdup(text);
	/* Change one hex digit of the signature. */
	char *sig = strstr(text, "\"sig\": \"") + 8;
	sig[0] = sig[0] == '0' ? '1' : '0';
	assert_int_equal(fsx_write_atomic(path, text, len, 0644, &e), SL_OK);
	assert_int_equal(verify_at(time(NULL)), 1);
	assert_non_null(strstr(last_problem, "index: signature by key "));
	assert_non_null(strstr(last_problem, " does not verify"));
	assert_int_equal(fsx_write_atomic(path, saved, len, 0644, &e), SL_OK);
	assert_int_equal(verify_at(time(NULL)), 0);
	free(saved);
	free(text);
}

static void
test_verify_expired_index(void **state)
{
	(void)state;
	/* Seen from 8 days in the future, the 7-day timestamp has expired;
	 * from 60 days, the 30-day index too (reported first). */
	assert_int_equal(verify_at(time(NULL) + 8 * 86400), 1);
	assert_non_null(strstr(last_problem, "timestamp: expired at "));
	assert_int_equal(verify_at(time(NULL) + 60 * 86400), 2);
	assert_non_null(strstr(last_problem, "timestamp: expired at "));
	assert_int_equal(verify_at(time(NULL)), 0);
}

static void
test_verify_rollback(void **state)
{
	char path[512], def[256], *old;
	size_t len;
	struct err e;

	(void)state;
	snprintf(path, sizeof(path), "%s/index.json", pub);
	assert_int_equal(fsx_read(path, CATALOG_INDEX_MAX, &old, &len, &e),
	                 SL_OK);
	write_def("two.json", ID2, "Second fix");
	snprintf(def, sizeof(def), "%s/two.json", tmp);
	write_text("fix.sh", "echo fixed\n");
	char file[256];
	snprintf(file, sizeof(file), "%s/fix.sh", tmp);
	char *files[] = {file};
	assert_int_equal(catalog_add(cat, def, files, 1, 0, NULL, &e), SL_OK);
	assert_int_equal(verify_at(time(NULL)), 0);
	char *newer;
	size_t newer_len;
	assert_int_equal(
	        fsx_read(path, CATALOG_INDEX_MAX, &newer, &newer_len, &e),
	        SL_OK);
	/* Put the older, validly signed index back. */
	assert_int_equal(fsx_write_atomic(path, old, len, 0644, &e), SL_OK);
	assert_int_equal(verify_at(time(NULL)), 1);
	assert_non_null(strstr(last_problem, "(rollback refused)"));
	free(old);
	/* Re-signing on top of it would drop the newer update: refused. */
	assert_int_equal(catalog_sign(cat, 0, &e), SL_EROLLBACK);
	assert_non_null(strstr(e.msg, "(rollback refused)"));
	assert_int_equal(fsx_write_atomic(path, newer, newer_len, 0644, &e),
	                 SL_OK);
	free(newer);
	assert_int_equal(catalog_sign(cat, 0, &e), SL_OK);
	assert_int_equal(verify_at(time(NULL)), 0);
}

/* Parse index text in the form `flags` of json_dumps() (0: as written). */
static int
parse_form(struct catalog_index **idx, const char *text, size_t flags,
           struct err *e)
{
	struct sign_keyring kr = {0};
	char p[512], *dump = NULL;
	json_t *env;
	int64_t last;
	int rc;

	assert_int_equal(catalog_local_trust(cat, p, sizeof(p), &kr, &last, e),
	                 SL_OK);
	if (flags != 0) {
		assert_non_null(env = json_loads(text, 0, NULL));
		assert_non_null(dump = json_dumps(env, flags));
		json_decref(env);
		text = dump;
	}
	rc = catalog_index_parse(idx, text, strlen(text), &kr, time(NULL), 0,
	                         e);
	free(dump);
	return rc;
}

/* The index as `sluice catalog` writes it (indented: compacted, then read
 * in place), canonical (read in place) and in a form neither fits (slashes
 * escaped: read through a jansson tree) parse alike, and refuse a changed
 * title alike. */
static void
test_index_forms(void **state)
{
	static const size_t forms[] = {0, JSON_COMPACT | JSON_SORT_KEYS,
	                               JSON_INDENT(3) | JSON_SORT_KEYS |
	                                       JSON_ESCAPE_SLASH};
	struct catalog_index *idx[3];
	char path[512], def[256], file[256], *text, *t;
	char *files[] = {file};
	size_t len;
	struct err e, e0;

	(void)state;
	write_def("two.json", ID2, "Second fix");
	snprintf(def, sizeof(def), "%s/two.json", tmp);
	snprintf(file, sizeof(file), "%s/fix.sh", tmp);
	assert_int_equal(catalog_add(cat, def, files, 1, 0, NULL, &e), SL_OK);
	snprintf(path, sizeof(path), "%s/index.json", pub);
	assert_int_equal(fsx_read(path, CATALOG_INDEX_MAX, &text, &len, &e),
	                 SL_OK);
	for (size_t f = 0; f < 3; f++) {
		assert_int_equal(parse_form(&idx[f], text, forms[f], &e),
		                 SL_OK);
		assert_int_equal(idx[f]->n, 2);
		assert_int_equal(idx[f]->version, idx[0]->version);
		assert_int_equal(idx[f]->expires, idx[0]->expires);
		for (size_t i = 0; i < 2; i++) {
			const struct catalog_entry *a = &idx[0]->entries[i],
			                           *b = &idx[f]->entries[i];
			assert_string_equal(a->id, b->id);
			assert_int_equal(a->revision, b->revision);
			assert_string_equal(a->path, b->path);
			assert_string_equal(a->sha256, b->sha256);
			assert_int_equal(a->size, b->size);
			assert_string_equal(a->title, b->title);
			assert_string_equal(a->product, b->product);
		}
	}
	assert_string_equal(idx[0]->entries[1].title, "Second fix");
	for (size_t f = 0; f < 3; f++)
		catalog_index_free(idx[f]);
	/* One changed byte in the signed part. */
	assert_non_null(t = strstr(text, "Second fix"));
	t[0] = 's';
	for (size_t f = 0; f < 3; f++) {
		struct catalog_index *bad = NULL;

		assert_int_equal(parse_form(&bad, text, forms[f], &e),
		                 SL_EVERIFY);
		assert_null(bad);
		assert_non_null(strstr(e.msg, "index: signature by key "));
		assert_non_null(strstr(e.msg, " does not verify"));
		if (f == 0)
			e0 = e;
		else
			assert_string_equal(e.msg, e0.msg);
	}
	free(text);
}

/* A signed index of the given entries (JSON text), as text in canonical
 * form (read in place) when canonical, else with its slashes escaped (read
 * through a jansson tree); parsed into *idx. */
static int
entries_form(struct catalog_index **idx, const char *entries, bool canonical,
             struct err *e)
{
	struct sign_keyring kr = {0};
	struct sign_key k;
	char text[4096], *out = NULL;
	json_t *doc, *env = NULL;
	size_t len;
	int rc;

	assert_int_equal(sign_key_generate(&k, e), SL_OK);
	assert_int_equal(sign_keyring_add(&kr, &k, e), SL_OK);
	snprintf(text, sizeof(text),
	         "{\"type\":\"%s\",\"version\":1,\"created\":"
	         "\"2026-01-01T00:00:00Z\",\"expires\":"
	         "\"2099-01-01T00:00:00Z\",\"updates\":%s}",
	         CATALOG_INDEX_TYPE, entries);
	assert_non_null(doc = json_loads(text, 0, NULL));
	assert_int_equal(sign_envelope(&env, doc, &k, e), SL_OK);
	json_decref(doc);
	if (canonical)
		assert_int_equal(sign_canonical(&out, &len, env, e), SL_OK);
	else
		assert_non_null(
		        out = json_dumps(env, JSON_COMPACT | JSON_SORT_KEYS |
		                                      JSON_ESCAPE_SLASH));
	json_decref(env);
	rc = catalog_index_parse(idx, out, strlen(out), &kr, time(NULL), 0, e);
	free(out);
	return rc;
}

#define SHA_X "5f3c0000000000000000000000000000000000000000000000000000000000aa"

/* Index entries read in place give what the jansson tree gives: escaped
 * strings, members of another type, the refusals and their messages. */
static void
test_index_entry_forms(void **state)
{
	static const char good[] =
	        "[{\"id\":\"" ID2 "\",\"revision\":1,\"sha256\":\"" SHA_X
	        "\",\"size\":0,\"path\":\"updates/" ID2 "/1.json\",\"title\":"
	        "5,\"classification\":\"x\",\"expired\":true},{\"id\":\"" ID1
	        "\",\"revision\":2,\"sha256\":\"" SHA_X "\",\"size\":10,"
	        "\"path\":\"updates/" ID1 "/2.json\",\"title\":\"Fix "
	        "\\\"q\\\"\\n\\\\\\u0001 \xc3\xa9/\\t\",\"classification\":"
	        "\"security\",\"product\":\"demo\",\"expired\":false}]";
	static const struct {
		const char *entries, *msg;
	} bad[] = {
	        {"[7]", "index: updates[0]: expected an object"},
	        {"[{\"id\":\"X\"}]",
	         "index: updates[0].id: expected a lowercase UUID"},
	        {"[{\"id\":\"" ID1 "\",\"revision\":\"2\"}]",
	         "index: updates[0].revision: expected an integer >= 1"},
	        {"[{\"id\":\"" ID1 "\",\"revision\":0}]",
	         "index: updates[0].revision: expected an integer >= 1"},
	        {"[{\"id\":\"" ID1 "\",\"revision\":1,\"sha256\":7}]",
	         "index: updates[0].sha256: expected 64 hex digits"},
	        {"[{\"id\":\"" ID1 "\",\"revision\":1,\"sha256\":\"" SHA_X
	         "\",\"size\":-1}]",
	         "index: updates[0].size: expected an integer >= 0"},
	        {"[{\"id\":\"" ID1 "\",\"revision\":1,\"sha256\":\"" SHA_X
	         "\",\"size\":1,\"path\":\"/etc/x\"}]",
	         "index: updates[0].path: expected a relative path"},
	        {"[{\"id\":\"" ID1 "\",\"revision\":1,\"sha256\":\"" SHA_X
	         "\",\"size\":1,\"path\":[\"a\"]}]",
	         "index: updates[0].path: expected a relative path"},
	};
	struct catalog_index *idx[2] = {NULL, NULL};
	struct err e;

	(void)state;
	for (int f = 0; f < 2; f++) {
		assert_int_equal(entries_form(&idx[f], good, f == 0, &e),
		                 SL_OK);
		assert_int_equal(idx[f]->n, 2);
	}
	for (size_t i = 0; i < 2; i++) {
		const struct catalog_entry *a = &idx[0]->entries[i],
		                           *b = &idx[1]->entries[i];

		assert_string_equal(a->id, b->id);
		assert_int_equal(a->revision, b->revision);
		assert_int_equal(a->size, b->size);
		assert_string_equal(a->path, b->path);
		assert_string_equal(a->title, b->title);
		assert_string_equal(a->classification, b->classification);
		assert_string_equal(a->product, b->product);
		assert_int_equal(a->expired, b->expired);
	}
	/* Sorted by id: ID1 first. */
	assert_string_equal(idx[0]->entries[0].title,
	                    "Fix \"q\"\n\\\x01 \xc3\xa9/\t");
	assert_int_equal(idx[0]->entries[0].size, 10);
	assert_false(idx[0]->entries[0].expired);
	assert_string_equal(idx[0]->entries[1].title, "");
	assert_string_equal(idx[0]->entries[1].product, "");
	assert_true(idx[0]->entries[1].expired);
	catalog_index_free(idx[0]);
	catalog_index_free(idx[1]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		for (int f = 0; f < 2; f++) {
			struct catalog_index *x = NULL;

			assert_int_equal(
			        entries_form(&x, bad[i].entries, f == 0, &e),
			        SL_EINVAL);
			assert_null(x);
			assert_string_equal(e.msg, bad[i].msg);
		}
	}
}

static void
test_expire_update(void **state)
{
	struct catalog_index *idx = NULL;
	struct err e;

	(void)state;
	assert_int_equal(catalog_expire(cat, ID2, 0, &e), SL_ENOTFOUND);
	assert_string_equal(e.msg, "no update " ID2 " in the catalog");
	assert_int_equal(catalog_expire(cat, ID1, 0, &e), SL_OK);
	assert_int_equal(catalog_load(&idx, cat, &e), SL_OK);
	assert_true(catalog_index_latest(idx, ID1)->expired);
	catalog_index_free(idx);
	assert_int_equal(verify_at(time(NULL)), 0);
}

/* A failure at every write step of an add leaves the previous catalog. */
static void
test_add_interrupted_at_each_step(void **state)
{
	struct catalog_index *idx = NULL;
	char def[256], file[256];
	char *files[] = {file};
	int64_t before;
	struct err e;
	int step;

	(void)state;
	assert_int_equal(catalog_load(&idx, cat, &e), SL_OK);
	before = idx->version;
	catalog_index_free(idx);
	write_def("two.json", ID2, "Second fix");
	/* a new fix.sh, in a directory of its own */
	snprintf(file, sizeof(file), "%s/new", tmp);
	assert_int_equal(mkdir(file, 0755), 0);
	write_text("new/fix.sh", "echo new\n");
	snprintf(def, sizeof(def), "%s/two.json", tmp);
	snprintf(file, sizeof(file), "%s/new/fix.sh", tmp);
	for (step = 1;; step++) {
		fsx_inject_failure(step);
		int rc = catalog_add(cat, def, files, 1, 0, NULL, &e);
		fsx_inject_failure(0);
		if (rc == SL_OK)
			break;
		assert_int_equal(rc, SL_EIO);
		assert_non_null(strstr(e.msg, "injected failure"));
		/* Whole old catalog or whole new one, and it verifies. */
		assert_int_equal(catalog_load(&idx, cat, &e), SL_OK);
		bool published = catalog_index_latest(idx, ID2) != NULL;
		assert_int_equal(idx->version, before + (published ? 1 : 0));
		catalog_index_free(idx);
		assert_int_equal(verify_at(time(NULL)), 0);
		if (published)
			break;
	}
	/* Content, document and index failures come before publication;
	 * only the state file is written after the index. (Content left by an
	 * earlier attempt is reused, so later attempts write less.) */
	assert_true(step >= 3);
	assert_int_equal(catalog_load(&idx, cat, &e), SL_OK);
	assert_non_null(catalog_index_latest(idx, ID2));
	catalog_index_free(idx);
	/* The next add goes on from there. */
	assert_int_equal(catalog_add(cat, def, files, 1, 0, NULL, &e), SL_OK);
	assert_int_equal(catalog_load(&idx, cat, &e), SL_OK);
	assert_int_equal(idx->version, before + 2);
	assert_int_equal(catalog_index_latest(idx, ID2)->revision, 2);
	catalog_index_free(idx);
	assert_int_equal(verify_at(time(NULL)), 0);
}

/* The origin's check: add refuses a definition that cannot work (the
 * catalog is left as it was); verify reports one published unchecked. */
static void
test_add_checks_verify_reports(void **state)
{
	struct catalog_index *idx = NULL;
	char def[256], file[256];
	char *files[] = {file};
	int64_t before;
	struct err e;

	(void)state;
	assert_int_equal(catalog_load(&idx, cat, &e), SL_OK);
	before = idx->version;
	catalog_index_free(idx);
	/* arguments[0] names fix.sh; the file given is other.sh */
	write_def("two.json", ID2, "Second fix");
	write_text("other.sh", "echo other\n");
	snprintf(def, sizeof(def), "%s/two.json", tmp);
	snprintf(file, sizeof(file), "%s/other.sh", tmp);
	assert_int_equal(catalog_add(cat, def, files, 1, 0, NULL, &e),
	                 SL_EINVAL);
	assert_non_null(strstr(e.msg, "two.json: install.arguments[0]: "
	                              "'fix.sh' is not one of the files"));
	assert_int_equal(catalog_load(&idx, cat, &e), SL_OK);
	assert_int_equal(idx->version, before);
	assert_null(catalog_index_latest(idx, ID2));
	catalog_index_free(idx);

	assert_int_equal(catalog_add_flags(cat, def, files, 1, 0,
	                                   CATALOG_ADD_UNCHECKED, NULL, &e),
	                 SL_OK);
	assert_int_equal(verify_at(time(NULL)), 1);
	assert_string_equal(last_problem,
	                    "update " ID2 " revision 1: install.arguments[0]: "
	                    "'fix.sh' is not one of the files");
}

static struct update *
make_update(const char *id, const char *title)
{
	char text[1024];
	struct update *u = NULL;
	struct err e;

	snprintf(text, sizeof(text),
	         "{\"id\":\"%s\",\"revision\":1,\"title\":\"%s\","
	         "\"classification\":\"update\",\"product\":\"demo\","
	         "\"release_date\":\"2026-11-01\",\"applicability\":{"
	         "\"is_installed\":{\"type\":\"false\"},\"is_installable\":"
	         "{\"type\":\"true\"}},\"install\":{\"handler\":\"deb\"},"
	         "\"files\":[{\"name\":\"x_1_all.deb\",\"size\":1,\"sha256\":"
	         "\"%064d\",\"url\":\"http://archive.test/x_1_all.deb\","
	         "\"deb\":{\"package\":\"x\",\"version\":\"1\","
	         "\"architecture\":\"all\"}}]}",
	         id, title, 0);
	assert_int_equal(update_from_string(&u, text, strlen(text), &e), SL_OK);
	u->revision = 0; /* the batch numbers it */
	return u;
}

/* A batch writes every document, then the index once; nothing added
 * writes nothing; a failure at any step leaves the previous catalog. */
static void
test_batch(void **state)
{
	static const char *const ids[] = {
	        "11111111-1111-8111-8111-111111111111",
	        "22222222-2222-8222-8222-222222222222", ID1};
	struct catalog_batch *b = NULL;
	struct catalog_index *idx = NULL;
	int64_t before;
	struct err e;
	int step, rc;

	(void)state;
	assert_int_equal(catalog_load(&idx, cat, &e), SL_OK);
	before = idx->version;
	catalog_index_free(idx);
	/* Nothing added: no new index. */
	assert_int_equal(catalog_batch_begin(&b, cat, &e), SL_OK);
	assert_true(catalog_batch_has(b, ID1));
	assert_false(catalog_batch_has(b, ids[0]));
	assert_int_equal(catalog_batch_commit(b, 0, &e), SL_OK);
	catalog_batch_free(b);
	assert_int_equal(catalog_load(&idx, cat, &e), SL_OK);
	assert_int_equal(idx->version, before);
	catalog_index_free(idx);
	for (step = 1;; step++) {
		assert_int_equal(catalog_batch_begin(&b, cat, &e), SL_OK);
		fsx_inject_failure(step);
		rc = SL_OK;
		for (size_t i = 0; i < 3 && rc == SL_OK; i++) {
			struct update *u = make_update(ids[i], "batch");
			rc = catalog_batch_add(b, u, &e);
			update_free(u);
		}
		if (rc == SL_OK) {
			assert_int_equal(catalog_batch_count(b), 3);
			rc = catalog_batch_commit(b, 0, &e);
		}
		fsx_inject_failure(0);
		catalog_batch_free(b);
		if (rc != SL_OK) {
			assert_int_equal(rc, SL_EIO);
			assert_non_null(strstr(e.msg, "injected failure"));
		}
		assert_int_equal(catalog_load(&idx, cat, &e), SL_OK);
		bool published = catalog_index_latest(idx, ids[0]) != NULL;
		assert_int_equal(idx->version, before + (published ? 1 : 0));
		if (published) {
			/* A new revision of an existing id, numbered on. */
			assert_int_equal(
			        catalog_index_latest(idx, ID1)->revision, 2);
			assert_int_equal(idx->n, 4);
		} else {
			assert_int_equal(idx->n, 1);
		}
		catalog_index_free(idx);
		assert_int_equal(verify_at(time(NULL)), 0);
		if (published)
			break;
	}
	assert_true(step >= 4); /* 3 documents, then the index */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_init_refuses_existing,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(test_new_revision_keeps_old,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(
	                test_invalid_definition_leaves_catalog, setup,
	                teardown),
	        cmocka_unit_test_setup_teardown(test_verify_flipped_file_byte,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(
	                test_verify_flipped_document_byte, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_verify_wrong_signature,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(test_verify_expired_index,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(test_verify_rollback, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_index_forms, setup,
	                                        teardown),
	        cmocka_unit_test(test_index_entry_forms),
	        cmocka_unit_test_setup_teardown(test_expire_update, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(
	                test_add_interrupted_at_each_step, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_add_checks_verify_reports,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(test_batch, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
