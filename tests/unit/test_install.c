/* Unit tests for the agent's install handlers and process runner: exit
 * code mapping, output capture and its cap, timeouts, exec failures, real
 * small scripts run through the command and script handlers, and the deb
 * handler with real dpkg into test trees (packages built with dpkg-deb). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dpkgdb.h"
#include "fsx.h"
#include "hash.h"
#include "install.h"
#include "proc.h"

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int
setup(void **state)
{
	char *dir = strdup("/tmp/sluice-install-XXXXXX");

	if (dir == NULL || mkdtemp(dir) == NULL)
		return -1;
	*state = dir;
	return 0;
}

static int
teardown(void **state)
{
	nftw(*state, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(*state);
	return 0;
}

static void
test_map_exit(void **state)
{
	int ok[] = {0, 17}, reboot[] = {3010};
	struct update_install in;

	(void)state;
	memset(&in, 0, sizeof(in));
	/* No codes listed: 0 is success, anything else failure. */
	assert_int_equal(install_map_exit(&in, 0), INSTALL_SUCCESS);
	assert_int_equal(install_map_exit(&in, 1), INSTALL_FAILURE);
	in.success_codes = ok;
	in.n_success_codes = 2;
	in.reboot_codes = reboot;
	in.n_reboot_codes = 1;
	assert_int_equal(install_map_exit(&in, 17), INSTALL_SUCCESS);
	assert_int_equal(install_map_exit(&in, 3010), INSTALL_REBOOT);
	assert_int_equal(install_map_exit(&in, 1), INSTALL_FAILURE);
	assert_int_equal(install_map_exit(&in, -1), INSTALL_FAILURE);
	in.reboot = UPDATE_REBOOT_ALWAYS;
	assert_int_equal(install_map_exit(&in, 0), INSTALL_REBOOT);
	assert_int_equal(install_map_exit(&in, 2), INSTALL_FAILURE);
	assert_string_equal(install_result_name(INSTALL_SUCCESS), "success");
	assert_string_equal(install_result_name(INSTALL_REBOOT),
	                    "reboot-required");
	assert_string_equal(install_result_name(INSTALL_FAILURE), "failure");
}

static void
test_proc_capture(void **state)
{
	char *argv[] = {"sh", "-c", "echo out; echo err >&2; exit 4", NULL};
	char *env_add[] = {"SLUICE_TEST=yes", NULL};
	char *argv2[] = {"sh", "-c", "printf %s \"$SLUICE_TEST\"", NULL};
	struct proc_spec sp = {.argv = argv, .timeout_s = 10};
	struct proc_result r;
	struct err e;

	(void)state;
	assert_int_equal(proc_run(&r, &sp, &e), SL_OK);
	assert_true(r.exited);
	assert_int_equal(r.exit_code, 4);
	assert_false(r.timed_out);
	assert_false(r.truncated);
	assert_string_equal(r.output, "out\nerr\n");
	proc_result_clear(&r);

	sp.argv = argv2;
	sp.env_add = env_add;
	assert_int_equal(proc_run(&r, &sp, &e), SL_OK);
	assert_string_equal(r.output, "yes");
	assert_int_equal(r.exit_code, 0);
	proc_result_clear(&r);
}

static void
test_proc_truncates(void **state)
{
	/* 100000 bytes of output with a 1000-byte cap. */
	char *argv[] = {"sh", "-c",
	                "i=0; while [ $i -lt 1000 ]; do printf '%0100d' 0; "
	                "i=$((i+1)); done; exit 0",
	                NULL};
	struct proc_spec sp = {
	        .argv = argv, .timeout_s = 30, .output_cap = 1000};
	struct proc_result r;
	struct err e;

	(void)state;
	assert_int_equal(proc_run(&r, &sp, &e), SL_OK);
	assert_true(r.exited);
	assert_int_equal(r.exit_code, 0);
	assert_true(r.truncated);
	/* The marker is inside the cap. */
	assert_int_equal(r.output_len, 1000);
	assert_string_equal(r.output + 1000 - strlen(PROC_TRUNCATED),
	                    "\n[truncated]");
	proc_result_clear(&r);
}

static void
test_proc_timeout_kills_group(void **state)
{
	/* The child starts a grandchild; both must go on timeout. */
	char *argv[] = {"sh", "-c", "echo started; sleep 30 & sleep 30", NULL};
	struct proc_spec sp = {.argv = argv, .timeout_s = 1, .kill_grace_s = 1};
	struct proc_result r;
	struct timespec t0, t1;
	struct err e;

	(void)state;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(proc_run(&r, &sp, &e), SL_OK);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_true(r.timed_out);
	assert_false(r.exited);
	assert_int_equal(r.exit_code, -1);
	assert_string_equal(r.output, "started\n");
	assert_true(t1.tv_sec - t0.tv_sec < 10);
	proc_result_clear(&r);
}

