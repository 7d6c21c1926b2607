/*
 * tls: certificate and key loading for the HTTPS listener (tls.h).
 */
#include "tls.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "fsx.h"

#define PEM_MAX (1u << 20)

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

size_t
tls_options(const struct tls_creds *c, struct MHD_OptionItem *opts)
{
	opts[0] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0,
	                                  c->cert_pem};
	opts[1] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0,
	                                  c->key_pem};
	opts[2] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_PRIORITIES, 0,
	                                  (void *)TLS_PRIORITIES};
	return 3;
}
