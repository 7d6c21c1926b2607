/*
 * catalog: parse and verify catalog indexes and documents (shared by the
 * tools, sluiced's sync and the agent) and the index model. The operations
 * that write a local catalog directory live in catalog_tool.c.
 */
#include "catalog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "canon.h"
#include "canon_tree.h"
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

static int
entry_cmp(const void *a, const void *b)
{
	const struct catalog_entry *x = a, *y = b;
	int c = strcmp(x->id, y->id);

	if (c != 0)
		return c;
	return (x->revision > y->revision) - (x->revision < y->revision);
}

/* The members of an index entry, as entry_check() takes them: strings
 * NULL when absent or of another type; the integers with whether they are
 * integers at all. */
struct entry_fields {
	const char *id, *sha, *path, *title, *classification, *product;
	bool rev_ok, size_ok, expired;
	long long rev, size;
};

static int
entry_check(struct catalog_entry *en, const struct entry_fields *f, size_t i,
            struct err *e)
{
	memset(en, 0, sizeof(*en));
	if (!update_id_valid(f->id))
		return err_set(e, SL_EINVAL,
		               "updates[%zu].id: expected a lowercase UUID", i);
	if (!f->rev_ok || f->rev < 1)
		return err_set(
		        e, SL_EINVAL,
		        "updates[%zu].revision: expected an integer >= 1", i);
	if (!hash_is_hex(f->sha))
		return err_set(e, SL_EINVAL,
		               "updates[%zu].sha256: expected 64 hex digits",
		               i);
	if (!f->size_ok || f->size < 0)
		return err_set(e, SL_EINVAL,
		               "updates[%zu].size: expected an integer >= 0",
		               i);
	if (f->path == NULL || f->path[0] == '/' ||
	    strstr(f->path, "..") != NULL)
		return err_set(e, SL_EINVAL,
		               "updates[%zu].path: expected a relative path",
		               i);
	memcpy(en->id, f->id, UPDATE_ID_LEN + 1);
	memcpy(en->sha256, f->sha, HASH_HEX_LEN + 1);
	en->revision = f->rev;
	en->size = (uint64_t)f->size;
	en->path = strdup(f->path);
	en->title = strdup(f->title != NULL ? f->title : "");
	en->classification =
	        strdup(f->classification != NULL ? f->classification : "");
	en->product = strdup(f->product != NULL ? f->product : "");
	en->expired = f->expired;
	if (en->path == NULL || en->title == NULL ||
	    en->classification == NULL || en->product == NULL) {
		entry_clear(en);
		return err_set(e, SL_ENOMEM, "out of memory");
	}
	return SL_OK;
}

static int
entry_parse(struct catalog_entry *en, const json_t *o, size_t i, struct err *e)
{
	const json_t *rev = json_object_get(o, "revision");
	const json_t *size = json_object_get(o, "size");
	struct entry_fields f = {
	        .id = json_string_value(json_object_get(o, "id")),
	        .sha = json_string_value(json_object_get(o, "sha256")),
	        .path = json_string_value(json_object_get(o, "path")),
	        .title = json_string_value(json_object_get(o, "title")),
	        .classification =
	                json_string_value(json_object_get(o, "classification")),
	        .product = json_string_value(json_object_get(o, "product")),
	        .rev_ok = json_is_integer(rev),
	        .size_ok = json_is_integer(size),
	        .expired = json_is_true(json_object_get(o, "expired")),
	        .rev = json_integer_value(rev),
	        .size = json_integer_value(size),
	};

	memset(en, 0, sizeof(*en));
	if (!json_is_object(o))
		return err_set(e, SL_EINVAL, "updates[%zu]: expected an object",
		               i);
	return entry_check(en, &f, i, e);
}

/* The string members of an entry read from its span. */
enum { ES_ID, ES_SHA, ES_PATH, ES_TITLE, ES_CLASS, ES_PRODUCT, ES_N };
static const char *const entry_strings[ES_N] = {
        "id", "sha256", "path", "title", "classification", "product"};

/* entry_parse() of an entry inside a checked canonical index, read in
 * place (canon.h): the same checks on the same values, without a tree. */
static int
entry_from_span(struct catalog_entry *en, const struct canon_span *o, size_t i,
                struct err *e)
{
	struct canon_span key, val;
	struct entry_fields f = {0};
	char *str[ES_N] = {NULL};
	size_t pos = 0;
	int rc = SL_OK;

