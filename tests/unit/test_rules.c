/* Unit tests for rules: every predicate true and false against a temporary
 * root tree, combinators, malformed rules, the depth limit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "fsx.h"
#include "hash.h"
#include "rules.h"

#define UUID_A "6f1e1b3c-2a44-4d6e-9a0b-3c1d2e4f5a61"
#define UUID_B "0b7e2d41-9c3f-4a58-8e21-7d6c5b4a3f20"

static char root[] = "/tmp/sluice-rules-XXXXXX";
static struct rules_ctx *ctx;
static int lookups;

static const char status[] = "Package: openssl\n"
                             "Status: install ok installed\n"
                             "Architecture: amd64\n"
                             "Version: 3.0.11-1~deb12u1\n"
                             "Description: toolkit\n"
                             " continuation\n"
                             "\n"
                             "Package: libc6\n"
                             "Status: install ok installed\n"
                             "Architecture: amd64\n"
                             "Version: 2.36-9+deb12u4\n"
                             "\n"
                             "Package: removed\n"
                             "Status: deinstall ok config-files\n"
                             "Version: 1.0\n";

static const char conf[] = "# sshd\nPermitRootLogin no\nPort 22\n";

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void
put(const char *rel, const char *text, size_t len)
{
	char path[PATH_MAX], dir[PATH_MAX];
	struct err e;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	snprintf(dir, sizeof(dir), "%s", path);
	*strrchr(dir, '/') = '\0';
	assert_int_equal(fsx_mkdirs(dir, 0755, &e), SL_OK);
	assert_int_equal(fsx_write_atomic(path, text, len, 0644, &e), SL_OK);
}

static bool
lookup(void *arg, const char *id)
{
	(void)arg;
	lookups++;
	return strcmp(id, UUID_A) == 0;
}

static int
setup(void **state)
{
	char path[PATH_MAX], *big;
	struct err e;
	size_t n = 200000;

	(void)state;
	if (mkdtemp(root) == NULL)
		return -1;
	put("etc/os-release",
	    "NAME=\"Debian GNU/Linux\"\nID=debian\nVERSION_ID=\"12\"\n", 50);
	put("etc/sluice/arch", "amd64\n", 6);
	put("etc/sluice/kernel", "6.1.0-13-amd64\n", 15);
	put("var/lib/dpkg/status", status, sizeof(status) - 1);
	put("etc/ssh/sshd_config", conf, sizeof(conf) - 1);
	/* the needle straddles the 64 KiB read boundary */
	if ((big = malloc(n)) == NULL)
		return -1;
	memset(big, 'x', n);
	memcpy(big + 65536 - 4, "NEEDLE", 6);
	put("var/big", big, n);
	free(big);
	snprintf(path, sizeof(path), "%s/etc/dir", root);
	if (mkdir(path, 0755) != 0)
		return -1;
	snprintf(path, sizeof(path), "%s/etc/escape", root);
	if (symlink("/etc/hostname", path) != 0)
		return -1;
	snprintf(path, sizeof(path), "%s/etc/inside", root);
	if (symlink("/etc/ssh/sshd_config", path) != 0)
		return -1;
	snprintf(path, sizeof(path), "%s/etc/up", root);
	if (symlink("../../../../../../etc/hostname", path) != 0)
		return -1;
	err_clear(&e);
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

/* Evaluate JSON text; expect SL_OK and the value, or an error code and
 * message (want is then ignored). */
