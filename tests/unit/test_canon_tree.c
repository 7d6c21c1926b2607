/*
 * Unit tests for canon_tree: over canonical texts (and their indented
 * forms) the tree equals jansson's parse of the same text, escapes,
 * UTF-8, integers and nesting included; text that is not such a value is
 * refused with SL_EPARSE and the byte where reading stopped, never read
 * past its span.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "canon.h"
#include "canon_tree.h"
#include "sign.h"

/* text loads to the tree jansson parses from it. */
static void
assert_same(const char *text)
{
	struct canon_span v = {text, strlen(text)};
	json_t *mine = NULL, *ref;
	json_error_t je;
	struct err e;

	ref = json_loads(text, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
	if (ref == NULL)
		fail_msg("jansson refuses %s: %s", text, je.text);
	if (canon_tree_load(&mine, &v, &e) != SL_OK)
		fail_msg("refused: %s: %s", text, e.msg);
	if (!json_equal(mine, ref))
		fail_msg("differs from jansson's tree: %s", text);
	json_decref(mine);
	json_decref(ref);
}

static void
test_values(void **state)
{
	static const char *const texts[] = {
	        "{}",
	        "[]",
	        "0",
	        "-7",
	        "123456789012345678",
	        "-123456789012345678",
	        "true",
	        "false",
	        "null",
	        "\"\"",
	        "\"plain\"",
	        "\"q\\\"b\\\\ \\b\\f\\n\\r\\t\\u0001\\u001f\"",
	        "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"",
	        "{\"a\":1,\"b\":[1,2,{\"c\":null}],\"d\":{\"e\":\"f\"}}",
	        "[[[[[]]]],{},\"\",0]",
	        "{\"signatures\":[{\"keyid\":\"ab\",\"sig\":\"00\"}],"
	        "\"signed\":{\"id\":\"x\",\"revision\":3,\"title\":\"T "
	        "\\\"q\\\"\"}}",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		/* The texts are canonical: what the sync hands over. */
		if (!canon_check(NULL, texts[i], strlen(texts[i])))
			fail_msg("not canonical: %s", texts[i]);
		assert_same(texts[i]);
	}
}

/* A long escaped string (decoded on the heap, not the stack). */
static void
test_long_escaped(void **state)
{
	size_t n = 3000;
	char *t = malloc(n + 8);

	(void)state;
	assert_non_null(t);
	t[0] = '"';
	for (size_t i = 1; i + 1 < n; i += 2) {
		t[i] = '\\';
		t[i + 1] = 'n';
	}
	t[n - 1] = 'x';
	t[n] = '"';
	t[n + 1] = '\0';
	assert_true(canon_check(NULL, t, strlen(t)));
	assert_same(t);
	free(t);
}

/* Indented text whose compaction is canonical reads to the same tree. */
static void
test_spaced(void **state)
{
	const char *t = " {\n  \"a\" : [ 1 ,\t2 ],\r\n  \"b\": { } }\n";
	struct canon_span v = {t, strlen(t)};
	char *c = NULL;
	size_t clen;
	json_t *tree = NULL;
	struct err e;

	(void)state;
	assert_true(canon_compact(&c, &clen, t, strlen(t)));
	assert_true(canon_check(NULL, c, clen));
	free(c);
	assert_int_equal(canon_tree_load(&tree, &v, &e), SL_OK);
	assert_int_equal(json_integer_value(
	                         json_array_get(json_object_get(tree, "a"), 1)),
	                 2);
	assert_true(json_is_object(json_object_get(tree, "b")));
	json_decref(tree);
}

static void
assert_refused(const char *text, size_t len, size_t at)
{
	struct canon_span v = {text, len};
	json_t *tree = (json_t *)&v; /* must stay untouched */
	char want[64];
	struct err e;

	snprintf(want, sizeof(want), "not canonical JSON at byte %zu", at);
	if (canon_tree_load(&tree, &v, &e) != SL_EPARSE)
		fail_msg("accepted: %.*s", (int)len, text);
	assert_string_equal(e.msg, want);
	assert_ptr_equal(tree, (json_t *)&v);
}

static void
test_refuses(void **state)
{
	(void)state;
	assert_refused("", 0, 0);
	assert_refused("{", 1, 1);
	assert_refused("[1,", 3, 3);
	assert_refused("[1 2]", 5, 3);
	assert_refused("{\"a\" 1}", 7, 5);
	assert_refused("{\"a\\\"b\":1}", 10, 1);
	assert_refused("1.5", 3, 1);
	assert_refused("1e3", 3, 1);
	assert_refused("-0", 2, 0);
	assert_refused("1234567890123456789", 19, 0);
	assert_refused("tru", 3, 0);
	assert_refused("nul", 3, 0);
	assert_refused("\"a\\x\"", 5, 0);
	assert_refused("\"a\\u0000\"", 9, 0);
	assert_refused("\"a\\u00e9\"", 9, 0);
	assert_refused("\"a\nb\"", 5, 0);
	assert_refused("\"abc", 4, 0);
	assert_refused("[1]x", 4, 3);
	assert_refused("{\"a\":1,}", 8, 7);
	/* The span ends inside the text: nothing past it is read. */
	assert_refused("{\"a\":1}", 6, 6);
	assert_refused("\"ab\"", 3, 0);
	assert_refused("[true]", 4, 1);
}

static void
test_deep(void **state)
{
	char t[2 * 70 + 1];

	(void)state;
	for (int i = 0; i < 70; i++) {
		t[i] = '[';
		t[140 - 1 - i] = ']';
	}
	t[140] = '\0';
	assert_refused(t, 140, 65);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_values),
	        cmocka_unit_test(test_long_escaped),
	        cmocka_unit_test(test_spaced),
	        cmocka_unit_test(test_refuses),
	        cmocka_unit_test(test_deep),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
