/*
 * sluice enrollment: enrollment keys — create (print the key once), list,
 * revoke — and the server's registration setting (key or open).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin_call.h"
#include "cli.h"
#include "table.h"

#define ENROLLMENT_USAGE                                                       \
	"usage: sluice enrollment [list] [--json | --csv]\n"                   \
	"       sluice enrollment create [--name NAME] [--group G ...] "       \
	"[--expires T]\n"                                                      \
	"                                [--uses N] [--json]\n"                \
	"       sluice enrollment revoke ID [--json]\n"                        \
	"       sluice enrollment mode [key | open]\n\n"                       \
	"An agent registers with an enrollment key (enrollment_key in its\n"   \
	"configuration). create prints the new key once: the server keeps\n"   \
	"only its hash. --group (repeatable) pins the groups its computers\n"  \
	"may land in, whatever the agent asks for; --expires takes an RFC\n"   \
	"3339 time or a duration (30m, 12h, 7d); --uses limits how many\n"     \
	"computers may register with it. mode shows or sets whether\n"         \
	"registration needs a key (key, the default for new servers) or\n"     \
	"not (open: for labs).\n"

/* "7d", "12h", "30m", "90s" -> seconds; 0 when t is not a duration. */
static long long
duration(const char *t)
{
	char *end;
	long long n;

	errno = 0;
	n = strtoll(t, &end, 10);
	if (errno != 0 || end == t || n <= 0 || end[0] == '\0' ||
	    end[1] != '\0')
		return 0;
	switch (*end) {
	case 's':
		return n;
	case 'm':
		return n * 60;
	case 'h':
		return n * 3600;
	case 'd':
		return n * 86400;
	}
	return 0;
}

static int
create(struct cli_ctx *ctx, int argc, char **argv)
{
	json_t *body = json_object(), *groups = json_array(), *v = NULL;
	long long uses, secs;
	char *end;
	int rc = 2;

	if (body == NULL || groups == NULL)
		goto out;
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i],
		           *val = i + 1 < argc ? argv[i + 1] : NULL;
		if (val == NULL) {
			rc = cli_usage_error(
			        &cmd_enrollment,
			        "unknown or incomplete option '%s'", a);
			goto out;
		}
		i++;
		if (strcmp(a, "--group") == 0) {
			json_array_append_new(groups, json_string(val));
		} else if (strcmp(a, "--name") == 0) {
			json_object_set_new(body, "name", json_string(val));
		} else if (strcmp(a, "--uses") == 0) {
			errno = 0;
			uses = strtoll(val, &end, 10);
			if (errno || *end != '\0' || uses < 1) {
				rc = cli_usage_error(&cmd_enrollment,
				                     "--uses: expected a "
				                     "positive number");
				goto out;
			}
			json_object_set_new(body, "uses", json_integer(uses));
		} else if (strcmp(a, "--expires") == 0) {
			secs = duration(val);
			if (secs > 0)
				json_object_set_new(body, "expires_in",
				                    json_integer(secs));
			else
				json_object_set_new(body, "expires",
				                    json_string(val));
		} else {
			rc = cli_usage_error(&cmd_enrollment,
			                     "unknown option '%s'", a);
			goto out;
		}
	}
	if (json_array_size(groups) > 0)
		json_object_set(body, "groups", groups);
	rc = admin_call(&v, ctx, "POST", "/v1/admin/enrollment-keys", body);
	if (rc != 0)
		goto out;
	if (ctx->json) {
		admin_print_json(v);
	} else {
		char id[24];
		printf("%s\n", admin_str(v, "key"));
		fprintf(stderr,
		        "sluice: enrollment key #%s created; this is the only "
		        "time it is shown\n",
		        admin_int(id, sizeof(id), v, "id"));
	}
out:
	json_decref(v);
	json_decref(groups);
	json_decref(body);
	return rc;
}

