/*
 * fuzz_advisory: the advisory readers (advisory*.c). The first byte
 * chooses the format: DSA list, DLA list, the tracker's JSON, USN JSON or
 * one OSV record; the rest is the file.
 */
#include "advisory.h"
#include "fuzz_util.h"

#include <sys/stat.h>

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const kinds[] = {"dsa-list", "dla-list",
	                                    "debian-tracker", "usn", "osv"};
	struct advisory_db *db = NULL;
	struct advisory *a = NULL;
	char spec[256], osv[128];
	const char *path;
	struct err e;
	int k;

	if (size < 1)
		return 0;
	k = data[0] % 5;
	if (k == 4) {
		snprintf(osv, sizeof(osv), "%s/osv", fuzz_dir());
		mkdir(osv, 0755);
		path = fuzz_file("osv/rec.json", data + 1, size - 1);
		path = osv;
	} else {
		path = fuzz_file("adv", data + 1, size - 1);
	}
	snprintf(spec, sizeof(spec), "%s:%s", kinds[k], path);
	if (advisory_db_new(&db, k == 3 ? "jammy" : "bookworm",
	                    k == 3 ? "22.04" : "12", &e) != SL_OK)
		abort();
	if (advisory_db_load(db, spec, &e) == SL_OK &&
	    advisory_db_lookup(db, "zlib", "1:1.2.13.dfsg-1", &a, &e) == SL_OK)
		advisory_free(a);
	advisory_db_free(db);
	return 0;
}
