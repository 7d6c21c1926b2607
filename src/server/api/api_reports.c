/*
 * api_reports: status reports — per update (how many computers reported
 * each state, in total and per group, and each computer's state), per
 * computer (counts of its states, last contact and report) — and the
 * per-update counts the updates list shows. Computers rolled up from
 * downstream servers (computers.server not NULL) count like local ones;
 * each row names the server a computer reports to ("server": null = this
 * one).
 *
 * Counts: one member per agent state with '-' turned into '_'
 * (not_applicable, needed, downloaded, installed,
 * installed_pending_reboot, failed) plus no_status: computers that sent
 * nothing about the update.
 */
#include <string.h>

#include "api.h"
#include "api_manage.h"
#include "auth.h"

static const char *const count_keys[] = {
        "not_applicable",           "needed", "downloaded", "installed",
        "installed_pending_reboot", "failed", "no_status",  NULL,
};

static json_t *
counts_new(void)
{
	json_t *o = json_object();

	for (size_t i = 0; o && count_keys[i]; i++)
		json_object_set_new(o, count_keys[i], json_integer(0));
	return o;
}

/* counts[state] += n ("installed-pending-reboot" -> key with '_'). */
static void
counts_add(json_t *counts, const char *state, json_int_t n)
{
	char key[64];
	size_t i;

	for (i = 0; state[i] && i + 1 < sizeof(key); i++)
		key[i] = state[i] == '-' ? '_' : state[i];
	key[i] = '\0';
	json_object_set_new(
	        counts, key,
	        json_integer(json_integer_value(json_object_get(counts, key)) +
	                     n));
}

static json_int_t
counts_sum(json_t *counts)
{
	json_int_t s = 0;

	for (size_t i = 0; count_keys[i]; i++)
		if (strcmp(count_keys[i], "no_status") != 0)
			s += json_integer_value(
			        json_object_get(counts, count_keys[i]));
	return s;
}

static int
scalar(int64_t *out, struct store *db, const char *sql, struct err *e)
{
	sqlite3_stmt *st = NULL;
	int rc = db_prepare(db, &st, sql, e);

	if (rc != SL_OK)
		return rc;
	if (sqlite3_step(st) == SQLITE_ROW)
		*out = sqlite3_column_int64(st, 0);
	else
		rc = db_error(db, e, "count");
	sqlite3_finalize(st);
	return rc;
}

int
api_counts_all(json_t **out, struct store *db, struct err *e)
{
	sqlite3_stmt *st = NULL;
	json_t *map = json_object(), *c;
	const char *k;
	int64_t total = 0;
	int rc;

	if (map == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	rc = scalar(&total, db, "SELECT count(*) FROM computers", e);
	if (rc == SL_OK)
		rc = db_prepare(db, &st,
		                "SELECT s.id, t.state, count(t.state) FROM "
		                "update_status s LEFT JOIN update_states t ON "
		                "t.update_id = s.id GROUP BY s.id, t.state",
		                e);
	if (rc != SL_OK)
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *id = (const char *)sqlite3_column_text(st, 0);
		const char *state = (const char *)sqlite3_column_text(st, 1);
		c = json_object_get(map, id);
		if (c == NULL) {
			c = counts_new();
			if (c == NULL || json_object_set_new(map, id, c) != 0) {
				rc = err_set(e, SL_ENOMEM, "out of memory");
				goto out;
			}
		}
		if (state != NULL)
			counts_add(c, state, sqlite3_column_int64(st, 2));
	}
	if (rc != SQLITE_DONE) {
		rc = db_error(db, e, "update counts");
		goto out;
	}
	rc = SL_OK;
	json_object_foreach(map, k, c) json_object_set_new(
	        c, "no_status", json_integer(total - counts_sum(c)));
	*out = map;
	map = NULL;
out:
	sqlite3_finalize(st);
	json_decref(map);
	return rc;
}

/* The filters of GET /v1/admin/updates and /v1/admin/reports/updates. */
int
api_update_filtered(const struct req *r, json_t *u, json_t *counts)
{
	const char *cl = api_query(r, "classification");
	const char *pr = api_query(r, "product");
	const char *se = api_query(r, "search");
	const char *dec = api_query(r, "declined");
	int declined = json_is_true(json_object_get(u, "declined"));

	if (dec == NULL || strcmp(dec, "0") == 0) {
		if (declined)
			return 1;
	} else if (strcmp(dec, "only") == 0 && !declined) {
		return 1;
	}
	if (cl && strcasecmp(cl, json_string_value(json_object_get(
	                                 u, "classification"))) != 0)
		return 1;
	if (pr && strcasecmp(pr, json_string_value(
	                                 json_object_get(u, "product"))) != 0)
		return 1;
	if (se && *se) {
		const char *t = json_string_value(json_object_get(u, "title"));
		const char *kb =
		        json_string_value(json_object_get(u, "kb_article"));
		const char *id = json_string_value(json_object_get(u, "id"));
		if (!(t && strcasestr(t, se)) && !(kb && strcasestr(kb, se)) &&
		    !(id && strstr(id, se)))
			return 1;
	}
	if (api_query(r, "needed") &&
	    json_integer_value(json_object_get(counts, "needed")) +
	                    json_integer_value(
	                            json_object_get(counts, "downloaded")) ==
	            0)
		return 1;
	if (api_query(r, "failed") &&
	    json_integer_value(json_object_get(counts, "failed")) == 0)
		return 1;
	return 0;
}

