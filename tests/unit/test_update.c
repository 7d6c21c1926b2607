/* Unit tests for update: round trips, deep copies, every validation error
 * (code and message), rule tree shapes, text parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "update.h"

/* Every field set: rules with and/or/not over several predicate types,
 * two files and a EULA. */
static const char full_doc[] =
        "{"
        "\"id\": \"3f6c1e0a-9b2d-4c7e-8a15-2d9e4b7c6a01\","
        "\"revision\": 3,"
        "\"title\": \"openssl security update (DSA-5532-1)\","
        "\"description\": \"Fixes a denial of service in X9.42 DH keys.\","
        "\"classification\": \"security\","
        "\"product\": \"Debian 12 / openssl\","
        "\"severity\": \"important\","
        "\"kb_article\": \"SL-2023-0042\","
        "\"security_bulletin\": \"DSA-5532-1\","
        "\"cve_ids\": [\"CVE-2023-5363\", \"CVE-2023-5678\"],"
        "\"release_date\": \"2023-10-24\","
        "\"support_url\": \"https://www.debian.org/security/2023/dsa-5532\","
        "\"eula\": {\"name\": \"LICENSE.txt\", \"size\": 10175,"
        "  \"sha256\": "
        "\"aa11bb22cc33dd44ee55ff6600112233445566778899aabbccddeeff00112233\","
        "  \"url\": \"eula/openssl-LICENSE.txt\"},"
        "\"supersedes\": [\"0b5f7a32-1c4d-4e8f-9a6b-7c8d9e0f1a2b\"],"
        "\"prerequisites\": [\"11111111-2222-4333-8444-555555555555\"],"
        "\"bundles\": [\"aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee\","
        "  \"ffffffff-0000-4111-8222-333333333333\"],"
        "\"applicability\": {"
        "  \"is_installed\": {\"and\": ["
        "    {\"type\": \"deb_installed\", \"package\": \"openssl\","
        "     \"op\": \">=\", \"version\": \"3.0.11-1~deb12u2\"},"
        "    {\"type\": \"deb_installed\", \"package\": \"libssl3\","
        "     \"op\": \">=\", \"version\": \"3.0.11-1~deb12u2\"}]},"
        "  \"is_installable\": {\"and\": ["
        "    {\"type\": \"os_id\", \"id\": \"debian\"},"
        "    {\"type\": \"os_version\", \"op\": \"=\", \"version\": \"12\"},"
        "    {\"or\": [{\"type\": \"arch\", \"arch\": \"amd64\"},"
        "             {\"type\": \"arch\", \"arch\": \"arm64\"}]},"
        "    {\"not\": {\"type\": \"file_exists\","
        "               \"path\": \"/etc/sluice/hold-openssl\"}},"
        "    {\"type\": \"deb_installed\", \"package\": \"openssl\"},"
        "    {\"type\": \"kernel\", \"op\": \">=\", \"version\": \"6.1\"},"
        "    {\"type\": \"update_installed\","
        "     \"id\": \"11111111-2222-4333-8444-555555555555\"}]}},"
        "\"install\": {"
        "  \"handler\": \"dpkg\","
        "  \"arguments\": [\"-i\", \"openssl_3.0.11-1~deb12u2_amd64.deb\","
        "    \"libssl3_3.0.11-1~deb12u2_amd64.deb\"],"
        "  \"success_codes\": [0, 100],"
        "  \"reboot_codes\": [3010, -1],"
        "  \"reboot\": \"if-required\","
        "  \"uninstall_arguments\": [\"-r\", \"openssl\"],"
        "  \"timeout_seconds\": 900},"
        "\"files\": ["
        "  {\"name\": \"openssl_3.0.11-1~deb12u2_amd64.deb\","
        "   \"size\": 1418632,"
        "   \"sha256\": "
        "\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\","
        "   \"url\": \"pool/o/openssl_3.0.11-1~deb12u2_amd64.deb\","
        "   \"deb\": {\"package\": \"openssl\","
        "    \"version\": \"3.0.11-1~deb12u2\", \"architecture\": \"amd64\"}},"
        "  {\"name\": \"libssl3_3.0.11-1~deb12u2_amd64.deb\","
        "   \"size\": 2029536,"
        "   \"sha256\": "
        "\"fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210\","
        "   \"url\": \"https://deb.example.org/pool/libssl3_amd64.deb\"}]"
        "}";

