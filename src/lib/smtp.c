/*
 * smtp: one e-mail through libcurl's SMTP client (smtp.h).
 */
#include "smtp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <sodium.h>

#include "buf.h"

#define MSG_MAX (1u << 20) /* a notification is short; cap it */

struct reader {
	const char *p;
	size_t left;
};

static size_t
read_cb(char *out, size_t sz, size_t n, void *arg)
{
	struct reader *r = arg;
	size_t len = sz * n < r->left ? sz * n : r->left;

	memcpy(out, r->p, len);
	r->p += len;
	r->left -= len;
	return len;
}

int
smtp_tls_parse(enum smtp_tls *out, const char *s, struct err *e)
{
	if (s == NULL || strcmp(s, "try") == 0)
		*out = SMTP_TLS_TRY;
	else if (strcmp(s, "none") == 0)
		*out = SMTP_TLS_NONE;
	else if (strcmp(s, "required") == 0)
		*out = SMTP_TLS_REQUIRED;
	else
		return err_set(e, SL_EINVAL,
		               "starttls '%s': expected none, try or required",
		               s);
	return SL_OK;
}

static int
header_ok(const char *name, const char *v, struct err *e)
{
	if (v == NULL || v[0] == '\0')
		return err_set(e, SL_EINVAL, "mail: %s: required", name);
	if (strpbrk(v, "\r\n") != NULL)
		return err_set(e, SL_EINVAL, "mail: %s: holds a line break",
		               name);
	return SL_OK;
}

/* The message text: headers, blank line, body with CRLF line ends (and
 * leading dots left to curl, which escapes them). */
static int
compose(struct buf *b, const struct smtp_msg *m, struct err *e)
{
	char date[64], id[33];
	unsigned char rnd[16];
	time_t now = time(NULL);
	struct tm tm;
	int rc;

	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	randombytes_buf(rnd, sizeof(rnd));
	for (size_t i = 0; i < sizeof(rnd); i++)
		snprintf(id + 2 * i, 3, "%02x", rnd[i]);
	rc = buf_printf(b, e, "Date: %s\r\nFrom: <%s>\r\nTo: ", date, m->from);
	for (size_t i = 0; rc == SL_OK && m->to[i] != NULL; i++)
		rc = buf_printf(b, e, "%s<%s>", i > 0 ? ", " : "", m->to[i]);
	if (rc == SL_OK)
		rc = buf_printf(
		        b, e,
		        "\r\nSubject: %s\r\nMessage-ID: <%s@sluice>\r\n"
		        "MIME-Version: 1.0\r\nContent-Type: text/plain; "
		        "charset=utf-8\r\nContent-Transfer-Encoding: "
		        "8bit\r\n\r\n",
		        m->subject, id);
	for (const char *p = m->body; rc == SL_OK && *p; p++) {
		if (*p == '\n' && (p == m->body || p[-1] != '\r'))
			rc = buf_puts(b, "\r\n", e);
		else
			rc = buf_append(b, p, 1, e);
	}
	if (rc == SL_OK && b->len > 0 && b->data[b->len - 1] != '\n')
		rc = buf_puts(b, "\r\n", e);
	return rc;
}

int
smtp_send(const struct smtp_msg *m, struct err *e)
{
	struct curl_slist *rcpt = NULL;
	struct reader rd;
	struct buf b;
	char from[512], errbuf[CURL_ERROR_SIZE] = "";
	CURL *c = NULL;
	CURLcode cc;
	int rc;

	buf_init(&b, MSG_MAX);
	if (m->url == NULL || (strncmp(m->url, "smtp://", 7) != 0 &&
	                       strncmp(m->url, "smtps://", 8) != 0)) {
		rc = err_set(e, SL_EINVAL,
		             "mail: server: expected smtp:// or smtps://");
		goto out;
	}
	if ((rc = header_ok("from", m->from, e)) != SL_OK ||
	    (rc = header_ok("subject", m->subject, e)) != SL_OK)
		goto out;
	if (m->to == NULL || m->to[0] == NULL) {
		rc = err_set(e, SL_EINVAL, "mail: no recipients");
		goto out;
	}
	for (size_t i = 0; m->to[i] != NULL; i++) {
		struct curl_slist *n;
		char addr[512];

		if ((rc = header_ok("recipient", m->to[i], e)) != SL_OK)
			goto out;
		snprintf(addr, sizeof(addr), "<%s>", m->to[i]);
		if ((n = curl_slist_append(rcpt, addr)) == NULL) {
			rc = err_set(e, SL_ENOMEM, "out of memory");
			goto out;
		}
		rcpt = n;
	}
	if ((rc = compose(&b, m, e)) != SL_OK)
		goto out;
	snprintf(from, sizeof(from), "<%s>", m->from);
	rd.p = b.data;
	rd.left = b.len;
	if ((c = curl_easy_init()) == NULL) {
		rc = err_set(e, SL_ENOMEM, "curl_easy_init failed");
		goto out;
	}
	cc = curl_easy_setopt(c, CURLOPT_URL, m->url);
	if (cc == CURLE_OK)
		cc = curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	if (cc == CURLE_OK)
		cc = curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	if (cc == CURLE_OK)
		cc = curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	if (cc == CURLE_OK)
		cc = curl_easy_setopt(c, CURLOPT_MAIL_FROM, from);
	if (cc == CURLE_OK)
		cc = curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
	if (cc == CURLE_OK)
		cc = curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
	if (cc == CURLE_OK)
		cc = curl_easy_setopt(c, CURLOPT_READDATA, &rd);
	if (cc == CURLE_OK)
		cc = curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	if (cc == CURLE_OK)
		cc = curl_easy_setopt(c, CURLOPT_TIMEOUT,
		                      m->timeout_s > 0 ? m->timeout_s : 30L);
	if (cc == CURLE_OK)
		cc = curl_easy_setopt(
		        c, CURLOPT_USE_SSL,
		        m->tls == SMTP_TLS_REQUIRED ? (long)CURLUSESSL_ALL
		        : m->tls == SMTP_TLS_TRY    ? (long)CURLUSESSL_TRY
		                                    : (long)CURLUSESSL_NONE);
	if (cc == CURLE_OK && m->ca_file != NULL && m->ca_file[0] != '\0')
		cc = curl_easy_setopt(c, CURLOPT_CAINFO, m->ca_file);
	if (cc == CURLE_OK && m->user != NULL && m->user[0] != '\0') {
		cc = curl_easy_setopt(c, CURLOPT_USERNAME, m->user);
		if (cc == CURLE_OK)
			cc = curl_easy_setopt(c, CURLOPT_PASSWORD,
			                      m->password ? m->password : "");
	}
	if (cc != CURLE_OK) {
		rc = err_set(e, SL_EINTERNAL, "mail: cannot set curl options");
		goto out;
	}
	if ((cc = curl_easy_perform(c)) != CURLE_OK) {
		long code = 0;

		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
		rc = err_set(e, SL_ENET, "mail: %s: %s (last answer %ld)",
		             m->url,
		             errbuf[0] ? errbuf : curl_easy_strerror(cc), code);
		goto out;
	}
	rc = SL_OK;
out:
	curl_slist_free_all(rcpt);
	if (c != NULL)
		curl_easy_cleanup(c);
	buf_free(&b);
	return rc;
}
