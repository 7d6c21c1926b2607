/*
 * rules: the applicability rule engine (see rules.h). The context caches
 * everything a predicate may need (OS facts, the dpkg database, rpm answers)
 * so that evaluating the rules of thousands of updates reads each source
 * once. Predicates are a table of name + function.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "debver.h"
#include "dpkgdb.h"
#include "fsx.h"
#include "hash.h"
#include "osinfo.h"
#include "rpmdb.h"
#include "rpmver.h"
#include "rules_int.h"

#define CHUNK 65536
/* file_exists answers kept per path: slots (a power of two), and the most
 * paths kept (past it, the others are asked each time) */
#define EXISTS_SLOTS 8192u
#define EXISTS_MAX   6144u

struct exists_slot {
	char *path; /* NULL: free */
	uint32_t hash;
	bool exists;
};

struct rules_ctx {
	char *root;
	int rootfd;
	bool no_openat2; /* openat2 found missing or blocked */

	bool os_loaded;
	struct osinfo *os;
	struct err os_err; /* the load failure, replayed on each use */

	bool dpkg_loaded;
	struct dpkgdb *dpkg;
	struct err dpkg_err;

	json_t *rpm_cache; /* package -> output string, or null */

	rules_update_lookup_fn update_installed;
	void *update_arg;

	struct rtree tree; /* rules_eval_text's, reused */

	struct exists_slot *exists; /* EXISTS_SLOTS, open addressing */
	size_t n_exists;
};

int
rules_ctx_new(struct rules_ctx **out, const char *root, struct err *e)
{
	struct rules_ctx *c;
	struct stat st;
	int rc;

	if (root == NULL || root[0] == '\0')
		root = "/";
	if ((rc = hash_global_init(e)) != SL_OK)
		return rc;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	c->rootfd = -1;
	if ((c->root = strdup(root)) == NULL ||
	    (c->rpm_cache = json_object()) == NULL) {
		rc = err_set(e, SL_ENOMEM, "out of memory");
		goto out;
	}
	c->rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (c->rootfd < 0 || fstat(c->rootfd, &st) != 0) {
		rc = err_set(e, errno == ENOENT ? SL_ENOTFOUND : SL_EIO,
		             "rules: root %s: %s", root, strerror(errno));
		goto out;
	}
	*out = c;
	c = NULL;
	rc = SL_OK;
out:
	rules_ctx_free(c);
	return rc;
}

void
rules_ctx_free(struct rules_ctx *c)
{
	if (c == NULL)
		return;
	if (c->rootfd >= 0)
		close(c->rootfd);
	osinfo_free(c->os);
	dpkgdb_free(c->dpkg);
	json_decref(c->rpm_cache);
	rules_tree_release(&c->tree);
	for (size_t i = 0; c->exists != NULL && i < EXISTS_SLOTS; i++)
		free(c->exists[i].path);
	free(c->exists);
	free(c->root);
	free(c);
}

struct rtree *
rules_ctx_tree(struct rules_ctx *c)
{
	return &c->tree;
}

void
rules_ctx_set_update_lookup(struct rules_ctx *c, rules_update_lookup_fn fn,
                            void *arg)
{
	c->update_installed = fn;
	c->update_arg = arg;
}

/* Replay a cached load failure into e. */
static int
replay(const struct err *saved, struct err *e)
{
	return err_set(e, saved->code, "%s", saved->msg);
}

static int
get_os(struct rules_ctx *c, const struct osinfo **os, struct err *e)
{
	if (!c->os_loaded) {
		err_clear(&c->os_err);
		osinfo_load(&c->os, c->root, &c->os_err);
		c->os_loaded = true;
	}
	if (c->os == NULL)
		return replay(&c->os_err, e);
	*os = c->os;
	return SL_OK;
}

static int
get_dpkg(struct rules_ctx *c, const struct dpkgdb **db, struct err *e)
{
	char path[PATH_MAX];
	int rc;

	if (!c->dpkg_loaded) {
		err_clear(&c->dpkg_err);
		c->dpkg_loaded = true;
		rc = fsx_join(path, sizeof(path), c->root,
		              "var/lib/dpkg/status", &c->dpkg_err);
		if (rc == SL_OK)
			rc = dpkgdb_load(&c->dpkg, path, &c->dpkg_err);
		/* no status file: a system without dpkg */
		if (rc == SL_ENOTFOUND)
			dpkgdb_new_empty(&c->dpkg, &c->dpkg_err);
	}
	if (c->dpkg == NULL)
		return replay(&c->dpkg_err, e);
	*db = c->dpkg;
	return SL_OK;
}

