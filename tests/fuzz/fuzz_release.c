/*
 * fuzz_release: apt Release files (aptrepo_release_parse), as they are
 * read after gpgv has checked them.
 */
#include "aptrepo.h"
#include "fuzz_util.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct aptrepo_release *r = NULL;
	struct err e;

	if (aptrepo_release_parse(&r, "Release", (const char *)data, size,
	                          1700000000, &e) == SL_OK) {
		(void)aptrepo_release_file(r, "main/binary-amd64/Packages");
		(void)aptrepo_release_has_arch(r, "amd64");
	}
	aptrepo_release_free(r);
	return 0;
}
