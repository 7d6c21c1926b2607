/*
 * Unit tests for aptimport: binaries of two architectures and `all`
 * grouped into one update per source version, deterministic ids, the
 * rules and files of an update, supersedence across runs, an idempotent
 * re-run that writes nothing, the decorate hook, bad stanzas and a
 * failure at every write step leaving the previous catalog; --files copy.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "apt_fixture.h"
#include "aptimport.h"
#include "catalog.h"
#include "fsx.h"
#include "httpc.h"

static struct aptfix fx;
static const char *const two_archs[] = {"amd64", "arm64", NULL};

static int
group_setup(void **state)
{
	struct err e;

	(void)state;
	assert_int_equal(httpc_global_init(&e), SL_OK);
	aptfix_setup(&fx);
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	aptfix_teardown(&fx);
	return 0;
}

/* Suite "s-security": openssl 3.0.11-1 (openssl, libssl3 for amd64 and
 * arm64, openssl-doc for all, listed in every index) and hello 2.0 whose
 * binNMU'd binary is 2.0+b1; openssl-common is only in binary-all. */
static void
write_v1(const char *openssl_version)
{
	char amd[8192] = "", arm[8192] = "", all[4096] = "";
	char src[64];

	snprintf(src, sizeof(src), "openssl (%s)", openssl_version);
	aptfix_stanza(amd, sizeof(amd), "openssl", NULL, openssl_version,
	              "amd64", &fx);
	aptfix_stanza(amd, sizeof(amd), "libssl3", "openssl", openssl_version,
	              "amd64", &fx);
	aptfix_stanza(amd, sizeof(amd), "openssl-doc", "openssl",
	              openssl_version, "all", &fx);
	aptfix_stanza(amd, sizeof(amd), "hello", "hello (2.0)", "2.0+b1",
	              "amd64", &fx);
	aptfix_stanza(arm, sizeof(arm), "libssl3", "openssl", openssl_version,
	              "arm64", &fx);
	aptfix_stanza(arm, sizeof(arm), "openssl-doc", "openssl",
	              openssl_version, "all", &fx);
	aptfix_stanza(all, sizeof(all), "openssl-doc", src, openssl_version,
	              "all", &fx);
	/* Only in binary-all. */
	aptfix_stanza(all, sizeof(all), "openssl-common", src, openssl_version,
	              "all", &fx);
	aptfix_write(&fx, "dists/s-security/main/binary-amd64/Packages", amd);
	aptfix_write(&fx, "dists/s-security/main/binary-arm64/Packages", arm);
	aptfix_write(&fx, "dists/s-security/main/binary-all/Packages", all);
}

static int
setup(void **state)
{
	struct err e;

	(void)state;
	aptfix_reset(&fx);
	assert_int_equal(catalog_init(fx.cat, &e), SL_OK);
	write_v1("3.0.11-1");
	aptfix_publish(&fx, "s-security", "all amd64 arm64", NULL, fx.home,
	               "inline");
	return 0;
}

static void
opts(struct aptimport_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->archive = fx.url;
	o->suite = "s-security";
	o->archs = two_archs;
	o->keyring = fx.keyring;
}

static int
import(struct aptimport_result *res, const struct aptimport_opts *o,
       struct err *e)
{
	memset(res, 0, sizeof(*res));
	return aptimport_run(res, fx.cat, o, e);
}

static struct update *
load(const char *id, int rev)
{
	char path[512];
	struct update *u = NULL;
	struct err e;
	json_t *env;

	snprintf(path, sizeof(path), "%s/public/updates/%s/%d.json", fx.cat, id,
	         rev);
	assert_non_null(env = json_load_file(path, 0, NULL));
	assert_int_equal(
	        update_from_json(&u, json_object_get(env, "signed"), &e),
	        SL_OK);
	json_decref(env);
	return u;
}

static int64_t
index_version(void)
{
	struct catalog_index *idx = NULL;
	struct err e;
	int64_t v;

	assert_int_equal(catalog_load(&idx, fx.cat, &e), SL_OK);
	v = idx->version;
	catalog_index_free(idx);
	return v;
}

static const struct update_file *
file_named(const struct update *u, const char *name)
{
	for (size_t i = 0; i < u->n_files; i++)
		if (strcmp(u->files[i].name, name) == 0)
			return &u->files[i];
	fail_msg("no file %s", name);
	return NULL;
}

