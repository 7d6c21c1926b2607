/*
 * fsx: crash-safe file writes and bounded reads.
 */
#include "fsx.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int
fsx_read(const char *path, size_t cap, char **out, size_t *len, struct err *e)
{
	struct stat st;
	char *p = NULL;
	size_t have = 0;
	ssize_t n;
	int fd, rc = SL_OK;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return err_set(e, errno == ENOENT ? SL_ENOTFOUND : SL_EIO,
		               "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0) {
		rc = err_set(e, SL_EIO, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = err_set(e, SL_EIO, "%s: not a regular file", path);
		goto out;
	}
	if ((uint64_t)st.st_size > cap) {
		rc = err_set(e, SL_ETOOBIG, "%s: larger than %zu bytes", path,
		             cap);
		goto out;
	}
	if ((p = malloc((size_t)st.st_size + 1)) == NULL) {
		rc = err_set(e, SL_ENOMEM, "out of memory");
		goto out;
	}
	while (have < (size_t)st.st_size) {
		n = read(fd, p + have, (size_t)st.st_size - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = err_set(e, SL_EIO, "%s: %s", path,
			             strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		have += (size_t)n;
	}
	p[have] = '\0';
	*out = p;
	p = NULL;
	if (len != NULL)
		*len = have;
out:
	free(p);
	close(fd);
	return rc;
}

static int
write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Open a fresh temporary file beside path; tmp receives its name. */
static int
open_temp(const char *path, mode_t mode, char *tmp, size_t n, struct err *e)
{
	int fd;

	if ((size_t)snprintf(tmp, n, "%s.tmp.XXXXXX", path) >= n)
		return err_set(e, SL_ETOOBIG, "%s: path too long", path);
	if ((fd = mkstemp(tmp)) < 0)
		return err_set(e, SL_EIO, "%s: %s", tmp, strerror(errno));
	if (fchmod(fd, mode) < 0) {
		err_set(e, SL_EIO, "%s: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		return SL_EIO;
	}
	return fd;
}

static int fail_countdown;

void
fsx_inject_failure(int nth)
{
	fail_countdown = nth;
}

/* fsync + close + rename tmp over path + fsync the directory. */
static int
commit_temp(int fd, const char *tmp, const char *path, struct err *e)
{
	if (fail_countdown > 0 && --fail_countdown == 0) {
		close(fd);
		unlink(tmp);
		return err_set(e, SL_EIO, "%s: injected failure", path);
	}
	if (fsync(fd) < 0) {
		err_set(e, SL_EIO, "%s: fsync: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		return SL_EIO;
	}
	if (close(fd) < 0) {
		unlink(tmp);
		return err_set(e, SL_EIO, "%s: close: %s", tmp,
		               strerror(errno));
	}
	if (rename(tmp, path) < 0) {
		err_set(e, SL_EIO, "%s: rename: %s", path, strerror(errno));
		unlink(tmp);
		return SL_EIO;
	}
	return fsx_sync_parent(path, e);
}

int
fsx_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
                 struct err *e)
{
	char tmp[4096];
	int fd;

	if ((fd = open_temp(path, mode, tmp, sizeof(tmp), e)) < 0)
		return fd;
	if (write_all(fd, data, len) < 0) {
		err_set(e, SL_EIO, "%s: write: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		return SL_EIO;
	}
	return commit_temp(fd, tmp, path, e);
}

int
fsx_write_unsynced(const char *path, const void *data, size_t len, mode_t mode,
                   struct err *e)
{
	char tmp[4096];
	int fd;

	if ((fd = open_temp(path, mode, tmp, sizeof(tmp), e)) < 0)
		return fd;
	if (fail_countdown > 0 && --fail_countdown == 0) {
		close(fd);
		unlink(tmp);
		return err_set(e, SL_EIO, "%s: injected failure", path);
	}
	if (write_all(fd, data, len) < 0) {
		err_set(e, SL_EIO, "%s: write: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		return SL_EIO;
	}
	if (close(fd) < 0) {
		err_set(e, SL_EIO, "%s: close: %s", tmp, strerror(errno));
		unlink(tmp);
		return SL_EIO;
	}
	if (rename(tmp, path) < 0) {
		err_set(e, SL_EIO, "%s: rename: %s", path, strerror(errno));
		unlink(tmp);
		return SL_EIO;
	}
	return SL_OK;
}

int
fsx_syncfs(const char *path, struct err *e)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return err_set(e, SL_EIO, "open %s: %s", path, strerror(errno));
	if (syncfs(fd) < 0) {
		close(fd);
		return err_set(e, SL_EIO, "syncfs %s: %s", path,
		               strerror(errno));
	}
	close(fd);
	return SL_OK;
}

int
fsx_copy_atomic(const char *src, const char *dst, const char *want_sha256,
                char sha_out[HASH_HEX_LEN + 1], uint64_t *size_out,
                struct err *e)
{
	char tmp[4096], hex[HASH_HEX_LEN + 1];
	unsigned char b[65536];
	struct hash_ctx h;
	uint64_t total = 0;
	int in, fd, rc;
	ssize_t n;

	if ((in = open(src, O_RDONLY | O_CLOEXEC)) < 0)
		return err_set(e, errno == ENOENT ? SL_ENOTFOUND : SL_EIO,
		               "%s: %s", src, strerror(errno));
	if ((fd = open_temp(dst, 0644, tmp, sizeof(tmp), e)) < 0) {
		close(in);
		return fd;
	}
	hash_init(&h);
	while ((n = read(in, b, sizeof(b))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || write_all(fd, b, (size_t)n) < 0) {
			rc = err_set(e, SL_EIO, "copy %s: %s", src,
			             strerror(errno));
			goto fail;
		}
		hash_update(&h, b, (size_t)n);
		total += (uint64_t)n;
	}
	hash_final_hex(&h, hex);
	if (want_sha256 != NULL && strcmp(hex, want_sha256) != 0) {
		rc = err_set(e, SL_EVERIFY,
		             "%s: SHA-256 %s does not match expected %s", src,
		             hex, want_sha256);
		goto fail;
	}
	close(in);
	if ((rc = commit_temp(fd, tmp, dst, e)) != SL_OK)
		return rc;
	if (sha_out != NULL)
		memcpy(sha_out, hex, sizeof(hex));
	if (size_out != NULL)
		*size_out = total;
	return SL_OK;
fail:
	close(in);
	close(fd);
	unlink(tmp);
	return rc;
}

int
fsx_mkdirs(const char *path, mode_t mode, struct err *e)
{
	char p[4096];
	size_t len = strlen(path);

	if (len == 0 || len >= sizeof(p))
		return err_set(e, SL_EINVAL, "bad directory path");
	memcpy(p, path, len + 1);
	for (size_t i = 1; i <= len; i++) {
		if (p[i] != '/' && p[i] != '\0')
			continue;
		char c = p[i];
		p[i] = '\0';
		if (mkdir(p, mode) < 0 && errno != EEXIST)
			return err_set(e, SL_EIO, "mkdir %s: %s", p,
			               strerror(errno));
		p[i] = c;
	}
	return SL_OK;
}

int
fsx_sync_parent(const char *path, struct err *e)
{
	char copy[4096];
	int fd;

	if (strlen(path) >= sizeof(copy))
		return err_set(e, SL_ETOOBIG, "path too long");
	memcpy(copy, path, strlen(path) + 1);
	if ((fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return err_set(e, SL_EIO, "open directory of %s: %s", path,
		               strerror(errno));
	if (fsync(fd) < 0 && errno != EINVAL) {
		close(fd);
		return err_set(e, SL_EIO, "fsync directory of %s: %s", path,
		               strerror(errno));
	}
	close(fd);
	return SL_OK;
}

bool
fsx_exists(const char *path)
{
	return access(path, F_OK) == 0;
}

int
fsx_join(char *out, size_t n, const char *a, const char *b, struct err *e)
{
	if ((size_t)snprintf(out, n, "%s/%s", a, b) >= n)
		return err_set(e, SL_ETOOBIG, "path too long: %s/%s", a, b);
	return SL_OK;
}
