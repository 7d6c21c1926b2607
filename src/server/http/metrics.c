/*
 * metrics: the per-request counters (relaxed atomics, see metrics.h) and
 * the text exposition. Names follow Prometheus' conventions: sluice_
 * prefix, _total for counters, base units (seconds, bytes).
 */
#include "metrics.h"

#include <assert.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "http.h"

/* Statuses counted one by one; any other lands in "other". */
static const int statuses[] = {200, 201, 204, 206, 304, 400, 401,
                               403, 404, 405, 409, 410, 413, 414,
                               416, 422, 429, 500, 502, 503, 504};
#define N_STATUS (sizeof(statuses) / sizeof(statuses[0]) + 1)

/* Upper bounds of the duration buckets in microseconds (+Inf after). */
static const uint64_t bounds_us[] = {1000,   2500,    5000,    10000,
                                     25000,  50000,   100000,  250000,
                                     500000, 1000000, 2500000, 10000000};
#define N_BOUNDS (sizeof(bounds_us) / sizeof(bounds_us[0]))

#define N_SLOTS (METRICS_ROUTES_MAX + 1) /* the last: no route matched */

static _Atomic uint64_t requests[N_SLOTS][N_STATUS];
static _Atomic uint64_t hist[N_SLOTS][N_BOUNDS + 1]; /* not cumulative */
static _Atomic uint64_t hist_sum_us[N_SLOTS];
static _Atomic uint64_t content_bytes;
static _Atomic int64_t downloads_running;
static _Atomic uint64_t download_bytes;