static void
test_proc_stdin_and_leftovers(void **state)
{
	/* stdin is /dev/null: cat ends at once. A process left behind
	 * holding the output pipe does not keep proc_run waiting. */
	char *argv[] = {"sh", "-c", "cat; sleep 3 & echo done", NULL};
	struct proc_spec sp = {.argv = argv, .timeout_s = 20};
	struct proc_result r;
	struct timespec t0, t1;
	struct err e;

	(void)state;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(proc_run(&r, &sp, &e), SL_OK);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_true(r.exited);
	assert_int_equal(r.exit_code, 0);
	assert_string_equal(r.output, "done\n");
	assert_true(t1.tv_sec - t0.tv_sec < 2);
	proc_result_clear(&r);
}

static void
test_proc_exec_failure(void **state)
{
	char *argv[] = {"/nonexistent/installer", NULL};
	struct proc_spec sp = {.argv = argv, .timeout_s = 5};
	struct proc_result r;
	struct err e;

	(void)state;
	assert_int_equal(proc_run(&r, &sp, &e), SL_ENOTFOUND);
	assert_string_equal(e.msg, "cannot run /nonexistent/installer: No "
	                           "such file or directory");
}

static void
test_utf8_sanitize(void **state)
{
	char s[] = "ok \xc3\xa9 bad \xff\xc3 nul";

	(void)state;
	s[sizeof(s) - 5] = '\0'; /* a NUL inside, in place of the space */
	proc_utf8_sanitize(s, sizeof(s) - 1);
	assert_string_equal(s, "ok \xc3\xa9 bad ???nul");
}

/* A one-file update whose file is a script written to dir/name. */
struct fixture {
	struct update u;
	struct update_file f;
	char *args[4];
	char path[PATH_MAX];
	const char *paths[1];
	int ok[1], reboot[1];
};

static void
make_update(struct fixture *fx, const char *dir, const char *handler,
            const char *name, const char *body)
{
	struct err e;

	memset(fx, 0, sizeof(*fx));
	snprintf(fx->u.id, sizeof(fx->u.id),
	         "0b5c6c1e-3c1a-4a52-9d1e-5b8e2f7a9c01");
	fx->u.revision = 2;
	fx->u.title = "test";
	fx->u.install.handler = (char *)handler;
	fx->args[0] = (char *)name;
	fx->args[1] = "first arg";
	fx->u.install.arguments = fx->args;
	fx->ok[0] = 0;
	fx->reboot[0] = 100; /* exit codes are 0..255 on Linux */
	fx->u.install.success_codes = fx->ok;
	fx->u.install.n_success_codes = 1;
	fx->u.install.reboot_codes = fx->reboot;
	fx->u.install.n_reboot_codes = 1;
	fx->f.name = (char *)name;
	assert_int_equal(fsx_join(fx->path, sizeof(fx->path), dir, name, &e),
	                 SL_OK);
	assert_int_equal(
	        fsx_write_atomic(fx->path, body, strlen(body), 0644, &e),
	        SL_OK);
	assert_int_equal(hash_file_hex(fx->path, fx->f.sha256, &fx->f.size, &e),
	                 SL_OK);
	fx->u.files = &fx->f;
	fx->u.n_files = 1;
	fx->paths[0] = fx->path;
}

static void
job_for(struct install_job *job, struct fixture *fx, const char *dir)
{
	static char work[PATH_MAX];

	memset(job, 0, sizeof(*job));
	snprintf(work, sizeof(work), "%s/work", dir);
	job->u = &fx->u;
	job->root = dir;
	job->paths = fx->paths;
	job->work_dir = work;
	job->default_timeout_s = 10;
	job->kill_grace_s = 1;
}

