/*
 * api_console_data: the admin endpoints the web console reads that the
 * rest of the API lacks: the dashboard's figures in one request and the
 * updates and computers lists with server-side filtering and paging, so
 * that a browser never receives 100,000 rows (docs/protocol.md, "Console
 * views"). Read-only; any admin token or console session may call them.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "api.h"
#include "api_console.h"
#include "api_manage.h"
#include "auth.h"

#define PAGE_DEFAULT   50
#define PAGE_MAX       500
#define STALE_DEFAULT  30
#define FAILURES_MAX   50
#define FAILURE_WINDOW (24 * 3600)

static long
query_long(const struct req *r, const char *key, long def, long min, long max)
{
	const char *s = api_query(r, key);
	char *end;
	long v;

	if (s == NULL || *s == '\0')
		return def;
	v = strtol(s, &end, 10);
	if (*end != '\0' || v < min)
		return min;
	return v > max ? max : v;
}

static json_int_t
count_of(json_t *c, const char *k)
{
	return json_integer_value(json_object_get(c, k));
}

/* --- dashboard --------------------------------------------------------- */

/* Figures from the counters and the outcomes, lists of a bounded length:
 * nothing here walks every update, computer or state. */
int
api_console_dashboard(struct req *r, struct reply *out, struct err *e)
{
	json_t *cs = NULL, *us = NULL, *sync = NULL;
	json_t *hist = json_array(), *fails = json_array(),
	       *insts = json_array(), *downs = json_array();
	long days = query_long(r, "days", STALE_DEFAULT, 1, 3650);
	int64_t now = (int64_t)time(NULL);
	int rc;

	if (hist == NULL || fails == NULL || insts == NULL || downs == NULL) {
		rc = err_set(e, SL_ENOMEM, "out of memory");
		goto out;
	}
	rc = store_begin_read(r->store, e);
	if (rc == SL_OK)
		rc = store_console_update_figures(&us, r->store, e);
	if (rc == SL_OK)
		rc = store_console_computer_figures(
		        &cs, r->store, now - (int64_t)days * 86400, e);
	if (rc == SL_OK)
		rc = store_sync_history(hist, r->store, e);
	if (rc == SL_OK)
		rc = store_console_outcomes(fails, r->store, true,
		                            now - FAILURE_WINDOW, FAILURES_MAX,
		                            e);
	if (rc == SL_OK)
		rc = store_console_outcomes(insts, r->store, false,
		                            now - FAILURE_WINDOW, FAILURES_MAX,
		                            e);
	if (rc == SL_OK)
		rc = store_downstreams_list(downs, r->store, e);
	if (rc == SL_OK)
		rc = store_commit(r->store, e);
	if (rc != SL_OK)
		goto out;
	json_object_set_new(cs, "stale_days", json_integer(days));
	sync = json_array_size(hist) > 0 ? json_incref(json_array_get(hist, 0))
	                                 : json_null();
	while (json_array_size(hist) > 10)
		json_array_remove(hist, json_array_size(hist) - 1);
	out->json = json_pack("{s:O,s:O,s:o,s:O,s:O,s:O,s:O}", "computers", cs,
	                      "updates", us, "last_sync", sync, "syncs", hist,
	                      "failures_24h", fails, "installed_24h", insts,
	                      "downstreams", downs);
	if (out->json == NULL)
		rc = err_set(e, SL_ENOMEM, "out of memory");
out:
	if (rc != SL_OK) {
		store_rollback(r->store);
		err_prefix(e, "dashboard");
	}
	json_decref(cs);
	json_decref(us);
	json_decref(hist);
	json_decref(fails);
	json_decref(insts);
	json_decref(downs);
	return rc;
}

/* --- updates, paged ---------------------------------------------------- */

struct page {
	const struct req *r;
	json_t *approved;
	json_t *superseded; /* {id: true} when the superseded filter is set */
	long offset, limit;
	json_int_t total;
};

static int
status_keeps(const char *want, json_t *c)
{
	if (strcmp(want, "needed") == 0)
		return count_of(c, "needed") + count_of(c, "downloaded") > 0;
	if (strcmp(want, "failed") == 0)
		return count_of(c, "failed") > 0;
	if (strcmp(want, "installed") == 0)
		return count_of(c, "installed") +
		               count_of(c, "installed_pending_reboot") >
		       0;
	if (strcmp(want, "not_applicable") == 0)
		return count_of(c, "not_applicable") > 0;
	return 1;
}

