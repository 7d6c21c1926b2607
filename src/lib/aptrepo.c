/*
 * aptrepo: InRelease/Release through gpgv, then hash-checked indexes.
 *
 * gpgv runs in a private temporary GNUPGHOME so that nothing but the
 * keyring named on the command line is trusted; its machine-readable
 * status lines (--status-fd) say why a signature was refused.
 */
#include "aptrepo.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "decomp.h"
#include "fsx.h"
#include "hash.h"
#include "httpc.h"

char *
aptrepo_url(const char *archive, const char *rel)
{
	size_t n = strlen(archive);
	char *u;

	while (n > 0 && archive[n - 1] == '/')
		n--;
	while (*rel == '/')
		rel++;
	if (asprintf(&u, "%.*s/%s", (int)n, archive, rel) < 0)
		return NULL;
	return u;
}

void
aptrepo_release_free(struct aptrepo_release *r)
{
	if (r == NULL)
		return;
	free(r->origin);
	free(r->label);
	free(r->suite);
	free(r->codename);
	free(r->version);
	free(r->date);
	for (size_t i = 0; r->archs && r->archs[i]; i++)
		free(r->archs[i]);
	free(r->archs);
	for (size_t i = 0; r->components && r->components[i]; i++)
		free(r->components[i]);
	free(r->components);
	deb822_hashents_free(r->files, r->n_files);
	free(r);
}

/* RFC 2822 date of a Release ("Sat, 10 Jun 2023 09:37:14 UTC"). */
static int
parse_date(long long *out, const char *s)
{
	struct tm tm;
	const char *end;

	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%a, %d %b %Y %H:%M:%S", &tm);
	if (end == NULL)
		end = strptime(s, "%d %b %Y %H:%M:%S", &tm);
	if (end == NULL)
		return -1;
	while (*end == ' ')
		end++;
	if (*end != '\0' && strcmp(end, "UTC") != 0 &&
	    strcmp(end, "GMT") != 0 && strcmp(end, "Z") != 0 &&
	    strcmp(end, "+0000") != 0)
		return -1;
	*out = (long long)timegm(&tm);
	return 0;
}

