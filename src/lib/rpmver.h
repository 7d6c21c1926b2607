/*
 * rpmver: RPM version comparison (the rpmvercmp algorithm) and
 * epoch:version-release comparison, for the rpm_installed predicate.
 */
#ifndef SLUICE_RPMVER_H
#define SLUICE_RPMVER_H

/* Compare two version (or release) strings the way rpm does: split into
 * runs of digits and of letters, everything else separates; digit runs
 * compare numerically (any length), letter runs with strcmp, a digit run is
 * newer than a letter run; '~' sorts before everything (even the end),
 * '^' after the end but before any further run. <0, 0 or >0. NULL sorts
 * before everything. */
int rpmver_cmp(const char *a, const char *b);

/* Compare "[epoch:]version[-release]" strings: epochs numerically (missing
 * or "(none)" means 0), then versions, then releases; when either side has
 * no release the releases are not compared (as rpm does for a dependency
 * without one). */
int rpmver_cmp_evr(const char *a, const char *b);

#endif
