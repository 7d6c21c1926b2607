/*
 * Unit tests for report_states: a report's states read in one pass into
 * rows (escapes decoded, a null or absent detail), and everything that is
 * not the common shape — another key, type or value, too many states,
 * malformed JSON — read by jansson exactly as without the one-pass
 * reader: same status, same message, same value.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_body.h"

static const char *const kinds[] = {"install", NULL};
static const char *const results[] = {"success", NULL};
static const char *const states[] = {"not-applicable", "needed", "installed",
                                     NULL};
/* fast: the one-pass reader; slow: jansson only (max_states 0). */
static const struct rbody_limits fast = {
        .max_events = 100,
        .field_max = 255,
        .output_max = 1024,
        .kinds = kinds,
        .results = results,
        .max_states = 3,
        .detail_max = 8,
        .states = states,
};
static const struct rbody_limits slow = {
        .max_events = 100,
        .field_max = 255,
        .output_max = 1024,
        .kinds = kinds,
        .results = results,
};

#define U1 "00000000-0000-4000-8000-000000000001"
#define U2 "00000000-0000-4000-8000-000000000002"
#define S1 "{\"id\":\"" U1 "\",\"revision\":1,\"state\":\"needed\"}"

static int
parse(struct rbody **b, const char *s, const struct rbody_limits *lim,
      struct err *e)
{
	err_clear(e);
	*b = NULL;
	return rbody_parse(b, s, strlen(s), lim, e);
}

static void
test_rows(void **state)
{
	static const char body[] =
	        "{\"events\":[],\"states\":[ " S1 ",\n {\"detail\":"
	        "\"a\\\"b\\u00e9\",\"state\":\"installed\",\"revision\":7,"
	        "\"id\":\"" U2 "\"}, {\"id\":\"" U1 "\",\"detail\":null,"
	        "\"state\":\"not-applicable\",\"revision\":2}]}";
	struct rbody *b;
	struct err e;

	(void)state;
	assert_int_equal(parse(&b, body, &fast, &e), SL_OK);
	assert_true(b->states_read);
	assert_null(b->states);
	assert_int_equal(b->n_states, 3);
	assert_string_equal(b->state_rows[0].update_id, U1);
	assert_string_equal(b->state_rows[0].state, "needed");
	assert_int_equal(*b->state_rows[0].revision, 1);
	assert_null(b->state_rows[0].detail);
	assert_string_equal(b->state_rows[1].update_id, U2);
	assert_string_equal(b->state_rows[1].detail, "a\"b\xc3\xa9");
	assert_int_equal(*b->state_rows[1].revision, 7);
	assert_string_equal(b->state_rows[2].state, "not-applicable");
	assert_null(b->state_rows[2].detail);
	rbody_free(b);
	/* Empty, null, absent. */
	assert_int_equal(parse(&b, "{\"states\":[]}", &fast, &e), SL_OK);
	assert_true(b->states_read);
	assert_int_equal(b->n_states, 0);
	rbody_free(b);
	assert_int_equal(parse(&b, "{\"states\":null}", &fast, &e), SL_OK);
	assert_false(b->states_read);
	assert_null(b->states);
	rbody_free(b);
	assert_int_equal(parse(&b, "{\"events\":[]}", &fast, &e), SL_OK);
	assert_false(b->states_read);
	assert_null(b->states);
	rbody_free(b);
}

/* Bodies the one-pass reader leaves to jansson: the answer is the same
 * with and without it. */
