/*
 * cmd_import_apt: `sluice catalog import-apt CATALOG --archive URL ...`,
 * one update per source package version of a signed apt archive (see
 * aptimport.h). Reached through cmd_catalog.c's dispatch.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "advisory.h"
#include "array.h"
#include "aptimport.h"
#include "cli.h"
#include "httpc.h"

#define MAX_LIST 32

/* The parsed command line. advisories holds the --advisories KIND:PATH
 * specs as given, for the advisory module to read and name the updates
 * (through aptimport_opts.decorate). */
struct import_apt_args {
	const char *catalog;
	const char *archive, *suite, *keyring, *product, *classification;
	const char *components[MAX_LIST + 1];
	const char *archs[MAX_LIST + 1];
	const char *advisories[MAX_LIST + 1];
	int n_components, n_archs, n_advisories;
	enum aptimport_files files;
	long long expires_days;
};

static int
usage(const char *fmt, const char *arg)
{
	return cli_usage_error(&cmd_catalog, fmt, arg);
}

static int
add_to(const char **list, int *n, const char *v, const char *opt)
{
	if (*n >= MAX_LIST)
		return usage("too many %s", opt);
	for (int i = 0; i < *n; i++)
		if (strcmp(list[i], v) == 0)
			return 0;
	list[(*n)++] = v;
	return 0;
}

static int
parse(struct import_apt_args *a, int argc, char **argv)
{
	memset(a, 0, sizeof(*a));
	for (int i = 1; i < argc; i++) {
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		int rc = 0;

		if (o[0] != '-' || o[1] != '-') {
			if (a->catalog != NULL)
				return usage("import-apt: unexpected argument "
				             "%s",
				             o);
			a->catalog = o;
			continue;
		}
		if (v == NULL)
			return usage("%s needs a value", o);
		i++;
		if (strcmp(o, "--archive") == 0)
			a->archive = v;
		else if (strcmp(o, "--suite") == 0)
			a->suite = v;
		else if (strcmp(o, "--keyring") == 0)
			a->keyring = v;
		else if (strcmp(o, "--product") == 0)
			a->product = v;
		else if (strcmp(o, "--classification") == 0)
			a->classification = v;
		else if (strcmp(o, "--component") == 0)
			rc = add_to(a->components, &a->n_components, v, o);
		else if (strcmp(o, "--arch") == 0) {
			if (strcmp(v, "all") != 0)
				rc = add_to(a->archs, &a->n_archs, v, o);
		} else if (strcmp(o, "--advisories") == 0) {
			const char *colon = strchr(v, ':');
			if (colon == NULL || colon == v || colon[1] == '\0')
				return usage("--advisories takes KIND:PATH, "
				             "not '%s'",
				             v);
			rc = add_to(a->advisories, &a->n_advisories, v, o);
		} else if (strcmp(o, "--files") == 0) {
			if (strcmp(v, "url") == 0)
				a->files = APTIMPORT_FILES_URL;
			else if (strcmp(v, "copy") == 0)
				a->files = APTIMPORT_FILES_COPY;
			else
				return usage("--files takes url or copy, not "
				             "'%s'",
				             v);
		} else if (strcmp(o, "--expires-days") == 0) {
			char *end;
			a->expires_days = strtoll(v, &end, 10);
			if (*v == '\0' || *end != '\0' || a->expires_days < 1)
				return usage("%s needs a number >= 1", o);
		} else {
			return usage("import-apt: unknown option %s", o);
		}
		if (rc != 0)
			return rc;
	}
	if (a->catalog == NULL)
		return usage("import-apt takes %s", "CATALOG");
	if (a->archive == NULL || a->suite == NULL || a->keyring == NULL)
		return usage("import-apt needs %s",
		             "--archive, --suite and --keyring");
	return 0;
}

/* The machine's dpkg architecture (dpkg --print-architecture, else from
 * uname). */
static const char *
default_arch(char *buf, size_t n)
{
	FILE *p = popen("dpkg --print-architecture 2>/dev/null", "r");
	struct utsname u;

	if (p != NULL) {
		bool ok = fgets(buf, (int)n, p) != NULL;
		pclose(p);
		buf[strcspn(buf, "\n")] = '\0';
		if (ok && buf[0] != '\0')
			return buf;
	}
	if (uname(&u) == 0 && strcmp(u.machine, "aarch64") == 0)
		return "arm64";
	if (uname(&u) == 0 && strcmp(u.machine, "i686") == 0)
		return "i386";
	return "amd64";
}

struct progress_state {
	size_t fetched, parsed, written;
};

static void
show_progress(void *arg, const char *what, size_t n, const char *name)
{
	struct progress_state *s = arg;

	(void)name;
	if (strcmp(what, "fetched") == 0)
		s->fetched = n;
	else if (strcmp(what, "parsed") == 0)
		s->parsed = n;
	else
		s->written = n;
	fprintf(stderr,
	        "\rimport-apt: %zu files fetched, %zu packages parsed, %zu "
	        "updates written",
	        s->fetched, s->parsed, s->written);
}

