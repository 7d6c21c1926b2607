/*
 * catalog: parse and verify catalog indexes and documents (shared by the
 * tools, sluiced's sync and the agent) and the index model. The operations
 * that write a local catalog directory live in catalog_tool.c.
 */
#include "catalog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"

static void
entry_clear(struct catalog_entry *en)
{
	free(en->path);
	free(en->title);
	free(en->classification);
	free(en->product);
}

void
catalog_index_free(struct catalog_index *idx)
{
	if (idx == NULL)
		return;
	for (size_t i = 0; i < idx->n; i++)
		entry_clear(&idx->entries[i]);
	free(idx->entries);
	free(idx);
}

static char *
dup_field(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return strdup(s != NULL ? s : "");
}

static int
entry_cmp(const void *a, const void *b)
{
	const struct catalog_entry *x = a, *y = b;
	int c = strcmp(x->id, y->id);

	if (c != 0)
		return c;
	return (x->revision > y->revision) - (x->revision < y->revision);
}

static int
entry_parse(struct catalog_entry *en, const json_t *o, size_t i, struct err *e)
{
	const char *id = json_string_value(json_object_get(o, "id"));
	const char *sha = json_string_value(json_object_get(o, "sha256"));
	const json_t *rev = json_object_get(o, "revision");
	const json_t *size = json_object_get(o, "size");
	const char *path = json_string_value(json_object_get(o, "path"));

	memset(en, 0, sizeof(*en));
	if (!json_is_object(o))
		return err_set(e, SL_EINVAL, "updates[%zu]: expected an object",
		               i);
	if (!update_id_valid(id))
		return err_set(e, SL_EINVAL,
		               "updates[%zu].id: expected a lowercase UUID", i);
	if (!json_is_integer(rev) || json_integer_value(rev) < 1)
		return err_set(
		        e, SL_EINVAL,
		        "updates[%zu].revision: expected an integer >= 1", i);
	if (!hash_is_hex(sha))
		return err_set(e, SL_EINVAL,
		               "updates[%zu].sha256: expected 64 hex digits",
		               i);
	if (!json_is_integer(size) || json_integer_value(size) < 0)
		return err_set(e, SL_EINVAL,
		               "updates[%zu].size: expected an integer >= 0",
		               i);
	if (path == NULL || path[0] == '/' || strstr(path, "..") != NULL)
		return err_set(e, SL_EINVAL,
		               "updates[%zu].path: expected a relative path",
		               i);
	memcpy(en->id, id, UPDATE_ID_LEN + 1);
	memcpy(en->sha256, sha, HASH_HEX_LEN + 1);
	en->revision = json_integer_value(rev);
	en->size = (uint64_t)json_integer_value(size);
	en->path = strdup(path);
	en->title = dup_field(o, "title");
	en->classification = dup_field(o, "classification");
	en->product = dup_field(o, "product");
	en->expired = json_is_true(json_object_get(o, "expired"));
	if (en->path == NULL || en->title == NULL ||
	    en->classification == NULL || en->product == NULL) {
		entry_clear(en);
		return err_set(e, SL_ENOMEM, "out of memory");
	}
	return SL_OK;
}

