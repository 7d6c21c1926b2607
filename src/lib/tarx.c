/*
 * tarx: a ustar writer and a cautious extractor (see tarx.h). Only what an
 * export archive needs: the reader accepts regular files ('0' or NUL) and
 * directories ('5') and refuses every other member type.
 */
#include "tarx.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsx.h"

#define BLOCK 512

struct tarx_writer {
	int fd;
	char *path;
};

static int
write_all(int fd, const void *p, size_t n, const char *path, struct err *e)
{
	const char *c = p;

	while (n > 0) {
		ssize_t w = write(fd, c, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return err_set(e, SL_EIO, "%s: write: %s", path,
			               strerror(errno));
		c += w;
		n -= (size_t)w;
	}
	return SL_OK;
}

int
tarx_writer_open(struct tarx_writer **out, const char *path, struct err *e)
{
	struct tarx_writer *w = calloc(1, sizeof(*w));

	if (w == NULL || (w->path = strdup(path)) == NULL) {
		free(w);
		return err_set(e, SL_ENOMEM, "out of memory");
	}
	w->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (w->fd < 0) {
		int rc = err_set(e, SL_EIO, "%s: %s", path, strerror(errno));

		free(w->path);
		free(w);
		return rc;
	}
	*out = w;
	return SL_OK;
}

static void
octal(char *field, size_t width, uint64_t v)
{
	/* width - 1 digits, then NUL */
	field[width - 1] = '\0';
	for (size_t i = width - 1; i > 0; i--) {
		field[i - 1] = (char)('0' + (v & 7));
		v >>= 3;
	}
}

static int
header(struct tarx_writer *w, const char *name, uint64_t size, struct err *e)
{
	unsigned char h[BLOCK];
	unsigned sum = 0;
	size_t n = strlen(name);

	if (n == 0 || n > TARX_NAME_MAX)
		return err_set(e, SL_EINVAL,
		               "%s: member name '%s': 1 to %d "
		               "bytes",
		               w->path, name, TARX_NAME_MAX);
	if (size >= (1ull << 33))
		return err_set(e, SL_ETOOBIG, "%s: member '%s': over 8 GiB",
		               w->path, name);
	memset(h, 0, sizeof(h));
	memcpy(h, name, n);
	octal((char *)h + 100, 8, 0644);
	octal((char *)h + 108, 8, 0);
	octal((char *)h + 116, 8, 0);
	octal((char *)h + 124, 12, size);
	octal((char *)h + 136, 12, 0);
	h[156] = '0';
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	memset(h + 148, ' ', 8);
	for (size_t i = 0; i < BLOCK; i++)
		sum += h[i];
	octal((char *)h + 148, 7, sum);
	h[155] = ' ';
	return write_all(w->fd, h, sizeof(h), w->path, e);
}

static int
pad(struct tarx_writer *w, uint64_t size, struct err *e)
{
	static const char zero[BLOCK];
	size_t r = (size_t)(size % BLOCK);

	return r == 0 ? SL_OK : write_all(w->fd, zero, BLOCK - r, w->path, e);
}

int
tarx_add_bytes(struct tarx_writer *w, const char *name, const void *data,
               size_t len, struct err *e)
{
	int rc;

	if ((rc = header(w, name, len, e)) != SL_OK ||
	    (rc = write_all(w->fd, data, len, w->path, e)) != SL_OK)
		return rc;
	return pad(w, len, e);
}

int
tarx_add_file(struct tarx_writer *w, const char *name, const char *src,
              struct err *e)
{
	struct stat st;
	char buf[65536];
	uint64_t left;
	int fd, rc;

	if ((fd = open(src, O_RDONLY | O_CLOEXEC)) < 0)
		return err_set(e, errno == ENOENT ? SL_ENOTFOUND : SL_EIO,
		               "%s: %s", src, strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		rc = err_set(e, SL_EIO, "%s: not a regular file", src);
		goto out;
	}
	if ((rc = header(w, name, (uint64_t)st.st_size, e)) != SL_OK)
		goto out;
	for (left = (uint64_t)st.st_size; left > 0;) {
		size_t want = left < sizeof(buf) ? (size_t)left : sizeof(buf);
		ssize_t got = read(fd, buf, want);

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			rc = err_set(e, SL_EIO, "%s: %s", src,
			             got < 0 ? strerror(errno)
			                     : "shrank while being read");
			goto out;
		}
		if ((rc = write_all(w->fd, buf, (size_t)got, w->path, e)) !=
		    SL_OK)
			goto out;
		left -= (uint64_t)got;
	}
	rc = pad(w, (uint64_t)st.st_size, e);
out:
	close(fd);
	return rc;
}

