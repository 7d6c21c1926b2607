/*
 * cmd_catalog: `sluice catalog init|add|expire|sign|list|verify`, the tools
 * that build and check a catalog origin (see catalog.h for the layout).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "catalog.h"
#include "cli.h"
#include "fsx.h"

#define CATALOG_USAGE                                                          \
	"usage: sluice catalog SUBCOMMAND ...\n"                               \
	"\n"                                                                   \
	"Build and check a catalog origin: a signed static tree of updates "   \
	"that a\nroot sluiced syncs from. Publish DIR/public (web server or "  \
	"file://);\nkeep DIR/private (the signing and root keys) to "          \
	"yourself.\n"                                                          \
	"\n"                                                                   \
	"  init DIR                           new catalog, signing key and "   \
	"root key\n"                                                           \
	"  add DIR DEFINITION.json [FILE...]  add an update or a new "         \
	"revision\n"                                                           \
	"                                     (checked first: rules, "         \
	"handler,\n"                                                           \
	"                                     files; --unchecked skips "       \
	"that)\n"                                                              \
	"  expire DIR UPDATE-ID               withdraw an update\n"            \
	"  sign DIR                           re-sign the index (new "         \
	"version,\n"                                                           \
	"                                     fresh expiry)\n"                 \
	"  list DIR                           table of every revision\n"       \
	"  migrate DIR                        give a catalog made before "     \
	"root "                                                                \
	"keys\n"                                                               \
	"                                     a root key and key list (one "   \
	"time)\n"                                                              \
	"  rotate DIR                         new signing key (the old one "   \
	"stays\n"                                                              \
	"                                     listed until revoked)\n"         \
	"  revoke DIR KEYID                   remove a signing key from the "  \
	"list\n"                                                               \
	"  keys DIR [--resign]                the key list (--resign: sign "   \
	"it "                                                                  \
	"again)\n"                                                             \
	"  timestamp DIR [--expires-hours N | --expires-seconds N]\n"          \
	"                                     re-sign the timestamp (run it "  \
	"from\n"                                                               \
	"                                     cron; default validity 7 "       \
	"days)\n"                                                              \
	"  verify DIR [--key PUB]... [--min-version N]\n"                      \
	"                                     check signatures, expiry, "      \
	"rollback\n"                                                           \
	"                                     and every file's hash\n"         \
	"  import-apt DIR --archive URL --suite NAME --keyring FILE\n"         \
	"         [--component NAME]... [--arch NAME]... [--product NAME]\n"   \
	"         [--classification NAME] [--files url|copy]\n"                \
	"         [--advisories KIND:PATH]... [--expires-days N]\n"            \
	"                                     one update per source package\n" \
	"                                     version of a signed apt "        \
	"archive\n"                                                            \
	"                                     (components: main; arch: this\n" \
	"                                     machine's; `all` always)\n"      \
	"\n"                                                                   \
	"options:\n"                                                           \
	"  --expires-days N   validity of the signed index (add, expire, "     \
	"sign;\n"                                                              \
	"                     default 30)\n"                                   \
	"  --unchecked        add: publish without the origin's checks (a\n"   \
	"                     document for newer agents)\n"                    \
	"  --key PUB          trust this public key (verify; default: the "    \
	"catalog's\n"                                                          \
	"                     own keys when DIR holds private/signing.key)\n"  \
	"  --min-version N    refuse an index older than N (verify; "          \
	"default: the\n"                                                       \
	"                     highest version DIR's own tools signed)\n"

static int
parse_int(const char *s, long long min, long long *out)
{
	char *end;
	long long v = strtoll(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v < min)
		return -1;
	*out = v;
	return 0;
}

/* Split argv into positional arguments and the shared options. */
struct catalog_args {
	char *pos[64];
	int npos;
	long long expires_days;
	long long min_version;
	const char *keys[SIGN_MAX_KEYS];
	int nkeys;
	bool unchecked;
	bool resign;
	long long ts_seconds;
};

