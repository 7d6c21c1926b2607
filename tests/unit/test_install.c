/* Unit tests for the agent's install handlers and process runner: exit
 * code mapping, output capture and its cap, timeouts, exec failures, and
 * real small scripts run through the command and script handlers. */
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
