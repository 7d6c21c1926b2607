/*
 * Unit tests for sluiced's sync: a real catalog made with catalog_add()
 * served over file://, a real SQLite database. First sync, incremental
 * second sync, revisions, expiry, filters, the three storage modes, and
 * the refusals (tampered document, rollback, expired index, untrusted
 * key) that must import nothing and be recorded in sync_history; with
 * upstream.trusted_root, key rotation and the origin's key list and
 * timestamp refusals (rolled back, expired, missing, another index).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "catalog.h"
#include "config.h"
#include "fetch.h"
#include "fsx.h"
#include "httpc.h"
#include "db_fixture.h"
#include "server_fixture.h"
#include "sync.h"
#include "update.h"

#define ID1 "0b8f5a52-3c1e-4d8e-9a55-6f0e3c7d1a01"
#define ID2 "7c2d9e14-55aa-4b0c-8f61-1e2d3c4b5a69"

static char tmp[64], cat[128], pub[192], url[256], dbtmp[128], dbpath[512],
        content[192];
static struct server_config cfg;
static struct store *db;

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

/* Add (a revision of) an update with one file whose content is body. */
static void
add_update(const char *id, const char *title, const char *product,
           const char *body)
{
	char text[1024], def[256], file[256];
	char *files[] = {file};
	struct err e;

	snprintf(text, sizeof(text),
	         "{\"id\":\"%s\",\"title\":\"%s\",\"classification\":"
	         "\"security\",\"product\":\"%s\",\"kb_article\":\"KB1\","
	         "\"release_date\":\"2026-11-01\",\"applicability\":{"
	         "\"is_installed\":{\"type\":\"false\"},\"is_installable\":"
	         "{\"type\":\"true\"}},\"install\":{\"handler\":\"script\","
	         "\"arguments\":[\"fix.sh\"]}}",
	         id, title, product);
	write_text("def.json", text);
	write_text("fix.sh", body);
	snprintf(def, sizeof(def), "%s/def.json", tmp);
	snprintf(file, sizeof(file), "%s/fix.sh", tmp);
	assert_int_equal(catalog_add(cat, def, files, 1, 0, NULL, &e), SL_OK);
}

static int
setup(void **state)
{
	int64_t last;
	char p[256];
	struct err e;

	(void)state;
	snprintf(tmp, sizeof(tmp), "/tmp/sluice-sync-XXXXXX");
	assert_non_null(mkdtemp(tmp));
	snprintf(cat, sizeof(cat), "%s/cat", tmp);
	snprintf(pub, sizeof(pub), "%s/public", cat);
	snprintf(dbtmp, sizeof(dbtmp), "%s/sluice.db", tmp);
	/* The jobs open their own connections to cfg.db_path. */
	snprintf(dbpath, sizeof(dbpath), "%s", fixture_db_target(dbtmp));
	snprintf(content, sizeof(content), "%s/content", tmp);
	assert_int_equal(catalog_init(cat, &e), SL_OK);
	add_update(ID1, "First fix", "demo", "echo one\n");
	add_update(ID2, "Second fix", "other", "echo two\n");
	/* No trailing slash: sync must add one. */
	snprintf(url, sizeof(url), "file://%s", pub);
	memset(&cfg, 0, sizeof(cfg));
	assert_int_equal(catalog_local_trust(cat, p, sizeof(p),
	                                     &cfg.trusted_keys, &last, &e),
	                 SL_OK);
	cfg.upstream_url = url;
	cfg.db_path = dbpath;
	cfg.content_dir = content;
	cfg.storage_mode = STORAGE_FULL;
	assert_int_equal(store_open(&db, dbpath, &e), SL_OK);
	return 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	store_close(db);
	db = NULL;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
	return system(cmd);
}

static long long
q(const char *sql)
{
	return fixture_int(db, sql);
}

static const char *
qs(const char *sql)
{
	return fixture_text(db, sql);
}

static void
sync_ok(struct sync_result *r)
{
	struct err e;
	int rc;

	err_clear(&e);
	rc = sync_run(db, &cfg, r, &e);
	if (rc != SL_OK)
		fail_msg("sync failed: %s", e.msg);
}

