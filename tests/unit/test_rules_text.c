/* Unit tests for rules_text: rules_eval_text (the compact tree) answers
 * exactly as rules_eval_text_json (the reference reading through jansson)
 * for every rule form, every malformed text and every truncation and
 * one-byte change of them: the same status, the same value, the same
 * message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsx.h"
#include "rules.h"

#define UUID_A "6f1e1b3c-2a44-4d6e-9a0b-3c1d2e4f5a61"
#define UUID_B "0b7e2d41-9c3f-4a58-8e21-7d6c5b4a3f20"
/* sha256 of "PermitRootLogin no\n" */
#define SHA_CONF                                                               \
	"44c91857f34b1ec68e246ebcbad66c4b9380b41c3490c719bdfd6696ba7b40b5"

static char root[] = "/tmp/sluice-rules-text-XXXXXX";
static struct rules_ctx *ctx;
static size_t compared;

static const char status[] = "Package: openssl\n"
                             "Status: install ok installed\n"
                             "Architecture: amd64\n"
                             "Version: 3.0.11-1~deb12u1\n"
                             "\n"
                             "Package: libc6\n"
                             "Status: install ok installed\n"
                             "Architecture: amd64\n"
                             "Version: 1:2.36-9+deb12u4\n"
                             "\n"
                             "Package: removed\n"
                             "Status: deinstall ok config-files\n"
                             "Version: 1.0\n";

