/*
 * gen_catalog: generate a large catalog origin (and the matching system
 * files) for the benchmarks, quickly.
 *
 * `sluice catalog add` re-reads and re-signs the whole index on every add,
 * which is quadratic for 100,000 updates. This tool builds the same layout
 * as catalog_tool.c (private/signing.key, private/state.json,
 * public/keys/<keyid>.pub, public/updates/<id>/<rev>.json,
 * public/index.json) in one pass: each document is signed with
 * sign_envelope() and the index is signed once at the end. The output
 * verifies with `sluice catalog verify` (except that the update files are
 * not in content/: the benchmarks run in storage mode none).
 *
 * Everything is deterministic for a given --updates/--revised/--packages
 * (update ids, documents and, since Ed25519 is deterministic, signatures),
 * so running again with a larger --revised on the same DIR only adds the
 * new revisions and re-signs the index with a higher version.
 *
 * Update i has the id 00000000-0000-4000-8000-<i as 12 hex digits> (the
 * wrk scripts build the same ids). Package j is "bpkg<j>" installed at
 * version 1.<j%5>.0-1; the rules of update i look at package i % packages,
 * at marker files /opt/bench/marker-<n> (n < 32 exist in the test root),
 * at os-release and at the kernel, so that about a third of the updates are
 * needed, a third installed and a third not applicable.
 *
 *   gen_catalog --dir DIR --updates N [--revised K] [--packages P]
 *               [--version V]
 *   gen_catalog --system ROOT --packages P [--apt-repo DIR]
 *     writes ROOT/var/lib/dpkg/status (P packages), ROOT/etc/os-release,
 *     ROOT/opt/bench/marker-0..31, and with --apt-repo a flat apt
 *     repository index DIR/Packages where every fourth package has a newer
 *     version (the apt-get -s upgrade reference).
 *   gen_catalog --deb-repo DIR --updates N [--revised K]
 *     a Debian repository (dists/bench/Release, main/binary-amd64/Packages,
 *     pool/) of N packages, the first K at a newer version, each "deb" a
 *     few bytes with its true size and SHA-256: what reprepro mirrors in
 *     the catalog-sync comparison (it checks sizes and hashes of what it
 *     downloads, not the archives' contents).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "catalog.h"
#include "err.h"
#include "fsx.h"
#include "hash.h"
#include "sign.h"
#include "update.h"

#define PATH_LEN 4096

struct opts {
	const char *dir, *system, *apt_repo, *deb_repo;
	long long updates, revised, packages, version;
};

static int
parse_count(long long *out, const char *s, const char *name, struct err *e)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 0)
		return err_set(e, SL_EINVAL,
		               "%s: expected a number >= 0, got "
		               "'%s'",
		               name, s);
	*out = v;
	return SL_OK;
}

static void
update_id(char out[UPDATE_ID_LEN + 1], long long i)
{
	/* ids stay below 16^12, so the last group is exactly 12 digits */
	snprintf(out, UPDATE_ID_LEN + 1, "00000000-0000-4000-8000-%012llx",
	         (unsigned long long)i & 0xffffffffffffULL);
}

static json_t *
pred_deb(long long j, const char *op, const char *version)
{
	char name[32];

	snprintf(name, sizeof(name), "bpkg%04lld", j);
	if (op == NULL)
		return json_pack("{s:s,s:s}", "type", "deb_installed",
		                 "package", name);
	return json_pack("{s:s,s:s,s:s,s:s}", "type", "deb_installed",
	                 "package", name, "op", op, "version", version);
}

static json_t *
pred_file(const char *path)
{
	return json_pack("{s:s,s:s}", "type", "file_exists", "path", path);
}