/* The smallest document, in its written (normalized) form. */
static const char minimal_doc[] =
        "{\"applicability\":{\"is_installable\":{\"type\":\"true\"},"
        "\"is_installed\":{\"type\":\"false\"}},"
        "\"bundles\":[],\"classification\":\"tool\",\"cve_ids\":[],"
        "\"files\":[],"
        "\"id\":\"00000000-0000-4000-8000-000000000000\","
        "\"install\":{\"arguments\":[],\"handler\":\"script\","
        "\"reboot\":\"never\",\"reboot_codes\":[],\"success_codes\":[0]},"
        "\"prerequisites\":[],\"product\":\"p\","
        "\"release_date\":\"2024-02-29\",\"revision\":1,"
        "\"supersedes\":[],\"title\":\"t\"}";

static json_t *
load(const char *text)
{
	json_error_t jerr;
	json_t *doc = json_loads(text, 0, &jerr);

	if (doc == NULL)
		fail_msg("test document: line %d: %s", jerr.line, jerr.text);
	return doc;
}

static char *
dump(const json_t *doc)
{
	char *s = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);

	assert_non_null(s);
	return s;
}

/* Parse doc, write it, compare with the original byte for byte. */
static void
assert_round_trip(const json_t *doc)
{
	struct update *u = NULL, *c;
	struct err e;
	json_t *back;
	char *a, *b;

	err_clear(&e);
	assert_int_equal(update_from_json(&u, doc, &e), SL_OK);
	assert_string_equal(e.msg, "");
	assert_non_null(u);
	back = update_to_json(u);
	assert_non_null(back);
	a = dump(doc);
	b = dump(back);
	assert_string_equal(a, b);
	free(b);
	json_decref(back);

	/* A deep copy writes the same document and outlives the original. */
	c = update_dup(u);
	assert_non_null(c);
	update_free(u);
	back = update_to_json(c);
	b = dump(back);
	assert_string_equal(a, b);
	free(a);
	free(b);
	json_decref(back);
	update_free(c);
}

/* doc must fail with code and exactly msg; doc is consumed. */
static void
assert_rejects(json_t *doc, int code, const char *msg)
{
	struct update *u = NULL;
	struct err e;

	err_clear(&e);
	assert_int_equal(update_from_json(&u, doc, &e), code);
	assert_int_equal(e.code, code);
	assert_string_equal(e.msg, msg);
	assert_null(u);
	json_decref(doc);
}

/* Walk a dotted path of object keys from the root ("install"). */
static json_t *
at(json_t *doc, const char *a, const char *b)
{
	json_t *v = json_object_get(doc, a);

	if (b != NULL)
		v = json_object_get(v, b);
	assert_non_null(v);
	return v;
}

static void
test_full_round_trip(void **state)
{
	json_t *doc = load(full_doc);
	struct update *u = NULL;
	struct err e;

	(void)state;
	assert_round_trip(doc);

	/* The model holds what the document says. */
	assert_int_equal(update_from_json(&u, doc, &e), SL_OK);
	assert_string_equal(u->id, "3f6c1e0a-9b2d-4c7e-8a15-2d9e4b7c6a01");
	assert_int_equal(u->revision, 3);
	assert_string_equal(u->severity, "important");
	assert_string_equal(u->cve_ids[1], "CVE-2023-5678");
	assert_null(u->cve_ids[2]);
	assert_string_equal(u->bundles[1],
	                    "ffffffff-0000-4111-8222-333333333333");
	assert_non_null(u->eula);
	assert_int_equal(u->eula->size, 10175);
	assert_string_equal(u->install.handler, "dpkg");
	assert_string_equal(u->install.arguments[2],
	                    "libssl3_3.0.11-1~deb12u2_amd64.deb");
	assert_int_equal(u->install.n_success_codes, 2);
	assert_int_equal(u->install.success_codes[1], 100);
	assert_int_equal(u->install.n_reboot_codes, 2);
	assert_int_equal(u->install.reboot_codes[1], -1);
	assert_int_equal(u->install.reboot, UPDATE_REBOOT_IF_REQUIRED);
	assert_string_equal(u->install.uninstall_arguments[1], "openssl");
	assert_int_equal(u->install.timeout_seconds, 900);
	assert_int_equal(u->n_files, 2);
	assert_int_equal(u->files[1].size, 2029536);
	assert_string_equal(u->files[0].sha256, "0123456789abcdef0123456789abc"
	                                        "def0123456789abcdef0123456789"
	                                        "abcdef");
	/* Rule trees are copies, not references into the input. */
	assert_true(u->is_installable !=
	            at(doc, "applicability", "is_installable"));
	assert_true(json_equal(u->is_installable,
	                       at(doc, "applicability", "is_installable")));
	update_free(u);
	json_decref(doc);
}

