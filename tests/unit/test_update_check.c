/* Unit tests for update_check, the origin's stricter gate: each problem
 * with its code and message (field path included), all problems counted
 * and passed to the callback, and the documented examples passing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "update.h"
#include "update_check.h"

#define SHA_A "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define SHA_B "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"

/* What the apt importer makes: a deb update of two binaries. */
static const char deb_doc[] =
        "{\"id\":\"3f6c1e0a-9b2d-4c7e-8a15-2d9e4b7c6a01\",\"revision\":1,"
        "\"title\":\"acme 1.1\",\"classification\":\"security\","
        "\"product\":\"Debian 12 / acme\",\"release_date\":\"2026-11-01\","
        "\"applicability\":{"
        " \"is_installed\":{\"type\":\"false\"},"
        " \"is_installable\":{\"or\":["
        "  {\"type\":\"deb_installed\",\"package\":\"acme-lib\","
        "   \"op\":\"<\",\"version\":\"1.1\"},"
        "  {\"type\":\"deb_installed\",\"package\":\"acme-tool:amd64\","
        "   \"op\":\"<\",\"version\":\"1.1\"}]}},"
        "\"install\":{\"handler\":\"deb\"},"
        "\"files\":["
        " {\"name\":\"acme-lib_1.1_all.deb\",\"size\":10,\"sha256\":\"" SHA_A
        "\",\"url\":\"content/a\",\"deb\":{\"package\":\"acme-lib\","
        "  \"version\":\"1.1\",\"architecture\":\"all\"}},"
        " {\"name\":\"acme-tool_1.1_amd64.deb\",\"size\":10,\"sha256\":\"" SHA_B
        "\",\"url\":\"content/b\",\"deb\":{\"package\":\"acme-tool\","
        "  \"version\":\"1.1\",\"architecture\":\"amd64\"}}]}";

static json_t *
load(const char *text)
{
	json_error_t jerr;
	json_t *doc = json_loads(text, 0, &jerr);

	if (doc == NULL)
		fail_msg("test document: line %d: %s", jerr.line, jerr.text);
	return doc;
}

/* doc (consumed) parses and update_check gives code + msg (SL_OK: no
 * problem); returns the number of problems. */
static size_t
check_doc(json_t *doc, int code, const char *msg)
{
	struct update *u = NULL;
	struct err e;
	size_t n = 99;
	int rc;

	err_clear(&e);
	if (update_from_json(&u, doc, &e) != SL_OK)
		fail_msg("document does not parse: %s", e.msg);
	json_decref(doc);
	rc = update_check(u, NULL, NULL, &n, &e);
	update_free(u);
	if (rc != code ||
	    (msg != NULL && code != SL_OK && strcmp(e.msg, msg) != 0))
		fail_msg("got %d '%s', expected %d '%s'", rc,
		         rc == SL_OK ? "" : e.msg, code,
		         msg && code != SL_OK ? msg : "");
	return n;
}

static json_t *
rule_at(json_t *doc, size_t i)
{
	return json_array_get(
	        json_object_get(
	                json_object_get(json_object_get(doc, "applicabil"
	                                                     "ity"),
	                                "is_installable"),
	                "or"),
	        i);
}

static json_t *
install_of(json_t *doc)
{
	return json_object_get(doc, "install");
}

/* Replace is_installable with the predicate text. */
static json_t *
with_rule(const char *pred)
{
	json_t *doc = load(deb_doc);

	json_array_append_new(
	        json_object_get(
	                json_object_get(json_object_get(doc, "applicabil"
	                                                     "ity"),
	                                "is_installable"),
	                "or"),
	        load(pred));
	return doc;
}

#define RULE_ERR(pred, code, msg)                                              \
	check_doc(with_rule(pred), code,                                       \
	          "applicability.is_installable.or[2]: " msg)