	memset(en, 0, sizeof(*en));
	if (o->p[0] != '{')
		return err_set(e, SL_EINVAL, "updates[%zu]: expected an object",
		               i);
	while (canon_next(&key, &val, o, &pos)) {
		size_t k;

		if (canon_key_is(&key, "revision"))
			f.rev_ok = canon_int(&f.rev, &val);
		else if (canon_key_is(&key, "size"))
			f.size_ok = canon_int(&f.size, &val);
		else if (canon_key_is(&key, "expired"))
			f.expired =
			        val.len == 4 && memcmp(val.p, "true", 4) == 0;
		for (k = 0; k < ES_N; k++)
			if (canon_key_is(&key, entry_strings[k]))
				break;
		if (k < ES_N && canon_string(&str[k], &val) < 0) {
			rc = err_set(e, SL_ENOMEM, "out of memory");
			goto out;
		}
	}
	f.id = str[ES_ID];
	f.sha = str[ES_SHA];
	f.path = str[ES_PATH];
	f.title = str[ES_TITLE];
	f.classification = str[ES_CLASS];
	f.product = str[ES_PRODUCT];
	rc = entry_check(en, &f, i, e);
out:
	for (size_t k = 0; k < ES_N; k++)
		free(str[k]);
	return rc;
}

/* The fields of a verified index besides its updates, checked in this
 * order: type, version, created, expires. */
static int
index_header(struct catalog_index *idx, const json_t *doc, struct err *e)
{
	const char *type;
	int rc;

	type = json_string_value(json_object_get(doc, "type"));
	if (type == NULL || strcmp(type, CATALOG_INDEX_TYPE) != 0)
		return err_set(e, SL_EINVAL, "type: expected \"%s\"",
		               CATALOG_INDEX_TYPE);
	if (!json_is_integer(json_object_get(doc, "version")) ||
	    (idx->version =
	             json_integer_value(json_object_get(doc, "version"))) < 1)
		return err_set(e, SL_EINVAL,
		               "version: expected an integer >= 1");
	if ((rc = sign_time_parse(
	             json_string_value(json_object_get(doc, "created")),
	             &idx->created, e)) != SL_OK)
		return err_prefix(e, "created");
	if ((rc = sign_time_parse(
	             json_string_value(json_object_get(doc, "expires")),
	             &idx->expires, e)) != SL_OK)
		return err_prefix(e, "expires");
	return SL_OK;
}

