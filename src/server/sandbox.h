/*
 * sandbox: an optional system-call filter for sluiced (seccomp through
 * libseccomp, [server] seccomp = on). Installed after privileges are
 * dropped and before any thread starts, it allows the system calls the
 * server uses (files, sockets, epoll, threads, time, memory) and nothing
 * else: no exec, no ptrace (except in sanitizer builds, whose leak check
 * needs it at exit), no mount, no module loading, no new namespaces. A
 * call outside the list stops the process with a line naming it, so a
 * regression shows at once in the tests (tests/e2e/lib.sh turns it on).
 */
#ifndef SLUICE_SERVER_SANDBOX_H
#define SLUICE_SERVER_SANDBOX_H

#include "err.h"

/* Load the filter for this thread and every thread it starts later. */
int sandbox_apply(struct err *e);

#endif