static int
dup_field(char **out, const struct deb822 *d, const char *name, struct err *e)
{
	const struct deb822_field *f = deb822_get(d, name);
	const char *p;
	size_t n;

	if (f == NULL)
		return SL_OK;
	deb822_trim(f, &p, &n);
	if ((*out = strndup(p, n)) == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	return SL_OK;
}

/* A blank-separated word list as a NULL-terminated array. */
static int
split_words(char ***out, const struct deb822_field *f, struct err *e)
{
	const char *p, *end;
	size_t n, cnt = 0;
	char **v;

	deb822_trim(f, &p, &n);
	end = p + n;
	if ((v = calloc(n / 2 + 2, sizeof(*v))) == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	while (p < end) {
		while (p < end && (*p == ' ' || *p == '\t' || *p == '\n'))
			p++;
		const char *w = p;
		while (p < end && *p != ' ' && *p != '\t' && *p != '\n')
			p++;
		if (p > w && (v[cnt++] = strndup(w, (size_t)(p - w))) == NULL) {
			for (size_t i = 0; i < cnt - 1; i++)
				free(v[i]);
			free(v);
			return err_set(e, SL_ENOMEM, "out of memory");
		}
	}
	*out = v;
	return SL_OK;
}

int
aptrepo_release_parse(struct aptrepo_release **out, const char *file,
                      const char *text, size_t len, long long now,
                      struct err *e)
{
	struct aptrepo_release *r = calloc(1, sizeof(*r));
	const struct deb822_field *f;
	struct deb822 d;
	char *vu = NULL;
	bool got;
	int rc;

	if (r == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	deb822_init(&d, file, text, len);
	if ((rc = deb822_next(&d, &got, e)) != SL_OK)
		goto out;
	if (!got) {
		rc = err_set(e, SL_EPARSE, "%s: empty", file);
		goto out;
	}
	if ((rc = dup_field(&r->origin, &d, "Origin", e)) ||
	    (rc = dup_field(&r->label, &d, "Label", e)) ||
	    (rc = dup_field(&r->suite, &d, "Suite", e)) ||
	    (rc = dup_field(&r->codename, &d, "Codename", e)) ||
	    (rc = dup_field(&r->version, &d, "Version", e)) ||
	    (rc = dup_field(&r->date, &d, "Date", e)) ||
	    (rc = dup_field(&vu, &d, "Valid-Until", e)) ||
	    (rc = split_words(&r->archs, deb822_get(&d, "Architectures"), e)) ||
	    (rc = split_words(&r->components, deb822_get(&d, "Components"), e)))
		goto out;
	if (r->date != NULL && parse_date(&r->date_t, r->date) < 0) {
		f = deb822_get(&d, "Date");
		rc = err_set(e, SL_EPARSE, "%s:%zu: Date: cannot read '%s'",
		             file, f->line, r->date);
		goto out;
	}
	if (vu != NULL && parse_date(&r->valid_until_t, vu) < 0) {
		f = deb822_get(&d, "Valid-Until");
		rc = err_set(e, SL_EPARSE,
		             "%s:%zu: Valid-Until: cannot read '%s'", file,
		             f->line, vu);
		goto out;
	}
	if ((f = deb822_get(&d, "SHA256")) == NULL) {
		rc = err_set(e, SL_EPARSE, "%s: no SHA256 field", file);
		goto out;
	}
	if ((rc = deb822_hashents(&r->files, &r->n_files, f, file, e)) != 0)
		goto out;
	if ((f = deb822_get(&d, "Acquire-By-Hash")) != NULL) {
		const char *v;
		size_t vn;
		deb822_trim(f, &v, &vn);
		r->by_hash = deb822_eq(v, vn, "yes");
	}
	if ((f = deb822_get(&d, "No-Support-for-Architecture-all")) != NULL) {
		const char *v;
		size_t vn;
		deb822_trim(f, &v, &vn);
		r->all_in_arch_indexes = deb822_eq(v, vn, "Packages");
	}
	if (r->valid_until_t != 0 && r->valid_until_t < now) {
		rc = err_set(e, SL_EEXPIRED, "%s: expired on %s (Valid-Until)",
		             file, vu);
		goto out;
	}
	*out = r;
	r = NULL;
out:
	free(vu);
	aptrepo_release_free(r);
	return rc;
}

const struct deb822_hashent *
aptrepo_release_file(const struct aptrepo_release *r, const char *path)
{
	for (size_t i = 0; i < r->n_files; i++)
		if (strcmp(r->files[i].path, path) == 0)
			return &r->files[i];
	return NULL;
}

bool
aptrepo_release_has_arch(const struct aptrepo_release *r, const char *arch)
{
	if (r->archs == NULL || r->archs[0] == NULL)
		return true;
	for (size_t i = 0; r->archs[i]; i++)
		if (strcmp(r->archs[i], arch) == 0)
			return true;
	return false;
}

/* ---- gpgv ---- */

static int
run_gpgv(int *status, const char *home, char *const argv[], struct err *e)
{
	char envhome[PATH_MAX + 16], out[PATH_MAX + 16], errf[PATH_MAX + 16];
	char *envp[] = {envhome, "LC_ALL=C", "PATH=/usr/bin:/bin", NULL};
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int rc;

	snprintf(envhome, sizeof(envhome), "GNUPGHOME=%s", home);
	snprintf(out, sizeof(out), "%s/status", home);
	snprintf(errf, sizeof(errf), "%s/stderr", home);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, out,
	                                 O_WRONLY | O_CREAT | O_TRUNC, 0600);
	posix_spawn_file_actions_addopen(&fa, 2, errf,
	                                 O_WRONLY | O_CREAT | O_TRUNC, 0600);
	rc = posix_spawnp(&pid, "gpgv", &fa, NULL, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0)
		return err_set(e, SL_EIO,
		               "cannot run gpgv: %s (install the gpgv package)",
		               strerror(rc));
	while (waitpid(pid, status, 0) < 0)
		if (errno != EINTR)
			return err_set(e, SL_EIO, "waitpid gpgv: %s",
			               strerror(errno));
	return SL_OK;
}

/* The first status line starting with "[GNUPG:] WORD" (its rest in
 * arg, up to n bytes), or false. */
static bool
status_has(const char *st, const char *word, char *arg, size_t n)
{
	size_t wl = strlen(word);

	for (const char *p = st; p && *p;
	     p = strchr(p, '\n'), p = p ? p + 1 : p) {
		if (strncmp(p, "[GNUPG:] ", 9) != 0 ||
		    strncmp(p + 9, word, wl) != 0 ||
		    (p[9 + wl] != ' ' && p[9 + wl] != '\n' &&
		     p[9 + wl] != '\0'))
			continue;
		if (arg != NULL && n > 0) {
			const char *a = p + 9 + wl, *eol;
			while (*a == ' ')
				a++;
			eol = strchr(a, '\n');
			size_t l = eol ? (size_t)(eol - a) : strlen(a);
			if (l >= n)
				l = n - 1;
			memcpy(arg, a, l);
			arg[l] = '\0';
		}
		return true;
	}
	return false;
}

static int
refusal(const char *st, const char *errtext, const char *keyring,
        const char *name, struct err *e)
{
	char a[256];

	if (status_has(st, "BADSIG", a, sizeof(a)))
		return err_set(e, SL_EVERIFY,
		               "%s: signature does not verify (BADSIG %s): the "
		               "file was altered",
		               name, a);
	if (status_has(st, "NO_PUBKEY", a, sizeof(a)))
		return err_set(e, SL_EVERIFY,
		               "%s: signed by key %s, which is not in %s "
		               "(NO_PUBKEY)",
		               name, a, keyring);
	if (status_has(st, "EXPKEYSIG", a, sizeof(a)))
		return err_set(e, SL_EVERIFY,
		               "%s: signed by an expired key (EXPKEYSIG %s)",
		               name, a);
	if (status_has(st, "REVKEYSIG", a, sizeof(a)))
		return err_set(e, SL_EVERIFY,
		               "%s: signed by a revoked key (REVKEYSIG %s)",
		               name, a);
	if (status_has(st, "EXPSIG", a, sizeof(a)))
		return err_set(e, SL_EVERIFY,
		               "%s: the signature has expired (EXPSIG %s)",
		               name, a);
	if (status_has(st, "ERRSIG", a, sizeof(a)))
		return err_set(
		        e, SL_EVERIFY,
		        "%s: the signature cannot be checked (ERRSIG %s)", name,
		        a);
	if (status_has(st, "NODATA", NULL, 0) ||
	    !status_has(st, "NEWSIG", NULL, 0))
		return err_set(e, SL_EVERIFY, "%s: not signed", name);
	const char *nl = strchr(errtext, '\n');
	return err_set(e, SL_EVERIFY, "%s: gpgv refused it: %.*s", name,
	               nl ? (int)(nl - errtext) : (int)strlen(errtext),
	               errtext);
}

static int
write_tmp(const char *dir, const char *base, const char *data, size_t len,
          char *path, size_t n, struct err *e)
{
	int rc;

	if ((rc = fsx_join(path, n, dir, base, e)) != SL_OK)
		return rc;
	return fsx_write_atomic(path, data, len, 0600, e);
}

static void
rm_tree(const char *dir)
{
	const char *names[] = {"signed", "sig", "out", "status", "stderr"};
	char p[PATH_MAX + 16];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
		unlink(p);
	}
	rmdir(dir);
}

int
aptrepo_gpgv(char **out, size_t *out_len, const char *data, size_t len,
             const char *sig, size_t sig_len, const char *keyring,
             const char *name, struct err *e)
{
	char dir[PATH_MAX], data_p[PATH_MAX], sig_p[PATH_MAX], out_p[PATH_MAX],
	        st_p[PATH_MAX], err_p[PATH_MAX], kr[PATH_MAX], head[16];
	char *st = NULL, *errtext = NULL, *res = NULL;
	const char *tmpdir = getenv("TMPDIR");
	size_t res_len = 0;
	int status = 0, rc, fd;
	ssize_t hn;

	if (realpath(keyring, kr) == NULL)
		return err_set(e, errno == ENOENT ? SL_ENOTFOUND : SL_EIO,
		               "keyring %s: %s", keyring, strerror(errno));
	if ((fd = open(kr, O_RDONLY | O_CLOEXEC)) < 0)
		return err_set(e, SL_EIO, "keyring %s: %s", keyring,
		               strerror(errno));
	hn = read(fd, head, sizeof(head) - 1);
	close(fd);
	if (hn >= 10 && memcmp(head, "-----BEGIN", 10) == 0)
		return err_set(
		        e, SL_EINVAL,
		        "keyring %s: an ASCII-armored key; give a binary "
		        "keyring (gpg --dearmor)",
		        keyring);
	snprintf(dir, sizeof(dir), "%s/sluice-gpgv-XXXXXX",
	         tmpdir && *tmpdir ? tmpdir : "/tmp");
	if (mkdtemp(dir) == NULL)
		return err_set(e, SL_EIO, "mkdtemp %s: %s", dir,
		               strerror(errno));
	if ((rc = write_tmp(dir, "signed", data, len, data_p, sizeof(data_p),
	                    e)) ||
	    (sig && (rc = write_tmp(dir, "sig", sig, sig_len, sig_p,
	                            sizeof(sig_p), e))) ||
	    (rc = fsx_join(out_p, sizeof(out_p), dir, "out", e)) ||
	    (rc = fsx_join(st_p, sizeof(st_p), dir, "status", e)) ||
	    (rc = fsx_join(err_p, sizeof(err_p), dir, "stderr", e)))
		goto out;
	if (sig == NULL) {
		char *argv[] = {"gpgv",        "--quiet", "--keyring", kr,
		                "--status-fd", "1",       "--output",  out_p,
		                data_p,        NULL};
		rc = run_gpgv(&status, dir, argv, e);
	} else {
		char *argv[] = {"gpgv", "--quiet",     "--keyring",
		                kr,     "--status-fd", "1",
		                sig_p,  data_p,        NULL};
		rc = run_gpgv(&status, dir, argv, e);
	}
	if (rc != SL_OK)
		goto out;
	if ((rc = fsx_read(st_p, 1u << 20, &st, NULL, e)) ||
	    (rc = fsx_read(err_p, 1u << 20, &errtext, NULL, e)))
		goto out;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
	    !status_has(st, "VALIDSIG", NULL, 0) ||
	    !status_has(st, "GOODSIG", NULL, 0) ||
	    status_has(st, "BADSIG", NULL, 0) ||
	    status_has(st, "ERRSIG", NULL, 0)) {
		rc = refusal(st, errtext, keyring, name, e);
		goto out;
	}
	if (sig == NULL) {
		if ((rc = fsx_read(out_p, len + 1, &res, &res_len, e)) != 0)
			goto out;
	} else {
		if ((res = malloc(len + 1)) == NULL) {
			rc = err_set(e, SL_ENOMEM, "out of memory");
			goto out;
		}
		memcpy(res, data, len);
		res[len] = '\0';
		res_len = len;
	}
	*out = res;
	*out_len = res_len;
	res = NULL;
out:
	free(res);
	free(st);
	free(errtext);
	rm_tree(dir);
	return rc;
}