static void
check_at(const char *text, int code, bool want, const char *msg, int line)
{
	json_error_t je;
	json_t *rule = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
	struct err e;
	bool out = !want;
	int rc;

	if (rule == NULL)
		fail_msg("line %d: bad JSON in test: %s", line, je.text);
	err_clear(&e);
	rc = rules_eval(ctx, rule, &out, &e);
	json_decref(rule);
	if (rc != code)
		fail_msg("line %d: %s: rc %d (%s), want %d", line, text, rc,
		         e.msg, code);
	if (code == SL_OK && out != want)
		fail_msg("line %d: %s: got %d, want %d", line, text, out, want);
	if (code != SL_OK && strcmp(e.msg, msg) != 0)
		fail_msg("line %d: %s: message '%s', want '%s'", line, text,
		         e.msg, msg);
	/* The same rule as stored text answers the same (a container: the
	 * agent stores rule objects; NUL needs a flag json_loads lacks). */
	if ((text[0] != '{' && text[0] != '[') || strstr(text, "\\u0000"))
		return;
	err_clear(&e);
	out = !want;
	rc = rules_eval_text(ctx, text, &out, &e);
	if (rc != code || (code == SL_OK && out != want) ||
	    (code != SL_OK && strcmp(e.msg, msg) != 0))
		fail_msg("line %d: %s as text: rc %d (%s) out %d", line, text,
		         rc, e.msg, out);
}

#define T(text)              check_at(text, SL_OK, true, NULL, __LINE__)
#define F(text)              check_at(text, SL_OK, false, NULL, __LINE__)
#define ERR(text, code, msg) check_at(text, code, false, msg, __LINE__)

static void
test_constants_and_combinators(void **state)
{
	(void)state;
	T("{\"type\":\"true\"}");
	F("{\"type\":\"false\"}");
	T("{\"and\":[{\"type\":\"true\"},{\"type\":\"true\"}]}");
	F("{\"and\":[{\"type\":\"true\"},{\"type\":\"false\"}]}");
	T("{\"or\":[{\"type\":\"false\"},{\"type\":\"true\"}]}");
	F("{\"or\":[{\"type\":\"false\"},{\"type\":\"false\"}]}");
	T("{\"not\":{\"type\":\"false\"}}");
	F("{\"not\":{\"type\":\"true\"}}");
	T("{\"and\":[]}");
	F("{\"or\":[]}");
	T("{\"or\":[{\"and\":[{\"type\":\"os_id\",\"id\":\"debian\"},"
	  "{\"not\":{\"type\":\"arch\",\"arch\":\"arm64\"}}]},"
	  "{\"type\":\"false\"}]}");
	/* short-circuit: the bad second operand is never looked at */
	F("{\"and\":[{\"type\":\"false\"},{\"type\":\"nope\"}]}");
	T("{\"or\":[{\"type\":\"true\"},{\"type\":\"nope\"}]}");
	/* unknown keys beside the type are ignored */
	T("{\"type\":\"true\",\"comment\":\"x\"}");
}

static void
test_os_facts(void **state)
{
	(void)state;
	T("{\"type\":\"os_id\",\"id\":\"debian\"}");
	F("{\"type\":\"os_id\",\"id\":\"ubuntu\"}");
	T("{\"type\":\"os_version\",\"op\":\">=\",\"version\":\"12\"}");
	T("{\"type\":\"os_version\",\"op\":\"=\",\"version\":\"12\"}");
	F("{\"type\":\"os_version\",\"op\":\"<\",\"version\":\"12\"}");
	F("{\"type\":\"os_version\",\"op\":\">=\",\"version\":\"13\"}");
	T("{\"type\":\"os_version\",\"op\":\">\",\"version\":\"11.8\"}");
	T("{\"type\":\"arch\",\"arch\":\"amd64\"}");
	T("{\"type\":\"arch\",\"arch\":\"x86_64\"}");
	F("{\"type\":\"arch\",\"arch\":\"arm64\"}");
	T("{\"type\":\"kernel\",\"op\":\">=\",\"version\":\"6.1\"}");
	T("{\"type\":\"kernel\",\"op\":\"<\",\"version\":\"6.1.0-14-amd64\"}");
	F("{\"type\":\"kernel\",\"op\":\"<\",\"version\":\"6.1\"}");
	F("{\"type\":\"kernel\",\"op\":\">=\",\"version\":\"6.5\"}");
	T("{\"type\":\"kernel\",\"op\":\"!=\",\"version\":\"5.10\"}");
}