/* The two rule trees of update i (see the header comment). */
static void
rules_for(json_t **installed, json_t **installable, long long i,
          long long packages)
{
	long long j = i % packages;
	char path[64], absent[48];

	switch (i % 5) {
	case 0: /* installed when bpkgJ >= 1.2.0-1, else needed */
		*installed = pred_deb(j, ">=", "1.2.0-1");
		*installable = json_pack(
		        "{s:[o,o]}", "and",
		        json_pack("{s:s,s:s}", "type", "os_id", "id", "debian"),
		        pred_deb(j, NULL, NULL));
		break;
	case 1: /* a marker file decides installed; version range installable
	         */
		snprintf(path, sizeof(path), "/opt/bench/marker-%lld", i % 64);
		*installed = pred_file(path);
		*installable = json_pack("{s:[o,o]}", "and",
		                         json_pack("{s:s,s:s,s:s}", "type",
		                                   "os_version", "op",
		                                   ">=", "version", "11"),
		                         pred_deb(j, "<", "1.3.0-1"));
		break;
	case 2: /* a package that is not there: not applicable */
		snprintf(absent, sizeof(absent), "absent%lld", i);
		*installed = json_pack("{s:s,s:s}", "type", "deb_installed",
		                       "package", absent);
		*installable = json_pack("{s:s,s:s}", "type", "deb_installed",
		                         "package", absent);
		break;
	case 3: /* another OS: not applicable */
		snprintf(path, sizeof(path), "/usr/bin/dnf-%lld", i);
		*installed = pred_deb(j, "=", "9.9");
		*installable = json_pack(
		        "{s:[{s:[o,o]},{s:o}]}", "or", "and",
		        json_pack("{s:s,s:s}", "type", "os_id", "id", "fedora"),
		        pred_file(path), "not",
		        pred_file("/var/lib/dpkg/status"));
		break;
	default: /* kernel and version checks */
		*installed = json_pack("{s:[o,o]}", "and",
		                       pred_deb(j, ">=", "1.4.0-1"),
		                       pred_file("/var/lib/dpkg/status"));
		*installable =
		        json_pack("{s:[o,o]}", "and",
		                  json_pack("{s:s,s:s,s:s}", "type", "kernel",
		                            "op", ">=", "version", "3.0"),
		                  pred_deb(j, NULL, NULL));
		break;
	}
}

/* The unsigned document of update i, revision rev. */
static json_t *
document(long long i, long long rev, long long packages)
{
	static const char *const cls[] = {"security", "critical", "update",
	                                  "feature", "definition"};
	static const char *const sev[] = {"critical", "important", "moderate",
	                                  "low"};
	char id[UPDATE_ID_LEN + 1], title[128], product[64], kb[32], date[16],
	        deb[64], seed[64], sha[HASH_HEX_LEN + 1], url[96];
	json_t *inst, *able;
	long long j = i % packages;

	update_id(id, i);
	snprintf(title, sizeof(title), "Bench update %lld for bpkg%04lld%s", i,
	         j, rev > 1 ? " (revised)" : "");
	snprintf(product, sizeof(product), "Bench product %lld", i % 20);
	snprintf(kb, sizeof(kb), "KB%07lld", i);
	snprintf(date, sizeof(date), "2026-%02lld-%02lld", 1 + i % 12,
	         1 + i % 28);
	snprintf(deb, sizeof(deb), "bpkg%04lld_1.9.%lld-1_amd64.deb", j, rev);
	snprintf(seed, sizeof(seed), "bench-file-%lld-%lld", i, rev);
	hash_buf_hex(seed, strlen(seed), sha);
	catalog_content_path(url, sizeof(url), sha);
	rules_for(&inst, &able, i, packages);
	return json_pack(
	        "{s:s,s:I,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:[],s:[],s:[],s:[],"
	        "s:{s:o,s:o},s:{s:s,s:[s],s:[i],s:[],s:s},"
	        "s:[{s:s,s:I,s:s,s:s}]}",
	        "id", id, "revision", (json_int_t)rev, "title", title,
	        "description",
	        "Generated by bench/gen_catalog for the benchmarks.",
	        "classification", cls[i % 5], "product", product, "severity",
	        sev[i % 4], "kb_article", kb, "release_date", date, "cve_ids",
	        "supersedes", "prerequisites", "bundles", "applicability",
	        "is_installed", inst, "is_installable", able, "install",
	        "handler", "dpkg", "arguments", deb, "success_codes", 0,
	        "reboot_codes", "reboot", "if-required", "files", "name", deb,
	        "size", (json_int_t)(1000 + i % 100000), "sha256", sha, "url",
	        url);
}