static void
test_first_then_nothing(void **state)
{
	struct sync_result r;
	char want[512];

	(void)state;
	sync_ok(&r);
	assert_int_equal(r.new_count, 2);
	assert_int_equal(r.revised_count, 0);
	assert_int_equal(r.expired_count, 0);
	assert_int_equal(r.files_wanted, 2);
	assert_int_equal(r.index_version, 3);
	assert_int_equal(q("SELECT COUNT(*) FROM updates"), 2);
	assert_int_equal(q("SELECT COUNT(*) FROM content WHERE state = "
	                   "'wanted'"),
	                 2);
	assert_string_equal(qs("SELECT value FROM meta WHERE key = "
	                       "'upstream_index_version'"),
	                    "3");
	assert_string_equal(qs("SELECT result FROM sync_history"), "success");
	assert_int_equal(q("SELECT new_count FROM sync_history"), 2);
	assert_int_equal(q("SELECT index_version FROM sync_history"), 3);
	assert_true(q("SELECT finished_at FROM sync_history") > 0);
	/* File URLs are absolute, resolved against the index URL. */
	snprintf(want, sizeof(want), "file://%s/content/", pub);
	assert_int_equal(strncmp(qs("SELECT upstream_url FROM update_files "
	                            "WHERE update_id = '" ID1 "'"),
	                         want, strlen(want)),
	                 0);
	/* The document is stored verbatim: its hash is the index's. */
	assert_string_equal(
	        qs("SELECT title FROM updates WHERE id = '" ID1 "'"),
	        "First fix");
	assert_true(q("SELECT COUNT(*) FROM update_status WHERE change_seq > "
	              "0") == 2);

	sync_ok(&r);
	assert_int_equal(r.new_count, 0);
	assert_int_equal(r.revised_count, 0);
	assert_int_equal(r.expired_count, 0);
	assert_int_equal(r.files_wanted, 0);
	assert_int_equal(q("SELECT COUNT(*) FROM updates"), 2);
	assert_int_equal(q("SELECT COUNT(*) FROM sync_history WHERE result = "
	                   "'success'"),
	                 2);
}

static void
test_revision_and_expiry(void **state)
{
	struct sync_result r;
	long long seq, ukey;
	struct err e;

	(void)state;
	sync_ok(&r);
	seq = q("SELECT change_seq FROM update_status WHERE id = '" ID1 "'");
	/* Every update has its own key, 1 up, whatever gives it (the insert
	 * on SQLite, the identity column on PostgreSQL). */
	ukey = q("SELECT ukey FROM update_status WHERE id = '" ID1 "'");
	assert_int_equal(q("SELECT COUNT(DISTINCT ukey) FROM update_status"),
	                 q("SELECT COUNT(*) FROM update_status"));
	assert_int_equal(q("SELECT MIN(ukey) FROM update_status"), 1);
	assert_int_equal(q("SELECT MAX(ukey) FROM update_status"),
	                 q("SELECT COUNT(*) FROM update_status"));
	add_update(ID1, "First fix, take two", "demo", "echo one v2\n");
	sync_ok(&r);
	assert_int_equal(r.new_count, 0);
	assert_int_equal(r.revised_count, 1);
	assert_int_equal(r.files_wanted, 1);
	assert_int_equal(q("SELECT latest_revision FROM update_status WHERE "
	                   "id = '" ID1 "'"),
	                 2);
	assert_true(q("SELECT change_seq FROM update_status WHERE id = '" ID1
	              "'") > seq);
	/* A new revision keeps the update's key. */
	assert_int_equal(
	        q("SELECT ukey FROM update_status WHERE id = '" ID1 "'"), ukey);
	assert_int_equal(q("SELECT COUNT(*) FROM updates WHERE id = '" ID1 "'"),
	                 2);

	assert_int_equal(catalog_expire(cat, ID2, 0, &e), SL_OK);
	sync_ok(&r);
	assert_int_equal(r.expired_count, 1);
	assert_int_equal(
	        q("SELECT expired FROM update_status WHERE id = '" ID2 "'"), 1);
	sync_ok(&r);
	assert_int_equal(r.expired_count, 0);
	assert_int_equal(q("SELECT expired_count FROM sync_history ORDER BY "
	                   "id DESC LIMIT 1 OFFSET 1"),
	                 1);
}