static void
test_files(void **state)
{
	char sha[HASH_HEX_LEN + 1], text[512];

	(void)state;
	T("{\"type\":\"file_exists\",\"path\":\"/etc/ssh/sshd_config\"}");
	T("{\"type\":\"file_exists\",\"path\":\"//etc/./ssh//sshd_config\"}");
	T("{\"type\":\"file_exists\",\"path\":\"/etc/dir\"}");
	T("{\"type\":\"file_exists\",\"path\":\"/\"}");
	F("{\"type\":\"file_exists\",\"path\":\"/etc/missing\"}");
	F("{\"type\":\"file_exists\",\"path\":\"/etc/os-release/x\"}");

	hash_buf_hex(conf, sizeof(conf) - 1, sha);
	snprintf(text, sizeof(text),
	         "{\"type\":\"file_sha256\",\"path\":\"/etc/ssh/sshd_config\","
	         "\"sha256\":\"%s\"}",
	         sha);
	T(text);
	for (size_t i = 0; sha[i] != '\0'; i++)
		if (sha[i] >= 'a' && sha[i] <= 'f')
			sha[i] = (char)(sha[i] - 32);
	snprintf(text, sizeof(text),
	         "{\"type\":\"file_sha256\",\"path\":\"/etc/ssh/sshd_config\","
	         "\"sha256\":\"%s\"}",
	         sha);
	T(text); /* upper-case hex is accepted */
	hash_buf_hex("other", 5, sha);
	snprintf(text, sizeof(text),
	         "{\"type\":\"file_sha256\",\"path\":\"/etc/ssh/sshd_config\","
	         "\"sha256\":\"%s\"}",
	         sha);
	F(text);
	snprintf(text, sizeof(text),
	         "{\"type\":\"file_sha256\",\"path\":\"/etc/missing\","
	         "\"sha256\":\"%s\"}",
	         sha);
	F(text);
	snprintf(text, sizeof(text),
	         "{\"type\":\"file_sha256\",\"path\":\"/etc/dir\","
	         "\"sha256\":\"%s\"}",
	         sha);
	F(text);

	T("{\"type\":\"file_contains\",\"path\":\"/etc/ssh/sshd_config\","
	  "\"text\":\"PermitRootLogin no\"}");
	F("{\"type\":\"file_contains\",\"path\":\"/etc/ssh/sshd_config\","
	  "\"text\":\"PermitRootLogin yes\"}");
	T("{\"type\":\"file_contains\",\"path\":\"/etc/ssh/sshd_config\","
	  "\"text\":\"no\\nPort 22\\n\"}");
	F("{\"type\":\"file_contains\",\"path\":\"/etc/missing\","
	  "\"text\":\"x\"}");
	F("{\"type\":\"file_contains\",\"path\":\"/etc/dir\",\"text\":\"x\"}");
	T("{\"type\":\"file_contains\",\"path\":\"/var/big\","
	  "\"text\":\"NEEDLE\"}");
	T("{\"type\":\"file_contains\",\"path\":\"/var/big\","
	  "\"text\":\"xxxxNEEDLExxxx\"}");
	F("{\"type\":\"file_contains\",\"path\":\"/var/big\","
	  "\"text\":\"NEEDLES\"}");
}

static bool
have_openat2(void)
{
	struct open_how how = {.flags = O_PATH | O_CLOEXEC};
	long fd = syscall(SYS_openat2, AT_FDCWD, "/", &how, sizeof(how));

	if (fd < 0)
		return false;
	close((int)fd);
	return true;
}

static void
test_symlinks_stay_in_root(void **state)
{
	(void)state;
	/* an in-root absolute link resolves under the root */
	T("{\"type\":\"file_contains\",\"path\":\"/etc/inside\","
	  "\"text\":\"Port 22\"}");
	if (!have_openat2() || access("/etc/hostname", F_OK) != 0)
		skip();
	/* /etc/hostname exists on the host but not under the root */
	F("{\"type\":\"file_exists\",\"path\":\"/etc/escape\"}");
	F("{\"type\":\"file_exists\",\"path\":\"/etc/up\"}");
	F("{\"type\":\"file_contains\",\"path\":\"/etc/escape\","
	  "\"text\":\"\\n\"}");
}

/* Rules stored as text: read without jansson's parser when plain, through
 * it otherwise, with the parser's message when it is not JSON. */
