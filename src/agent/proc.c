/*
 * proc: fork/exec with a timeout and bounded output capture (see proc.h).
 */
#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"

extern char **environ;

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
proc_utf8_sanitize(char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		unsigned char c = (unsigned char)s[i];
		size_t n = 0;
		uint32_t cp = 0;

		if (c == 0) {
			s[i++] = '?';
			continue;
		}
		if (c < 0x80) {
			i++;
			continue;
		}
		if ((c & 0xe0) == 0xc0) {
			n = 1;
			cp = c & 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			n = 2;
			cp = c & 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			n = 3;
			cp = c & 0x07;
		}
		bool ok = n > 0;
		for (size_t k = 1; ok && k <= n; k++) {
			if (i + k >= len ||
			    ((unsigned char)s[i + k] & 0xc0) != 0x80)
				ok = false;
			else
				cp = (cp << 6) |
				     ((unsigned char)s[i + k] & 0x3f);
		}
		/* Overlong forms, surrogates and values past U+10FFFF. */
		if (ok && ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) ||
		           (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
		           (cp >= 0xd800 && cp <= 0xdfff)))
			ok = false;
		if (!ok) {
			s[i++] = '?';
			continue;
		}
		i += n + 1;
	}
}

/* environ plus the additions (an addition replaces the same name). */
static char **
make_env(char *const *add)
{
	size_t n = 0, m = 0, k = 0;
	char **env;

	while (environ && environ[n])
		n++;
	while (add && add[m])
		m++;
	if ((env = calloc(n + m + 1, sizeof(*env))) == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		const char *eq = strchr(environ[i], '=');
		size_t nl = eq ? (size_t)(eq - environ[i]) : strlen(environ[i]);
		bool replaced = false;
		for (size_t j = 0; j < m; j++)
			if (strncmp(add[j], environ[i], nl) == 0 &&
			    add[j][nl] == '=')
				replaced = true;
		if (!replaced)
			env[k++] = environ[i];
	}
	for (size_t j = 0; j < m; j++)
		env[k++] = add[j];
	env[k] = NULL;
	return env;
}

/* In the child: never returns. Reports an exec failure's errno on errfd. */
static void
child(const struct proc_spec *sp, char **env, int outfd, int errfd)
{
	int nullfd, err;

	setpgid(0, 0);
	signal(SIGPIPE, SIG_DFL);
	nullfd = open("/dev/null", O_RDONLY);
	if (nullfd >= 0) {
		dup2(nullfd, 0);
		close(nullfd);
	}
	dup2(outfd, 1);
	dup2(outfd, 2);
	if (outfd > 2)
		close(outfd);
	if (sp->cwd != NULL && chdir(sp->cwd) != 0) {
		err = errno;
		(void)!write(errfd, &err, sizeof(err));
		_exit(127);
	}
	execvpe(sp->argv[0], sp->argv, env);
	err = errno;
	(void)!write(errfd, &err, sizeof(err));
	_exit(127);
}

/* Keep the first cap bytes; note that more came. */
static void
capture(struct buf *b, size_t cap, bool *truncated, const char *data, size_t n)
{
	size_t room = b->len < cap ? cap - b->len : 0;

	if (n > room) {
		*truncated = true;
		n = room;
	}
	if (n > 0)
		buf_append(b, data, n, NULL);
}

