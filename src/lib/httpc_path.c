/*
 * httpc_path: a file:// GET without curl and the resolution of plain
 * relative paths by appending (httpc_path.h).
 */
#include "httpc_path.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* The local path of a file:// URL that needs no decoding, or NULL. */
static const char *
file_url_path(const char *url)
{
	const char *p;

	if (strncasecmp(url, "file://", 7) != 0)
		return NULL;
	p = url + 7;
	if (strncasecmp(p, "localhost/", 10) == 0)
		p += 9;
	if (p[0] != '/')
		return NULL;
	/* Nothing curl would decode or normalise: no escapes, query,
	 * fragment, spaces or dot segments. */
	for (const char *q = p; *q != '\0'; q++) {
		unsigned char c = (unsigned char)*q;

		if (c <= ' ' || c >= 0x7f || strchr("%?#\\", c) != NULL ||
		    (c == '/' && q[1] == '.'))
			return NULL;
	}
	return p;
}

/* Read fd (a regular file of size bytes, at most cap) to its end. */
static int
read_all(char **out, size_t *len, int fd, size_t size, size_t cap,
         const char *url, struct err *e)
{
	/* One byte more than the size tells a file that grew from one
	 * that did not. */
	size_t room = size + 1, n = 0;
	char *b = malloc(room + 1);
	ssize_t r;

	if (b == NULL)
		return err_set(e, SL_ENOMEM, "GET %s: out of memory", url);
	for (;;) {
		if (n == room) {
			char *nb;

			room = room * 2 < cap + 1 ? room * 2 : cap + 1;
			if (n == room) {
				free(b);
				return err_set(e, SL_ETOOBIG,
				               "GET %s: response body over the "
				               "limit of %zu bytes",
				               url, cap);
			}
			if ((nb = realloc(b, room + 1)) == NULL) {
				free(b);
				return err_set(e, SL_ENOMEM,
				               "GET %s: out of memory", url);
			}
			b = nb;
		}
		r = read(fd, b + n, room - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			free(b);
			return err_set(e, SL_ENET, "GET %s: read: %s", url,
			               strerror(errno));
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (n > cap) {
		free(b);
		return err_set(e, SL_ETOOBIG,
		               "GET %s: response body over the limit of %zu "
		               "bytes",
		               url, cap);
	}
	b[n] = '\0';
	*out = b;
	*len = n;
	return SL_OK;
}

bool
httpc_path_file_get(int *rc, struct httpc_resp *out, const char *url,
                    size_t cap, struct err *e)
{
	const char *path = file_url_path(url);
	struct stat st;
	char *body = NULL;
	size_t len = 0;
	int fd;

	if (path == NULL)
		return false;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0) {
		/* What curl answers for any file it cannot open. */
		*rc = err_set(e, SL_ENOTFOUND, "GET %s: Couldn't open file %s",
		              url, path);
		return true;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return false;
	}
	if ((uint64_t)st.st_size > cap) {
		close(fd);
		*rc = err_set(e, SL_ETOOBIG,
		              "GET %s: response body over the limit of %zu "
		              "bytes",
		              url, cap);
		return true;
	}
	*rc = read_all(&body, &len, fd, (size_t)st.st_size, cap, url, e);
	close(fd);
	if (*rc == SL_OK) {
		out->status = 200;
		out->body = body;
		out->len = len;
	}
	return true;
}

char *
httpc_path_dir(const char *base)
{
	char *r = httpc_resolve(base, "x");
	size_t n;

	if (r == NULL)
		return NULL;
	n = strlen(r);
	if (n < 2 || strcmp(r + n - 2, "/x") != 0) {
		free(r);
		return NULL;
	}
	r[n - 1] = '\0';
	return r;
}

/* Whether ref resolves by appending it to the base's directory. */
static bool
plain_path(const char *ref)
{
	const char *seg = ref;

	if (ref[0] == '\0' || ref[0] == '/')
		return false;
	for (const char *p = ref;; p++) {
		char c = *p;

		if (c == '/' || c == '\0') {
			size_t n = (size_t)(p - seg);

			if ((n == 1 && seg[0] == '.') ||
			    (n == 2 && seg[0] == '.' && seg[1] == '.'))
				return false;
			if (c == '\0')
				return true;
			seg = p + 1;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		      c == '_' || c == '~'))
			return false;
	}
}

char *
httpc_path_join(const char *dir, const char *base, const char *ref)
{
	size_t dn, rn;
	char *r;

	if (dir == NULL || !plain_path(ref))
		return httpc_resolve(base, ref);
	dn = strlen(dir);
	rn = strlen(ref);
	if ((r = malloc(dn + rn + 1)) == NULL)
		return NULL;
	memcpy(r, dir, dn);
	memcpy(r + dn, ref, rn + 1);
	return r;
}