int
api_report_updates(struct req *r, struct reply *out, struct err *e)
{
	sqlite3_stmt *st = NULL;
	json_t *arr = json_array(), *map = NULL;
	int rc;

	if (arr == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	rc = store_begin_read(r->store, e);
	if (rc == SL_OK)
		rc = api_counts_all(&map, r->store, e);
	if (rc == SL_OK)
		rc = db_prepare(
		        r->store, &st,
		        "SELECT u.id, u.revision, u.title, "
		        "u.classification, u.product, u.kb_article, "
		        "s.declined, s.expired FROM update_status s JOIN "
		        "updates u ON u.id = s.id AND u.revision = "
		        "s.latest_revision ORDER BY u.release_date DESC, "
		        "u.id",
		        e);
	if (rc != SL_OK)
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *id = (const char *)sqlite3_column_text(st, 0);
		json_t *c = json_object_get(map, id);
		json_t *u = json_pack(
		        "{s:s,s:I,s:s,s:s,s:s,s:o,s:b,s:b,s:O}", "id", id,
		        "revision", (json_int_t)sqlite3_column_int64(st, 1),
		        "title", (const char *)sqlite3_column_text(st, 2),
		        "classification",
		        (const char *)sqlite3_column_text(st, 3), "product",
		        (const char *)sqlite3_column_text(st, 4), "kb_article",
		        api_text_or_null(st, 5), "declined",
		        sqlite3_column_int(st, 6), "expired",
		        sqlite3_column_int(st, 7), "counts",
		        c ? c : json_null());
		if (u == NULL) {
			rc = err_set(e, SL_ENOMEM, "out of memory");
			goto out;
		}
		if (api_update_filtered(r, u, c))
			json_decref(u);
		else
			json_array_append_new(arr, u);
	}
	if (rc != SQLITE_DONE) {
		rc = db_error(r->store, e, "report");
		goto out;
	}
	rc = store_commit(r->store, e);
	if (rc != SL_OK)
		goto out;
	out->json = json_pack("{s:O}", "updates", arr);
	if (out->json == NULL)
		rc = err_set(e, SL_ENOMEM, "out of memory");
out:
	sqlite3_finalize(st);
	if (rc != SL_OK) {
		store_rollback(r->store);
		err_prefix(e, "report");
	}
	json_decref(arr);
	json_decref(map);
	return rc;
}