/* A tree handed over: the rule trees are the tree's own (referenced),
 * the model the same, and it outlives the tree. */
static void
test_from_json_shared(void **state)
{
	json_t *doc = load(full_doc), *rule;
	struct update *u = NULL, *c = NULL;
	struct err e;
	char *a, *b;

	(void)state;
	rule = at(doc, "applicability", "is_installable");
	assert_int_equal(update_from_json(&c, doc, &e), SL_OK);
	assert_int_equal(update_from_json_shared(&u, doc, &e), SL_OK);
	assert_ptr_equal(u->is_installable, rule);
	assert_true(json_equal(u->is_installed, c->is_installed));
	a = dump(doc);
	json_decref(doc);
	doc = update_to_json(u);
	b = dump(doc);
	assert_string_equal(a, b);
	free(a);
	free(b);
	json_decref(doc);
	update_free(u);
	update_free(c);
	u = NULL;
	/* Refused alike. */
	doc = load(full_doc);
	json_object_del(doc, "title");
	assert_int_equal(update_from_json_shared(&u, doc, &e), SL_EINVAL);
	assert_string_equal(e.msg, "title: required");
	assert_null(u);
	json_decref(doc);
}

static void
test_minimal_round_trip(void **state)
{
	json_t *doc = load(minimal_doc);
	struct update *u = NULL;
	struct err e;

	(void)state;
	assert_round_trip(doc);
	assert_int_equal(update_from_json(&u, doc, &e), SL_OK);
	assert_null(u->description);
	assert_null(u->severity);
	assert_null(u->eula);
	assert_null(u->install.uninstall_arguments);
	assert_int_equal(u->install.timeout_seconds, 0);
	assert_int_equal(u->n_files, 0);
	assert_null(u->cve_ids[0]);
	update_free(u);
	json_decref(doc);
}

static void
test_defaults_written(void **state)
{
	struct update *u = NULL;
	struct err e;
	json_t *doc = load(minimal_doc), *in, *back;
	char *s;

	(void)state;
	/* Optional lists and install fields may be left out: they come back
	 * as their defaults. */
	json_object_del(doc, "cve_ids");
	json_object_del(doc, "bundles");
	json_object_del(doc, "files");
	in = at(doc, "install", NULL);
	json_object_del(in, "arguments");
	json_object_del(in, "success_codes");
	json_object_del(in, "reboot_codes");
	json_object_del(in, "reboot");
	json_object_set_new(in, "timeout_seconds", json_integer(0));
	assert_int_equal(update_from_json(&u, doc, &e), SL_OK);
	back = update_to_json(u);
	s = json_dumps(at(back, "install", NULL),
	               JSON_COMPACT | JSON_SORT_KEYS);
	assert_string_equal(s, "{\"arguments\":[],\"handler\":\"script\","
	                       "\"reboot\":\"if-required\",\"reboot_codes\":[],"
	                       "\"success_codes\":[0]}");
	free(s);
	assert_non_null(json_object_get(back, "bundles"));
	assert_non_null(json_object_get(back, "files"));
	json_decref(back);
	update_free(u);
	json_decref(doc);
}

static void
test_from_string(void **state)
{
	struct update *u = NULL;
	struct err e;

	(void)state;
	assert_int_equal(update_from_string(&u, full_doc, strlen(full_doc), &e),
	                 SL_OK);
	assert_int_equal(u->n_files, 2);
	update_free(u);
	u = NULL;

	assert_int_equal(update_from_string(&u, "{\"id\": }", 8, &e),
	                 SL_EPARSE);
	assert_string_equal(e.msg,
	                    "line 1 column 8: unexpected token near '}'");
	assert_null(u);

	assert_int_equal(update_from_string(&u, "{\"a\":1,\"a\":2}", 13, &e),
	                 SL_EPARSE);
	assert_string_equal(
	        e.msg, "line 1 column 10: duplicate object key near '\"a\"'");

	/* Text after len is not read. */
	assert_int_equal(update_from_string(&u, "[]garbage", 2, &e), SL_EINVAL);
	assert_string_equal(e.msg, "document: expected an object");
	assert_null(u);
}

