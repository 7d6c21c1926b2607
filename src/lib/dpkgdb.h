/*
 * dpkgdb: the installed packages of a Debian system, read once from dpkg's
 * status database (ROOT/var/lib/dpkg/status) into a sorted table so the
 * applicability rules can ask "which version of P is installed" cheaply
 * thousands of times.
 */
#ifndef SLUICE_DPKGDB_H
#define SLUICE_DPKGDB_H

#include <stddef.h>

#include "err.h"

#define DPKGDB_CAP (256u * 1024 * 1024) /* largest status file accepted */

struct dpkgdb;

/* Load the status file at status_path. Only stanzas whose Status field has
 * "installed" as its third word count. Each package is stored under its
 * name (the first stanza wins when several architectures are installed)
 * and under "name:arch". SL_ENOTFOUND when the file is missing, SL_ETOOBIG
 * over DPKGDB_CAP. Free with dpkgdb_free(). */
int dpkgdb_load(struct dpkgdb **out, const char *status_path, struct err *e);

/* An empty database (for systems without dpkg). Free with dpkgdb_free(). */
int dpkgdb_new_empty(struct dpkgdb **out, struct err *e);

void dpkgdb_free(struct dpkgdb *db);

/* The installed version of package ("name" or "name:arch"), or NULL when it
 * is not installed. The string belongs to db. */
const char *dpkgdb_version(const struct dpkgdb *db, const char *package);

/* Number of installed packages (stanzas counted, not names). */
size_t dpkgdb_count(const struct dpkgdb *db);

#endif