static void
test_filters(void **state)
{
	char *products[] = {"other", NULL};
	char *classes[] = {"feature", NULL};
	struct sync_result r;

	(void)state;
	cfg.products = products;
	sync_ok(&r);
	cfg.products = NULL;
	assert_int_equal(r.new_count, 1);
	assert_string_equal(qs("SELECT id FROM updates"), ID2);

	cfg.classifications = classes;
	add_update(ID1, "First fix again", "demo", "echo x\n");
	sync_ok(&r);
	cfg.classifications = NULL;
	assert_int_equal(r.new_count, 0);
	assert_int_equal(q("SELECT COUNT(*) FROM updates"), 1);
}

static void
test_modes(void **state)
{
	struct fetch_stats fs;
	struct sync_result r;
	struct err e;
	char path[512];
	const char *sha;

	(void)state;
	cfg.storage_mode = STORAGE_NONE;
	sync_ok(&r);
	assert_int_equal(r.new_count, 2);
	assert_int_equal(r.files_wanted, 0);
	assert_int_equal(q("SELECT COUNT(*) FROM content"), 0);

	/* on-approval: nothing until an approval exists; an explicit
	 * "not approved" wants nothing either. */
	cfg.storage_mode = STORAGE_ON_APPROVAL;
	sync_ok(&r);
	assert_int_equal(q("SELECT COUNT(*) FROM content"), 0);
	assert_int_equal(db_exec(fixture_db(db),
	                         "INSERT INTO approvals(update_id, "
	                         "group_id, action, approved_at, "
	                         "change_seq) VALUES('" ID2
	                         "', 1, 'not-approved', 1, 1)",
	                         &e),
	                 SL_OK);
	sync_ok(&r);
	assert_int_equal(r.files_wanted, 0);
	assert_int_equal(q("SELECT COUNT(*) FROM content"), 0);
	assert_int_equal(db_exec(fixture_db(db),
	                         "INSERT INTO groups(name) "
	                         "VALUES('test-group') "
	                         "ON CONFLICT DO NOTHING;"
	                         "INSERT INTO approvals(update_id, "
	                         "group_id, action, approved_at, "
	                         "change_seq) SELECT '" ID1
	                         "', id, 'install', 1, 1 FROM groups "
	                         "WHERE name = 'test-group'",
	                         &e),
	                 SL_OK);
	assert_int_equal(fetch_mark_wanted_for_update(db, ID1, &e), SL_OK);
	assert_int_equal(q("SELECT COUNT(*) FROM content WHERE state = "
	                   "'wanted'"),
	                 1);
	assert_int_equal(fetch_run_once(&fs, db, &cfg, &e), SL_OK);
	assert_int_equal(fs.downloaded, 1);
	assert_int_equal(fs.failed, 0);
	sha = qs("SELECT sha256 FROM update_files WHERE update_id = '" ID1 "'");
	snprintf(path, sizeof(path), "%s/%.2s/%s", content, sha, sha);
	assert_true(fsx_exists(path));
	assert_string_equal(qs("SELECT state FROM content"), "present");

	/* A new revision of the approved update is wanted at sync. */
	add_update(ID1, "First fix v2", "demo", "echo one v2\n");
	sync_ok(&r);
	assert_int_equal(r.revised_count, 1);
	assert_int_equal(r.files_wanted, 1);

	/* Unknown update. */
	assert_int_equal(
	        fetch_mark_wanted_for_update(
	                db, "00000000-0000-4000-8000-000000000000", &e),
	        SL_ENOTFOUND);
	assert_string_equal(e.msg, "update 00000000-0000-4000-8000-000000000000"
	                           ": not found");

	/* full: every file of every current revision. */
	cfg.storage_mode = STORAGE_FULL;
	sync_ok(&r);
	assert_int_equal(r.files_wanted, 1); /* ID2's file */
	assert_int_equal(fetch_run_once(&fs, db, &cfg, &e), SL_OK);
	assert_int_equal(fs.downloaded, 2);
	assert_int_equal(q("SELECT COUNT(*) FROM content WHERE state = "
	                   "'present'"),
	                 3);
}

