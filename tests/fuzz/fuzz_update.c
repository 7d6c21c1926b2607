/*
 * fuzz_update: update metadata documents (update_from_string), their rule
 * trees included; a document that parses must survive a round trip
 * through update_to_json.
 */
#include "fuzz_util.h"
#include "update.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct update *u = NULL, *v = NULL;
	struct err e;
	json_t *j;
	char *s;

	if (update_from_string(&u, (const char *)data, size, &e) != SL_OK)
		return 0;
	j = update_to_json(u);
	if (j == NULL)
		abort();
	s = json_dumps(j, JSON_COMPACT);
	if (s == NULL || update_from_string(&v, s, strlen(s), &e) != SL_OK)
		abort(); /* what we wrote we must read back */
	free(s);
	json_decref(j);
	update_free(v);
	update_free(u);
	return 0;
}
