/*
 * osinfo: facts about the system installed under a root directory, for the
 * applicability rules: the os-release ID and VERSION_ID, the machine
 * architecture and the running kernel release.
 *
 * The architecture and kernel come from uname(2) unless ROOT/etc/sluice/arch
 * or ROOT/etc/sluice/kernel exists, whose first line then wins (this lets a
 * test or an image builder describe a system other than the running one).
 */
#ifndef SLUICE_OSINFO_H
#define SLUICE_OSINFO_H

#include <stdbool.h>

#include "err.h"

struct osinfo {
	char *id;         /* os-release ID; "linux" when absent */
	char *version_id; /* os-release VERSION_ID; NULL when absent */
	char *arch;       /* e.g. "x86_64" (uname) or "amd64" (override) */
	char *kernel;     /* e.g. "6.1.0-13-amd64" */
};

/* Read ROOT/etc/os-release (or ROOT/usr/lib/os-release) and the overrides.
 * root "" or "/" means the running system. A missing os-release is not an
 * error (id is then "linux"); an unreadable or oversized one is. Free the
 * result with osinfo_free(). */
int osinfo_load(struct osinfo **out, const char *root, struct err *e);

void osinfo_free(struct osinfo *oi);

/* Parse os-release text (KEY=value lines, optional single or double quotes,
 * backslash escapes, '#' comments) and return a copy of KEY's value in
 * *out (free with free()), or NULL in *out when KEY is absent. */
int osinfo_parse_value(const char *text, const char *key, char **out,
                       struct err *e);

/* Whether architecture names denote the same machine, treating Debian and
 * kernel spellings alike: amd64/x86_64, arm64/aarch64,
 * i386/i486/i586/i686, armhf/armv7l. Case-sensitive otherwise. */
bool osinfo_arch_matches(const char *have, const char *want);

#endif
