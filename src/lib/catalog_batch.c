/*
 * catalog_batch: many new updates into a local catalog with one index
 * write. Importers (aptimport) add thousands of updates at a time; doing
 * each as catalog_add does (fsync per file, re-sign the index) would cost
 * minutes. The order stays content -> documents -> index -> state.
 */
#include "catalog.h"
#include "array.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "catalog_priv.h"
#include "fsx.h"
#include "update_check.h"
#include "httpc.h"

struct catalog_batch {
	struct catalog_dir d;
	struct sign_key k;
	int lockfd;
	json_t *idoc; /* the signed index document as read */
	int64_t version;
	const char **ids; /* sorted ids of the index as read */
	size_t n_ids;
	json_t *added; /* index entries of the new documents */
	bool reopened; /* a new revision of an existing id was added */
};

static int
cmp_id(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int
catalog_batch_begin(struct catalog_batch **out, const char *dir, struct err *e)
{
	struct catalog_batch *b = calloc(1, sizeof(*b));
	const json_t *ups, *x;
	size_t i;
	int rc;

	if (b == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	b->lockfd = -1;
	if ((rc = dir_paths(&b->d, dir, e)) ||
	    (rc = lock_dir(&b->d, &b->lockfd, e)) ||
	    (rc = load_own_key(&b->k, &b->d, e)) ||
	    (rc = index_read(&b->idoc, &b->version, NULL, &b->d, &b->k, e)))
		goto out;
	ups = json_object_get(b->idoc, "updates");
	b->ids = calloc(json_array_size(ups) + 1, sizeof(*b->ids));
	if (b->ids == NULL || (b->added = json_array()) == NULL) {
		rc = err_set(e, SL_ENOMEM, "out of memory");
		goto out;
	}
	json_array_foreach(ups, i, x)
	{
		const char *id = json_string_value(json_object_get(x, "id"));
		if (id != NULL)
			b->ids[b->n_ids++] = id;
	}
	array_sort(b->ids, b->n_ids, sizeof(*b->ids), cmp_id);
	*out = b;
	b = NULL;
out:
	catalog_batch_free(b);
	return rc;
}

bool
catalog_batch_has(const struct catalog_batch *b, const char *id)
{
	return array_search(&id, b->ids, b->n_ids, sizeof(*b->ids), cmp_id) !=
	       NULL;
}

static int64_t
latest_revision(const struct catalog_batch *b, const char *id)
{
	const json_t *ups = json_object_get(b->idoc, "updates"), *x;
	int64_t latest = 0;
	size_t i;

	if (!catalog_batch_has(b, id))
		return 0;
	json_array_foreach(ups, i, x)
	{
		const char *xid = json_string_value(json_object_get(x, "id"));
		int64_t r = json_integer_value(json_object_get(x, "revision"));
		if (xid != NULL && strcmp(xid, id) == 0 && r > latest)
			latest = r;
	}
	return latest;
}

int
catalog_batch_add(struct catalog_batch *b, struct update *u, struct err *e)
{
	int64_t latest = latest_revision(b, u->id);
	json_t *entry = NULL;
	int rc;

	/* The origin's gate: nothing broken is published. */
	if ((rc = update_check(u, NULL, NULL, NULL, e)) != SL_OK)
		return err_prefix(e, "%s", u->id);
	if (u->revision == 0)
		u->revision = latest + 1;
	else if (u->revision <= latest)
		return err_set(e, SL_EEXISTS,
		               "revision %lld of %s already exists",
		               (long long)u->revision, u->id);
	if ((rc = store_document(&entry, u, &b->d, &b->k, false, e)) != 0)
		return err_prefix(e, "%s", u->id);
	if (json_array_append_new(b->added, entry) != 0)
		return err_set(e, SL_ENOMEM, "out of memory");
	if (latest > 0)
		b->reopened = true;
	return SL_OK;
}

int
catalog_batch_content(struct catalog_batch *b, const char *url, uint64_t size,
                      const char *sha256, char *rel, struct err *e)
{
	char dst[PATH_MAX_LEN];
	int rc;

	catalog_content_path(rel, 80, sha256);
	if ((rc = fsx_join(dst, sizeof(dst), b->d.public, rel, e)) != SL_OK)
		return rc;
	if (fsx_exists(dst))
		return SL_OK;
	return httpc_download(url, dst, size, sha256, NULL, e);
}

size_t
catalog_batch_count(const struct catalog_batch *b)
{
	return json_array_size(b->added);
}

int
catalog_batch_commit(struct catalog_batch *b, int expiry_days, struct err *e)
{
	json_t *ups = json_object_get(b->idoc, "updates"), *x;
	int64_t last;
	size_t i;
	int rc;

	if (json_array_size(b->added) == 0)
		return SL_OK;
	/* Every document reaches the disk before an index names it. */
	if ((rc = fsx_syncfs(b->d.public, e)) != SL_OK)
		return rc;
	if (b->reopened) {
		/* A new revision of a withdrawn update publishes it again. */
		json_array_foreach(b->added, i, x)
		{
			const char *id =
			        json_string_value(json_object_get(x, "id"));
			size_t j;
			json_t *y;
			json_array_foreach(ups, j, y)
			{
				if (strcmp(json_string_value(
				                   json_object_get(y, "id")),
				           id) == 0)
					json_object_set_new(y, "expired",
					                    json_false());
			}
		}
	}
	if (json_array_extend(ups, b->added) != 0)
		return err_set(e, SL_ENOMEM, "out of memory");
	last = state_last_version(&b->d);
	rc = index_write(&b->d, &b->k, json_incref(ups),
	                 (b->version > last ? b->version : last) + 1,
	                 expiry_days, e);
	if (rc == SL_OK)
		json_array_clear(b->added);
	return rc;
}

void
catalog_batch_free(struct catalog_batch *b)
{
	if (b == NULL)
		return;
	sodium_memzero(&b->k, sizeof(b->k));
	free(b->ids);
	json_decref(b->added);
	json_decref(b->idoc);
	if (b->lockfd >= 0)
		close(b->lockfd);
	free(b);
}