/* ---- fetching ---- */

/* GET archive/rel under cap: SL_ENOTFOUND for a missing file (404). */
static int
fetch(struct httpc_resp *r, const char *archive, const char *rel, size_t cap,
      struct err *e)
{
	char *url = aptrepo_url(archive, rel);
	int rc;

	if (url == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	memset(r, 0, sizeof(*r));
	rc = httpc_get(r, url, cap, NULL, e);
	if (rc == SL_OK && r->status == 404) {
		httpc_resp_free(r);
		rc = err_set(e, SL_ENOTFOUND, "%s: not found (HTTP 404)", url);
	} else if (rc == SL_OK && r->status != 200) {
		long st = r->status;
		httpc_resp_free(r);
		rc = err_set(e, SL_ENET, "%s: HTTP %ld", url, st);
	}
	free(url);
	return rc;
}

int
aptrepo_release_fetch(struct aptrepo_release **out, const char *archive,
                      const char *suite, const char *keyring, long long now,
                      struct err *e)
{
	struct httpc_resp in = {0}, sig = {0};
	struct aptrepo_release *r = NULL;
	char rel[512], name[600], *text = NULL;
	size_t len = 0;
	int rc;

	snprintf(rel, sizeof(rel), "dists/%s/InRelease", suite);
	snprintf(name, sizeof(name), "%s", rel);
	rc = fetch(&in, archive, rel, APTREPO_RELEASE_MAX, e);
	if (rc == SL_OK) {
		rc = aptrepo_gpgv(&text, &len, in.body, in.len, NULL, 0,
		                  keyring, name, e);
	} else if (rc == SL_ENOTFOUND) {
		snprintf(rel, sizeof(rel), "dists/%s/Release", suite);
		snprintf(name, sizeof(name), "%s", rel);
		if ((rc = fetch(&in, archive, rel, APTREPO_RELEASE_MAX, e)))
			goto out;
		snprintf(rel, sizeof(rel), "dists/%s/Release.gpg", suite);
		rc = fetch(&sig, archive, rel, 1u << 20, e);
		if (rc == SL_ENOTFOUND) {
			rc = err_set(e, SL_EVERIFY,
			             "%s: not signed (no InRelease, no "
			             "Release.gpg)",
			             name);
			goto out;
		}
		if (rc != SL_OK)
			goto out;
		rc = aptrepo_gpgv(&text, &len, in.body, in.len, sig.body,
		                  sig.len, keyring, name, e);
	}
	if (rc != SL_OK)
		goto out;
	if ((rc = aptrepo_release_parse(&r, name, text, len, now, e)) != 0)
		goto out;
	/* A validly signed Release of another suite of the same archive
	 * (a replay) is refused, as apt does. */
	if ((r->suite == NULL || strcmp(r->suite, suite) != 0) &&
	    (r->codename == NULL || strcmp(r->codename, suite) != 0)) {
		rc = err_set(e, SL_EVERIFY,
		             "%s: is the Release of suite %s (codename %s), "
		             "not of %s",
		             name, r->suite ? r->suite : "?",
		             r->codename ? r->codename : "?", suite);
		goto out;
	}
	*out = r;
	r = NULL;
out:
	aptrepo_release_free(r);
	free(text);
	httpc_resp_free(&in);
	httpc_resp_free(&sig);
	return rc;
}

/* Fetch one index file the Release lists (h) into resp and check its size
 * and SHA-256; rel receives the path fetched (relative to the archive). */
static int
fetch_checked(struct httpc_resp *resp, char *rel, size_t n, const char *archive,
              const char *suite, const struct aptrepo_release *r,
              const struct deb822_hashent *h, struct err *e)
{
	char sha[HASH_HEX_LEN + 1], dir[512];
	const char *slash = strrchr(h->path, '/');
	int rc = SL_ENOTFOUND;

	if (h->size > APTREPO_INDEX_MAX)
		return err_set(e, SL_ETOOBIG,
		               "dists/%s/%s: %llu bytes is over "
		               "the cap",
		               suite, h->path, (unsigned long long)h->size);
	/* By hash first when the archive offers it: a mirror in the middle
	 * of an update may serve an index newer or older than its Release
	 * under the plain name, never under the hash. */
	if (r->by_hash && slash != NULL) {
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - h->path),
		         h->path);
		snprintf(rel, n, "dists/%s/%s/by-hash/SHA256/%s", suite, dir,
		         h->sha256);
		rc = fetch(resp, archive, rel, (size_t)h->size, e);
	}
	if (rc == SL_ENOTFOUND) {
		snprintf(rel, n, "dists/%s/%s", suite, h->path);
		rc = fetch(resp, archive, rel, (size_t)h->size, e);
	}
	if (rc == SL_ETOOBIG)
		return err_set(e, SL_EVERIFY,
		               "%s: larger than the %llu bytes the Release "
		               "lists",
		               rel, (unsigned long long)h->size);
	if (rc == SL_ENOTFOUND)
		return err_set(e, SL_ENET,
		               "%s: not found, though the Release lists it",
		               rel);
	if (rc != SL_OK)
		return rc;
	if (resp->len != h->size)
		return err_set(
		        e, SL_EVERIFY,
		        "%s: truncated: %zu bytes of the %llu the Release "
		        "lists",
		        rel, resp->len, (unsigned long long)h->size);
	hash_buf_hex(resp->body, resp->len, sha);
	if (strcmp(sha, h->sha256) != 0)
		return err_set(e, SL_EVERIFY,
		               "%s: SHA-256 %s does not match the Release's %s",
		               rel, sha, h->sha256);
	return SL_OK;
}

