/*
 * export: write the archive `sluice import` reads on a server with no
 * upstream (export.h describes its layout). The origin's signed index and
 * documents go in byte for byte, so the importing server verifies them
 * exactly as a sync does.
 */
#include "export.h"
#include "array.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "catalog.h"
#include "fsx.h"
#include "hash.h"
#include "origin_trust.h"
#include "sign.h"
#include "tarx.h"

int
export_keep_index(const struct server_config *cfg, const char *text, size_t len,
                  struct err *e)
{
	char path[4096];
	int rc;

	if ((rc = fsx_join(path, sizeof(path), cfg->data_dir, EXPORT_INDEX_FILE,
	                   e)) != SL_OK)
		return rc;
	return fsx_write_atomic(path, text, len, 0644, e);
}

/* What the walk over the stored updates collects. */
struct walk {
	const struct catalog_index *idx;
	const struct server_config *cfg;
	struct sign_keyring kr; /* the origin's signing keys */
	struct tarx_writer *tar;
	json_t *approved; /* {update id: true} (files approved) */
	json_t *updates;  /* manifest "updates" */
	json_t *files;    /* {sha256: true} chosen files */
	enum export_files mode;
	struct export_result *res;
};

static int
walk_update(void *arg, const struct store_update_row *row, struct err *e)
{
	struct walk *w = arg;
	const struct catalog_entry *en = catalog_index_latest(w->idx, row->id);
	struct update *u = NULL;
	size_t len = strlen(row->document);
	char hex[HASH_HEX_LEN + 1];
	int rc;

	hash_buf_hex(row->document, len, hex);
	if (en == NULL || en->expired || strcmp(hex, en->sha256) != 0) {
		/* Not the document the kept index describes (an update from
		 * another upstream, or withdrawn): the importing server could
		 * not verify it. */
		w->res->skipped++;
		return SL_OK;
	}
	rc = catalog_doc_parse(&u, NULL, row->document, len, en, &w->kr, e);
	if (rc != SL_OK)
		return err_prefix(e, "update %s", row->id);
	if ((rc = tarx_add_bytes(w->tar, en->path, row->document, len, e)) !=
	    SL_OK)
		goto out;
	if (json_array_append_new(
	            w->updates, json_pack("{s:s,s:I}", "id", u->id, "revision",
	                                  (json_int_t)u->revision)) != 0) {
		rc = err_set(e, SL_ENOMEM, "out of memory");
		goto out;
	}
	w->res->updates++;
	if (w->mode == EXPORT_FILES_NONE || row->declined ||
	    (w->mode == EXPORT_FILES_APPROVED &&
	     json_object_get(w->approved, u->id) == NULL))
		goto out;
	for (size_t i = 0; i < u->n_files + (u->eula != NULL); i++) {
		const struct update_file *f =
		        i < u->n_files ? &u->files[i] : u->eula;

		if (json_object_set_new(w->files, f->sha256, json_true()) !=
		    0) {
			rc = err_set(e, SL_ENOMEM, "out of memory");
			goto out;
		}
	}
out:
	update_free(u);
	return rc;
}

