/*
 * debver: Debian package version comparison, following dpkg's ordering.
 *
 * A version is [epoch:]upstream[-revision]. The epoch (default 0) is a
 * number before the first ':'; the revision is what follows the last '-'.
 * Parts are compared alternately as non-digit runs (letters sort before
 * non-letters, '~' before everything including the end of the string) and
 * digit runs (compared as numbers of any length). Used by the applicability
 * rules for package, OS and kernel versions.
 */
#ifndef SLUICE_DEBVER_H
#define SLUICE_DEBVER_H

#include <stdbool.h>

#include "err.h"

/* Compare two versions: <0, 0 or >0 as a sorts before, equal to or after b.
 * Works on any strings (invalid ones are compared best-effort); surrounding
 * white space is ignored; NULL sorts before everything. */
int debver_cmp(const char *a, const char *b);

/* SL_OK when v is a well-formed Debian version, SL_EINVAL with a message
 * saying why otherwise. */
int debver_valid(const char *v, struct err *e);

/* Whether "cmp OP 0" holds, where cmp is a debver_cmp (or rpmver) result.
 * OP is one of "<", "<=", "=", ">=", ">", "!=" or dpkg's "<<", ">>"; the
 * words "lt", "le", "eq", "ge", "gt", "ne" are accepted too. Note: "<" is
 * strict here (not dpkg's obsolete "<" meaning "<="). SL_EINVAL for an
 * unknown op. */
int debver_op_holds(const char *op, int cmp, bool *out, struct err *e);

#endif