static void
test_from_string_too_big(void **state)
{
	size_t len = UPDATE_DOC_MAX + 1;
	char *text = malloc(len);
	struct update *u = NULL;
	struct err e;

	(void)state;
	assert_non_null(text);
	memset(text, ' ', len);
	assert_int_equal(update_from_string(&u, text, len, &e), SL_ETOOBIG);
	assert_string_equal(
	        e.msg, "document is 4194305 bytes, over the limit of 4194304");
	assert_null(u);
	free(text);
}

static void
test_unknown_fields(void **state)
{
	json_t *doc;

	(void)state;
	doc = load(full_doc);
	json_object_set_new(doc, "colour", json_string("blue"));
	assert_rejects(doc, SL_EINVAL, "colour: unknown field");

	doc = load(full_doc);
	json_object_set_new(at(doc, "install", NULL), "foo", json_true());
	assert_rejects(doc, SL_EINVAL, "install.foo: unknown field");

	doc = load(full_doc);
	json_object_set_new(json_array_get(at(doc, "files", NULL), 1), "mode",
	                    json_integer(420));
	assert_rejects(doc, SL_EINVAL, "files[1].mode: unknown field");

	doc = load(full_doc);
	json_object_set_new(at(doc, "eula", NULL), "lang", json_string("en"));
	assert_rejects(doc, SL_EINVAL, "eula.lang: unknown field");

	doc = load(full_doc);
	json_object_set_new(at(doc, "applicability", NULL), "is_hidden",
	                    json_true());
	assert_rejects(doc, SL_EINVAL,
	               "applicability.is_hidden: unknown field");
}

static void
test_required_fields(void **state)
{
	static const char *const top[] = {
	        "id",      "revision",     "title",         "classification",
	        "product", "release_date", "applicability", "install",
	        NULL};
	char want[128];
	json_t *doc;

	(void)state;
	for (size_t i = 0; top[i] != NULL; i++) {
		doc = load(full_doc);
		json_object_del(doc, top[i]);
		snprintf(want, sizeof(want), "%s: required", top[i]);
		assert_rejects(doc, SL_EINVAL, want);
	}

	doc = load(full_doc);
	json_object_del(at(doc, "install", NULL), "handler");
	assert_rejects(doc, SL_EINVAL, "install.handler: required");

	doc = load(full_doc);
	json_object_del(at(doc, "applicability", NULL), "is_installable");
	assert_rejects(doc, SL_EINVAL,
	               "applicability.is_installable: required");

	doc = load(full_doc);
	json_object_del(json_array_get(at(doc, "files", NULL), 0), "size");
	assert_rejects(doc, SL_EINVAL, "files[0].size: required");

	doc = load(full_doc);
	json_object_del(at(doc, "eula", NULL), "url");
	assert_rejects(doc, SL_EINVAL, "eula.url: required");
}

