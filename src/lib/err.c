/*
 * err: status names, HTTP mapping and prefixed error messages.
 */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void
err_clear(struct err *e)
{
	if (e == NULL)
		return;
	e->code = SL_OK;
	e->msg[0] = '\0';
}

int
err_set(struct err *e, int code, const char *fmt, ...)
{
	va_list ap;

	if (e == NULL)
		return code;
	e->code = code;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return code;
}

int
err_prefix(struct err *e, const char *fmt, ...)
{
	char prefix[256], old[ERR_MSG_MAX];
	va_list ap;

	if (e == NULL)
		return SL_EINTERNAL;
	if (e->code == SL_OK)
		e->code = SL_EINTERNAL;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, e->msg, sizeof(old));
	/* Messages are bounded: a long chain is cut at the end, not lost. */
	size_t n = strlen(prefix);
	if (n > sizeof(e->msg) - 3)
		n = sizeof(e->msg) - 3;
	memcpy(e->msg, prefix, n);
	memcpy(e->msg + n, ": ", 2);
	size_t room = sizeof(e->msg) - n - 2 - 1, olen = strlen(old);
	if (olen > room)
		olen = room;
	memcpy(e->msg + n + 2, old, olen);
	e->msg[n + 2 + olen] = '\0';
	return e->code;
}

static const struct {
	int code;
	const char *name;
	int http;
} statuses[] = {
        {SL_OK, "ok", 200},
        {SL_ENOMEM, "out-of-memory", 503},
        {SL_EINVAL, "invalid", 400},
        {SL_EPARSE, "parse", 400},
        {SL_EIO, "io", 500},
        {SL_ENOTFOUND, "not-found", 404},
        {SL_EEXISTS, "exists", 409},
        {SL_ETOOBIG, "too-big", 413},
        {SL_EVERIFY, "verify", 422},
        {SL_EEXPIRED, "expired", 422},
        {SL_EROLLBACK, "rollback", 422},
        {SL_EAUTH, "unauthorized", 401},
        {SL_EDENIED, "forbidden", 403},
        {SL_ECONFLICT, "conflict", 409},
        {SL_ENET, "network", 502},
        {SL_EDB, "database", 500},
        {SL_EUNSUPPORTED, "unsupported", 400},
        {SL_ETIMEOUT, "timeout", 504},
        {SL_EINTERNAL, "internal", 500},
        {SL_EUNAVAILABLE, "unavailable", 503},
};

const char *
err_name(int code)
{
	for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
		if (statuses[i].code == code)
			return statuses[i].name;
	return "unknown";
}

int
err_http_status(int code)
{
	for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
		if (statuses[i].code == code)
			return statuses[i].http;
	return 500;
}