static void
test_text(void **state)
{
	struct err e;
	bool out = false;

	(void)state;
	T("{\"and\":[{\"type\":\"true\"},{\"not\":{\"type\":\"false\"}}]}");
	T(" { \"or\" : [ {\"type\":\"false\"} , {\"type\":\"true\"} ] } ");
	T("{\"type\":\"true\",\"n\":-12,\"z\":0,\"x\":null,\"y\":[]}");
	T("{\"type\":\"true\",\"f\":1.5e3,\"s\":\"a\\\"b\"}");
	T("{\"type\":\"tru\\u0065\"}");
	T("{\"type\":\"false\",\"type\":\"true\"}");
	F("{\"type\":\"deb_installed\",\"package\":\"absent\"}");

	err_clear(&e);
	assert_int_equal(rules_eval_text(ctx,
	                                 "{\"type\":\"true\",\"n\":"
	                                 "99999999999999999999}",
	                                 &out, &e),
	                 SL_EPARSE);
	assert_string_equal(e.msg, "stored rule: too big integer near "
	                           "'99999999999999999999'");
	assert_int_equal(rules_eval_text(ctx, NULL, &out, &e), SL_EPARSE);
	assert_string_equal(e.msg, "stored rule: missing");
	assert_int_equal(rules_eval_text(ctx, "{\"type\":\"true\"", &out, &e),
	                 SL_EPARSE);
	assert_string_equal(e.msg, "stored rule: '}' expected near end of "
	                           "file");
	assert_int_equal(
	        rules_eval_text(ctx, "{\"type\":\"true\"} x", &out, &e),
	        SL_EPARSE);
	assert_string_equal(e.msg,
	                    "stored rule: end of file expected near 'x'");
	assert_int_equal(rules_eval_text(ctx, "", &out, &e), SL_EPARSE);
	assert_string_equal(e.msg, "stored rule: '[' or '{' expected near end "
	                           "of file");
	assert_int_equal(rules_eval_text(ctx, "{\"typo\":1}", &out, &e),
	                 SL_EINVAL);
	assert_string_equal(e.msg, "rule must have exactly one of type, and, "
	                           "or, not");
}

static void
test_packages(void **state)
{
	(void)state;
	T("{\"type\":\"deb_installed\",\"package\":\"openssl\"}");
	T("{\"type\":\"deb_installed\",\"package\":\"openssl:amd64\"}");
	F("{\"type\":\"deb_installed\",\"package\":\"openssl:i386\"}");
	F("{\"type\":\"deb_installed\",\"package\":\"removed\"}");
	F("{\"type\":\"deb_installed\",\"package\":\"absent\"}");
	T("{\"type\":\"deb_installed\",\"package\":\"openssl\",\"op\":\"<\","
	  "\"version\":\"3.0.11-1~deb12u2\"}");
	F("{\"type\":\"deb_installed\",\"package\":\"openssl\",\"op\":\"<\","
	  "\"version\":\"3.0.11-1~deb12u1\"}");
	T("{\"type\":\"deb_installed\",\"package\":\"openssl\",\"op\":\"<<\","
	  "\"version\":\"3.0.11-1\"}");
	T("{\"type\":\"deb_installed\",\"package\":\"openssl\",\"op\":\">=\","
	  "\"version\":\"3.0.11-1~deb12u1\"}");
	F("{\"type\":\"deb_installed\",\"package\":\"absent\",\"op\":\"<\","
	  "\"version\":\"99\"}");
	T("{\"type\":\"deb_installed\",\"package\":\"libc6\",\"op\":\"=\","
	  "\"version\":\"2.36-9+deb12u4\"}");

	T("{\"type\":\"update_installed\",\"id\":\"" UUID_A "\"}");
	F("{\"type\":\"update_installed\",\"id\":\"" UUID_B "\"}");
}