static void
test_script_handler(void **state)
{
	const char *dir = *state;
	struct install_outcome oc;
	struct install_job job;
	struct fixture fx;
	char marker[PATH_MAX], *text = NULL;
	size_t len;
	struct err e;

	/* Writes under SLUICE_ROOT, runs in its own working directory. */
	make_update(&fx, dir, "script", "setup.sh",
	            "echo \"args: $1\"\n"
	            "echo \"$SLUICE_UPDATE_ID $SLUICE_UPDATE_REVISION\" > "
	            "\"$SLUICE_ROOT/marker\"\n"
	            "test -f ./setup.sh || exit 9\n"
	            "exit 0\n");
	job_for(&job, &fx, dir);
	assert_int_equal(install_run(&oc, &job, &e), SL_OK);
	if (oc.result != INSTALL_SUCCESS)
		print_error("%s: %s\n", oc.detail, oc.output);
	assert_int_equal(oc.result, INSTALL_SUCCESS);
	assert_int_equal(oc.exit_code, 0);
	assert_string_equal(oc.detail, "exit code 0");
	assert_string_equal(oc.output, "args: first arg\n");
	install_outcome_clear(&oc);
	snprintf(marker, sizeof(marker), "%s/marker", dir);
	assert_int_equal(fsx_read(marker, 1024, &text, &len, &e), SL_OK);
	assert_string_equal(text, "0b5c6c1e-3c1a-4a52-9d1e-5b8e2f7a9c01 2\n");
	free(text);

	/* A reboot code, then a failing code. */
	make_update(&fx, dir, "script", "setup.sh", "exit 100\n");
	job_for(&job, &fx, dir);
	assert_int_equal(install_run(&oc, &job, &e), SL_OK);
	assert_int_equal(oc.result, INSTALL_REBOOT);
	install_outcome_clear(&oc);
	make_update(&fx, dir, "script", "setup.sh",
	            "echo 'disk full' >&2; exit 5\n");
	job_for(&job, &fx, dir);
	assert_int_equal(install_run(&oc, &job, &e), SL_OK);
	assert_int_equal(oc.result, INSTALL_FAILURE);
	assert_int_equal(oc.exit_code, 5);
	assert_string_equal(oc.detail, "exit code 5");
	assert_string_equal(oc.output, "disk full\n");
	install_outcome_clear(&oc);
}

static void
test_command_handler(void **state)
{
	const char *dir = *state;
	struct install_outcome oc;
	struct install_job job;
	struct fixture fx;
	struct err e;

	/* Run directly (made executable), no shell in between: the argument
	 * with a space arrives as one argument. */
	make_update(&fx, dir, "command", "inst",
	            "#!/bin/sh\necho \"$#:$1\"\nexit 0\n");
	job_for(&job, &fx, dir);
	assert_int_equal(install_run(&oc, &job, &e), SL_OK);
	assert_int_equal(oc.result, INSTALL_SUCCESS);
	assert_string_equal(oc.output, "1:first arg\n");
	install_outcome_clear(&oc);
}

static void
test_timeout_and_errors(void **state)
{
	const char *dir = *state;
	struct install_outcome oc;
	struct install_job job;
	struct fixture fx;
	struct err e;

	make_update(&fx, dir, "script", "slow.sh", "echo begin; sleep 30\n");
	fx.u.install.timeout_seconds = 1;
	job_for(&job, &fx, dir);
	assert_int_equal(install_run(&oc, &job, &e), SL_OK);
	assert_int_equal(oc.result, INSTALL_FAILURE);
	assert_int_equal(oc.exit_code, -1);
	assert_string_equal(oc.detail, "timed out after 1 s");
	assert_string_equal(oc.output, "begin\n");
	install_outcome_clear(&oc);

	/* arguments[0] must name one of the update's files. */
	make_update(&fx, dir, "script", "a.sh", "exit 0\n");
	fx.args[0] = "other.sh";
	job_for(&job, &fx, dir);
	assert_int_equal(install_run(&oc, &job, &e), SL_OK);
	assert_int_equal(oc.result, INSTALL_FAILURE);
	assert_string_equal(oc.detail, "script: \"other.sh\" is not one of "
	                               "the update's files");
	install_outcome_clear(&oc);

	/* A local file that does not match its hash is not run. */
	make_update(&fx, dir, "script", "a.sh", "exit 0\n");
	assert_int_equal(fsx_write_atomic(fx.path, "exit 1\n", 7, 0644, &e),
	                 SL_OK);
	job_for(&job, &fx, dir);
	assert_int_equal(install_run(&oc, &job, &e), SL_OK);
	assert_int_equal(oc.result, INSTALL_FAILURE);
	assert_non_null(strstr(oc.detail, "a.sh: "));
	install_outcome_clear(&oc);

	make_update(&fx, dir, "rpm", "a.rpm", "x");
	job_for(&job, &fx, dir);
	assert_int_equal(install_run(&oc, &job, &e), SL_OK);
	assert_int_equal(oc.result, INSTALL_FAILURE);
	assert_string_equal(oc.detail, "handler \"rpm\" is not supported by "
	                               "this agent");
	install_outcome_clear(&oc);

	/* Uninstall without uninstall_arguments. */
	make_update(&fx, dir, "script", "a.sh", "exit 0\n");
	job_for(&job, &fx, dir);
	job.uninstall = true;
	assert_int_equal(install_run(&oc, &job, &e), SL_OK);
	assert_int_equal(oc.result, INSTALL_FAILURE);
	assert_string_equal(oc.detail, "the update has no uninstall arguments");
	install_outcome_clear(&oc);
}