static void
test_mapping(void **state)
{
	struct aptimport_result res;
	struct aptimport_opts o;
	char id[UPDATE_ID_LEN + 1], id2[UPDATE_ID_LEN + 1];
	const struct update_file *f;
	struct update *u;
	struct err e;
	char *rules;

	(void)state;
	opts(&o);
	assert_int_equal(import(&res, &o, &e), SL_OK);
	assert_int_equal(res.n_new, 2);
	assert_int_equal(res.n_unchanged, 0);
	assert_int_equal(res.n_binaries, 6);
	assert_int_equal(res.n_pairs, 2);
	assert_string_equal(res.pairs[0].source, "hello");
	assert_string_equal(res.pairs[0].version, "2.0");
	assert_string_equal(res.pairs[1].source, "openssl");
	assert_string_equal(res.pairs[1].version, "3.0.11-1");
	aptimport_result_clear(&res);

	/* Deterministic, name-based UUIDv8. */
	aptimport_id(id, "Test", "s", "openssl", "3.0.11-1");
	aptimport_id(id2, "Test", "s", "openssl", "3.0.11-1");
	assert_string_equal(id, id2);
	assert_true(update_id_valid(id));
	assert_int_equal(id[14], '8');
	assert_non_null(strchr("89ab", id[19]));
	aptimport_id(id2, "Test", "s", "openssl", "3.0.11-2");
	assert_string_not_equal(id, id2);

	u = load(id, 1);
	assert_string_equal(u->title, "openssl 3.0.11-1 (s-security)");
	assert_string_equal(u->classification, "security");
	assert_string_equal(u->product, "Test 12");
	assert_string_equal(u->install.handler, "deb");
	assert_null(u->install.arguments[0]);
	assert_null(u->install.uninstall_arguments);
	assert_int_equal(u->n_files, 5); /* amd64 x2, arm64, all x2 once */
	file_named(u, "openssl-common_3.0.11-1_all.deb");
	f = file_named(u, "libssl3_3.0.11-1_arm64.deb");
	assert_string_equal(f->deb->package, "libssl3");
	assert_string_equal(f->deb->version, "3.0.11-1");
	assert_string_equal(f->deb->arch, "arm64");
	assert_true(strncmp(f->url, "file://", 7) == 0);
	assert_non_null(strstr(f->url, "/repo/pool/main/libssl3_3.0.11-1_"
	                               "arm64.deb"));
	assert_int_equal(f->size, strlen("deb libssl3 3.0.11-1 arm64"));
	f = file_named(u, "openssl-doc_3.0.11-1_all.deb");
	assert_string_equal(f->deb->arch, "all");
	assert_non_null(strstr(u->description, "libssl3: the libssl3 "
	                                       "package"));
	rules = json_dumps(u->is_installable, JSON_COMPACT | JSON_SORT_KEYS);
	assert_non_null(strstr(rules, "{\"op\":\"<\",\"package\":"
	                              "\"libssl3:arm64\",\"type\":"
	                              "\"deb_installed\",\"version\":"
	                              "\"3.0.11-1\"}"));
	assert_non_null(strstr(rules, "\"package\":\"openssl-doc\",\"type\""));
	free(rules);
	rules = json_dumps(u->is_installed, JSON_COMPACT | JSON_SORT_KEYS);
	assert_true(strncmp(rules,
	                    "{\"and\":[{\"or\":[{\"package\":"
	                    "\"openssl:amd64\",\"type\":"
	                    "\"deb_installed\"}",
	                    60) == 0);
	assert_non_null(strstr(rules, "{\"not\":{\"or\":"));
	free(rules);
	update_free(u);

	/* The source version, not the binNMU's binary version. */
	aptimport_id(id, "Test", "s", "hello", "2.0");
	u = load(id, 1);
	assert_string_equal(u->title, "hello 2.0 (s-security)");
	assert_int_equal(u->n_files, 1);
	assert_string_equal(u->files[0].deb->version, "2.0+b1");
	update_free(u);
}

