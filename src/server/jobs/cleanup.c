/*
 * cleanup: the server cleanup job (see cleanup.h). Reads happen one bounded
 * page per statement; changes happen in short transactions of a batch of
 * objects each, so the database is never held for long.
 */
#include "cleanup.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "hash.h"
#include "store/store_cleanup.h"

#define PAGE         1000
#define DRY_MAX      10000000 /* objects a dry run counts at most per step */
#define DAY          86400
#define PAUSE_MAX_MS 50.0 /* the longest pause after a batch */

struct run {
	struct store *db;
	const struct server_config *cfg;
	const struct cleanup_opts *o;
	const char *actor;
	int batch;
	long long now;
	double longest_ms; /* the longest write transaction */
	double total_ms;   /* all write transactions */
	unsigned batches;
	struct timespec tx_start;
	json_t *steps;
};

static double
ms_since(const struct timespec *a)
{
	struct timespec b;

	clock_gettime(CLOCK_MONOTONIC, &b);
	return (double)(b.tv_sec - a->tv_sec) * 1e3 +
	       (double)(b.tv_nsec - a->tv_nsec) / 1e6;
}

static int
tx_begin(struct run *r, struct err *e)
{
	clock_gettime(CLOCK_MONOTONIC, &r->tx_start);
	return store_begin(r->db, e);
}

static int
tx_commit(struct run *r, struct err *e)
{
	int rc = store_commit(r->db, e);
	double ms = ms_since(&r->tx_start);

	if (ms > r->longest_ms)
		r->longest_ms = ms;
	r->total_ms += ms;
	r->batches++;
	/* Let writers that waited for this batch (agents reporting) in
	 * before the next one: pause as long as the batch took, at most
	 * PAUSE_MAX_MS (SQLite's busy handler polls, it does not queue). */
	if (rc == SL_OK) {
		double p = ms < PAUSE_MAX_MS ? ms : PAUSE_MAX_MS;
		struct timespec ts = {0, (long)(p * 1e6)};

		nanosleep(&ts, NULL);
	}
	return rc;
}

/* A step's report: {step, count, items} (+ what the caller adds). */
static json_t *
step_new(struct run *r, const char *name)
{
	json_t *s =
	        json_pack("{s:s,s:i,s:[]}", "step", name, "count", 0, "items");

	if (s != NULL && json_array_append_new(r->steps, s) != 0)
		return NULL;
	return s;
}

static void
step_count(json_t *s, json_int_t add, json_t *item)
{
	json_t *items = json_object_get(s, "items");

	json_object_set_new(
	        s, "count",
	        json_integer(json_integer_value(json_object_get(s, "count")) +
	                     add));
	if (item != NULL && json_array_size(items) < CLEANUP_LIST_MAX)
		json_array_append(items, item);
}

/* --- superseded and expired updates --------------------------------------*/

struct sup_scan {
	json_t *declined; /* {id: true/false} of every current update */
	json_t *by;       /* {superseded id: {by, since}} from live updates */
};

static int
sup_page(void *arg, const struct store_cleanup_update *u, struct err *e)
{
	struct sup_scan *sc = arg;
	json_t *doc, *v;
	json_error_t je;
	size_t i;

	if (json_object_set_new(sc->declined, u->id,
	                        json_boolean(u->declined || u->expired)) != 0)
		return err_set(e, SL_ENOMEM, "out of memory");
	if (u->declined || u->expired)
		return SL_OK;
	if ((doc = json_loads(u->document, 0, &je)) == NULL)
		return SL_OK; /* verified at import; nothing to learn here */
	json_array_foreach(
	        json_object_get(json_object_get(doc, "signed"), "supersedes"),
	        i, v)
	{
		const char *t = json_string_value(v);
		json_t *cur;

		if (t == NULL)
			continue;
		cur = json_object_get(sc->by, t);
		/* Superseded since the earliest live superseder arrived. */
		if (cur != NULL && json_integer_value(json_object_get(
		                           cur, "since")) <= u->imported_at)
			continue;
		if (json_object_set_new(
		            sc->by, t,
		            json_pack("{s:s,s:I}", "by", u->id, "since",
		                      (json_int_t)u->imported_at)) != 0) {
			json_decref(doc);
			return err_set(e, SL_ENOMEM, "out of memory");
		}
	}
	json_decref(doc);
	return SL_OK;
}