/* --- the deb handler: real dpkg into a test tree ------------------------ */

/* Run sh -c script with positional arguments; fail the test unless it
 * exits 0. */
static void
sh(const char *script, const char *const *args)
{
	char *argv[16] = {"sh", "-c", (char *)script, "sh"};
	struct proc_spec sp = {.argv = argv, .timeout_s = 60};
	struct proc_result r;
	struct err e;
	size_t i;

	for (i = 0; args[i] != NULL && i + 5 < 16; i++)
		argv[4 + i] = (char *)args[i];
	argv[4 + i] = NULL;
	assert_int_equal(proc_run(&r, &sp, &e), SL_OK);
	if (!r.exited || r.exit_code != 0)
		print_error("%s: %s\n", script, r.output);
	assert_true(r.exited && r.exit_code == 0);
	proc_result_clear(&r);
}

static const char *
native_arch(void)
{
	static char arch[64];
	char *argv[] = {"dpkg", "--print-architecture", NULL};
	struct proc_spec sp = {.argv = argv, .timeout_s = 10};
	struct proc_result r;
	struct err e;

	if (arch[0] == '\0') {
		assert_int_equal(proc_run(&r, &sp, &e), SL_OK);
		snprintf(arch, sizeof(arch), "%.*s",
		         (int)strcspn(r.output, "\n"), r.output);
		proc_result_clear(&r);
	}
	return arch;
}

/* dir/NAME_VERSION_ARCH.deb with a file /opt/NAME/version-ARCH. */
static void
build_deb(const char *dir, const char *name, const char *version,
          const char *arch, const char *depends)
{
	sh("set -e; d=\"$1/src-$2-$3-$4\"; mkdir -p \"$d/DEBIAN\" "
	   "\"$d/opt/$2\"; printf 'Package: %s\\nVersion: %s\\nArchitecture: "
	   "%s\\nMaintainer: Sluice Tests <tests@example.org>\\n' \"$2\" "
	   "\"$3\" \"$4\" >\"$d/DEBIAN/control\"; [ -z \"$5\" ] || printf "
	   "'Depends: %s\\n' \"$5\" >>\"$d/DEBIAN/control\"; echo "
	   "'Description: a sluice test package' >>\"$d/DEBIAN/control\"; "
	   "echo \"$3\" >\"$d/opt/$2/version-$4\"; dpkg-deb --build "
	   "--root-owner-group \"$d\" \"$1/$2_$3_$4.deb\" >/dev/null",
	   (const char *[]){dir, name, version, arch, depends ? depends : "",
	                    NULL});
}

#define DPKG_ROOT                                                              \
	"dpkg --root=\"$r\" --admindir=\"$r/var/lib/dpkg\" --instdir=\"$r\" "  \
	"--force-not-root --force-bad-path --log=/dev/null"

/* A test tree dir/root with a dpkg database holding the given packages
 * (file names under dir); foreign: an architecture to add first. */
static void
make_root(const char *dir, const char *foreign, const char *const *debs)
{
	char list[2048] = "";

	for (size_t i = 0; debs[i] != NULL; i++) {
		size_t used = strlen(list);
		snprintf(list + used, sizeof(list) - used, " \"%s/%s\"", dir,
		         debs[i]);
	}
	char script[4096];
	snprintf(script, sizeof(script),
	         "set -e; r=\"$1/root\"; mkdir -p \"$r/var/lib/dpkg/info\" "
	         "\"$r/var/lib/dpkg/updates\"; touch "
	         "\"$r/var/lib/dpkg/status\"; "
	         "[ -z \"$2\" ] || " DPKG_ROOT " --add-architecture \"$2\"; "
	         "%s",
	         list[0] ? DPKG_ROOT " -i" : "true");
	size_t used = strlen(script);
	snprintf(script + used, sizeof(script) - used, "%s >/dev/null", list);
	sh(script, (const char *[]){dir, foreign ? foreign : "", NULL});
}