static void
test_rerun_and_supersede(void **state)
{
	struct aptimport_result res;
	struct aptimport_opts o;
	char old[UPDATE_ID_LEN + 1], mid[UPDATE_ID_LEN + 1],
	        id[UPDATE_ID_LEN + 1], *before = NULL, *after = NULL;
	struct update *u;
	struct err e;
	int64_t v;

	(void)state;
	opts(&o);
	o.classification = "critical";
	o.product = "Demo OS";
	assert_int_equal(import(&res, &o, &e), SL_OK);
	aptimport_result_clear(&res);
	v = index_version();
	/* No change: nothing written, not even the index. */
	char idx[256];
	snprintf(idx, sizeof(idx), "%s/public/index.json", fx.cat);
	assert_int_equal(fsx_read(idx, 1u << 20, &before, NULL, &e), SL_OK);
	assert_int_equal(import(&res, &o, &e), SL_OK);
	assert_int_equal(res.n_new, 0);
	assert_int_equal(res.n_unchanged, 2);
	assert_int_equal(res.n_superseded, 0);
	aptimport_result_clear(&res);
	assert_int_equal(index_version(), v);
	assert_int_equal(fsx_read(idx, 1u << 20, &after, NULL, &e), SL_OK);
	assert_string_equal(before, after);
	free(before);
	free(after);

	/* A security suite keeps only the newest version. */
	aptfix_sh("rm -rf %s/dists", fx.repo);
	write_v1("3.0.11-2");
	aptfix_publish(&fx, "s-security", "all amd64 arm64", NULL, fx.home,
	               "inline");
	assert_int_equal(import(&res, &o, &e), SL_OK);
	assert_int_equal(res.n_new, 1);
	assert_int_equal(res.n_unchanged, 1);
	assert_int_equal(res.n_superseded, 1);
	aptimport_result_clear(&res);
	assert_int_equal(index_version(), v + 1);
	aptimport_id(old, "Test", "s", "openssl", "3.0.11-1");
	aptimport_id(mid, "Test", "s", "openssl", "3.0.11-2");
	u = load(mid, 1);
	assert_string_equal(u->classification, "critical");
	assert_string_equal(u->product, "Demo OS");
	assert_string_equal(u->supersedes[0], old);
	assert_null(u->supersedes[1]);
	update_free(u);

	/* Two versions at once (and an older one from an earlier run). */
	char amd[8192] = "";
	aptfix_stanza(amd, sizeof(amd), "openssl", NULL, "3.0.11-2", "amd64",
	              &fx);
	aptfix_stanza(amd, sizeof(amd), "openssl", NULL, "3.0.11-10", "amd64",
	              &fx);
	aptfix_sh("rm -rf %s/dists", fx.repo);
	aptfix_write(&fx, "dists/s-security/main/binary-amd64/Packages", amd);
	aptfix_write(&fx, "dists/s-security/main/binary-arm64/Packages", "");
	aptfix_publish(&fx, "s-security", "all amd64 arm64", NULL, fx.home,
	               "inline");
	assert_int_equal(import(&res, &o, &e), SL_OK);
	assert_int_equal(res.n_new, 1);
	assert_int_equal(res.n_unchanged, 1);
	assert_int_equal(res.n_superseded, 2);
	aptimport_result_clear(&res);
	aptimport_id(id, "Test", "s", "openssl", "3.0.11-10");
	u = load(id, 1);
	assert_string_equal(u->supersedes[0], old);
	assert_string_equal(u->supersedes[1], mid);
	assert_null(u->supersedes[2]);
	update_free(u);
}

struct seen {
	int calls;
	bool fail;
	bool hello_named; /* an advisory for hello exists (from now on) */
};

static int
decorate(void *arg, const char *source, const char *version, struct update *u,
         struct err *e)
{
	struct seen *s = arg;

	s->calls++;
	if (s->fail)
		return err_set(e, SL_EINVAL, "no advisory for %s", source);
	if (strcmp(source, "openssl") == 0) {
		free(u->title);
		u->title = strdup("DSA-1 openssl");
		u->security_bulletin = strdup("DSA-1");
		assert_string_equal(version, "3.0.11-1");
	}
	if (strcmp(source, "hello") == 0 && s->hello_named) {
		free(u->title);
		u->title = strdup("DSA-2 hello");
		u->security_bulletin = strdup("DSA-2");
	}
	return SL_OK;
}

