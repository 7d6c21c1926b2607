/*
 * fuzz_catalog_index: the catalog index (catalog_index_parse). The first
 * byte chooses: the input as the envelope itself (what anyone on the path
 * can send: it must fail cleanly before the signature), or the input as
 * the signed document inside an envelope this harness signs with a
 * trusted key (what a holder of the origin's key can send).
 */
#include "catalog.h"
#include "fuzz_util.h"
#include "sign.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sign_keyring kr;
	static struct sign_key k;
	struct catalog_index *idx = NULL;
	json_t *doc, *env = NULL;
	struct err e;
	char *text;

	if (kr.n == 0 && (sign_key_generate(&k, &e) != SL_OK ||
	                  sign_keyring_add(&kr, &k, &e) != SL_OK))
		abort();
	if (size < 1)
		return 0;
	if (data[0] & 1) {
		(void)catalog_index_parse(&idx, (const char *)data + 1,
		                          size - 1, &kr, 1700000000, 0, &e);
		catalog_index_free(idx);
		return 0;
	}
	doc = json_loadb((const char *)data + 1, size - 1, 0, NULL);
	if (doc == NULL)
		return 0;
	if (sign_envelope(&env, doc, &k, &e) == SL_OK) {
		text = json_dumps(env, JSON_COMPACT);
		if (text != NULL)
			(void)catalog_index_parse(&idx, text, strlen(text), &kr,
			                          1700000000, 0, &e);
		catalog_index_free(idx);
		free(text);
	}
	json_decref(env);
	json_decref(doc);
	return 0;
}
