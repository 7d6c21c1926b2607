/* Unit tests for sign: key files, canonical JSON, envelopes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sign.h"

static char tmpdir[64];

static int
setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/sluice-sign-XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
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

static void
test_canonical_form(void **state)
{
	json_t *v =
	        json_loads("{\"b\":[1,true,null],\"a\":\"x\\\"\\n\\u0001é\","
	                   "\"A\":{\"z\":1,\"y\":2}}",
	                   0, NULL);
	struct err e;
	char *out;
	size_t len;

	(void)state;
	assert_non_null(v);
	assert_int_equal(sign_canonical(&out, &len, v, &e), SL_OK);
	assert_string_equal(out, "{\"A\":{\"y\":2,\"z\":1},\"a\":\"x\\\"\\n"
	                         "\\u0001é\",\"b\":[1,true,null]}");
	assert_int_equal(len, strlen(out));
	free(out);
	json_decref(v);

	v = json_pack("{s:f}", "x", 1.5);
	assert_int_equal(sign_canonical(&out, &len, v, &e), SL_EINVAL);
	assert_string_equal(e.msg, "canonical JSON: floating-point numbers are "
	                           "not allowed in signed documents");
	json_decref(v);
}

static void
test_key_files(void **state)
{
	char sk[128], pk[128];
	struct sign_key k, k2, p;
	struct stat st;
	struct err e;

	(void)state;
	snprintf(sk, sizeof(sk), "%s/a.key", tmpdir);
	snprintf(pk, sizeof(pk), "%s/a.pub", tmpdir);
	assert_int_equal(sign_key_generate(&k, &e), SL_OK);
	assert_int_equal(sign_key_save(&k, sk, pk, &e), SL_OK);
	assert_int_equal(stat(sk, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(sign_key_load(&k2, sk, &e), SL_OK);
	assert_true(k2.has_secret);
	assert_memory_equal(k.pk, k2.pk, sizeof(k.pk));
	assert_int_equal(sign_key_load(&p, pk, &e), SL_OK);
	assert_false(p.has_secret);
	assert_string_equal(p.keyid, k.keyid);
	assert_int_equal(strlen(p.keyid), SIGN_KEYID_LEN);

	FILE *f = fopen(pk, "w");
	fputs("something else\n", f);
	fclose(f);
	assert_int_equal(sign_key_load(&p, pk, &e), SL_EPARSE);
	assert_non_null(strstr(e.msg, "not a sluice key file"));
}

static void
test_envelope_flipped_byte(void **state)
{
	struct sign_keyring kr = {0};
	struct sign_key k, other;
	const json_t *doc;
	json_t *d, *env, *env2;
	struct err e;
	char *text;

	(void)state;
	assert_int_equal(sign_key_generate(&k, &e), SL_OK);
	assert_int_equal(sign_keyring_add(&kr, &k, &e), SL_OK);
	assert_false(kr.keys[0].has_secret);
	d = json_pack("{s:s,s:I}", "title", "OpenSSL fix", "revision",
	              (json_int_t)3);
	assert_int_equal(sign_envelope(&env, d, &k, &e), SL_OK);
	assert_int_equal(sign_envelope_verify(env, &kr, &doc, &e), SL_OK);
	assert_string_equal(json_string_value(json_object_get(doc, "title")),
	                    "OpenSSL fix");

	/* Flip one byte of the serialised document, re-read, verify. */
	text = json_dumps(env, JSON_COMPACT);
	char *p = strstr(text, "OpenSSL");
	p[0] = 'o';
	env2 = json_loads(text, 0, NULL);
	assert_int_equal(sign_envelope_verify(env2, &kr, &doc, &e), SL_EVERIFY);
	char want[128];
	snprintf(want, sizeof(want), "signature by key %s does not verify",
	         k.keyid);
	assert_string_equal(e.msg, want);
	free(text);
	json_decref(env2);

	/* A valid signature by a key that is not trusted. */
	assert_int_equal(sign_key_generate(&other, &e), SL_OK);
	json_decref(env);
	assert_int_equal(sign_envelope(&env, d, &other, &e), SL_OK);
	assert_int_equal(sign_envelope_verify(env, &kr, &doc, &e), SL_EVERIFY);
	assert_string_equal(e.msg, "no signature by a trusted key");
	json_decref(env);

	/* Unsigned and malformed envelopes. */
	env = json_pack("{s:O,s:[]}", "signed", d, "signatures");
	assert_int_equal(sign_envelope_verify(env, &kr, &doc, &e), SL_EVERIFY);
	assert_string_equal(e.msg, "unsigned document");
	json_decref(env);
	assert_int_equal(sign_envelope_verify(d, &kr, &doc, &e), SL_EVERIFY);
	assert_string_equal(e.msg, "not a signed envelope (needs \"signed\" "
	                           "and \"signatures\")");
	json_decref(d);
}

static void
test_time(void **state)
{
	char s[21];
	long long t;
	struct err e;

	(void)state;
	assert_int_equal(sign_time_format(s, 1795000000), SL_OK);
	assert_int_equal(sign_time_parse(s, &t, &e), SL_OK);
	assert_int_equal(t, 1795000000);
	assert_int_equal(sign_time_parse("2026-11-24 12:00:00", &t, &e),
	                 SL_EINVAL);
	assert_string_equal(e.msg,
	                    "expected a UTC time like 2026-11-24T12:00:00Z");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_canonical_form),
	        cmocka_unit_test(test_key_files),
	        cmocka_unit_test(test_envelope_flipped_byte),
	        cmocka_unit_test(test_time),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