/* Write a file without fsync: benchmark data, regenerated at will. */
static int
write_plain(const char *path, const char *data, size_t len, struct err *e)
{
	FILE *f = fopen(path, "w");

	if (f == NULL)
		return err_set(e, SL_EIO, "%s: %s", path, strerror(errno));
	if (fwrite(data, 1, len, f) != len) {
		fclose(f);
		return err_set(e, SL_EIO, "%s: write failed", path);
	}
	if (fclose(f) != 0)
		return err_set(e, SL_EIO, "%s: %s", path, strerror(errno));
	return SL_OK;
}

/* Sign, validate and store one document; appends its index entry. */
static int
emit(json_t *entries, const char *pub, long long i, long long rev,
     long long packages, const struct sign_key *k, struct err *e)
{
	char rel[128], path[PATH_LEN], sha[HASH_HEX_LEN + 1];
	json_t *doc = document(i, rev, packages), *env = NULL;
	struct update *u = NULL;
	char *text = NULL;
	size_t len;
	int rc;

	if (doc == NULL)
		return err_set(e, SL_ENOMEM, "update %lld: out of memory", i);
	/* Check against the model so a generator bug shows here. */
	if ((rc = update_from_json(&u, doc, e)) != SL_OK) {
		err_prefix(e, "update %lld", i);
		goto out;
	}
	if ((rc = sign_envelope(&env, doc, k, e)) != SL_OK)
		goto out;
	if ((text = json_dumps(env, JSON_COMPACT | JSON_SORT_KEYS)) == NULL) {
		rc = err_set(e, SL_ENOMEM, "out of memory");
		goto out;
	}
	len = strlen(text);
	snprintf(rel, sizeof(rel), "updates/%s", u->id);
	if ((rc = fsx_join(path, sizeof(path), pub, rel, e)) != SL_OK)
		goto out;
	if (mkdir(path, 0755) != 0 && errno != EEXIST) {
		rc = err_set(e, SL_EIO, "mkdir %s: %s", path, strerror(errno));
		goto out;
	}
	snprintf(rel, sizeof(rel), "updates/%s/%lld.json", u->id, rev);
	if ((rc = fsx_join(path, sizeof(path), pub, rel, e)) != SL_OK)
		goto out;
	if (!fsx_exists(path) &&
	    (rc = write_plain(path, text, len, e)) != SL_OK)
		goto out;
	hash_buf_hex(text, len, sha);
	if (json_array_append_new(
	            entries,
	            json_pack("{s:s,s:I,s:s,s:s,s:I,s:s,s:s,s:s,s:b}", "id",
	                      u->id, "revision", (json_int_t)rev, "path", rel,
	                      "sha256", sha, "size", (json_int_t)len, "title",
	                      u->title, "classification", u->classification,
	                      "product", u->product, "expired", 0)) != 0)
		rc = err_set(e, SL_ENOMEM, "out of memory");
out:
	update_free(u);
	json_decref(doc);
	json_decref(env);
	free(text);
	return rc;
}

/* Load DIR's key, or make one (and publish its public half). */
static int
own_key(struct sign_key *k, const char *dir, const char *pub, struct err *e)
{
	char key[PATH_LEN], pubkey[PATH_LEN], sub[PATH_LEN], name[64];
	int rc;

	if ((rc = fsx_join(key, sizeof(key), dir, "private/signing.key", e)))
		return rc;
	if (fsx_exists(key))
		return sign_key_load(k, key, e);
	if ((rc = fsx_join(sub, sizeof(sub), dir, "private", e)) ||
	    (rc = fsx_mkdirs(sub, 0700, e)) ||
	    (rc = fsx_join(sub, sizeof(sub), pub, "keys", e)) ||
	    (rc = fsx_mkdirs(sub, 0755, e)) ||
	    (rc = fsx_join(sub, sizeof(sub), pub, "updates", e)) ||
	    (rc = fsx_mkdirs(sub, 0755, e)) ||
	    (rc = fsx_join(sub, sizeof(sub), pub, "content", e)) ||
	    (rc = fsx_mkdirs(sub, 0755, e)) || (rc = sign_key_generate(k, e)))
		return rc;
	snprintf(name, sizeof(name), "keys/%s.pub", k->keyid);
	if ((rc = fsx_join(pubkey, sizeof(pubkey), pub, name, e)) != SL_OK)
		return rc;
	return sign_key_save(k, key, pubkey, e);
}