static void
test_rpm_without_rpm(void **state)
{
	char empty[] = "/tmp/sluice-rules-path-XXXXXX";
	char *old = getenv("PATH") ? strdup(getenv("PATH")) : NULL;

	(void)state;
	assert_non_null(mkdtemp(empty));
	setenv("PATH", empty, 1);
	ERR("{\"type\":\"rpm_installed\",\"package\":\"openssl\"}",
	    SL_EUNSUPPORTED, "rpm_installed: rpm is not available");
	ERR("{\"not\":{\"type\":\"rpm_installed\",\"package\":\"openssl\","
	    "\"op\":\"<\",\"version\":\"3.0.7-25.el9\"}}",
	    SL_EUNSUPPORTED, "not: rpm_installed: rpm is not available");
	/* guarded by the OS check, it is never asked */
	F("{\"and\":[{\"type\":\"os_id\",\"id\":\"rhel\"},"
	  "{\"type\":\"rpm_installed\",\"package\":\"openssl\"}]}");
	ERR("{\"type\":\"rpm_installed\"}", SL_EINVAL,
	    "rpm_installed: missing package");
	if (old != NULL)
		setenv("PATH", old, 1);
	free(old);
	rmdir(empty);
}

static void
test_bad_rules(void **state)
{
	(void)state;
	ERR("{\"type\":\"foo\"}", SL_EUNSUPPORTED, "unknown predicate 'foo'");
	ERR("{\"and\":[{\"type\":\"true\"},{\"type\":\"foo\"}]}",
	    SL_EUNSUPPORTED, "and[1]: unknown predicate 'foo'");
	ERR("{\"or\":[{\"type\":\"false\"},{\"not\":{\"type\":\"bar\"}}]}",
	    SL_EUNSUPPORTED, "or[1]: not: unknown predicate 'bar'");
	ERR("null", SL_EINVAL, "rule must be an object");
	ERR("[]", SL_EINVAL, "rule must be an object");
	ERR("\"true\"", SL_EINVAL, "rule must be an object");
	ERR("{}", SL_EINVAL,
	    "rule must have exactly one of type, and, or, not");
	ERR("{\"type\":\"true\",\"not\":{\"type\":\"true\"}}", SL_EINVAL,
	    "rule must have exactly one of type, and, or, not");
	ERR("{\"type\":7}", SL_EINVAL, "rule type must be a string");
	ERR("{\"and\":{\"type\":\"true\"}}", SL_EINVAL,
	    "and: must be an array of rules");
	ERR("{\"or\":[1]}", SL_EINVAL, "or[0]: rule must be an object");
	ERR("{\"not\":[]}", SL_EINVAL, "not: rule must be an object");

	ERR("{\"type\":\"deb_installed\"}", SL_EINVAL,
	    "deb_installed: missing package");
	ERR("{\"type\":\"deb_installed\",\"package\":5}", SL_EINVAL,
	    "deb_installed: package must be a string");
	ERR("{\"type\":\"deb_installed\",\"package\":\"\"}", SL_EINVAL,
	    "deb_installed: package must not be empty");
	ERR("{\"type\":\"deb_installed\",\"package\":\"a\\u0000b\"}", SL_EINVAL,
	    "deb_installed: package contains a NUL byte");
	ERR("{\"type\":\"deb_installed\",\"package\":\"openssl\","
	    "\"op\":\"<\"}",
	    SL_EINVAL, "deb_installed: op without version");
	ERR("{\"type\":\"deb_installed\",\"package\":\"openssl\","
	    "\"op\":\"=>\",\"version\":\"1\"}",
	    SL_EINVAL, "deb_installed: unknown comparison operator '=>'");
	ERR("{\"type\":\"deb_installed\",\"package\":\"openssl\","
	    "\"op\":\"<\",\"version\":\"x1\"}",
	    SL_EINVAL,
	    "deb_installed: bad version 'x1': version number does not start "
	    "with digit");
	ERR("{\"type\":\"os_id\"}", SL_EINVAL, "os_id: missing id");
	ERR("{\"type\":\"os_version\",\"version\":\"12\"}", SL_EINVAL,
	    "os_version: missing op");
	ERR("{\"type\":\"kernel\",\"op\":\">=\"}", SL_EINVAL,
	    "kernel: missing version");
	ERR("{\"type\":\"kernel\",\"op\":\"~\",\"version\":\"6\"}", SL_EINVAL,
	    "kernel: unknown comparison operator '~'");
	ERR("{\"type\":\"arch\",\"arch\":[]}", SL_EINVAL,
	    "arch: arch must be a string");
	ERR("{\"type\":\"file_exists\",\"path\":\"/etc/../etc/passwd\"}",
	    SL_EINVAL, "file_exists: path must be absolute without '..'");
	ERR("{\"type\":\"file_exists\",\"path\":\"/..\"}", SL_EINVAL,
	    "file_exists: path must be absolute without '..'");
	ERR("{\"type\":\"file_exists\",\"path\":\"etc/passwd\"}", SL_EINVAL,
	    "file_exists: path must be absolute without '..'");
	ERR("{\"type\":\"file_exists\"}", SL_EINVAL,
	    "file_exists: missing path");
	F("{\"type\":\"file_exists\",\"path\":\"/etc/..foo\"}");
	ERR("{\"type\":\"file_sha256\",\"path\":\"/etc/x\"}", SL_EINVAL,
	    "file_sha256: missing sha256");
	ERR("{\"type\":\"file_sha256\",\"path\":\"/etc/x\",\"sha256\":\"ab\"}",
	    SL_EINVAL, "file_sha256: sha256 must be 64 hex digits");
	ERR("{\"type\":\"file_contains\",\"path\":\"/etc/x\",\"text\":\"\"}",
	    SL_EINVAL, "file_contains: text must not be empty");
	ERR("{\"type\":\"update_installed\"}", SL_EINVAL,
	    "update_installed: missing id");
}