/* Decline the ids of list (strings, or objects with "id" and "why") in
 * batches, auditing each. */
static int
decline_all(struct run *r, json_t *list, const char *why, struct err *e)
{
	size_t i = 0, n = json_array_size(list);
	int rc = SL_OK;

	while (i < n) {
		size_t end =
		        i + (size_t)r->batch < n ? i + (size_t)r->batch : n;

		if ((rc = tx_begin(r, e)) != SL_OK)
			return rc;
		for (; i < end && rc == SL_OK; i++) {
			json_t *it = json_array_get(list, i);
			const char *id =
			        json_is_string(it)
			                ? json_string_value(it)
			                : json_string_value(
			                          json_object_get(it, "id"));
			const char *by = json_string_value(
			        json_object_get(it, "superseded_by"));
			bool changed = false, needed = false;

			/* A computer may have reported it needed since the
			 * list was made: check again under the write lock. */
			if (by != NULL)
				rc = store_update_needed(&needed, r->db, id, e);
			if (rc == SL_OK && !needed)
				rc = store_update_set_declined(
				        &changed, r->db, id, true, r->now, e);
			if (rc == SL_OK && changed)
				rc = store_audit_add(r->db, e, r->actor,
				                     "update.decline", id,
				                     "cleanup: %s%s%s", why,
				                     by != NULL ? " by " : "",
				                     by != NULL ? by : "");
		}
		if (rc != SL_OK) {
			store_rollback(r->db);
			return rc;
		}
		if ((rc = tx_commit(r, e)) != SL_OK)
			return rc;
	}
	return SL_OK;
}

static int
step_superseded(struct run *r, struct err *e)
{
	struct sup_scan sc = {json_object(), json_object()};
	json_t *step = step_new(r, "superseded"), *list = json_array(), *v;
	char after[37] = "", last[37];
	long long cutoff = r->now - (long long)r->o->superseded_days * DAY;
	const char *id;
	size_t n;
	int rc = SL_OK;

	if (step == NULL || sc.declined == NULL || sc.by == NULL ||
	    list == NULL) {
		rc = err_set(e, SL_ENOMEM, "out of memory");
		goto out;
	}
	json_object_set_new(step, "days", json_integer(r->o->superseded_days));
	do {
		rc = store_cleanup_updates_page(r->db, after, PAGE, sup_page,
		                                &sc, &n, last, e);
		if (rc != SL_OK)
			goto out;
		memcpy(after, last, sizeof(after));
	} while (n == PAGE);
	json_object_foreach(sc.by, id, v)
	{
		json_t *d = json_object_get(sc.declined, id), *item;
		bool needed;

		/* Unknown here or already declined / expired: nothing to do. */
		if (d == NULL || json_is_true(d) ||
		    json_integer_value(json_object_get(v, "since")) > cutoff)
			continue;
		if ((rc = store_update_needed(&needed, r->db, id, e)) != SL_OK)
			goto out;
		if (needed)
			continue;
		item = json_pack("{s:s,s:O}", "id", id, "superseded_by",
		                 json_object_get(v, "by"));
		step_count(step, 1, item);
		if (json_array_append_new(list, item) != 0) {
			rc = err_set(e, SL_ENOMEM, "out of memory");
			goto out;
		}
	}
	if (!r->o->dry_run)
		rc = decline_all(r, list, "superseded, needed by no computer",
		                 e);
out:
	json_decref(sc.declined);
	json_decref(sc.by);
	json_decref(list);
	return rc != SL_OK ? err_prefix(e, "superseded updates") : SL_OK;
}

