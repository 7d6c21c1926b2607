/*
 * tls: certificate and key loading for the HTTPS listener (tls.h).
 */
#include "tls.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <sodium.h>

#include "fsx.h"

#define PEM_MAX   (1u << 20)
#define CHAIN_MAX 16 /* certificates in one chain */

static int
read_pem(char **out, const char *path, const char *what, int key, struct err *e)
{
	char *text = NULL;
	size_t len = 0;
	int rc;

	rc = fsx_read(path, PEM_MAX, &text, &len, e);
	if (rc != SL_OK)
		return err_prefix(e, "tls.%s", what);
	if (memchr(text, '\0', len) != NULL ||
	    strstr(text, "-----BEGIN ") == NULL ||
	    (key ? strstr(text, "PRIVATE KEY-----") == NULL
	         : strstr(text, "-----BEGIN CERTIFICATE-----") == NULL)) {
		sodium_memzero(text, len);
		free(text);
		return err_set(e, SL_EPARSE, "tls.%s %s: no PEM %s", what, path,
		               key ? "private key" : "certificate");
	}
	*out = text;
	return SL_OK;
}

int
tls_load(struct tls_creds *out, const char *cert_path, const char *key_path,
         struct err *e)
{
	struct tls_creds c = {0};
	int rc;

	rc = read_pem(&c.cert_pem, cert_path, "cert", 0, e);
	if (rc == SL_OK)
		rc = read_pem(&c.key_pem, key_path, "key", 1, e);
	if (rc != SL_OK) {
		tls_creds_free(&c);
		return rc;
	}
	*out = c;
	return SL_OK;
}

void
tls_creds_free(struct tls_creds *c)
{
	if (c == NULL)
		return;
	if (c->key_pem != NULL)
		sodium_memzero(c->key_pem, strlen(c->key_pem));
	free(c->key_pem);
	free(c->cert_pem);
	c->key_pem = c->cert_pem = NULL;
}

/* One parsed certificate chain and key. */
struct tls_pair {
	gnutls_pcert_st certs[CHAIN_MAX];
	unsigned int n;
	gnutls_privkey_t key;
	struct tls_pair *older; /* replaced pairs, freed with the context */
};

struct tls_ctx {
	struct tls_pair *cur;
};

/* The serving context: GnuTLS's callback takes no argument of ours. */
static pthread_mutex_t cur_mu = PTHREAD_MUTEX_INITIALIZER;
static struct tls_ctx *serving;

static void
pair_free(struct tls_pair *p)
{
	while (p != NULL) {
		struct tls_pair *older = p->older;

		for (unsigned int i = 0; i < p->n; i++)
			gnutls_pcert_deinit(&p->certs[i]);
		if (p->key != NULL)
			gnutls_privkey_deinit(p->key);
		free(p);
		p = older;
	}
}

static int
pair_new(struct tls_pair **out, const struct tls_creds *c, struct err *e)
{
	gnutls_datum_t cert = {(unsigned char *)c->cert_pem,
	                       (unsigned int)strlen(c->cert_pem)};
	gnutls_datum_t key = {(unsigned char *)c->key_pem,
	                      (unsigned int)strlen(c->key_pem)};
	gnutls_certificate_credentials_t check = NULL;
	struct tls_pair *p = calloc(1, sizeof(*p));
	int g, rc = SL_OK;

	if (p == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	/* GnuTLS's own check that the key belongs to the certificate. */
	if ((g = gnutls_certificate_allocate_credentials(&check)) < 0 ||
	    (g = gnutls_certificate_set_x509_key_mem2(
	             check, &cert, &key, GNUTLS_X509_FMT_PEM, NULL, 0)) < 0) {
		rc = err_set(e, SL_EINVAL, "tls.cert and tls.key: %s",
		             gnutls_strerror(g));
		goto out;
	}
	p->n = CHAIN_MAX;
	if ((g = gnutls_pcert_list_import_x509_raw(
	             p->certs, &p->n, &cert, GNUTLS_X509_FMT_PEM, 0)) < 0) {
		p->n = 0;
		rc = err_set(e, SL_EINVAL, "tls.cert: %s", gnutls_strerror(g));
		goto out;
	}
	if ((g = gnutls_privkey_init(&p->key)) < 0 ||
	    (g = gnutls_privkey_import_x509_raw(
	             p->key, &key, GNUTLS_X509_FMT_PEM, NULL, 0)) < 0) {
		rc = err_set(e, SL_EINVAL, "tls.key: %s", gnutls_strerror(g));
		goto out;
	}
	*out = p;
	p = NULL;
out:
	if (check != NULL)
		gnutls_certificate_free_credentials(check);
	pair_free(p);
	return rc;
}

static int
cert_callback(gnutls_session_t session, const gnutls_datum_t *req_ca_dn,
              int nreqs, const gnutls_pk_algorithm_t *pk_algos,
              int pk_algos_length, gnutls_pcert_st **pcert,
              unsigned int *pcert_length, gnutls_privkey_t *pkey)
{
	struct tls_pair *p = NULL;

	(void)session;
	(void)req_ca_dn;
	(void)nreqs;
	(void)pk_algos;
	(void)pk_algos_length;
	pthread_mutex_lock(&cur_mu);
	if (serving != NULL)
		p = serving->cur;
	pthread_mutex_unlock(&cur_mu);
	if (p == NULL)
		return -1;
	/* Ours to keep: GnuTLS does not free what this callback returns. */
	*pcert = p->certs;
	*pcert_length = p->n;
	*pkey = p->key;
	return 0;
}

int
tls_ctx_new(struct tls_ctx **out, const struct tls_creds *c, struct err *e)
{
	struct tls_ctx *t = calloc(1, sizeof(*t));
	int rc;

	if (t == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	if ((rc = pair_new(&t->cur, c, e)) != SL_OK) {
		free(t);
		return rc;
	}
	*out = t;
	return SL_OK;
}

int
tls_ctx_set(struct tls_ctx *t, const struct tls_creds *c, struct err *e)
{
	struct tls_pair *p;
	int rc;

	if ((rc = pair_new(&p, c, e)) != SL_OK)
		return rc;
	pthread_mutex_lock(&cur_mu);
	p->older = t->cur;
	t->cur = p;
	pthread_mutex_unlock(&cur_mu);
	return SL_OK;
}

void
tls_ctx_free(struct tls_ctx *t)
{
	if (t == NULL)
		return;
	pthread_mutex_lock(&cur_mu);
	if (serving == t)
		serving = NULL;
	pthread_mutex_unlock(&cur_mu);
	pair_free(t->cur);
	free(t);
}

size_t
tls_options(struct tls_ctx *t, struct MHD_OptionItem *opts)
{
	pthread_mutex_lock(&cur_mu);
	serving = t;
	pthread_mutex_unlock(&cur_mu);
	opts[0] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_CERT_CALLBACK, 0,
	                                  (void *)cert_callback};
	opts[1] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_PRIORITIES, 0,
	                                  (void *)TLS_PRIORITIES};
	return 2;
}
