/*
 * store_console: the few queries the web console needs beyond the other
 * areas: which updates some group approves (the approval filter of the
 * paged updates list), and the dashboard's figures: updates and computers
 * by status, aggregated from the counters the state triggers keep, and the
 * install outcomes (failed, installed) of a recent window. Plain SQL both
 * engines run.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

/* Add n to obj[key] ("unspecified" for a missing or empty key). */
static int
figure_add(json_t *obj, const char *key, int64_t n)
{
	if (key == NULL || *key == '\0')
		key = "unspecified";
	return json_object_set_new(
	        obj, key,
	        json_integer(json_integer_value(json_object_get(obj, key)) +
	                     n));
}

int
store_console_update_figures(json_t **out, struct store *s, struct err *e)
{
	struct db_stmt *st;
	json_t *by_class = json_object(), *by_sev = json_object();
	int64_t total = 0, needed = 0, failed = 0, approved = 0, n;
	int rc;

	if (by_class == NULL || by_sev == NULL) {
		rc = err_set(e, SL_ENOMEM, "out of memory");
		goto out;
	}
	/* One row per (classification, severity) of the updates neither
	 * declined nor expired: how many, how many some computer needs
	 * (needed, downloaded or failed), how many failed somewhere, how
	 * many some group approves. The counters are summed over revisions,
	 * as the reports do. */
	rc = store_q(s, &st, e,
	             "SELECT u.classification, u.severity, count(*), "
	             "CAST(sum(CASE WHEN x.need > 0 THEN 1 ELSE 0 END) AS "
	             "BIGINT), CAST(sum(CASE WHEN x.fail > 0 THEN 1 ELSE 0 "
	             "END) AS BIGINT), CAST(sum(CASE WHEN EXISTS (SELECT 1 "
	             "FROM approvals a WHERE a.update_id = s.id AND a.action "
	             "<> 'not-approved') THEN 1 ELSE 0 END) AS BIGINT) FROM "
	             "update_status s JOIN updates u ON u.id = s.id AND "
	             "u.revision = s.latest_revision LEFT JOIN (SELECT ukey, "
	             "sum(CASE WHEN st IN (1, 2, 5) THEN n ELSE 0 END) AS "
	             "need, sum(CASE WHEN st = 5 THEN n ELSE 0 END) AS fail "
	             "FROM state_counts GROUP BY ukey) x ON x.ukey = s.ukey "
	             "WHERE s.declined = 0 AND s.expired = 0 GROUP BY "
	             "u.classification, u.severity",
	             NULL);
	if (rc != SL_OK)
		goto out;
	while ((rc = db_step(st, e)) == DB_ROW) {
		total += db_col_int(st, 2);
		n = db_col_int(st, 3);
		needed += n;
		failed += db_col_int(st, 4);
		approved += db_col_int(st, 5);
		if (n > 0 &&
		    (figure_add(by_class, db_col_text(st, 0), n) != 0 ||
		     figure_add(by_sev, db_col_text(st, 1), n) != 0)) {
			rc = err_set(e, SL_ENOMEM, "out of memory");
			break;
		}
	}
	db_done(st);
	if (rc < 0)
		goto out;
	*out = json_pack("{s:I,s:I,s:I,s:I,s:O,s:O}", "total",
	                 (json_int_t)total, "needed", (json_int_t)needed,
	                 "with_failures", (json_int_t)failed, "approved",
	                 (json_int_t)approved, "needed_by_classification",
	                 by_class, "needed_by_severity", by_sev);
	rc = *out != NULL ? SL_OK : err_set(e, SL_ENOMEM, "out of memory");
out:
	json_decref(by_class);
	json_decref(by_sev);
	return rc != SL_OK ? err_prefix(e, "update figures") : SL_OK;
}

/* The computers by state mask and never reported, with how many of them
 * are stale (last contact before $1, or never): a walk of the index
 * computers_status in its order, no row read (db_states.h). */
#define COMPUTER_FIGURES_SQL                                                   \
	"SELECT state_mask, last_report IS NULL, sum(CASE WHEN last_contact "  \
	"IS NULL OR last_contact < $1 THEN 1 ELSE 0 END), count(*) FROM "      \
	"computers GROUP BY 1, 2"

