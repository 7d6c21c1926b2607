/*
 * aptimport: one import run. Fetch and verify the suite (aptrepo), read
 * its Packages indexes one at a time into source groups, then write the
 * updates of the source versions the catalog does not have yet through a
 * catalog batch: documents, one sync, one index.
 *
 * To supersede versions the archive no longer lists (a security suite
 * keeps only the newest), the versions imported so far are remembered per
 * archive in DIR/private/aptimport-<key>.json, written after the index
 * (losing it loses only those supersedence links), with the Date of the
 * newest Release read, so that an older one is refused as a rollback.
 */
#include "aptimport.h"
#include "array.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "catalog.h"
#include "debver.h"
#include "fsx.h"
#include "hash.h"

static void
progress(const struct aptimport_opts *o, const char *what, size_t n,
         const char *name)
{
	if (o->progress != NULL)
		o->progress(o->progress_arg, what, n, name);
}

void
aptimport_result_clear(struct aptimport_result *res)
{
	for (size_t i = 0; res->pairs && i < res->n_pairs; i++) {
		free(res->pairs[i].source);
		free(res->pairs[i].version);
	}
	free(res->pairs);
	memset(res, 0, sizeof(*res));
}

static bool
ends_with(const char *s, const char *suffix)
{
	size_t n = s ? strlen(s) : 0, m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Read every index of the suite into set. */
static int
read_indexes(struct aptimport_set *set, const struct aptrepo_release *r,
             const struct aptimport_opts *o, const char *const *comps,
             struct err *e)
{
	size_t fetched = 1;
	int rc;

	for (size_t i = 0; o->archs[i]; i++)
		if (!aptrepo_release_has_arch(r, o->archs[i])) {
			char list[512] = "";
			for (size_t j = 0; r->archs[j]; j++) {
				size_t l = strlen(list);
				snprintf(list + l, sizeof(list) - l, "%s%s",
				         j ? " " : "", r->archs[j]);
			}
			return err_set(e, SL_EINVAL,
			               "--arch %s: not in the Release's "
			               "Architectures (%s)",
			               o->archs[i], list);
		}
	for (size_t c = 0; comps[c]; c++) {
		bool listed = r->components == NULL || !r->components[0];
		/* Debian's security suite lists "updates/main" for main. */
		for (size_t j = 0; !listed && r->components[j]; j++) {
			const char *x = r->components[j];
			size_t xl = strlen(x), cl = strlen(comps[c]);
			listed = strcmp(x, comps[c]) == 0 ||
			         (xl > cl && x[xl - cl - 1] == '/' &&
			          ends_with(x, comps[c]));
		}
		if (!listed)
			return err_set(e, SL_EINVAL,
			               "--component %s: not in the Release's "
			               "Components",
			               comps[c]);
		for (size_t a = 0;; a++) {
			/* Each requested arch, then binary-all where the
			 * Release has `all` in its Architectures and does
			 * not say that the arch indexes hold it (as apt
			 * decides; Debian's security suite has no `all`). */
			const char *arch = o->archs[a] ? o->archs[a] : "all";
			char *buf = NULL, *name = NULL;
			size_t len;
			if (o->archs[a] == NULL &&
			    (r->all_in_arch_indexes ||
			     !aptrepo_release_has_arch(r, "all")))
				break;
			rc = aptrepo_packages_fetch(&buf, &len, &name,
			                            o->archive, o->suite, r,
			                            comps[c], arch, e);
			if (rc == SL_ENOTFOUND && strcmp(arch, "all") == 0)
				rc = SL_OK;
			else if (rc == SL_OK) {
				progress(o, "fetched", ++fetched, name);
				rc = aptimport_set_add(set, name, buf, len,
				                       o->archs, e);
				progress(o, "parsed", set->n_bins, name);
			}
			free(buf);
			free(name);
			if (rc != SL_OK)
				return rc;
			if (o->archs[a] == NULL)
				break;
		}
	}
	aptimport_set_sort(set);
	return SL_OK;
}

static int
state_path(char *out, size_t n, const char *dir, const char *origin,
           const char *codename, struct err *e)
{
	char key[1024], hex[HASH_HEX_LEN + 1], rel[64];

	snprintf(key, sizeof(key), "%s/%s", origin, codename);
	hash_buf_hex(key, strlen(key), hex);
	snprintf(rel, sizeof(rel), "private/aptimport-%.16s.json", hex);
	return fsx_join(out, n, dir, rel, e);
}

static int
cmp_ver(const void *a, const void *b)
{
	return debver_cmp(*(const char *const *)a, *(const char *const *)b);
}

/* The versions of one source known before (state) and now (archive),
 * ascending, without duplicates. Borrowed strings; free the array. */
static const char **
known_versions(size_t *n_out, const json_t *old,
               const struct aptimport_set *set, size_t g0, size_t g1)
{
	size_t n = json_array_size(old) + (g1 - g0), k = 0, i;
	const char **v = calloc(n + 1, sizeof(*v));
	const json_t *x;

	if (v == NULL)
		return NULL;
	json_array_foreach(old, i, x) if (json_is_string(x)) v[k++] =
	        json_string_value(x);
	for (i = g0; i < g1; i++)
		v[k++] = set->groups[i].version;
	array_sort(v, k, sizeof(*v), cmp_ver);
	n = 0;
	for (i = 0; i < k; i++)
		if (n == 0 || strcmp(v[n - 1], v[i]) != 0)
			v[n++] = v[i];
	*n_out = n;
	return v;
}

struct run {
	const struct aptimport_opts *o;
	struct aptimport_set set;
	struct aptimport_meta m;
	struct catalog_batch *batch;
	json_t *state; /* {"origin", "codename", "sources": {src: [v...]}} */
	bool state_changed;
	struct aptimport_result *res;
};

static int
set_supersedes(struct update *u, const char *const *older, size_t n,
               const struct aptimport_meta *m, const char *source,
               struct err *e)
{
	char **list = calloc(n + 1, sizeof(*list));

	if (list == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		if ((list[i] = malloc(UPDATE_ID_LEN + 1)) == NULL) {
			for (size_t j = 0; j < i; j++)
				free(list[j]);
			free(list);
			return err_set(e, SL_ENOMEM, "out of memory");
		}
		aptimport_id(list[i], m->origin, m->codename, source, older[i]);
	}
	for (size_t i = 0; u->supersedes && u->supersedes[i]; i++)
		free(u->supersedes[i]);
	free(u->supersedes);
	u->supersedes = list;
	return SL_OK;
}

/* Remember that update id carries advisory `bulletin` (state "named"), so
 * that a later run does not publish it again. */
static int
note_named(struct run *run, const char *id, const char *bulletin, struct err *e)
{
	json_t *named = json_object_get(run->state, "named");

	if (named == NULL) {
		if ((named = json_object()) == NULL ||
		    json_object_set_new(run->state, "named", named) != 0)
			return err_set(e, SL_ENOMEM, "out of memory");
	}
	if (json_object_set_new(named, id, json_string(bulletin)) != 0)
		return err_set(e, SL_ENOMEM, "out of memory");
	run->state_changed = true;
	return SL_OK;
}

/* The update of group gi, written into the batch. With only_if_named, an
 * update already in the catalog is written again (a new revision) only
 * when an advisory now names it; *added says whether it was written. */
static int
add_group(struct run *run, size_t gi, const char *const *older, size_t n_older,
          bool only_if_named, bool *added, struct err *e)
{
	const struct aptimport_group *g = &run->set.groups[gi];
	struct update *u = NULL;
	char **urls = NULL;
	int rc = SL_OK;

	if (run->o->files == APTIMPORT_FILES_COPY) {
		if ((urls = calloc(g->n_bins, sizeof(*urls))) == NULL)
			return err_set(e, SL_ENOMEM, "out of memory");
		for (size_t i = 0; i < g->n_bins && rc == SL_OK; i++) {
			const struct aptimport_bin *b =
			        &run->set.bins[g->bins[i]];
			char *url = aptrepo_url(run->o->archive, b->filename);
			if (url == NULL || (urls[i] = malloc(80)) == NULL) {
				free(url);
				rc = err_set(e, SL_ENOMEM, "out of memory");
				break;
			}
			rc = catalog_batch_content(run->batch, url, b->size,
			                           b->sha256, urls[i], e);
			free(url);
			if (rc != SL_OK)
				err_prefix(e, "%s", b->filename);
		}
		if (rc != SL_OK)
			goto out;
	}
	if ((rc = aptimport_update(&u, &run->set, g, &run->m, urls, e)) ||
	    (rc = set_supersedes(u, older, n_older, &run->m, g->source, e)))
		goto out;
	if (run->o->decorate != NULL &&
	    (rc = run->o->decorate(run->o->decorate_arg, g->source, g->version,
	                           u, e)) != SL_OK) {
		err_prefix(e, "source %s %s", g->source, g->version);
		goto out;
	}
	*added = false;
	if (only_if_named && u->security_bulletin == NULL)
		goto out;
	if (only_if_named)
		u->revision = 0; /* the batch numbers the new revision */
	if ((rc = catalog_batch_add(run->batch, u, e)) != SL_OK)
		goto out;
	*added = true;
	if (u->security_bulletin != NULL)
		rc = note_named(run, u->id, u->security_bulletin, e);
out:
	for (size_t i = 0; urls && i < g->n_bins; i++)
		free(urls[i]);
	free(urls);
	update_free(u);
	return rc;
}

/* Groups [g0, g1) are the versions of one source. */
static int
do_source(struct run *run, size_t g0, size_t g1, struct err *e)
{
	const char *src = run->set.groups[g0].source;
	json_t *sources = json_object_get(run->state, "sources");
	json_t *old = json_object_get(sources, src), *nl;
	const char **known;
	size_t n_known, newest_new = 0;
	bool any_new = false;
	int rc = SL_OK;

	if ((known = known_versions(&n_known, old, &run->set, g0, g1)) == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	for (size_t gi = g0; gi < g1; gi++) {
		const struct aptimport_group *g = &run->set.groups[gi];
		char id[UPDATE_ID_LEN + 1];
		size_t k = 0;
		bool added = false;

		aptimport_id(id, run->m.origin, run->m.codename, g->source,
		             g->version);
		while (k < n_known && debver_cmp(known[k], g->version) < 0)
			k++;
		if (catalog_batch_has(run->batch, id)) {
			/* Advisories often come after the fix: one that
			 * names an update already published revises it. */
			if (run->o->decorate != NULL &&
			    json_object_get(
			            json_object_get(run->state, "named"), id) ==
			            NULL &&
			    (rc = add_group(run, gi, known, k, true, &added,
			                    e)) != SL_OK)
				goto out;
			if (added)
				run->res->n_revised++;
			else
				run->res->n_unchanged++;
			continue;
		}
		if ((rc = add_group(run, gi, known, k, false, &added, e)) !=
		    SL_OK)
			goto out;
		run->res->n_new++;
		any_new = true;
		newest_new = k;
		if (run->res->n_new % 500 == 0)
			progress(run->o, "written", run->res->n_new, NULL);
	}
	if (any_new)
		run->res->n_superseded += newest_new;
	if (json_array_size(old) != n_known) {
		if ((nl = json_array()) == NULL) {
			rc = err_set(e, SL_ENOMEM, "out of memory");
			goto out;
		}
		for (size_t i = 0; i < n_known; i++)
			json_array_append_new(nl, json_string(known[i]));
		json_object_set_new(sources, src, nl);
		run->state_changed = true;
	}
out:
	free(known);
	return rc;
}

static int
load_state(struct run *run, const char *path, struct err *e)
{
	json_error_t jerr;

	if (fsx_exists(path)) {
		run->state = json_load_file(path, 0, &jerr);
		if (run->state == NULL ||
		    !json_is_object(json_object_get(run->state, "sources")))
			return err_set(e, SL_EPARSE, "%s: line %d: %s", path,
			               jerr.line, jerr.text);
		return SL_OK;
	}
	run->state = json_pack("{s:s,s:s,s:{}}", "origin", run->m.origin,
	                       "codename", run->m.codename, "sources");
	run->state_changed = true;
	return run->state ? SL_OK : err_set(e, SL_ENOMEM, "out of memory");
}

/* Refuse a Release older than one imported before (an archive or a
 * mirror serving stale, still validly signed, metadata). */
static int
check_date(struct run *run, const struct aptrepo_release *r, struct err *e)
{
	json_int_t seen =
	        json_integer_value(json_object_get(run->state, "date"));

	if (r->date_t == 0 || r->date_t == seen)
		return SL_OK;
	if (r->date_t < seen)
		return err_set(
		        e, SL_EROLLBACK,
		        "the Release of %s is dated %s, older than the "
		        "one an earlier import read: refusing to go back",
		        run->o->suite, r->date);
	if (json_object_set_new(run->state, "date",
	                        json_integer((json_int_t)r->date_t)) != 0)
		return err_set(e, SL_ENOMEM, "out of memory");
	run->state_changed = true;
	return SL_OK;
}

static int
record_pairs(struct aptimport_result *res, const struct aptimport_set *set,
             struct err *e)
{
	if ((res->pairs = calloc(set->n_groups + 1, sizeof(*res->pairs))) ==
	    NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	for (size_t i = 0; i < set->n_groups; i++) {
		struct aptimport_pair *p = &res->pairs[res->n_pairs++];
		p->source = strdup(set->groups[i].source);
		p->version = strdup(set->groups[i].version);
		if (p->source == NULL || p->version == NULL)
			return err_set(e, SL_ENOMEM, "out of memory");
	}
	res->n_binaries = set->n_bins;
	return SL_OK;
}

int
aptimport_run(struct aptimport_result *res, const char *catalog_dir,
              const struct aptimport_opts *o, struct err *e)
{
	static const char *const main_only[] = {"main", NULL};
	const char *const *comps = o->components ? o->components : main_only;
	struct aptrepo_release *r = NULL;
	struct run run = {.o = o, .res = res};
	char product[512], date[16], spath[4096], *text = NULL;
	long long now = o->now ? o->now : (long long)time(NULL);
	int rc;

	memset(res, 0, sizeof(*res));
	if (o->archs == NULL || o->archs[0] == NULL)
		return err_set(e, SL_EINVAL, "no architecture given");
	if ((rc = aptrepo_release_fetch(&r, o->archive, o->suite, o->keyring,
	                                now, e)) != SL_OK)
		goto out;
	progress(o, "fetched", 1, "Release");
	if (o->release != NULL &&
	    (rc = o->release(o->release_arg, r->origin, r->codename, r->version,
	                     e)) != SL_OK)
		goto out;
	if ((rc = read_indexes(&run.set, r, o, comps, e)) ||
	    (rc = record_pairs(res, &run.set, e)))
		goto out;
	run.m.origin = r->origin ? r->origin : r->label ? r->label : "apt";
	run.m.codename = r->codename ? r->codename
	                 : r->suite  ? r->suite
	                             : o->suite;
	run.m.suite = o->suite;
	snprintf(product, sizeof(product), "%s %s", run.m.origin,
	         r->version ? r->version : run.m.codename);
	run.m.product = o->product ? o->product : product;
	run.m.classification =
	        o->classification ? o->classification
	        : ends_with(o->suite, "-security") ||
	                        ends_with(r->suite, "-security") ||
	                        ends_with(r->codename, "-security")
	                ? "security"
	                : "update";
	time_t t = (time_t)(r->date_t ? r->date_t : now);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(date, sizeof(date), "%Y-%m-%d", &tm);
	run.m.release_date = date;
	run.m.archive = o->archive;
	if ((rc = catalog_batch_begin(&run.batch, catalog_dir, e)) ||
	    (rc = state_path(spath, sizeof(spath), catalog_dir, run.m.origin,
	                     run.m.codename, e)) ||
	    (rc = load_state(&run, spath, e)) || (rc = check_date(&run, r, e)))
		goto out;
	for (size_t g0 = 0, g1; g0 < run.set.n_groups; g0 = g1) {
		for (g1 = g0 + 1; g1 < run.set.n_groups &&
		                  strcmp(run.set.groups[g1].source,
		                         run.set.groups[g0].source) == 0;
		     g1++)
			;
		if ((rc = do_source(&run, g0, g1, e)) != SL_OK)
			goto out;
	}
	if ((rc = catalog_batch_commit(run.batch, o->expiry_days, e)) != 0)
		goto out;
	progress(o, "written", res->n_new, NULL);
	if (run.state_changed) {
		text = json_dumps(run.state, JSON_SORT_KEYS | JSON_COMPACT);
		rc = text ? fsx_write_atomic(spath, text, strlen(text), 0600, e)
		          : err_set(e, SL_ENOMEM, "out of memory");
		if (rc != SL_OK)
			err_prefix(e, "updates published, but");
	}
out:
	free(text);
	json_decref(run.state);
	catalog_batch_free(run.batch);
	aptimport_set_clear(&run.set);
	aptrepo_release_free(r);
	return rc;
}
