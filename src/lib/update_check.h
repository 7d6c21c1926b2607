/*
 * update_check: the catalog origin's stricter gate on an update revision,
 * run where definitions are made (`sluice catalog add` refuses, `catalog
 * verify` reports, the apt importer calls it on what it builds) so that a
 * broken definition is caught before any agent meets it.
 *
 * update_from_json() accepts what agents must be able to read, and stays
 * lenient about unknown predicates (an old agent meets new ones). This
 * check asks more: every predicate known with the parameters it needs
 * (rules_check(), from the rule engine's own table of predicates), and the
 * install information consistent with the files and a handler the agent
 * has:
 *   - the handler is one of update_check_handlers[];
 *   - dpkg and deb need at least one .deb file;
 *   - deb: every .deb file carries its `deb` object (with a valid Debian
 *     version), no arguments, no uninstall_arguments (a downgrade is not a
 *     Debian operation);
 *   - dpkg: arguments are the .deb file and dpkg --options, no action
 *     (the handler adds -i / -r itself);
 *   - command and script: arguments[0] is one of the files.
 * Every problem names the field path ("install.arguments[0]: 'setup.sh' is
 * not one of the files").
 */
#ifndef SLUICE_UPDATE_CHECK_H
#define SLUICE_UPDATE_CHECK_H

#include <stddef.h>

#include "err.h"
#include "update.h"

/* The install handlers sluice-agent has, NULL-terminated. */
extern const char *const update_check_handlers[];

/* Called once per problem: code (SL_EINVAL, or SL_EUNSUPPORTED for an
 * unknown predicate or handler) and message. */
typedef void (*update_check_fn)(void *arg, int code, const char *msg);

/* Check u. Every problem goes to fn (when not NULL) and is counted in
 * *n_problems (when not NULL). SL_OK when there is none; otherwise the
 * first problem's code and message in e. */
int update_check(const struct update *u, update_check_fn fn, void *arg,
                 size_t *n_problems, struct err *e);

#endif