static int
list(struct cli_ctx *ctx)
{
	const char *head[] = {"ID", "NAME",    "GROUPS", "EXPIRES", "USED",
	                      "OF", "CREATED", "BY",     "STATE",   NULL};
	json_t *v = NULL, *k;
	struct table t;
	size_t i;

	if (admin_call(&v, ctx, "GET", "/v1/admin/enrollment-keys", NULL) != 0)
		return 1;
	if (ctx->json) {
		admin_print_json(v);
		json_decref(v);
		return 0;
	}
	table_init(&t, head);
	json_array_foreach(json_object_get(v, "enrollment_keys"), i, k)
	{
		char id[24], used[24], max[24], groups[512] = "(any)";
		json_t *g = json_object_get(k, "groups"), *gn;
		size_t j, off = 0;
		if (json_is_array(g) && json_array_size(g) > 0) {
			groups[0] = '\0';
			json_array_foreach(g, j, gn)
			{
				int w = snprintf(groups + off,
				                 sizeof(groups) - off, "%s%s",
				                 j ? "," : "",
				                 json_string_value(gn));
				if (w < 0 || (size_t)w >= sizeof(groups) - off)
					break;
				off += (size_t)w;
			}
		}
		table_row(&t,
		          (const char *const[]){
		                  admin_int(id, sizeof(id), k, "id"),
		                  admin_str(k, "name"), groups,
		                  admin_str(k, "expires"),
		                  admin_int(used, sizeof(used), k, "used"),
		                  admin_int(max, sizeof(max), k, "max_uses"),
		                  admin_str(k, "created"),
		                  admin_str(k, "created_by"),
		                  json_is_true(json_object_get(k, "revoked"))
		                          ? "revoked"
		                          : "active"});
	}
	table_print(&t, admin_csv(), NULL);
	json_decref(v);
	return 0;
}

static int
mode(struct cli_ctx *ctx, int argc, char **argv)
{
	json_t *v = NULL, *body = NULL;
	int rc;

	if (argc > 3)
		return cli_usage_error(&cmd_enrollment, "expected key or open");
	if (argc == 3) {
		body = json_pack("{s:s}", "registration", argv[2]);
		rc = admin_call(&v, ctx, "PUT", "/v1/admin/settings", body);
		json_decref(body);
	} else {
		rc = admin_call(&v, ctx, "GET", "/v1/admin/settings", NULL);
	}
	if (rc != 0)
		return 1;
	if (ctx->json)
		admin_print_json(v);
	else
		printf("registration: %s\n", admin_str(v, "registration"));
	json_decref(v);
	return 0;
}

static int
enrollment_run(struct cli_ctx *ctx, int argc, char **argv)
{
	char path[128];
	json_t *v = NULL;
	char *end;
	long long id;

	if (cli_wants_help(&cmd_enrollment, argc, argv))
		return 0;
	argc = admin_take_json(ctx, argc, argv);
	if (argc < 2 || strcmp(argv[1], "list") == 0)
		return list(ctx);
	if (strcmp(argv[1], "create") == 0)
		return create(ctx, argc, argv);
	if (strcmp(argv[1], "mode") == 0)
		return mode(ctx, argc, argv);
	if (strcmp(argv[1], "revoke") == 0) {
		if (argc != 3)
			return cli_usage_error(&cmd_enrollment, "expected ID");
		errno = 0;
		id = strtoll(argv[2], &end, 10);
		if (errno || *end != '\0' || id <= 0)
			return cli_usage_error(&cmd_enrollment,
			                       "'%s' is not a key id", argv[2]);
		snprintf(path, sizeof(path), "/v1/admin/enrollment-keys/%lld",
		         id);
		if (admin_call(&v, ctx, "DELETE", path, NULL) != 0)
			return 1;
		if (ctx->json)
			admin_print_json(v);
		else
			printf("enrollment key #%lld revoked\n", id);
		json_decref(v);
		return 0;
	}
	return cli_usage_error(&cmd_enrollment, "unknown subcommand '%s'",
	                       argv[1]);
}

const struct cli_cmd cmd_enrollment = {
        .name = "enrollment",
        .summary = "enrollment keys for registering computers: create, "
                   "list, revoke; registration mode",
        .usage = ENROLLMENT_USAGE,
        .run = enrollment_run,
};