static void
test_decorate(void **state)
{
	struct aptimport_result res;
	struct aptimport_opts o;
	struct seen s = {.fail = true};
	char id[UPDATE_ID_LEN + 1];
	struct update *u;
	struct err e;
	int64_t v = index_version();

	(void)state;
	opts(&o);
	o.decorate = decorate;
	o.decorate_arg = &s;
	assert_int_equal(import(&res, &o, &e), SL_EINVAL);
	assert_string_equal(e.msg, "source hello 2.0: no advisory for hello");
	aptimport_result_clear(&res);
	assert_int_equal(index_version(), v);
	s.fail = false;
	s.calls = 0;
	assert_int_equal(import(&res, &o, &e), SL_OK);
	aptimport_result_clear(&res);
	assert_int_equal(s.calls, 2);
	aptimport_id(id, "Test", "s", "openssl", "3.0.11-1");
	u = load(id, 1);
	assert_string_equal(u->title, "DSA-1 openssl");
	update_free(u);
	/* Named updates are not asked again; hello (unnamed) is, and stays
	 * as it is while no advisory names it. */
	s.calls = 0;
	v = index_version();
	assert_int_equal(import(&res, &o, &e), SL_OK);
	assert_int_equal(res.n_revised, 0);
	aptimport_result_clear(&res);
	assert_int_equal(s.calls, 1);
	assert_int_equal(index_version(), v);
	/* A late advisory for hello publishes revision 2 named by it, once. */
	s.hello_named = true;
	assert_int_equal(import(&res, &o, &e), SL_OK);
	assert_int_equal(res.n_revised, 1);
	assert_int_equal(res.n_new, 0);
	aptimport_result_clear(&res);
	aptimport_id(id, "Test", "s", "hello", "2.0");
	u = load(id, 2);
	assert_string_equal(u->title, "DSA-2 hello");
	assert_string_equal(u->security_bulletin, "DSA-2");
	update_free(u);
	s.calls = 0;
	assert_int_equal(import(&res, &o, &e), SL_OK);
	assert_int_equal(res.n_revised, 0);
	assert_int_equal(res.n_unchanged, 2);
	aptimport_result_clear(&res);
	assert_int_equal(s.calls, 0);
}

/* binary-all is read only where the Release has `all` in its
 * Architectures and does not say (No-Support-for-Architecture-all:
 * Packages) that the arch indexes hold those packages: as apt decides.
 * A broken binary-all index is then never looked at. */
static void
test_all_in_arch_indexes(void **state)
{
	static const char *const releases[][2] = {
	        {"all amd64 arm64",
	         "No-Support-for-Architecture-all: Packages"},
	        {"amd64 arm64", NULL},
	};
	struct aptimport_result res;
	struct aptimport_opts o;
	char id[UPDATE_ID_LEN + 1];
	struct update *u;
	struct err e;

	(void)state;
	for (size_t r = 0; r < 2; r++) {
		setup(NULL);
		aptfix_write(&fx, "dists/s-security/main/binary-all/Packages",
		             "Package: broken\n");
		aptfix_publish(&fx, "s-security", releases[r][0],
		               releases[r][1], fx.home, "inline");
		opts(&o);
		assert_int_equal(import(&res, &o, &e), SL_OK);
		aptimport_result_clear(&res);
		aptimport_id(id, "Test", "s", "openssl", "3.0.11-1");
		u = load(id, 1);
		/* openssl-doc (all) from the arch indexes; openssl-common,
		 * only in binary-all, is not there. */
		file_named(u, "openssl-doc_3.0.11-1_all.deb");
		for (size_t i = 0; i < u->n_files; i++)
			assert_null(strstr(u->files[i].name, "openssl-common"));
		update_free(u);
	}
}

static void
test_bad_input(void **state)
{
	struct aptimport_result res;
	struct aptimport_opts o;
	const char *const i386[] = {"i386", NULL};
	struct err e;
	int64_t v = index_version();

	(void)state;
	opts(&o);
	aptfix_write(&fx, "dists/s-security/main/binary-arm64/Packages",
	             "Package: a\nVersion: 1\nArchitecture: arm64\n"
	             "Size: 1\nSHA256: 00\n\n");
	aptfix_publish(&fx, "s-security", "all amd64 arm64", NULL, fx.home,
	               "inline");
	assert_int_equal(import(&res, &o, &e), SL_EPARSE);
	assert_string_equal(e.msg, "dists/s-security/main/binary-arm64/"
	                           "Packages.xz:1: package a: missing "
	                           "Filename");
	aptimport_result_clear(&res);
	aptfix_write(&fx, "dists/s-security/main/binary-arm64/Packages",
	             "Package: a\nVersion: 1\n Architecture: arm64\n:x\n");
	aptfix_publish(&fx, "s-security", "all amd64 arm64", NULL, fx.home,
	               "inline");
	assert_int_equal(import(&res, &o, &e), SL_EPARSE);
	assert_string_equal(e.msg, "dists/s-security/main/binary-arm64/"
	                           "Packages.xz:4: field without a name");
	aptimport_result_clear(&res);
	/* A validly signed but older Release than the last one imported. */
	write_v1("3.0.11-1");
	aptfix_publish(&fx, "s-security", "all amd64 arm64", NULL, fx.home,
	               "inline");
	assert_int_equal(import(&res, &o, &e), SL_OK);
	aptimport_result_clear(&res);
	v = index_version();
	setenv("APT_FIXTURE_DATE", "Sat, 01 Jan 2000 00:00:00 UTC", 1);
	aptfix_publish(&fx, "s-security", "all amd64 arm64", NULL, fx.home,
	               "inline");
	unsetenv("APT_FIXTURE_DATE");
	assert_int_equal(import(&res, &o, &e), SL_EROLLBACK);
	assert_string_equal(e.msg, "the Release of s-security is dated Sat, 01 "
	                           "Jan 2000 00:00:00 UTC, older than the one "
	                           "an earlier import read: refusing to go "
	                           "back");
	aptimport_result_clear(&res);
	o.archs = i386;
	assert_int_equal(import(&res, &o, &e), SL_EINVAL);
	assert_string_equal(e.msg, "--arch i386: not in the Release's "
	                           "Architectures (all amd64 arm64)");
	aptimport_result_clear(&res);
	assert_int_equal(index_version(), v);
}

