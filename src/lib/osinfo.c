/*
 * osinfo: reads os-release and uname (or their overrides) under a root.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "buf.h"
#include "fsx.h"
#include "osinfo.h"

#define OSRELEASE_CAP (64 * 1024)
#define OVERRIDE_CAP  4096
#define PATH_CAP      4096

/* Unquote one os-release value (the text after '=' up to the end of the
 * line) into b. Outside quotes and inside double quotes a backslash escapes
 * the next character; inside single quotes everything is literal. */
static int
unquote(const char *p, const char *end, struct buf *b, struct err *e)
{
	char quote = 0;
	int rc;

	for (; p < end; p++) {
		char c = *p;

		if (quote == 0 && (c == '"' || c == '\'')) {
			quote = c;
			continue;
		}
		if (quote != 0 && c == quote) {
			quote = 0;
			continue;
		}
		if (c == '\\' && quote != '\'' && p + 1 < end)
			c = *++p;
		else if (quote == 0 && (c == ' ' || c == '\t' || c == '\r'))
			continue; /* unquoted white space is not part of it */
		if ((rc = buf_append(b, &c, 1, e)) != SL_OK)
			return rc;
	}
	return SL_OK;
}

int
osinfo_parse_value(const char *text, const char *key, char **out, struct err *e)
{
	size_t klen = strlen(key);
	const char *line = text, *nl, *p;
	struct buf b;
	int rc;

	*out = NULL;
	while (*line != '\0') {
		nl = strchr(line, '\n');
		if (nl == NULL)
			nl = line + strlen(line);
		p = line;
		while (p < nl && (*p == ' ' || *p == '\t'))
			p++;
		if ((size_t)(nl - p) > klen && strncmp(p, key, klen) == 0 &&
		    p[klen] == '=') {
			buf_init(&b, OSRELEASE_CAP);
			/* later assignments override earlier ones */
			if ((rc = unquote(p + klen + 1, nl, &b, e)) != SL_OK) {
				buf_free(&b);
				free(*out);
				*out = NULL;
				return rc;
			}
			free(*out);
			*out = buf_steal(&b, NULL);
		}
		line = *nl == '\0' ? nl : nl + 1;
	}
	return SL_OK;
}

/* First line of ROOT/REL, or NULL in *out when the file does not exist. */
static int
read_override(const char *root, const char *rel, char **out, struct err *e)
{
	char path[PATH_CAP], *text = NULL;
	size_t len, n;
	int rc;

	*out = NULL;
	if ((rc = fsx_join(path, sizeof(path), root, rel, e)) != SL_OK)
		return rc;
	rc = fsx_read(path, OVERRIDE_CAP, &text, &len, e);
	if (rc == SL_ENOTFOUND)
		return SL_OK;
	if (rc != SL_OK)
		return rc;
	n = strcspn(text, "\r\n");
	while (n > 0 && (text[n - 1] == ' ' || text[n - 1] == '\t'))
		n--;
	text[n] = '\0';
	*out = text;
	return SL_OK;
}

int
osinfo_load(struct osinfo **out, const char *root, struct err *e)
{
	static const char *const candidates[] = {"etc/os-release",
	                                         "usr/lib/os-release"};
	struct osinfo *oi;
	struct utsname u;
	char path[PATH_CAP], *text = NULL;
	size_t i, len;
	int rc = SL_OK;

	if (root == NULL || root[0] == '\0')
		root = "/";
	if ((oi = calloc(1, sizeof(*oi))) == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	for (i = 0; i < sizeof(candidates) / sizeof(candidates[0]); i++) {
		if ((rc = fsx_join(path, sizeof(path), root, candidates[i],
		                   e)) != SL_OK)
			goto out;
		rc = fsx_read(path, OSRELEASE_CAP, &text, &len, e);
		if (rc == SL_OK)
			break;
		if (rc != SL_ENOTFOUND)
			goto out;
		rc = SL_OK;
	}
	if (text != NULL) {
		if ((rc = osinfo_parse_value(text, "ID", &oi->id, e)) !=
		            SL_OK ||
		    (rc = osinfo_parse_value(text, "VERSION_ID",
		                             &oi->version_id, e)) != SL_OK)
			goto out;
	}
	if (oi->id == NULL && (oi->id = strdup("linux")) == NULL) {
		rc = err_set(e, SL_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = read_override(root, "etc/sluice/arch", &oi->arch, e)) !=
	            SL_OK ||
	    (rc = read_override(root, "etc/sluice/kernel", &oi->kernel, e)) !=
	            SL_OK)
		goto out;
	if ((oi->arch == NULL || oi->kernel == NULL) && uname(&u) != 0) {
		rc = err_set(e, SL_EIO, "uname failed");
		goto out;
	}
	if (oi->arch == NULL && (oi->arch = strdup(u.machine)) == NULL) {
		rc = err_set(e, SL_ENOMEM, "out of memory");
		goto out;
	}
	if (oi->kernel == NULL && (oi->kernel = strdup(u.release)) == NULL) {
		rc = err_set(e, SL_ENOMEM, "out of memory");
		goto out;
	}
	*out = oi;
	oi = NULL;
out:
	free(text);
	osinfo_free(oi);
	if (rc != SL_OK)
		err_prefix(e, "os info");
	return rc;
}

void
osinfo_free(struct osinfo *oi)
{
	if (oi == NULL)
		return;
	free(oi->id);
	free(oi->version_id);
	free(oi->arch);
	free(oi->kernel);
	free(oi);
}

static const char *
canonical_arch(const char *a)
{
	static const struct {
		const char *alias, *name;
	} map[] = {
	        {"x86_64", "amd64"}, {"aarch64", "arm64"}, {"i686", "i386"},
	        {"i586", "i386"},    {"i486", "i386"},     {"armv7l", "armhf"},
	};
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(a, map[i].alias) == 0)
			return map[i].name;
	return a;
}

bool
osinfo_arch_matches(const char *have, const char *want)
{
	if (have == NULL || want == NULL)
		return false;
	return strcmp(canonical_arch(have), canonical_arch(want)) == 0;
}
