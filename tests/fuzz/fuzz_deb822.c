/*
 * fuzz_deb822: Packages and Sources stanzas (deb822.c) with every field
 * helper the apt importer uses on them.
 */
#include "deb822.h"
#include "fuzz_util.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct deb822_hashent *h;
	struct deb822 d;
	struct err e;
	bool got;
	const char *p, *v;
	size_t n, vn, nh;

	deb822_init(&d, "Packages", (const char *)data, size);
	while (deb822_next(&d, &got, &e) == SL_OK && got) {
		for (size_t i = 0; i < d.n; i++) {
			const struct deb822_field *f = &d.fields[i];
			free(deb822_text(f));
			deb822_trim(f, &p, &n);
			deb822_first_line(f, &p, &n);
			(void)deb822_source(f, &p, &n, &v, &vn, &e);
			if (deb822_hashents(&h, &nh, f, "Release", &e) == SL_OK)
				deb822_hashents_free(h, nh);
		}
		(void)deb822_get(&d, "Package");
	}
	return 0;
}
