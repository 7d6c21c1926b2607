/*
 * log: one line per event for the binaries (never called by library code).
 * Format: "2026-11-24T12:00:00Z LEVEL component: message".
 */
#ifndef SLUICE_LOG_H
#define SLUICE_LOG_H

#include <stdnoreturn.h>

enum log_level { LOG_LVL_DEBUG, LOG_LVL_INFO, LOG_LVL_WARN, LOG_LVL_ERROR };

/* Set the component name printed on every line and the minimum level. */
void log_init(const char *component, enum log_level min);
/* Change the minimum level while threads log (a SIGHUP reload). */
void log_set_level(enum log_level min);
/* True when a line at lvl would be written (skip building it if not). */
int log_enabled(enum log_level lvl);
/* "debug" | "info" | "warn" | "error" -> *out; -1 when none of them. */
int log_level_parse(enum log_level *out, const char *s);
const char *log_level_name(enum log_level lvl);

void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
noreturn void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
