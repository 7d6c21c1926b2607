/*
 * lifecycle: what sluiced's main loop does besides serving: apply the
 * [log] options (levels, file), reload the configuration on SIGHUP, tell
 * systemd about start, reload and stop (sd_notify; a no-op outside a
 * Type=notify unit), and take an online backup (--backup).
 */
#ifndef SLUICE_SERVER_LIFECYCLE_H
#define SLUICE_SERVER_LIFECYCLE_H

#include "config.h"
#include "err.h"

/* Set the log and access-log levels and, when [log] file is set, send
 * standard error (every log line) to that file, opened for appending
 * (again: the reopen after logrotate moved it). */
int lifecycle_log_apply(const struct server_config *cfg, struct err *e);

/* Load the configuration again with load() (the same file and flags as at
 * start) and apply what can change while running: [log] level, access
 * and file (reopened in any case). Every other changed option is logged
 * as needing a restart; a configuration that does not load is logged and
 * changes nothing. Logs one line per changed option and a summary. */
void lifecycle_reload(struct server_config *cfg,
                      int (*load)(struct server_config *next, const void *arg,
                                  struct err *e),
                      const void *arg);

/* sd_notify(state) when systemd waits for it ("READY=1", "STOPPING=1"). */
void lifecycle_notify(const char *state);

/* sluiced --backup FILE: a consistent copy of the SQLite database while
 * the server runs (store_backup()). Logs the result; returns the exit
 * status. */
int lifecycle_backup(const struct server_config *cfg, const char *file);

#endif
