/*
 * Unit tests for canon: what it accepts is exactly the canonical form
 * sign_canonical() writes of what jansson parses (checked both ways over a
 * set of values), what it refuses (every deviation the general path would
 * normalise or reject), and the in-place walk over members and elements.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "canon.h"
#include "sign.h"

static bool
check(const char *s)
{
	return canon_check(NULL, s, strlen(s));
}

/* text is canonical: jansson parses it and canonical() gives it back. */
static void
assert_round_trip(const char *text)
{
	json_error_t je;
	json_t *v =
	        json_loads(text, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
	struct err e;
	char *c = NULL;
	size_t len;

	if (!check(text))
		fail_msg("refused: %s", text);
	if (v == NULL)
		fail_msg("jansson refuses %s: %s", text, je.text);
	assert_int_equal(sign_canonical(&c, &len, v, &e), SL_OK);
	assert_int_equal(len, strlen(text));
	assert_memory_equal(c, text, len);
	free(c);
	json_decref(v);
}

static void
test_accepts(void **state)
{
	(void)state;
	assert_round_trip("{}");
	assert_round_trip("[]");
	assert_round_trip("0");
	assert_round_trip("-12");
	assert_round_trip("123456789012345678");
	assert_round_trip("true");
	assert_round_trip("null");
	assert_round_trip("\"\"");
	assert_round_trip("{\"a\":1,\"ab\":[true,false,null],\"b\":{}}");
	assert_round_trip("\"q\\\" b\\\\ \\b\\f\\n\\r\\t \\u0001\\u001f\"");
	assert_round_trip(
	        "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 /\x7f\"");
	assert_round_trip("{\"A\":0,\"_\":0,\"a\":0}");
	assert_round_trip("[[[[[[[[[[1]]]]]]]]]]");
	/* Whitespace around the value (jansson skips it). */
	assert_true(check(" \n{\"a\":1}\r\n\t"));
}

static void
test_refuses(void **state)
{
	static const char *bad[] = {
	        "",
	        " ",
	        "{\"a\": 1}",           /* whitespace inside */
	        "[1, 2]",               /* whitespace inside */
	        "{\"b\":1,\"a\":2}",    /* unsorted keys */
	        "{\"a\":1,\"a\":2}",    /* duplicate keys */
	        "{\"a\\u0062\":1}",     /* escape in a key */
	        "\"\\/\"",              /* needless escape */
	        "\"\\u00e9\"",          /* written as itself */
	        "\"\\u0041\"",          /* written as itself */
	        "\"\\u001F\"",          /* uppercase hex */
	        "\"\\u000a\"",          /* has a short form */
	        "\"\\u0000\"",          /* jansson refuses NUL */
	        "\"\\x\"",              /* no such escape */
	        "\"a\nb\"",             /* raw control character */
	        "\"\xc0\x80\"",         /* overlong */
	        "\"\xed\xa0\x80\"",     /* surrogate */
	        "\"\xf4\x90\x80\x80\"", /* above U+10FFFF */
	        "\"\xe2\x82\"",         /* truncated */
	        "\"\x80\"",             /* stray continuation */
	        "-0",                   /* written "0" */
	        "01",                   /* leading zero */
	        "1.0",                  /* real */
	        "1e5",                  /* real */
	        "1234567890123456789",  /* 19 digits */
	        "tru",                  /* truncated literal */
	        "{\"a\":1",             /* unterminated */
	        "[1,]",                 /* trailing comma */
	        "{\"a\":1}x",           /* trailing text */
	        "{\"a\":1}{}",          /* two values */
	        "\xef\xbb\xbf{}",       /* BOM */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (check(bad[i]))
			fail_msg("accepted bad[%zu]: %s", i, bad[i]);
}

static void
test_depth(void **state)
{
	char deep[80];
	size_t n = 0;

	(void)state;
	/* 32 levels below the top are accepted, 33 are left to jansson. */
	for (int i = 0; i < 33; i++)
		deep[n++] = '[';
	for (int i = 0; i < 33; i++)
		deep[n++] = ']';
	deep[n] = '\0';
	assert_true(check(deep));
	memmove(deep + 1, deep, n + 1);
	deep[0] = '[';
	memmove(deep + n + 1, "]", 2);
	assert_false(check(deep));
}

static void
assert_compacts(const char *text, const char *want)
{
	char *out = NULL;
	size_t len;

	if (!canon_compact(&out, &len, text, strlen(text)))
		fail_msg("not compacted: %s", text);
	assert_int_equal(len, strlen(want));
	assert_memory_equal(out, want, len);
	free(out);
}

static void
assert_no_compact(const char *text)
{
	char *out = NULL;
	size_t len;

	if (canon_compact(&out, &len, text, strlen(text)))
		fail_msg("compacted: %s", text);
	assert_null(out);
}

static void
test_compact(void **state)
{
	(void)state;
	assert_compacts("{\n  \"a\": [\n    1,\n    \"x y\"\n  ]\n}\n",
	                "{\"a\":[1,\"x y\"]}");
	assert_compacts(" \t\r\n[ true , null ] ", "[true,null]");
	assert_compacts("{\"a\\\" b\" : 1}", "{\"a\\\" b\":1}");
	/* Nothing to take out. */
	assert_no_compact("{\"a\":\"b c\"}");
	assert_no_compact("");
	/* Removing it would join two tokens. */
	assert_no_compact("[1 2]");
	assert_no_compact("[\"a\" \"b\"]");
	assert_no_compact("[tr ue]");
	assert_no_compact("[- 1]");
	assert_no_compact("{\"a\":1 }x y");
}

static void
test_walk(void **state)
{
	const char *text = " {\"a\":[1,{\"x\":\"]}\\\"\"},[]],\"b\":\"s,t\","
	                   "\"c\":{},\"d\":-5} ";
	struct canon_span all, key, val, el;
	size_t pos = 0, pos2 = 0, n = 0;

	(void)state;
	assert_true(canon_check(&all, text, strlen(text)));
	assert_int_equal(all.p[0], '{');
	assert_int_equal(all.p[all.len - 1], '}');
	assert_true(canon_next(&key, &val, &all, &pos));
	assert_true(canon_key_is(&key, "a"));
	assert_false(canon_key_is(&key, "ab"));
	assert_int_equal(val.len, strlen("[1,{\"x\":\"]}\\\"\"},[]]"));
	while (canon_next(NULL, &el, &val, &pos2))
		n++;
	assert_int_equal(n, 3);
	assert_true(canon_next(&key, &val, &all, &pos));
	assert_true(canon_key_is(&key, "b"));
	assert_int_equal(val.len, 5);
	assert_memory_equal(val.p, "\"s,t\"", 5);
	assert_true(canon_next(&key, &val, &all, &pos));
	assert_true(canon_key_is(&key, "c"));
	assert_memory_equal(val.p, "{}", 2);
	pos2 = 0;
	assert_false(canon_next(&key, &el, &val, &pos2));
	assert_true(canon_next(&key, &val, &all, &pos));
	assert_true(canon_key_is(&key, "d"));
	assert_int_equal(val.len, 2);
	assert_false(canon_next(&key, &val, &all, &pos));
}

/* The walk over indented text (compacted, it is canonical). */
static void
test_walk_spaced(void **state)
{
	const char *text = "{\n  \"a\": [ 1, { \"x\": \"] ,\" } ],\n"
	                   "  \"b\" : \"s\"\n}";
	const char *arr = "[ 1, { \"x\": \"] ,\" } ]";
	struct canon_span all = {text, strlen(text)}, key, val, el;
	size_t pos = 0, pos2 = 0, n = 0;
	char *c = NULL;
	size_t clen;

	(void)state;
	assert_true(canon_compact(&c, &clen, text, strlen(text)));
	assert_true(canon_check(NULL, c, clen));
	free(c);
	assert_true(canon_next(&key, &val, &all, &pos));
	assert_true(canon_key_is(&key, "a"));
	assert_int_equal(val.len, strlen(arr));
	assert_memory_equal(val.p, arr, val.len);
	while (canon_next(NULL, &el, &val, &pos2))
		n++;
	assert_int_equal(n, 2);
	assert_true(canon_next(&key, &val, &all, &pos));
	assert_true(canon_key_is(&key, "b"));
	assert_int_equal(val.len, 3);
	assert_memory_equal(val.p, "\"s\"", 3);
	assert_false(canon_next(&key, &val, &all, &pos));
}

/* Leaf values read in place: strings unescaped as jansson reads them,
 * integers; anything else is neither. */
static void
test_leaves(void **state)
{
	static const char *const strs[] = {
	        "\"\"",
	        "\"plain\"",
	        "\"q\\\"b\\\\s\\/\"",
	        "\"\\b\\f\\n\\r\\t\\u0001\\u001f x\"",
	        "\"\xc3\xa9\xe2\x82\xac\"",
	};
	static const char *const not_str[] = {"7", "true", "null", "[\"a\"]",
	                                      "{\"a\":\"b\"}"};
	struct canon_span v;
	long long n;
	char *out;

	(void)state;
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
		json_t *j = json_loads(strs[i], JSON_DECODE_ANY, NULL);

		assert_non_null(j);
		v = (struct canon_span){strs[i], strlen(strs[i])};
		assert_int_equal(canon_string(&out, &v), 1);
		assert_string_equal(out, json_string_value(j));
		free(out);
		json_decref(j);
	}
	for (size_t i = 0; i < sizeof(not_str) / sizeof(not_str[0]); i++) {
		v = (struct canon_span){not_str[i], strlen(not_str[i])};
		assert_int_equal(canon_string(&out, &v), 0);
		assert_null(out);
	}
	v = (struct canon_span){"-42", 3};
	assert_true(canon_int(&n, &v));
	assert_int_equal(n, -42);
	v = (struct canon_span){"123456789012345678", 18};
	assert_true(canon_int(&n, &v));
	assert_int_equal(n, 123456789012345678LL);
	v = (struct canon_span){"1234567890123456789", 19};
	assert_false(canon_int(&n, &v));
	v = (struct canon_span){"\"1\"", 3};
	assert_false(canon_int(&n, &v));
	v = (struct canon_span){"-", 1};
	assert_false(canon_int(&n, &v));
	v = (struct canon_span){"1.5", 3};
	assert_false(canon_int(&n, &v));
}

/* The top object's members, recorded by the check. */
static void
test_members(void **state)
{
	const char *t = " {\"a\":[1,{\"x\":2}],\"b\":\"s\",\"c\":{}} ";
	const char *arr = "[1,2]";
	struct canon_span v, keys[2], vals[2];
	size_t n = 99;

	(void)state;
	assert_true(canon_check_members(&v, keys, vals, 2, &n, t, strlen(t)));
	assert_int_equal(n, 3);
	assert_int_equal(v.len, strlen(t) - 2);
	assert_true(canon_key_is(&keys[0], "a"));
	assert_int_equal(vals[0].len, strlen("[1,{\"x\":2}]"));
	assert_memory_equal(vals[0].p, "[1,{\"x\":2}]", vals[0].len);
	assert_true(canon_key_is(&keys[1], "b"));
	assert_memory_equal(vals[1].p, "\"s\"", vals[1].len);
	/* Not an object: no members. */
	assert_true(canon_check_members(&v, keys, vals, 2, &n, arr, 5));
	assert_int_equal(n, 0);
	/* Refused text: none either. */
	assert_false(canon_check_members(&v, keys, vals, 2, &n,
	                                 "{\"b\":1,\"a\":2}", 13));
	assert_int_equal(n, 0);
}

/* The escapes canonical text has, and only those. */
static void
test_unescape(void **state)
{
	char out[16];

	(void)state;
	assert_int_equal(canon_unescape(out, "a\\n\\u001fb", 10), 4);
	assert_memory_equal(out,
	                    "a\n\x1f"
	                    "b",
	                    4);
	assert_int_equal(canon_unescape(out, "\\\"\\\\\\/", 6), 3);
	assert_memory_equal(out, "\"\\/", 3);
	assert_int_equal(canon_unescape(out, "\\x", 2), -1);
	assert_int_equal(canon_unescape(out, "\\u0000", 6), -1);
	assert_int_equal(canon_unescape(out, "\\u00e9", 6), -1);
	assert_int_equal(canon_unescape(out, "\\u001F", 6), -1);
	assert_int_equal(canon_unescape(out, "\\u000a", 6), -1);
	assert_int_equal(canon_unescape(out, "ab\\", 3), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_accepts),
	        cmocka_unit_test(test_refuses),
	        cmocka_unit_test(test_depth),
	        cmocka_unit_test(test_compact),
	        cmocka_unit_test(test_walk),
	        cmocka_unit_test(test_walk_spaced),
	        cmocka_unit_test(test_leaves),
	        cmocka_unit_test(test_members),
	        cmocka_unit_test(test_unescape),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
