/*
 * install_int: what install.c shares with the handlers kept in their own
 * files (install_deb.c): the argv under construction and dpkg's command
 * line for a root. Not for use outside the install module.
 */
#ifndef SLUICE_INSTALL_INT_H
#define SLUICE_INSTALL_INT_H

#include <stddef.h>

#include "err.h"
#include "install.h"

#define INSTALL_MAX_ARGS 256

/* argv under construction: strings are owned by the caller or the pool. */
struct argv_b {
	char *v[INSTALL_MAX_ARGS + 1];
	size_t n;
	char *owned[INSTALL_MAX_ARGS];
	size_t n_owned;
};

/* Append s (not copied: it must outlive the argv). */
int install_argv_push(struct argv_b *a, const char *s, struct err *e);

/* Append x + y + z as one new string owned by a. */
int install_argv_push_cat(struct argv_b *a, struct err *e, const char *x,
                          const char *y, const char *z);

/* "dpkg" and, for a root other than "/", --root/--admindir/--instdir and
 * the options dpkg needs to work in a tree that is not the system's. */
int install_dpkg_base(struct argv_b *a, const char *root, struct err *e);

/* The deb handler's argv: dpkg -i with those of the update's .deb files
 * whose package is installed in an older version (see install.h). A
 * failure (nothing to install, an uninstall, a broken status file) is
 * returned with a message meant for the report. */
int install_deb_argv(struct argv_b *a, const struct install_job *job,
                     const char *dir, struct err *e);

#endif