/* A failure at each write step publishes all or nothing. */
static void
test_interrupted(void **state)
{
	struct aptimport_result res;
	struct aptimport_opts o;
	struct catalog_index *idx;
	struct sign_keyring kr = {0};
	char pub[512], id[UPDATE_ID_LEN + 1];
	int64_t v = index_version(), last;
	size_t n;
	struct err e;
	int step, rc;

	(void)state;
	opts(&o);
	aptimport_id(id, "Test", "s", "openssl", "3.0.11-1");
	for (step = 1;; step++) {
		fsx_inject_failure(step);
		rc = import(&res, &o, &e);
		fsx_inject_failure(0);
		aptimport_result_clear(&res);
		if (rc == SL_OK)
			break;
		assert_int_equal(rc, SL_EIO);
		assert_non_null(strstr(e.msg, "injected failure"));
		assert_int_equal(catalog_load(&idx, fx.cat, &e), SL_OK);
		bool published = catalog_index_latest(idx, id) != NULL;
		assert_int_equal(idx->version, v + (published ? 1 : 0));
		assert_int_equal(idx->n, published ? 2 : 0);
		catalog_index_free(idx);
		assert_int_equal(catalog_local_trust(fx.cat, pub, sizeof(pub),
		                                     &kr, &last, &e),
		                 SL_OK);
		kr.n = 1;
		if (published)
			break;
	}
	assert_true(step >= 3); /* 2 documents, then the index */
	assert_int_equal(import(&res, &o, &e), SL_OK);
	assert_int_equal(res.n_new, 0);
	aptimport_result_clear(&res);
	(void)n;
}

static void
test_copy(void **state)
{
	struct aptimport_result res;
	struct aptimport_opts o;
	struct sign_keyring kr = {0};
	char pub[512], id[UPDATE_ID_LEN + 1];
	struct update *u;
	int64_t last;
	size_t n = 0;
	struct err e;

	(void)state;
	opts(&o);
	o.files = APTIMPORT_FILES_COPY;
	assert_int_equal(import(&res, &o, &e), SL_OK);
	aptimport_result_clear(&res);
	aptimport_id(id, "Test", "s", "openssl", "3.0.11-1");
	u = load(id, 1);
	assert_true(strncmp(u->files[0].url, "content/", 8) == 0);
	update_free(u);
	assert_int_equal(
	        catalog_local_trust(fx.cat, pub, sizeof(pub), &kr, &last, &e),
	        SL_OK);
	assert_int_equal(catalog_verify(pub, &kr, (long long)time(NULL), last,
	                                NULL, NULL, &n, &e),
	                 SL_OK);
	assert_int_equal(n, 0);
	/* A .deb that does not match its Packages hash. */
	aptfix_reset(&fx);
	assert_int_equal(catalog_init(fx.cat, &e), SL_OK);
	write_v1("3.0.11-1");
	aptfix_publish(&fx, "s-security", "all amd64 arm64", NULL, fx.home,
	               "inline");
	aptfix_sh("printf 'evil' > %s/pool/main/hello_2.0+b1_amd64.deb",
	          fx.repo);
	assert_int_equal(import(&res, &o, &e), SL_EVERIFY);
	assert_non_null(strstr(e.msg, "pool/main/hello_2.0+b1_amd64.deb: "));
	aptimport_result_clear(&res);
	assert_int_equal(index_version(), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup(test_mapping, setup),
	        cmocka_unit_test_setup(test_rerun_and_supersede, setup),
	        cmocka_unit_test_setup(test_decorate, setup),
	        cmocka_unit_test_setup(test_all_in_arch_indexes, setup),
	        cmocka_unit_test_setup(test_bad_input, setup),
	        cmocka_unit_test_setup(test_interrupted, setup),
	        cmocka_unit_test_setup(test_copy, setup),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