static void
test_wrong_types(void **state)
{
	json_t *doc;

	(void)state;
	doc = load("[1, 2]");
	assert_rejects(doc, SL_EINVAL, "document: expected an object");

	doc = load(full_doc);
	json_object_set_new(doc, "revision", json_string("3"));
	assert_rejects(doc, SL_EINVAL, "revision: expected an integer");

	doc = load(full_doc);
	json_object_set_new(doc, "revision", json_real(3.0));
	assert_rejects(doc, SL_EINVAL, "revision: expected an integer");

	doc = load(full_doc);
	json_object_set_new(doc, "title", json_integer(7));
	assert_rejects(doc, SL_EINVAL, "title: expected a string");

	doc = load(full_doc);
	json_object_set_new(doc, "description", json_null());
	assert_rejects(doc, SL_EINVAL, "description: expected a string");

	doc = load(full_doc);
	json_object_set_new(doc, "cve_ids", json_string("CVE-2023-5363"));
	assert_rejects(doc, SL_EINVAL, "cve_ids: expected an array");

	doc = load(full_doc);
	json_object_set_new(doc, "install", json_array());
	assert_rejects(doc, SL_EINVAL, "install: expected an object");

	doc = load(full_doc);
	json_array_append_new(at(doc, "install", "success_codes"),
	                      json_real(1.5));
	assert_rejects(doc, SL_EINVAL,
	               "install.success_codes[2]: expected an integer");

	doc = load(full_doc);
	json_array_set_new(at(doc, "install", "arguments"), 1, json_false());
	assert_rejects(doc, SL_EINVAL,
	               "install.arguments[1]: expected a string");

	doc = load(full_doc);
	json_object_set_new(doc, "files", json_object());
	assert_rejects(doc, SL_EINVAL, "files: expected an array");

	doc = load(full_doc);
	json_array_set_new(at(doc, "files", NULL), 1, json_string("x.deb"));
	assert_rejects(doc, SL_EINVAL, "files[1]: expected an object");

	doc = load(full_doc);
	json_object_set_new(json_array_get(at(doc, "files", NULL), 0), "size",
	                    json_string("12"));
	assert_rejects(doc, SL_EINVAL, "files[0].size: expected an integer");

	doc = load(full_doc);
	json_object_set_new(doc, "title", json_stringn("a\0b", 3));
	assert_rejects(doc, SL_EINVAL, "title: contains a NUL character");
}

static void
test_identity_and_properties(void **state)
{
	json_t *doc;

	(void)state;
	doc = load(full_doc);
	json_object_set_new(
	        doc, "id", json_string("3F6C1E0A-9B2D-4C7E-8A15-2D9E4B7C6A01"));
	assert_rejects(doc, SL_EINVAL, "id: expected a lowercase UUID");

	doc = load(full_doc);
	json_object_set_new(doc, "id", json_string("3f6c1e0a9b2d4c7e8a152d9e"));
	assert_rejects(doc, SL_EINVAL, "id: expected a lowercase UUID");

	doc = load(full_doc);
	json_object_set_new(doc, "revision", json_integer(0));
	assert_rejects(doc, SL_EINVAL, "revision: must be at least 1");

	doc = load(full_doc);
	json_object_set_new(doc, "title", json_string(""));
	assert_rejects(doc, SL_EINVAL, "title: must not be empty");

	doc = load(full_doc);
	json_object_set_new(doc, "product", json_string(""));
	assert_rejects(doc, SL_EINVAL, "product: must not be empty");

	doc = load(full_doc);
	json_object_set_new(doc, "classification", json_string("bogus"));
	assert_rejects(doc, SL_EINVAL,
	               "classification: unknown classification 'bogus'");

	doc = load(full_doc);
	json_object_set_new(doc, "severity", json_string("Critical"));
	assert_rejects(doc, SL_EINVAL, "severity: unknown severity 'Critical'");

	doc = load(full_doc);
	json_array_append_new(at(doc, "cve_ids", NULL),
	                      json_string("CVE-2023-123"));
	assert_rejects(doc, SL_EINVAL, "cve_ids[2]: expected CVE-YYYY-NNNN");

	doc = load(full_doc);
	json_object_set_new(doc, "release_date", json_string("2023-9-1"));
	assert_rejects(doc, SL_EINVAL, "release_date: expected YYYY-MM-DD");

	doc = load(full_doc);
	json_object_set_new(doc, "release_date", json_string("24/10/2023"));
	assert_rejects(doc, SL_EINVAL, "release_date: expected YYYY-MM-DD");

	doc = load(full_doc);
	json_object_set_new(doc, "release_date", json_string("2023-02-29"));
	assert_rejects(doc, SL_EINVAL,
	               "release_date: no such day '2023-02-29'");

	doc = load(full_doc);
	json_object_set_new(doc, "release_date", json_string("2023-13-01"));
	assert_rejects(doc, SL_EINVAL,
	               "release_date: no such day '2023-13-01'");
}

