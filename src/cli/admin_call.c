/*
 * admin_call: HTTP + JSON plumbing shared by the admin subcommands.
 */
#include "admin_call.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "httpc.h"

#define ADMIN_RESP_MAX (64u << 20)

bool
admin_escape(char *out, size_t n, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t j = 0;

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		             (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		             c == '.' || c == '~';
		if (j + (plain ? 1 : 3) >= n)
			return false;
		if (plain) {
			out[j++] = (char)c;
		} else {
			out[j++] = '%';
			out[j++] = hex[c >> 4];
			out[j++] = hex[c & 15];
		}
	}
	if (j >= n)
		return false;
	out[j] = '\0';
	return true;
}

int
admin_call(json_t **out, const struct cli_ctx *ctx, const char *method,
           const char *path, json_t *body)
{
	static bool inited;
	struct httpc_opts o = {.token = ctx->token, .timeout_s = 60};
	struct httpc_resp resp = {0};
	char url[4096], *text = NULL;
	size_t len;
	json_error_t je;
	json_t *v = NULL;
	struct err e;
	int ret = 1;

	err_clear(&e);
	if (ctx->server == NULL || *ctx->server == '\0')
		return cli_fail("no server: use --server URL or SLUICE_SERVER");
	if (ctx->token == NULL || *ctx->token == '\0')
		return cli_fail("no admin token: use --token TOKEN or "
		                "SLUICE_TOKEN");
	if (!inited) {
		if (httpc_global_init(&e) != SL_OK)
			return cli_fail("%s", e.msg);
		inited = true;
	}
	len = strlen(ctx->server);
	while (len > 0 && ctx->server[len - 1] == '/')
		len--;
	if ((size_t)snprintf(url, sizeof(url), "%.*s%s", (int)len, ctx->server,
	                     path) >= sizeof(url))
		return cli_fail("URL too long");
	if (body != NULL) {
		text = json_dumps(body, JSON_COMPACT);
		if (text == NULL)
			return cli_fail("out of memory");
	}
	if (httpc_request(&resp, method, url, text, text ? strlen(text) : 0,
	                  ADMIN_RESP_MAX, &o, &e) != SL_OK) {
		cli_fail("%s", e.msg);
		goto out;
	}
	v = json_loadb(resp.body ? resp.body : "", resp.len, 0, &je);
	if (resp.status < 200 || resp.status > 299) {
		json_t *err = json_object_get(v, "error");
		if (json_is_object(err))
			cli_fail("HTTP %ld %s: %s", resp.status,
			         admin_str(err, "code"),
			         admin_str(err, "message"));
		else
			cli_fail("HTTP %ld from %s", resp.status, url);
		goto out;
	}
	if (v == NULL) {
		cli_fail("%s: answer is not JSON: %s", url, je.text);
		goto out;
	}
	*out = v;
	v = NULL;
	ret = 0;
out:
	json_decref(v);
	free(text);
	httpc_resp_free(&resp);
	return ret;
}

int
admin_print_json(json_t *v)
{
	json_dumpf(v, stdout, JSON_INDENT(2));
	fputc('\n', stdout);
	return 0;
}

const char *
admin_str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "-";
}

int
admin_take_json(struct cli_ctx *ctx, int argc, char **argv)
{
	int j = 0;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			ctx->json = true;
		else
			argv[j++] = argv[i];
	}
	argv[j] = NULL;
	return j;
}
