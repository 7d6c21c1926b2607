/*
 * hash: SHA-256 helpers on top of nettle; libsodium for its start.
 */
#include "hash.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

int
hash_global_init(struct err *e)
{
	if (sodium_init() < 0)
		return err_set(e, SL_EINTERNAL, "libsodium failed to start");
	return SL_OK;
}

void
hash_init(struct hash_ctx *h)
{
	sha256_init(&h->st);
}

void
hash_update(struct hash_ctx *h, const void *data, size_t len)
{
	sha256_update(&h->st, len, data);
}

void
hash_final_hex(struct hash_ctx *h, char hex[HASH_HEX_LEN + 1])
{
	unsigned char d[HASH_LEN];

	sha256_digest(&h->st, sizeof(d), d);
	hex_encode(d, sizeof(d), hex);
}

void
hash_buf_hex(const void *data, size_t len, char hex[HASH_HEX_LEN + 1])
{
	struct hash_ctx h;

	hash_init(&h);
	hash_update(&h, data, len);
	hash_final_hex(&h, hex);
}

int
hash_file_hex(const char *path, char hex[HASH_HEX_LEN + 1], uint64_t *size_out,
              struct err *e)
{
	unsigned char b[65536];
	struct hash_ctx h;
	uint64_t total = 0;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return err_set(e, errno == ENOENT ? SL_ENOTFOUND : SL_EIO,
		               "%s: %s", path, strerror(errno));
	hash_init(&h);
	while ((n = read(fd, b, sizeof(b))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err_set(e, SL_EIO, "%s: %s", path, strerror(errno));
			close(fd);
			return e ? e->code : SL_EIO;
		}
		hash_update(&h, b, (size_t)n);
		total += (uint64_t)n;
	}
	close(fd);
	hash_final_hex(&h, hex);
	if (size_out != NULL)
		*size_out = total;
	return SL_OK;
}

bool
hash_is_hex(const char *s)
{
	size_t i;

	if (s == NULL)
		return false;
	for (i = 0; s[i] != '\0'; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		      (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return i == HASH_HEX_LEN;
}

void
hex_encode(const unsigned char *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
hex_decode(const char *in, unsigned char *out, size_t n)
{
	if (strlen(in) != 2 * n)
		return SL_EINVAL;
	for (size_t i = 0; i < n; i++) {
		int hi = hexval(in[2 * i]), lo = hexval(in[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return SL_EINVAL;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return SL_OK;
}
