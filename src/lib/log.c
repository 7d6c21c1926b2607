/*
 * log: timestamped single-line logging to stderr for the binaries.
 */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static const char *log_component = "sluice";
static enum log_level log_min = LOG_LVL_INFO;

void
log_init(const char *component, enum log_level min)
{
	log_component = component;
	log_min = min;
}

static void
log_vline(enum log_level lvl, const char *fmt, va_list ap)
{
	static const char *names[] = {"DEBUG", "INFO", "WARN", "ERROR"};
	char ts[32], line[2048];
	time_t now = time(NULL);
	struct tm tm;

	if (lvl < log_min)
		return;
	gmtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	vsnprintf(line, sizeof(line), fmt, ap);
	/* One write per line so concurrent threads do not interleave. */
	fprintf(stderr, "%s %s %s: %s\n", ts, names[lvl], log_component, line);
}

#define LOG_FN(name, lvl)                                                      \
	void name(const char *fmt, ...)                                        \
	{                                                                      \
		va_list ap;                                                    \
		va_start(ap, fmt);                                             \
		log_vline(lvl, fmt, ap);                                       \
		va_end(ap);                                                    \
	}

LOG_FN(log_debug, LOG_LVL_DEBUG)
LOG_FN(log_info, LOG_LVL_INFO)
LOG_FN(log_warn, LOG_LVL_WARN)
LOG_FN(log_error, LOG_LVL_ERROR)

void
fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vline(LOG_LVL_ERROR, fmt, ap);
	va_end(ap);
	exit(1);
}