static int
gen_catalog(const struct opts *o, struct err *e)
{
	char pub[PATH_LEN], path[PATH_LEN], created[21], expires[21];
	json_t *entries = json_array(), *idx = NULL, *env = NULL, *st = NULL;
	long long now = (long long)time(NULL);
	struct sign_key k = {0};
	char *text = NULL;
	int rc;

	if (entries == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	if ((rc = fsx_join(pub, sizeof(pub), o->dir, "public", e)) ||
	    (rc = fsx_mkdirs(pub, 0755, e)) ||
	    (rc = own_key(&k, o->dir, pub, e)))
		goto out;
	/* The index is sorted by id, then revision (as catalog_tool keeps
	 * it): ids grow with i. */
	for (long long i = 0; i < o->updates; i++) {
		if ((rc = emit(entries, pub, i, 1, o->packages, &k, e)) !=
		    SL_OK)
			goto out;
		if (i < o->revised && (rc = emit(entries, pub, i, 2,
		                                 o->packages, &k, e)) != SL_OK)
			goto out;
	}
	sign_time_format(created, now);
	sign_time_format(expires, now + 30LL * 86400);
	idx = json_pack("{s:s,s:I,s:s,s:s,s:O}", "type", CATALOG_INDEX_TYPE,
	                "version", (json_int_t)o->version, "created", created,
	                "expires", expires, "updates", entries);
	if (idx == NULL) {
		rc = err_set(e, SL_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = sign_envelope(&env, idx, &k, e)) != SL_OK)
		goto out;
	if ((text = json_dumps(env, JSON_COMPACT | JSON_SORT_KEYS)) == NULL) {
		rc = err_set(e, SL_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = fsx_join(path, sizeof(path), pub, "index.json", e)) ||
	    (rc = fsx_write_atomic(path, text, strlen(text), 0644, e)))
		goto out;
	free(text);
	st = json_pack("{s:I}", "last_version", (json_int_t)o->version);
	text = st ? json_dumps(st, JSON_COMPACT) : NULL;
	if (text == NULL) {
		rc = err_set(e, SL_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = fsx_join(path, sizeof(path), o->dir, "private/state.json",
	                   e)) ||
	    (rc = fsx_write_atomic(path, text, strlen(text), 0600, e)))
		goto out;
	printf("%s/%s.pub\n", "keys", k.keyid);
out:
	sodium_memzero(&k, sizeof(k));
	json_decref(entries);
	json_decref(idx);
	json_decref(env);
	json_decref(st);
	free(text);
	return rc;
}

/* One dpkg status stanza: package j installed at version ver. */
static int
status_stanza(FILE *f, long long j, const char *ver)
{
	return fprintf(f,
	               "Package: bpkg%04lld\nStatus: install ok installed\n"
	               "Priority: optional\nSection: misc\n"
	               "Installed-Size: %lld\nMaintainer: Bench "
	               "<bench@example.org>\nArchitecture: amd64\n"
	               "Version: %s\nDescription: generated package %lld "
	               "for the benchmarks\n\n",
	               j, 10 + j % 90, ver, j) < 0
	               ? -1
	               : 0;
}

static int
gen_system(const struct opts *o, struct err *e)
{
	char path[PATH_LEN], ver[32], sub[PATH_LEN];
	FILE *f = NULL;
	int rc;

	if ((rc = fsx_join(sub, sizeof(sub), o->system, "var/lib/dpkg", e)) ||
	    (rc = fsx_mkdirs(sub, 0755, e)) ||
	    (rc = fsx_join(sub, sizeof(sub), o->system, "etc", e)) ||
	    (rc = fsx_mkdirs(sub, 0755, e)) ||
	    (rc = fsx_join(sub, sizeof(sub), o->system, "opt/bench", e)) ||
	    (rc = fsx_mkdirs(sub, 0755, e)))
		return rc;
	for (int n = 0; n < 32; n++) {
		char name[32];
		snprintf(name, sizeof(name), "opt/bench/marker-%d", n);
		if ((rc = fsx_join(path, sizeof(path), o->system, name, e)) ||
		    (rc = write_plain(path, "x\n", 2, e)))
			return rc;
	}
	if ((rc = fsx_join(path, sizeof(path), o->system, "etc/os-release",
	                   e)) ||
	    (rc = write_plain(path,
	                      "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n"
	                      "NAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\n"
	                      "VERSION=\"12 (bookworm)\"\nID=debian\n",
	                      strlen("PRETTY_NAME=\"Debian GNU/Linux 12 "
	                             "(bookworm)\"\n"
	                             "NAME=\"Debian GNU/Linux\"\nVERSION_ID="
	                             "\"12\"\n"
	                             "VERSION=\"12 (bookworm)\"\nID=debian\n"),
	                      e)))
		return rc;
	if ((rc = fsx_join(path, sizeof(path), o->system, "var/lib/dpkg/status",
	                   e)) != SL_OK)
		return rc;
	if ((f = fopen(path, "w")) == NULL)
		return err_set(e, SL_EIO, "%s: %s", path, strerror(errno));
	for (long long j = 0; j < o->packages; j++) {
		snprintf(ver, sizeof(ver), "1.%lld.0-1", j % 5);
		if (status_stanza(f, j, ver) != 0)
			break;
	}
	if (fclose(f) != 0)
		return err_set(e, SL_EIO, "%s: write failed", path);
	if (o->apt_repo == NULL)
		return SL_OK;
	if ((rc = fsx_mkdirs(o->apt_repo, 0755, e)) ||
	    (rc = fsx_join(path, sizeof(path), o->apt_repo, "Packages", e)))
		return rc;
	if ((f = fopen(path, "w")) == NULL)
		return err_set(e, SL_EIO, "%s: %s", path, strerror(errno));
	for (long long j = 0; j < o->packages; j++) {
		char extra[256], sha[HASH_HEX_LEN + 1];
		snprintf(ver, sizeof(ver), "1.%lld.%d-1", j % 5,
		         j % 4 == 0 ? 1 : 0);
		hash_buf_hex(ver, strlen(ver), sha);
		snprintf(extra, sizeof(extra), "bpkg%04lld_%s_amd64.deb", j,
		         ver);
		if (fprintf(f,
		            "Package: bpkg%04lld\nPriority: optional\nSection: "
		            "misc\nInstalled-Size: %lld\nMaintainer: Bench "
		            "<bench@example.org>\nArchitecture: amd64\n"
		            "Version: %s\nFilename: ./%s\nSize: 1000\n"
		            "SHA256: %s\nDescription: generated package %lld "
		            "for the benchmarks\n\n",
		            j, 10 + j % 90, ver, extra, sha, j) < 0)
			break;
	}
	if (fclose(f) != 0)
		return err_set(e, SL_EIO, "%s: write failed", path);
	return SL_OK;
}

/* The reprepro reference's upstream (see the header comment). */
static int
gen_deb_repo(const struct opts *o, struct err *e)
{
	char path[PATH_LEN], rel[160], ver[32], data[64], sha[HASH_HEX_LEN + 1];
	char rel_text[512];
	struct stat sb;
	size_t len;
	FILE *f = NULL;
	int rc;

	if ((rc = fsx_join(path, sizeof(path), o->deb_repo,
	                   "dists/bench/main/binary-amd64", e)) ||
	    (rc = fsx_mkdirs(path, 0755, e)) ||
	    (rc = fsx_join(path, sizeof(path), o->deb_repo,
	                   "dists/bench/main/binary-amd64/Packages", e)))
		return rc;
	if ((f = fopen(path, "w")) == NULL)
		return err_set(e, SL_EIO, "%s: %s", path, strerror(errno));
	for (long long i = 0; i < o->updates; i++) {
		snprintf(ver, sizeof(ver), "1.0.%d-1", i < o->revised ? 2 : 1);
		snprintf(rel, sizeof(rel), "pool/main/b/bpkg%06lld", i);
		if ((rc = fsx_join(path, sizeof(path), o->deb_repo, rel, e)) ||
		    (rc = fsx_mkdirs(path, 0755, e)))
			goto out;
		snprintf(rel, sizeof(rel),
		         "pool/main/b/bpkg%06lld/bpkg%06lld_%s_amd64.deb", i, i,
		         ver);
		len = (size_t)snprintf(data, sizeof(data), "bpkg%06lld %s\n", i,
		                       ver);
		hash_buf_hex(data, len, sha);
		if ((rc = fsx_join(path, sizeof(path), o->deb_repo, rel, e)) ||
		    (!fsx_exists(path) &&
		     (rc = write_plain(path, data, len, e))))
			goto out;
		if (fprintf(f,
		            "Package: bpkg%06lld\nVersion: %s\nArchitecture: "
		            "amd64\nMaintainer: Bench <bench@example.org>\n"
		            "Installed-Size: 1\nPriority: optional\nSection: "
		            "misc\nFilename: %s\nSize: %zu\nSHA256: %s\n"
		            "Description: generated package %lld\n\n",
		            i, ver, rel, len, sha, i) < 0) {
			rc = err_set(e, SL_EIO, "Packages: write failed");
			goto out;
		}
	}
	if (fclose(f) != 0) {
		f = NULL;
		rc = err_set(e, SL_EIO, "Packages: write failed");
		goto out;
	}
	f = NULL;
	if ((rc = fsx_join(path, sizeof(path), o->deb_repo,
	                   "dists/bench/main/binary-amd64/Packages", e)) ||
	    (rc = hash_file_hex(path, sha, NULL, e)))
		goto out;
	if (stat(path, &sb) != 0) {
		rc = err_set(e, SL_EIO, "%s: %s", path, strerror(errno));
		goto out;
	}
	len = (size_t)snprintf(rel_text, sizeof(rel_text),
	                       "Origin: Bench\nCodename: bench\nSuite: bench\n"
	                       "Architectures: amd64\nComponents: main\n"
	                       "SHA256:\n %s %lld main/binary-amd64/Packages\n",
	                       sha, (long long)sb.st_size);
	if ((rc = fsx_join(path, sizeof(path), o->deb_repo,
	                   "dists/bench/Release", e)) == SL_OK)
		rc = write_plain(path, rel_text, len, e);
out:
	if (f != NULL)
		fclose(f);
	return rc;
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: gen_catalog --dir DIR --updates N [--revised K] "
	           "[--packages P] [--version V]\n"
	           "       gen_catalog --system ROOT --packages P "
	           "[--apt-repo DIR]\n"
	           "       gen_catalog --deb-repo DIR --updates N "
	           "[--revised K]\n");
}