int
tarx_writer_finish(struct tarx_writer *w, struct err *e)
{
	static const char zero[2 * BLOCK];
	int rc;

	if ((rc = write_all(w->fd, zero, sizeof(zero), w->path, e)) != SL_OK)
		return rc;
	if (fsync(w->fd) != 0)
		return err_set(e, SL_EIO, "%s: fsync: %s", w->path,
		               strerror(errno));
	if (close(w->fd) != 0) {
		w->fd = -1;
		return err_set(e, SL_EIO, "%s: close: %s", w->path,
		               strerror(errno));
	}
	w->fd = -1;
	return SL_OK;
}

void
tarx_writer_free(struct tarx_writer *w)
{
	if (w == NULL)
		return;
	if (w->fd >= 0)
		close(w->fd);
	free(w->path);
	free(w);
}

/* --- reader ---------------------------------------------------------------*/

static int
read_full(int fd, void *p, size_t n, size_t *got)
{
	char *c = p;

	*got = 0;
	while (*got < n) {
		ssize_t r = read(fd, c + *got, n - *got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		*got += (size_t)r;
	}
	return 0;
}

static int
parse_octal(uint64_t *out, const unsigned char *f, size_t width)
{
	uint64_t v = 0;
	size_t i = 0;

	while (i < width && f[i] == ' ')
		i++;
	if (i == width || f[i] < '0' || f[i] > '7')
		return -1;
	for (; i < width && f[i] >= '0' && f[i] <= '7'; i++) {
		if (v >> 60)
			return -1;
		v = v * 8 + (uint64_t)(f[i] - '0');
	}
	for (; i < width; i++)
		if (f[i] != ' ' && f[i] != '\0')
			return -1;
	*out = v;
	return 0;
}

/* Relative, no empty / "." / ".." components, printable ASCII. */
static bool
name_safe(const char *s)
{
	const char *p = s;

	if (*s == '\0' || *s == '/')
		return false;
	for (const char *c = s; *c; c++)
		if ((unsigned char)*c < 0x21 || (unsigned char)*c > 0x7e ||
		    *c == '\\')
			return false;
	while (*p) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);

		if (n == 0 && slash != NULL && slash[1] != '\0')
			return false;
		if ((n == 1 && p[0] == '.') ||
		    (n == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		if (slash == NULL)
			break;
		p = slash + 1;
	}
	return true;
}

static int
extract_member(int fd, const char *archive, const char *dir, const char *name,
               uint64_t size, struct err *e)
{
	char path[4096], parent[4096], buf[65536];
	char *slash;
	uint64_t left = size;
	int out = -1, rc;

	if ((rc = fsx_join(path, sizeof(path), dir, name, e)) != SL_OK)
		return rc;
	memcpy(parent, path, sizeof(parent));
	if ((slash = strrchr(parent, '/')) != NULL) {
		*slash = '\0';
		if ((rc = fsx_mkdirs(parent, 0755, e)) != SL_OK)
			return rc;
	}
	unlink(path); /* never write through a link left in dir */
	out = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	           0644);
	if (out < 0)
		return err_set(e, SL_EIO, "%s: %s", path, strerror(errno));
	while (left > 0) {
		size_t want = left < sizeof(buf) ? (size_t)left : sizeof(buf);
		size_t got;

		if (read_full(fd, buf, want, &got) != 0 || got != want) {
			rc = err_set(e, SL_EPARSE, "%s: member '%s': truncated",
			             archive, name);
			goto out;
		}
		if ((rc = write_all(out, buf, got, path, e)) != SL_OK)
			goto out;
		left -= got;
	}
	if (size % BLOCK != 0) {
		size_t got, want = BLOCK - (size_t)(size % BLOCK);

		if (read_full(fd, buf, want, &got) != 0 || got != want) {
			rc = err_set(e, SL_EPARSE, "%s: member '%s': truncated",
			             archive, name);
			goto out;
		}
	}
	rc = SL_OK;
out:
	close(out);
	return rc;
}

