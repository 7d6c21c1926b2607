/*
 * sync_sluiced: incremental sync from an upstream sluiced by anchor, with
 * every document verified against the origin's keys (sync_sluiced.h).
 */
#include "sync_sluiced.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "catalog.h"
#include "hash.h"
#include "httpc.h"
#include "origin_trust.h"
#include "store/store.h"
#include "replica.h"
#include "upstream_call.h"
#include "update.h"

#define CHANGES_CAP (256u << 20) /* one page of changes */
#define PAGES_MAX   100000

/* ---- one page of changes ---------------------------------------------- */

/* Where the upstream serves a change's files. */
struct change_urls {
	json_t *files;    /* the change's "files" (may be NULL) */
	const char *base; /* the upstream URL without trailing '/' */
};

/* The URL the upstream gives for a file (by hash), else its content URL. */
static int
file_url(char **out, const struct update *u, const struct update_file *f,
         void *arg, struct err *e)
{
	const struct change_urls *c = arg;
	struct buf b;
	size_t i;
	json_t *jf;
	int rc = SL_OK;
	bool found = false;

	(void)u;
	buf_init(&b, 8192);
	json_array_foreach(c->files, i, jf)
	{
		const char *s =
		        json_string_value(json_object_get(jf, "sha256"));
		const char *v = json_string_value(json_object_get(jf, "url"));
		if (s && v && *v && strcmp(s, f->sha256) == 0 &&
		    (strncmp(v, "http://", 7) == 0 ||
		     strncmp(v, "https://", 8) == 0 ||
		     strncmp(v, "file://", 7) == 0)) {
			rc = buf_puts(&b, v, e);
			found = true;
			break;
		}
	}
	if (!found)
		rc = buf_printf(&b, e, "%s/content/%s", c->base, f->sha256);
	if (rc == SL_OK)
		*out = buf_steal(&b, NULL);
	buf_free(&b);
	return rc;
}

/* Verify one document against the origin's keys and the upstream's
 * claim (id, revision). *out: free with update_free(). */
static int
verify_doc(struct update **out, const struct sign_keyring *kr, const char *id,
           int64_t rev, const char *text, size_t len, struct err *e)
{
	struct update *u = NULL;
	int rc;

	rc = catalog_doc_parse(&u, NULL, text, len, NULL, kr, e);
	if (rc != SL_OK)
		return err_prefix(e, "update %s revision %" PRId64, id, rev);
	if (strcmp(u->id, id) != 0 || u->revision != rev) {
		rc = err_set(e, SL_EVERIFY,
		             "update %s revision %" PRId64 ": the document is "
		             "%s revision %" PRId64,
		             id, rev, u->id, u->revision);
		update_free(u);
		return rc;
	}
	*out = u;
	return SL_OK;
}

/* Apply one change (inside the page's transaction). */
static int
apply_change(struct store *db, const struct server_config *cfg,
             const struct sign_keyring *kr, json_t *c, const char *base,
             struct sync_result *res, struct err *e)
{
	const char *id = json_string_value(json_object_get(c, "id"));
	json_t *rev_v = json_object_get(c, "revision");
	json_t *doc_v = json_object_get(c, "document");
	json_t *files = json_object_get(c, "files");
	struct change_urls urls = {.files = json_is_array(files) ? files : NULL,
	                           .base = base};
	struct store_update_status st;
	struct update *u = NULL;
	bool known, changed;
	int64_t rev;
	int rc;

