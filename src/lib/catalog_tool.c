/*
 * catalog_tool: the operations behind `sluice catalog`: create a catalog,
 * add updates and revisions, withdraw (expire) updates, re-sign, verify.
 *
 * Every mutation holds an exclusive lock on DIR/private/lock and writes in
 * the order content -> metadata document -> index -> state, each file
 * atomically, so a crash at any point leaves the previous valid index.
 */
#include "catalog.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "catalog_priv.h"
#include "fsx.h"
#include "hash.h"
#include "update_check.h"

int
dir_paths(struct catalog_dir *d, const char *dir, struct err *e)
{
	int rc;

	if ((rc = fsx_join(d->public, sizeof(d->public), dir, "public", e)) ||
	    (rc = fsx_join(d->key, sizeof(d->key), dir, "private/signing.key",
	                   e)) ||
	    (rc = fsx_join(d->state, sizeof(d->state), dir,
	                   "private/state.json", e)) ||
	    (rc = fsx_join(d->lock, sizeof(d->lock), dir, "private/lock", e)) ||
	    (rc = fsx_join(d->root, sizeof(d->root), dir, "private/root.key",
	                   e)) ||
	    (rc = fsx_join(d->root_pub, sizeof(d->root_pub), dir,
	                   "public/root.pub", e)) ||
	    (rc = fsx_join(d->keys, sizeof(d->keys), dir, "public/keys.json",
	                   e)) ||
	    (rc = fsx_join(d->ts, sizeof(d->ts), dir, "public/timestamp.json",
	                   e)))
		return rc;
	return SL_OK;
}