/* An update of up to 4 .debs (already built under dir). */
struct deb_fixture {
	struct update u;
	struct update_file f[4];
	struct update_deb d[4];
	char names[4][128];
	char paths_b[4][PATH_MAX];
	const char *paths[4];
	char root[PATH_MAX];
};

static void
deb_update(struct deb_fixture *fx, const char *dir,
           const char *const (*debs)[3])
{
	struct err e;
	size_t i;

	memset(fx, 0, sizeof(*fx));
	snprintf(fx->u.id, sizeof(fx->u.id),
	         "0b5c6c1e-3c1a-4a52-9d1e-5b8e2f7a9c02");
	fx->u.revision = 1;
	fx->u.title = "acme 1.1";
	fx->u.install.handler = "deb";
	for (i = 0; debs[i][0] != NULL; i++) {
		snprintf(fx->names[i], sizeof(fx->names[i]), "%s_%s_%s.deb",
		         debs[i][0], debs[i][1], debs[i][2]);
		fx->d[i].package = (char *)debs[i][0];
		fx->d[i].version = (char *)debs[i][1];
		fx->d[i].arch = (char *)debs[i][2];
		fx->f[i].name = fx->names[i];
		fx->f[i].deb = &fx->d[i];
		assert_int_equal(fsx_join(fx->paths_b[i], PATH_MAX, dir,
		                          fx->names[i], &e),
		                 SL_OK);
		assert_int_equal(hash_file_hex(fx->paths_b[i], fx->f[i].sha256,
		                               &fx->f[i].size, &e),
		                 SL_OK);
		fx->paths[i] = fx->paths_b[i];
	}
	fx->u.files = fx->f;
	fx->u.n_files = i;
	snprintf(fx->root, sizeof(fx->root), "%s/root", dir);
}

static void
deb_job(struct install_job *job, struct deb_fixture *fx, const char *dir)
{
	static char work[PATH_MAX];

	memset(job, 0, sizeof(*job));
	snprintf(work, sizeof(work), "%s/work", dir);
	job->u = &fx->u;
	job->root = fx->root;
	job->paths = fx->paths;
	job->work_dir = work;
	job->default_timeout_s = 120;
	job->kill_grace_s = 1;
}

/* The version dpkg has installed under dir/root for key, or "-". */
static void
assert_installed(const char *dir, const char *key, const char *want)
{
	char path[PATH_MAX];
	struct dpkgdb *db;
	struct err e;
	const char *v;

	snprintf(path, sizeof(path), "%s/root/var/lib/dpkg/status", dir);
	assert_int_equal(dpkgdb_load(&db, path, &e), SL_OK);
	v = dpkgdb_version(db, key);
	if (strcmp(v ? v : "-", want) != 0)
		print_error("%s: %s, expected %s\n", key, v ? v : "-", want);
	assert_string_equal(v ? v : "-", want);
	dpkgdb_free(db);
}

static size_t
count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

static void
test_deb_upgrades_both_in_one_call(void **state)
{
	const char *dir = *state, *arch = native_arch();
	char key[128];
	struct deb_fixture fx;
	struct install_outcome oc;
	struct install_job job;
	struct err e;

	build_deb(dir, "acme-lib", "1.0", "all", NULL);
	build_deb(dir, "acme-tool", "1.0", arch, "acme-lib (>= 1.0)");
	build_deb(dir, "acme-lib", "1.1", "all", NULL);
	build_deb(dir, "acme-tool", "1.1", arch, "acme-lib (>= 1.1)");
	char tool10[128], tool11[128];
	snprintf(tool10, sizeof(tool10), "acme-tool_1.0_%s.deb", arch);
	snprintf(tool11, sizeof(tool11), "acme-tool_1.1_%s.deb", arch);
	make_root(dir, NULL,
	          (const char *[]){"acme-lib_1.0_all.deb", tool10, NULL});
	/* the tool first: dpkg sorts out the order within its transaction */
	deb_update(&fx, dir,
	           (const char *const[][3]){{"acme-tool", "1.1", arch},
	                                    {"acme-lib", "1.1", "all"},
	                                    {NULL, NULL, NULL}});
	deb_job(&job, &fx, dir);
	assert_int_equal(install_run(&oc, &job, &e), SL_OK);
	if (oc.result != INSTALL_SUCCESS)
		print_error("%s: %s\n", oc.detail, oc.output);
	assert_int_equal(oc.result, INSTALL_SUCCESS);
	assert_string_equal(oc.detail, "exit code 0");
	/* one dpkg run: the database is read once, both are unpacked */
	assert_int_equal(count(oc.output, "(Reading database"), 1);
	assert_non_null(
	        strstr(oc.output, "Unpacking acme-lib (1.1) over (1.0)"));
	assert_non_null(
	        strstr(oc.output, "Unpacking acme-tool (1.1) over (1.0)"));
	install_outcome_clear(&oc);
	assert_installed(dir, "acme-lib", "1.1");
	snprintf(key, sizeof(key), "acme-tool:%s", arch);
	assert_installed(dir, key, "1.1");
}

