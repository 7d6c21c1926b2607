/* Unit tests for trust: the root-signed key list, the timestamp, the
 * signature threshold, and the catalog's root / rotate / revoke tools. */
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
#include "fsx.h"
#include "trust.h"

#define NOW 1795000000LL

static char tmpdir[64];
static struct sign_key root, k1, k2, k3;

static int
setup(void **state)
{
	struct err e;

	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/sluice-trust-XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	assert_int_equal(sign_key_generate(&root, &e), SL_OK);
	assert_int_equal(sign_key_generate(&k1, &e), SL_OK);
	assert_int_equal(sign_key_generate(&k2, &e), SL_OK);
	assert_int_equal(sign_key_generate(&k3, &e), SL_OK);
	return 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	return system(cmd);
}

/* env as text (free()). */
static char *
text_of(json_t *env)
{
	char *t = json_dumps(env, JSON_COMPACT);

	assert_non_null(t);
	json_decref(env);
	return t;
}

static void
ring(struct sign_keyring *kr, const struct sign_key *a,
     const struct sign_key *b)
{
	struct err e;

	memset(kr, 0, sizeof(*kr));
	assert_int_equal(sign_keyring_add(kr, a, &e), SL_OK);
	if (b != NULL)
		assert_int_equal(sign_keyring_add(kr, b, &e), SL_OK);
}

static char *
keys_text(const struct sign_keyring *kr, int64_t version, long long expires,
          const struct sign_key *signer)
{
	json_t *env;
	struct err e;

	assert_int_equal(trust_keys_sign(&env, kr, version, NOW - 10, expires,
	                                 signer, &e),
	                 SL_OK);
	return text_of(env);
}

static void
test_keys_list(void **state)
{
	struct sign_keyring listed, rootkr, other;
	struct trust_keys tk;
	struct err e;
	char *t;

	(void)state;
	ring(&listed, &k1, &k2);
	ring(&rootkr, &root, NULL);
	ring(&other, &k3, NULL);
	t = keys_text(&listed, 4, NOW + 100, &root);
	assert_int_equal(
	        trust_keys_parse(&tk, t, strlen(t), &rootkr, NOW, 4, &e),
	        SL_OK);
	assert_int_equal(tk.version, 4);
	assert_int_equal(tk.kr.n, 2);
	assert_int_equal(tk.kr.threshold, 1);
	assert_string_equal(tk.kr.keys[1].keyid, k2.keyid);
	assert_false(tk.kr.keys[0].has_secret);

	/* Rolled back, expired, signed by another key. */
	assert_int_equal(
	        trust_keys_parse(&tk, t, strlen(t), &rootkr, NOW, 5, &e),
	        SL_EROLLBACK);
	assert_string_equal(e.msg, "key list: version 4 is older than version "
	                           "5 already seen (rollback refused)");
	assert_int_equal(
	        trust_keys_parse(&tk, t, strlen(t), &rootkr, NOW + 100, 0, &e),
	        SL_EEXPIRED);
	assert_string_equal(e.msg, "key list: expired at 2026-11-18T11:08:20Z");
	assert_int_equal(
	        trust_keys_parse(&tk, t, strlen(t), &other, NOW, 0, &e),
	        SL_EVERIFY);
	assert_string_equal(e.msg, "key list: no signature by a trusted key");
	free(t);

	/* A list signed by a signing key, not the root: refused. */
	t = keys_text(&listed, 5, NOW + 100, &k1);
	assert_int_equal(
	        trust_keys_parse(&tk, t, strlen(t), &rootkr, NOW, 0, &e),
	        SL_EVERIFY);
	free(t);

	/* A threshold above the number of keys. */
	listed.threshold = 3;
	t = keys_text(&listed, 6, NOW + 100, &root);
	assert_int_equal(
	        trust_keys_parse(&tk, t, strlen(t), &rootkr, NOW, 0, &e),
	        SL_EINVAL);
	assert_string_equal(e.msg, "key list: threshold: expected an integer "
	                           "from 1 to 2");
	free(t);
	assert_int_equal(trust_keys_parse(&tk, "{", 1, &rootkr, NOW, 0, &e),
	                 SL_EPARSE);
	assert_string_equal(e.msg, "key list: line 1 column 1: string or '}' "
	                           "expected near end of file");
}