static int
step_expired(struct run *r, struct err *e)
{
	json_t *step = step_new(r, "expired"), *list = json_array();
	char after[40] = "";
	size_t before;
	int rc = SL_OK;

	if (step == NULL || list == NULL) {
		rc = err_set(e, SL_ENOMEM, "out of memory");
		goto out;
	}
	do {
		before = json_array_size(list);
		rc = store_cleanup_expired(list, r->db, after, PAGE, e);
		if (rc != SL_OK)
			goto out;
		if (json_array_size(list) > before)
			snprintf(after, sizeof(after), "%s",
			         json_string_value(json_array_get(
			                 list, json_array_size(list) - 1)));
	} while (json_array_size(list) - before == PAGE &&
	         json_array_size(list) < DRY_MAX);
	for (size_t i = 0; i < json_array_size(list); i++)
		step_count(step, 1, json_array_get(list, i));
	if (!r->o->dry_run)
		rc = decline_all(r, list, "expired", e);
out:
	json_decref(list);
	return rc != SL_OK ? err_prefix(e, "expired updates") : SL_OK;
}

/* --- computers ------------------------------------------------------------*/

static int
step_computers(struct run *r, struct err *e)
{
	json_t *step = step_new(r, "computers"), *page = NULL, *c;
	long long before = r->now - (long long)r->o->computer_days * DAY;
	char after[64] = "";
	size_t i;
	int rc = SL_OK;

	if (step == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	json_object_set_new(step, "days", json_integer(r->o->computer_days));
	for (;;) {
		size_t batch = r->o->dry_run ? PAGE : (size_t)r->batch;

		json_decref(page);
		if ((page = json_array()) == NULL) {
			rc = err_set(e, SL_ENOMEM, "out of memory");
			break;
		}
		rc = store_cleanup_stale_computers(page, r->db, before, after,
		                                   batch, e);
		if (rc != SL_OK || json_array_size(page) == 0)
			break;
		snprintf(
		        after, sizeof(after), "%s",
		        json_string_value(json_object_get(
		                json_array_get(page, json_array_size(page) - 1),
		                "id")));
		if (r->o->dry_run) {
			json_array_foreach(page, i, c) step_count(step, 1, c);
			continue;
		}
		if ((rc = tx_begin(r, e)) != SL_OK)
			break;
		json_array_foreach(page, i, c)
		{
			const char *id =
			        json_string_value(json_object_get(c, "id"));
			bool deleted;

			rc = store_cleanup_computer_delete(&deleted, r->db, id,
			                                   before, e);
			if (rc == SL_OK && deleted) {
				step_count(step, 1, c);
				rc = store_audit_add(
				        r->db, e, r->actor, "computer.delete",
				        id, "cleanup: %s, last contact %s",
				        json_string_value(
				                json_object_get(c, "hostname")),
				        json_string_value(json_object_get(
				                c, "last_contact")));
			}
			if (rc != SL_OK)
				break;
		}
		if (rc != SL_OK) {
			store_rollback(r->db);
			break;
		}
		if ((rc = tx_commit(r, e)) != SL_OK)
			break;
	}
	json_decref(page);
	return rc != SL_OK ? err_prefix(e, "stale computers") : SL_OK;
}

/* --- old revisions --------------------------------------------------------*/

static int
step_revisions(struct run *r, struct err *e)
{
	json_t *step = step_new(r, "revisions"), *page = NULL, *p;
	size_t i;
	int rc = SL_OK;

	if (step == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	for (;;) {
		json_decref(page);
		if ((page = json_array()) == NULL) {
			rc = err_set(e, SL_ENOMEM, "out of memory");
			break;
		}
		rc = store_cleanup_old_revisions(
		        page, r->db, "",
		        r->o->dry_run ? DRY_MAX : (size_t)r->batch, e);
		if (rc != SL_OK || json_array_size(page) == 0)
			break;
		if (r->o->dry_run) {
			json_array_foreach(page, i, p) step_count(step, 1, p);
			break;
		}
		if ((rc = tx_begin(r, e)) != SL_OK)
			break;
		size_t gone = 0;
		json_array_foreach(page, i, p)
		{
			bool deleted;

			rc = store_cleanup_revision_delete(
			        &deleted, r->db,
			        json_string_value(json_array_get(p, 0)),
			        json_integer_value(json_array_get(p, 1)), e);
			if (rc != SL_OK)
				break;
			if (deleted) {
				step_count(step, 1, p);
				gone++;
			}
		}
		if (rc == SL_OK && gone > 0)
			rc = store_audit_add(r->db, e, r->actor,
			                     "cleanup.revisions", NULL,
			                     "%zu old revisions deleted", gone);
		if (rc != SL_OK) {
			store_rollback(r->db);
			break;
		}
		if ((rc = tx_commit(r, e)) != SL_OK || gone == 0)
			break;
	}
	json_decref(page);
	return rc != SL_OK ? err_prefix(e, "old revisions") : SL_OK;
}

/* --- files ----------------------------------------------------------------*/

/* Remove DATA/content/<aa>/<sha> and its .part; *bytes += what went. */
static void
unlink_content(const struct server_config *cfg, const char *sha, int64_t *bytes,
               unsigned *files)
{
	char path[4096];
	struct stat st;

	for (int part = 0; part < 2; part++) {
		int n = snprintf(path, sizeof(path), "%s/%.2s/%s%s",
		                 cfg->content_dir, sha, sha,
		                 part ? ".part" : "");

		if (n < 0 || (size_t)n >= sizeof(path))
			return;
		if (lstat(path, &st) == 0 && S_ISREG(st.st_mode) &&
		    unlink(path) == 0) {
			*bytes += st.st_size;
			(*files)++;
		}
	}
}

static bool
sha_name(const char *s, bool *part)
{
	size_t n = strlen(s);

	*part = n == 69 && strcmp(s + 64, ".part") == 0;
	if (n != 64 && !*part)
		return false;
	for (size_t i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		      (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

struct files_tally {
	int64_t bytes;
	unsigned files;
};

/* Rows first (wanted, failed or present files nothing needs), in batches;
 * the stored files of the rows that went are removed after each commit. */
static int
files_rows(struct run *r, json_t *step, struct files_tally *t, struct err *e)
{
	json_t *page = NULL, *c;
	char after[65] = "";
	size_t i;
	int rc = SL_OK;

	for (;;) {
		json_t *gone = json_array();

		json_decref(page);
		page = json_array();
		if (page == NULL || gone == NULL) {
			json_decref(gone);
			rc = err_set(e, SL_ENOMEM, "out of memory");
			break;
		}
		rc = store_cleanup_unneeded_content(
		        page, r->db, after,
		        r->o->dry_run ? PAGE : (size_t)r->batch, e);
		if (rc != SL_OK || json_array_size(page) == 0) {
			json_decref(gone);
			break;
		}
		snprintf(
		        after, sizeof(after), "%s",
		        json_string_value(json_object_get(
		                json_array_get(page, json_array_size(page) - 1),
		                "sha256")));
		if (r->o->dry_run) {
			json_array_foreach(page, i, c)
			{
				step_count(step, 1, c);
				if (strcmp(json_string_value(
				                   json_object_get(c, "state")),
				           "present") == 0)
					t->bytes += json_integer_value(
					        json_object_get(c, "size"));
			}
			json_decref(gone);
			continue;
		}
		if ((rc = tx_begin(r, e)) != SL_OK) {
			json_decref(gone);
			break;
		}
		json_array_foreach(page, i, c)
		{
			const char *sha =
			        json_string_value(json_object_get(c, "sha256"));
			bool deleted;

			rc = store_cleanup_content_delete(&deleted, r->db, sha,
			                                  e);
			if (rc != SL_OK)
				break;
			if (deleted) {
				step_count(step, 1, c);
				json_array_append(gone, c);
			}
		}
		if (rc == SL_OK && json_array_size(gone) > 0)
			rc = store_audit_add(r->db, e, r->actor,
			                     "cleanup.files", NULL,
			                     "%zu files nothing needs",
			                     json_array_size(gone));
		if (rc != SL_OK || (rc = tx_commit(r, e)) != SL_OK) {
			store_rollback(r->db);
			json_decref(gone);
			break;
		}
		json_array_foreach(gone, i, c) unlink_content(
		        r->cfg, json_string_value(json_object_get(c, "sha256")),
		        &t->bytes, &t->files);
		json_decref(gone);
	}
	json_decref(page);
	return rc;
}

/* Then the store's directory: files with no row (an import of files of
 * updates not wanted, a download that finished after its row went). */
static int
files_orphans(struct run *r, json_t *step, struct files_tally *t, struct err *e)
{
	DIR *top = opendir(r->cfg->content_dir), *sub;
	struct dirent *d, *f;
	int rc = SL_OK;

	if (top == NULL)
		return errno == ENOENT
		               ? SL_OK
		               : err_set(e, SL_EIO, "%s: %s",
		                         r->cfg->content_dir, strerror(errno));
	while (rc == SL_OK && (d = readdir(top)) != NULL) {
		char dir[4096];

		if (strlen(d->d_name) != 2 || d->d_name[0] == '.')
			continue;
		snprintf(dir, sizeof(dir), "%s/%s", r->cfg->content_dir,
		         d->d_name);
		if ((sub = opendir(dir)) == NULL)
			continue;
		while (rc == SL_OK && (f = readdir(sub)) != NULL) {
			char sha[65], path[4400];
			bool part, needed;
			struct stat st;

			if (!sha_name(f->d_name, &part))
				continue;
			memcpy(sha, f->d_name, 64);
			sha[64] = '\0';
			if ((rc = store_cleanup_sha_needed(&needed, r->db, sha,
			                                   e)) != SL_OK ||
			    needed)
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, f->d_name);
			if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode))
				continue;
			json_t *item =
			        json_pack("{s:s,s:I,s:s}", "sha256", sha,
			                  "size", (json_int_t)st.st_size,
			                  "state", part ? "partial" : "orphan");
			step_count(step, 1, item);
			json_decref(item);
			if (r->o->dry_run) {
				t->bytes += st.st_size;
				continue;
			}
			/* The row (if a sync just made one) goes too. */
			bool deleted;
			if ((rc = store_cleanup_content_delete(
			             &deleted, r->db, sha, e)) != SL_OK)
				break;
			if (deleted && unlink(path) == 0) {
				t->bytes += st.st_size;
				t->files++;
			}
		}
		closedir(sub);
	}
	closedir(top);
	return rc;
}

static int
step_files(struct run *r, struct err *e)
{
	json_t *step = step_new(r, "files");
	struct files_tally t = {0};
	int rc;

	if (step == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	if ((rc = files_rows(r, step, &t, e)) == SL_OK)
		rc = files_orphans(r, step, &t, e);
	json_object_set_new(step, "bytes", json_integer(t.bytes));
	json_object_set_new(step, "files_removed", json_integer(t.files));
	return rc != SL_OK ? err_prefix(e, "files") : SL_OK;
}

/* --- compaction -----------------------------------------------------------*/

static int
step_compact(struct run *r, struct err *e)
{
	json_t *step = step_new(r, "compact");
	int64_t size0 = 0, free0 = 0, size1 = 0, free1 = 0;
	int rc;

	if (step == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	if ((rc = store_cleanup_space(&size0, &free0, r->db, e)) != SL_OK)
		goto out;
	if (!r->o->dry_run) {
		struct timespec t0;
		double ms;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		rc = store_cleanup_compact(r->db, r->o->vacuum_full, 256, e);
		ms = ms_since(&t0);
		if (r->o->vacuum_full && ms > r->longest_ms)
			r->longest_ms =
			        ms; /* it held the database throughout */
		if (rc != SL_OK || (rc = store_cleanup_space(
		                            &size1, &free1, r->db, e)) != SL_OK)
			goto out;
		rc = store_audit_add(
		        r->db, e, r->actor, "cleanup.compact", NULL,
		        "%" PRId64 " bytes before, %" PRId64 " after", size0,
		        size1);
	} else {
		size1 = size0;
		free1 = free0;
	}
	json_object_set_new(step, "size_before", json_integer(size0));
	json_object_set_new(step, "size_after", json_integer(size1));
	json_object_set_new(
	        step, "bytes",
	        json_integer(r->o->dry_run ? free0 : size0 - size1));
	json_object_set_new(step, "reclaimable", json_integer(free1));
	json_object_set_new(step, "count", json_integer(size0 - size1 > 0));
out:
	return rc != SL_OK ? err_prefix(e, "compact") : SL_OK;
}

/* --- the run ------------------------------------------------------------*/

void
cleanup_opts_from_config(struct cleanup_opts *o,
                         const struct server_config *cfg)
{
	*o = (struct cleanup_opts){
	        .superseded_days = cfg->cleanup_superseded_days,
	        .expired = cfg->cleanup_expired != 0,
	        .computer_days = cfg->cleanup_computer_days,
	        .files = cfg->cleanup_files != 0,
	        .compact = cfg->cleanup_compact != 0,
	        .actor = "cleanup (scheduled)",
	};
}

int
cleanup_run(json_t **report, struct store *db, const struct server_config *cfg,
            const struct cleanup_opts *o, struct err *e)
{
	struct run r = {.db = db,
	                .cfg = cfg,
	                .o = o,
	                .actor = o->actor != NULL ? o->actor : "cleanup",
	                .batch =
	                        o->batch > 0 ? o->batch : CLEANUP_BATCH_DEFAULT,
	                .now = (long long)time(NULL),
	                .steps = json_array()};
	struct timespec t0;
	int rc = SL_OK;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (r.steps == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	if (o->superseded_days >= 0)
		rc = step_superseded(&r, e);
	if (rc == SL_OK && o->expired)
		rc = step_expired(&r, e);
	if (rc == SL_OK && o->computer_days > 0)
		rc = step_computers(&r, e);
	if (rc == SL_OK && o->files)
		rc = step_revisions(&r, e);
	if (rc == SL_OK && o->files)
		rc = step_files(&r, e);
	if (rc == SL_OK && o->compact)
		rc = step_compact(&r, e);
	if (rc != SL_OK) {
		json_decref(r.steps);
		return err_prefix(e, "cleanup");
	}
	*report = json_pack(
	        "{s:b,s:o,s:I,s:f,s:i,s:f}", "dry_run", o->dry_run, "steps",
	        r.steps, "duration_ms", (json_int_t)ms_since(&t0),
	        "longest_batch_ms", r.longest_ms, "batches", (int)r.batches,
	        "mean_batch_ms", r.batches > 0 ? r.total_ms / r.batches : 0.0);
	return *report != NULL ? SL_OK : err_set(e, SL_ENOMEM, "out of memory");
}

int
cleanup_due(bool *ran, json_t **report, struct store *db,
            const struct server_config *cfg, long long now, struct err *e)
{
	struct cleanup_opts o;
	int64_t last;
	char num[32];
	int rc;

	*ran = false;
	if (cfg->cleanup_hours <= 0)
		return SL_OK;
	if ((rc = store_meta_int(&last, db, "cleanup_last", e)) != SL_OK)
		return rc;
	if (last > 0 && now - last < (long long)cfg->cleanup_hours * 3600)
		return SL_OK;
	/* Recorded first: a run that fails is not retried every minute. */
	snprintf(num, sizeof(num), "%lld", now);
	if ((rc = store_meta_set(db, "cleanup_last", num, e)) != SL_OK)
		return rc;
	cleanup_opts_from_config(&o, cfg);
	if ((rc = cleanup_run(report, db, cfg, &o, e)) != SL_OK)
		return rc;
	*ran = true;
	return SL_OK;
}