static void
test_valid(void **state)
{
	(void)state;
	assert_int_equal(check_doc(load(deb_doc), SL_OK, NULL), 0);
	/* every predicate, well formed */
	RULE_ERR("{\"type\":\"os_version\",\"op\":\">=\",\"version\":\"12\"}",
	         SL_OK, "");
	RULE_ERR("{\"not\":{\"type\":\"file_sha256\",\"path\":\"/etc/a\","
	         "\"sha256\":\"" SHA_A "\"}}",
	         SL_OK, "");
	RULE_ERR("{\"type\":\"update_installed\","
	         "\"id\":\"3f6c1e0a-9b2d-4c7e-8a15-2d9e4b7c6a01\"}",
	         SL_OK, "");
}

static void
test_predicates(void **state)
{
	(void)state;
	RULE_ERR("{\"type\":\"deb_installed\",\"package\":\"a\",\"op\":\"<\"}",
	         SL_EINVAL, "deb_installed: op without version");
	RULE_ERR("{\"type\":\"rpm_installed\",\"package\":\"a\","
	         "\"version\":\"1\"}",
	         SL_EINVAL, "rpm_installed: version without op");
	RULE_ERR("{\"type\":\"deb_installed\",\"op\":\"<\",\"version\":\"1\"}",
	         SL_EINVAL, "deb_installed: missing package");
	RULE_ERR("{\"type\":\"rpm_installed\"}", SL_EINVAL,
	         "rpm_installed: missing package");
	RULE_ERR("{\"type\":\"deb_installed\",\"package\":\"a\",\"op\":\"<<\","
	         "\"version\":\"1\"}",
	         SL_EINVAL,
	         "deb_installed: op '<<' is not one of < <= = >= > !=");
	RULE_ERR("{\"type\":\"deb_installed\",\"package\":\"a\",\"op\":\"=\","
	         "\"version\":\"1 2\"}",
	         SL_EINVAL,
	         "deb_installed: bad version '1 2': version string has "
	         "embedded spaces");
	RULE_ERR("{\"type\":\"os_version\",\"version\":\"12\"}", SL_EINVAL,
	         "os_version: missing op");
	RULE_ERR("{\"type\":\"kernel\",\"op\":\">=\"}", SL_EINVAL,
	         "kernel: missing version");
	RULE_ERR("{\"type\":\"file_exists\",\"path\":\"etc/a\"}", SL_EINVAL,
	         "file_exists: path must be absolute without '..'");
	RULE_ERR("{\"type\":\"file_contains\",\"path\":\"/etc/../a\","
	         "\"text\":\"x\"}",
	         SL_EINVAL,
	         "file_contains: path must be absolute without '..'");
	RULE_ERR("{\"type\":\"file_sha256\",\"path\":\"/etc/a\"}", SL_EINVAL,
	         "file_sha256: missing sha256");
	RULE_ERR("{\"type\":\"update_installed\",\"id\":\"KB42\"}", SL_EINVAL,
	         "update_installed: id 'KB42' is not a lowercase UUID");
	RULE_ERR("{\"type\":\"update_installed\"}", SL_EINVAL,
	         "update_installed: missing id");
	RULE_ERR("{\"type\":\"os_id\"}", SL_EINVAL, "os_id: missing id");
	RULE_ERR("{\"type\":\"arch\",\"arch\":7}", SL_EINVAL,
	         "arch: arch must be a string");
	RULE_ERR("{\"type\":\"deb_instaled\",\"package\":\"a\"}",
	         SL_EUNSUPPORTED, "unknown predicate 'deb_instaled'");
	/* the path goes down through and / not */
	check_doc(with_rule("{\"and\":[{\"type\":\"true\"},{\"not\":"
	                    "{\"type\":\"kernel\"}}]}"),
	          SL_EINVAL,
	          "applicability.is_installable.or[2].and[1].not: kernel: "
	          "missing op");
	check_doc(load("{\"id\":\"3f6c1e0a-9b2d-4c7e-8a15-2d9e4b7c6a01\","
	               "\"revision\":1,"
	               "\"title\":\"t\",\"classification\":\"tool\","
	               "\"product\":\"p\",\"release_date\":\"2026-11-01\","
	               "\"applicability\":{\"is_installed\":{\"type\":"
	               "\"bogus\"},\"is_installable\":{\"type\":\"true\"}},"
	               "\"install\":{\"handler\":\"script\",\"arguments\":"
	               "[\"a.sh\"]},\"files\":[{\"name\":\"a.sh\",\"size\":1,"
	               "\"sha256\":\"" SHA_A "\",\"url\":\"x\"}]}"),
	          SL_EUNSUPPORTED,
	          "applicability.is_installed: unknown predicate 'bogus'");
}