int
tarx_extract(const char *archive, const char *dir,
             const struct tarx_limits *lim, tarx_name_fn check, void *arg,
             size_t *n_members, struct err *e)
{
	unsigned char h[BLOCK];
	char name[TARX_NAME_MAX + 1];
	uint64_t total = 0;
	size_t n = 0, got;
	int fd, rc = SL_OK;

	if ((fd = open(archive, O_RDONLY | O_CLOEXEC)) < 0)
		return err_set(e, errno == ENOENT ? SL_ENOTFOUND : SL_EIO,
		               "%s: %s", archive, strerror(errno));
	for (;;) {
		uint64_t size, sum, want = 0;
		char type;

		if (read_full(fd, h, BLOCK, &got) != 0 || got != BLOCK) {
			rc = err_set(e, SL_EPARSE,
			             "%s: truncated (no end-of-archive block "
			             "after %zu members)",
			             archive, n);
			goto out;
		}
		bool zero = true;
		for (size_t i = 0; i < BLOCK && zero; i++)
			zero = h[i] == 0;
		if (zero)
			break;
		for (size_t i = 0; i < BLOCK; i++)
			want += (i >= 148 && i < 156) ? ' ' : h[i];
		if (parse_octal(&sum, h + 148, 8) != 0 || sum != want ||
		    memcmp(h + 257, "ustar", 5) != 0) {
			rc = err_set(e, SL_EPARSE,
			             "%s: member %zu: not a ustar header "
			             "(bad checksum or magic)",
			             archive, n + 1);
			goto out;
		}
		memcpy(name, h, TARX_NAME_MAX);
		name[TARX_NAME_MAX] = '\0';
		type = (char)h[156];
		if (h[345] != '\0') {
			rc = err_set(e, SL_EUNSUPPORTED,
			             "%s: member '%s': prefixed (long) names "
			             "are not used by sluice archives",
			             archive, name);
			goto out;
		}
		if (parse_octal(&size, h + 124, 12) != 0) {
			rc = err_set(e, SL_EPARSE, "%s: member '%s': bad size",
			             archive, name);
			goto out;
		}
		if (!name_safe(name)) {
			rc = err_set(e, SL_EINVAL,
			             "%s: member '%s': unsafe name (absolute, "
			             "'..' or unusual characters)",
			             archive, name);
			goto out;
		}
		if (type == '5') {
			char path[4096];

			if (size != 0) {
				rc = err_set(
				        e, SL_EPARSE,
				        "%s: member '%s': a directory with "
				        "a size",
				        archive, name);
				goto out;
			}
			if ((rc = fsx_join(path, sizeof(path), dir, name, e)) !=
			            SL_OK ||
			    (rc = fsx_mkdirs(path, 0755, e)) != SL_OK)
				goto out;
			continue;
		}
		if (type != '0' && type != '\0') {
			rc = err_set(e, SL_EUNSUPPORTED,
			             "%s: member '%s': type '%c' (only files "
			             "and directories)",
			             archive, name, type);
			goto out;
		}
		if (check != NULL && (rc = check(arg, name, e)) != SL_OK) {
			err_prefix(e, "%s: member '%s'", archive, name);
			goto out;
		}
		if (lim != NULL &&
		    ((lim->max_members != 0 && n + 1 > lim->max_members) ||
		     (lim->max_member != 0 && size > lim->max_member) ||
		     (lim->max_total != 0 && total + size > lim->max_total))) {
			rc = err_set(e, SL_ETOOBIG,
			             "%s: member '%s': over the archive's "
			             "limits",
			             archive, name);
			goto out;
		}
		if ((rc = extract_member(fd, archive, dir, name, size, e)) !=
		    SL_OK)
			goto out;
		total += size;
		n++;
	}
	if (n_members != NULL)
		*n_members = n;
out:
	close(fd);
	return rc;
}