/* The refusal must leave the database as it was and be recorded. */
static void
assert_refused(int want_rc, const char *want_msg_part, long long updates)
{
	struct sync_result r;
	struct err e;
	int rc;

	err_clear(&e);
	rc = sync_run(db, &cfg, &r, &e);
	assert_int_equal(rc, want_rc);
	if (strstr(e.msg, want_msg_part) == NULL)
		fail_msg("message \"%s\" lacks \"%s\"", e.msg, want_msg_part);
	assert_int_equal(strncmp(e.msg, "sync: ", 6), 0);
	assert_int_equal(q("SELECT COUNT(*) FROM updates"), updates);
	assert_string_equal(qs("SELECT result FROM sync_history ORDER BY id "
	                       "DESC LIMIT 1"),
	                    "failure");
	/* The history keeps the message without the "sync: " prefix. */
	assert_string_equal(qs("SELECT error FROM sync_history ORDER BY id "
	                       "DESC LIMIT 1"),
	                    e.msg + 6);
	assert_true(r.history_id > 0);
}

static void
copy_file(const char *src, const char *dst)
{
	char *text;
	size_t len;
	struct err e;

	assert_int_equal(fsx_read(src, 1 << 24, &text, &len, &e), SL_OK);
	assert_int_equal(fsx_write_atomic(dst, text, len, 0644, &e), SL_OK);
	free(text);
}

static void
test_tampered_document(void **state)
{
	char doc[512], *text;
	struct sync_result r;
	size_t len;
	struct err e;

	(void)state;
	sync_ok(&r);
	add_update(ID1, "First fix v2", "demo", "echo one v2\n");
	add_update(ID2, "Second fix v2", "other", "echo two v2\n");
	/* Change one byte of ID2's new document: its hash no longer
	 * matches the signed index. ID1 v2 verifies but must not be
	 * imported either (all or nothing). */
	snprintf(doc, sizeof(doc), "%s/updates/%s/2.json", pub, ID2);
	assert_int_equal(fsx_read(doc, 1 << 20, &text, &len, &e), SL_OK);
	char *p = strstr(text, "Second fix v2");
	assert_non_null(p);
	p[0] = 'X';
	assert_int_equal(fsx_write_atomic(doc, text, len, 0644, &e), SL_OK);
	free(text);
	assert_refused(SL_EVERIFY, "does not match the index", 2);
	assert_int_equal(q("SELECT latest_revision FROM update_status WHERE "
	                   "id = '" ID1 "'"),
	                 1);
	assert_string_equal(qs("SELECT value FROM meta WHERE key = "
	                       "'upstream_index_version'"),
	                    "3");
	assert_int_equal(q("SELECT COUNT(*) FROM update_files"), 2);
	assert_int_equal(q("SELECT COUNT(*) FROM content"), 2);
}

/* Updates more than a batch holds (sync_batch.h: 500 documents). */
#define MANY  520
#define SHA_A "aa00000000000000000000000000000000000000000000000000000000000000"

static void
many_id(char *out, size_t n, int i)
{
	snprintf(out, n, "%08x-0000-4000-8000-%012x", (unsigned)i, (unsigned)i);
}