int
proc_run(struct proc_result *out, const struct proc_spec *sp, struct err *e)
{
	size_t cap = sp->output_cap ? sp->output_cap : PROC_OUTPUT_CAP;
	int grace = sp->kill_grace_s > 0 ? sp->kill_grace_s : 2;
	int pout[2] = {-1, -1}, perr[2] = {-1, -1};
	long long deadline, kill_at = 0;
	bool truncated = false, eof = false, reaped = false, termed = false;
	char **env = NULL, chunk[8192];
	struct proc_result r;
	struct buf b;
	int status = 0, exec_errno = 0, rc = SL_OK;
	pid_t pid = -1;
	ssize_t got;

	memset(&r, 0, sizeof(r));
	buf_init(&b, cap + sizeof(PROC_TRUNCATED));
	if ((env = make_env(sp->env_add)) == NULL) {
		rc = err_set(e, SL_ENOMEM, "out of memory");
		goto out;
	}
	if (pipe2(pout, O_CLOEXEC) != 0 || pipe2(perr, O_CLOEXEC) != 0) {
		rc = err_set(e, SL_EIO, "pipe: %s", strerror(errno));
		goto out;
	}
	if ((pid = fork()) < 0) {
		rc = err_set(e, SL_EIO, "fork: %s", strerror(errno));
		goto out;
	}
	if (pid == 0)
		child(sp, env, pout[1], perr[1]);
	/* Also in the parent, so the group exists before any kill(-pid). */
	setpgid(pid, pid);
	close(pout[1]);
	close(perr[1]);
	pout[1] = perr[1] = -1;
	/* The error pipe closes on a successful exec (O_CLOEXEC). */
	if (read(perr[0], &exec_errno, sizeof(exec_errno)) ==
	    (ssize_t)sizeof(exec_errno)) {
		waitpid(pid, &status, 0);
		rc = err_set(e, exec_errno == ENOENT ? SL_ENOTFOUND : SL_EIO,
		             "cannot run %s: %s", sp->argv[0],
		             strerror(exec_errno));
		goto out;
	}
	fcntl(pout[0], F_SETFL, O_NONBLOCK);
	deadline = now_ms() + (long long)sp->timeout_s * 1000;
	while (!reaped) {
		long long now = now_ms();
		struct pollfd pfd = {pout[0], POLLIN, 0};
		int wait_ms = 100;

		if (!termed && now >= deadline) {
			r.timed_out = true;
			kill(-pid, SIGTERM);
			termed = true;
			kill_at = now + (long long)grace * 1000;
		} else if (termed && kill_at && now >= kill_at) {
			kill(-pid, SIGKILL);
			kill_at = 0;
		}
		if (!eof && poll(&pfd, 1, wait_ms) > 0) {
			while ((got = read(pout[0], chunk, sizeof(chunk))) > 0)
				capture(&b, cap, &truncated, chunk,
				        (size_t)got);
			if (got == 0)
				eof = true;
		} else if (eof) {
			struct timespec ts = {0, 20 * 1000 * 1000};
			nanosleep(&ts, NULL);
		}
		if (waitpid(pid, &status, WNOHANG) == pid)
			reaped = true;
	}
	/* What the program wrote before it exited is in the pipe; processes it
	 * left behind may keep the pipe open, so read only what is there. */
	while (!eof && (got = read(pout[0], chunk, sizeof(chunk))) > 0)
		capture(&b, cap, &truncated, chunk, (size_t)got);
	if (WIFEXITED(status) && !r.timed_out) {
		r.exited = true;
		r.exit_code = WEXITSTATUS(status);
	} else {
		r.exit_code = -1;
		r.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
	}
	if (r.timed_out)
		kill(-pid, SIGKILL);
	r.truncated = truncated;
	if (truncated) {
		/* The marker fits inside the cap: keep fewer bytes. */
		size_t keep = cap > strlen(PROC_TRUNCATED)
		                      ? cap - strlen(PROC_TRUNCATED)
		                      : 0;
		if (b.len > keep) {
			b.len = keep;
			b.data[keep] = '\0';
		}
		buf_puts(&b, PROC_TRUNCATED, NULL);
	}
	r.output = buf_steal(&b, &r.output_len);
	if (r.output == NULL) {
		rc = err_set(e, SL_ENOMEM, "out of memory");
		goto out;
	}
	proc_utf8_sanitize(r.output, r.output_len);
	*out = r;
out:
	if (pout[0] >= 0)
		close(pout[0]);
	if (pout[1] >= 0)
		close(pout[1]);
	if (perr[0] >= 0)
		close(perr[0]);
	if (perr[1] >= 0)
		close(perr[1]);
	free(env);
	buf_free(&b);
	return rc;
}

void
proc_result_clear(struct proc_result *r)
{
	if (r == NULL)
		return;
	free(r->output);
	memset(r, 0, sizeof(*r));
}