static int
approved_set(json_t *set, json_t *approvals, struct err *e)
{
	json_t *a;
	size_t i;

	json_array_foreach(approvals, i, a)
	{
		const char *id =
		        json_string_value(json_object_get(a, "update"));
		const char *act =
		        json_string_value(json_object_get(a, "action"));

		if (id == NULL || act == NULL || strcmp(act, "install") != 0)
			continue;
		if (json_object_set_new(set, id, json_true()) != 0)
			return err_set(e, SL_ENOMEM, "out of memory");
	}
	return SL_OK;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Add the chosen files the content store holds; sorted for stable
 * archives. */
static int
add_files(struct walk *w, json_t *list, struct err *e)
{
	const char **keys = NULL;
	size_t n = json_object_size(w->files), k = 0;
	const char *sha;
	json_t *v;
	int rc = SL_OK;

	if (n > 0 && (keys = calloc(n, sizeof(*keys))) == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	json_object_foreach(w->files, sha, v) keys[k++] = sha;
	array_sort(keys, k, sizeof(*keys), cmp_str);
	for (size_t i = 0; i < k; i++) {
		char rel[80], src[4096];

		catalog_content_path(rel, sizeof(rel), keys[i]);
		/* rel is "content/<aa>/<sha>"; the store has <aa>/<sha>. */
		if ((rc = fsx_join(src, sizeof(src), w->cfg->content_dir,
		                   rel + strlen("content/"), e)) != SL_OK)
			break;
		if (!fsx_exists(src)) {
			w->res->missing++;
			continue;
		}
		if ((rc = tarx_add_file(w->tar, rel, src, e)) != SL_OK)
			break;
		if (json_array_append_new(list, json_string(keys[i])) != 0) {
			rc = err_set(e, SL_ENOMEM, "out of memory");
			break;
		}
		w->res->files++;
	}
	free(keys);
	return rc;
}

static int
load_index(struct catalog_index **idx, char **text, size_t *len,
           const struct server_config *cfg, const struct sign_keyring *kr,
           struct err *e)
{
	char path[4096];
	int rc;

	if ((rc = fsx_join(path, sizeof(path), cfg->data_dir, EXPORT_INDEX_FILE,
	                   e)) != SL_OK)
		return rc;
	rc = fsx_read(path, CATALOG_INDEX_MAX, text, len, e);
	if (rc == SL_ENOTFOUND)
		return err_set(e, SL_ENOTFOUND,
		               "%s: no index kept: sync from a catalog origin "
		               "first",
		               path);
	if (rc != SL_OK)
		return rc;
	rc = catalog_index_parse(idx, *text, *len, kr, (long long)time(NULL), 0,
	                         e);
	if (rc == SL_EEXPIRED)
		err_prefix(e, "the kept index (sync first, then export)");
	if (rc != SL_OK) {
		free(*text);
		*text = NULL;
	}
	return rc;
}

/* The origin's key list or timestamp as the last sync kept it (meta key),
 * for an importing server with trusted_root; nothing when none is kept. */
static int
add_origin_doc(struct tarx_writer *tar, struct store *db, const char *key,
               const char *name, struct err *e)
{
	char *v = NULL;
	int rc = store_meta_get(db, key, &v, e);

	if (rc == SL_ENOTFOUND)
		return SL_OK;
	if (rc == SL_OK)
		rc = tarx_add_bytes(tar, name, v, strlen(v), e);
	free(v);
	return rc;
}

int
export_run(struct export_result *out, struct store *db,
           const struct server_config *cfg, const struct export_opts *o,
           struct err *e)
{
	struct export_result res = {0};
	struct catalog_index *idx = NULL;
	struct walk w = {0};
	json_t *groups = json_array(), *approvals = json_array();
	json_t *manifest = NULL, *files = json_array();
	char tmp[4096], stamp[64], *text = NULL, *mtext = NULL;
	struct stat st;
	size_t len;
	bool in_tx = false, written = false;
	int rc;

	w.approved = json_object();
	w.updates = json_array();
	w.files = json_object();
	if (groups == NULL || approvals == NULL || files == NULL ||
	    w.approved == NULL || w.updates == NULL || w.files == NULL) {
		rc = err_set(e, SL_ENOMEM, "out of memory");
		goto out;
	}
	if (snprintf(tmp, sizeof(tmp), "%s.part", o->path) >=
	    (int)sizeof(tmp)) {
		rc = err_set(e, SL_ETOOBIG, "%s: path too long", o->path);
		goto out;
	}
	if ((rc = origin_trust_keyring(&w.kr, db, cfg, e)) != SL_OK ||
	    (rc = load_index(&idx, &text, &len, cfg, &w.kr, e)) != SL_OK)
		goto out;
	res.index_version = idx->version;
	if ((rc = tarx_writer_open(&w.tar, tmp, e)) != SL_OK)
		goto out;
	written = true;
	if ((rc = tarx_add_bytes(w.tar, "index.json", text, len, e)) != SL_OK ||
	    (rc = add_origin_doc(w.tar, db, "upstream_keys", "keys.json", e)) !=
	            SL_OK ||
	    (rc = add_origin_doc(w.tar, db, "upstream_timestamp",
	                         "timestamp.json", e)) != SL_OK)
		goto out;
	w.idx = idx;
	w.cfg = cfg;
	w.mode = o->files;
	w.res = &res;
	/* One snapshot: the approvals and the documents agree. */
	if ((rc = store_begin_read(db, e)) != SL_OK)
		goto out;
	in_tx = true;
	if ((rc = store_replica_state(groups, approvals, db, e)) != SL_OK ||
	    (rc = approved_set(w.approved, approvals, e)) != SL_OK ||
	    (rc = store_updates_each(db, walk_update, &w, e)) != SL_OK)
		goto out;
	rc = store_commit(db, e);
	in_tx = false;
	if (rc != SL_OK || (rc = add_files(&w, files, e)) != SL_OK)
		goto out;
	sign_time_format(stamp, (long long)time(NULL));
	manifest = json_pack("{s:s,s:i,s:s,s:I,s:O,s:O}", "format",
	                     "sluice-export", "version", 1, "created", stamp,
	                     "index_version", (json_int_t)idx->version,
	                     "updates", w.updates, "files", files);
	if (manifest != NULL && o->approvals) {
		res.approvals = (unsigned)json_array_size(approvals);
		if (json_object_set(manifest, "groups", groups) != 0 ||
		    json_object_set(manifest, "approvals", approvals) != 0) {
			json_decref(manifest);
			manifest = NULL;
		}
	}
	if (manifest == NULL ||
	    (mtext = json_dumps(manifest, JSON_INDENT(1) | JSON_SORT_KEYS)) ==
	            NULL) {
		rc = err_set(e, SL_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = tarx_add_bytes(w.tar, "manifest.json", mtext, strlen(mtext),
	                         e)) != SL_OK ||
	    (rc = tarx_writer_finish(w.tar, e)) != SL_OK)
		goto out;
	if (rename(tmp, o->path) != 0) {
		rc = err_set(e, SL_EIO, "%s: %s", o->path, strerror(errno));
		goto out;
	}
	written = false;
	if (stat(o->path, &st) == 0)
		res.bytes = (uint64_t)st.st_size;
	*out = res;
out:
	if (in_tx)
		store_rollback(db);
	tarx_writer_free(w.tar);
	if (written)
		unlink(tmp);
	if (rc != SL_OK)
		err_prefix(e, "export");
	catalog_index_free(idx);
	free(text);
	free(mtext);
	json_decref(manifest);
	json_decref(groups);
	json_decref(approvals);
	json_decref(files);
	json_decref(w.approved);
	json_decref(w.updates);
	json_decref(w.files);
	return rc;
}