/* MANY updates in one go (the catalog's batch API: one index write). */
static void
add_many(void)
{
	struct catalog_batch *b = NULL;
	char id[40], text[2048];
	struct err e;

	assert_int_equal(catalog_batch_begin(&b, cat, &e), SL_OK);
	for (int i = 0; i < MANY; i++) {
		struct update *u = NULL;
		json_t *def;

		many_id(id, sizeof(id), i);
		snprintf(text, sizeof(text),
		         "{\"id\":\"%s\",\"revision\":1,\"title\":\"Fix %d\","
		         "\"classification\":\"security\",\"product\":"
		         "\"demo\",\"release_date\":\"2026-11-01\","
		         "\"applicability\":{\"is_installed\":{\"type\":"
		         "\"false\"},\"is_installable\":{\"type\":\"true\"}},"
		         "\"install\":{\"handler\":\"script\",\"arguments\":"
		         "[\"fix.sh\"]},\"files\":[{\"name\":\"fix.sh\","
		         "\"sha256\":\"%s\",\"size\":9,\"url\":"
		         "\"content/aa/%s\"}]}",
		         id, i, SHA_A, SHA_A);
		assert_non_null(def = json_loads(text, 0, NULL));
		if (update_from_json(&u, def, &e) != SL_OK)
			fail_msg("update %d: %s", i, e.msg);
		json_decref(def);
		if (catalog_batch_add(b, u, &e) != SL_OK)
			fail_msg("update %d: %s", i, e.msg);
		update_free(u);
	}
	assert_int_equal(catalog_batch_commit(b, 0, &e), SL_OK);
	catalog_batch_free(b);
}

/* A document refused in the second batch: the first batch (verified
 * documents) stays, nothing of the refused one is stored, the index
 * version is not recorded; the next sync fetches only the rest. */
static void
test_batches_resume(void **state)
{
	char doc[512], id[40], *text, *p;
	struct sync_result r;
	size_t len;
	struct err e;

	(void)state;
	add_many();
	many_id(id, sizeof(id), 510);
	snprintf(doc, sizeof(doc), "%s/updates/%s/1.json", pub, id);
	assert_int_equal(fsx_read(doc, 1 << 20, &text, &len, &e), SL_OK);
	assert_non_null(p = strstr(text, "Fix 510"));
	p[0] = 'X';
	assert_int_equal(fsx_write_atomic(doc, text, len, 0644, &e), SL_OK);
	assert_refused(SL_EVERIFY, "does not match the index", 500);
	assert_non_null(strstr(qs("SELECT error FROM sync_history ORDER BY id "
	                          "DESC LIMIT 1"),
	                       "upstream document: updates/"));
	assert_int_equal(q("SELECT new_count FROM sync_history ORDER BY id "
	                   "DESC LIMIT 1"),
	                 500);
	assert_int_equal(q("SELECT COUNT(*) FROM update_status"), 500);
	assert_int_equal(q("SELECT COUNT(*) FROM updates WHERE id >= "
	                   "'000001f4'"),
	                 0);
	assert_int_equal(q("SELECT COUNT(*) FROM meta WHERE key = "
	                   "'upstream_index_version'"),
	                 0);
	/* Put the signed document back: the sync goes on from there. */
	p[0] = 'F';
	assert_int_equal(fsx_write_atomic(doc, text, len, 0644, &e), SL_OK);
	free(text);
	sync_ok(&r);
	assert_int_equal(r.new_count, MANY - 500 + 2);
	assert_int_equal(q("SELECT COUNT(*) FROM updates"), MANY + 2);
	assert_int_equal(q("SELECT COUNT(*) FROM update_status"), MANY + 2);
	sync_ok(&r);
	assert_int_equal(r.new_count, 0);
}

static void
test_rollback(void **state)
{
	char idx[256], saved[256];
	struct sync_result r;

	(void)state;
	snprintf(idx, sizeof(idx), "%s/index.json", pub);
	snprintf(saved, sizeof(saved), "%s/old-index.json", tmp);
	copy_file(idx, saved);
	add_update(ID1, "First fix v2", "demo", "echo one v2\n");
	sync_ok(&r);
	assert_int_equal(r.index_version, 4);
	copy_file(saved, idx);
	assert_refused(SL_EROLLBACK, "version 3 is older than version 4", 2);
	assert_int_equal(q("SELECT latest_revision FROM update_status WHERE "
	                   "id = '" ID1 "'"),
	                 2);
}