static void
test_relationships(void **state)
{
	json_t *doc;

	(void)state;
	doc = load(full_doc);
	json_array_append_new(at(doc, "supersedes", NULL),
	                      json_string("not-a-uuid"));
	assert_rejects(doc, SL_EINVAL,
	               "supersedes[1]: expected a lowercase UUID");

	doc = load(full_doc);
	json_array_set_new(at(doc, "bundles", NULL), 1,
	                   json_string("3f6c1e0a-9b2d-4c7e-8a15-2d9e4b7c6a01"));
	assert_rejects(doc, SL_EINVAL,
	               "bundles[1]: refers to the update itself");

	doc = load(full_doc);
	json_object_set_new(doc, "prerequisites", json_array());
	json_array_append_new(at(doc, "prerequisites", NULL), json_integer(5));
	assert_rejects(doc, SL_EINVAL, "prerequisites[0]: expected a string");
}

static void
test_install(void **state)
{
	json_t *doc;

	(void)state;
	doc = load(full_doc);
	json_object_set_new(at(doc, "install", NULL), "handler",
	                    json_string("msi"));
	assert_rejects(doc, SL_EINVAL,
	               "install.handler: unknown handler 'msi'");

	doc = load(full_doc);
	json_object_set_new(at(doc, "install", NULL), "reboot",
	                    json_string("sometimes"));
	assert_rejects(doc, SL_EINVAL,
	               "install.reboot: unknown reboot behaviour 'sometimes'");

	doc = load(full_doc);
	json_object_set_new(at(doc, "install", NULL), "success_codes",
	                    json_array());
	assert_rejects(doc, SL_EINVAL,
	               "install.success_codes: must not be empty");

	doc = load(full_doc);
	json_array_append_new(at(doc, "install", "reboot_codes"),
	                      json_integer(4294967296LL));
	assert_rejects(doc, SL_EINVAL, "install.reboot_codes[2]: out of range");

	doc = load(full_doc);
	json_object_set_new(at(doc, "install", NULL), "timeout_seconds",
	                    json_integer(-5));
	assert_rejects(doc, SL_EINVAL,
	               "install.timeout_seconds: must not be negative");

	doc = load(full_doc);
	json_object_set_new(at(doc, "install", NULL), "uninstall_arguments",
	                    json_string("-r openssl"));
	assert_rejects(doc, SL_EINVAL,
	               "install.uninstall_arguments: expected an array");
}

static void
set_file(json_t *doc, size_t i, const char *key, json_t *v)
{
	json_object_set_new(json_array_get(at(doc, "files", NULL), i), key, v);
}

static void
test_files(void **state)
{
	static const char *const bad_names[] = {"",        "..",          ".",
	                                        "a/b.deb", "/etc/passwd", NULL};
	json_t *doc;

	(void)state;
	doc = load(full_doc);
	set_file(doc, 1, "sha256", json_string("abc"));
	assert_rejects(doc, SL_EINVAL,
	               "files[1].sha256: expected 64 hex digits");

	doc = load(full_doc);
	set_file(doc, 1, "sha256",
	         json_string("FEDCBA9876543210FEDCBA9876543210"
	                     "FEDCBA9876543210FEDCBA9876543210"));
	assert_rejects(doc, SL_EINVAL,
	               "files[1].sha256: expected 64 hex digits");

	doc = load(full_doc);
	set_file(doc, 0, "sha256",
	         json_string("0123456789abcdef0123456789abcdef"
	                     "0123456789abcdef0123456789abcdeg"));
	assert_rejects(doc, SL_EINVAL,
	               "files[0].sha256: expected 64 hex digits");

	for (size_t i = 0; bad_names[i] != NULL; i++) {
		doc = load(full_doc);
		set_file(doc, 0, "name", json_string(bad_names[i]));
		assert_rejects(doc, SL_EINVAL,
		               "files[0].name: expected a plain file name");
	}

	doc = load(full_doc);
	set_file(doc, 1, "name",
	         json_string("openssl_3.0.11-1~deb12u2_amd64.deb"));
	assert_rejects(doc, SL_EINVAL,
	               "files[1].name: duplicate file name "
	               "'openssl_3.0.11-1~deb12u2_amd64.deb'");

	doc = load(full_doc);
	set_file(doc, 0, "size", json_integer(-1));
	assert_rejects(doc, SL_EINVAL, "files[0].size: must not be negative");

	doc = load(full_doc);
	set_file(doc, 1, "url", json_string(""));
	assert_rejects(doc, SL_EINVAL, "files[1].url: must not be empty");

	doc = load(full_doc);
	json_object_set_new(at(doc, "eula", NULL), "sha256", json_string(""));
	assert_rejects(doc, SL_EINVAL, "eula.sha256: expected 64 hex digits");

	/* The optional Debian package description of a file. */
	doc = load(full_doc);
	set_file(doc, 1, "deb", json_string("libssl3"));
	assert_rejects(doc, SL_EINVAL, "files[1].deb: expected an object");

	doc = load(full_doc);
	set_file(doc, 1, "deb", load("{\"package\": \"libssl3\"}"));
	assert_rejects(doc, SL_EINVAL, "files[1].deb.version: required");

	doc = load(full_doc);
	set_file(doc, 1, "deb",
	         load("{\"package\": \"libssl3\", \"version\": \"1\","
	              "\"architecture\": \"\"}"));
	assert_rejects(doc, SL_EINVAL,
	               "files[1].deb.architecture: must not be empty");

	doc = load(full_doc);
	set_file(doc, 1, "deb",
	         load("{\"package\": \"libssl3\", \"version\": \"1\","
	              "\"architecture\": \"amd64\", \"arch\": \"x\"}"));
	assert_rejects(doc, SL_EINVAL, "files[1].deb.arch: unknown field");
}

