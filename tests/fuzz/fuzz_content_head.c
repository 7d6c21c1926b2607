/*
 * fuzz_content_head: the first bytes of a connection on the plain
 * listener, as the content sender reads them (chead_parse), cut at some
 * 64 lengths of the input and whole, with the Range and If-None-Match
 * rules on what it keeps. A head it answers ends in a blank line within
 * the bytes read; once a prefix is left to libmicrohttpd, no longer one
 * is answered; once a prefix is decided, no longer one asks for more.
 */
#include <stdlib.h>
#include <string.h>

#include "content_head.h"
#include "fuzz_util.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	enum chead_kind k, last = CHEAD_MORE;
	uint64_t first, lastb;
	struct chead h;

	/* Some 64 lengths of the input, and the whole. */
	size_t step = size / 64 > 0 ? size / 64 : 1;

	for (size_t n = 0; n <= size && n <= CHEAD_MAX + 1;
	     n = n < size && n + step > size ? size : n + step) {
		k = chead_parse(&h, s, n);
		if (k == CHEAD_CONTENT) {
			if (h.len < 4 || h.len > n ||
			    memcmp(s + h.len - 4, "\r\n\r\n", 4) != 0)
				abort();
			if (last == CHEAD_OTHER)
				abort();
			(void)chead_range(h.range[0] ? h.range : NULL,
			                  (uint64_t)n * 1000, &first, &lastb);
			(void)chead_etag_matches(h.if_none_match, h.sha);
		}
		if (k == CHEAD_MORE && last != CHEAD_MORE)
			abort();
		last = k;
	}
	return 0;
}