/* op and version of a rule its check accepted (rules_op_version there:
 * both or neither, a known op, a version that is not empty), without
 * checking them again. */
static int
op_version(const struct rnode *rule, const char *type, const char **op,
           const char **version, struct err *e)
{
	int rc;

	if ((rc = rules_param(rule, type, "op", false, op, e)) != SL_OK)
		return rc;
	return rules_param(rule, type, "version", false, version, e);
}

/* --- files under the root -------------------------------------------- */

/* Open path (absolute, checked) under the root; a file descriptor or
 * -errno. */
static int
open_under_root(struct rules_ctx *c, const char *path, int flags)
{
	struct open_how how;
	const char *rel;
	long fd;

	if (!c->no_openat2) {
		memset(&how, 0, sizeof(how));
		how.flags = (unsigned long long)(flags | O_CLOEXEC);
		how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
		fd = syscall(SYS_openat2, c->rootfd, path, &how, sizeof(how));
		if (fd >= 0)
			return (int)fd;
		if (errno != ENOSYS && errno != EPERM)
			return -errno;
		c->no_openat2 = true;
	}
	rel = path + strspn(path, "/");
	fd = openat(c->rootfd, rel[0] != '\0' ? rel : ".", flags | O_CLOEXEC);
	return fd >= 0 ? (int)fd : -errno;
}

/* Whether an open failure means "no such file" (false) rather than an
 * error. ELOOP and EXDEV: a link that would leave the root. */
static bool
absent(int err)
{
	return err == ENOENT || err == ENOTDIR || err == ELOOP || err == EXDEV;
}

/* Open path for reading as a regular file: *fd -1 when there is none. */
static int
open_regular(struct rules_ctx *c, const char *type, const char *path, int *fd,
             struct err *e)
{
	struct stat st;
	int r;