static void
test_deb_only_what_is_installed(void **state)
{
	const char *dir = *state, *arch = native_arch();
	struct deb_fixture fx;
	struct install_outcome oc;
	struct install_job job;
	char tool10[128], key[128];
	struct err e;

	build_deb(dir, "acme-lib", "1.1", arch, NULL);
	build_deb(dir, "acme-tool", "1.0", arch, NULL);
	build_deb(dir, "acme-tool", "1.1", arch, NULL);
	snprintf(tool10, sizeof(tool10), "acme-tool_1.0_%s.deb", arch);
	make_root(dir, NULL, (const char *[]){tool10, NULL});
	deb_update(&fx, dir,
	           (const char *const[][3]){{"acme-lib", "1.1", arch},
	                                    {"acme-tool", "1.1", arch},
	                                    {NULL, NULL, NULL}});
	deb_job(&job, &fx, dir);
	assert_int_equal(install_run(&oc, &job, &e), SL_OK);
	if (oc.result != INSTALL_SUCCESS)
		print_error("%s: %s\n", oc.detail, oc.output);
	assert_int_equal(oc.result, INSTALL_SUCCESS);
	assert_null(strstr(oc.output, "acme-lib"));
	install_outcome_clear(&oc);
	snprintf(key, sizeof(key), "acme-tool:%s", arch);
	assert_installed(dir, key, "1.1");
	snprintf(key, sizeof(key), "acme-lib:%s", arch);
	assert_installed(dir, key, "-");
}

static void
test_deb_foreign_arch(void **state)
{
	const char *dir = *state, *arch = native_arch();
	const char *foreign = strcmp(arch, "i386") == 0 ? "amd64" : "i386";
	char lib10[128], key[128];
	struct deb_fixture fx;
	struct install_outcome oc;
	struct install_job job;
	struct err e;

	build_deb(dir, "acme-lib", "1.0", foreign, NULL);
	build_deb(dir, "acme-lib", "1.1", foreign, NULL);
	build_deb(dir, "acme-lib", "1.1", arch, NULL);
	snprintf(lib10, sizeof(lib10), "acme-lib_1.0_%s.deb", foreign);
	make_root(dir, foreign, (const char *[]){lib10, NULL});
	deb_update(&fx, dir,
	           (const char *const[][3]){{"acme-lib", "1.1", arch},
	                                    {"acme-lib", "1.1", foreign},
	                                    {NULL, NULL, NULL}});
	deb_job(&job, &fx, dir);
	assert_int_equal(install_run(&oc, &job, &e), SL_OK);
	if (oc.result != INSTALL_SUCCESS)
		print_error("%s: %s\n", oc.detail, oc.output);
	assert_int_equal(oc.result, INSTALL_SUCCESS);
	install_outcome_clear(&oc);
	snprintf(key, sizeof(key), "acme-lib:%s", foreign);
	assert_installed(dir, key, "1.1");
	snprintf(key, sizeof(key), "acme-lib:%s", arch);
	assert_installed(dir, key, "-");
}

static void
test_deb_missing_dependency(void **state)
{
	const char *dir = *state, *arch = native_arch();
	struct deb_fixture fx;
	struct install_outcome oc;
	struct install_job job;
	char tool10[128];
	struct err e;

	build_deb(dir, "acme-tool", "1.0", arch, NULL);
	build_deb(dir, "acme-tool", "1.1", arch, "libfoo (>= 2)");
	snprintf(tool10, sizeof(tool10), "acme-tool_1.0_%s.deb", arch);
	make_root(dir, NULL, (const char *[]){tool10, NULL});
	deb_update(&fx, dir,
	           (const char *const[][3]){{"acme-tool", "1.1", arch},
	                                    {NULL, NULL, NULL}});
	deb_job(&job, &fx, dir);
	assert_int_equal(install_run(&oc, &job, &e), SL_OK);
	assert_int_equal(oc.result, INSTALL_FAILURE);
	assert_int_equal(oc.exit_code, 1);
	assert_string_equal(oc.detail, "acme-tool: depends on libfoo (>= 2): "
	                               "libfoo is not installed");
	install_outcome_clear(&oc);
}

