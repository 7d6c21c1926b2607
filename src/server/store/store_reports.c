/*
 * store_reports: status reports (store.h, "Reports") — per update (how
 * many computers reported each state, in total and per group, and each
 * computer's state), per computer (counts of its states, last contact and
 * report) — and the per-update counts the updates list shows. Computers
 * rolled up from downstream servers (computers.server not NULL) count like
 * local ones; each row names the server a computer reports to ("server":
 * null = this one).
 *
 * Counts: one member per agent state with '-' turned into '_'
 * (not_applicable, needed, downloaded, installed,
 * installed_pending_reboot, failed) plus no_status: computers that sent
 * nothing about the update.
 */
#include "store_int.h"

#include <string.h>

#include "db_states.h"

/* A page of one update's computers by computer id, their state s of
 * update $1 joined from STATES (an index walk per page). */
#define UPDATE_PAGE(STATES)                                                    \
	"SELECT c.id, c.hostname, g.name, c.server, s.v, d.detail, CASE WHEN " \
	"s.v IS NULL THEN NULL ELSE coalesce(s.t, c.last_report, "             \
	"c.registered_at) END FROM computers c JOIN groups g ON g.id = "       \
	"c.group_id LEFT JOIN " STATES " LEFT JOIN state_details d ON s.v % "  \
	"16 >= 8 AND d.ckey = s.ckey AND d.ukey = s.ukey WHERE c.id > $2 AND " \
	"(CAST($3 AS BIGINT) < 0 OR (CAST($3 AS BIGINT) = 6 AND s.v IS NULL) " \
	"OR s.v % 8 = $3) ORDER BY c.id LIMIT $4 OFFSET $5"
/* PostgreSQL: the slot of update $1 in the computer's page. */
#define STATES_AT_PG                                                           \
	"LATERAL (SELECT p.ckey, CAST($1 AS INTEGER) AS ukey, p.v[$1 "         \
	"% " DB_STATE_PAGE " + 1] AS v, p.t[$1 % " DB_STATE_PAGE               \
	" + 1] AS t FROM "                                                     \
	"state_pages p WHERE p.ckey = c.ckey AND p.pg = $1 / " DB_STATE_PAGE   \
	") s ON true"

/* PostgreSQL: a page of one computer's states ($1 its id, $2 a state
 * code or -1, $3 limit, $4 offset), the columns of update_states. The
 * computer's pages are unnested once into a small set that is sorted by
 * title before anything else is joined, and only the page's rows fetch
 * their detail, by key: through the update_states view the planner
 * hashed every computer's details and carried each page's arrays
 * through the sort (72-84 ms for 20,000 states, about half that this
 * way). */
#define COMPUTER_PAGE_PG                                                       \
	"WITH k AS (SELECT ckey, last_report, registered_at FROM computers "   \
	"WHERE id = $1), st AS MATERIALIZED (SELECT p.pg * " DB_STATE_PAGE     \
	" + x.i - 1 AS ukey, x.v, p.t[x.i] AS t FROM k JOIN state_pages p ON " \
	"p.ckey = k.ckey CROSS JOIN LATERAL unnest(p.v) WITH ORDINALITY x(v, " \
	"i) WHERE x.v IS NOT NULL AND (CAST($2 AS INTEGER) < 0 OR x.v % 8 = "  \
	"$2)), top AS (SELECT st.ukey, st.v, st.t, us.id, u.title FROM st "    \
	"JOIN update_status us ON us.ukey = st.ukey LEFT JOIN updates u ON "   \
	"u.id = us.id AND u.revision = st.v / 16 ORDER BY u.title, us.id "     \
	"LIMIT $3 OFFSET $4) SELECT top.id, top.v / 16, "                      \
	"top.title, " DB_STATE_NAME(                                           \
	        "top.v") ", CASE WHEN top.v % 16 "                             \
	                 ">= 8 THEN (SELECT d.detail FROM state_details d "    \
	                 "WHERE d.ckey = "                                     \
	                 "k.ckey AND d.ukey = top.ukey) END, coalesce(top.t, " \
	                 "k.last_report, "                                     \
	                 "k.registered_at) FROM top CROSS JOIN k ORDER BY "    \
	                 "top.title, top.id"

static const char *const count_keys[] = {
        "not_applicable",           "needed", "downloaded", "installed",
        "installed_pending_reboot", "failed", "no_status",  NULL,
};

json_t *
store_counts_new(void)
{
	json_t *o = json_object();

	for (size_t i = 0; o && count_keys[i]; i++)
		json_object_set_new(o, count_keys[i], json_integer(0));
	return o;
}

void
store_counts_add(json_t *counts, const char *state, json_int_t n)
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