/* Every rule form and edge case; the test also cuts and changes each. */
static const char *const corpus[] = {
        "{\"type\":\"true\"}",
        "{\"type\":\"false\"}",
        " {\t\"type\" :\r\n\"true\" } ",
        "{\"and\":[]}",
        "{\"or\":[]}",
        "{\"and\":[{\"type\":\"true\"},{\"not\":{\"type\":\"false\"}}]}",
        "{\"or\":[{\"type\":\"false\"},{\"type\":\"true\"},{\"type\":7}]}",
        "{\"and\":[{\"type\":\"false\"},{\"type\":\"nope\"}]}",
        "{\"and\":[{\"type\":\"true\"},{\"type\":\"nope\"}]}",
        "{\"or\":[{\"type\":\"false\"},{\"not\":{\"type\":\"bar\"}}]}",
        "{\"not\":{\"not\":{\"type\":\"true\"}}}",
        "{\"and\":{\"type\":\"true\"}}",
        "{\"or\":[1,2]}",
        "{\"not\":[]}",
        "{\"not\":null}",
        "{\"and\":null}",
        "{}",
        "[]",
        "[{\"type\":\"true\"}]",
        "true",
        "null",
        "7",
        "\"true\"",
        "",
        "   ",
        "{\"type\":\"true\",\"not\":{\"type\":\"true\"}}",
        "{\"type\":\"false\",\"type\":\"true\"}",
        "{\"type\":\"true\",\"type\":\"false\"}",
        "{\"and\":[{\"type\":\"false\"}],\"and\":[{\"type\":\"true\"}]}",
        "{\"type\":null}",
        "{\"type\":7}",
        "{\"type\":[]}",
        "{\"type\":{}}",
        "{\"type\":\"\"}",
        "{\"type\":\"true\",\"n\":-12,\"z\":0,\"x\":null,\"y\":[],\"o\":{}}",
        "{\"type\":\"true\",\"n\":-0,\"b\":true,\"c\":false}",
        "{\"type\":\"true\",\"f\":1.5e3}",
        "{\"type\":\"true\",\"f\":1.5}",
        "{\"type\":\"true\",\"f\":1E3}",
        "{\"type\":\"true\",\"n\":01}",
        "{\"type\":\"true\",\"n\":-}",
        "{\"type\":\"true\",\"n\":99999999999999999999}",
        "{\"type\":\"true\",\"n\":9223372036854775807}",
        "{\"type\":\"true\",\"n\":-9223372036854775808}",
        "{\"type\":\"true\",\"s\":\"a\\\"b\"}",
        "{\"type\":\"tru\\u0065\"}",
        "{\"typ\\u0065\":\"true\"}",
        "{\"type\":\"true\",\"s\":\"\\ud83d\\ude00\"}",
        "{\"type\":\"true\",\"s\":\"\xc3\xbc\"}",
        "{\"type\":\"true\",\"s\":\"\xff\"}",
        "{\"type\":\"true\",\"s\":\"a\x01\"}",
        "{\"type\":\"true\"} x",
        "{\"type\":\"true\"}}",
        "{\"type\":\"true\",}",
        "{\"type\":\"true\" \"x\":1}",
        "{,\"type\":\"true\"}",
        "{\"type\" \"true\"}",
        "{\"type\":tru}",
        "{\"type\":\"true\",\"a\":[1,]}",
        "{\"type\":\"true\",\"a\":[,1]}",
        "{\"type\":\"true\",\"a\":[1 2]}",
        "{'type':'true'}",
        "{type:\"true\"}",
        /* predicates */
        "{\"type\":\"os_id\",\"id\":\"debian\"}",
        "{\"type\":\"os_id\",\"id\":\"fedora\"}",
        "{\"type\":\"os_id\"}",
        "{\"type\":\"os_id\",\"id\":\"\"}",
        "{\"type\":\"os_id\",\"id\":null}",
        "{\"type\":\"os_id\",\"id\":5}",
        "{\"type\":\"os_id\",\"id\":\"deb\\u0000ian\"}",
        "{\"type\":\"os_version\",\"op\":\">=\",\"version\":\"12\"}",
        "{\"type\":\"os_version\",\"op\":\"<\",\"version\":\"12\"}",
        "{\"type\":\"os_version\",\"version\":\"12\"}",
        "{\"type\":\"os_version\",\"op\":\">=\"}",
        "{\"type\":\"os_version\",\"op\":\"~\",\"version\":\"12\"}",
        "{\"type\":\"os_version\",\"op\":\">=\",\"version\":\"\"}",
        "{\"type\":\"arch\",\"arch\":\"amd64\"}",
        "{\"type\":\"arch\",\"arch\":\"x86_64\"}",
        "{\"type\":\"arch\",\"arch\":\"arm64\"}",
        "{\"type\":\"arch\",\"arch\":[]}",
        "{\"type\":\"kernel\",\"op\":\">=\",\"version\":\"6.1\"}",
        "{\"type\":\"kernel\",\"op\":\"lt\",\"version\":\"6.1\"}",
        "{\"type\":\"kernel\",\"op\":\">>\",\"version\":\"7\"}",
        "{\"type\":\"file_exists\",\"path\":\"/etc/os-release\"}",
        "{\"type\":\"file_exists\",\"path\":\"/etc/nothing\"}",
        "{\"type\":\"file_exists\",\"path\":\"/etc\"}",
        "{\"type\":\"file_exists\",\"path\":\"etc/os-release\"}",
        "{\"type\":\"file_exists\",\"path\":\"/etc/../etc/passwd\"}",
        "{\"type\":\"file_exists\",\"path\":\"/etc/..x\"}",
        "{\"type\":\"file_exists\"}",
        "{\"type\":\"file_sha256\",\"path\":\"/etc/"
        "conf\",\"sha256\":\"" SHA_CONF "\"}",
        "{\"type\":\"file_sha256\",\"path\":\"/etc/"
        "conf\",\"sha256\":\"" SHA_CONF "0\"}",
        "{\"type\":\"file_sha256\",\"path\":\"/etc/conf\",\"sha256\":\"ab\"}",
        "{\"type\":\"file_sha256\",\"path\":\"/etc/"
        "none\",\"sha256\":\"" SHA_CONF "\"}",
        "{\"type\":\"file_contains\",\"path\":\"/etc/conf\",\"text\":\"Root\"}",
        "{\"type\":\"file_contains\",\"path\":\"/etc/conf\",\"text\":\"yes\"}",
        "{\"type\":\"file_contains\",\"path\":\"/etc/conf\","
        "\"text\":\"no\\n\"}",
        "{\"type\":\"file_contains\",\"path\":\"/etc/conf\",\"text\":\"\"}",
        "{\"type\":\"file_contains\",\"path\":\"/etc\",\"text\":\"x\"}",
        "{\"type\":\"deb_installed\",\"package\":\"openssl\"}",
        "{\"type\":\"deb_installed\",\"package\":\"openssl:amd64\"}",
        "{\"type\":\"deb_installed\",\"package\":\"openssl:i386\"}",
        "{\"type\":\"deb_installed\",\"package\":\"removed\"}",
        "{\"type\":\"deb_installed\",\"package\":\"absent\"}",
        "{\"type\":\"deb_installed\",\"package\":\"openssl\",\"op\":\"<\","
        "\"version\":\"3.0.11-1~deb12u2\"}",
        "{\"type\":\"deb_installed\",\"package\":\"openssl\",\"op\":\"<\","
        "\"version\":\"3.0.11-1~deb12u1\"}",
        "{\"type\":\"deb_installed\",\"package\":\"openssl\",\"op\":\"<<\","
        "\"version\":\"3.0.11-1\"}",
        "{\"type\":\"deb_installed\",\"package\":\"libc6\",\"op\":\"=\","
        "\"version\":\"1:2.36-9+deb12u4\"}",
        "{\"type\":\"deb_installed\",\"package\":\"libc6\",\"op\":\"!=\","
        "\"version\":\"2.36-9+deb12u4\"}",
        "{\"type\":\"deb_installed\",\"package\":\"absent\",\"op\":\"<\","
        "\"version\":\"99\"}",
        "{\"type\":\"deb_installed\",\"package\":\"openssl\",\"op\":\"<\"}",
        "{\"type\":\"deb_installed\",\"package\":\"openssl\","
        "\"version\":\"1\"}",
        "{\"type\":\"deb_installed\",\"package\":\"openssl\",\"op\":\"=>\","
        "\"version\":\"1\"}",
        "{\"type\":\"deb_installed\",\"package\":\"openssl\",\"op\":\"<\","
        "\"version\":\"x1\"}",
        "{\"type\":\"deb_installed\",\"package\":\"openssl\",\"op\":\"<\","
        "\"version\":\"1 2\"}",
        "{\"type\":\"deb_installed\",\"package\":\"openssl\",\"op\":null,"
        "\"version\":null}",
        "{\"type\":\"deb_installed\",\"package\":5}",
        "{\"type\":\"deb_installed\",\"package\":\"\"}",
        "{\"type\":\"deb_installed\",\"package\":\"a\\u0000b\"}",
        "{\"type\":\"deb_installed\"}",
        "{\"type\":\"update_installed\",\"id\":\"" UUID_A "\"}",
        "{\"type\":\"update_installed\",\"id\":\"" UUID_B "\"}",
        "{\"type\":\"update_installed\",\"id\":\"not a uuid\"}",
        "{\"type\":\"update_installed\"}",
        "{\"type\":\"rpm_installed\"}",
        "{\"and\":[{\"type\":\"os_id\",\"id\":\"debian\"},"
        "{\"type\":\"arch\",\"arch\":\"amd64\"},"
        "{\"type\":\"deb_installed\",\"package\":\"openssl\","
        "\"op\":\"<\",\"version\":\"3.0.11-1~deb12u2\"},"
        "{\"not\":{\"type\":\"update_installed\",\"id\":\"" UUID_B "\"}}]}",
        "{\"or\":[{\"and\":[{\"type\":\"os_id\",\"id\":\"fedora\"},"
        "{\"type\":\"file_exists\",\"path\":\"/usr/bin/dnf\"}]},"
        "{\"not\":{\"type\":\"file_exists\",\"path\":\"/var/lib/dpkg/"
        "status\"}}]}",
};