static void
test_untrusted_key(void **state)
{
	struct sign_key other;
	struct err e;

	(void)state;
	assert_int_equal(sign_key_generate(&other, &e), SL_OK);
	memset(&cfg.trusted_keys, 0, sizeof(cfg.trusted_keys));
	assert_int_equal(sign_keyring_add(&cfg.trusted_keys, &other, &e),
	                 SL_OK);
	assert_refused(SL_EVERIFY, "sync: upstream: index: ", 0);
	assert_int_equal(q("SELECT COUNT(*) FROM update_status"), 0);
}

/* Re-sign the index with the catalog's key but an expiry in the past. */
static void
test_expired_index(void **state)
{
	char path[256], idx[256], *text, *out;
	struct sign_key k;
	json_t *env, *doc, *nenv;
	size_t len;
	struct err e;

	(void)state;
	snprintf(path, sizeof(path), "%s/private/signing.key", cat);
	assert_int_equal(sign_key_load(&k, path, &e), SL_OK);
	snprintf(idx, sizeof(idx), "%s/index.json", pub);
	assert_int_equal(fsx_read(idx, 1 << 24, &text, &len, &e), SL_OK);
	assert_non_null(env = json_loadb(text, len, 0, NULL));
	free(text);
	assert_non_null(doc = json_deep_copy(json_object_get(env, "signed")));
	json_object_set_new(doc, "expires",
	                    json_string("2020-01-01T00:00:00Z"));
	assert_int_equal(sign_envelope(&nenv, doc, &k, &e), SL_OK);
	assert_non_null(out = json_dumps(nenv, JSON_COMPACT));
	assert_int_equal(fsx_write_atomic(idx, out, strlen(out), 0644, &e),
	                 SL_OK);
	free(out);
	json_decref(nenv);
	json_decref(doc);
	json_decref(env);
	assert_refused(SL_EEXPIRED, "index: expired at 2020-01-01T00:00:00Z",
	               0);
}

static void
test_unreachable_and_interrupted(void **state)
{
	char bad[300];
	int n = -1;
	struct err e;

	(void)state;
	snprintf(bad, sizeof(bad), "file://%s/nowhere/", tmp);
	cfg.upstream_url = bad;
	assert_refused(SL_ENOTFOUND, "upstream index: ", 0);
	cfg.upstream_url = url;

	assert_int_equal(db_exec(fixture_db(db),
	                         "INSERT INTO sync_history(started_at, "
	                         "result) VALUES(1, 'running')",
	                         &e),
	                 SL_OK);
	assert_int_equal(sync_mark_interrupted(db, &n, &e), SL_OK);
	assert_int_equal(n, 1);
	assert_int_equal(q("SELECT COUNT(*) FROM sync_history WHERE result = "
	                   "'running'"),
	                 0);
}

/* The server trusts the catalog's root key only. */
static void
trust_root(void)
{
	char path[256];
	struct err e;

	snprintf(path, sizeof(path), "%s/root.pub", pub);
	memset(&cfg.trusted_keys, 0, sizeof(cfg.trusted_keys));
	memset(&cfg.trusted_root, 0, sizeof(cfg.trusted_root));
	assert_int_equal(sign_keyring_add_file(&cfg.trusted_root, path, &e),
	                 SL_OK);
}

/* Re-sign pub/NAME's signed document with KEY after fn changed it. */
static void
resign(const char *name, const char *key, void (*fn)(json_t *doc))
{
	char path[256], kpath[256], *text, *out;
	struct sign_key k;
	json_t *env, *doc, *nenv;
	size_t len;
	struct err e;

	snprintf(kpath, sizeof(kpath), "%s/private/%s", cat, key);
	assert_int_equal(sign_key_load(&k, kpath, &e), SL_OK);
	snprintf(path, sizeof(path), "%s/%s", pub, name);
	assert_int_equal(fsx_read(path, 1 << 24, &text, &len, &e), SL_OK);
	assert_non_null(env = json_loadb(text, len, 0, NULL));
	free(text);
	assert_non_null(doc = json_deep_copy(json_object_get(env, "signed")));
	fn(doc);
	assert_int_equal(sign_envelope(&nenv, doc, &k, &e), SL_OK);
	assert_non_null(out = json_dumps(nenv, JSON_COMPACT));
	assert_int_equal(fsx_write_atomic(path, out, strlen(out), 0644, &e),
	                 SL_OK);
	free(out);
	json_decref(nenv);
	json_decref(doc);
	json_decref(env);
}