int
lock_dir(const struct catalog_dir *d, int *fd_out, struct err *e)
{
	int fd = open(d->lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

	if (fd < 0)
		return err_set(e, errno == ENOENT ? SL_ENOTFOUND : SL_EIO,
		               "%s: %s (is this a catalog made by `sluice "
		               "catalog init`?)",
		               d->lock, strerror(errno));
	if (flock(fd, LOCK_EX) < 0) {
		close(fd);
		return err_set(e, SL_EIO, "lock %s: %s", d->lock,
		               strerror(errno));
	}
	*fd_out = fd;
	return SL_OK;
}

int64_t
state_get(const struct catalog_dir *d, const char *key)
{
	json_t *st = json_load_file(d->state, 0, NULL);
	int64_t v = json_integer_value(json_object_get(st, key));

	json_decref(st);
	return v;
}

int64_t
state_last_version(const struct catalog_dir *d)
{
	return state_get(d, "last_version");
}

int
state_set(const struct catalog_dir *d, const char *key, int64_t v,
          struct err *e)
{
	json_t *st = json_load_file(d->state, 0, NULL);
	int rc;

	if (!json_is_object(st)) {
		json_decref(st);
		st = json_object();
	}
	if (st == NULL ||
	    json_object_set_new(st, key, json_integer((json_int_t)v)) != 0)
		rc = err_set(e, SL_ENOMEM, "out of memory");
	else
		rc = write_json(d->state, st, 0600, e);
	json_decref(st);
	return rc;
}

int
write_json(const char *path, const json_t *v, mode_t mode, struct err *e)
{
	char *text = json_dumps(v, JSON_INDENT(2) | JSON_SORT_KEYS);
	int rc;

	if (text == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	rc = fsx_write_atomic(path, text, strlen(text), mode, e);
	free(text);
	return rc;
}

/* Sign and write a new index holding `updates` (stolen reference). */
int
index_write(const struct catalog_dir *d, const struct sign_key *k,
            json_t *updates, int64_t version, int expiry_days, struct err *e)
{
	char created[21], expires[21], path[PATH_MAX_LEN], *text = NULL;
	json_t *doc = NULL, *env = NULL;
	long long now = (long long)time(NULL);
	int rc;

	if (expiry_days <= 0)
		expiry_days = CATALOG_DEFAULT_EXPIRY_DAYS;
	sign_time_format(created, now);
	sign_time_format(expires, now + (long long)expiry_days * 86400);
	doc = json_pack("{s:s,s:I,s:s,s:s,s:o}", "type", CATALOG_INDEX_TYPE,
	                "version", (json_int_t)version, "created", created,
	                "expires", expires, "updates", updates);
	if (doc == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	if ((rc = sign_envelope(&env, doc, k, e)) != SL_OK)
		goto out;
	if ((text = json_dumps(env, JSON_INDENT(2) | JSON_SORT_KEYS)) == NULL) {
		rc = err_set(e, SL_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = fsx_join(path, sizeof(path), d->public, "index.json", e)) ||
	    (rc = fsx_write_atomic(path, text, strlen(text), 0644, e)))
		goto out;
	/* Remember the highest version signed: verify refuses anything older.
	 */
	if ((rc = state_set(d, "last_version", version, e)) != SL_OK)
		goto out;
	/* The timestamp names the new index (its freshness for readers). */
	rc = timestamp_write(d, k, version, text, strlen(text), 0, e);
out:
	free(text);
	json_decref(doc);
	json_decref(env);
	return rc;
}

/* The current index's signed document (new reference), checked with the
 * catalog's own key; expiry is not checked (we are about to re-sign). */
int
index_read(json_t **doc_out, int64_t *version, struct catalog_index **idx_out,
           const struct catalog_dir *d, const struct sign_key *k, struct err *e)
{
	struct catalog_index *idx = NULL;
	struct sign_keyring kr = {0};
	char path[PATH_MAX_LEN], *text = NULL;
	const json_t *doc;
	json_t *env = NULL;
	size_t len;
	int rc;

	if ((rc = sign_keyring_add(&kr, k, e)) ||
	    (rc = fsx_join(path, sizeof(path), d->public, "index.json", e)) ||
	    (rc = fsx_read(path, CATALOG_INDEX_MAX, &text, &len, e)))
		goto out;
	if ((rc = catalog_index_parse(&idx, text, len, &kr, 0,
	                              state_last_version(d), e)) != SL_OK)
		goto out;
	env = json_loadb(text, len, 0, NULL);
	if ((rc = sign_envelope_verify(env, &kr, &doc, e)) != SL_OK)
		goto out;
	*doc_out = json_deep_copy(doc);
	*version = idx->version;
	if (idx_out != NULL) {
		*idx_out = idx;
		idx = NULL;
	}
out:
	catalog_index_free(idx);
	json_decref(env);
	free(text);
	return rc;
}

int
catalog_init(const char *dir, struct err *e)
{
	char pub[PATH_MAX_LEN], sub[PATH_MAX_LEN], name[64];
	struct catalog_dir d;
	struct sign_key k;
	int rc;

	if ((rc = dir_paths(&d, dir, e)) != SL_OK)
		return rc;
	if (fsx_exists(d.key))
		return err_set(e, SL_EEXISTS, "%s: already a catalog", dir);
	if ((rc = fsx_join(sub, sizeof(sub), dir, "private", e)) ||
	    (rc = fsx_mkdirs(sub, 0700, e)) ||
	    (rc = fsx_join(sub, sizeof(sub), d.public, "keys", e)) ||
	    (rc = fsx_mkdirs(sub, 0755, e)) ||
	    (rc = fsx_join(sub, sizeof(sub), d.public, "updates", e)) ||
	    (rc = fsx_mkdirs(sub, 0755, e)) ||
	    (rc = fsx_join(sub, sizeof(sub), d.public, "content", e)) ||
	    (rc = fsx_mkdirs(sub, 0755, e)))
		return rc;
	if ((rc = sign_key_generate(&k, e)) != SL_OK)
		return rc;
	snprintf(name, sizeof(name), "keys/%s.pub", k.keyid);
	if ((rc = fsx_join(pub, sizeof(pub), d.public, name, e)) ||
	    (rc = sign_key_save(&k, d.key, pub, e)))
		goto out;
	if ((rc = index_write(&d, &k, json_array(), 1, 0, e)) != SL_OK)
		goto out;
	rc = catalog_migrate(dir, name, e);
out:
	sodium_memzero(&k, sizeof(k));
	return rc;
}

/* Fill name/size/sha256/url of a file entry from FILE arguments. */
static int
attach_file(json_t *entry, const char *where, const struct catalog_dir *d,
            char *const *files, size_t n_files, struct err *e)
{
	char sha[HASH_HEX_LEN + 1], rel[96], dst[PATH_MAX_LEN],
	        dir[PATH_MAX_LEN];
	const char *name = json_string_value(json_object_get(entry, "name"));
	uint64_t size;
	int rc;

	if (name == NULL)
		return err_set(e, SL_EINVAL, "%s.name: required", where);
	for (size_t i = 0; i < n_files; i++) {
		const char *base = strrchr(files[i], '/');
		base = base ? base + 1 : files[i];
		if (strcmp(base, name) != 0)
			continue;
		if ((rc = hash_file_hex(files[i], sha, &size, e)) != SL_OK)
			return rc;
		catalog_content_path(rel, sizeof(rel), sha);
		if ((rc = fsx_join(dst, sizeof(dst), d->public, rel, e)) !=
		    SL_OK)
			return rc;
		/* The directory part of dst: public/content/<aa>. */
		memcpy(dir, dst, sizeof(dir));
		*strrchr(dir, '/') = '\0';
		if ((rc = fsx_mkdirs(dir, 0755, e)) != SL_OK)
			return rc;
		if (!fsx_exists(dst) &&
		    (rc = fsx_copy_atomic(files[i], dst, sha, NULL, NULL, e)))
			return rc;
		json_object_set_new(entry, "size",
		                    json_integer((json_int_t)size));
		json_object_set_new(entry, "sha256", json_string(sha));
		json_object_set_new(entry, "url", json_string(rel));
		return SL_OK;
	}
	if (json_object_get(entry, "sha256") == NULL)
		return err_set(e, SL_EINVAL, "%s: no file given for '%s'",
		               where, name);
	return SL_OK;
}

/* Complete a definition into a full update document. */
static int
complete_definition(json_t *def, const json_t *index_doc,
                    const struct catalog_dir *d, char *const *files,
                    size_t n_files, struct err *e)
{
	const json_t *ups = json_object_get(index_doc, "updates"), *u;
	json_t *fl, *f;
	int64_t latest = 0;
	char where[64];
	size_t i;
	int rc;

	if (json_object_get(def, "id") == NULL) {
		unsigned char r[16];
		char hex[33], id[UPDATE_ID_LEN + 1];
		randombytes_buf(r, sizeof(r));
		r[6] = (r[6] & 0x0f) | 0x40; /* version 4 */
		r[8] = (r[8] & 0x3f) | 0x80; /* variant 1 */
		hex_encode(r, sizeof(r), hex);
		snprintf(id, sizeof(id), "%.8s-%.4s-%.4s-%.4s-%.12s", hex,
		         hex + 8, hex + 12, hex + 16, hex + 20);
		json_object_set_new(def, "id", json_string(id));
	}
	const char *id = json_string_value(json_object_get(def, "id"));
	if (!update_id_valid(id))
		return err_set(e, SL_EINVAL, "id: expected a lowercase UUID");
	json_array_foreach(ups, i, u)
	{
		const char *uid = json_string_value(json_object_get(u, "id"));
		int64_t r = json_integer_value(json_object_get(u, "revision"));
		if (uid != NULL && strcmp(uid, id) == 0 && r > latest)
			latest = r;
	}
	if (json_object_get(def, "revision") == NULL)
		json_object_set_new(def, "revision", json_integer(latest + 1));
	else if (json_is_integer(json_object_get(def, "revision")) &&
	         json_integer_value(json_object_get(def, "revision")) <= latest)
		return err_set(e, SL_EEXISTS,
		               "revision %lld of %s already exists (latest is "
		               "%lld); omit \"revision\" to add the next one",
		               (long long)json_integer_value(
		                       json_object_get(def, "revision")),
		               id, (long long)latest);
	if ((fl = json_object_get(def, "files")) == NULL) {
		json_object_set_new(def, "files", json_array());
		fl = json_object_get(def, "files");
	}
	if (!json_is_array(fl))
		return err_set(e, SL_EINVAL, "files: expected an array");
	/* Files named on the command line but not in the definition. */
	for (size_t k = 0; k < n_files; k++) {
		const char *base = strrchr(files[k], '/');
		bool found = false;
		base = base ? base + 1 : files[k];
		json_array_foreach(fl, i, f)
		{
			const char *n =
			        json_string_value(json_object_get(f, "name"));
			if (n != NULL && strcmp(n, base) == 0)
				found = true;
		}
		json_t *eula = json_object_get(def, "eula");
		const char *en =
		        json_string_value(json_object_get(eula, "name"));
		if (!found && !(en != NULL && strcmp(en, base) == 0))
			json_array_append_new(fl,
			                      json_pack("{s:s}", "name", base));
	}
	json_array_foreach(fl, i, f)
	{
		snprintf(where, sizeof(where), "files[%zu]", i);
		if (!json_is_object(f))
			return err_set(e, SL_EINVAL, "%s: expected an object",
			               where);
		if ((rc = attach_file(f, where, d, files, n_files, e)) != SL_OK)
			return rc;
	}
	if (json_is_object(json_object_get(def, "eula")))
		return attach_file(json_object_get(def, "eula"), "eula", d,
		                   files, n_files, e);
	return SL_OK;
}

int
load_own_key(struct sign_key *k, const struct catalog_dir *d, struct err *e)
{
	int rc = sign_key_load(k, d->key, e);

	if (rc == SL_OK && !k->has_secret)
		rc = err_set(e, SL_EINVAL, "%s: not a secret key", d->key);
	return rc;
}

/* Store a completed update's signed document; returns its index entry. */
int
store_document(json_t **entry_out, const struct update *u,
               const struct catalog_dir *d, const struct sign_key *k, bool sync,
               struct err *e)
{
	char rel[128], path[PATH_MAX_LEN], dir[PATH_MAX_LEN];
	char sha[HASH_HEX_LEN + 1], *text = NULL;
	json_t *doc = update_to_json(u), *env = NULL;
	int rc;

	if (doc == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	if ((rc = sign_envelope(&env, doc, k, e)) != SL_OK)
		goto out;
	if ((text = json_dumps(env, JSON_INDENT(2) | JSON_SORT_KEYS)) == NULL) {
		rc = err_set(e, SL_ENOMEM, "out of memory");
		goto out;
	}
	snprintf(rel, sizeof(rel), "updates/%s", u->id);
	if ((rc = fsx_join(dir, sizeof(dir), d->public, rel, e)) ||
	    (rc = fsx_mkdirs(dir, 0755, e)))
		goto out;
	snprintf(rel, sizeof(rel), "updates/%s/%lld.json", u->id,
	         (long long)u->revision);
	if ((rc = fsx_join(path, sizeof(path), d->public, rel, e)) ||
	    (rc = (sync ? fsx_write_atomic : fsx_write_unsynced)(
	             path, text, strlen(text), 0644, e)))
		goto out;
	hash_buf_hex(text, strlen(text), sha);
	*entry_out = json_pack("{s:s,s:I,s:s,s:s,s:I,s:s,s:s,s:s,s:b}", "id",
	                       u->id, "revision", (json_int_t)u->revision,
	                       "path", rel, "sha256", sha, "size",
	                       (json_int_t)strlen(text), "title", u->title,
	                       "classification", u->classification, "product",
	                       u->product, "expired", 0);
	if (*entry_out == NULL)
		rc = err_set(e, SL_ENOMEM, "out of memory");
out:
	free(text);
	json_decref(doc);
	json_decref(env);
	return rc;
}

int
catalog_add(const char *dir, const char *definition, char *const *files,
            size_t n_files, int expiry_days, struct update **added,
            struct err *e)
{
	return catalog_add_flags(dir, definition, files, n_files, expiry_days,
	                         0, added, e);
}

int
catalog_add_flags(const char *dir, const char *definition, char *const *files,
                  size_t n_files, int expiry_days, unsigned flags,
                  struct update **added, struct err *e)
{
	json_t *def = NULL, *idoc = NULL, *entry = NULL, *ups, *x;
	struct update *u = NULL;
	struct catalog_dir d;
	struct sign_key k = {0};
	json_error_t jerr;
	int64_t version = 0;
	int rc, lockfd = -1;
	size_t i, n_problems = 0;

	if ((rc = dir_paths(&d, dir, e)) || (rc = lock_dir(&d, &lockfd, e)) ||
	    (rc = load_own_key(&k, &d, e)) ||
	    (rc = index_read(&idoc, &version, NULL, &d, &k, e)))
		goto out;
	if ((def = json_load_file(definition, JSON_REJECT_DUPLICATES, &jerr)) ==
	    NULL) {
		rc = err_set(e, jerr.line > 0 ? SL_EPARSE : SL_ENOTFOUND,
		             "%s: line %d column %d: %s", definition, jerr.line,
		             jerr.column, jerr.text);
		goto out;
	}
	if (!json_is_object(def)) {
		rc = err_set(e, SL_EINVAL, "%s: expected a JSON object",
		             definition);
		goto out;
	}
	if ((rc = complete_definition(def, idoc, &d, files, n_files, e)) ||
	    (rc = update_from_json(&u, def, e))) {
		err_prefix(e, "%s", definition);
		goto out;
	}
	/* The origin's stricter gate: nothing broken is published. */
	if (!(flags & CATALOG_ADD_UNCHECKED) &&
	    (rc = update_check(u, NULL, NULL, &n_problems, e)) != SL_OK) {
		if (n_problems > 1) {
			char first[ERR_MSG_MAX];
			snprintf(first, sizeof(first), "%s", e->msg);
			err_set(e, rc, "%s (and %zu more problem%s)", first,
			        n_problems - 1, n_problems > 2 ? "s" : "");
		}
		err_prefix(e, "%s", definition);
		goto out;
	}
	if ((rc = store_document(&entry, u, &d, &k, true, e)) != SL_OK)
		goto out;
	/* A new revision of a withdrawn update publishes it again. */
	ups = json_object_get(idoc, "updates");
	json_array_foreach(ups, i, x)
	{
		if (strcmp(json_string_value(json_object_get(x, "id")),
		           u->id) == 0)
			json_object_set_new(x, "expired", json_false());
	}
	json_array_append(ups, entry);
	rc = index_write(&d, &k, json_incref(ups),
	                 (version > state_last_version(&d)
	                          ? version
	                          : state_last_version(&d)) +
	                         1,
	                 expiry_days, e);
	if (rc == SL_OK && added != NULL) {
		*added = u;
		u = NULL;
	}
out:
	sodium_memzero(&k, sizeof(k));
	update_free(u);
	json_decref(def);
	json_decref(idoc);
	json_decref(entry);
	if (lockfd >= 0)
		close(lockfd);
	return rc;
}

/* Shared by expire and sign: apply fn to the index then re-sign. */
static int
rewrite_index(const char *dir, const char *expire_id, int expiry_days,
              struct err *e)
{
	json_t *idoc = NULL, *ups, *x;
	struct catalog_dir d;
	struct sign_key k = {0};
	int64_t version = 0, last;
	bool found = false;
	int rc, lockfd = -1;
	size_t i;

	if ((rc = dir_paths(&d, dir, e)) || (rc = lock_dir(&d, &lockfd, e)) ||
	    (rc = load_own_key(&k, &d, e)) ||
	    (rc = index_read(&idoc, &version, NULL, &d, &k, e)))
		goto out;
	ups = json_object_get(idoc, "updates");
	if (expire_id != NULL) {
		json_array_foreach(ups, i, x)
		{
			const char *id =
			        json_string_value(json_object_get(x, "id"));
			if (id != NULL && strcmp(id, expire_id) == 0) {
				json_object_set_new(x, "expired", json_true());
				found = true;
			}
		}
		if (!found) {
			rc = err_set(e, SL_ENOTFOUND,
			             "no update %s in the catalog", expire_id);
			goto out;
		}
	}
	last = state_last_version(&d);
	rc = index_write(&d, &k, json_incref(ups),
	                 (version > last ? version : last) + 1, expiry_days, e);
out:
	sodium_memzero(&k, sizeof(k));
	json_decref(idoc);
	if (lockfd >= 0)
		close(lockfd);
	return rc;
}

int
catalog_expire(const char *dir, const char *id, int expiry_days, struct err *e)
{
	return rewrite_index(dir, id, expiry_days, e);
}

int
catalog_sign(const char *dir, int expiry_days, struct err *e)
{
	return rewrite_index(dir, NULL, expiry_days, e);
}

int
catalog_local_trust(const char *dir, char *public_dir, size_t n,
                    struct sign_keyring *kr, int64_t *last_version,
                    struct err *e)
{
	struct catalog_dir d;
	int rc;

	if ((rc = dir_paths(&d, dir, e)) != SL_OK)
		return rc;
	if (!fsx_exists(d.key))
		return err_set(e, SL_ENOTFOUND,
		               "%s: no private/signing.key (name a trusted "
		               "public key with --key)",
		               dir);
	if ((rc = local_keyring(kr, &d, e)) != SL_OK)
		return rc;
	if ((size_t)snprintf(public_dir, n, "%s", d.public) >= n)
		return err_set(e, SL_ETOOBIG, "path too long");
	*last_version = state_last_version(&d);
	return SL_OK;
}

int
catalog_load(struct catalog_index **out, const char *dir, struct err *e)
{
	char pub[PATH_MAX_LEN], path[PATH_MAX_LEN], *text = NULL;
	struct sign_keyring kr = {0};
	int64_t last;
	size_t len;
	int rc;

	if ((rc = catalog_local_trust(dir, pub, sizeof(pub), &kr, &last, e)) ||
	    (rc = fsx_join(path, sizeof(path), pub, "index.json", e)) ||
	    (rc = fsx_read(path, CATALOG_INDEX_MAX, &text, &len, e)))
		return rc;
	rc = catalog_index_parse(out, text, len, &kr, 0, last, e);
	free(text);
	return rc;
}