static void
test_same_as_jansson(void **state)
{
	static const char *const bodies[] = {
	        "{\"states\":[" S1 ",{\"id\":\"" U2 "\",\"revision\":1,"
	        "\"state\":\"needed\",\"x\":1}]}",
	        "{\"states\":[{\"id\":\"nope\",\"revision\":1,\"state\":"
	        "\"needed\"}]}",
	        "{\"states\":[{\"id\":\"" U1 "\",\"revision\":0,\"state\":"
	        "\"needed\"}]}",
	        "{\"states\":[{\"id\":\"" U1 "\",\"revision\":1.5,\"state\":"
	        "\"needed\"}]}",
	        "{\"states\":[{\"id\":\"" U1 "\",\"revision\":\"1\","
	        "\"state\":\"needed\"}]}",
	        "{\"states\":[{\"id\":\"" U1 "\",\"revision\":null,"
	        "\"state\":\"needed\"}]}",
	        "{\"states\":[{\"id\":\"" U1 "\",\"revision\":1,\"state\":"
	        "\"failed\"}]}",
	        "{\"states\":[{\"id\":\"" U1 "\",\"revision\":1,\"state\":"
	        "\"needed\",\"detail\":\"123456789\"}]}",
	        "{\"states\":[{\"id\":\"" U1 "\",\"revision\":1,\"detail\":"
	        "7,\"state\":\"needed\"}]}",
	        "{\"states\":[{\"id\":\"" U1 "\",\"revision\":1}]}",
	        "{\"states\":[{}]}",
	        "{\"states\":{}}",
	        "{\"states\":\"x\"}",
	        "{\"states\":[1," S1 "]}",
	        "{\"states\":[" S1 "," S1 "," S1 "," S1 "]}",
	        "{\"states\":[{\"id\":\"" U1 "\",\"id\":\"" U1
	        "\",\"revision\":1,\"state\":\"needed\"}]}",
	        "{\"states\":[" S1 ",]}",
	        "{\"states\":[" S1 "}",
	        "{\"states\":[{\"id\":\"" U1 "\",\"revision\":01,"
	        "\"state\":\"needed\"}]}",
	        "{\"states\":[{\"id\":\"" U1 "\",\"revision\":"
	        "99999999999999999999,\"state\":\"needed\"}]}",
	        "{\"states\":[{\"id\":\"" U1 "\",\"revision\":1,\"state\":"
	        "\"need\\u0000\"}]}",
	        "{\"states\":[{\"id\":\"" U1 "\",\"revision\":1,\"state\":"
	        "\"\xff\"}]}",
	};
	struct rbody *a, *b;
	struct err ea, eb;

	(void)state;
	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		int ra = parse(&a, bodies[i], &fast, &ea);
		int rb = parse(&b, bodies[i], &slow, &eb);
		char *ja = NULL, *jb = NULL;

		if (ra != rb || (ra != SL_OK && strcmp(ea.msg, eb.msg) != 0))
			fail_msg("body %zu: %d '%s' with the reader, %d '%s' "
			         "without",
			         i, ra, ra ? ea.msg : "", rb, rb ? eb.msg : "");
		if (ra == SL_OK) {
			assert_false(a->states_read);
			ja = json_dumps(a->states, JSON_ENCODE_ANY);
			jb = json_dumps(b->states, JSON_ENCODE_ANY);
			assert_non_null(ja);
			assert_string_equal(ja, jb);
		}
		free(ja);
		free(jb);
		rbody_free(a);
		rbody_free(b);
	}
}

static void
test_malformed(void **state)
{
	struct rbody *b;
	struct err e;

	(void)state;
	assert_int_equal(
	        parse(&b, "{\"states\":[" S1 ",\n" S1 ",]}", &fast, &e),
	        SL_EPARSE);
	assert_null(b);
	assert_string_equal(e.msg, "request body: line 2 column 77: "
	                           "unexpected token near ']'");
	assert_int_equal(
	        parse(&b, "{\"states\":[" S1 ",\n" S1 ",]}", &slow, &e),
	        SL_EPARSE);
	assert_string_equal(e.msg, "request body: line 2 column 77: "
	                           "unexpected token near ']'");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_rows),
	        cmocka_unit_test(test_same_as_jansson),
	        cmocka_unit_test(test_malformed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
