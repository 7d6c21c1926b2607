/*
 * fuzz_catalog_index: the catalog index (catalog_index_parse). The first
 * byte chooses: the input as the envelope itself (what anyone on the path
 * can send: it must fail cleanly before the signature), or the input as
 * the signed document inside an envelope this harness signs with a
 * trusted key (what a holder of the origin's key can send). Each input
 * also goes through the parsers of the origin's key list and timestamp
 * (trust.h), which travel the same way.
 */
#include "catalog.h"
#include "fuzz_util.h"
#include "sign.h"
#include "trust.h"

/* The three parsers of documents the origin signs. */
static void
parse_all(const char *text, size_t len, const struct sign_keyring *kr)
{
	struct catalog_index *idx = NULL;
	struct trust_timestamp ts;
	struct trust_keys tk;
	struct err e;

	(void)catalog_index_parse(&idx, text, len, kr, 1700000000, 0, &e);
	catalog_index_free(idx);
	(void)trust_keys_parse(&tk, text, len, kr, 1700000000, 0, &e);
	(void)trust_timestamp_parse(&ts, text, len, kr, 1700000000, 0, &e);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sign_keyring kr;
	static struct sign_key k;
	json_t *doc, *env = NULL;
	struct err e;
	char *text;

	if (kr.n == 0 && (sign_key_generate(&k, &e) != SL_OK ||
	                  sign_keyring_add(&kr, &k, &e) != SL_OK))
		abort();
	if (size < 1)
		return 0;
	if (data[0] & 1) {
		parse_all((const char *)data + 1, size - 1, &kr);
		return 0;
	}
	doc = json_loadb((const char *)data + 1, size - 1, 0, NULL);
	if (doc == NULL)
		return 0;
	if (sign_envelope(&env, doc, &k, &e) == SL_OK) {
		text = json_dumps(env, JSON_COMPACT);
		if (text != NULL)
			parse_all(text, strlen(text), &kr);
		free(text);
	}
	json_decref(env);
	json_decref(doc);
	return 0;
}
