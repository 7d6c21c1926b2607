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
	struct httpc_opts o = {.token = ctx->token,
	                       .timeout_s = ctx->timeout_s > 0 ? ctx->timeout_s
	                                                       : 60};
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

static bool csv_out;

bool
admin_csv(void)
{
	return csv_out;
}

int
admin_take_json(struct cli_ctx *ctx, int argc, char **argv)
{
	int j = 0;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			ctx->json = true;
		else if (strcmp(argv[i], "--csv") == 0)
			csv_out = true;
		else
			argv[j++] = argv[i];
	}
	argv[j] = NULL;
	return j;
}

int
admin_parse(const struct cli_cmd *cmd, int argc, char **argv, int start,
            const struct admin_opt *opts, const char **pos, int max_pos,
            int *npos)
{
	*npos = 0;
	for (int i = start; i < argc; i++) {
		const struct admin_opt *o = NULL;
		if (argv[i][0] == '-' && argv[i][1] != '\0') {
			for (const struct admin_opt *p = opts; p && p->name;
			     p++)
				if (strcmp(p->name, argv[i]) == 0)
					o = p;
			if (o == NULL)
				return cli_usage_error(cmd, "unknown option %s",
				                       argv[i]);
			if (o->val != NULL) {
				if (i + 1 >= argc)
					return cli_usage_error(
					        cmd, "%s needs a value",
					        argv[i]);
				*o->val = argv[++i];
			} else {
				*o->flag = true;
			}
			continue;
		}
		if (*npos >= max_pos)
			return cli_usage_error(cmd, "unexpected '%s'", argv[i]);
		pos[(*npos)++] = argv[i];
	}
	return 0;
}

const char *
admin_int(char *buf, size_t n, json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_integer(v))
		snprintf(buf, n, "-");
	else
		snprintf(buf, n, "%lld", (long long)json_integer_value(v));
	return buf;
}

bool
admin_query(char *out, size_t n, const char *path, const char *const *kv)
{
	size_t len;
	char esc[1024];
	int sep = 0;

	if ((size_t)snprintf(out, n, "%s", path) >= n)
		return false;
	for (; kv[0] != NULL; kv += 2) {
		if (kv[1] == NULL)
			continue;
		if (!admin_escape(esc, sizeof(esc), kv[1]))
			return false;
		len = strlen(out);
		if ((size_t)snprintf(out + len, n - len, "%c%s=%s",
		                     sep++ ? '&' : '?', kv[0], esc) >= n - len)
			return false;
	}
	return true;
}

int
admin_update_id(char out[64], const struct cli_ctx *ctx, const char *name)
{
	const char *kv[] = {"name", name, NULL};
	char path[512];
	json_t *v = NULL, *arr, *u;
	size_t i, n;

	if (strlen(name) == 36 && name[8] == '-' && name[13] == '-') {
		snprintf(out, 64, "%s", name);
		return 0;
	}
	if (!admin_query(path, sizeof(path), "/v1/admin/lookup/updates", kv))
		return cli_fail("update name too long: '%s'", name);
	if (admin_call(&v, ctx, "GET", path, NULL) != 0)
		return 1;
	arr = json_object_get(v, "updates");
	n = json_array_size(arr);
	if (n == 1)
		snprintf(out, 64, "%s",
		         admin_str(json_array_get(arr, 0), "id"));
	else if (n == 0)
		cli_fail("no update '%s' (expected an id, an id prefix, a KB "
		         "article or an advisory id)",
		         name);
	else {
		cli_fail("'%s' is ambiguous: it names %s%zu updates:", name,
		         n > 20 ? "more than " : "", n > 20 ? (size_t)20 : n);
		json_array_foreach(arr, i, u)
		{
			const char *kb = admin_str(u, "kb_article"),
			           *adv = admin_str(u, "security_bulletin");
			if (i == 20)
				break;
			fprintf(stderr, "  %s  %s%s%s%s%s\n",
			        admin_str(u, "id"), admin_str(u, "title"),
			        strcmp(kb, "-") ? "  " : "",
			        strcmp(kb, "-") ? kb : "",
			        strcmp(adv, "-") ? "  " : "",
			        strcmp(adv, "-") ? adv : "");
		}
	}
	json_decref(v);
	return n == 1 ? 0 : 1;
}
