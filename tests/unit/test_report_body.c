/*
 * Unit tests for report_body: a report's body read in one pass — the
 * events as rows (escapes decoded, optional members), a malformed event
 * failing the whole body with its index, an invalid event kept as the
 * first error, the shape limits, and agreement with jansson on what is
 * JSON.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "report_body.h"

static const char *const kinds[] = {"install", "uninstall", "download",
                                    "verify", NULL};
static const char *const results[] = {"success", "failure", "reboot-required",
                                      NULL};
static const struct rbody_limits lim = {
        .max_events = 1000,
        .field_max = 255,
        .output_max = 1024,
        .kinds = kinds,
        .results = results,
};

#define UPD "00000000-0000-4000-8000-000000000001"

static int
parse(struct rbody **b, const char *s, struct err *e)
{
	err_clear(e);
	return rbody_parse(b, s, strlen(s), &lim, e);
}

/* {"states":[],"events":[ n events, event bad (if >= 0) replaced ]} */
static char *
body_of(size_t n, long bad, const char *bad_text)
{
	struct buf b;
	struct err e;

	buf_init(&b, 1u << 24);
	assert_int_equal(buf_printf(&b, &e, "{\"states\":[],\"events\":["),
	                 SL_OK);
	for (size_t i = 0; i < n; i++) {
		if ((long)i == bad)
			assert_int_equal(buf_printf(&b, &e, "%s%s",
			                            i ? "," : "", bad_text),
			                 SL_OK);
		else
			assert_int_equal(
			        buf_printf(
			                &b, &e,
			                "%s{\"event_id\":\"ev-%zu\",\"id\":"
			                "\"" UPD "\",\"revision\":1,\"time\":"
			                "\"2026-11-24T12:00:00Z\",\"kind\":"
			                "\"install\",\"result\":\"success\","
			                "\"exit_code\":%zu,\"output\":\"line "
			                "%zu\"}",
			                i ? "," : "", i, i, i),
			        SL_OK);
	}
	assert_int_equal(buf_printf(&b, &e, "]}"), SL_OK);
	return b.data;
}

static void
test_events_as_rows(void **state)
{
	struct rbody *b = NULL;
	char *s = body_of(500, -1, NULL);
	struct err e;

	(void)state;
	assert_int_equal(parse(&b, s, &e), SL_OK);
	assert_int_equal(b->n_events, 500);
	assert_false(b->events_shape_bad);
	assert_int_equal(b->events_err.code, SL_OK);
	assert_non_null(b->states);
	assert_int_equal(json_array_size(b->states), 0);
	assert_null(b->catalog);
	assert_string_equal(b->events[0].event_id, "ev-0");
	assert_string_equal(b->events[499].event_id, "ev-499");
	assert_string_equal(b->events[7].update_id, UPD);
	assert_string_equal(b->events[7].kind, "install");
	assert_string_equal(b->events[7].result, "success");
	assert_string_equal(b->events[7].time, "2026-11-24T12:00:00Z");
	assert_string_equal(b->events[7].output, "line 7");
	assert_int_equal(*b->events[7].revision, 1);
	assert_int_equal(*b->events[7].exit_code, 7);
	rbody_free(b);
	free(s);
}

static void
test_escapes_and_optional(void **state)
{
	struct rbody *b = NULL;
	struct err e;
	const char *s =
	        " {\"catalog\":{\"state\":\"ok\"},\"events\":[ {\"kind\":"
	        "\"verify\",\"result\":\"failure\",\"event_id\":\"a\\\"b\","
	        "\"id\":\"" UPD "\",\"output\":\"x\\n\\u00e9\\ud83d\\ude00"
	        "\\/\",\"time\":null,\"exit_code\":-3,\"extra\":{\"k\":[1,"
	        "2,{}]}} ],\"states\":null,\"future\":true}\n";

	(void)state;
	assert_int_equal(parse(&b, s, &e), SL_OK);
	assert_int_equal(b->n_events, 1);
	assert_null(b->states);
	assert_string_equal(
	        json_string_value(json_object_get(b->catalog, "state")), "ok");
	assert_string_equal(b->events[0].event_id, "a\"b");
	assert_string_equal(b->events[0].output,
	                    "x\n\xc3\xa9\xf0\x9f\x98\x80/");
	assert_null(b->events[0].time);
	assert_null(b->events[0].revision);
	assert_int_equal(*b->events[0].exit_code, -3);
	assert_int_equal(b->events_err.code, SL_OK);
	rbody_free(b);
}