static void
test_deb_nothing_to_install(void **state)
{
	const char *dir = *state, *arch = native_arch();
	struct deb_fixture fx;
	struct install_outcome oc;
	struct install_job job;
	char tool11[128], want[512];
	struct err e;

	build_deb(dir, "acme-lib", "1.1", arch, NULL);
	build_deb(dir, "acme-tool", "1.1", arch, NULL);
	snprintf(tool11, sizeof(tool11), "acme-tool_1.1_%s.deb", arch);
	make_root(dir, NULL, (const char *[]){tool11, NULL});
	deb_update(&fx, dir,
	           (const char *const[][3]){{"acme-lib", "1.1", arch},
	                                    {"acme-tool", "1.1", arch},
	                                    {NULL, NULL, NULL}});
	deb_job(&job, &fx, dir);
	assert_int_equal(install_run(&oc, &job, &e), SL_OK);
	assert_int_equal(oc.result, INSTALL_FAILURE);
	assert_int_equal(oc.exit_code, -1);
	snprintf(want, sizeof(want),
	         "deb: nothing to install: no package of the update is "
	         "installed in an older version (acme-lib:%s not installed; "
	         "acme-tool:%s 1.1 installed)",
	         arch, arch);
	assert_string_equal(oc.detail, want);
	install_outcome_clear(&oc);

	/* Removing is not something this handler does. */
	job.uninstall = true;
	assert_int_equal(install_run(&oc, &job, &e), SL_OK);
	assert_int_equal(oc.result, INSTALL_FAILURE);
	assert_string_equal(oc.detail,
	                    "deb: an update of Debian packages cannot be "
	                    "removed (a downgrade is not a Debian operation)");
	install_outcome_clear(&oc);
}

/* An apt archive of dir/REPO's .debs (a flat file: repository with a
 * Packages file written here) that the test tree's apt knows, and its
 * lists fetched, as the agent's apt-get will see them. */
static void
make_apt_archive(const char *dir)
{
	sh("set -e; r=\"$1/root\"; repo=\"$1/repo\"; cd \"$repo\"; "
	   ": >Packages; for f in *.deb; do dpkg-deb -f \"$f\" Package "
	   "Version Architecture Maintainer Description >>Packages; printf "
	   "'Filename: ./%s\\nSize: %s\\nSHA256: %s\\n\\n' \"$f\" "
	   "\"$(stat -c %s \"$f\")\" \"$(sha256sum \"$f\" | cut -d' ' -f1)\" "
	   ">>Packages; done; mkdir -p \"$r/etc/apt/sources.list.d\" "
	   "\"$r/etc/apt/apt.conf.d\" \"$r/etc/apt/preferences.d\" "
	   "\"$r/var/lib/apt/lists/partial\" "
	   "\"$r/var/cache/apt/archives/partial\"; echo \"deb [trusted=yes] "
	   "file:$repo ./\" >\"$r/etc/apt/sources.list\"; apt-get "
	   "-oDir=\"$r\" -oDir::State::status=\"$r/var/lib/dpkg/status\" "
	   "-oDir::Etc::sourceparts=\"$r/etc/apt/sources.list.d\" "
	   "-oDir::Etc::parts=\"$r/etc/apt/apt.conf.d\" "
	   "-oDir::Etc::preferencesparts=\"$r/etc/apt/preferences.d\" "
	   "-oAPT::Sandbox::User=root -oDebug::NoLocking=1 update >/dev/null",
	   (const char *[]){dir, NULL});
}