static int
parse_args(struct catalog_args *a, int argc, char **argv)
{
	memset(a, 0, sizeof(*a));
	a->min_version = -1;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--expires-days") == 0 && i + 1 < argc) {
			if (parse_int(argv[++i], 1, &a->expires_days) < 0)
				return cli_usage_error(&cmd_catalog,
				                       "--expires-days needs a "
				                       "number >= 1");
		} else if (strcmp(argv[i], "--min-version") == 0 &&
		           i + 1 < argc) {
			if (parse_int(argv[++i], 0, &a->min_version) < 0)
				return cli_usage_error(&cmd_catalog,
				                       "--min-version needs a "
				                       "number >= 0");
		} else if (strcmp(argv[i], "--unchecked") == 0) {
			a->unchecked = true;
		} else if (strcmp(argv[i], "--resign") == 0) {
			a->resign = true;
		} else if ((strcmp(argv[i], "--expires-hours") == 0 ||
		            strcmp(argv[i], "--expires-seconds") == 0) &&
		           i + 1 < argc) {
			bool hours = argv[i][10] == 'h';
			if (parse_int(argv[++i], 1, &a->ts_seconds) < 0 ||
			    a->ts_seconds > 3650LL * 86400)
				return cli_usage_error(&cmd_catalog,
				                       "--expires-%s needs a "
				                       "number >= 1",
				                       hours ? "hours"
				                             : "seconds");
			if (hours)
				a->ts_seconds *= 3600;
		} else if (strcmp(argv[i], "--key") == 0 && i + 1 < argc) {
			if (a->nkeys >= SIGN_MAX_KEYS)
				return cli_usage_error(&cmd_catalog,
				                       "too many --key");
			a->keys[a->nkeys++] = argv[++i];
		} else if (argv[i][0] == '-' && argv[i][1] == '-') {
			return cli_usage_error(&cmd_catalog,
			                       "unknown option %s", argv[i]);
		} else if (a->npos < 64) {
			a->pos[a->npos++] = argv[i];
		} else {
			return cli_usage_error(&cmd_catalog,
			                       "too many arguments");
		}
	}
	return 0;
}

static int
do_init(struct catalog_args *a)
{
	char pub[4096];
	struct sign_keyring kr = {0};
	struct err e;
	int64_t last;

	if (a->npos != 2)
		return cli_usage_error(&cmd_catalog, "init takes DIR");
	if (catalog_init(a->pos[1], &e) != SL_OK ||
	    catalog_local_trust(a->pos[1], pub, sizeof(pub), &kr, &last, &e))
		return cli_fail("catalog init: %s", e.msg);
	printf("catalog created in %s\n"
	       "  publish:      %s\n"
	       "  signing key:  %s/private/signing.key (keep it secret)\n"
	       "  root key:     %s/private/root.key (keep it secret, "
	       "offline)\n"
	       "  root public:  %s/root.pub (give it to servers and agents: "
	       "trusted_root)\n"
	       "  public key:   %s/keys/%s.pub (key id %s; for servers and "
	       "agents\n"
	       "                configured with trusted_keys)\n",
	       a->pos[1], pub, a->pos[1], a->pos[1], pub, pub, kr.keys[0].keyid,
	       kr.keys[0].keyid);
	return 0;
}

static void
print_keys(const struct trust_keys *tk)
{
	char when[21];

	sign_time_format(when, tk->expires);
	printf("key list version %lld, expires %s, threshold %u\n",
	       (long long)tk->version, when,
	       tk->kr.threshold > 1 ? tk->kr.threshold : 1);
	for (size_t i = 0; i < tk->kr.n; i++)
		printf("  %s\n", tk->kr.keys[i].keyid);
}

static int
do_keys_cmd(struct catalog_args *a)
{
	char id[SIGN_KEYID_LEN + 1];
	struct trust_keys tk;
	const char *cmd = a->pos[0];
	struct err e;
	int rc;

	if (strcmp(cmd, "revoke") == 0 ? a->npos != 3 : a->npos != 2)
		return cli_usage_error(&cmd_catalog, "%s takes DIR%s", cmd,
		                       strcmp(cmd, "revoke") == 0 ? " KEYID"
		                                                  : "");
	if (strcmp(cmd, "migrate") == 0) {
		if ((rc = catalog_migrate(a->pos[1], id, &e)) != SL_OK)
			return cli_fail("catalog migrate: %s", e.msg);
		printf("root key %s created: %s/private/root.key (keep it "
		       "secret, offline)\n"
		       "give %s/public/root.pub to servers "
		       "([upstream] trusted_root) and agents (trusted_root)\n",
		       id, a->pos[1], a->pos[1]);
	} else if (strcmp(cmd, "rotate") == 0) {
		if ((rc = catalog_rotate(a->pos[1], id, &e)) != SL_OK)
			return cli_fail("catalog rotate: %s", e.msg);
		printf("new signing key %s; the index is signed with it\n", id);
	} else if (strcmp(cmd, "revoke") == 0) {
		if ((rc = catalog_revoke(a->pos[1], a->pos[2], &e)) != SL_OK)
			return cli_fail("catalog revoke: %s", e.msg);
		printf("key %s revoked\n", a->pos[2]);
	} else if (strcmp(cmd, "timestamp") == 0) {
		if ((rc = catalog_timestamp(a->pos[1], a->ts_seconds, &e)) !=
		    SL_OK)
			return cli_fail("catalog timestamp: %s", e.msg);
		printf("timestamp signed\n");
		return 0;
	}
	if (catalog_keys(&tk, a->pos[1], strcmp(cmd, "keys") == 0 && a->resign,
	                 &e) != SL_OK)
		return cli_fail("catalog %s: %s", cmd, e.msg);
	print_keys(&tk);
	return 0;
}

