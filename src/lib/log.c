/*
 * log: timestamped single-line logging to stderr for the binaries.
 */
#include "log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *log_component = "sluice";
static _Atomic int log_min = LOG_LVL_INFO;
static const char *const level_names[] = {"debug", "info", "warn", "error"};

void
log_init(const char *component, enum log_level min)
{
	log_component = component;
	atomic_store_explicit(&log_min, (int)min, memory_order_relaxed);
}

void
log_set_level(enum log_level min)
{
	atomic_store_explicit(&log_min, (int)min, memory_order_relaxed);
}

int
log_enabled(enum log_level lvl)
{
	return (int)lvl >= atomic_load_explicit(&log_min, memory_order_relaxed);
}

int
log_level_parse(enum log_level *out, const char *s)
{
	for (int i = LOG_LVL_DEBUG; i <= LOG_LVL_ERROR; i++)
		if (strcmp(s, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	return -1;
}

const char *
log_level_name(enum log_level lvl)
{
	return level_names[lvl];
}

#define LOG_MSG_MAX    2048 /* a message longer than this is cut */
#define LOG_PREFIX_MAX 128

/* This thread's time text of now, formatted once per second, not per
 * line (a busy server logs an access line per request). */
static const char *
stamp(void)
{
	static _Thread_local long long at = -1;
	static _Thread_local char text[32];
	time_t now = time(NULL);
	struct tm tm;

	if ((long long)now != at) {
		gmtime_r(&now, &tm);
		strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &tm);
		at = (long long)now;
	}
	return text;
}

static void
log_vline(enum log_level lvl, const char *fmt, va_list ap)
{
	static const char *names[] = {"DEBUG", "INFO", "WARN", "ERROR"};
	char line[LOG_PREFIX_MAX + LOG_MSG_MAX];
	const char *ts;
	int n, m;

	if (!log_enabled(lvl))
		return;
	ts = stamp();
	n = snprintf(line, LOG_PREFIX_MAX, "%s %s %s: ", ts, names[lvl],
	             log_component);
	if (n < 0)
		n = 0;
	if (n >= LOG_PREFIX_MAX)
		n = LOG_PREFIX_MAX - 1;
	m = vsnprintf(line + n, LOG_MSG_MAX, fmt, ap);
	if (m < 0)
		m = 0;
	if (m >= LOG_MSG_MAX)
		m = LOG_MSG_MAX - 1;
	line[n + m] = '\n';
	/* One write per line so concurrent threads do not interleave. */
	fwrite(line, 1, (size_t)(n + m + 1), stderr);
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