static void
expire_doc(json_t *doc)
{
	json_object_set_new(doc, "expires",
	                    json_string("2020-01-01T00:00:00Z"));
	json_object_set_new(doc, "version", json_integer(99));
}

static void
other_index(json_t *doc)
{
	json_object_set_new(json_object_get(doc, "index"), "sha256",
	                    json_string("00000000000000000000000000000000000"
	                                "00000000000000000000000000000"));
	json_object_set_new(doc, "version", json_integer(99));
}

static void
test_root_rotation(void **state)
{
	char keys[256], saved[256], newid[SIGN_KEYID_LEN + 1];
	struct sync_result r;
	struct err e;

	(void)state;
	trust_root();
	sync_ok(&r);
	assert_int_equal(r.new_count, 2);
	assert_string_equal(qs("SELECT value FROM meta WHERE key = "
	                       "'upstream_keys_version'"),
	                    "1");
	/* A new signing key signs a new revision: accepted, no new config. */
	snprintf(keys, sizeof(keys), "%s/keys.json", pub);
	snprintf(saved, sizeof(saved), "%s/old-keys.json", tmp);
	copy_file(keys, saved);
	assert_int_equal(catalog_rotate(cat, newid, &e), SL_OK);
	add_update(ID1, "First fix v2", "demo", "echo one v2\n");
	sync_ok(&r);
	assert_int_equal(r.revised_count, 1);
	assert_string_equal(qs("SELECT value FROM meta WHERE key = "
	                       "'upstream_keys_version'"),
	                    "2");
	/* The older key list again: refused. */
	copy_file(saved, keys);
	assert_refused(SL_EROLLBACK,
	               "sync: upstream: key list: version 1 is older than "
	               "version 2 already seen (rollback refused)",
	               3);
}

static void
test_root_timestamp(void **state)
{
	char ts[256];
	struct sync_result r;

	(void)state;
	trust_root();
	resign("timestamp.json", "signing.key", expire_doc);
	assert_refused(SL_EEXPIRED,
	               "sync: upstream: timestamp: expired at "
	               "2020-01-01T00:00:00Z",
	               0);
	assert_int_equal(catalog_timestamp(cat, 0, NULL), SL_OK);
	resign("timestamp.json", "signing.key", other_index);
	assert_refused(SL_EVERIFY, "sync: upstream: index: SHA-256 ", 0);
	assert_refused(SL_EVERIFY, " does not match the timestamp's", 0);
	/* Signed by the root key, which is no signing key: refused. */
	assert_int_equal(catalog_timestamp(cat, 0, NULL), SL_OK);
	resign("timestamp.json", "root.key", expire_doc);
	assert_refused(SL_EVERIFY,
	               "sync: upstream: timestamp: no signature by a trusted "
	               "key",
	               0);
	snprintf(ts, sizeof(ts), "%s/timestamp.json", pub);
	assert_int_equal(unlink(ts), 0);
	assert_refused(SL_ENOTFOUND,
	               "sync: upstream: timestamp: the upstream publishes "
	               "none (upstream.trusted_root is set)",
	               0);
	assert_int_equal(catalog_timestamp(cat, 0, NULL), SL_OK);
	sync_ok(&r);
	assert_int_equal(r.new_count, 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_first_then_nothing, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_revision_and_expiry, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_filters, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_modes, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_batches_resume, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_tampered_document, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_rollback, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_untrusted_key, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_expired_index, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(
	                test_unreachable_and_interrupted, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_root_rotation, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_root_timestamp, setup,
	                                        teardown),
	};
	struct err e;

	if (httpc_global_init(&e) != SL_OK)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