int
api_report_update(struct req *r, struct reply *out, struct err *e)
{
	const char *id = r->params[0];
	sqlite3_stmt *st = NULL;
	json_t *head = NULL, *totals = NULL, *groups = NULL, *comps = NULL;
	int rc;

	if (!auth_is_uuid(id))
		return err_set(e, SL_EINVAL, "report: update: expected a UUID");
	totals = counts_new();
	groups = json_object();
	comps = json_array();
	if (totals == NULL || groups == NULL || comps == NULL) {
		rc = err_set(e, SL_ENOMEM, "out of memory");
		goto out;
	}
	rc = store_begin_read(r->store, e);
	if (rc == SL_OK)
		rc = db_prepare(
		        r->store, &st,
		        "SELECT u.id, u.revision, u.title, "
		        "u.classification, u.product, s.declined FROM "
		        "update_status s JOIN updates u ON u.id = s.id "
		        "AND u.revision = s.latest_revision WHERE s.id = ?",
		        e);
	if (rc != SL_OK)
		goto out;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW) {
		rc = err_set(e, SL_ENOTFOUND, "no update %s", id);
		goto out;
	}
	head = json_pack("{s:s,s:I,s:s,s:s,s:s,s:b}", "id", id, "revision",
	                 (json_int_t)sqlite3_column_int64(st, 1), "title",
	                 (const char *)sqlite3_column_text(st, 2),
	                 "classification",
	                 (const char *)sqlite3_column_text(st, 3), "product",
	                 (const char *)sqlite3_column_text(st, 4), "declined",
	                 sqlite3_column_int(st, 5));
	sqlite3_finalize(st);
	st = NULL;
	rc = db_prepare(r->store, &st,
	                "SELECT c.id, c.hostname, g.name, c.server, t.state, "
	                "t.detail, t.reported_at, t.revision FROM computers c "
	                "JOIN groups g ON g.id = c.group_id LEFT JOIN "
	                "update_states t ON t.computer_id = c.id AND "
	                "t.update_id = ? ORDER BY g.name, c.hostname, c.id",
	                e);
	if (rc != SL_OK)
		goto out;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *g = (const char *)sqlite3_column_text(st, 2);
		const char *state = (const char *)sqlite3_column_text(st, 4);
		json_t *gc = json_object_get(groups, g);
		if (gc == NULL) {
			gc = counts_new();
			json_object_set_new(groups, g, gc);
		}
		counts_add(totals, state ? state : "no_status", 1);
		counts_add(gc, state ? state : "no_status", 1);
		json_array_append_new(
		        comps,
		        json_pack("{s:s,s:s,s:s,s:o,s:s,s:o,s:o,s:o}", "id",
		                  (const char *)sqlite3_column_text(st, 0),
		                  "hostname",
		                  (const char *)sqlite3_column_text(st, 1),
		                  "group", g, "server", api_text_or_null(st, 3),
		                  "state", state ? state : "no-status",
		                  "detail", api_text_or_null(st, 5), "reported",
		                  api_time_or_null(st, 6), "revision",
		                  sqlite3_column_type(st, 7) == SQLITE_NULL
		                          ? json_null()
		                          : json_integer(sqlite3_column_int64(
		                                    st, 7))));
	}
	if (rc != SQLITE_DONE) {
		rc = db_error(r->store, e, "report");
		goto out;
	}
	rc = store_commit(r->store, e);
	if (rc != SL_OK)
		goto out;
	{
		json_t *garr = json_array(), *gc;
		const char *g;
		json_object_foreach(groups, g, gc) json_array_append_new(
		        garr, json_pack("{s:s,s:O}", "group", g, "counts", gc));
		out->json =
		        json_pack("{s:O,s:O,s:o,s:O}", "update", head, "totals",
		                  totals, "groups", garr, "computers", comps);
	}
	if (out->json == NULL)
		rc = err_set(e, SL_ENOMEM, "out of memory");
out:
	sqlite3_finalize(st);
	if (rc != SL_OK) {
		store_rollback(r->store);
		err_prefix(e, "report");
	}
	json_decref(head);
	json_decref(totals);
	json_decref(groups);
	json_decref(comps);
	return rc;
}

int
api_report_computers(struct req *r, struct reply *out, struct err *e)
{
	sqlite3_stmt *st = NULL;
	json_t *arr = json_array(), *cur = NULL;
	const char *group = api_query(r, "group");
	int rc;

	if (arr == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	rc = db_prepare(r->store, &st,
	                "SELECT c.id, c.hostname, g.name, c.server, "
	                "c.last_contact, c.last_report, t.state, "
	                "count(t.state) FROM computers c JOIN groups g ON g.id "
	                "= c.group_id LEFT JOIN update_states t ON "
	                "t.computer_id = c.id WHERE ?1 IS NULL OR g.name = ?1 "
	                "GROUP BY c.id, t.state ORDER BY c.hostname, c.id",
	                e);
	if (rc != SL_OK)
		goto out;
	if (group)
		sqlite3_bind_text(st, 1, group, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *id = (const char *)sqlite3_column_text(st, 0);
		const char *state = (const char *)sqlite3_column_text(st, 6);
		if (cur == NULL ||
		    strcmp(json_string_value(json_object_get(cur, "id")), id) !=
		            0) {
			json_t *c = counts_new();
			json_object_del(c, "no_status");
			cur = json_pack(
			        "{s:s,s:s,s:s,s:o,s:o,s:o,s:o}", "id", id,
			        "hostname",
			        (const char *)sqlite3_column_text(st, 1),
			        "group",
			        (const char *)sqlite3_column_text(st, 2),
			        "server", api_text_or_null(st, 3),
			        "last_contact", api_time_or_null(st, 4),
			        "last_report", api_time_or_null(st, 5),
			        "counts", c);
			if (cur == NULL ||
			    json_array_append_new(arr, cur) != 0) {
				rc = err_set(e, SL_ENOMEM, "out of memory");
				goto out;
			}
		}
		if (state != NULL)
			counts_add(json_object_get(cur, "counts"), state,
			           sqlite3_column_int64(st, 7));
	}
	if (rc != SQLITE_DONE) {
		rc = db_error(r->store, e, "report");
		goto out;
	}
	out->json = json_pack("{s:O}", "computers", arr);
	rc = out->json ? SL_OK : err_set(e, SL_ENOMEM, "out of memory");
out:
	sqlite3_finalize(st);
	if (rc != SL_OK)
		err_prefix(e, "report");
	json_decref(arr);
	return rc;
}