static void
test_deb_handler(void **state)
{
	json_t *doc;

	(void)state;
	doc = load(deb_doc);
	json_object_del(json_array_get(json_object_get(doc, "files"), 1),
	                "deb");
	check_doc(doc, SL_EINVAL,
	          "files[1].deb: required by the deb handler "
	          "('acme-tool_1.1_amd64.deb' has no deb object)");
	doc = load(deb_doc);
	json_object_set_new(
	        json_object_get(
	                json_array_get(json_object_get(doc, "files"), 0),
	                "deb"),
	        "version", json_string("1.1 beta"));
	check_doc(doc, SL_EINVAL,
	          "files[0].deb.version: version string has embedded spaces");
	doc = load(deb_doc);
	json_object_set_new(install_of(doc), "arguments",
	                    load("[\"acme-lib_1.1_all.deb\"]"));
	check_doc(doc, SL_EINVAL,
	          "install.arguments: the deb handler takes none (it installs "
	          "the update's .deb files that are installed in an older "
	          "version)");
	doc = load(deb_doc);
	json_object_set_new(install_of(doc), "uninstall_arguments",
	                    load("[\"acme-tool\"]"));
	check_doc(doc, SL_EINVAL,
	          "install.uninstall_arguments: the deb handler cannot "
	          "uninstall (a downgrade is not a Debian operation)");
	doc = load(deb_doc);
	json_object_set_new(doc, "files", json_array());
	check_doc(doc, SL_EINVAL,
	          "files: the deb handler needs a .deb file and the update has "
	          "none");
}

static void
test_other_handlers(void **state)
{
	json_t *doc;

	(void)state;
	/* dpkg: the file and --options only */
	doc = load(deb_doc);
	json_object_set_new(install_of(doc), "handler", json_string("dpkg"));
	assert_int_equal(check_doc(doc, SL_OK, NULL), 0);
	doc = load(deb_doc);
	json_object_set_new(install_of(doc), "handler", json_string("dpkg"));
	json_object_set_new(install_of(doc), "arguments",
	                    load("[\"-i\",\"acme-lib_1.1_all.deb\"]"));
	/* both arguments are wrong: two problems, the first returned */
	assert_int_equal(
	        check_doc(doc, SL_EINVAL,
	                  "install.arguments[0]: '-i' is a dpkg action: the "
	                  "dpkg handler adds -i itself"),
	        2);
	doc = load(deb_doc);
	json_object_set_new(install_of(doc), "handler", json_string("dpkg"));
	json_object_set_new(install_of(doc), "arguments",
	                    load("[\"acme-lib_1.1_all.deb\",\"--force-"
	                         "confold\"]"));
	json_object_set_new(install_of(doc), "uninstall_arguments",
	                    load("[\"acme-lib\"]"));
	assert_int_equal(check_doc(doc, SL_OK, NULL), 0);
	doc = load(deb_doc);
	json_object_set_new(install_of(doc), "handler", json_string("dpkg"));
	json_object_set_new(doc, "files", json_array());
	check_doc(doc, SL_EINVAL,
	          "files: the dpkg handler needs a .deb file and the update "
	          "has none");

	/* command / script: arguments[0] is one of the files */
	doc = load(deb_doc);
	json_object_set_new(install_of(doc), "handler", json_string("script"));
	json_object_set_new(install_of(doc), "arguments",
	                    load("[\"setup.sh\",\"--quiet\"]"));
	check_doc(doc, SL_EINVAL,
	          "install.arguments[0]: 'setup.sh' is not one of the files");
	doc = load(deb_doc);
	json_object_set_new(install_of(doc), "handler", json_string("command"));
	check_doc(doc, SL_EINVAL,
	          "install.arguments[0]: required: the command handler runs "
	          "the file it names");
	doc = load(deb_doc);
	json_object_set_new(install_of(doc), "handler", json_string("script"));
	json_object_set_new(install_of(doc), "arguments",
	                    load("[\"acme-lib_1.1_all.deb\"]"));
	json_object_set_new(install_of(doc), "uninstall_arguments",
	                    load("[\"remove.sh\"]"));
	check_doc(doc, SL_EINVAL,
	          "install.uninstall_arguments[0]: 'remove.sh' is not one of "
	          "the files");

	/* a handler the codec knows but the agent does not have */
	doc = load(deb_doc);
	json_object_set_new(install_of(doc), "handler", json_string("rpm"));
	check_doc(doc, SL_EUNSUPPORTED,
	          "install.handler: 'rpm' is not a handler the agent has "
	          "(command, script, dpkg, deb)");
}

