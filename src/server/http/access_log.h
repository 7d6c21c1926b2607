/*
 * access_log: one line per HTTP request, for operators (journald or the
 * [log] file): client address, method, path, status, bytes of the body,
 * duration. Written at its own level ([log] access: debug, info, warn or
 * off), which a SIGHUP can change while requests run (an atomic, read once
 * per request).
 *
 * The path is the request path only: libmicrohttpd hands it over without
 * the query string, and anything from a '?' on is cut anyway, so no query
 * parameter (which could carry a secret) reaches a log line; headers
 * (Authorization) never do.
 */
#ifndef SLUICE_SERVER_HTTP_ACCESS_LOG_H
#define SLUICE_SERVER_HTTP_ACCESS_LOG_H

#include <stddef.h>
#include <stdint.h>

#include <microhttpd.h>
#include <sys/socket.h>

/* The level of the access lines: an enum log_level or CONFIG_LEVEL_OFF. */
void access_log_set_level(int level);

/* True when access_log_write() would write (skip the work if not). */
int access_log_enabled(void);

/* One line "access ADDR METHOD PATH STATUS BYTES DURATIONms". conn may be
 * NULL (address "-"). */
void access_log_write(struct MHD_Connection *conn, const char *method,
                      const char *path, int status, uint64_t bytes,
                      uint64_t usec);
/* The same for a connection of the content sender: sa is the client's
 * address (NULL: "-"). */
void access_log_write_addr(const struct sockaddr *sa, const char *method,
                           const char *path, int status, uint64_t bytes,
                           uint64_t usec);

/* Copy text fit for one log line into out (n bytes): control bytes and
 * spaces become '?', a query string is cut, long text ends in "...". */
const char *access_log_clean(char *out, size_t n, const char *text);

#endif
