/*
 * import: load an export archive (export.h) on a server with no upstream.
 * The archive is unpacked into DATA/import/ and synced from as a catalog
 * origin (file://), so every signature and hash is checked by the same
 * code as an ordinary sync; files are checked before anything is written.
 */
#define _XOPEN_SOURCE 700
#include "export.h"

#include <errno.h>
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "catalog.h"
#include "fsx.h"
#include "hash.h"
#include "jsonx.h"
#include "sign.h"
#include "sync.h"
#include "tarx.h"

#define MANIFEST_MAX (256u << 20)

/* One import at a time in this process: they share DATA/import/. */
static pthread_mutex_t import_mu = PTHREAD_MUTEX_INITIALIZER;
#define IMPORT_DIR "import"

static int
rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)ftw;
	return (flag == FTW_DP ? rmdir(path) : unlink(path)) == 0 ? 0 : -1;
}

static int
rm_tree(const char *dir, struct err *e)
{
	if (!fsx_exists(dir))
		return SL_OK;
	if (nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS) != 0)
		return err_set(e, SL_EIO, "%s: cannot remove: %s", dir,
		               strerror(errno));
	return SL_OK;
}

static bool
hex_part(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		      (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/* Only the members an export writes. */
static int
member_ok(void *arg, const char *name, struct err *e)
{
	size_t n = strlen(name);

	(void)arg;
	if (strcmp(name, "index.json") == 0 ||
	    strcmp(name, "manifest.json") == 0 ||
	    strcmp(name, "keys.json") == 0 ||
	    strcmp(name, "timestamp.json") == 0)
		return SL_OK;
	if (strncmp(name, "updates/", 8) == 0 && n > 5 + 8 &&
	    strcmp(name + n - 5, ".json") == 0)
		return SL_OK;
	/* content/<aa>/<64 hex>, aa the first two digits */
	if (n == 8 + 3 + 64 && strncmp(name, "content/", 8) == 0 &&
	    name[10] == '/' && hex_part(name + 8, 2) &&
	    hex_part(name + 11, 64) && strncmp(name + 8, name + 11, 2) == 0)
		return SL_OK;
	return err_set(e, SL_EINVAL, "not a member of a sluice export");
}

struct manifest {
	json_t *root;
	json_t *ids;   /* {id: true} */
	json_t *files; /* array of sha256 */
};

static bool
keep_id(void *arg, const char *id)
{
	return json_object_get(arg, id) != NULL;
}

static int
manifest_load(struct manifest *m, const char *dir, struct err *e)
{
	char path[4096], *text = NULL;
	const char *fmt;
	json_t *u, *v;
	json_int_t version;
	json_error_t je;
	size_t len, i;
	int rc;

	if ((rc = fsx_join(path, sizeof(path), dir, "manifest.json", e)) !=
	    SL_OK)
		return rc;
	if ((rc = fsx_read(path, MANIFEST_MAX, &text, &len, e)) != SL_OK)
		return err_prefix(e, "manifest.json");
	m->root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	free(text);
	if (m->root == NULL || !json_is_object(m->root))
		return err_set(e, SL_EPARSE,
		               "manifest.json: line %d column %d: %s", je.line,
		               je.column,
		               m->root == NULL ? je.text : "not an object");
	if ((m->ids = json_object()) == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	if (jsonx_req_str(&fmt, m->root, "format", 64, e) != SL_OK ||
	    strcmp(fmt, "sluice-export") != 0)
		return err_set(e, SL_EPARSE,
		               "manifest.json: format: expected "
		               "\"sluice-export\"");
	v = json_object_get(m->root, "version");
	version = json_is_integer(v) ? json_integer_value(v) : 0;
	if (version != 1)
		return err_set(e, SL_EUNSUPPORTED,
		               "manifest.json: version: %lld is not 1",
		               (long long)version);
	u = json_object_get(m->root, "updates");
	m->files = json_object_get(m->root, "files");
	if (!json_is_array(u) || !json_is_array(m->files))
		return err_set(e, SL_EPARSE,
		               "manifest.json: updates and files: expected "
		               "arrays");
	json_array_foreach(u, i, v)
	{
		const char *id = json_string_value(json_object_get(v, "id"));

		if (id == NULL || !update_id_valid(id))
			return err_set(e, SL_EPARSE,
			               "manifest.json: updates[%zu].id: "
			               "expected an update id",
			               i);
		if (json_object_set_new(m->ids, id, json_true()) != 0)
			return err_set(e, SL_ENOMEM, "out of memory");
	}
	json_array_foreach(m->files, i, v)
	{
		const char *sha = json_string_value(v);

		if (sha == NULL || strlen(sha) != 64 || !hex_part(sha, 64))
			return err_set(e, SL_EPARSE,
			               "manifest.json: files[%zu]: expected a "
			               "SHA-256",
			               i);
	}
	return SL_OK;
}

/* Every listed file is in the archive with the bytes its name says. */
static int
files_check(const struct manifest *m, const char *dir, struct err *e)
{
	json_t *v;
	size_t i;
	int rc;

	json_array_foreach(m->files, i, v)
	{
		const char *sha = json_string_value(v);
		char rel[80], path[4096], hex[HASH_HEX_LEN + 1];

		catalog_content_path(rel, sizeof(rel), sha);
		if ((rc = fsx_join(path, sizeof(path), dir, rel, e)) != SL_OK)
			return rc;
		if ((rc = hash_file_hex(path, hex, NULL, e)) != SL_OK)
			return err_prefix(e, "%s", rel);
		if (strcmp(hex, sha) != 0)
			return err_set(e, SL_EVERIFY,
			               "%s: content does not match its SHA-256 "
			               "(tampered archive)",
			               rel);
	}
	return SL_OK;
}

/* Copy the archive's files into the content store (verified again by the
 * copy) and mark their rows present. */
static int
files_copy(struct import_result *res, struct store *db,
           const struct server_config *cfg, const struct manifest *m,
           const char *dir, struct err *e)
{
	long long now = (long long)time(NULL);
	json_t *v;
	size_t i;
	int rc;

	json_array_foreach(m->files, i, v)
	{
		const char *sha = json_string_value(v);
		char rel[80], src[4096], dst[4096], sub[4096];

		catalog_content_path(rel, sizeof(rel), sha);
		if ((rc = fsx_join(src, sizeof(src), dir, rel, e)) != SL_OK ||
		    (rc = fsx_join(dst, sizeof(dst), cfg->content_dir,
		                   rel + strlen("content/"), e)) != SL_OK)
			return rc;
		if (fsx_exists(dst)) {
			res->files_had++;
		} else {
			memcpy(sub, dst, sizeof(sub));
			*strrchr(sub, '/') = '\0';
			if ((rc = fsx_mkdirs(sub, 0755, e)) != SL_OK ||
			    (rc = fsx_copy_atomic(src, dst, sha, NULL, NULL,
			                          e)) != SL_OK)
				return rc;
			res->files++;
		}
		if ((rc = store_content_present(db, sha, now, e)) != SL_OK)
			return rc;
	}
	return SL_OK;
}

/* Add the archive's groups and approvals (never removes local ones). */
static int
approvals_apply(struct import_result *res, struct store *db,
                const struct manifest *m, const char *path, struct err *e)
{
	json_t *groups = json_object_get(m->root, "groups");
	json_t *approvals = json_object_get(m->root, "approvals"), *v;
	size_t i;
	int rc;

	if (!json_is_array(groups) || !json_is_array(approvals))
		return SL_OK;
	if ((rc = store_begin(db, e)) != SL_OK)
		return rc;
	json_array_foreach(groups, i, v)
	{
		const char *name =
		        json_string_value(json_object_get(v, "name"));

		if (name == NULL)
			continue;
		if ((rc = store_replica_group(db, name, e)) != SL_OK)
			goto out;
	}
	json_array_foreach(groups, i, v)
	{
		const char *name =
		        json_string_value(json_object_get(v, "name"));
		const char *parent =
		        json_string_value(json_object_get(v, "parent"));

		if (name == NULL || parent == NULL ||
		    strcmp(name, STORE_GROUP_ALL) == 0 ||
		    strcmp(name, STORE_GROUP_UNASSIGNED) == 0)
			continue;
		if ((rc = store_replica_group_parent(db, name, parent, e)) !=
		    SL_OK)
			goto out;
	}
	json_array_foreach(approvals, i, v)
	{
		const char *id =
		        json_string_value(json_object_get(v, "update"));
		const char *g = json_string_value(json_object_get(v, "group"));
		const char *act =
		        json_string_value(json_object_get(v, "action"));
		const char *dl =
		        json_string_value(json_object_get(v, "deadline"));
		struct store_update_status st;
		long long t = 0;
		int64_t gid;
		bool changed;

		if (id == NULL || g == NULL || act == NULL ||
		    (strcmp(act, "install") != 0 &&
		     strcmp(act, "uninstall") != 0 &&
		     strcmp(act, "not-approved") != 0) ||
		    (dl != NULL && sign_time_parse(dl, &t, e) != SL_OK)) {
			rc = err_set(e, SL_EPARSE,
			             "manifest.json: approvals[%zu]: malformed",
			             i);
			goto out;
		}
		if ((rc = store_update_status(&st, db, id, e)) != SL_OK)
			goto out;
		if (!st.known)
			continue;
		if ((rc = store_group_id(&gid, db, g, e)) != SL_OK)
			goto out;
		if ((rc = store_approval_set(db, id, gid, act, dl != NULL, t,
		                             "import", &changed, e)) != SL_OK)
			goto out;
		res->approvals += changed;
	}
	if (res->approvals > 0 &&
	    (rc = store_audit_add(db, e, "import", "approvals.import", path,
	                          "%u approvals", res->approvals)) != SL_OK)
		goto out;
	rc = store_commit(db, e);
out:
	if (rc != SL_OK) {
		store_rollback(db);
		err_prefix(e, "approvals");
	}
	return rc;
}

int
import_run(struct import_result *out, struct store *db,
           const struct server_config *cfg, const char *path, struct err *e)
{
	struct import_result res = {0};
	struct tarx_limits lim = {.max_members = EXPORT_MEMBERS_MAX};
	struct manifest m = {0};
	struct server_config c2;
	struct sync_result sr;
	char dir[4096], url[4200];
	int rc;

	dir[0] = '\0';
	if (pthread_mutex_trylock(&import_mu) != 0)
		return err_set(e, SL_ECONFLICT,
		               "import: another import is running");
	if ((rc = fsx_join(dir, sizeof(dir), cfg->data_dir, IMPORT_DIR, e)) !=
	    SL_OK)
		goto out;
	if ((rc = rm_tree(dir, e)) != SL_OK ||
	    (rc = fsx_mkdirs(dir, 0755, e)) != SL_OK)
		goto out;
	if ((rc = tarx_extract(path, dir, &lim, member_ok, NULL, NULL, e)) !=
	    SL_OK)
		goto out;
	if ((rc = manifest_load(&m, dir, e)) != SL_OK)
		goto out;
	if ((rc = files_check(&m, dir, e)) != SL_OK) {
		err_prefix(e, "%s", path);
		goto out;
	}
	/* The sync of a catalog origin at file://DATA/import/. */
	snprintf(url, sizeof(url), "file://%s/", dir);
	c2 = *cfg;
	c2.upstream_url = url;
	c2.upstream_kind = UPSTREAM_CATALOG;
	c2.upstream_mode = UPSTREAM_AUTONOMOUS;
	rc = sync_run_filtered(db, &c2, keep_id, m.ids, true, &sr, e);
	res.history_id = sr.history_id;
	if (rc != SL_OK)
		goto out;
	res.index_version = sr.index_version;
	res.new_count = sr.new_count;
	res.revised_count = sr.revised_count;
	res.expired_count = sr.expired_count;
	if ((rc = files_copy(&res, db, cfg, &m, dir, e)) != SL_OK ||
	    (rc = approvals_apply(&res, db, &m, path, e)) != SL_OK)
		goto out;
	*out = res;
out:
	if (rc != SL_OK) {
		out->history_id = res.history_id;
		err_prefix(e, "import");
	}
	/* What was unpacked is not needed any more (the content store has
	 * the files); a failed removal is harmless. */
	if (dir[0] != '\0') {
		struct err e2;

		err_clear(&e2);
		(void)rm_tree(dir, &e2);
	}
	json_decref(m.root);
	json_decref(m.ids);
	pthread_mutex_unlock(&import_mu);
	return rc;
}
