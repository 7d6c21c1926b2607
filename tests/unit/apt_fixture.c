/*
 * apt_fixture: see apt_fixture.h.
 */
#include "apt_fixture.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"

static const char *
script(void)
{
	static char path[512];
	const char *root = getenv("SOURCE_ROOT");

	snprintf(path, sizeof(path), "%s/tests/unit/apt_fixture.sh",
	         root ? root : ".");
	return path;
}

void
aptfix_sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (system(cmd) != 0)
		fail_msg("command failed: %s", cmd);
}

void
aptfix_setup(struct aptfix *f)
{
	memset(f, 0, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/sl-apt-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->home, sizeof(f->home), "%s/g1", f->dir);
	snprintf(f->keyring, sizeof(f->keyring), "%s/archive.gpg", f->dir);
	snprintf(f->other_home, sizeof(f->other_home), "%s/g2", f->dir);
	snprintf(f->other_keyring, sizeof(f->other_keyring), "%s/other.gpg",
	         f->dir);
	snprintf(f->repo, sizeof(f->repo), "%s/repo", f->dir);
	snprintf(f->url, sizeof(f->url), "file://%s", f->repo);
	snprintf(f->cat, sizeof(f->cat), "%s/cat", f->dir);
	aptfix_sh("%s key %s Archive %s", script(), f->home, f->keyring);
	aptfix_sh("%s key %s Other %s", script(), f->other_home,
	          f->other_keyring);
}

void
aptfix_reset(struct aptfix *f)
{
	aptfix_sh("rm -rf %s %s", f->repo, f->cat);
}

void
aptfix_teardown(struct aptfix *f)
{
	aptfix_sh("%s stop %s; %s stop %s; rm -rf %s", script(), f->home,
	          script(), f->other_home, f->dir);
}

void
aptfix_write(const struct aptfix *f, const char *rel, const char *text)
{
	char path[512];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", f->repo, rel);
	aptfix_sh("mkdir -p \"$(dirname %s)\"", path);
	assert_non_null(fp = fopen(path, "w"));
	fputs(text, fp);
	fclose(fp);
}

void
aptfix_deb(const struct aptfix *f, const char *rel, const char *content,
           char *sha)
{
	aptfix_write(f, rel, content);
	hash_buf_hex(content, strlen(content), sha);
}

void
aptfix_stanza(char *b, size_t n, const char *pkg, const char *source,
              const char *version, const char *arch, const struct aptfix *f)
{
	char rel[256], content[256], sha[65], src[128] = "";
	size_t l = strlen(b);

	snprintf(rel, sizeof(rel), "pool/main/%s_%s_%s.deb", pkg, version,
	         arch);
	snprintf(content, sizeof(content), "deb %s %s %s", pkg, version, arch);
	aptfix_deb(f, rel, content, sha);
	if (source != NULL)
		snprintf(src, sizeof(src), "Source: %s\n", source);
	snprintf(b + l, n - l,
	         "%sPackage: %s\n%sVersion: %s\nArchitecture: %s\n"
	         "Maintainer: Test <t@example.invalid>\n"
	         "Filename: %s\nSize: %zu\nSHA256: %s\n"
	         "Description: the %s package\n long text\n .\n more\n",
	         l ? "\n" : "", pkg, src, version, arch, rel, strlen(content),
	         sha, pkg);
}

void
aptfix_publish(const struct aptfix *f, const char *suite, const char *archs,
               const char *extra, const char *home, const char *mode)
{
	aptfix_sh("find %s/dists/%s -name Packages -exec %s compress {} +",
	          f->repo, suite, script());
	aptfix_sh("%s release %s %s '%s' main %s%s%s", script(), f->repo, suite,
	          archs, extra ? "'" : "", extra ? extra : "",
	          extra ? "'" : "");
	if (strcmp(mode, "none") != 0)
		aptfix_sh("%s sign %s %s %s %s", script(), f->repo, suite, home,
		          mode);
}