	if (id == NULL || strlen(id) > UPDATE_ID_LEN || !json_is_integer(rev_v))
		return err_set(e, SL_EPARSE, "change without id or revision");
	rev = json_integer_value(rev_v);
	if ((rc = store_update_status(&st, db, id, e)) != SL_OK)
		return rc;
	known = st.known;
	if (json_is_true(json_object_get(c, "expired"))) {
		/* Withdrawn: only an update we hold is marked expired. */
		if (!known || st.expired)
			return SL_OK;
		rc = store_update_expire(db, id, &changed, e);
		if (rc == SL_OK && changed)
			res->expired_count++;
		return rc;
	}
	if (!known || st.revision < rev) {
		if (!json_is_string(doc_v))
			return err_set(e, SL_EPARSE,
			               "update %s revision %" PRId64
			               ": no document",
			               id, rev);
		rc = verify_doc(&u, kr, id, rev, json_string_value(doc_v),
		                json_string_length(doc_v), e);
		if (rc != SL_OK)
			return rc;
		if (sync_in_list(cfg->products, u->product) &&
		    sync_in_list(cfg->classifications, u->classification)) {
			const char *text = json_string_value(doc_v);
			size_t len = json_string_length(doc_v);
			char hex[HASH_HEX_LEN + 1];

			hash_buf_hex(text, len, hex);
			rc = store_update_import(db, u, text, len, hex,
			                         (int64_t)time(NULL), file_url,
			                         &urls, e);
			/* A replica copies its upstream's approvals as they
			 * are; an autonomous server decides on its own. */
			if (rc == SL_OK && known &&
			    cfg->upstream_mode != UPSTREAM_REPLICA)
				rc = sync_new_revision_approvals(db, u, e);
			if (rc == SL_OK && known)
				res->revised_count++;
			else if (rc == SL_OK)
				res->new_count++;
			known = rc == SL_OK;
		}
		update_free(u);
		if (rc != SL_OK)
			return rc;
	}
	/* A replica also mirrors the upstream's declines. */
	if (known && cfg->upstream_mode == UPSTREAM_REPLICA &&
	    json_is_boolean(json_object_get(c, "declined")) &&
	    json_is_true(json_object_get(c, "declined")) != st.declined) {
		rc = store_update_mirror_decline(
		        db, id, json_is_true(json_object_get(c, "declined")),
		        e);
	}
	return rc;
}

static int
url_escape(struct buf *b, const char *s, struct err *e)
{
	static const char hex[] = "0123456789ABCDEF";
	int rc = SL_OK;

	for (; *s && rc == SL_OK; s++) {
		unsigned char ch = (unsigned char)*s;
		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' ||
		    ch == '.' || ch == '~')
			rc = buf_printf(b, e, "%c", ch);
		else
			rc = buf_printf(b, e, "%%%c%c", hex[ch >> 4],
			                hex[ch & 15]);
	}
	return rc;
}

static int
list_arg(struct buf *b, const char *key, char *const *list, struct err *e)
{
	int rc;

	if (list == NULL)
		return SL_OK;
	if ((rc = buf_printf(b, e, "&%s=", key)) != SL_OK)
		return rc;
	for (size_t i = 0; list[i] && rc == SL_OK; i++) {
		if (i > 0)
			rc = buf_puts(b, ",", e);
		if (rc == SL_OK)
			rc = url_escape(b, list[i], e);
	}
	return rc;
}

/* Fetch and import one page; *anchor advances, *more says whether
 * another page follows. */