static int
entries_alloc(struct catalog_index *idx, size_t n, struct err *e)
{
	if (n > 0 && (idx->entries = calloc(n, sizeof(*idx->entries))) == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	return SL_OK;
}

static void
entries_sort(struct catalog_index *idx)
{
	if (idx->n > 1)
		qsort(idx->entries, idx->n, sizeof(*idx->entries), entry_cmp);
}

/* The signed part of an index, already verified. */
static int
index_from_doc(struct catalog_index **out, const json_t *doc, struct err *e)
{
	struct catalog_index *idx = NULL;
	const json_t *ups, *u;
	size_t i;
	int rc;

	if ((idx = calloc(1, sizeof(*idx))) == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	if ((rc = index_header(idx, doc, e)) != SL_OK)
		goto fail;
	if (!json_is_array(ups = json_object_get(doc, "updates"))) {
		rc = err_set(e, SL_EINVAL, "updates: expected an array");
		goto fail;
	}
	if ((rc = entries_alloc(idx, json_array_size(ups), e)) != SL_OK)
		goto fail;
	json_array_foreach(ups, i, u)
	{
		if ((rc = entry_parse(&idx->entries[i], u, i, e)) != SL_OK)
			goto fail;
		idx->n++;
	}
	entries_sort(idx);
	*out = idx;
	return SL_OK;
fail:
	catalog_index_free(idx);
	return rc;
}

/* A canonical envelope's "signatures" and "signed" members. */
/* An envelope's members env_spans() takes from the check itself. */
#define ENV_MEMBERS 4

struct env_spans {
	struct canon_span sigs, doc;
};

/* The members of an envelope whose text (without the whitespace around
 * it) is all. */
static bool
env_members(struct env_spans *out, const struct canon_span *all)
{
	struct canon_span key, val;
	size_t pos = 0;

	memset(out, 0, sizeof(*out));
	if (all->p[0] != '{')
		return false;
	while (canon_next(&key, &val, all, &pos)) {
		if (canon_key_is(&key, "signatures") && val.p[0] == '[')
			out->sigs = val;
		else if (canon_key_is(&key, "signed") && val.p[0] == '{')
			out->doc = val;
	}
	return out->sigs.p != NULL && out->doc.p != NULL;
}

/* Whether text is a canonical envelope (canon.h) with an array of
 * signatures and an object signed. */
static bool
env_spans(struct env_spans *out, const char *text, size_t len)
{
	struct canon_span all, keys[ENV_MEMBERS], vals[ENV_MEMBERS];
	size_t n;

	memset(out, 0, sizeof(*out));
	if (!canon_check_members(&all, keys, vals, ENV_MEMBERS, &n, text, len))
		return false;
	/* The members were seen by the check: no second walk over the
	 * signed document, unless there are more than kept. */
	if (all.p[0] != '{' || n > ENV_MEMBERS)
		return env_members(out, &all);
	for (size_t i = 0; i < n; i++) {
		if (canon_key_is(&keys[i], "signatures") && vals[i].p[0] == '[')
			out->sigs = vals[i];
		else if (canon_key_is(&keys[i], "signed") &&
		         vals[i].p[0] == '{')
			out->doc = vals[i];
	}
	return out->sigs.p != NULL && out->doc.p != NULL;
}

/* A value inside checked canonical text, parsed on its own (NULL: out
 * of memory, as the text was checked). */
static json_t *
span_load(const struct canon_span *v)
{
	json_t *t = NULL;
	struct err e;

	return canon_tree_load(&t, v, &e) == SL_OK ? t : NULL;
}

/* The signed part of a canonical index: what index_from_doc() does
 * without a tree of the whole index (one entry at a time). */
static int
index_from_span(struct catalog_index **out, const struct canon_span *doc,
                struct err *e)
{
	struct canon_span key, val, ups = {NULL, 0};
	struct catalog_index *idx = NULL;
	json_t *head = json_object(), *o;
	size_t pos = 0, n = 0;
	int rc = SL_OK;

	if (head == NULL || (idx = calloc(1, sizeof(*idx))) == NULL) {
		rc = err_set(e, SL_ENOMEM, "out of memory");
		goto out;
	}
	/* Everything but the updates, as a small tree. */
	while (canon_next(&key, &val, doc, &pos)) {
		char *k;

		if (canon_key_is(&key, "updates")) {
			ups = val;
			continue;
		}
		if ((k = strndup(key.p, key.len)) == NULL ||
		    (o = span_load(&val)) == NULL ||
		    json_object_set_new(head, k, o) != 0) {
			free(k);
			rc = err_set(e, SL_ENOMEM, "out of memory");
			goto out;
		}
		free(k);
	}
	if ((rc = index_header(idx, head, e)) != SL_OK)
		goto out;
	if (ups.p == NULL || ups.p[0] != '[') {
		rc = err_set(e, SL_EINVAL, "updates: expected an array");
		goto out;
	}
	for (pos = 0; canon_next(NULL, &val, &ups, &pos);)
		n++;
	if ((rc = entries_alloc(idx, n, e)) != SL_OK)
		goto out;
	for (pos = 0; canon_next(NULL, &val, &ups, &pos); idx->n++) {
		rc = entry_from_span(&idx->entries[idx->n], &val, idx->n, e);
		if (rc != SL_OK)
			goto out;
	}
	entries_sort(idx);
	*out = idx;
	idx = NULL;
out:
	catalog_index_free(idx);
	json_decref(head);
	return rc;
}

static int
verify_spans(const struct env_spans *sp, const struct sign_keyring *kr,
             struct err *e)
{
	json_t *sigs = span_load(&sp->sigs);
	int rc;

	if (sigs == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	rc = sign_verify_sigs(sp->doc.p, sp->doc.len, sigs, kr, e);
	json_decref(sigs);
	return rc;
}

/* An index whose text, compacted, is a canonical envelope (`sluice
 * catalog` writes it indented): the signature is checked over the
 * compacted bytes, then the copy (taken over) goes and the entries are
 * read from the text itself. */
static int
index_verify_compact(struct catalog_index **out, const char *text, size_t len,
                     char *compact, size_t clen, const struct sign_keyring *kr,
                     struct err *e)
{
	struct canon_span all = {text, len};
	struct env_spans sp;
	int rc;

	env_spans(&sp, compact, clen);
	rc = verify_spans(&sp, kr, e);
	free(compact);
	if (rc != SL_OK)
		return rc;
	while (all.len > 0 && (all.p[0] == ' ' || all.p[0] == '\t' ||
	                       all.p[0] == '\r' || all.p[0] == '\n')) {
		all.p++;
		all.len--;
	}
	if (!env_members(&sp, &all))
		return err_set(e, SL_EINTERNAL, "envelope lost in compaction");
	return index_from_span(out, &sp.doc, e);
}

/* catalog_index_parse() up to the version and expiry checks. An index in
 * canonical form (what the catalog tools write, once the indentation of
 * `sluice catalog` is taken out) is checked and read in place; any other
 * text goes through a jansson tree of the whole. The paths accept and
 * refuse the same texts with the same messages. */
static int
index_verify(struct catalog_index **out, const char *text, size_t len,
             const struct sign_keyring *kr, struct err *e)
{
	struct env_spans sp;
	const json_t *doc;
	json_error_t jerr;
	char *compact = NULL;
	size_t clen;
	json_t *env;
	int rc;

	if (env_spans(&sp, text, len)) {
		if ((rc = verify_spans(&sp, kr, e)) == SL_OK)
			rc = index_from_span(out, &sp.doc, e);
		return rc != SL_OK ? err_prefix(e, "index") : SL_OK;
	}
	if (canon_compact(&compact, &clen, text, len)) {
		if (env_spans(&sp, compact, clen)) {
			rc = index_verify_compact(out, text, len, compact, clen,
			                          kr, e);
			return rc != SL_OK ? err_prefix(e, "index") : SL_OK;
		}
		free(compact);
	}
	if ((env = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr)) ==
	    NULL)
		return err_set(e, SL_EPARSE, "index: line %d column %d: %s",
		               jerr.line, jerr.column, jerr.text);
	if ((rc = sign_envelope_verify(env, kr, &doc, e)) == SL_OK)
		rc = index_from_doc(out, doc, e);
	json_decref(env);
	return rc != SL_OK ? err_prefix(e, "index") : SL_OK;
}

int
catalog_index_parse(struct catalog_index **out, const char *text, size_t len,
                    const struct sign_keyring *kr, long long now,
                    int64_t min_version, struct err *e)
{
	struct catalog_index *idx = NULL;
	int rc;

	if (len > CATALOG_INDEX_MAX)
		return err_set(e, SL_ETOOBIG, "index: larger than %u bytes",
		               CATALOG_INDEX_MAX);
	if ((rc = index_verify(&idx, text, len, kr, e)) != SL_OK)
		return rc;
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

/* sign_envelope_verify() of env, parsed from text: when text is a
 * canonical envelope the signatures are checked over the bytes of its
 * "signed" member as they are, instead of serialising the tree again. */
static int
doc_verify(const json_t *env, const char *text, size_t len,
           const struct sign_keyring *kr, const json_t **doc_out, struct err *e)
{
	const json_t *doc = json_object_get(env, "signed");
	const json_t *sigs = json_object_get(env, "signatures");
	struct env_spans sp;
	char *compact = NULL;
	size_t clen;
	int rc;

	if (!json_is_object(doc) || !json_is_array(sigs))
		return sign_envelope_verify(env, kr, doc_out, e);
	if (!env_spans(&sp, text, len) &&
	    (!canon_compact(&compact, &clen, text, len) ||
	     !env_spans(&sp, compact, clen))) {
		free(compact);
		return sign_envelope_verify(env, kr, doc_out, e);
	}
	if ((rc = sign_verify_sigs(sp.doc.p, sp.doc.len, sigs, kr, e)) == SL_OK)
		*doc_out = doc;
	free(compact);
	return rc;
}

/* What catalog_doc_parse() does with a canonical envelope sp: the same
 * checks in the same order (canonical text always parses, and it has no
 * duplicate keys), without a tree of the envelope. */
static int
doc_verify_spans(struct update **out, const struct env_spans *sp,
                 const struct sign_keyring *kr, struct err *e)
{
	json_t *doc;
	int rc;

	if ((rc = verify_spans(sp, kr, e)) != SL_OK)
		return rc;
	if ((doc = span_load(&sp->doc)) == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	rc = update_from_json_shared(out, doc, e);
	json_decref(doc);
	return rc;
}

int
catalog_doc_parse(struct update **out, json_t **env_out, const char *text,
                  size_t len, const struct catalog_entry *entry,
                  const struct sign_keyring *kr, struct err *e)
{
	char hex[HASH_HEX_LEN + 1];
	struct update *u = NULL;
	struct env_spans sp;
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
	if (env_out == NULL && env_spans(&sp, text, len)) {
		/* Canonical (what the catalog tools write): the signature is
		 * checked first, then only the signed document becomes a
		 * tree. */
		rc = doc_verify_spans(&u, &sp, kr, e);
		goto checked;
	}
	if ((env = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr)) ==
	    NULL)
		return err_set(e, SL_EPARSE, "line %d column %d: %s", jerr.line,
		               jerr.column, jerr.text);
	if ((rc = doc_verify(env, text, len, kr, &doc, e)) != SL_OK)
		goto out;
	rc = update_from_json(&u, doc, e);
checked:
	if (rc != SL_OK)
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