int
store_console_computer_figures(json_t **out, struct store *s,
                               int64_t stale_before, struct err *e)
{
	struct db_stmt *st;
	int64_t up = 0, needed = 0, failed = 0, none = 0, total = 0, stale = 0;
	int64_t mask, k;
	int rc;

	/* The status of STORE_COMPUTER_STATUS, from the mask's bits. */
	rc = store_q(s, &st, e, COMPUTER_FIGURES_SQL, "i", stale_before);
	if (rc != SL_OK)
		return err_prefix(e, "computer figures");
	while ((rc = db_step(st, e)) == DB_ROW) {
		mask = db_col_int(st, 0);
		k = db_col_int(st, 3);
		if ((mask & 32) != 0)
			failed += k;
		else if ((mask & 6) != 0)
			needed += k;
		else if (db_col_int(st, 1) != 0)
			none += k;
		else
			up += k;
		total += k;
		stale += db_col_int(st, 2);
	}
	db_done(st);
	if (rc < 0)
		return err_prefix(e, "computer figures");
	*out = json_pack("{s:I,s:I,s:I,s:I,s:I,s:I}", "total",
	                 (json_int_t)total, "up_to_date", (json_int_t)up,
	                 "needed", (json_int_t)needed, "failed",
	                 (json_int_t)failed, "no_status", (json_int_t)none,
	                 "stale", (json_int_t)stale);
	if (*out == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	return SL_OK;
}

/* The status and stale flag (last contact before $5, or never) of the
 * computer c. */
#define STATUS_OF_C STORE_COMPUTER_STATUS("c")
#define STALE_OF_C  "(c.last_contact IS NULL OR c.last_contact < $5)"

/* The filters of the console's computers list, shared by its count and
 * its page: $1 group name, $2 OS and $3 host name LIKE patterns, $4
 * status. */
#define COMPUTERS_WHERE                                                        \
	"FROM computers c WHERE (CAST($1 AS TEXT) IS NULL OR c.group_id = "    \
	"(SELECT id FROM groups WHERE name = $1)) AND (CAST($2 AS TEXT) IS "   \
	"NULL OR lower(coalesce(c.os_id || ' ' || c.os_version, c.os_id, "     \
	"c.os_version)) LIKE $2 ESCAPE '!') AND (CAST($3 AS TEXT) IS NULL OR " \
	"lower(c.hostname) LIKE $3 ESCAPE '!') AND (CAST($4 AS TEXT) IS NULL " \
	"OR (CAST($4 AS TEXT) = 'stale' AND " STALE_OF_C ") OR " STATUS_OF_C   \
	" = $4) "

/* The page's keys ($6 of them from offset $7), then their rows, group
 * names and counters: only the page's computers are read whole. */
#define COMPUTERS_PAGE_SQL                                                     \
	"WITH p AS (SELECT c.ckey, c.hostname, c.id " COMPUTERS_WHERE          \
	"ORDER BY c.hostname, c.id LIMIT $6 OFFSET $7) SELECT c.id, "          \
	"c.hostname, g.name, c.server, c.last_contact, c.last_report, "        \
	"c.catalog_state, c.catalog_detail, c.os_id, c.os_version, c.arch, "   \
	"c.agent_version, " STATUS_OF_C ", CASE WHEN " STALE_OF_C " THEN 1 "   \
	"ELSE 0 END, c.ckey, x.st, x.n FROM p JOIN computers c ON c.ckey = "   \
	"p.ckey JOIN groups g ON g.id = c.group_id LEFT JOIN computer_counts " \
	"x ON x.ckey = p.ckey AND x.n <> 0 ORDER BY p.hostname, p.id, x.st"

#define FILTER_TEXT_MAX 1024

/* *out: "%text%" in lower case with LIKE's wildcards escaped by '!', or
 * NULL for an empty or missing text. SL_EINVAL over FILTER_TEXT_MAX. */
static int
like_pattern(char **out, const char *what, const char *text, struct err *e)
{
	size_t n = text ? strlen(text) : 0, i, j = 0;
	char *p;

	*out = NULL;
	if (n == 0)
		return SL_OK;
	if (n > FILTER_TEXT_MAX)
		return err_set(e, SL_EINVAL, "%s: over %d bytes", what,
		               FILTER_TEXT_MAX);
	if ((p = malloc(2 * n + 3)) == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	p[j++] = '%';
	for (i = 0; i < n; i++) {
		if (text[i] == '%' || text[i] == '_' || text[i] == '!')
			p[j++] = '!';
		p[j++] = (char)tolower((unsigned char)text[i]);
	}
	p[j++] = '%';
	p[j] = '\0';
	*out = p;
	return SL_OK;
}

static json_t *
computer_page_row(struct db_stmt *st)
{
	const char *osid = db_col_text(st, 8), *osv = db_col_text(st, 9);
	char os[600];
	json_t *counts = store_counts_new();

	if (counts != NULL)
		json_object_del(counts, "no_status");
	snprintf(os, sizeof(os), "%s%s%s", osid ? osid : "",
	         osid && osv ? " " : "", osv ? osv : "");
	return json_pack(
	        "{s:s,s:s,s:s,s:o,s:o,s:o,s:o*,s:o,s:o,s:s,s:b,s:o,"
	        "s:o,s:o}",
	        "id", db_col_text(st, 0), "hostname", db_col_text(st, 1),
	        "group", db_col_text(st, 2), "server", store_col_text(st, 3),
	        "last_contact", store_col_time(st, 4), "last_report",
	        store_col_time(st, 5), "counts", counts, "catalog",
	        store_col_text(st, 6), "catalog_detail", store_col_text(st, 7),
	        "status", db_col_text(st, 12), "stale", db_col_int(st, 13) != 0,
	        "os", os[0] ? json_string(os) : json_null(), "arch",
	        store_col_text(st, 10), "agent_version",
	        store_col_text(st, 11));
}

int
store_console_computers(json_t *arr, int64_t *total, struct store *s,
                        const struct store_computer_query *q, struct err *e)
{
	const char *status = q->status && *q->status ? q->status : NULL;
	const char *group = q->group && *q->group ? q->group : NULL;
	char *os = NULL, *host = NULL;
	const char *state;
	struct db_stmt *st;
	json_t *cur = NULL;
	int rc;

	rc = like_pattern(&os, "os", q->os, e);
	if (rc == SL_OK)
		rc = like_pattern(&host, "search", q->search, e);
	if (rc != SL_OK)
		goto out;
	rc = store_q_int(s, total, e, "SELECT count(*) " COMPUTERS_WHERE,
	                 "tttti", group, os, host, status, q->stale_before);
	if (rc < 0)
		goto out;
	rc = store_q(s, &st, e, COMPUTERS_PAGE_SQL, "ttttiii", group, os, host,
	             status, q->stale_before, q->limit, q->offset);
	if (rc != SL_OK)
		goto out;
	while ((rc = db_step(st, e)) == DB_ROW) {
		const char *id = db_col_text(st, 0);

		if (cur == NULL ||
		    strcmp(json_string_value(json_object_get(cur, "id")), id) !=
		            0) {
			cur = computer_page_row(st);
			if (cur == NULL ||
			    json_array_append_new(arr, cur) != 0) {
				rc = err_set(e, SL_ENOMEM, "out of memory");
				break;
			}
		}
		state = db_col_null(st, 15)
		                ? NULL
		                : store_state_name((int)db_col_int(st, 15));
		if (state != NULL)
			store_counts_add(json_object_get(cur, "counts"), state,
			                 db_col_int(st, 16));
	}
	db_done(st);
	rc = rc < 0 ? rc : SL_OK;
out:
	free(os);
	free(host);
	return rc != SL_OK ? err_prefix(e, "computers") : SL_OK;
}

int
store_console_approved(json_t **out, struct store *s, struct err *e)
{
	struct db_stmt *st;
	json_t *map = json_object();
	int rc;

	if (map == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	rc = store_q(s, &st, e,
	             "SELECT update_id, action FROM approvals WHERE action "
	             "<> 'not-approved'",
	             NULL);
	if (rc != SL_OK) {
		json_decref(map);
		return err_prefix(e, "approved updates");
	}
	while ((rc = db_step(st, e)) == DB_ROW)
		if (json_object_set_new(map, db_col_text(st, 0),
		                        json_string(db_col_text(st, 1))) != 0) {
			rc = err_set(e, SL_ENOMEM, "out of memory");
			break;
		}
	db_done(st);
	if (rc < 0) {
		json_decref(map);
		return err_prefix(e, "approved updates");
	}
	*out = map;
	return SL_OK;
}

static json_t *
failure_row(struct db_stmt *st)
{
	return json_pack("{s:s,s:s,s:s,s:o,s:o,s:o}", "computer",
	                 db_col_text(st, 0), "hostname", db_col_text(st, 1),
	                 "update", db_col_text(st, 2), "title",
	                 store_col_text(st, 3), "detail", store_col_text(st, 4),
	                 "reported", store_col_time(st, 5));
}

int
store_console_outcomes(json_t *arr, struct store *s, bool failed, int64_t since,
                       int64_t limit, struct err *e)
{
	struct db_stmt *st;
	int rc;

	/* The order is the key's, read backwards: the newest first without
	 * a sort, however many outcomes the window holds. */
	rc = store_q(s, &st, e,
	             "SELECT c.id, c.hostname, us.id, u.title, CASE WHEN o.ok "
	             "= 0 THEN d.detail END, o.t FROM state_outcomes o JOIN "
	             "computers c ON c.ckey = o.ckey JOIN update_status us ON "
	             "us.ukey = o.ukey LEFT JOIN updates u ON u.id = us.id AND "
	             "u.revision = o.rev LEFT JOIN state_details d ON d.ckey = "
	             "o.ckey AND d.ukey = o.ukey WHERE o.ok = $1 AND o.t >= $2 "
	             "ORDER BY o.t DESC, o.ckey DESC, o.ukey DESC LIMIT $3",
	             "iii", (int64_t)(failed ? 0 : 1), since, limit);
	if (rc != SL_OK)
		return err_prefix(e, "%s",
		                  failed ? "failed installs" : "installs");
	rc = store_q_collect(arr, st, failure_row, e);
	db_done(st);
	if (rc != SL_OK)
		return err_prefix(e, "%s",
		                  failed ? "failed installs" : "installs");
	return SL_OK;
}