/* Replace applicability.is_installable with the rule in text. */
static json_t *
with_rule(const char *text)
{
	json_t *doc = load(full_doc);

	json_object_set_new(at(doc, "applicability", NULL), "is_installable",
	                    load(text));
	return doc;
}

static void
test_rule_shapes(void **state)
{
	(void)state;
	assert_rejects(with_rule("{\"and\": [{\"type\": \"true\"},"
	                         "{\"or\": [{\"kind\": \"arch\"}]}]}"),
	               SL_EINVAL,
	               "applicability.is_installable.and[1].or[0].type: "
	               "required");
	assert_rejects(with_rule("{\"and\": [{\"type\": 5}]}"), SL_EINVAL,
	               "applicability.is_installable.and[0].type: expected a "
	               "string");
	assert_rejects(with_rule("{\"or\": [{\"type\": \"\"}]}"), SL_EINVAL,
	               "applicability.is_installable.or[0].type: must not be "
	               "empty");
	assert_rejects(with_rule("{\"and\": []}"), SL_EINVAL,
	               "applicability.is_installable.and: must not be empty");
	assert_rejects(with_rule("{\"or\": {\"type\": \"true\"}}"), SL_EINVAL,
	               "applicability.is_installable.or: expected an array");
	assert_rejects(with_rule("{\"not\": [{\"type\": \"true\"}]}"),
	               SL_EINVAL,
	               "applicability.is_installable.not: expected a rule "
	               "object");
	assert_rejects(with_rule("{\"and\": [{\"not\": \"x\"}]}"), SL_EINVAL,
	               "applicability.is_installable.and[0].not: expected a "
	               "rule object");
	assert_rejects(with_rule("{\"and\": [{\"type\": \"true\"}],"
	                         " \"or\": [{\"type\": \"true\"}]}"),
	               SL_EINVAL,
	               "applicability.is_installable: 'and', 'or' and 'not' "
	               "take no other keys");
	assert_rejects(with_rule("{\"type\": \"arch\", \"not\": "
	                         "{\"type\": \"true\"}}"),
	               SL_EINVAL,
	               "applicability.is_installable: 'and', 'or' and 'not' "
	               "take no other keys");
	assert_rejects(with_rule("[{\"type\": \"true\"}]"), SL_EINVAL,
	               "applicability.is_installable: expected a rule object");
}

/* n rules deep: n-1 "not" around one predicate. */
static json_t *
nested_nots(int n)
{
	json_t *r = json_pack("{s:s}", "type", "true");

	for (int i = 1; i < n; i++)
		r = json_pack("{s:o}", "not", r);
	assert_non_null(r);
	return r;
}

