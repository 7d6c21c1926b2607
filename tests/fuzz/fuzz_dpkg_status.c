/*
 * fuzz_dpkg_status: dpkg's status database (dpkgdb_load).
 */
#include "dpkgdb.h"
#include "fuzz_util.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dpkgdb *db = NULL;
	struct err e;

	if (dpkgdb_load(&db, fuzz_file("status", data, size), &e) == SL_OK) {
		(void)dpkgdb_version(db, "libc6");
		(void)dpkgdb_version(db, "libc6:amd64");
		(void)dpkgdb_count(db);
	}
	dpkgdb_free(db);
	return 0;
}