int
store_report_counts(json_t **out, struct store *s, struct err *e)
{
	struct db_stmt *st = NULL;
	json_t *map = json_object(), *c;
	const char *k;
	int64_t total = 0;
	int rc;

	if (map == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	rc = store_q_int(s, &total, e,
	                 "SELECT coalesce(sum(members), 0) FROM groups", NULL);
	rc = rc < 0 ? rc : SL_OK;
	if (rc == SL_OK)
		rc = db_stmt(s->db, &st,
		             "SELECT s.id, x.st, sum(x.n) FROM update_status s "
		             "LEFT JOIN state_counts x ON x.ukey = s.ukey AND "
		             "x.n <> 0 GROUP BY s.id, x.st",
		             e);
	if (rc != SL_OK)
		goto out;
	while ((rc = db_step(st, e)) == DB_ROW) {
		const char *id = db_col_text(st, 0);
		const char *state =
		        db_col_null(st, 1)
		                ? NULL
		                : store_state_name((int)db_col_int(st, 1));
		c = json_object_get(map, id);
		if (c == NULL) {
			c = store_counts_new();
			if (c == NULL || json_object_set_new(map, id, c) != 0) {
				rc = err_set(e, SL_ENOMEM, "out of memory");
				goto out;
			}
		}
		if (state != NULL)
			store_counts_add(c, state, db_col_int(st, 2));
	}
	if (rc != DB_DONE) {
		rc = err_prefix(e, "update counts");
		goto out;
	}
	rc = SL_OK;
	json_object_foreach(map, k, c) json_object_set_new(
	        c, "no_status", json_integer(total - counts_sum(c)));
	*out = map;
	map = NULL;
out:
	db_done(st);
	json_decref(map);
	return rc;
}

int
store_report_updates(json_t *arr, struct store *s, json_t *counts,
                     store_filter_fn skip, void *arg, struct err *e)
{
	struct db_stmt *st;
	int rc;

	rc = store_q(s, &st, e,
	             "SELECT u.id, u.revision, u.title, u.classification, "
	             "u.product, u.kb_article, s.declined, s.expired FROM "
	             "update_status s JOIN updates u ON u.id = s.id AND "
	             "u.revision = s.latest_revision ORDER BY u.release_date "
	             "DESC, u.id",
	             NULL);
	if (rc != SL_OK)
		return err_prefix(e, "report");
	while ((rc = db_step(st, e)) == DB_ROW) {
		const char *id = db_col_text(st, 0);
		json_t *c = json_object_get(counts, id);
		json_t *u = json_pack(
		        "{s:s,s:I,s:s,s:s,s:s,s:o,s:b,s:b,s:O}", "id", id,
		        "revision", (json_int_t)db_col_int(st, 1), "title",
		        db_col_text(st, 2), "classification",
		        db_col_text(st, 3), "product", db_col_text(st, 4),
		        "kb_article", store_col_text(st, 5), "declined",
		        (int)db_col_int(st, 6), "expired",
		        (int)db_col_int(st, 7), "counts", c ? c : json_null());
		if (u == NULL) {
			rc = err_set(e, SL_ENOMEM, "out of memory");
			break;
		}
		if (skip(arg, u, c))
			json_decref(u);
		else if (json_array_append_new(arr, u) != 0) {
			rc = err_set(e, SL_ENOMEM, "out of memory");
			break;
		}
	}
	db_done(st);
	return rc < 0 ? err_prefix(e, "report") : SL_OK;
}

int
store_report_update(json_t **out, struct store *s, const char *id,
                    struct err *e)
{
	struct db_stmt *st = NULL;
	json_t *head = NULL, *totals = NULL, *groups = NULL, *gc = NULL;
	const char *prev = NULL;
	int64_t ukey, members = 0;
	int rc;

	totals = store_counts_new();
	groups = json_array();
	if (totals == NULL || groups == NULL) {
		rc = err_set(e, SL_ENOMEM, "out of memory");
		goto out;
	}
	rc = store_q(s, &st, e,
	             "SELECT u.id, u.revision, u.title, u.classification, "
	             "u.product, s.declined, s.ukey FROM update_status s JOIN "
	             "updates u ON u.id = s.id AND u.revision = "
	             "s.latest_revision WHERE s.id = $1",
	             "t", id);
	if (rc != SL_OK)
		goto out;
	rc = db_step(st, e);
	if (rc != DB_ROW) {
		if (rc == DB_DONE)
			rc = err_set(e, SL_ENOTFOUND, "no update %s", id);
		goto out;
	}
	head = json_pack("{s:s,s:I,s:s,s:s,s:s,s:b}", "id", id, "revision",
	                 (json_int_t)db_col_int(st, 1), "title",
	                 db_col_text(st, 2), "classification",
	                 db_col_text(st, 3), "product", db_col_text(st, 4),
	                 "declined", (int)db_col_int(st, 5));
	ukey = db_col_int(st, 6);
	db_done(st);
	st = NULL;
	/* The counters of each group with computers (its direct members,
	 * each counted in its first group only), summed into the totals. */
	rc = store_q(s, &st, e,
	             "SELECT g.name, g.members, x.st, x.n FROM groups g LEFT "
	             "JOIN group_counts x ON x.ukey = $1 AND x.gid = g.id AND "
	             "x.n <> 0 WHERE g.members > 0 ORDER BY g.name, x.st",
	             "i", ukey);
	if (rc != SL_OK)
		goto out;
	while ((rc = db_step(st, e)) == DB_ROW) {
		const char *g = db_col_text(st, 0);
		if (prev == NULL || strcmp(prev, g) != 0) {
			if (gc != NULL)
				store_counts_add(gc, "no_status",
				                 members - counts_sum(gc));
			gc = store_counts_new();
			if (gc == NULL ||
			    json_array_append_new(
			            groups, json_pack("{s:s,s:o}", "group", g,
			                              "counts", gc)) != 0) {
				rc = err_set(e, SL_ENOMEM, "out of memory");
				goto out;
			}
			prev = json_string_value(json_object_get(
			        json_array_get(groups,
			                       json_array_size(groups) - 1),
			        "group"));
			members = db_col_int(st, 1);
			store_counts_add(totals, "no_status", members);
		}
		if (!db_col_null(st, 2)) {
			const char *state =
			        store_state_name((int)db_col_int(st, 2));
			if (state != NULL) {
				store_counts_add(gc, state, db_col_int(st, 3));
				store_counts_add(totals, state,
				                 db_col_int(st, 3));
				store_counts_add(totals, "no_status",
				                 -db_col_int(st, 3));
			}
		}
	}
	if (rc != DB_DONE)
		goto out;
	if (gc != NULL)
		store_counts_add(gc, "no_status", members - counts_sum(gc));
	*out = json_pack("{s:O,s:O,s:O}", "update", head, "totals", totals,
	                 "groups", groups);
	rc = *out != NULL ? SL_OK : err_set(e, SL_ENOMEM, "out of memory");
out:
	db_done(st);
	json_decref(head);
	json_decref(totals);
	json_decref(groups);
	return rc;
}

int
store_report_update_computers(json_t *arr, struct store *s, const char *id,
                              const struct store_page *pg, struct err *e)
{
	struct db_stmt *st = NULL;
	int64_t ukey = 0, want = -1;
	int rc;

	if (pg->state != NULL && strcmp(pg->state, "no-status") == 0)
		want = STORE_STATES;
	else if (pg->state != NULL && (want = store_state_code(pg->state)) < 0)
		return err_set(e, SL_EINVAL, "state: unknown state '%s'",
		               pg->state);
	rc = store_q_int(s, &ukey, e,
	                 "SELECT ukey FROM update_status WHERE id = $1", "t",
	                 id);
	if (rc == DB_DONE)
		return err_set(e, SL_ENOTFOUND, "no update %s", id);
	if (rc < 0)
		return err_prefix(e, "report");
	/* By computer id from the cursor: each page is an index walk. */
	rc = store_q(s, &st, e,
	             db_engine(s->db) == DB_POSTGRES
	                     ? UPDATE_PAGE(STATES_AT_PG)
	                     : UPDATE_PAGE("states s ON s.ckey = c.ckey AND "
	                                   "s.ukey = $1"),
	             "itiii", ukey, pg->after ? pg->after : "", want, pg->limit,
	             pg->offset);
	if (rc != SL_OK)
		return err_prefix(e, "report");
	while ((rc = db_step(st, e)) == DB_ROW) {
		bool none = db_col_null(st, 4);
		int64_t v = db_col_int(st, 4);
		const char *state =
		        none ? "no-status" : store_state_name((int)(v % 8));
		json_t *c = json_pack(
		        "{s:s,s:s,s:s,s:o,s:s,s:o,s:o,s:o}", "id",
		        db_col_text(st, 0), "hostname", db_col_text(st, 1),
		        "group", db_col_text(st, 2), "server",
		        store_col_text(st, 3), "state",
		        state ? state : "failed", "detail",
		        store_col_text(st, 5), "reported",
		        store_col_time(st, 6), "revision",
		        none ? json_null() : json_integer(v / 16));
		if (c == NULL || json_array_append_new(arr, c) != 0) {
			rc = err_set(e, SL_ENOMEM, "out of memory");
			break;
		}
	}
	db_done(st);
	return rc < 0 ? err_prefix(e, "report") : SL_OK;
}

int
store_report_computers(json_t *arr, struct store *s, const char *group,
                       struct err *e)
{
	struct db_stmt *st;
	json_t *cur = NULL;
	int rc;

	rc = store_q(
	        s, &st, e,
	        "SELECT c.id, c.hostname, g.name, c.server, "
	        "c.last_contact, c.last_report, x.st, x.n, "
	        "c.catalog_state, c.catalog_detail FROM computers c JOIN "
	        "groups g ON g.id = c.group_id LEFT JOIN computer_counts x "
	        "ON x.ckey = c.ckey AND x.n <> 0 WHERE CAST($1 AS TEXT) IS "
	        "NULL OR g.name = $1 ORDER BY c.hostname, c.id, x.st",
	        "t", group);
	if (rc != SL_OK)
		return err_prefix(e, "report");
	while ((rc = db_step(st, e)) == DB_ROW) {
		const char *id = db_col_text(st, 0);
		const char *state =
		        db_col_null(st, 6)
		                ? NULL
		                : store_state_name((int)db_col_int(st, 6));
		if (cur == NULL ||
		    strcmp(json_string_value(json_object_get(cur, "id")), id) !=
		            0) {
			json_t *c = store_counts_new();
			json_object_del(c, "no_status");
			cur = json_pack(
			        "{s:s,s:s,s:s,s:o,s:o,s:o,s:o,s:o,s:o}", "id",
			        id, "hostname", db_col_text(st, 1), "group",
			        db_col_text(st, 2), "server",
			        store_col_text(st, 3), "last_contact",
			        store_col_time(st, 4), "last_report",
			        store_col_time(st, 5), "counts", c, "catalog",
			        store_col_text(st, 8), "catalog_detail",
			        store_col_text(st, 9));
			if (cur == NULL ||
			    json_array_append_new(arr, cur) != 0) {
				rc = err_set(e, SL_ENOMEM, "out of memory");
				break;
			}
		}
		if (state != NULL)
			store_counts_add(json_object_get(cur, "counts"), state,
			                 db_col_int(st, 7));
	}
	db_done(st);
	return rc < 0 ? err_prefix(e, "report") : SL_OK;
}

int
store_computer_counts(json_t **out, struct store *s, const char *id,
                      struct err *e)
{
	struct db_stmt *st;
	json_t *c = store_counts_new();
	int rc;

	if (c == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	json_object_del(c, "no_status");
	rc = store_q(s, &st, e,
	             "SELECT x.st, x.n FROM computers c JOIN computer_counts x "
	             "ON x.ckey = c.ckey WHERE c.id = $1 AND x.n <> 0",
	             "t", id);
	if (rc != SL_OK) {
		json_decref(c);
		return err_prefix(e, "computer counts");
	}
	while ((rc = db_step(st, e)) == DB_ROW) {
		const char *state = store_state_name((int)db_col_int(st, 0));
		if (state != NULL)
			store_counts_add(c, state, db_col_int(st, 1));
	}
	db_done(st);
	if (rc != DB_DONE) {
		json_decref(c);
		return err_prefix(e, "computer counts");
	}
	*out = c;
	return SL_OK;
}

int
store_computer_states(struct store *s, const char *id,
                      const struct store_page *pg, store_computer_state_fn fn,
                      void *arg, struct err *e)
{
	struct db_stmt *st;
	int64_t code;
	int rc;

	if (pg->state != NULL && store_state_code(pg->state) < 0)
		return err_set(e, SL_EINVAL, "state: unknown state '%s'",
		               pg->state);
	code = pg->state != NULL ? store_state_code(pg->state) : -1;
	if (db_engine(s->db) == DB_POSTGRES)
		rc = store_q(s, &st, e, COMPUTER_PAGE_PG, "tiii", id, code,
		             pg->limit, pg->offset);
	else
		rc = store_q(
		        s, &st, e,
		        "SELECT s.update_id, s.revision, u.title, s.state, "
		        "s.detail, s.reported_at FROM update_states s LEFT "
		        "JOIN updates u ON u.id = s.update_id AND "
		        "u.revision = s.revision WHERE s.computer_id = $1 "
		        "AND (CAST($2 AS TEXT) IS NULL OR s.state = $2) "
		        "ORDER BY u.title, s.update_id LIMIT $3 OFFSET $4",
		        "ttii", id, pg->state, pg->limit, pg->offset);
	if (rc != SL_OK)
		return err_prefix(e, "computer states");
	while ((rc = db_step(st, e)) == DB_ROW) {
		struct store_computer_state row = {
		        .update_id = db_col_text(st, 0),
		        .revision = db_col_int(st, 1),
		        .title = db_col_null(st, 2) ? NULL : db_col_text(st, 2),
		        .state = db_col_text(st, 3),
		        .detail =
		                db_col_null(st, 4) ? NULL : db_col_text(st, 4),
		        .reported = db_col_int(st, 5)};
		rc = fn(arg, &row, e);
		if (rc != SL_OK)
			break;
	}
	db_done(st);
	return rc < 0 ? err_prefix(e, "computer states") : SL_OK;
}