static void
test_depth_limit(void **state)
{
	char text[4096], msg[1024];
	size_t off = 0, moff = 0;
	json_t *deep, *w;
	struct err e;
	bool out;
	int i;

	(void)state;
	/* 31 nots: the predicate sits at depth 32, the limit */
	for (i = 0; i < 31; i++)
		off += (size_t)snprintf(text + off, sizeof(text) - off,
		                        "{\"not\":");
	off += (size_t)snprintf(text + off, sizeof(text) - off,
	                        "{\"type\":\"true\"}");
	for (i = 0; i < 31; i++)
		text[off++] = '}';
	text[off] = '\0';
	F(text);

	off = 0;
	for (i = 0; i < 32; i++) {
		off += (size_t)snprintf(text + off, sizeof(text) - off,
		                        "{\"not\":");
		moff += (size_t)snprintf(msg + moff, sizeof(msg) - moff,
		                         "not: ");
	}
	off += (size_t)snprintf(text + off, sizeof(text) - off,
	                        "{\"type\":\"true\"}");
	for (i = 0; i < 32; i++)
		text[off++] = '}';
	text[off] = '\0';
	snprintf(msg + moff, sizeof(msg) - moff,
	         "rule nested deeper than 32 levels");
	ERR(text, SL_EINVAL, msg);

	/* far deeper than any parser would allow: built directly */
	deep = json_pack("{s:s}", "type", "true");
	for (i = 0; i < 5000 && deep != NULL; i++) {
		w = json_object();
		json_object_set_new(w, i % 2 ? "not" : "and",
		                    i % 2 ? deep : json_pack("[o]", deep));
		deep = w;
	}
	assert_non_null(deep);
	err_clear(&e);
	assert_int_equal(rules_eval(ctx, deep, &out, &e), SL_EINVAL);
	assert_non_null(strstr(e.msg, "rule nested deeper than 32 levels"));
	json_decref(deep);
}