/* The advisories of one import: loaded once the Release names the
 * release, asked for every update. */
struct naming {
	const struct import_apt_args *a;
	struct advisory_db *db;
};

static int
load_advisories(void *arg, const char *origin, const char *codename,
                const char *version, struct err *e)
{
	struct naming *nm = arg;
	char release[128];
	int rc;

	(void)origin;
	/* "bookworm-security", "jammy-updates": the release is "bookworm" */
	snprintf(release, sizeof(release), "%s", codename ? codename : "");
	release[strcspn(release, "-")] = '\0';
	if ((rc = advisory_db_new(&nm->db, release[0] ? release : NULL, version,
	                          e)) != SL_OK)
		return err_prefix(e, "advisories");
	for (int i = 0; i < nm->a->n_advisories; i++)
		if ((rc = advisory_db_load(nm->db, nm->a->advisories[i], e)) !=
		    SL_OK)
			return rc;
	return SL_OK;
}

static int
name_update(void *arg, const char *source, const char *version,
            struct update *u, struct err *e)
{
	struct naming *nm = arg;
	struct advisory *adv = NULL;
	int rc = advisory_db_lookup(nm->db, source, version, &adv, e);

	if (rc == SL_ENOTFOUND) {
		err_clear(e);
		return SL_OK;
	}
	if (rc == SL_OK)
		rc = advisory_apply(adv, u, e);
	advisory_free(adv);
	return rc;
}

/* Advisories naming a version the archive does not have: reported (a
 * count and a few examples), never fatal. */
struct missing {
	const struct aptimport_result *res;
	size_t n;
};

static int
cmp_pair(const void *a, const void *b)
{
	const struct aptimport_pair *x = a, *y = b;
	int c = strcmp(x->source, y->source);

	return c ? c : strcmp(x->version, y->version);
}

static void
note_missing(void *arg, const char *source, const char *version, const char *id)
{
	struct missing *m = arg;
	struct aptimport_pair key = {(char *)source, (char *)version};

	if (id == NULL || array_search(&key, m->res->pairs, m->res->n_pairs,
	                               sizeof(key), cmp_pair) != NULL)
		return;
	if (m->n++ < 5)
		fprintf(stderr,
		        "import-apt: %s names %s %s, which the archive does "
		        "not have\n",
		        id, source, version);
}

static void
report_missing(const struct naming *nm, struct aptimport_result *res)
{
	struct missing m = {res, 0};

	if (nm->db == NULL)
		return;
	array_sort(res->pairs, res->n_pairs, sizeof(*res->pairs), cmp_pair);
	advisory_db_each(nm->db, note_missing, &m);
	if (m.n > 5)
		fprintf(stderr,
		        "import-apt: %zu advisories in all name versions the "
		        "archive does not have (older versions it replaced, or "
		        "not yet published)\n",
		        m.n);
}

int
catalog_import_apt(struct cli_ctx *ctx, int argc, char **argv)
{
	struct import_apt_args a;
	struct aptimport_opts o = {0};
	struct aptimport_result res = {0};
	struct progress_state ps = {0};
	struct naming nm = {&a, NULL};
	char arch[64];
	struct err e;
	int rc;

	(void)ctx;
	if ((rc = parse(&a, argc, argv)) != 0)
		return rc;
	if (a.n_archs == 0)
		a.archs[a.n_archs++] = default_arch(arch, sizeof(arch));
	if (httpc_global_init(&e) != SL_OK)
		return cli_fail("catalog import-apt: %s", e.msg);
	o.archive = a.archive;
	o.suite = a.suite;
	o.keyring = a.keyring;
	o.product = a.product;
	o.classification = a.classification;
	o.components = a.n_components ? a.components : NULL;
	o.archs = a.archs;
	o.files = a.files;
	o.expiry_days = (int)a.expires_days;
	if (a.n_advisories > 0) {
		o.release = load_advisories;
		o.release_arg = &nm;
		o.decorate = name_update;
		o.decorate_arg = &nm;
	}
	if (isatty(STDERR_FILENO)) {
		o.progress = show_progress;
		o.progress_arg = &ps;
	}
	rc = aptimport_run(&res, a.catalog, &o, &e);
	if (o.progress != NULL)
		fputc('\n', stderr);
	if (rc != SL_OK) {
		aptimport_result_clear(&res);
		advisory_db_free(nm.db);
		return cli_fail("catalog import-apt: %s (catalog unchanged)",
		                e.msg);
	}
	report_missing(&nm, &res);
	printf("import-apt: %zu new, %zu unchanged, %zu superseded", res.n_new,
	       res.n_unchanged, res.n_superseded);
	if (res.n_revised > 0)
		printf(", %zu named by new advisories", res.n_revised);
	putchar('\n');
	aptimport_result_clear(&res);
	advisory_db_free(nm.db);
	return 0;
}
