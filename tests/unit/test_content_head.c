/*
 * Unit tests for content_head: the heads the content sender answers
 * itself (GET and HEAD of /content/<sha256> over HTTP/1.1, with Range,
 * If-None-Match and Connection), the ones it leaves to libmicrohttpd
 * (every other form, however slightly different), incomplete heads, and
 * the Range and If-None-Match rules both senders share.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "content_head.h"

#define SHA "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static enum chead_kind
parse(struct chead *h, const char *s)
{
	return chead_parse(h, s, strlen(s));
}

static void
test_get_and_head(void **state)
{
	const char *get = "GET /content/" SHA " HTTP/1.1\r\n"
	                  "Host: 127.0.0.1:8530\r\nUser-Agent: t\r\n\r\n";
	char two[512];
	struct chead h;

	(void)state;
	assert_int_equal(parse(&h, get), CHEAD_CONTENT);
	assert_int_equal(h.len, strlen(get));
	assert_string_equal(h.sha, SHA);
	assert_int_equal(h.head, 0);
	assert_int_equal(h.close, 0);
	assert_string_equal(h.range, "");
	assert_string_equal(h.if_none_match, "");
	/* A pipelined second request is not part of the head. */
	snprintf(two, sizeof(two), "%sGET /healthz HTTP/1.1\r\n", get);
	assert_int_equal(parse(&h, two), CHEAD_CONTENT);
	assert_int_equal(h.len, strlen(get));
	assert_int_equal(parse(&h, "HEAD /content/" SHA " HTTP/1.1\r\n"
	                           "host: x\r\n\r\n"),
	                 CHEAD_CONTENT);
	assert_int_equal(h.head, 1);
}

static void
test_headers(void **state)
{
	struct chead h;

	(void)state;
	assert_int_equal(parse(&h, "GET /content/" SHA " HTTP/1.1\r\n"
	                           "Host: x\r\nrAnGe:  bytes=10-19 \r\n"
	                           "If-None-Match: \"" SHA "\"\r\n"
	                           "Connection: Close\r\n"
	                           "Content-Length: 0\r\n\r\n"),
	                 CHEAD_CONTENT);
	assert_string_equal(h.range, "bytes=10-19");
	assert_string_equal(h.if_none_match, "\"" SHA "\"");
	assert_int_equal(h.close, 1);
	assert_int_equal(parse(&h, "GET /content/" SHA " HTTP/1.1\r\n"
	                           "Host: x\r\nConnection: keep-alive\r\n\r\n"),
	                 CHEAD_CONTENT);
	assert_int_equal(h.close, 0);
}

static void
test_incomplete(void **state)
{
	const char *parts[] = {
	        "",
	        "G",
	        "HEA",
	        "GET /conte",
	        "GET /content/0123",
	        "GET /content/" SHA " HTTP/1.1\r\n",
	        "GET /content/" SHA " HTTP/1.1\r\nHost: x\r\n",
	        "GET /content/" SHA " HTTP/1.1\r\nHost: x\r\nRange: by",
	};
	struct chead h;

	(void)state;
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		assert_int_equal(parse(&h, parts[i]), CHEAD_MORE);
}

static void
test_others(void **state)
{
	const char *others[] = {
	        "POST /content/" SHA " HTTP/1.1\r\nHost: x\r\n\r\n",
	        "GET /healthz HTTP/1.1\r\n",
	        "GET /v1",
	        "get /content/" SHA " HTTP/1.1\r\nHost: x\r\n\r\n",
	        "GET /contents/",
	        "\r\nGET /content/" SHA " HTTP/1.1\r\nHost: x\r\n\r\n",
	        /* the name: case, length, a query, an escape */
	        "GET /content/0123456789ABCDEF0123456789abcdef0123456789abcdef"
	        "0123456789abcdef HTTP/1.1\r\nHost: x\r\n\r\n",
	        "GET /content/" SHA "0 HTTP/1.1\r\nHost: x\r\n\r\n",
	        "GET /content/" SHA "?x=1 HTTP/1.1\r\nHost: x\r\n\r\n",
	        "GET /content/%30123456789abcdef0123456789abcdef0123456789abc"
	        "def0123456789abcdef HTTP/1.1\r\nHost: x\r\n\r\n",
	        "GET /content/" SHA " HTTP/1.0\r\nHost: x\r\n\r\n",
	        "GET /content/" SHA "  HTTP/1.1\r\nHost: x\r\n\r\n",
	        /* Host: none, or two */
	        "GET /content/" SHA " HTTP/1.1\r\n\r\n",
	        "GET /content/" SHA " HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n",
	        /* a body, or what libmicrohttpd must see to */
	        "GET /content/" SHA " HTTP/1.1\r\nHost: x\r\n"
	        "Content-Length: 5\r\n\r\n",
	        "GET /content/" SHA " HTTP/1.1\r\nHost: x\r\n"
	        "Transfer-Encoding: chunked\r\n\r\n",
	        "GET /content/" SHA " HTTP/1.1\r\nHost: x\r\n"
	        "Expect: 100-continue\r\n\r\n",
	        "GET /content/" SHA " HTTP/1.1\r\nHost: x\r\n"
	        "Connection: Upgrade\r\nUpgrade: h2c\r\n\r\n",
	        "GET /content/" SHA " HTTP/1.1\r\nHost: x\r\n"
	        "If-Range: \"x\"\r\n\r\n",
	        /* repeated */
	        "GET /content/" SHA " HTTP/1.1\r\nHost: x\r\n"
	        "Range: bytes=0-1\r\nRange: bytes=2-3\r\n\r\n",
	        "GET /content/" SHA " HTTP/1.1\r\nHost: x\r\n"
	        "If-None-Match: a\r\nIf-None-Match: b\r\n\r\n",
	        /* malformed lines */
	        "GET /content/" SHA " HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n",
	        "GET /content/" SHA " HTTP/1.1\nHost: x\n\n",
	        "GET /content/" SHA " HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n",
	        "GET /content/" SHA " HTTP/1.1\r\nHost : x\r\n\r\n",
	        "GET /content/" SHA " HTTP/1.1\r\n: x\r\nHost: x\r\n\r\n",
	};
	struct chead h;

	(void)state;
	for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
		if (parse(&h, others[i]) != CHEAD_OTHER)
			fail_msg("not left to libmicrohttpd: case %zu", i);
	}
}

