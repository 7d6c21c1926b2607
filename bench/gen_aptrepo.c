/*
 * gen_aptrepo: a synthetic apt archive's Packages indexes for the s6
 * benchmark (bench/s6_apt_import.sh signs it with tests/unit/
 * apt_fixture.sh). Sizes follow Debian: about one binary in four is
 * `all` (listed in binary-all and in the architecture's index, as Debian
 * does), binaries per source vary, some binaries name their source with a
 * version (binNMUs), descriptions are several lines long.
 *
 *   gen_aptrepo --root DIR --suite NAME --sources N --binaries M
 *               [--arch NAME] [--version V] [--pool]
 *
 * --version gives every source version "V" (default 1.0-1); --pool also
 * writes the fake .deb files (else only their hashes are computed).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fsx.h"
#include "hash.h"

static const char lorem[] =
        " This synthetic package stands in for a real one of the Debian\n"
        " archive. Its long description runs over a few lines, as most\n"
        " descriptions do, so that the index has the size of the real one.\n"
        " .\n"
        " It provides nothing at all; its .deb is a few bytes of text whose\n"
        " SHA-256 is nonetheless real.\n"
        " .\n"
        " Real descriptions go on to list features, to explain how this\n"
        " package relates to the others built from the same source, and to\n"
        " point at documentation; the text below only fills the same room.\n"
        " .\n"
        "  * one feature among several, described in a sentence or two;\n"
        "  * another one, with a note about the configuration it needs;\n"
        "  * a last one, with a warning about an older behaviour.\n";

static int
open_index(FILE **out, const char *root, const char *suite, const char *arch)
{
	char dir[1024], path[1100];
	struct err e;

	snprintf(dir, sizeof(dir), "%s/dists/%s/main/binary-%s", root, suite,
	         arch);
	if (fsx_mkdirs(dir, 0755, &e) != SL_OK) {
		fprintf(stderr, "gen_aptrepo: %s\n", e.msg);
		return -1;
	}
	snprintf(path, sizeof(path), "%s/Packages", dir);
	if ((*out = fopen(path, "w")) == NULL) {
		fprintf(stderr, "gen_aptrepo: %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

static void
stanza(FILE *f, const char *pkg, const char *src, const char *srcver,
       const char *ver, const char *arch, const char *filename, size_t size,
       const char *sha)
{
	fprintf(f, "Package: %s\n", pkg);
	if (src != NULL && srcver != NULL)
		fprintf(f, "Source: %s (%s)\n", src, srcver);
	else if (src != NULL)
		fprintf(f, "Source: %s\n", src);
	fprintf(f,
	        "Version: %s\nInstalled-Size: %zu\n"
	        "Maintainer: Bench Maintainers <bench@example.invalid>\n"
	        "Architecture: %s\n"
	        "Depends: libc6 (>= 2.34), libbench-common (= %s)\n"
	        "Description: synthetic package %s for the import benchmark\n"
	        "%s"
	        "Homepage: https://example.invalid/%s\n"
	        "Description-md5: 0123456789abcdef0123456789abcdef\n"
	        "Section: misc\nPriority: optional\n"
	        "Recommends: bench-data, bench-doc\n"
	        "Tag: implemented-in::c, interface::commandline, "
	        "role::program\n"
	        "MD5sum: 0123456789abcdef0123456789abcdef\n"
	        "Filename: %s\nSize: %zu\nSHA256: %s\n\n",
	        ver, size * 3, arch, ver, pkg, lorem, src ? src : pkg, filename,
	        size, sha);
}

int
main(int argc, char **argv)
{
	const char *root = NULL, *suite = NULL, *arch = "amd64",
	           *version = "1.0-1";
	long sources = 0, binaries = 0;
	bool pool = false;
	FILE *fa = NULL, *fall = NULL;
	struct err e;

	for (int i = 1; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : "";
		if (strcmp(argv[i], "--root") == 0)
			root = argv[++i];
		else if (strcmp(argv[i], "--suite") == 0)
			suite = argv[++i];
		else if (strcmp(argv[i], "--arch") == 0)
			arch = argv[++i];
		else if (strcmp(argv[i], "--version") == 0)
			version = argv[++i];
		else if (strcmp(argv[i], "--sources") == 0)
			sources = strtol(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--binaries") == 0)
			binaries = strtol(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--pool") == 0)
			pool = true;
		else {
			fprintf(stderr, "gen_aptrepo: unknown option %s\n",
			        argv[i]);
			return 2;
		}
		(void)v;
	}
	if (root == NULL || suite == NULL || sources < 1 ||
	    binaries < sources) {
		fprintf(stderr, "usage: gen_aptrepo --root DIR --suite NAME "
		                "--sources N --binaries M (M >= N)\n");
		return 2;
	}
	if (hash_global_init(&e) != SL_OK ||
	    open_index(&fa, root, suite, arch) ||
	    open_index(&fall, root, suite, "all"))
		return 1;
	for (long s = 0; s < sources; s++) {
		/* Spread the binaries: source s gets its share, rounded. */
		long b0 = s * binaries / sources,
		     b1 = (s + 1) * binaries / sources;
		char src[64];
		snprintf(src, sizeof(src), "src%05ld", s);
		for (long b = b0; b < b1; b++) {
			bool all = b % 4 == 3;
			bool binnmu = !all && b % 10 == 1;
			const char *a = all ? "all" : arch;
			char pkg[128], ver[96], fn[512], content[256], sha[65];
			snprintf(pkg, sizeof(pkg), "%s-bin%ld", src, b - b0);
			snprintf(ver, sizeof(ver), "%s%s", version,
			         binnmu ? "+b1" : "");
			snprintf(fn, sizeof(fn), "pool/main/s/%s/%s_%s_%s.deb",
			         src, pkg, ver, a);
			snprintf(content, sizeof(content), "deb %s %s %s\n",
			         pkg, ver, a);
			hash_buf_hex(content, strlen(content), sha);
			if (pool) {
				char path[1024];
				snprintf(path, sizeof(path), "%s/%s", root, fn);
				char dir[1024];
				snprintf(dir, sizeof(dir), "%s", path);
				*strrchr(dir, '/') = '\0';
				if (fsx_mkdirs(dir, 0755, &e) ||
				    fsx_write_unsynced(path, content,
				                       strlen(content), 0644,
				                       &e)) {
					fprintf(stderr, "gen_aptrepo: %s\n",
					        e.msg);
					return 1;
				}
			}
			/* The first binary has the source's name. */
			const char *sname = b == b0 ? NULL : src;
			if (b == b0)
				snprintf(pkg, sizeof(pkg), "%s", src);
			stanza(fa, pkg, sname ? sname : (binnmu ? src : NULL),
			       binnmu ? version : NULL, ver, a, fn,
			       strlen(content), sha);
			if (all)
				stanza(fall, pkg, sname, NULL, ver, a, fn,
				       strlen(content), sha);
		}
	}
	if (fclose(fa) != 0 || fclose(fall) != 0) {
		fprintf(stderr, "gen_aptrepo: write failed\n");
		return 1;
	}
	return 0;
}
