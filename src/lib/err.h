/*
 * err: the project-wide status codes and the error object.
 *
 * Every fallible function in libsluice returns an int: SL_OK (0) or one of
 * the negative SL_E* codes below, and fills a caller-provided struct err with
 * a human-readable message. As the error travels up, each layer prefixes the
 * message with what it was doing ("sync: upstream index: signature does not
 * verify"). The mapping from status to HTTP code lives here and nowhere else.
 */
#ifndef SLUICE_ERR_H
#define SLUICE_ERR_H

#include <stddef.h>

enum sl_status {
	SL_OK = 0,
	SL_ENOMEM = -1,        /* allocation failed */
	SL_EINVAL = -2,        /* invalid argument or input (validation) */
	SL_EPARSE = -3,        /* malformed document (JSON, config) */
	SL_EIO = -4,           /* file system or stream error */
	SL_ENOTFOUND = -5,     /* no such object */
	SL_EEXISTS = -6,       /* object already exists */
	SL_ETOOBIG = -7,       /* input over its cap */
	SL_EVERIFY = -8,       /* signature or hash does not verify */
	SL_EEXPIRED = -9,      /* signed document past its expiry */
	SL_EROLLBACK = -10,    /* signed document older than one already seen */
	SL_EAUTH = -11,        /* missing or wrong credentials */
	SL_EDENIED = -12,      /* authenticated but not allowed */
	SL_ECONFLICT = -13,    /* state conflict (e.g. non-empty group) */
	SL_ENET = -14,         /* network or remote peer error */
	SL_EDB = -15,          /* database error */
	SL_EUNSUPPORTED = -16, /* not supported (unknown handler, predicate) */
	SL_ETIMEOUT = -17,     /* operation timed out */
	SL_EINTERNAL = -18,    /* a bug: should not happen */
	SL_EUNAVAILABLE = -19, /* a service (the database) is away: retry */
};

#define ERR_MSG_MAX 1024

struct err {
	int code;
	char msg[ERR_MSG_MAX];
};

/* Reset to SL_OK with an empty message. */
void err_clear(struct err *e);

/* Set code and message; returns code so callers can `return err_set(...)`.
 * e may be NULL (the detail is then dropped). */
int err_set(struct err *e, int code, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* Prefix the current message with "PREFIX: "; returns e->code (or
 * SL_EINTERNAL when e is NULL or holds no error). */
int err_prefix(struct err *e, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

/* Short stable name of a status ("verify", "not-found"). Never NULL. */
const char *err_name(int code);

/* The one place where statuses map to HTTP status codes. */
int err_http_status(int code);

#endif