int
main(int argc, char **argv)
{
	struct opts o = {.packages = 2000, .version = 0};
	struct err e;
	int rc = SL_OK;

	err_clear(&e);
	for (int i = 1; i < argc && rc == SL_OK; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--help") == 0) {
			usage(stdout);
			return 0;
		}
		if (v == NULL) {
			usage(stderr);
			return 2;
		}
		i++;
		if (strcmp(a, "--dir") == 0)
			o.dir = v;
		else if (strcmp(a, "--system") == 0)
			o.system = v;
		else if (strcmp(a, "--apt-repo") == 0)
			o.apt_repo = v;
		else if (strcmp(a, "--deb-repo") == 0)
			o.deb_repo = v;
		else if (strcmp(a, "--updates") == 0)
			rc = parse_count(&o.updates, v, a, &e);
		else if (strcmp(a, "--revised") == 0)
			rc = parse_count(&o.revised, v, a, &e);
		else if (strcmp(a, "--packages") == 0)
			rc = parse_count(&o.packages, v, a, &e);
		else if (strcmp(a, "--version") == 0)
			rc = parse_count(&o.version, v, a, &e);
		else {
			usage(stderr);
			return 2;
		}
	}
	if (rc == SL_OK && o.packages < 1)
		rc = err_set(&e, SL_EINVAL, "--packages: at least 1");
	if (rc == SL_OK && (rc = hash_global_init(&e)) == SL_OK) {
		if (o.version == 0)
			o.version = o.revised > 0 ? 2 : 1;
		if (o.dir != NULL)
			rc = gen_catalog(&o, &e);
		else if (o.system != NULL)
			rc = gen_system(&o, &e);
		else if (o.deb_repo != NULL)
			rc = gen_deb_repo(&o, &e);
		else {
			usage(stderr);
			return 2;
		}
	}
	if (rc != SL_OK) {
		fprintf(stderr, "gen_catalog: %s\n", e.msg);
		return 1;
	}
	return 0;
}