static void
test_keys_bad_keyid(void **state)
{
	const char *doc = "{\"type\":\"sluice-catalog-keys\",\"version\":1,"
	                  "\"created\":\"2026-01-01T00:00:00Z\","
	                  "\"expires\":\"2036-01-01T00:00:00Z\","
	                  "\"threshold\":1,\"keys\":[{\"keyid\":"
	                  "\"0000000000000000\",\"public\":\"%s\"}]}";
	struct sign_keyring rootkr;
	struct trust_keys tk;
	char hex[65], buf[512];
	json_t *d, *env;
	struct err e;
	char *t;

	(void)state;
	ring(&rootkr, &root, NULL);
	sign_key_public_hex(&k1, hex);
	snprintf(buf, sizeof(buf), doc, hex);
	assert_non_null(d = json_loads(buf, 0, NULL));
	assert_int_equal(sign_envelope(&env, d, &root, &e), SL_OK);
	json_decref(d);
	t = text_of(env);
	assert_int_equal(
	        trust_keys_parse(&tk, t, strlen(t), &rootkr, NOW, 0, &e),
	        SL_EINVAL);
	snprintf(buf, sizeof(buf),
	         "key list: keys[0].keyid: expected %s (the id of its public "
	         "key)",
	         k1.keyid);
	assert_string_equal(e.msg, buf);
	free(t);
}

static void
test_timestamp(void **state)
{
	struct sign_keyring kr, other;
	struct trust_timestamp ts;
	const char *sha = "382d14a86e171dea5cd772bf5d385257a20d70184954f50136"
	                  "fc2f8976701c50";
	json_t *env;
	struct err e;
	char *t;

	(void)state;
	ring(&kr, &k1, &k2);
	ring(&other, &k3, NULL);
	assert_int_equal(trust_timestamp_sign(&env, 9, NOW - 5, NOW + 60, 7,
	                                      sha, 1136, &k2, &e),
	                 SL_OK);
	t = text_of(env);
	assert_int_equal(
	        trust_timestamp_parse(&ts, t, strlen(t), &kr, NOW, 9, &e),
	        SL_OK);
	assert_int_equal(ts.version, 9);
	assert_int_equal(ts.index_version, 7);
	assert_int_equal(ts.index_size, 1136);
	assert_string_equal(ts.index_sha256, sha);
	assert_int_equal(ts.expires, NOW + 60);

	assert_int_equal(
	        trust_timestamp_parse(&ts, t, strlen(t), &kr, NOW + 60, 0, &e),
	        SL_EEXPIRED);
	assert_string_equal(e.msg,
	                    "timestamp: expired at 2026-11-18T11:07:40Z");
	assert_int_equal(
	        trust_timestamp_parse(&ts, t, strlen(t), &kr, NOW, 10, &e),
	        SL_EROLLBACK);
	assert_string_equal(e.msg, "timestamp: version 9 is older than "
	                           "version 10 already seen (rollback "
	                           "refused)");
	/* Signed by a key that is not (any more) in the list. */
	assert_int_equal(
	        trust_timestamp_parse(&ts, t, strlen(t), &other, NOW, 0, &e),
	        SL_EVERIFY);
	assert_string_equal(e.msg, "timestamp: no signature by a trusted key");
	free(t);

	/* A key list is not a timestamp. */
	t = keys_text(&kr, 1, NOW + 100, &k1);
	assert_int_equal(
	        trust_timestamp_parse(&ts, t, strlen(t), &kr, NOW, 0, &e),
	        SL_EINVAL);
	assert_string_equal(e.msg, "timestamp: type: expected "
	                           "\"sluice-catalog-timestamp\"");
	free(t);
}

static void
test_threshold(void **state)
{
	struct sign_keyring kr;
	json_t *doc = json_pack("{s:s}", "a", "b"), *env, *env2, *sigs;
	struct err e;

	(void)state;
	ring(&kr, &k1, &k2);
	kr.threshold = 2;
	assert_int_equal(sign_envelope(&env, doc, &k1, &e), SL_OK);
	assert_int_equal(sign_envelope_verify(env, &kr, NULL, &e), SL_EVERIFY);
	assert_string_equal(e.msg, "signed by 1 trusted key, 2 required");
	/* The same signature twice counts once. */
	sigs = json_object_get(env, "signatures");
	json_array_append(sigs, json_array_get(sigs, 0));
	assert_int_equal(sign_envelope_verify(env, &kr, NULL, &e), SL_EVERIFY);
	assert_string_equal(e.msg, "signed by 1 trusted key, 2 required");
	/* A second key's signature reaches the threshold. */
	assert_int_equal(sign_envelope(&env2, doc, &k2, &e), SL_OK);
	json_array_append(
	        sigs, json_array_get(json_object_get(env2, "signatures"), 0));
	assert_int_equal(sign_envelope_verify(env, &kr, NULL, &e), SL_OK);
	json_decref(env2);
	json_decref(env);
	json_decref(doc);
}

