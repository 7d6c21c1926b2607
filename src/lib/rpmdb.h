/*
 * rpmdb: ask rpm which versions of a package are installed under a root.
 * Runs `rpm --root ROOT -q --qf '%{EPOCH}:%{VERSION}-%{RELEASE}\n' -- NAME`
 * directly (fork + exec, no shell), found through PATH at run time.
 */
#ifndef SLUICE_RPMDB_H
#define SLUICE_RPMDB_H

#include <stdbool.h>

#include "err.h"

/* Whether an rpm executable is found on PATH. */
bool rpmdb_available(void);

/* Installed versions of package as "EPOCH:VERSION-RELEASE" lines (EPOCH is
 * "(none)" when unset; more than one line for multi-version packages like
 * kernels). *out is NULL when the package is not installed; otherwise free
 * it with free(). SL_EUNSUPPORTED "rpm is not available" without rpm,
 * SL_EINVAL for a name rpm could mistake for an option, SL_EIO when rpm
 * cannot be run, SL_ETIMEOUT when it does not finish within 60 s. */
int rpmdb_query(char **out, const char *root, const char *package,
                struct err *e);

#endif