static void
test_many_evaluations_are_cheap(void **state)
{
	struct timespec t0, t1;
	json_t *rule;
	struct err e;
	bool out;
	double ms;
	int i;

	(void)state;
	rule = json_loads("{\"and\":[{\"type\":\"os_id\",\"id\":\"debian\"},"
	                  "{\"type\":\"arch\",\"arch\":\"amd64\"},"
	                  "{\"type\":\"deb_installed\",\"package\":\"openssl\","
	                  "\"op\":\"<\",\"version\":\"3.0.11-1~deb12u2\"},"
	                  "{\"not\":{\"type\":\"update_installed\","
	                  "\"id\":\"" UUID_B "\"}}]}",
	                  0, NULL);
	assert_non_null(rule);
	lookups = 0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < 20000; i++) {
		err_clear(&e);
		assert_int_equal(rules_eval(ctx, rule, &out, &e), SL_OK);
		assert_true(out);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	json_decref(rule);
	assert_int_equal(lookups, 20000);
	ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
	     (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	if (ms > 2000.0)
		fail_msg("20000 evaluations took %.0f ms", ms);
}

static void
test_ctx_errors(void **state)
{
	struct rules_ctx *c = NULL;
	struct err e;
	char path[PATH_MAX + 64];
	bool out;

	(void)state;
	err_clear(&e);
	snprintf(path, sizeof(path), "%s/nonexistent", root);
	assert_int_equal(rules_ctx_new(&c, path, &e), SL_ENOTFOUND);
	assert_null(c);
	rules_ctx_free(NULL);

	/* a root without dpkg, os-release or lookup */
	snprintf(path, sizeof(path), "%s/etc/dir", root);
	assert_int_equal(rules_ctx_new(&c, path, &e), SL_OK);
	{
		json_t *r = json_loads("{\"type\":\"deb_installed\","
		                       "\"package\":\"openssl\"}",
		                       0, NULL);
		assert_int_equal(rules_eval(c, r, &out, &e), SL_OK);
		assert_false(out);
		json_decref(r);
		r = json_loads("{\"type\":\"os_id\",\"id\":\"linux\"}", 0,
		               NULL);
		assert_int_equal(rules_eval(c, r, &out, &e), SL_OK);
		assert_true(out);
		json_decref(r);
		r = json_loads("{\"type\":\"os_version\",\"op\":\">\","
		               "\"version\":\"0\"}",
		               0, NULL);
		assert_int_equal(rules_eval(c, r, &out, &e), SL_OK);
		assert_false(out);
		json_decref(r);
		r = json_loads("{\"type\":\"update_installed\",\"id\":\"x\"}",
		               0, NULL);
		assert_int_equal(rules_eval(c, r, &out, &e), SL_EUNSUPPORTED);
		assert_string_equal(
		        e.msg, "update_installed: no update lookup configured");
		json_decref(r);
	}
	rules_ctx_free(c);
}

/* file_exists is asked once per path and context, like the other facts:
 * a file made afterwards is seen by a new context. */
static void
test_file_exists_kept(void **state)
{
	const char *rule = "{\"type\":\"file_exists\",\"path\":\"/etc/later\"}";
	struct rules_ctx *c = NULL;
	struct err e;
	bool out = true;

	(void)state;
	err_clear(&e);
	assert_int_equal(rules_ctx_new(&c, root, &e), SL_OK);
	assert_int_equal(rules_eval_text(c, rule, &out, &e), SL_OK);
	assert_false(out);
	put("etc/later", "x", 1);
	assert_int_equal(rules_eval_text(c, rule, &out, &e), SL_OK);
	assert_false(out);
	rules_ctx_free(c);
	assert_int_equal(rules_ctx_new(&c, root, &e), SL_OK);
	assert_int_equal(rules_eval_text(c, rule, &out, &e), SL_OK);
	assert_true(out);
	assert_int_equal(rules_eval_text(c, rule, &out, &e), SL_OK);
	assert_true(out);
	rules_ctx_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_constants_and_combinators),
	        cmocka_unit_test(test_os_facts),
	        cmocka_unit_test(test_files),
	        cmocka_unit_test(test_symlinks_stay_in_root),
	        cmocka_unit_test(test_text),
	        cmocka_unit_test(test_packages),
	        cmocka_unit_test(test_rpm_without_rpm),
	        cmocka_unit_test(test_bad_rules),
	        cmocka_unit_test(test_depth_limit),
	        cmocka_unit_test(test_many_evaluations_are_cheap),
	        cmocka_unit_test(test_ctx_errors),
	        cmocka_unit_test(test_file_exists_kept),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