int
aptrepo_packages_fetch(char **out, size_t *out_len, char **name_out,
                       const char *archive, const char *suite,
                       const struct aptrepo_release *r, const char *component,
                       const char *arch, struct err *e)
{
	static const char *const forms[] = {"Packages.xz", "Packages.gz",
	                                    "Packages"};
	const struct deb822_hashent *h;
	char path[512], rel[1024];
	struct httpc_resp resp = {0};
	struct err first = {0};
	bool listed = false;
	int rc = SL_OK;

	/* Each form the Release lists, until one arrives intact: all are
	 * checked against the verified Release, so any will do. */
	for (size_t i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/binary-%s/%s", component, arch,
		         forms[i]);
		if ((h = aptrepo_release_file(r, path)) == NULL)
			continue;
		listed = true;
		rc = fetch_checked(&resp, rel, sizeof(rel), archive, suite, r,
		                   h, e);
		if (rc == SL_OK) {
			/* The plain form's listed size sizes the buffer (a
			 * hint only: the output is bounded by the cap). */
			const struct deb822_hashent *plain;
			size_t hint = 0;
			snprintf(path, sizeof(path), "%s/binary-%s/Packages",
			         component, arch);
			plain = aptrepo_release_file(r, path);
			if (plain != NULL && plain->size < APTREPO_PACKAGES_MAX)
				hint = (size_t)plain->size;
			rc = decomp_buf_hint(out, out_len, resp.body, resp.len,
			                     decomp_kind_of(h->path),
			                     APTREPO_PACKAGES_MAX, hint, rel,
			                     e);
			httpc_resp_free(&resp);
			break;
		}
		httpc_resp_free(&resp);
		if (first.code == SL_OK)
			first = *e;
		if (rc != SL_EVERIFY && rc != SL_ENET)
			break;
	}
	if (!listed)
		return err_set(
		        e, SL_ENOTFOUND,
		        "dists/%s/Release lists no %s/binary-%s/Packages",
		        suite, component, arch);
	if (rc != SL_OK) {
		if (first.code != SL_OK && e != NULL)
			*e = first; /* the best form's failure */
		return e != NULL ? e->code : rc;
	}
	if (name_out != NULL && (*name_out = strdup(rel)) == NULL) {
		free(*out);
		*out = NULL;
		return err_set(e, SL_ENOMEM, "out of memory");
	}
	return SL_OK;
}