/* 1 when the console's own filters (beyond api_update_filtered) drop u. */
static int
console_filtered(struct page *p, json_t *u, json_t *c)
{
	const char *sev = api_query(p->r, "severity");
	const char *appr = api_query(p->r, "approval");
	const char *status = api_query(p->r, "status");
	const char *since = api_query(p->r, "since");
	const char *until = api_query(p->r, "until");
	const char *rd = json_string_value(json_object_get(u, "release_date"));
	const char *us = json_string_value(json_object_get(u, "severity"));
	int approved;

	if (sev && *sev &&
	    (us == NULL ? strcmp(sev, "unspecified") != 0
	                : strcasecmp(sev, us) != 0))
		return 1;
	if (appr && *appr) {
		approved = json_object_get(p->approved,
		                           json_string_value(json_object_get(
		                                   u, "id"))) != NULL;
		if ((strcmp(appr, "approved") == 0 && !approved) ||
		    (strcmp(appr, "unapproved") == 0 && approved))
			return 1;
	}
	if (status && *status && !status_keeps(status, c))
		return 1;
	if (p->superseded != NULL &&
	    (json_object_get(p->superseded,
	                     json_string_value(json_object_get(u, "id"))) !=
	     NULL) != (strcmp(api_query(p->r, "superseded"), "1") == 0))
		return 1;
	if (since && *since && (rd == NULL || strcmp(rd, since) < 0))
		return 1;
	if (until && *until && (rd == NULL || strncmp(rd, until, 10) > 0))
		return 1;
	return 0;
}

/* Collect the ids that live updates supersede. Only documents that
 * mention "supersedes" are parsed. */
static int
add_superseded(void *arg, const struct store_update_row *u, struct err *e)
{
	json_t *map = arg, *doc, *v;
	size_t i;

	if (u->declined || u->expired || u->document == NULL ||
	    strstr(u->document, "\"supersedes\"") == NULL)
		return SL_OK;
	doc = json_loads(u->document, 0, NULL);
	json_array_foreach(
	        json_object_get(json_object_get(doc, "signed"), "supersedes"),
	        i, v)
	{
		if (json_is_string(v) &&
		    json_object_set(map, json_string_value(v), json_true()) !=
		            0) {
			json_decref(doc);
			return err_set(e, SL_ENOMEM, "out of memory");
		}
	}
	json_decref(doc);
	return SL_OK;
}

static int
page_update(void *arg, json_t *u, json_t *c)
{
	struct page *p = arg;
	json_int_t i;

	if (api_update_filtered(p->r, u, c) || console_filtered(p, u, c))
		return 1;
	i = p->total++;
	return i < p->offset || i >= p->offset + p->limit;
}

static int
page_reply(struct reply *out, const char *key, json_t *arr,
           const struct page *p, struct err *e)
{
	out->json = json_pack("{s:I,s:I,s:I,s:O}", "total", p->total, "offset",
	                      (json_int_t)p->offset, "limit",
	                      (json_int_t)p->limit, key, arr);
	return out->json ? SL_OK : err_set(e, SL_ENOMEM, "out of memory");
}

