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
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "api_manage.h"
#include "auth.h"

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

/* A classification or product filter that names nothing is an error, not
 * an empty list: "no classification 'securty' (known: critical,
 * security)". Call inside a read transaction. */
int
api_update_filter_check(const struct req *r, struct err *e)
{
	static const char *const keys[] = {"classification", "product"};
	char known[1024];
	int rc = SL_OK;

	for (size_t k = 0; rc == SL_OK && k < 2; k++) {
		const char *want = api_query(r, keys[k]);
		json_t *names, *n;
		size_t i, used = 0;
		int found = 0;

		if (want == NULL)
			continue;
		if ((names = json_array()) == NULL)
			return err_set(e, SL_ENOMEM, "out of memory");
		rc = store_update_names(names, r->store, k == 1, e);
		known[0] = '\0';
		json_array_foreach(names, i, n)
		{
			const char *s = json_string_value(n);
			int w;

			found |= strcasecmp(s, want) == 0;
			w = snprintf(known + used, sizeof(known) - used, "%s%s",
			             used ? ", " : "", s);
			if (w > 0 && (size_t)w < sizeof(known) - used)
				used += (size_t)w;
		}
		json_decref(names);
		if (rc == SL_OK && !found)
			rc = err_set(e, SL_ENOTFOUND, "no %s '%s' (known: %s)",
			             keys[k], want, used ? known : "none");
	}
	return rc;
}

static int
skip_update(void *arg, json_t *u, json_t *c)
{
	return api_update_filtered(arg, u, c);
}

int
api_report_updates(struct req *r, struct reply *out, struct err *e)
{
	json_t *arr = json_array(), *map = NULL;
	int rc;

	if (arr == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	rc = store_begin_read(r->store, e);
	if (rc == SL_OK)
		rc = api_update_filter_check(r, e);
	if (rc == SL_OK)
		rc = store_report_counts(&map, r->store, e);
	if (rc == SL_OK)
		rc = store_report_updates(arr, r->store, map, skip_update, r,
		                          e);
	if (rc == SL_OK)
		rc = store_commit(r->store, e);
	if (rc != SL_OK)
		goto out;
	out->json = json_pack("{s:O}", "updates", arr);
	if (out->json == NULL)
		rc = err_set(e, SL_ENOMEM, "out of memory");
out:
	if (rc != SL_OK) {
		store_rollback(r->store);
		err_prefix(e, "report");
	}
	json_decref(arr);
	json_decref(map);
	return rc;
}

/* GET /v1/admin/reports/updates/<id>[?limit=N&after=ID&state=S]: the
 * counts from the maintained counters and one page of the computers, by
 * id; "next" is the cursor of the following page (null when none). */
#define REPORT_PAGE_DEFAULT 1000
#define REPORT_PAGE_MAX     10000

int
api_report_update(struct req *r, struct reply *out, struct err *e)
{
	const char *id = r->params[0], *lim = api_query(r, "limit");
	struct store_page pg = {.after = api_query(r, "after"),
	                        .state = api_query(r, "state"),
	                        .limit = REPORT_PAGE_DEFAULT};
	json_t *comps = NULL, *last;
	char *end;
	int rc;

	if (!auth_is_uuid(id))
		return err_set(e, SL_EINVAL, "report: update: expected a UUID");
	if (lim != NULL) {
		long long v = strtoll(lim, &end, 10);
		if (*lim == '\0' || *end != '\0' || v < 1 ||
		    v > REPORT_PAGE_MAX)
			return err_set(e, SL_EINVAL,
			               "report: limit: expected 1 to %d",
			               REPORT_PAGE_MAX);
		pg.limit = v;
	}
	if (pg.state != NULL && *pg.state == '\0')
		pg.state = NULL;
	if ((comps = json_array()) == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	rc = store_begin_read(r->store, e);
	if (rc == SL_OK)
		rc = store_report_update(&out->json, r->store, id, e);
	/* One more than asked: whether a next page exists. */
	pg.limit++;
	if (rc == SL_OK)
		rc = store_report_update_computers(comps, r->store, id, &pg, e);
	if (rc == SL_OK)
		rc = store_commit(r->store, e);
	if (rc == SL_OK) {
		bool more = (int64_t)json_array_size(comps) == pg.limit;
		if (more)
			json_array_remove(comps, json_array_size(comps) - 1);
		last = json_array_get(comps, json_array_size(comps) - 1);
		if (json_object_set(out->json, "computers", comps) != 0 ||
		    json_object_set_new(
		            out->json, "next",
		            more ? json_incref(json_object_get(last, "id"))
		                 : json_null()) != 0)
			rc = err_set(e, SL_ENOMEM, "out of memory");
	}
	if (rc != SL_OK) {
		json_decref(out->json);
		out->json = NULL;
		store_rollback(r->store);
		err_prefix(e, "report");
	}
	json_decref(comps);
	return rc;
}

int
api_report_computers(struct req *r, struct reply *out, struct err *e)
{
	json_t *arr = json_array();
	int rc;

	if (arr == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	rc = store_report_computers(arr, r->store, api_query(r, "group"), e);
	if (rc == SL_OK) {
		out->json = json_pack("{s:O}", "computers", arr);
		rc = out->json ? SL_OK : err_set(e, SL_ENOMEM, "out of memory");
	}
	json_decref(arr);
	return rc;
}
