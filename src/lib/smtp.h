/*
 * smtp: send one plain-text e-mail through an SMTP server with libcurl
 * (smtp:// or smtps://), optionally upgrading the connection with STARTTLS
 * and authenticating. The message gets From, To, Subject, Date,
 * Message-ID, MIME-Version and a UTF-8 text/plain body; header fields are
 * refused when they hold a line break (no header injection).
 */
#ifndef SLUICE_SMTP_H
#define SLUICE_SMTP_H

#include "err.h"

enum smtp_tls {
	SMTP_TLS_NONE,     /* plain text (loopback, a trusted relay) */
	SMTP_TLS_TRY,      /* STARTTLS when the server offers it */
	SMTP_TLS_REQUIRED, /* STARTTLS or fail (or smtps://) */
};

struct smtp_msg {
	const char *url; /* smtp://host[:port] or smtps://host[:port] */
	enum smtp_tls tls;
	const char *ca_file;         /* NULL: the system's CAs */
	const char *user, *password; /* NULL user: no AUTH */
	const char *from;            /* address */
	const char *const *to;       /* NULL-terminated addresses, >= 1 */
	const char *subject;
	const char *body; /* text; lines end with \n (sent as CRLF) */
	long timeout_s;   /* 0 = 30 */
};

/* Send m. SL_EINVAL for a bad field (named), SL_ENET with curl's reason
 * and the server's last answer when the transfer fails. */
int smtp_send(const struct smtp_msg *m, struct err *e);

/* Parse "none", "try" or "required". */
int smtp_tls_parse(enum smtp_tls *out, const char *s, struct err *e);

#endif