static void
test_catalog_rotate_revoke(void **state)
{
	char dir[128], rootid[SIGN_KEYID_LEN + 1], newid[SIGN_KEYID_LEN + 1];
	char oldid[SIGN_KEYID_LEN + 1], pub[4096], msg[256];
	struct sign_keyring kr = {0};
	struct trust_keys tk;
	int64_t last;
	size_t n = 0;
	struct err e;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/cat", tmpdir);
	assert_int_equal(catalog_init(dir, &e), SL_OK);
	assert_int_equal(catalog_migrate(dir, rootid, &e), SL_EEXISTS);
	assert_int_equal(catalog_keys(&tk, dir, false, &e), SL_OK);
	assert_int_equal(tk.version, 1);
	assert_int_equal(tk.kr.n, 1);
	snprintf(oldid, sizeof(oldid), "%s", tk.kr.keys[0].keyid);

	assert_int_equal(catalog_revoke(dir, oldid, &e), SL_ECONFLICT);
	snprintf(msg, sizeof(msg),
	         "key %s is the current signing key: rotate first (`sluice "
	         "catalog rotate`)",
	         oldid);
	assert_string_equal(e.msg, msg);
	assert_int_equal(catalog_rotate(dir, newid, &e), SL_OK);
	assert_int_equal(catalog_keys(&tk, dir, false, &e), SL_OK);
	assert_int_equal(tk.version, 2);
	assert_int_equal(tk.kr.n, 2);
	assert_true(sign_keyring_has(&tk.kr, newid));
	assert_true(sign_keyring_has(&tk.kr, oldid));
	assert_int_equal(
	        catalog_local_trust(dir, pub, sizeof(pub), &kr, &last, &e),
	        SL_OK);
	assert_int_equal(catalog_verify(pub, &kr, (long long)time(NULL), last,
	                                NULL, NULL, &n, &e),
	                 SL_OK);
	assert_int_equal(catalog_revoke(dir, oldid, &e), SL_OK);
	assert_int_equal(catalog_keys(&tk, dir, false, &e), SL_OK);
	assert_int_equal(tk.version, 3);
	assert_int_equal(tk.kr.n, 1);
	assert_string_equal(tk.kr.keys[0].keyid, newid);
	assert_int_equal(catalog_revoke(dir, oldid, &e), SL_ENOTFOUND);
	snprintf(msg, sizeof(msg), "key %s is not in the key list", oldid);
	assert_string_equal(e.msg, msg);
	assert_int_equal(catalog_timestamp(dir, 60, &e), SL_OK);
}

/* A catalog made before root keys: migrate gives it one, once. */
static void
test_catalog_migrate(void **state)
{
	char dir[128], path[256], rootid[SIGN_KEYID_LEN + 1];
	struct trust_keys tk;
	struct err e;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/old", tmpdir);
	assert_int_equal(catalog_init(dir, &e), SL_OK);
	/* What an old catalog lacks. */
	snprintf(path, sizeof(path), "%s/private/root.key", dir);
	assert_int_equal(unlink(path), 0);
	snprintf(path, sizeof(path), "%s/public/keys.json", dir);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(catalog_rotate(dir, rootid, &e), SL_ENOTFOUND);
	snprintf(path, sizeof(path),
	         "%s/private/root.key: no root key (run `sluice catalog "
	         "migrate` first)",
	         dir);
	assert_string_equal(e.msg, path);
	assert_int_equal(catalog_migrate(dir, rootid, &e), SL_OK);
	assert_int_equal(catalog_keys(&tk, dir, false, &e), SL_OK);
	assert_int_equal(tk.kr.n, 1);
	assert_int_equal(catalog_migrate(dir, rootid, &e), SL_EEXISTS);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_keys_list),
	        cmocka_unit_test(test_keys_bad_keyid),
	        cmocka_unit_test(test_timestamp),
	        cmocka_unit_test(test_threshold),
	        cmocka_unit_test(test_catalog_rotate_revoke),
	        cmocka_unit_test(test_catalog_migrate),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