static int
sync_page(struct store *db, const struct server_config *cfg, int64_t *anchor,
          bool *more, const char *base, struct sync_result *res, struct err *e)
{
	json_t *v = NULL, *updates, *c, *origin, *ok, *ot;
	struct sign_keyring kr;
	const char *next;
	struct buf path;
	char *end, num[32];
	long long na;
	size_t i;
	int rc, in_tx = 0;

	buf_init(&path, 16384);
	rc = buf_printf(&path, e,
	                "/v1/upstream/changes?since=%" PRId64 "&mode=%s",
	                *anchor,
	                cfg->upstream_mode == UPSTREAM_REPLICA ? "replica"
	                                                       : "autonomous");
	if (rc == SL_OK)
		rc = list_arg(&path, "products", cfg->products, e);
	if (rc == SL_OK)
		rc = list_arg(&path, "classifications", cfg->classifications,
		              e);
	if (rc == SL_OK)
		rc = sluiced_call(&v, cfg, "GET", path.data, NULL, e);
	if (rc != SL_OK)
		goto out;
	next = json_string_value(json_object_get(v, "anchor"));
	updates = json_object_get(v, "updates");
	na = next ? strtoll(next, &end, 10) : -1;
	if (next == NULL || *next == '\0' || *end != '\0' || na < 0 ||
	    !json_is_array(updates)) {
		rc = err_set(e, SL_EPARSE, "changes: malformed answer");
		goto out;
	}
	*more = json_is_true(json_object_get(v, "more"));
	/* The origin's key list and timestamp as the upstream passes them
	 * on: checked and kept before any document is (origin_trust.h). */
	origin = json_object_get(v, "origin");
	ok = json_object_get(origin, "keys");
	ot = json_object_get(origin, "timestamp");
	rc = origin_trust_accept(&kr, NULL, db, cfg, json_string_value(ok),
	                         json_string_length(ok), json_string_value(ot),
	                         json_string_length(ot), true,
	                         (long long)time(NULL), e);
	if (rc != SL_OK)
		goto out;
	if ((rc = store_begin(db, e)) != SL_OK)
		goto out;
	in_tx = 1;
	json_array_foreach(updates, i, c)
	{
		if (!json_is_object(c)) {
			rc = err_set(e, SL_EPARSE, "changes: malformed answer");
			goto out;
		}
		if ((rc = apply_change(db, cfg, &kr, c, base, res, e)) != SL_OK)
			goto out;
	}
	snprintf(num, sizeof(num), "%lld", na);
	if ((rc = store_meta_set(db, "upstream_anchor", num, e)) != SL_OK)
		goto out;
	if ((rc = store_commit(db, e)) != SL_OK)
		goto out;
	in_tx = 0;
	*anchor = na;
out:
	if (in_tx)
		store_rollback(db);
	json_decref(v);
	buf_free(&path);
	return rc;
}

int
sync_sluiced_run(struct store *db, const struct server_config *cfg,
                 struct sync_result *out, struct err *e)
{
	struct sync_result res = {0};
	struct err e2;
	struct buf base;
	int64_t anchor = 0;
	bool more = true;
	unsigned pushed = 0;
	int rc, pages = 0;

	memset(out, 0, sizeof(*out));
	buf_init(&base, 8192);
	if ((rc = store_sync_start(&res.history_id, db, (int64_t)time(NULL),
	                           e)) != SL_OK) {
		err_prefix(e, "sync");
		buf_free(&base);
		return rc;
	}
	if ((rc = upstream_base_url(&base, cfg, e)) != SL_OK ||
	    (rc = store_meta_int(&anchor, db, "upstream_anchor", e)) != SL_OK)
		goto out;
	while (more && pages++ < PAGES_MAX) {
		rc = sync_page(db, cfg, &anchor, &more, base.data, &res, e);
		res.index_version = anchor;
		if (rc != SL_OK) {
			err_prefix(e, "upstream %s", cfg->upstream_url);
			goto out;
		}
	}
	if (cfg->upstream_mode == UPSTREAM_REPLICA &&
	    (rc = replica_pull(db, cfg, NULL, e)) != SL_OK)
		goto out;
	if ((rc = sync_want_content(db, config_storage_mode(cfg),
	                            (long long)time(NULL), &res.files_wanted,
	                            e)) != SL_OK)
		goto out;
	if ((rc = replica_rollup(db, cfg, &pushed, e)) != SL_OK)
		goto out;
out:
	/* A failure to record cannot hide the sync's own result. */
	err_clear(&e2);
	sync_history_finish(db, &res, &res.index_version,
	                    rc == SL_OK ? NULL : (e ? e->msg : err_name(rc)),
	                    &e2);
	*out = res;
	if (rc != SL_OK)
		err_prefix(e, "sync");
	buf_free(&base);
	return rc;
}