static void
add(_Atomic uint64_t *c, uint64_t n)
{
	atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

static uint64_t
get(_Atomic uint64_t *c)
{
	return atomic_load_explicit(c, memory_order_relaxed);
}

void
metrics_request(int route, int status, uint64_t bytes, uint64_t usec)
{
	size_t slot, si, b;

	slot = (route < 0 || route >= METRICS_ROUTES_MAX) ? METRICS_ROUTES_MAX
	                                                  : (size_t)route;
	for (si = 0; si + 1 < N_STATUS; si++)
		if (statuses[si] == status)
			break;
	for (b = 0; b < N_BOUNDS; b++)
		if (usec <= bounds_us[b])
			break;
	add(&requests[slot][si], 1);
	add(&hist[slot][b], 1);
	add(&hist_sum_us[slot], usec);
	if (slot != METRICS_ROUTES_MAX &&
	    strncmp(routes[slot].pattern, "/content/", 9) == 0)
		add(&content_bytes, bytes);
}

void
metrics_download_running(int delta)
{
	atomic_fetch_add_explicit(&downloads_running, delta,
	                          memory_order_relaxed);
}

void
metrics_download_bytes(uint64_t n)
{
	add(&download_bytes, n);
}

static void
route_labels(char *out, size_t n, size_t slot)
{
	if (slot == METRICS_ROUTES_MAX)
		snprintf(out, n, "route=\"none\",method=\"\"");
	else
		snprintf(out, n, "route=\"%s\",method=\"%s\"",
		         routes[slot].pattern, routes[slot].method);
}

static int
help(struct buf *b, struct err *e, const char *name, const char *type,
     const char *text)
{
	return buf_printf(b, e, "# HELP %s %s\n# TYPE %s %s\n", name, text,
	                  name, type);
}

/* The sum of the 2xx answers of the route with this method and pattern. */
static uint64_t
route_ok(const char *method, const char *pattern)
{
	uint64_t n = 0;

	for (size_t i = 0; i < n_routes && i < METRICS_ROUTES_MAX; i++) {
		if (strcmp(routes[i].method, method) != 0 ||
		    strcmp(routes[i].pattern, pattern) != 0)
			continue;
		for (size_t si = 0; si + 1 < N_STATUS; si++)
			if (statuses[si] >= 200 && statuses[si] < 300)
				n += get(&requests[i][si]);
	}
	return n;
}

static int
render_requests(struct buf *b, struct err *e)
{
	char lb[256];
	int rc;

	rc = help(b, e, "sluice_http_requests_total", "counter",
	          "HTTP requests answered, by route and status");
	for (size_t s = 0; rc == SL_OK && s < N_SLOTS; s++) {
		if (s >= n_routes && s != METRICS_ROUTES_MAX)
			continue;
		route_labels(lb, sizeof(lb), s);
		for (size_t si = 0; rc == SL_OK && si < N_STATUS; si++) {
			uint64_t v = get(&requests[s][si]);
			if (v == 0)
				continue;
			if (si + 1 < N_STATUS)
				rc = buf_printf(b, e,
				                "sluice_http_requests_total{%s,"
				                "status=\"%d\"} %" PRIu64 "\n",
				                lb, statuses[si], v);
			else
				rc = buf_printf(b, e,
				                "sluice_http_requests_total{%s,"
				                "status=\"other\"} %" PRIu64
				                "\n",
				                lb, v);
		}
	}
	if (rc == SL_OK)
		rc = help(b, e, "sluice_http_request_duration_seconds",
		          "histogram",
		          "time from a request's arrival to its answer");
	for (size_t s = 0; rc == SL_OK && s < N_SLOTS; s++) {
		uint64_t cum = 0;
		if (s >= n_routes && s != METRICS_ROUTES_MAX)
			continue;
		for (size_t k = 0; k <= N_BOUNDS; k++)
			cum += get(&hist[s][k]);
		if (cum == 0)
			continue;
		route_labels(lb, sizeof(lb), s);
		cum = 0;
		for (size_t k = 0; rc == SL_OK && k < N_BOUNDS; k++) {
			cum += get(&hist[s][k]);
			rc = buf_printf(b, e,
			                "sluice_http_request_duration_seconds_"
			                "bucket{%s,le=\"%g\"} %" PRIu64 "\n",
			                lb, (double)bounds_us[k] / 1e6, cum);
		}
		cum += get(&hist[s][N_BOUNDS]);
		if (rc == SL_OK)
			rc = buf_printf(b, e,
			                "sluice_http_request_duration_seconds_"
			                "bucket{%s,"
			                "le=\"+Inf\"} %" PRIu64 "\n"
			                "sluice_http_request_duration_seconds_"
			                "sum{%s} %.6f\n"
			                "sluice_http_request_duration_seconds_"
			                "count{%s} "
			                "%" PRIu64 "\n",
			                lb, cum, lb,
			                (double)get(&hist_sum_us[s]) / 1e6, lb,
			                cum);
	}
	return rc;
}

static int
render_counters(struct buf *b, struct err *e)
{
	int rc;

	rc = help(b, e, "sluice_agent_syncs_total", "counter",
	          "agent syncs answered (POST /v1/agent/sync, 2xx)");
	if (rc == SL_OK)
		rc = buf_printf(b, e, "sluice_agent_syncs_total %" PRIu64 "\n",
		                route_ok("POST", "/v1/agent/sync"));
	if (rc == SL_OK)
		rc = help(
		        b, e, "sluice_agent_reports_total", "counter",
		        "agent reports accepted (POST /v1/agent/report, 2xx)");
	if (rc == SL_OK)
		rc = buf_printf(b, e,
		                "sluice_agent_reports_total %" PRIu64 "\n",
		                route_ok("POST", "/v1/agent/report"));
	if (rc == SL_OK)
		rc = help(b, e, "sluice_content_served_bytes_total", "counter",
		          "bytes of update files served (GET /content/...)");
	if (rc == SL_OK)
		rc = buf_printf(
		        b, e, "sluice_content_served_bytes_total %" PRIu64 "\n",
		        get(&content_bytes));
	if (rc == SL_OK)
		rc = help(b, e, "sluice_download_bytes_total", "counter",
		          "bytes of update files the fetch thread downloaded "
		          "and stored");
	if (rc == SL_OK)
		rc = buf_printf(b, e,
		                "sluice_download_bytes_total %" PRIu64 "\n",
		                get(&download_bytes));
	return rc;
}

static int64_t
sqlite_size(const char *path)
{
	char wal[4200];
	struct stat sb;
	int64_t n = 0;

	if (stat(path, &sb) == 0)
		n += sb.st_size;
	snprintf(wal, sizeof(wal), "%s-wal", path);
	if (stat(wal, &sb) == 0)
		n += sb.st_size;
	return n;
}

static int
render_store(struct buf *b, struct store *db, const struct server_config *cfg,
             struct err *e)
{
	static const char *const age_names[] = {"1h", "1d", "7d", "older"};
	static const char *const states[] = {"queued", "failed", "present"};
	struct store_stats st;
	int64_t prev = 0;
	int rc;

	rc = store_stats(db, &st, (int64_t)time(NULL), e);
	if (rc != SL_OK)
		return rc;
	if (st.db_bytes < 0)
		st.db_bytes = sqlite_size(cfg->db_path);
	rc = help(b, e, "sluice_events_stored", "gauge",
	          "install events stored");
	if (rc == SL_OK)
		rc = buf_printf(b, e, "sluice_events_stored %" PRId64 "\n",
		                st.events);
	if (rc == SL_OK)
		rc = help(b, e, "sluice_computers", "gauge",
		          "computers reporting to this server by the age of "
		          "their last contact (up to 1h, 1d, 7d, older or "
		          "never)");
	for (int i = 0; rc == SL_OK && i <= STORE_CONTACT_AGES; i++) {
		int64_t v = i < STORE_CONTACT_AGES ? st.contact_within[i] - prev
		                                   : st.computers - prev;
		rc = buf_printf(b, e,
		                "sluice_computers{last_contact=\"%s\"} %" PRId64
		                "\n",
		                age_names[i], v);
		if (i < STORE_CONTACT_AGES)
			prev = st.contact_within[i];
	}
	if (rc == SL_OK)
		rc = help(b, e, "sluice_sync_runs_total", "counter",
		          "syncs from the upstream by result");
	if (rc == SL_OK)
		rc = buf_printf(b, e,
		                "sluice_sync_runs_total{result=\"success\"} "
		                "%" PRId64 "\n"
		                "sluice_sync_runs_total{result=\"failure\"} "
		                "%" PRId64 "\n",
		                st.syncs_ok, st.syncs_failed);
	if (rc == SL_OK)
		rc = help(b, e, "sluice_sync_last_success_timestamp_seconds",
		          "gauge",
		          "Unix time of the last successful sync (0: never)");
	if (rc == SL_OK)
		rc = buf_printf(b, e,
		                "sluice_sync_last_success_timestamp_seconds "
		                "%" PRId64 "\n",
		                st.last_sync_success);
	if (rc == SL_OK)
		rc = help(b, e, "sluice_downloads", "gauge",
		          "update files by download state");
	for (int i = 0; rc == SL_OK && i < 3; i++)
		rc = buf_printf(b, e,
		                "sluice_downloads{state=\"%s\"} %" PRId64 "\n",
		                states[i], st.content_files[i]);
	if (rc == SL_OK)
		rc = buf_printf(
		        b, e,
		        "sluice_downloads{state=\"running\"} %" PRId64 "\n",
		        (int64_t)atomic_load_explicit(&downloads_running,
		                                      memory_order_relaxed));
	if (rc == SL_OK)
		rc = help(b, e, "sluice_downloads_bytes", "gauge",
		          "bytes of the update files by download state");
	for (int i = 0; rc == SL_OK && i < 3; i++)
		rc = buf_printf(b, e,
		                "sluice_downloads_bytes{state=\"%s\"} %" PRId64
		                "\n",
		                states[i], st.content_bytes[i]);
	if (rc == SL_OK)
		rc = help(b, e, "sluice_database_size_bytes", "gauge",
		          "size of the database (SQLite: file and WAL)");
	if (rc == SL_OK)
		rc = buf_printf(b, e,
		                "sluice_database_size_bytes %" PRId64 "\n",
		                st.db_bytes);
	return rc;
}

int
metrics_render(struct buf *out, struct store *db,
               const struct server_config *cfg, struct err *e)
{
	int rc;

	assert(n_routes <= METRICS_ROUTES_MAX);
	rc = render_requests(out, e);
	if (rc == SL_OK)
		rc = render_counters(out, e);
	if (rc == SL_OK && db != NULL)
		rc = render_store(out, db, cfg, e);
	return rc != SL_OK ? err_prefix(e, "metrics") : SL_OK;
}
