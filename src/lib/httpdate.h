/*
 * httpdate: a time as HTTP's Date header writes it, the IMF-fixdate of
 * RFC 9110 section 5.6.7 ("Sun, 06 Nov 1994 08:49:37 GMT"), always in
 * English and UTC whatever the locale and time zone. sluiced stamps its
 * cached content answers with it once a second per worker thread instead of
 * letting libmicrohttpd call gmtime_r() (a process-wide lock) per answer.
 */
#ifndef SLUICE_HTTPDATE_H
#define SLUICE_HTTPDATE_H

#include <stddef.h>
#include <time.h>

#include "err.h"

#define HTTPDATE_LEN 29 /* characters, without the NUL */

/* Write t into out (n bytes, at least HTTPDATE_LEN + 1), NUL-terminated.
 * SL_ETOOBIG when n is too small, SL_EINVAL when t is before the year 1
 * or after 9999; out is untouched then. */
int httpdate_format(char *out, size_t n, time_t t, struct err *e);

#endif