static void
test_limits(void **state)
{
	static char big[CHEAD_MAX + 64];
	char inm[400];
	struct chead h;
	size_t n;

	(void)state;
	/* A NUL in the head. */
	assert_int_equal(chead_parse(&h,
	                             "GET /content/" SHA
	                             " HTTP/1.1\r\nHost: x\0\r\n\r\n",
	                             sizeof("GET /content/" SHA
	                                    " HTTP/1.1\r\nHost: x\0\r\n\r\n") -
	                                     1),
	                 CHEAD_OTHER);
	/* A head that does not end within CHEAD_MAX bytes. */
	n = (size_t)snprintf(big, sizeof(big),
	                     "GET /content/" SHA " HTTP/1.1\r\nHost: x\r\nX: ");
	memset(big + n, 'a', sizeof(big) - n);
	assert_int_equal(chead_parse(&h, big, CHEAD_MAX - 1), CHEAD_MORE);
	assert_int_equal(chead_parse(&h, big, CHEAD_MAX), CHEAD_OTHER);
	assert_int_equal(chead_parse(&h, big, sizeof(big)), CHEAD_OTHER);
	/* Values over their room. */
	memset(inm, 'a', sizeof(inm));
	n = (size_t)snprintf(big, sizeof(big),
	                     "GET /content/" SHA " HTTP/1.1\r\nHost: x\r\n"
	                     "If-None-Match: %.*s\r\n\r\n",
	                     (int)sizeof(inm), inm);
	assert_int_equal(chead_parse(&h, big, n), CHEAD_OTHER);
	assert_int_equal(parse(&h,
	                       "GET /content/" SHA " HTTP/1.1\r\nHost: x\r\n"
	                       "Range: bytes=000000000000000000000000000000"
	                       "0000000000000000000000000000000000000-1\r\n"
	                       "\r\n"),
	                 CHEAD_OTHER);
}

static void
test_range(void **state)
{
	uint64_t a = 7, b = 7;

	(void)state;
	assert_int_equal(chead_range(NULL, 100, &a, &b), 0);
	assert_int_equal(chead_range("bytes=10-19", 100, &a, &b), 1);
	assert_true(a == 10 && b == 19);
	assert_int_equal(chead_range("bytes=90-", 100, &a, &b), 1);
	assert_true(a == 90 && b == 99);
	assert_int_equal(chead_range("bytes=-10", 100, &a, &b), 1);
	assert_true(a == 90 && b == 99);
	assert_int_equal(chead_range("bytes=-1000", 100, &a, &b), 1);
	assert_true(a == 0 && b == 99);
	assert_int_equal(chead_range("bytes=50-1000", 100, &a, &b), 1);
	assert_true(a == 50 && b == 99);
	assert_int_equal(chead_range("bytes=100-", 100, &a, &b), -1);
	assert_int_equal(chead_range("bytes=-0", 100, &a, &b), -1);
	assert_int_equal(chead_range("bytes=-5", 0, &a, &b), -1);
	/* ignored: the whole file */
	assert_int_equal(chead_range("bytes=5-2", 100, &a, &b), 0);
	assert_int_equal(chead_range("bytes=0-1,5-6", 100, &a, &b), 0);
	assert_int_equal(chead_range("items=0-1", 100, &a, &b), 0);
	assert_int_equal(chead_range("bytes=x-1", 100, &a, &b), 0);
	assert_int_equal(chead_range("bytes=1", 100, &a, &b), 0);
	assert_int_equal(
	        chead_range("bytes=99999999999999999999-", 100, &a, &b), 0);
}

static void
test_etag(void **state)
{
	(void)state;
	assert_false(chead_etag_matches(NULL, "\"" SHA "\""));
	assert_true(chead_etag_matches("*", "\"" SHA "\""));
	assert_true(chead_etag_matches("\"" SHA "\"", "\"" SHA "\""));
	assert_true(chead_etag_matches("\"x\", W/\"" SHA "\"", "\"" SHA "\""));
	assert_false(chead_etag_matches("\"x\"", "\"" SHA "\""));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_get_and_head),
	        cmocka_unit_test(test_headers),
	        cmocka_unit_test(test_incomplete),
	        cmocka_unit_test(test_others),
	        cmocka_unit_test(test_limits),
	        cmocka_unit_test(test_range),
	        cmocka_unit_test(test_etag),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