static bool
lookup(void *arg, const char *id)
{
	(void)arg;
	return strcmp(id, UUID_A) == 0;
}

static void
put(const char *rel, const char *text)
{
	char path[PATH_MAX], dir[PATH_MAX];
	struct err e;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	snprintf(dir, sizeof(dir), "%s", path);
	*strrchr(dir, '/') = '\0';
	assert_int_equal(fsx_mkdirs(dir, 0755, &e), SL_OK);
	assert_int_equal(fsx_write_atomic(path, text, strlen(text), 0644, &e),
	                 SL_OK);
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int
setup(void **state)
{
	struct err e;

	(void)state;
	if (mkdtemp(root) == NULL)
		return -1;
	put("etc/os-release", "ID=debian\nVERSION_ID=\"12\"\n");
	put("etc/sluice/arch", "amd64\n");
	put("etc/sluice/kernel", "6.1.0-13-amd64\n");
	put("etc/conf", "PermitRootLogin no\n");
	put("var/lib/dpkg/status", status);
	if (rules_ctx_new(&ctx, root, &e) != SL_OK)
		return -1;
	rules_ctx_set_update_lookup(ctx, lookup, NULL);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	rules_ctx_free(ctx);
	nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

/* Both readings of text answer alike; the compact one's answer. */
static int
same(const char *text, bool *value)
{
	struct err e1, e2;
	bool o1 = true, o2 = true;
	int r1, r2;

	err_clear(&e1);
	err_clear(&e2);
	r1 = rules_eval_text(ctx, text, &o1, &e1);
	r2 = rules_eval_text_json(ctx, text, &o2, &e2);
	if (r1 != r2 || o1 != o2 || (r1 != SL_OK && strcmp(e1.msg, e2.msg)))
		fail_msg("'%s': rc %d out %d '%s', reference rc %d out %d "
		         "'%s'",
		         text ? text : "(null)", r1, o1, e1.msg, r2, o2,
		         e2.msg);
	compared++;
	*value = o1;
	return r1;
}

static void
test_corpus(void **state)
{
	size_t n_ok = 0, n_err = 0;
	bool v;

	(void)state;
	for (size_t i = 0; i < sizeof(corpus) / sizeof(corpus[0]); i++) {
		if (same(corpus[i], &v) == SL_OK)
			n_ok++;
		else
			n_err++;
	}
	/* the corpus exercises both answers and errors */
	assert_true(n_ok >= 30);
	assert_true(n_err >= 30);
	assert_int_equal(same(NULL, &v), SL_EPARSE);
	/* the plain reading answers the generated rules */
	assert_int_equal(
	        same("{\"and\":[{\"type\":\"os_id\",\"id\":\"debian\"},"
	             "{\"type\":\"deb_installed\",\"package\":"
	             "\"openssl\"}]}",
	             &v),
	        SL_OK);
	assert_true(v);
}

/* Every prefix and every one-byte change of every corpus text. */
static void
test_cut_and_changed(void **state)
{
	static const char bytes[] = "\"\\{}[],: 0-.ex\x01\xc3tfn";
	char buf[1024];

	(void)state;
	compared = 0;
	for (size_t i = 0; i < sizeof(corpus) / sizeof(corpus[0]); i++) {
		size_t len = strlen(corpus[i]);
		bool v;

		assert_true(len < sizeof(buf));
		for (size_t k = 0; k <= len; k++) {
			memcpy(buf, corpus[i], k);
			buf[k] = '\0';
			(void)same(buf, &v);
		}
		for (size_t k = 0; k < len; k++) {
			memcpy(buf, corpus[i], len + 1);
			for (size_t b = 0; b < sizeof(bytes) - 1; b++) {
				buf[k] = bytes[b];
				(void)same(buf, &v);
			}
			/* a byte removed */
			memcpy(buf, corpus[i], k);
			memcpy(buf + k, corpus[i] + k + 1, len - k);
			(void)same(buf, &v);
		}
	}
	assert_true(compared > 10000);
}

/* Nesting around the evaluator's limit (32) and the plain reader's (72
 * JSON levels), with and without an error inside. */
static void
test_depth(void **state)
{
	static const char *const inner[] = {"{\"type\":\"true\"}",
	                                    "{\"type\":\"nope\"}", "[1]"};
	char text[2048];
	bool v;

	(void)state;
	for (int depth = 28; depth <= 80; depth++) {
		for (size_t w = 0; w < sizeof(inner) / sizeof(inner[0]); w++) {
			size_t off = 0;

			for (int i = 0; i < depth; i++)
				off += (size_t)snprintf(
				        text + off, sizeof(text) - off,
				        i % 2 ? "{\"not\":" : "{\"and\":[");
			off += (size_t)snprintf(text + off, sizeof(text) - off,
			                        "%s", inner[w]);
			for (int i = depth - 1; i >= 0; i--)
				off += (size_t)snprintf(
				        text + off, sizeof(text) - off, "%s",
				        i % 2 ? "}" : "]}");
			assert_true(off < sizeof(text) - 1);
			(void)same(text, &v);
		}
	}
}

/* The tree is reused: a long rule, then short ones, then a long one. */
static void
test_reuse(void **state)
{
	char *big;
	size_t n = 3000, off = 0, cap = 64 * n + 64;
	bool v;

	(void)state;
	big = malloc(cap);
	assert_non_null(big);
	off += (size_t)snprintf(big + off, cap - off, "{\"or\":[");
	for (size_t i = 0; i < n; i++)
		off += (size_t)snprintf(
		        big + off, cap - off,
		        "%s{\"type\":\"os_id\",\"id\":\"x%zu\"}", i ? "," : "",
		        i);
	snprintf(big + off, cap - off, ",{\"type\":\"true\"}]}");
	assert_int_equal(same(big, &v), SL_OK);
	assert_true(v);
	assert_int_equal(same("{\"type\":\"false\"}", &v), SL_OK);
	assert_false(v);
	big[off] = '\0';
	snprintf(big + off, cap - off, "]}");
	assert_int_equal(same(big, &v), SL_OK);
	assert_false(v);
	free(big);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_corpus),
	        cmocka_unit_test(test_cut_and_changed),
	        cmocka_unit_test(test_depth),
	        cmocka_unit_test(test_reuse),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
