/*
 * httpdate: IMF-fixdate formatting (httpdate.h). gmtime_r() splits the
 * time; the names come from fixed tables, not strftime()'s locale.
 */
#include "httpdate.h"

#include <stdio.h>
#include <string.h>

int
httpdate_format(char *out, size_t n, time_t t, struct err *e)
{
	static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed",
	                                "Thu", "Fri", "Sat"};
	static const char mons[12][4] = {"Jan", "Feb", "Mar", "Apr",
	                                 "May", "Jun", "Jul", "Aug",
	                                 "Sep", "Oct", "Nov", "Dec"};
	char text[HTTPDATE_LEN + 8];
	struct tm tm;
	int len;

	if (n < HTTPDATE_LEN + 1)
		return err_set(e, SL_ETOOBIG,
		               "HTTP date: buffer of %zu bytes, need %d", n,
		               HTTPDATE_LEN + 1);
	if (gmtime_r(&t, &tm) == NULL || tm.tm_year + 1900 < 1 ||
	    tm.tm_year + 1900 > 9999 || tm.tm_wday < 0 || tm.tm_wday > 6 ||
	    tm.tm_mon < 0 || tm.tm_mon > 11)
		return err_set(e, SL_EINVAL,
		               "HTTP date: time %lld is outside the years 1 "
		               "to 9999",
		               (long long)t);
	len = snprintf(text, sizeof(text),
	               "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday],
	               tm.tm_mday, mons[tm.tm_mon], tm.tm_year + 1900,
	               tm.tm_hour, tm.tm_min, tm.tm_sec);
	if (len != HTTPDATE_LEN)
		return err_set(e, SL_EINTERNAL, "HTTP date: %d characters",
		               len);
	memcpy(out, text, HTTPDATE_LEN + 1);
	return SL_OK;
}