static void
test_rule_depth(void **state)
{
	struct err e;
	json_t *r, *doc;
	char want[512];
	size_t n;

	(void)state;
	r = nested_nots(32);
	assert_int_equal(update_rule_check(r, "rule", &e), SL_OK);
	json_decref(r);

	r = nested_nots(33);
	assert_int_equal(update_rule_check(r, "rule", &e), SL_EINVAL);
	n = (size_t)snprintf(want, sizeof(want), "rule");
	for (int i = 0; i < 32; i++)
		n += (size_t)snprintf(want + n, sizeof(want) - n, ".not");
	snprintf(want + n, sizeof(want) - n, ": rules nested deeper than 32");
	assert_string_equal(e.msg, want);
	json_decref(r);

	/* Unknown predicate types are the agent's business. */
	r = json_pack("{s:[{s:s,s:i}]}", "or", "type", "registry_key", "x", 1);
	assert_int_equal(update_rule_check(r, "rule", &e), SL_OK);
	json_decref(r);

	/* Through the document, the limit holds for and/or nesting too. */
	doc = load(full_doc);
	r = nested_nots(32);
	json_object_set_new(at(doc, "applicability", NULL), "is_installed",
	                    json_pack("{s:[o]}", "and", r));
	assert_rejects(doc, SL_EINVAL,
	               "applicability.is_installed.and[0].not.not.not.not.not."
	               "not.not.not.not.not.not.not.not.not.not.not.not.not."
	               "not.not.not.not.not.not.not.not.not.not.not.not.not: "
	               "rules nested deeper than 32");
}

static void
test_dup_and_free(void **state)
{
	struct update *u = NULL, *c;
	struct err e;
	json_t *doc = load(full_doc), *a, *b;

	(void)state;
	update_free(NULL);
	assert_int_equal(update_from_json(&u, doc, &e), SL_OK);
	c = update_dup(u);
	assert_non_null(c);
	assert_true(c->title != u->title);
	assert_true(c->files != u->files);
	assert_true(c->is_installed != u->is_installed);
	assert_true(c->install.success_codes != u->install.success_codes);
	a = update_to_json(u);
	b = update_to_json(c);
	assert_true(json_equal(a, b));
	json_decref(a);
	json_decref(b);
	update_free(u);
	update_free(c);
	json_decref(doc);
}

/* The example of docs/metadata.md ("## Full example") is valid and in the
 * canonical form. */
static void
test_documented_example(void **state)
{
	const char *root = getenv("SOURCE_ROOT");
	char path[4096], *text, *start, *end;
	json_error_t jerr;
	json_t *doc;
	FILE *f;
	long n;

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
	assert_non_null(start = strstr(text, "\n## Full example\n"));
	assert_non_null(start = strstr(start, "```json\n"));
	start += 8;
	assert_non_null(end = strstr(start, "```"));
	doc = json_loadb(start, (size_t)(end - start), 0, &jerr);
	if (doc == NULL)
		fail_msg("example: line %d: %s", jerr.line, jerr.text);
	assert_round_trip(doc);
	json_decref(doc);
	free(text);
}

static void
test_id_valid(void **state)
{
	(void)state;
	assert_true(update_id_valid("00000000-0000-4000-8000-000000000000"));
	assert_false(update_id_valid(NULL));
	assert_false(update_id_valid(""));
	assert_false(update_id_valid("00000000-0000-4000-8000-00000000000"));
	assert_false(update_id_valid("00000000-0000-4000-8000-0000000000000"));
	assert_false(update_id_valid("00000000_0000-4000-8000-000000000000"));
	assert_false(update_id_valid("0000000g-0000-4000-8000-000000000000"));
	assert_true(update_classifications[0] != NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_full_round_trip),
	        cmocka_unit_test(test_from_json_shared),
	        cmocka_unit_test(test_minimal_round_trip),
	        cmocka_unit_test(test_defaults_written),
	        cmocka_unit_test(test_from_string),
	        cmocka_unit_test(test_from_string_too_big),
	        cmocka_unit_test(test_unknown_fields),
	        cmocka_unit_test(test_required_fields),
	        cmocka_unit_test(test_wrong_types),
	        cmocka_unit_test(test_identity_and_properties),
	        cmocka_unit_test(test_relationships),
	        cmocka_unit_test(test_install),
	        cmocka_unit_test(test_files),
	        cmocka_unit_test(test_rule_shapes),
	        cmocka_unit_test(test_rule_depth),
	        cmocka_unit_test(test_dup_and_free),
	        cmocka_unit_test(test_documented_example),
	        cmocka_unit_test(test_id_valid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
