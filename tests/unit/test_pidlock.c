/*
 * Unit tests for pidlock: the lock file holds our PID; a second holder
 * (another process: fcntl locks are per process) is refused with a
 * message naming our PID; release lets it in; a missing directory is an
 * I/O error naming the file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pidlock.h"

static char tmp[64];

static int
setup(void **state)
{
	(void)state;
	snprintf(tmp, sizeof(tmp), "/tmp/sluice-test-pidlock.XXXXXX");
	assert_non_null(mkdtemp(tmp));
	return 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
	assert_int_equal(system(cmd), 0);
	return 0;
}

/* Try the lock in a child process; its status: 0 taken, 1 refused with
 * the expected message, 2 anything else. */
static int
child_try(const char *want_msg)
{
	struct pidlock *l = NULL;
	struct err e;
	pid_t pid;
	int st, rc;

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		err_clear(&e);
		rc = pidlock_acquire(&l, tmp, "x.pid", &e);
		if (rc == SL_OK)
			_exit(0);
		_exit(rc == SL_ECONFLICT && strcmp(e.msg, want_msg) == 0 ? 1
		                                                         : 2);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	return WEXITSTATUS(st);
}

static void
test_lock(void **state)
{
	struct pidlock *l = NULL;
	char path[128], want[256], buf[32] = {0};
	struct err e;
	FILE *f;

	(void)state;
	err_clear(&e);
	assert_int_equal(pidlock_acquire(&l, tmp, "x.pid", &e), SL_OK);
	assert_non_null(l);
	snprintf(path, sizeof(path), "%s/x.pid", tmp);
	assert_non_null(f = fopen(path, "r"));
	assert_non_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	assert_int_equal(strtol(buf, NULL, 10), (long)getpid());

	snprintf(want, sizeof(want), "%s is in use by PID %ld (lock %s)", tmp,
	         (long)getpid(), path);
	assert_int_equal(child_try(want), 1);
	pidlock_release(l);
	assert_int_equal(child_try(want), 0);
	pidlock_release(NULL);
}

static void
test_no_dir(void **state)
{
	struct pidlock *l = NULL;
	char dir[128], want[256];
	struct err e;

	(void)state;
	err_clear(&e);
	snprintf(dir, sizeof(dir), "%s/missing", tmp);
	assert_int_equal(pidlock_acquire(&l, dir, "x.pid", &e), SL_EIO);
	assert_null(l);
	snprintf(want, sizeof(want), "lock %s/x.pid: No such file or directory",
	         dir);
	assert_string_equal(e.msg, want);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_lock, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_no_dir, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