/* A malformed event in the middle fails the body, naming it. */
static void
test_malformed_event(void **state)
{
	struct rbody *b = NULL;
	char *s = body_of(500, 249, "{\"event_id\" \"x\"}");
	struct err e;

	(void)state;
	assert_int_equal(parse(&b, s, &e), SL_EPARSE);
	assert_null(b);
	assert_non_null(strstr(e.msg, "request body: events[249]: line 1 "
	                              "column "));
	assert_non_null(strstr(e.msg, ": ':' expected"));
	free(s);
	s = body_of(10, 3, "{\"event_id\":\"x\",\"event_id\":\"y\"}");
	assert_int_equal(parse(&b, s, &e), SL_EPARSE);
	assert_non_null(strstr(e.msg, "events[3]: "));
	assert_non_null(strstr(e.msg, "duplicate object key"));
	free(s);
	s = body_of(10, 4, "{\"output\":\"nul \\u0000\"}");
	assert_int_equal(parse(&b, s, &e), SL_EPARSE);
	assert_non_null(strstr(e.msg, "events[4]: "));
	assert_non_null(strstr(e.msg, "\\u0000 is not allowed"));
	free(s);
	s = body_of(10, 5, "{\"exit_code\":99999999999999999999}");
	assert_int_equal(parse(&b, s, &e), SL_EPARSE);
	assert_non_null(strstr(e.msg, "events[5]: "));
	assert_non_null(strstr(e.msg, "too big integer"));
	free(s);
}

/* Valid JSON that is not a valid event: the first problem is kept. */
static void
test_invalid_event(void **state)
{
	static const struct {
		const char *ev, *msg;
	} cases[] = {
	        {"{\"id\":\"" UPD "\",\"kind\":\"install\",\"result\":"
	         "\"success\"}",
	         "events[3]: event_id: required"},
	        {"{\"event_id\":\"e\",\"id\":\"nope\",\"kind\":\"install\","
	         "\"result\":\"success\"}",
	         "events[3]: id: expected a UUID"},
	        {"{\"event_id\":7,\"id\":\"" UPD "\"}",
	         "events[3]: event_id: expected a string"},
	        {"{\"event_id\":\"e\",\"id\":\"" UPD "\",\"revision\":0,"
	         "\"kind\":\"install\",\"result\":\"success\"}",
	         "events[3].revision: expected an integer >= 1"},
	        {"{\"event_id\":\"e\",\"id\":\"" UPD "\",\"revision\":1.5,"
	         "\"kind\":\"install\",\"result\":\"success\"}",
	         "events[3].revision: expected an integer >= 1"},
	        {"{\"event_id\":\"e\",\"id\":\"" UPD "\",\"kind\":\"fly\","
	         "\"result\":\"success\"}",
	         "events[3]: kind: 'fly' is not a known value"},
	        {"{\"event_id\":\"e\",\"id\":\"" UPD "\",\"kind\":\"install\","
	         "\"result\":[]}",
	         "events[3]: result: expected a string"},
	        {"{\"event_id\":\"e\",\"id\":\"" UPD "\",\"kind\":\"install\"}",
	         "events[3]: result: required"},
	        {"17", "events[3]: expected an object"},
	};
	struct rbody *b = NULL;
	struct err e;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *s = body_of(10, 3, cases[i].ev);
		assert_int_equal(parse(&b, s, &e), SL_OK);
		assert_int_equal(b->events_err.code, SL_EINVAL);
		assert_string_equal(b->events_err.msg, cases[i].msg);
		rbody_free(b);
		free(s);
	}
}

