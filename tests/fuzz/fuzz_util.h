/*
 * fuzz_util: what the libFuzzer harnesses share (header only): a private
 * temporary directory per process and writing an input to a file there,
 * for the readers that take a path.
 */
#ifndef SLUICE_FUZZ_UTIL_H
#define SLUICE_FUZZ_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char fuzz_dir_path[64];

static inline void
fuzz_dir_remove(void)
{
	char cmd[96];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fuzz_dir_path);
	if (system(cmd) != 0)
		fprintf(stderr, "fuzz: cannot remove %s\n", fuzz_dir_path);
}

/* The process's scratch directory (made on first use, removed at exit). */
static inline const char *
fuzz_dir(void)
{
	if (fuzz_dir_path[0] == '\0') {
		snprintf(fuzz_dir_path, sizeof(fuzz_dir_path),
		         "/tmp/sluice-fuzz.XXXXXX");
		if (mkdtemp(fuzz_dir_path) == NULL)
			abort();
		atexit(fuzz_dir_remove);
	}
	return fuzz_dir_path;
}

/* Write data to DIR/name and return the path (static buffer). */
static inline const char *
fuzz_file(const char *name, const uint8_t *data, size_t size)
{
	static char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", fuzz_dir(), name);
	f = fopen(path, "wb");
	if (f == NULL)
		abort();
	if (size > 0 && fwrite(data, 1, size, f) != size)
		abort();
	fclose(f);
	return path;
}

#endif