/* The signed part of an index, already verified. */
static int
index_from_doc(struct catalog_index **out, const json_t *doc, struct err *e)
{
	struct catalog_index *idx = NULL;
	const json_t *ups, *u;
	const char *type;
	size_t i;
	int rc;

	type = json_string_value(json_object_get(doc, "type"));
	if (type == NULL || strcmp(type, CATALOG_INDEX_TYPE) != 0)
		return err_set(e, SL_EINVAL, "type: expected \"%s\"",
		               CATALOG_INDEX_TYPE);
	if ((idx = calloc(1, sizeof(*idx))) == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	if (!json_is_integer(json_object_get(doc, "version")) ||
	    (idx->version =
	             json_integer_value(json_object_get(doc, "version"))) < 1) {
		rc = err_set(e, SL_EINVAL, "version: expected an integer >= 1");
		goto fail;
	}
	if ((rc = sign_time_parse(
	             json_string_value(json_object_get(doc, "created")),
	             &idx->created, e)) != SL_OK) {
		err_prefix(e, "created");
		goto fail;
	}
	if ((rc = sign_time_parse(
	             json_string_value(json_object_get(doc, "expires")),
	             &idx->expires, e)) != SL_OK) {
		err_prefix(e, "expires");
		goto fail;
	}
	if (!json_is_array(ups = json_object_get(doc, "updates"))) {
		rc = err_set(e, SL_EINVAL, "updates: expected an array");
		goto fail;
	}
	if (json_array_size(ups) > 0 &&
	    (idx->entries = calloc(json_array_size(ups),
	                           sizeof(*idx->entries))) == NULL) {
		rc = err_set(e, SL_ENOMEM, "out of memory");
		goto fail;
	}
	json_array_foreach(ups, i, u)
	{
		if ((rc = entry_parse(&idx->entries[i], u, i, e)) != SL_OK)
			goto fail;
		idx->n++;
	}
	if (idx->n > 1)
		qsort(idx->entries, idx->n, sizeof(*idx->entries), entry_cmp);
	*out = idx;
	return SL_OK;
fail:
	catalog_index_free(idx);
	return rc;
}

int
catalog_index_parse(struct catalog_index **out, const char *text, size_t len,
                    const struct sign_keyring *kr, long long now,
                    int64_t min_version, struct err *e)
{
	struct catalog_index *idx = NULL;
	const json_t *doc;
	json_error_t jerr;
	json_t *env;
	int rc;

	if (len > CATALOG_INDEX_MAX)
		return err_set(e, SL_ETOOBIG, "index: larger than %u bytes",
		               CATALOG_INDEX_MAX);
	if ((env = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr)) ==
	    NULL)
		return err_set(e, SL_EPARSE, "index: line %d column %d: %s",
		               jerr.line, jerr.column, jerr.text);
	if ((rc = sign_envelope_verify(env, kr, &doc, e)) != SL_OK) {
		err_prefix(e, "index");
		goto out;
	}
	if ((rc = index_from_doc(&idx, doc, e)) != SL_OK) {
		err_prefix(e, "index");
		goto out;
	}
	if (idx->version < min_version) {
		rc = err_set(e, SL_EROLLBACK,
		             "index: version %lld is older than version %lld "
		             "already seen (rollback refused)",
		             (long long)idx->version, (long long)min_version);
		goto out;
	}
	if (idx->expires <= now) {
		char when[21];
		sign_time_format(when, idx->expires);
		rc = err_set(e, SL_EEXPIRED, "index: expired at %s", when);
		goto out;
	}
	*out = idx;
	idx = NULL;
out:
	catalog_index_free(idx);
	json_decref(env);
	return rc;
}

const struct catalog_entry *
catalog_index_latest(const struct catalog_index *idx, const char *id)
{
	const struct catalog_entry *best = NULL;

	/* Entries are sorted by id then revision: the last match wins. */
	for (size_t i = 0; i < idx->n; i++)
		if (strcmp(idx->entries[i].id, id) == 0)
			best = &idx->entries[i];
	return best;
}

int
catalog_doc_parse(struct update **out, json_t **env_out, const char *text,
                  size_t len, const struct catalog_entry *entry,
                  const struct sign_keyring *kr, struct err *e)
{
	char hex[HASH_HEX_LEN + 1];
	struct update *u = NULL;
	const json_t *doc;
	json_error_t jerr;
	json_t *env = NULL;
	int rc;

	if (entry != NULL) {
		hash_buf_hex(text, len, hex);
		if ((uint64_t)len != entry->size ||
		    strcmp(hex, entry->sha256) != 0)
			return err_set(e, SL_EVERIFY,
			               "%s: SHA-256 %s does not match the "
			               "index (%s)",
			               entry->path, hex, entry->sha256);
	}
	if (len > UPDATE_DOC_MAX)
		return err_set(e, SL_ETOOBIG, "document larger than %u bytes",
		               UPDATE_DOC_MAX);
	if ((env = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr)) ==
	    NULL)
		return err_set(e, SL_EPARSE, "line %d column %d: %s", jerr.line,
		               jerr.column, jerr.text);
	if ((rc = sign_envelope_verify(env, kr, &doc, e)) != SL_OK)
		goto out;
	if ((rc = update_from_json(&u, doc, e)) != SL_OK)
		goto out;
	if (entry != NULL &&
	    (strcmp(u->id, entry->id) != 0 || u->revision != entry->revision)) {
		rc = err_set(e, SL_EVERIFY,
		             "document is %s revision %lld, the index says %s "
		             "revision %lld",
		             u->id, (long long)u->revision, entry->id,
		             (long long)entry->revision);
		goto out;
	}
	*out = u;
	u = NULL;
	if (env_out != NULL) {
		*env_out = env;
		env = NULL;
	}
out:
	if (rc != SL_OK && entry != NULL)
		err_prefix(e, "%s", entry->path);
	update_free(u);
	json_decref(env);
	return rc;
}

void
catalog_content_path(char *out, size_t n, const char *sha256)
{
	snprintf(out, n, "content/%.2s/%s", sha256, sha256);
}
