/*
 * pidlock: an open-file-description lock (F_OFD_SETLK) on a PID file. Not
 * a classic POSIX record lock: the process would lose that one whenever
 * any of its code opened and closed the same file. The holder's PID is
 * read from the file, which the holder writes right after locking.
 */
#include "pidlock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct pidlock {
	int fd;
};

int
pidlock_acquire(struct pidlock **out, const char *dir, const char *name,
                struct err *e)
{
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
	struct pidlock *l = NULL;
	char path[4096], pid[32];
	int fd = -1, rc, n;
	long holder;

	n = snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (n < 0 || (size_t)n >= sizeof(path))
		return err_set(e, SL_ETOOBIG, "lock file path too long");
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return err_set(e, SL_EIO, "lock %s: %s", path, strerror(errno));
	if (fcntl(fd, F_OFD_SETLK, &fl) != 0) {
		if (errno != EACCES && errno != EAGAIN) {
			rc = err_set(e, SL_EIO, "lock %s: %s", path,
			             strerror(errno));
			goto out;
		}
		memset(pid, 0, sizeof(pid));
		holder = 0;
		if (pread(fd, pid, sizeof(pid) - 1, 0) > 0)
			holder = strtol(pid, NULL, 10);
		if (holder > 0)
			rc = err_set(e, SL_ECONFLICT,
			             "%s is in use by PID %ld (lock %s)", dir,
			             holder, path);
		else
			rc = err_set(e, SL_ECONFLICT,
			             "%s is in use by another process (lock "
			             "%s)",
			             dir, path);
		goto out;
	}
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)n, 0) != n) {
		rc = err_set(e, SL_EIO, "write %s: %s", path, strerror(errno));
		goto out;
	}
	l = malloc(sizeof(*l));
	if (l == NULL) {
		rc = err_set(e, SL_ENOMEM, "out of memory");
		goto out;
	}
	l->fd = fd;
	fd = -1;
	*out = l;
	rc = SL_OK;
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

void
pidlock_release(struct pidlock *l)
{
	if (l == NULL)
		return;
	close(l->fd);
	free(l);
}
