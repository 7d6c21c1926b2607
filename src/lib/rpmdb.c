/*
 * rpmdb: runs rpm -q for one package and captures its (capped) output.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "rpmdb.h"

#define RPM_OUTPUT_CAP (64 * 1024)
#define RPM_TIMEOUT_MS 60000

/* Find rpm on PATH into path; false when there is none. */
static bool
find_rpm(char *path, size_t n)
{
	const char *p = getenv("PATH"), *end;

	if (p == NULL)
		p = "/usr/bin:/bin";
	for (; *p != '\0'; p = *end ? end + 1 : end) {
		end = strchr(p, ':');
		if (end == NULL)
			end = p + strlen(p);
		if (end == p)
			continue;
		if ((size_t)snprintf(path, n, "%.*s/rpm", (int)(end - p), p) >=
		    n)
			continue;
		if (access(path, X_OK) == 0)
			return true;
	}
	return false;
}

bool
rpmdb_available(void)
{
	char path[PATH_MAX];

	return find_rpm(path, sizeof(path));
}

static long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
rpmdb_query(char **out, const char *root, const char *package, struct err *e)
{
	char rpm[PATH_MAX], chunk[4096];
	const char *argv[10];
	struct buf b;
	struct pollfd pfd;
	int fds[2] = {-1, -1}, status, rc = SL_OK, devnull;
	long deadline;
	pid_t pid = -1;
	ssize_t n;

	buf_init(&b, RPM_OUTPUT_CAP);
	*out = NULL;
	if (package == NULL || package[0] == '\0' || package[0] == '-')
		return err_set(e, SL_EINVAL, "bad package name");
	if (!find_rpm(rpm, sizeof(rpm)))
		return err_set(e, SL_EUNSUPPORTED, "rpm is not available");
	argv[0] = "rpm";
	argv[1] = "--root";
	argv[2] = root != NULL && root[0] != '\0' ? root : "/";
	argv[3] = "-q";
	argv[4] = "--qf";
	argv[5] = "%{EPOCH}:%{VERSION}-%{RELEASE}\\n";
	argv[6] = "--";
	argv[7] = package;
	argv[8] = NULL;
	if (pipe2(fds, O_CLOEXEC) != 0)
		return err_set(e, SL_EIO, "pipe: %s", strerror(errno));
	if ((pid = fork()) < 0) {
		rc = err_set(e, SL_EIO, "fork: %s", strerror(errno));
		goto out;
	}
	if (pid == 0) {
		devnull = open("/dev/null", O_RDWR);
		if (devnull < 0 || dup2(devnull, 0) < 0 ||
		    dup2(fds[1], 1) < 0 || dup2(devnull, 2) < 0)
			_exit(127);
		execv(rpm, (char *const *)argv);
		_exit(127);
	}
	close(fds[1]);
	fds[1] = -1;
	deadline = now_ms() + RPM_TIMEOUT_MS;
	for (;;) {
		long left = deadline - now_ms();

		if (left <= 0) {
			rc = err_set(e, SL_ETIMEOUT, "rpm did not finish");
			goto out;
		}
		pfd = (struct pollfd){.fd = fds[0], .events = POLLIN};
		if (poll(&pfd, 1, (int)left) < 0) {
			if (errno == EINTR)
				continue;
			rc = err_set(e, SL_EIO, "poll: %s", strerror(errno));
			goto out;
		}
		n = read(fds[0], chunk, sizeof(chunk));
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0) {
			rc = err_set(e, SL_EIO, "reading rpm output: %s",
			             strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		if ((rc = buf_append(&b, chunk, (size_t)n, e)) != SL_OK) {
			err_prefix(e, "rpm output");
			goto out;
		}
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			rc = err_set(e, SL_EIO, "waitpid: %s", strerror(errno));
			goto out;
		}
	}
	pid = -1;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
		rc = err_set(e, SL_EIO, "cannot run %s", rpm);
		goto out;
	}
	/* rpm -q exits 1 when the package is not installed */
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && b.len > 0)
		*out = buf_steal(&b, NULL);
out:
	if (pid > 0) {
		kill(pid, SIGKILL);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	}
	if (fds[0] >= 0)
		close(fds[0]);
	if (fds[1] >= 0)
		close(fds[1]);
	buf_free(&b);
	return rc;
}