static int
do_add(struct catalog_args *a)
{
	struct update *u = NULL;
	struct err e;

	if (a->npos < 3)
		return cli_usage_error(
		        &cmd_catalog,
		        "add takes DIR DEFINITION.json [FILE...]");
	if (catalog_add_flags(a->pos[1], a->pos[2], &a->pos[3],
	                      (size_t)(a->npos - 3), (int)a->expires_days,
	                      a->unchecked ? CATALOG_ADD_UNCHECKED : 0, &u,
	                      &e) != SL_OK)
		return cli_fail("catalog add: %s", e.msg);
	printf("added %s revision %lld: %s (%zu file%s)\n", u->id,
	       (long long)u->revision, u->title, u->n_files,
	       u->n_files == 1 ? "" : "s");
	update_free(u);
	return 0;
}

static int
do_expire(struct catalog_args *a)
{
	struct err e;

	if (a->npos != 3)
		return cli_usage_error(&cmd_catalog,
		                       "expire takes DIR UPDATE-ID");
	if (catalog_expire(a->pos[1], a->pos[2], (int)a->expires_days, &e))
		return cli_fail("catalog expire: %s", e.msg);
	printf("expired %s\n", a->pos[2]);
	return 0;
}

static int
do_sign(struct catalog_args *a)
{
	struct catalog_index *idx = NULL;
	struct err e;

	if (a->npos != 2)
		return cli_usage_error(&cmd_catalog, "sign takes DIR");
	if (catalog_sign(a->pos[1], (int)a->expires_days, &e) != SL_OK ||
	    catalog_load(&idx, a->pos[1], &e) != SL_OK)
		return cli_fail("catalog sign: %s", e.msg);
	char when[21];
	sign_time_format(when, idx->expires);
	printf("index version %lld signed, expires %s\n",
	       (long long)idx->version, when);
	catalog_index_free(idx);
	return 0;
}

/* Read one document of a local catalog for the list's KB and file count. */
static struct update *
load_doc(const char *dir, const struct catalog_entry *en)
{
	char path[4096], *text = NULL;
	struct update *u = NULL;
	struct sign_keyring kr = {0};
	char pub[4096];
	int64_t last;
	size_t len;

	if (catalog_local_trust(dir, pub, sizeof(pub), &kr, &last, NULL) ||
	    fsx_join(path, sizeof(path), pub, en->path, NULL) ||
	    fsx_read(path, UPDATE_DOC_MAX, &text, &len, NULL))
		return NULL;
	catalog_doc_parse(&u, NULL, text, len, en, &kr, NULL);
	free(text);
	return u;
}