static void
test_shape(void **state)
{
	struct rbody *b = NULL;
	struct err e;
	char *s;

	(void)state;
	assert_int_equal(parse(&b, "{\"events\":{}}", &e), SL_OK);
	assert_true(b->events_shape_bad);
	rbody_free(b);
	s = body_of(lim.max_events + 1, -1, NULL);
	assert_int_equal(parse(&b, s, &e), SL_OK);
	assert_true(b->events_shape_bad);
	rbody_free(b);
	free(s);
	assert_int_equal(parse(&b, "{}", &e), SL_OK);
	assert_int_equal(b->n_events, 0);
	rbody_free(b);
	assert_int_equal(parse(&b, "[]", &e), SL_EPARSE);
	assert_string_equal(e.msg, "request body: expected a JSON object");
	assert_int_equal(parse(&b, "", &e), SL_EPARSE);
	assert_string_equal(
	        e.msg, "request body: expected a JSON object, got nothing");
	assert_int_equal(parse(&b, "{\"events\":[]} x", &e), SL_EPARSE);
	assert_string_equal(e.msg, "request body: line 1 column 15: end of "
	                           "file expected");
	assert_int_equal(parse(&b, "{\"a\":1,\"a\":2}", &e), SL_EPARSE);
	assert_non_null(strstr(e.msg, "duplicate object key"));
}

/* Whatever jansson (strict, no duplicate keys) refuses is refused, and
 * the other way round. */
static void
test_agrees_with_jansson(void **state)
{
	static const char *const bodies[] = {
	        "{\"events\":[{\"output\":\"\xff\"}]}",
	        "{\"events\":[{\"output\":\"\xc3\xa9\"}]}",
	        "{\"events\":[{\"output\":\"\xed\xa0\x80\"}]}",
	        "{\"events\":[{\"output\":\"\\ud800\"}]}",
	        "{\"events\":[{\"output\":\"\\udc00\\ud800\"}]}",
	        "{\"events\":[{\"output\":\"a\tb\"}]}",
	        "{\"events\":[{\"output\":\"\\x\"}]}",
	        "{\"events\":[{\"revision\":01}]}",
	        "{\"events\":[{\"revision\":-}]}",
	        "{\"events\":[{\"revision\":1e5}]}",
	        "{\"events\":[{\"revision\":1.}]}",
	        "{\"events\":[{\"revision\":-0}]}",
	        "{\"events\":[{\"revision\":9223372036854775807}]}",
	        "{\"events\":[{\"revision\":-9223372036854775808}]}",
	        "{\"events\":[{\"revision\":9223372036854775808}]}",
	        "{\"events\":[{\"x\":[1,2,}]}",
	        "{\"events\":[{\"x\":{\"a\":1,\"a\":1}}]}",
	        "{\"events\":[{\"x\":tru}]}",
	        "{\"events\":[{},]}",
	        "{\"events\":[{}],}",
	        "{\"events\":[{}]",
	        "{\"events\":[{\"kind\":\"install\"",
	        "{\"states\":[{\"id\":1,\"id\":2}]}",
	        "{\"states\":[1,2]}",
	        "{\"catalog\":nul}",
	        "{\"events\":null}",
	        "{\"events\":[null,true,\"x\",[]]}",
	        "{\"k\\u0000\":1}",
	        "{\"events\":[{\"a\":1,\"b\":2,\"a\":3}]}",
	};
	struct rbody *b = NULL;
	json_error_t je;
	struct err e;

	(void)state;
	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		json_t *j = json_loadb(bodies[i], strlen(bodies[i]),
		                       JSON_REJECT_DUPLICATES, &je);
		int rc = parse(&b, bodies[i], &e);
		if ((j == NULL) != (rc == SL_EPARSE))
			fail_msg("body %zu (%s): jansson %s, rbody %s", i,
			         bodies[i], j ? "accepts" : je.text,
			         rc == SL_OK ? "accepts" : e.msg);
		json_decref(j);
		rbody_free(b);
		b = NULL;
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_events_as_rows),
	        cmocka_unit_test(test_escapes_and_optional),
	        cmocka_unit_test(test_malformed_event),
	        cmocka_unit_test(test_invalid_event),
	        cmocka_unit_test(test_shape),
	        cmocka_unit_test(test_agrees_with_jansson),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