int
api_console_updates_page(struct req *r, struct reply *out, struct err *e)
{
	const char *sup = api_query(r, "superseded");
	struct page p = {.r = r};
	json_t *arr = json_array(), *counts = NULL;
	int rc;

	if (arr == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	p.offset = query_long(r, "offset", 0, 0, 1L << 30);
	p.limit = query_long(r, "limit", PAGE_DEFAULT, 1, PAGE_MAX);
	rc = store_begin_read(r->store, e);
	if (rc == SL_OK)
		rc = store_report_counts(&counts, r->store, e);
	if (rc == SL_OK)
		rc = store_console_approved(&p.approved, r->store, e);
	if (rc == SL_OK && sup != NULL &&
	    (strcmp(sup, "0") == 0 || strcmp(sup, "1") == 0)) {
		p.superseded = json_object();
		rc = p.superseded == NULL
		             ? err_set(e, SL_ENOMEM, "out of memory")
		             : store_updates_each(r->store, add_superseded,
		                                  p.superseded, e);
	}
	if (rc == SL_OK)
		rc = store_updates_list(arr, r->store, counts, page_update, &p,
		                        e);
	if (rc == SL_OK)
		rc = store_commit(r->store, e);
	if (rc == SL_OK)
		rc = page_reply(out, "updates", arr, &p, e);
	if (rc != SL_OK) {
		store_rollback(r->store);
		err_prefix(e, "updates");
	}
	json_decref(arr);
	json_decref(counts);
	json_decref(p.approved);
	json_decref(p.superseded);
	return rc;
}

/* --- computers, paged -------------------------------------------------- */

int
api_console_computers_page(struct req *r, struct reply *out, struct err *e)
{
	long days = query_long(r, "days", STALE_DEFAULT, 1, 3650);
	struct store_computer_query q = {
	        .group = api_query(r, "group"),
	        .os = api_query(r, "os"),
	        .search = api_query(r, "search"),
	        .status = api_query(r, "status"),
	        .stale_before = (int64_t)time(NULL) - (int64_t)days * 86400,
	};
	json_t *arr = json_array();
	struct page p = {.r = r};
	int64_t total = 0;
	int rc;

	if (arr == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	p.offset = query_long(r, "offset", 0, 0, 1L << 30);
	p.limit = query_long(r, "limit", PAGE_DEFAULT, 1, PAGE_MAX);
	q.offset = p.offset;
	q.limit = p.limit;
	rc = store_begin_read(r->store, e);
	if (rc == SL_OK)
		rc = store_console_computers(arr, &total, r->store, &q, e);
	if (rc == SL_OK)
		rc = store_commit(r->store, e);
	p.total = (json_int_t)total;
	if (rc == SL_OK)
		rc = page_reply(out, "computers", arr, &p, e);
	if (rc != SL_OK) {
		store_rollback(r->store);
		err_prefix(e, "computers");
	}
	json_decref(arr);
	return rc;
}

/* --- one update's computers, paged ------------------------------------ */

int
api_console_update_computers(struct req *r, struct reply *out, struct err *e)
{
	const char *id = r->params[0], *state = api_query(r, "state");
	json_t *rep = NULL, *arr = json_array(), *totals;
	struct store_page pg = {0};
	json_int_t total = 0;
	char key[64];
	size_t i;
	int rc;

	if (arr == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	if (!auth_is_uuid(id)) {
		json_decref(arr);
		return err_set(e, SL_EINVAL, "update: expected a UUID");
	}
	pg.state = state && *state ? state : NULL;
	pg.offset = query_long(r, "offset", 0, 0, 1L << 30);
	pg.limit = query_long(r, "limit", PAGE_DEFAULT, 1, PAGE_MAX);
	rc = store_begin_read(r->store, e);
	if (rc == SL_OK)
		rc = store_report_update(&rep, r->store, id, e);
	if (rc == SL_OK)
		rc = store_report_update_computers(arr, r->store, id, &pg, e);
	if (rc == SL_OK)
		rc = store_commit(r->store, e);
	if (rc != SL_OK)
		goto out;
	/* The total from the counts: no count of the rows themselves. */
	totals = json_object_get(rep, "totals");
	for (i = 0; pg.state && pg.state[i] && i + 1 < sizeof(key); i++)
		key[i] = pg.state[i] == '-' ? '_' : pg.state[i];
	key[i] = '\0';
	if (pg.state != NULL) {
		total = count_of(totals, key);
	} else {
		const char *k;
		json_t *v;
		json_object_foreach(totals, k, v) total +=
		        json_integer_value(v);
	}
	out->json = json_pack("{s:I,s:I,s:I,s:O,s:O,s:O}", "total", total,
	                      "offset", (json_int_t)pg.offset, "limit",
	                      (json_int_t)pg.limit, "totals", totals, "groups",
	                      json_object_get(rep, "groups"), "computers", arr);
	if (out->json == NULL)
		rc = err_set(e, SL_ENOMEM, "out of memory");
out:
	if (rc != SL_OK) {
		store_rollback(r->store);
		err_prefix(e, "update %s", id);
	}
	json_decref(rep);
	json_decref(arr);
	return rc;
}