static int
do_list(struct cli_ctx *ctx, struct catalog_args *a)
{
	struct catalog_index *idx = NULL;
	json_t *arr = NULL;
	struct err e;

	if (a->npos != 2)
		return cli_usage_error(&cmd_catalog, "list takes DIR");
	if (catalog_load(&idx, a->pos[1], &e) != SL_OK)
		return cli_fail("catalog list: %s", e.msg);
	if (ctx->json)
		arr = json_array();
	else
		printf("%-36s %4s  %-40s %-14s %-10s %5s\n", "ID", "REV",
		       "TITLE", "CLASSIFICATION", "KB", "FILES");
	for (size_t i = 0; i < idx->n; i++) {
		const struct catalog_entry *en = &idx->entries[i];
		struct update *u = load_doc(a->pos[1], en);
		const char *kb = u && u->kb_article ? u->kb_article : "-";
		if (arr != NULL) {
			json_array_append_new(
			        arr,
			        json_pack("{s:s,s:I,s:s,s:s,s:s,s:s,s:i,s:b}",
			                  "id", en->id, "revision",
			                  (json_int_t)en->revision, "title",
			                  en->title, "classification",
			                  en->classification, "product",
			                  en->product, "kb_article", kb,
			                  "files", u ? (int)u->n_files : -1,
			                  "expired", en->expired));
		} else {
			printf("%-36s %4lld  %-40.40s %-14s %-10s %5zu%s\n",
			       en->id, (long long)en->revision, en->title,
			       en->classification, kb, u ? u->n_files : 0,
			       en->expired ? "  (expired)" : "");
		}
		update_free(u);
	}
	if (arr != NULL) {
		json_dumpf(arr, stdout, JSON_INDENT(2));
		fputc('\n', stdout);
		json_decref(arr);
	} else if (idx->n == 0) {
		printf("(no updates; add one with `sluice catalog add`)\n");
	}
	catalog_index_free(idx);
	return 0;
}

static void
print_problem(void *arg, const char *msg)
{
	(void)arg;
	fprintf(stderr, "sluice: catalog verify: %s\n", msg);
}

static int
do_verify(struct catalog_args *a)
{
	struct sign_keyring kr = {0};
	char pub[4096];
	int64_t last = 0;
	size_t n = 0;
	struct err e;

	if (a->npos != 2)
		return cli_usage_error(&cmd_catalog, "verify takes DIR");
	if (a->nkeys > 0) {
		for (int i = 0; i < a->nkeys; i++)
			if (sign_keyring_add_file(&kr, a->keys[i], &e))
				return cli_fail("catalog verify: %s", e.msg);
		/* DIR may be the catalog or its published tree. */
		snprintf(pub, sizeof(pub), "%s/public", a->pos[1]);
		if (!fsx_exists(pub))
			snprintf(pub, sizeof(pub), "%s", a->pos[1]);
		struct sign_keyring own = {0};
		char ignored[4096];
		catalog_local_trust(a->pos[1], ignored, sizeof(ignored), &own,
		                    &last, NULL);
	} else if (catalog_local_trust(a->pos[1], pub, sizeof(pub), &kr, &last,
	                               &e) != SL_OK) {
		return cli_fail("catalog verify: %s", e.msg);
	}
	if (a->min_version >= 0)
		last = a->min_version;
	if (catalog_verify(pub, &kr, (long long)time(NULL), last, print_problem,
	                   NULL, &n, &e) != SL_OK)
		return cli_fail("catalog verify: %s", e.msg);
	printf("catalog %s verifies\n", a->pos[1]);
	return 0;
}

static int
catalog_run(struct cli_ctx *ctx, int argc, char **argv)
{
	struct catalog_args a;
	int rc;

	if (cli_wants_help(&cmd_catalog, argc, argv))
		return 0;
	if (argc > 1 && strcmp(argv[1], "import-apt") == 0)
		return catalog_import_apt(ctx, argc - 1, argv + 1);
	if ((rc = parse_args(&a, argc, argv)) != 0)
		return rc;
	if (a.npos == 0)
		return cli_usage_error(&cmd_catalog, "missing subcommand");
	if (strcmp(a.pos[0], "init") == 0)
		return do_init(&a);
	if (strcmp(a.pos[0], "add") == 0)
		return do_add(&a);
	if (strcmp(a.pos[0], "expire") == 0)
		return do_expire(&a);
	if (strcmp(a.pos[0], "sign") == 0)
		return do_sign(&a);
	if (strcmp(a.pos[0], "list") == 0)
		return do_list(ctx, &a);
	if (strcmp(a.pos[0], "verify") == 0)
		return do_verify(&a);
	if (strcmp(a.pos[0], "migrate") == 0 ||
	    strcmp(a.pos[0], "rotate") == 0 ||
	    strcmp(a.pos[0], "revoke") == 0 || strcmp(a.pos[0], "keys") == 0 ||
	    strcmp(a.pos[0], "timestamp") == 0)
		return do_keys_cmd(&a);
	return cli_usage_error(&cmd_catalog, "unknown subcommand '%s'",
	                       a.pos[0]);
}

const struct cli_cmd cmd_catalog = {
        .name = "catalog",
        .summary = "build, sign and verify a catalog origin",
        .usage = CATALOG_USAGE,
        .run = catalog_run,
};
