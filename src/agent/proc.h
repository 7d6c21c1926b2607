/*
 * proc: run one program (no shell) with a timeout, capturing its stdout and
 * stderr together into a bounded buffer. The child leads its own process
 * group so a timeout kills everything it started.
 */
#ifndef SLUICE_PROC_H
#define SLUICE_PROC_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

#define PROC_OUTPUT_CAP (64 * 1024) /* total, marker included */
#define PROC_TRUNCATED  "\n[truncated]"

struct proc_spec {
	char *const *argv;    /* argv[0] is looked up in PATH without '/' */
	const char *cwd;      /* NULL = inherit */
	char *const *env_add; /* "NAME=value" entries set on top of environ */
	int timeout_s;        /* > 0 */
	size_t output_cap;    /* 0 = PROC_OUTPUT_CAP */
	int kill_grace_s;     /* SIGTERM -> SIGKILL delay; 0 = 2 */
};

struct proc_result {
	bool exited;    /* normal exit: exit_code is valid */
	int exit_code;  /* else -1 */
	int signal;     /* the signal that ended it, or 0 */
	bool timed_out; /* it was killed because it ran too long */
	bool truncated; /* output was cut (ends with the marker; the whole
	                 * stays within the cap) */
	char *output;   /* valid UTF-8, NUL-terminated; free with
	                 * proc_result_clear() */
	size_t output_len;
};

/* Run spec. SL_OK whenever the program started (see out); SL_ENOTFOUND /
 * SL_EIO "cannot run PROG: REASON" when it could not be executed. */
int proc_run(struct proc_result *out, const struct proc_spec *spec,
             struct err *e);

void proc_result_clear(struct proc_result *r);

/* Replace every byte that is not part of valid UTF-8 (and NUL) with '?',
 * in place. */
void proc_utf8_sanitize(char *s, size_t len);

#endif