static void
test_deb_apt_fetches_dependencies(void **state)
{
	const char *dir = *state, *arch = native_arch();
	struct deb_fixture fx;
	struct install_outcome oc;
	struct install_job job;
	char tool10[128], repo[PATH_MAX], key[128];
	struct err e;

	build_deb(dir, "acme-tool", "1.0", arch, NULL);
	build_deb(dir, "acme-tool", "1.2", arch, "libfoo (>= 2)");
	build_deb(dir, "acme-tool", "1.3", arch, "libbar");
	snprintf(repo, sizeof(repo), "%s/repo", dir);
	assert_int_equal(mkdir(repo, 0755), 0);
	build_deb(repo, "libfoo", "2.0", arch, NULL);
	snprintf(tool10, sizeof(tool10), "acme-tool_1.0_%s.deb", arch);
	make_root(dir, NULL, (const char *[]){tool10, NULL});
	make_apt_archive(dir);

	/* libfoo comes from the archive, in the same apt-get run */
	deb_update(&fx, dir,
	           (const char *const[][3]){{"acme-tool", "1.2", arch},
	                                    {NULL, NULL, NULL}});
	deb_job(&job, &fx, dir);
	job.deb_apt = true;
	assert_int_equal(install_run(&oc, &job, &e), SL_OK);
	if (oc.result != INSTALL_SUCCESS)
		print_error("%s: %s\n", oc.detail, oc.output);
	assert_int_equal(oc.result, INSTALL_SUCCESS);
	install_outcome_clear(&oc);
	snprintf(key, sizeof(key), "acme-tool:%s", arch);
	assert_installed(dir, key, "1.2");
	snprintf(key, sizeof(key), "libfoo:%s", arch);
	assert_installed(dir, key, "2.0");

	/* what the archive does not have is named */
	deb_update(&fx, dir,
	           (const char *const[][3]){{"acme-tool", "1.3", arch},
	                                    {NULL, NULL, NULL}});
	deb_job(&job, &fx, dir);
	job.deb_apt = true;
	assert_int_equal(install_run(&oc, &job, &e), SL_OK);
	assert_int_equal(oc.result, INSTALL_FAILURE);
	assert_string_equal(oc.detail, "acme-tool: depends on libbar but it "
	                               "is not installable");
	install_outcome_clear(&oc);
}

static void
test_deb_explain(void **state)
{
	char d[ERR_MSG_MAX];

	(void)state;
	install_deb_explain(
	        d, sizeof(d),
	        "Unpacking acme-tool (1.1) over (1.0) ...\n"
	        "dpkg: regarding .../acme-lib_1.1_amd64.deb containing "
	        "acme-lib:\n"
	        " acme-lib conflicts with other\n"
	        "  other (version 1.0) is present and installed.\n"
	        "\n"
	        "dpkg: error processing archive "
	        "/w/acme-lib_1.1_amd64.deb (--install):\n"
	        " conflicting packages - not installing acme-lib\n"
	        "dpkg: dependency problems prevent configuration of "
	        "acme-tool:\n"
	        " acme-tool depends on libfoo (>= 2) | libbar; however:\n"
	        "  Package libfoo is not installed.\n"
	        "  Package libbar is not installed.\n"
	        " acme-tool depends on acme-lib (>= 1.1); however:\n"
	        "  Version of acme-lib on system is 1.0.\n"
	        "\n"
	        "dpkg: error processing package acme-tool (--install):\n"
	        " dependency problems - leaving unconfigured\n"
	        "dpkg: error processing archive /w/x.deb (--install):\n"
	        " cannot access archive '/w/x.deb': No such file or directory\n"
	        "Errors were encountered while processing:\n"
	        " acme-lib_1.1_amd64.deb\n"
	        " acme-tool\n",
	        1);
	assert_string_equal(
	        d, "acme-lib: conflicts with other: other (version 1.0) is "
	           "present and installed; acme-tool: depends on libfoo (>= 2) "
	           "| libbar: libfoo is not installed, libbar is not "
	           "installed; acme-tool: depends on acme-lib (>= 1.1): "
	           "version of acme-lib on system is 1.0; x.deb: cannot access "
	           "archive '/w/x.deb': No such file or directory");
	install_deb_explain(d, sizeof(d),
	                    "dpkg: error: need an action option\n", 2);
	assert_string_equal(d, "dpkg: need an action option");
	install_deb_explain(d, sizeof(d), "something else\n", 3);
	assert_string_equal(d, "dpkg exit code 3");
	install_deb_explain(d, 8, "dpkg: error: need an action option\n", 2);
	assert_string_equal(d, "dpkg: n");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_map_exit),
	        cmocka_unit_test(test_proc_capture),
	        cmocka_unit_test(test_proc_truncates),
	        cmocka_unit_test(test_proc_timeout_kills_group),
	        cmocka_unit_test(test_proc_stdin_and_leftovers),
	        cmocka_unit_test(test_proc_exec_failure),
	        cmocka_unit_test(test_utf8_sanitize),
	        cmocka_unit_test_setup_teardown(test_script_handler, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_command_handler, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_timeout_and_errors, setup,
	                                        teardown),
	        cmocka_unit_test(test_deb_explain),
	        cmocka_unit_test_setup_teardown(
	                test_deb_upgrades_both_in_one_call, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_deb_only_what_is_installed,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(test_deb_foreign_arch, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_deb_missing_dependency,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(test_deb_nothing_to_install,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(
	                test_deb_apt_fetches_dependencies, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