struct seen {
	size_t n;
	char last[ERR_MSG_MAX];
};

static void
collect(void *arg, int code, const char *msg)
{
	struct seen *s = arg;

	assert_int_equal(code, SL_EINVAL);
	s->n++;
	snprintf(s->last, sizeof(s->last), "%s", msg);
}

static void
test_every_problem_reported(void **state)
{
	struct update *u = NULL;
	struct seen s = {0};
	struct err e;
	size_t n = 0;
	json_t *doc = load(deb_doc);

	(void)state;
	json_object_del(rule_at(doc, 0), "version");
	json_object_set_new(install_of(doc), "uninstall_arguments",
	                    load("[\"acme-tool\"]"));
	assert_int_equal(update_from_json(&u, doc, &e), SL_OK);
	json_decref(doc);
	assert_int_equal(update_check(u, collect, &s, &n, &e), SL_EINVAL);
	assert_string_equal(e.msg, "applicability.is_installable.or[0]: "
	                           "deb_installed: op without version");
	assert_int_equal(n, 2);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.last,
	                    "install.uninstall_arguments: the deb handler "
	                    "cannot uninstall (a downgrade is not a Debian "
	                    "operation)");
	update_free(u);
}

/* The full example of docs/metadata.md passes the origin's check. */
static void
test_documented_examples(void **state)
{
	const char *root = getenv("SOURCE_ROOT");
	char path[4096], *text, *p;
	json_error_t jerr;
	FILE *f;
	long n;
	size_t count = 0;

	(void)state;
	assert_non_null(root);
	snprintf(path, sizeof(path), "%s/docs/metadata.md", root);
	assert_non_null(f = fopen(path, "rb"));
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	assert_true((n = ftell(f)) > 0);
	rewind(f);
	assert_non_null(text = calloc(1, (size_t)n + 1));
	assert_int_equal(fread(text, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	/* every ```json block that is a whole update document */
	for (p = text; (p = strstr(p, "```json\n")) != NULL;) {
		char *end = strstr(p + 8, "```");
		json_t *doc;

		assert_non_null(end);
		doc = json_loadb(p + 8, (size_t)(end - p - 8), 0, &jerr);
		p = end + 3;
		if (doc == NULL || json_object_get(doc, "install") == NULL ||
		    json_object_get(doc, "files") == NULL) {
			json_decref(doc);
			continue;
		}
		check_doc(doc, SL_OK, NULL);
		count++;
	}
	assert_true(count >= 1);
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_valid),
	        cmocka_unit_test(test_predicates),
	        cmocka_unit_test(test_deb_handler),
	        cmocka_unit_test(test_other_handlers),
	        cmocka_unit_test(test_every_problem_reported),
	        cmocka_unit_test(test_documented_examples),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