	*fd = -1;
	r = open_under_root(c, path, O_RDONLY | O_NOCTTY | O_NONBLOCK);
	if (r < 0) {
		if (absent(-r) || -r == ENXIO)
			return SL_OK;
		return err_set(e, SL_EIO, "%s: %s: %s", type, path,
		               strerror(-r));
	}
	if (fstat(r, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(r);
		return SL_OK;
	}
	*fd = r;
	return SL_OK;
}

static int
read_some(int fd, void *b, size_t n, const char *type, const char *path,
          ssize_t *got, struct err *e)
{
	do
		*got = read(fd, b, n);
	while (*got < 0 && errno == EINTR);
	if (*got < 0)
		return err_set(e, SL_EIO, "%s: %s: %s", type, path,
		               strerror(errno));
	return SL_OK;
}

/* The slot of path in the file_exists answers (free when not kept);
 * NULL when there is no table. */
static struct exists_slot *
exists_slot(struct rules_ctx *c, const char *path)
{
	uint32_t h = 2166136261u, i;

	if (c->exists == NULL &&
	    (c->exists = calloc(EXISTS_SLOTS, sizeof(*c->exists))) == NULL)
		return NULL;
	for (const char *p = path; *p != '\0'; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	for (i = h & (EXISTS_SLOTS - 1); c->exists[i].path != NULL;
	     i = (i + 1) & (EXISTS_SLOTS - 1))
		if (c->exists[i].hash == h &&
		    strcmp(c->exists[i].path, path) == 0)
			break;
	c->exists[i].hash = h;
	return &c->exists[i];
}

/* Asked once per path and context, like the other facts (rules.h). */
static int
p_file_exists(struct rules_ctx *c, const struct rnode *rule, const char *type,
              bool *out, struct err *e)
{
	struct exists_slot *slot;
	const char *path;
	int rc, fd;

	if ((rc = rules_path_param(rule, type, &path, e)) != SL_OK)
		return rc;
	slot = exists_slot(c, path);
	if (slot != NULL && slot->path != NULL) {
		*out = slot->exists;
		return SL_OK;
	}
	fd = open_under_root(c, path, O_PATH);
	if (fd < 0 && !absent(-fd))
		return err_set(e, SL_EIO, "%s: %s: %s", type, path,
		               strerror(-fd));
	*out = fd >= 0;
	if (fd >= 0)
		close(fd);
	/* kept when there is room (no room or no memory: asked again) */
	if (slot != NULL && c->n_exists < EXISTS_MAX &&
	    (slot->path = strdup(path)) != NULL) {
		slot->exists = *out;
		c->n_exists++;
	}
	return SL_OK;
}

static int
p_file_sha256(struct rules_ctx *c, const struct rnode *rule, const char *type,
              bool *out, struct err *e)
{
	char want[HASH_HEX_LEN + 1], got[HASH_HEX_LEN + 1];
	const char *path, *sha;
	struct hash_ctx h;
	unsigned char *b = NULL;
	ssize_t n;
	size_t i;
	int rc, fd = -1;

	if ((rc = rules_path_param(rule, type, &path, e)) != SL_OK ||
	    (rc = rules_param(rule, type, "sha256", true, &sha, e)) != SL_OK)
		return rc;
	for (i = 0; i < HASH_HEX_LEN && sha[i] != '\0'; i++)
		want[i] =
		        (sha[i] >= 'A' && sha[i] <= 'F') ? sha[i] + 32 : sha[i];
	want[i] = '\0';
	if (sha[i] != '\0' || !hash_is_hex(want) || i != HASH_HEX_LEN)
		return err_set(e, SL_EINVAL, "%s: sha256 must be 64 hex digits",
		               type);
	if ((rc = open_regular(c, type, path, &fd, e)) != SL_OK)
		return rc;
	if (fd < 0) {
		*out = false;
		return SL_OK;
	}
	if ((b = malloc(CHUNK)) == NULL) {
		rc = err_set(e, SL_ENOMEM, "out of memory");
		goto out;
	}
	hash_init(&h);
	for (;;) {
		if ((rc = read_some(fd, b, CHUNK, type, path, &n, e)) != SL_OK)
			goto out;
		if (n == 0)
			break;
		hash_update(&h, b, (size_t)n);
	}
	hash_final_hex(&h, got);
	*out = strcmp(got, want) == 0;
out:
	free(b);
	close(fd);
	return rc;
}

static int
p_file_contains(struct rules_ctx *c, const struct rnode *rule, const char *type,
                bool *out, struct err *e)
{
	const char *path, *text;
	size_t tlen, keep = 0;
	char *b = NULL;
	ssize_t n;
	int rc, fd = -1;

	if ((rc = rules_path_param(rule, type, &path, e)) != SL_OK ||
	    (rc = rules_param(rule, type, "text", true, &text, e)) != SL_OK)
		return rc;
	tlen = strlen(text);
	if (tlen > RULES_MAX_TEXT)
		return err_set(e, SL_EINVAL, "%s: text longer than %d bytes",
		               type, RULES_MAX_TEXT);
	if ((rc = open_regular(c, type, path, &fd, e)) != SL_OK)
		return rc;
	*out = false;
	if (fd < 0)
		return SL_OK;
	/* stream the file, keeping the last tlen-1 bytes of each chunk so a
	 * match across chunk boundaries is found */
	if ((b = malloc(CHUNK + RULES_MAX_TEXT)) == NULL) {
		rc = err_set(e, SL_ENOMEM, "out of memory");
		goto out;
	}
	for (;;) {
		if ((rc = read_some(fd, b + keep, CHUNK, type, path, &n, e)) !=
		    SL_OK)
			goto out;
		if (n == 0)
			break;
		if (memmem(b, keep + (size_t)n, text, tlen) != NULL) {
			*out = true;
			break;
		}
		if (keep + (size_t)n >= tlen - 1) {
			memmove(b, b + keep + (size_t)n - (tlen - 1), tlen - 1);
			keep = tlen - 1;
		} else {
			keep += (size_t)n;
		}
	}
out:
	free(b);
	close(fd);
	return rc;
}

/* --- system facts ---------------------------------------------------- */

static int
p_const(struct rules_ctx *c, const struct rnode *rule, const char *type,
        bool *out, struct err *e)
{
	*out = strcmp(type, "true") == 0;
	return SL_OK;
}

static int
p_os_id(struct rules_ctx *c, const struct rnode *rule, const char *type,
        bool *out, struct err *e)
{
	const struct osinfo *os = NULL;
	const char *id;
	int rc;

	if ((rc = rules_param(rule, type, "id", true, &id, e)) != SL_OK)
		return rc;
	if ((rc = get_os(c, &os, e)) != SL_OK)
		return err_prefix(e, "%s", type);
	*out = strcmp(os->id, id) == 0;
	return SL_OK;
}

/* os_version and kernel: compare a fact (may be NULL: false) with debver. */
static int
version_fact(struct rules_ctx *c, const struct rnode *rule, const char *type,
             bool kernel, bool *out, struct err *e)
{
	const struct osinfo *os = NULL;
	const char *op, *version, *have;
	int rc;

	if ((rc = op_version(rule, type, &op, &version, e)) != SL_OK)
		return rc;
	if ((rc = get_os(c, &os, e)) != SL_OK)
		return err_prefix(e, "%s", type);
	have = kernel ? os->kernel : os->version_id;
	if (have == NULL) {
		*out = false;
		return SL_OK;
	}
	return debver_op_holds(op, debver_cmp(have, version), out, e);
}

static int
p_os_version(struct rules_ctx *c, const struct rnode *rule, const char *type,
             bool *out, struct err *e)
{
	return version_fact(c, rule, type, false, out, e);
}

static int
p_kernel(struct rules_ctx *c, const struct rnode *rule, const char *type,
         bool *out, struct err *e)
{
	return version_fact(c, rule, type, true, out, e);
}

static int
p_arch(struct rules_ctx *c, const struct rnode *rule, const char *type,
       bool *out, struct err *e)
{
	const struct osinfo *os = NULL;
	const char *arch;
	int rc;

	if ((rc = rules_param(rule, type, "arch", true, &arch, e)) != SL_OK)
		return rc;
	if ((rc = get_os(c, &os, e)) != SL_OK)
		return err_prefix(e, "%s", type);
	*out = osinfo_arch_matches(os->arch, arch);
	return SL_OK;
}

/* --- packages and updates -------------------------------------------- */

static int
p_deb_installed(struct rules_ctx *c, const struct rnode *rule, const char *type,
                bool *out, struct err *e)
{
	const struct dpkgdb *db;
	const char *pkg, *op, *version, *have;
	int rc;

	/* the check (rules_c_package) took the version as dpkg's */
	if ((rc = rules_param(rule, type, "package", true, &pkg, e)) != SL_OK ||
	    (rc = op_version(rule, type, &op, &version, e)) != SL_OK)
		return rc;
	if ((rc = get_dpkg(c, &db, e)) != SL_OK)
		return err_prefix(e, "%s", type);
	have = dpkgdb_version(db, pkg);
	if (have == NULL || op == NULL) {
		*out = have != NULL;
		return SL_OK;
	}
	return debver_op_holds(op, debver_cmp(have, version), out, e);
}

/* rpm's answer for pkg (NULL: not installed), asked once per context. */
static int
rpm_versions(struct rules_ctx *c, const char *pkg, const char **out,
             struct err *e)
{
	json_t *v = json_object_get(c->rpm_cache, pkg);
	char *text = NULL;
	int rc;

	if (v == NULL) {
		if ((rc = rpmdb_query(&text, c->root, pkg, e)) != SL_OK)
			return rc;
		v = text != NULL ? json_string(text) : json_null();
		free(text);
		if (v == NULL || json_object_set_new(c->rpm_cache, pkg, v) != 0)
			return err_set(e, SL_ENOMEM, "out of memory");
	}
	*out = json_string_value(v);
	return SL_OK;
}

static int
p_rpm_installed(struct rules_ctx *c, const struct rnode *rule, const char *type,
                bool *out, struct err *e)
{
	const char *pkg, *op, *version, *lines = NULL, *p;
	char evr[512];
	bool hit = false;
	int rc;

	if ((rc = rules_param(rule, type, "package", true, &pkg, e)) != SL_OK ||
	    (rc = op_version(rule, type, &op, &version, e)) != SL_OK)
		return rc;
	if ((rc = rpm_versions(c, pkg, &lines, e)) != SL_OK)
		return err_prefix(e, "%s", type);
	if (lines == NULL || op == NULL) {
		*out = lines != NULL;
		return SL_OK;
	}
	/* one line per installed version: any one satisfying the op will do */
	for (p = lines; *p != '\0' && !hit;) {
		size_t n = strcspn(p, "\n");

		if (n > 0 && n < sizeof(evr)) {
			memcpy(evr, p, n);
			evr[n] = '\0';
			if ((rc = debver_op_holds(op,
			                          rpmver_cmp_evr(evr, version),
			                          &hit, e)) != SL_OK)
				return rc;
		}
		p += n + (p[n] == '\n');
	}
	*out = hit;
	return SL_OK;
}

static int
p_update_installed(struct rules_ctx *c, const struct rnode *rule,
                   const char *type, bool *out, struct err *e)
{
	const char *id;
	int rc;

	if ((rc = rules_param(rule, type, "id", true, &id, e)) != SL_OK)
		return rc;
	if (c->update_installed == NULL)
		return err_set(e, SL_EUNSUPPORTED,
		               "%s: no update lookup configured", type);
	*out = c->update_installed(c->update_arg, id);
	return SL_OK;
}

const struct pred rules_preds[] = {
        {"true", rules_c_none, p_const},
        {"false", rules_c_none, p_const},
        {"os_id", rules_c_os_id, p_os_id},
        {"os_version", rules_c_version_fact, p_os_version},
        {"arch", rules_c_arch, p_arch},
        {"kernel", rules_c_version_fact, p_kernel},
        {"file_exists", rules_c_path, p_file_exists},
        {"file_sha256", rules_c_file_sha256, p_file_sha256},
        {"file_contains", rules_c_file_contains, p_file_contains},
        {"deb_installed", rules_c_package, p_deb_installed},
        {"rpm_installed", rules_c_package, p_rpm_installed},
        {"update_installed", rules_c_update_installed, p_update_installed},
        {NULL, NULL, NULL},
};

/* --- the tree ---------------------------------------------------------- */

static int eval(struct rules_ctx *c, const struct rnode *rule, int depth,
                bool *out, struct err *e);

static int
eval_list(struct rules_ctx *c, const struct rnode *list, const char *name,
          bool is_and, int depth, bool *out, struct err *e)
{
	struct rnode item;
	uint32_t cur = 0;
	size_t i, n;
	bool v = false;
	int rc;

	if (rn_kind(list) != RK_ARRAY)
		return err_set(e, SL_EINVAL, "%s: must be an array of rules",
		               name);
	for (i = 0, n = rn_size(list); i < n; i++) {
		rn_elem(list, i, &cur, &item);
		if ((rc = eval(c, &item, depth + 1, &v, e)) != SL_OK)
			return err_prefix(e, "%s[%zu]", name, i);
		if (v != is_and) { /* false in an and, true in an or */
			*out = v;
			return SL_OK;
		}
	}
	*out = is_and;
	return SL_OK;
}

static int
eval(struct rules_ctx *c, const struct rnode *rule, int depth, bool *out,
     struct err *e)
{
	struct rnode and_, or_, not_, type;
	const char *name;
	size_t i, len;
	bool v;
	int rc;

	if (depth > RULES_MAX_DEPTH)
		return err_set(e, SL_EINVAL,
		               "rule nested deeper than %d levels",
		               RULES_MAX_DEPTH);
	if (rn_kind(rule) != RK_OBJECT)
		return err_set(e, SL_EINVAL, "rule must be an object");
	rn_get(rule, "and", &and_);
	rn_get(rule, "or", &or_);
	rn_get(rule, "not", &not_);
	rn_get(rule, "type", &type);
	if ((rn_kind(&and_) != RK_NONE) + (rn_kind(&or_) != RK_NONE) +
	            (rn_kind(&not_) != RK_NONE) + (rn_kind(&type) != RK_NONE) !=
	    1)
		return err_set(e, SL_EINVAL,
		               "rule must have exactly one of type, and, or, "
		               "not");
	if (rn_kind(&and_) != RK_NONE)
		return eval_list(c, &and_, "and", true, depth, out, e);
	if (rn_kind(&or_) != RK_NONE)
		return eval_list(c, &or_, "or", false, depth, out, e);
	if (rn_kind(&not_) != RK_NONE) {
		if ((rc = eval(c, &not_, depth + 1, &v, e)) != SL_OK)
			return err_prefix(e, "not");
		*out = !v;
		return SL_OK;
	}
	if (rn_kind(&type) != RK_STRING)
		return err_set(e, SL_EINVAL, "rule type must be a string");
	name = rn_string(&type, &len);
	for (i = 0; rules_preds[i].name != NULL; i++) {
		if (name[0] != rules_preds[i].name[0] ||
		    strcmp(name, rules_preds[i].name) != 0)
			continue;
		if ((rc = rules_preds[i].check(rule, name, false, e)) !=
		            SL_OK ||
		    (rc = rules_preds[i].eval(c, rule, name, &v, e)) != SL_OK)
			return rc;
		*out = v;
		return SL_OK;
	}
	return err_set(e, SL_EUNSUPPORTED, "unknown predicate '%.64s'", name);
}

int
rules_eval_node(struct rules_ctx *ctx, const struct rnode *rule, bool *out,
                struct err *e)
{
	assert(ctx != NULL && out != NULL);
	return eval(ctx, rule, 1, out, e);
}

int
rules_eval(struct rules_ctx *ctx, const json_t *rule, bool *out, struct err *e)
{
	struct rnode n = {rule, NULL, 0};

	return rules_eval_node(ctx, &n, out, e);
}
