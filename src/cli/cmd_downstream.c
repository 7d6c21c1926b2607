/*
 * sluice downstream: the downstream servers of a sluiced (server
 * hierarchy): add one (prints its server token once), list them with their
 * mode, last sync and computers, remove (revoke) one.
 */
#include <stdio.h>
#include <string.h>

#include "admin_call.h"
#include "cli.h"

#define DOWNSTREAM_USAGE                                                       \
	"usage: sluice downstream [list] [--json]\n"                           \
	"       sluice downstream add NAME [--json]\n"                         \
	"       sluice downstream remove NAME [--json]\n\n"                    \
	"Manage the downstream servers that sync from this sluiced.\n\n"       \
	"  list         each downstream server: the mode it syncs in\n"        \
	"               (autonomous or replica), its last sync, its last\n"    \
	"               status roll-up, and its computers (total, needing\n"   \
	"               updates, with failures) including those of its own\n"  \
	"               downstream servers\n"                                  \
	"  add NAME     register a downstream server and print its server\n"   \
	"               token ONCE; put it in the downstream's "               \
	"configuration\n"                                                      \
	"               ([upstream] kind = sluiced, url = this server, "       \
	"token)\n"                                                             \
	"  remove NAME  revoke its token (its rolled-up computers stay in\n"   \
	"               the reports; `add NAME` again issues a new token)\n\n" \
	"Use the global --server URL to talk to any server of the "            \
	"hierarchy.\n"

static int
add(struct cli_ctx *ctx, const char *name)
{
	json_t *body, *v = NULL;

	body = json_pack("{s:s}", "name", name);
	if (body == NULL)
		return cli_fail("out of memory");
	if (admin_call(&v, ctx, "POST", "/v1/admin/downstreams", body) != 0) {
		json_decref(body);
		return 1;
	}
	json_decref(body);
	if (ctx->json)
		admin_print_json(v);
	else
		printf("downstream server '%s' added\n"
		       "token: %s\n"
		       "(shown once: put it in the downstream server's "
		       "[upstream] token)\n",
		       admin_str(v, "name"), admin_str(v, "token"));
	json_decref(v);
	return 0;
}

static int
remove_one(struct cli_ctx *ctx, const char *name)
{
	char path[256], esc[200];
	json_t *v = NULL;

	if (!admin_escape(esc, sizeof(esc), name))
		return cli_fail("name too long");
	snprintf(path, sizeof(path), "/v1/admin/downstreams/%s", esc);
	if (admin_call(&v, ctx, "DELETE", path, NULL) != 0)
		return 1;
	if (ctx->json)
		admin_print_json(v);
	else
		printf("downstream server '%s' revoked\n", name);
	json_decref(v);
	return 0;
}

static long long
count(json_t *d, const char *key)
{
	return (long long)json_integer_value(
	        json_object_get(json_object_get(d, "computers"), key));
}

static int
list(struct cli_ctx *ctx)
{
	json_t *v = NULL, *d;
	size_t i;

	if (admin_call(&v, ctx, "GET", "/v1/admin/downstreams", NULL) != 0)
		return 1;
	if (ctx->json) {
		admin_print_json(v);
		json_decref(v);
		return 0;
	}
	printf("%-20s %-10s %-20s %-20s %9s %7s %6s\n", "NAME", "MODE",
	       "LAST SYNC", "LAST ROLL-UP", "COMPUTERS", "NEEDING", "FAILED");
	json_array_foreach(json_object_get(v, "downstreams"), i, d) printf(
	        "%-20s %-10s %-20s %-20s %9lld %7lld %6lld%s\n",
	        admin_str(d, "name"), admin_str(d, "mode"),
	        admin_str(d, "last_sync"), admin_str(d, "last_rollup"),
	        count(d, "total"), count(d, "needing"), count(d, "failed"),
	        json_is_true(json_object_get(d, "revoked")) ? " (revoked)"
	                                                    : "");
	json_decref(v);
	return 0;
}

static int
downstream_run(struct cli_ctx *ctx, int argc, char **argv)
{
	if (cli_wants_help(&cmd_downstream, argc, argv))
		return 0;
	argc = admin_take_json(ctx, argc, argv);
	if (argc == 1 || (argc == 2 && strcmp(argv[1], "list") == 0))
		return list(ctx);
	if (argc == 3 && strcmp(argv[1], "add") == 0)
		return add(ctx, argv[2]);
	if (argc == 3 && strcmp(argv[1], "remove") == 0)
		return remove_one(ctx, argv[2]);
	return cli_usage_error(&cmd_downstream, "unexpected '%s'",
	                       argc > 1 ? argv[1] : "");
}

const struct cli_cmd cmd_downstream = {
        .name = "downstream",
        .summary = "downstream servers: add (prints a token), list, remove",
        .usage = DOWNSTREAM_USAGE,
        .run = downstream_run,
};
