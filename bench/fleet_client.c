/*
 * fleet_client: a fleet of simulated agents that send exactly what
 * sluice-agent sends (bench/s10_fleet.sh).
 *
 *   fleet_client template CONFIG DIR
 *     One real agent, in this process, with the agent's own code: register,
 *     sync (every page), verify and evaluate the view against the config's
 *     root, then cut the report queue into batches as the agent does
 *     (agentstate_queue_batch) and write them, without sending them, to
 *     DIR/report.<n>.json (acknowledged locally), its anchor to
 *     DIR/anchor. Those are the bodies a machine of that root sends.
 *   fleet_client onboard CONFIG COUNT THREADS DIR OUT
 *     COUNT new computers (THREADS at a time), each: POST register (the
 *     agent's body for the config's root and groups, hostname fleet-<n>,
 *     its own machine id), every page of its first sync (the agent's
 *     bodies, following the cursor) and its first report (DIR's batches,
 *     with its own token). Writes "<id> <token> <anchor>" lines to OUT.
 *   fleet_client steady CONFIG AGENTS THREADS SECONDS DIR PERMILLE
 *     The computers of AGENTS in turn, THREADS at a time, for SECONDS:
 *     each turn is an incremental sync with the computer's anchor (which
 *     must answer no change); PERMILLE of the turns also send the full
 *     report again (the agent resends every state once a day).
 *
 * Like the agent, every request is its own connection (httpc). The agent
 * parses every page of its sync; here only the first computer's pages are
 * parsed in full (and checked against the quick reading of the cursor and
 * anchor used for the others), so the client's CPU stays small beside the
 * server's. Prints one "FLEET key=value ..." line; exits 1 on the first
 * failed request (a 503, the server's database busy, or a connection the
 * server closed unanswered is sent again 5 s later, as an agent sends it
 * again later, and counted).
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "agent.h"
#include "agentapi.h"
#include "agentcfg.h"
#include "agentstate.h"
#include "hash.h"
#include "httpc.h"
#include "osinfo.h"

#define REPORTS_MAX 64
#define ANSWER_MAX  (1u << 20)
#define LAT_MAX     (1u << 22)

struct fleet {
	struct agentcfg cfg;
	struct osinfo *oi;
	char *reports[REPORTS_MAX];
	size_t report_len[REPORTS_MAX], n_reports;
	/* onboard */
	long long count;
	FILE *out;
	pthread_mutex_t lock;
	/* steady */
	struct member *members;
	size_t n_members;
	double until;
	long long permille;
	/* shared counters */
	atomic_llong next, pages, syncs, reports_sent, bytes_out, bytes_in;
	atomic_llong updates0, retried, dropped;
	atomic_int failed;
	double *lat; /* per request (steady) or per computer (onboard), ms */
	atomic_llong n_lat;
};

struct member {
	char id[64], token[128], anchor[64];
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
lat_add(struct fleet *f, double ms)
{
	long long i = atomic_fetch_add(&f->n_lat, 1);

	if (i < (long long)LAT_MAX)
		f->lat[i] = ms;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void
lat_print(struct fleet *f)
{
	size_t n = (size_t)atomic_load(&f->n_lat);

	if (n > LAT_MAX)
		n = LAT_MAX;
	if (n == 0) {
		printf(" p50_ms=0 p99_ms=0");
		return;
	}
	qsort(f->lat, n, sizeof(double), cmp_double);
	printf(" p50_ms=%.3f p99_ms=%.3f max_ms=%.3f", f->lat[n / 2],
	       f->lat[n * 99 / 100], f->lat[n - 1]);
}

/* A 503 (the server's database busy: it says Retry-After: 5) or a
 * connection the server closed without an answer is tried again after
 * 5 s, at most this many times: an agent keeps what it sends and sends it
 * again later. Both are counted. */
#define RETRIES_MAX 20

/* POST text to the config's server; the answer is left in r (200 only). */
static int
post(struct fleet *f, struct httpc_resp *r, const char *path, const char *token,
     const char *text, size_t len, size_t cap)
{
	struct httpc_opts o = {.token = token, .timeout_s = 600};
	char url[2048];
	struct err e;

	snprintf(url, sizeof(url), "%s%s", f->cfg.server, path);
	for (int tries = 0;; tries++) {
		if (httpc_request(r, "POST", url, text, len, cap, &o, &e) !=
		    SL_OK) {
			if (tries == RETRIES_MAX ||
			    strstr(e.msg, "Empty reply") == NULL) {
				fprintf(stderr, "fleet_client: %s\n", e.msg);
				return -1;
			}
			atomic_fetch_add(&f->dropped, 1);
			sleep(5);
			continue;
		}
		atomic_fetch_add(&f->bytes_out, (long long)len);
		atomic_fetch_add(&f->bytes_in, (long long)r->len);
		if (r->status != 503 || tries == RETRIES_MAX)
			break;
		atomic_fetch_add(&f->retried, 1);
		httpc_resp_free(r);
		sleep(5);
	}
	if (r->status != 200) {
		fprintf(stderr, "fleet_client: %s: HTTP %ld: %.300s\n", url,
		        r->status, r->body ? r->body : "");
		return -1;
	}
	return 0;
}

/* The string value of "key": within text[0..len) searched from the end
 * (from_end) or the start; NULL when it is null or absent. The value must
 * be a plain string (no escapes). Returns 0, or -1 when not understood. */
static int
quick_value(char *out, size_t cap, const char *text, size_t len,
            const char *key, bool from_end)
{
	size_t kl = strlen(key), win = len < 512 ? len : 512;
	const char *lo = from_end ? text + len - win : text, *p, *hit = NULL;

	out[0] = '\0';
	for (p = lo; p + kl <= lo + win; p++)
		if (memcmp(p, key, kl) == 0) {
			hit = p;
			if (!from_end)
				break;
		}
	if (hit == NULL)
		return -1;
	p = hit + kl;
	if (strncmp(p, "null", 4) == 0)
		return 1;
	if (*p++ != '"')
		return -1;
	for (size_t i = 0; i + 1 < cap; i++, p++) {
		if (p >= text + len || *p == '\\')
			return -1;
		if (*p == '"') {
			out[i] = '\0';
			return 0;
		}
		out[i] = *p;
	}
	return -1;
}

/* Every page of a sync from anchor (NULL: a first sync); the last anchor
 * is left in anchor_out. check: parse each page in full and compare. */
static int
sync_pages(struct fleet *f, const char *token, const char *anchor,
           char anchor_out[64], bool check, long long *n_updates)
{
	char cursor[512], *text = NULL;
	bool more = true;
	int rc = -1;

	cursor[0] = '\0';
	*n_updates = 0;
	while (more) {
		struct httpc_resp r = {0};
		json_t *body =
		        agentapi_sync_body(anchor, cursor[0] ? cursor : NULL);
		int nr;

		if (body == NULL ||
		    (text = json_dumps(body, JSON_COMPACT)) == NULL) {
			json_decref(body);
			fprintf(stderr, "fleet_client: out of memory\n");
			return -1;
		}
		json_decref(body);
		if (post(f, &r, "/v1/agent/sync", token, text, strlen(text),
		         AGENTAPI_SYNC_MAX) != 0)
			goto next;
		atomic_fetch_add(&f->pages, 1);
		nr = quick_value(cursor, sizeof(cursor), r.body, r.len,
		                 "\"next\":", true);
		more = nr == 0;
		if (nr < 0 || quick_value(anchor_out, 64, r.body, r.len,
		                          "\"anchor\":", false) != 0) {
			fprintf(stderr,
			        "fleet_client: sync answer not "
			        "understood: %.200s\n",
			        r.body);
			goto next;
		}
		if (check) {
			json_t *ans = json_loadb(r.body, r.len, 0, NULL);
			const char *nx = json_string_value(
			                   json_object_get(ans, "next")),
			           *an = json_string_value(
			                   json_object_get(ans, "anchor"));

			*n_updates += (long long)json_array_size(
			        json_object_get(ans, "updates"));
			if (ans == NULL || an == NULL ||
			    strcmp(an, anchor_out) != 0 ||
			    (nx ? strcmp(nx, cursor) != 0 : more)) {
				json_decref(ans);
				fprintf(stderr, "fleet_client: quick reading "
				                "of a sync page differs from "
				                "the parsed one\n");
				goto next;
			}
			json_decref(ans);
		} else if (anchor != NULL &&
		           (strstr(r.body, "\"full\":false") == NULL ||
		            strstr(r.body, "\"updates\":[]") == NULL)) {
			fprintf(stderr,
			        "fleet_client: incremental sync "
			        "answered a change: %.200s\n",
			        r.body);
			goto next;
		}
		rc = 0;
	next:
		httpc_resp_free(&r);
		free(text);
		text = NULL;
		if (rc != 0)
			return -1;
		rc = -1;
	}
	return 0;
}

static int
send_reports(struct fleet *f, const char *token)
{
	for (size_t i = 0; i < f->n_reports; i++) {
		struct httpc_resp r = {0};
		int rc = post(f, &r, "/v1/agent/report", token, f->reports[i],
		              f->report_len[i], ANSWER_MAX);

		httpc_resp_free(&r);
		if (rc != 0)
			return -1;
		atomic_fetch_add(&f->reports_sent, 1);
	}
	return 0;
}

static int
onboard_one(struct fleet *f, long long n)
{
	struct agentapi_host h = {0};
	struct httpc_resp r = {0};
	char host[64], mid[40], anchor[64];
	const char *id, *tok;
	long long n_up = 0;
	json_t *body, *ans = NULL;
	char *text = NULL;
	double t0 = now_s();
	int rc = -1;

	snprintf(host, sizeof(host), "fleet-%lld", n);
	snprintf(mid, sizeof(mid), "f1ee7%027llx", n);
	h.hostname = host;
	h.os_id = f->oi->id;
	h.os_version = f->oi->version_id;
	h.arch = f->oi->arch;
	h.kernel = f->oi->kernel;
	h.groups = f->cfg.groups;
	h.enrollment_key = f->cfg.enrollment_key;
	h.machine_id = mid;
	if ((body = agentapi_register_body(&h)) == NULL ||
	    (text = json_dumps(body, JSON_COMPACT)) == NULL)
		goto out;
	if (post(f, &r, "/v1/agent/register", NULL, text, strlen(text),
	         ANSWER_MAX) != 0)
		goto out;
	ans = json_loadb(r.body, r.len, 0, NULL);
	id = json_string_value(json_object_get(ans, "computer_id"));
	tok = json_string_value(json_object_get(ans, "token"));
	if (id == NULL || tok == NULL) {
		fprintf(stderr, "fleet_client: register answered %.200s\n",
		        r.body);
		goto out;
	}
	if (sync_pages(f, tok, NULL, anchor, n == 0, &n_up) != 0 ||
	    send_reports(f, tok) != 0)
		goto out;
	atomic_fetch_add(&f->syncs, 1);
	if (n == 0)
		atomic_store(&f->updates0, n_up);
	pthread_mutex_lock(&f->lock);
	fprintf(f->out, "%s %s %s\n", id, tok, anchor);
	pthread_mutex_unlock(&f->lock);
	lat_add(f, (now_s() - t0) * 1000);
	rc = 0;
out:
	json_decref(ans);
	json_decref(body);
	free(text);
	httpc_resp_free(&r);
	return rc;
}

static int
steady_one(struct fleet *f, long long k)
{
	struct member *m = &f->members[k % (long long)f->n_members];
	char anchor[64];
	long long n_up;
	double t0 = now_s();

	if (sync_pages(f, m->token, m->anchor, anchor, false, &n_up) != 0)
		return -1;
	atomic_fetch_add(&f->syncs, 1);
	lat_add(f, (now_s() - t0) * 1000);
	/* PERMILLE of the turns, spread evenly */
	if ((k + 1) * f->permille / 1000 != k * f->permille / 1000 &&
	    send_reports(f, m->token) != 0)
		return -1;
	return 0;
}

static void *
onboard_worker(void *arg)
{
	struct fleet *f = arg;

	while (!atomic_load(&f->failed)) {
		long long n = atomic_fetch_add(&f->next, 1);
		if (n >= f->count)
			break;
		if (onboard_one(f, n) != 0)
			atomic_store(&f->failed, 1);
	}
	return NULL;
}

static void *
steady_worker(void *arg)
{
	struct fleet *f = arg;

	while (!atomic_load(&f->failed) && now_s() < f->until)
		if (steady_one(f, atomic_fetch_add(&f->next, 1)) != 0)
			atomic_store(&f->failed, 1);
	return NULL;
}

static int
parse_ll(long long *out, const char *s)
{
	char *end;

	errno = 0;
	*out = strtoll(s, &end, 10);
	return errno != 0 || end == s || *end != '\0' || *out < 0 ? -1 : 0;
}

static int
load_config(struct fleet *f, const char *path)
{
	struct err e;

	if (agentcfg_init(&f->cfg, &e) != SL_OK ||
	    agentcfg_load(&f->cfg, path, &e) != SL_OK ||
	    agentcfg_finish(&f->cfg, &e) != SL_OK ||
	    osinfo_load(&f->oi, f->cfg.root, &e) != SL_OK) {
		fprintf(stderr, "fleet_client: %s\n", e.msg);
		return -1;
	}
	return 0;
}

static int
load_reports(struct fleet *f, const char *dir)
{
	char path[4200];

	for (f->n_reports = 0; f->n_reports < REPORTS_MAX; f->n_reports++) {
		FILE *in;
		long sz;
		char *p;

		snprintf(path, sizeof(path), "%s/report.%zu.json", dir,
		         f->n_reports);
		if ((in = fopen(path, "rb")) == NULL)
			break;
		if (fseek(in, 0, SEEK_END) != 0 || (sz = ftell(in)) < 0 ||
		    fseek(in, 0, SEEK_SET) != 0 ||
		    (p = malloc((size_t)sz + 1)) == NULL ||
		    fread(p, 1, (size_t)sz, in) != (size_t)sz) {
			fclose(in);
			fprintf(stderr, "fleet_client: cannot read %s\n", path);
			return -1;
		}
		fclose(in);
		p[sz] = '\0';
		f->reports[f->n_reports] = p;
		f->report_len[f->n_reports] = (size_t)sz;
	}
	return 0;
}

/* The template agent: the real agent's cycle minus the sending. */
static int
cmd_template(struct fleet *f, const char *dir)
{
	struct detection *d = NULL;
	struct agent a;
	struct err e;
	char path[4200], *anchor = NULL;
	size_t n = 0, bytes = 0;
	FILE *out;
	int rc;

	if ((rc = agent_open(&a, &f->cfg, &e)) != SL_OK)
		goto out;
	if ((rc = agent_sync(&a, &e)) != SL_OK ||
	    (rc = agent_evaluate(&d, &a, &e)) != SL_OK ||
	    (rc = agentstate_anchor(a.st, &anchor, &e)) != SL_OK)
		goto close;
	for (;;) {
		struct as_batch b = {0};
		json_t *body = NULL;
		char *text;

		if ((rc = agentstate_queue_batch(
		             a.st, &body, &b, AGENT_REPORT_BATCH_BYTES,
		             AGENT_REPORT_BATCH_ROWS, &e)) != SL_OK)
			goto close;
		if (body == NULL)
			break;
		text = json_dumps(body, JSON_COMPACT);
		json_decref(body);
		snprintf(path, sizeof(path), "%s/report.%zu.json", dir, n);
		if (text == NULL || (out = fopen(path, "w")) == NULL ||
		    fputs(text, out) < 0 || fclose(out) != 0) {
			free(text);
			agentstate_batch_free(&b);
			rc = err_set(&e, SL_EIO, "cannot write %s", path);
			goto close;
		}
		bytes += strlen(text);
		free(text);
		rc = agentstate_queue_ack(a.st, &b, &e);
		agentstate_batch_free(&b);
		if (rc != SL_OK)
			goto close;
		if (++n >= REPORTS_MAX) {
			rc = err_set(&e, SL_ETOOBIG, "more than %d batches",
			             REPORTS_MAX);
			goto close;
		}
	}
	snprintf(path, sizeof(path), "%s/anchor", dir);
	if ((out = fopen(path, "w")) == NULL ||
	    fprintf(out, "%s\n", anchor ? anchor : "") < 0 || fclose(out) != 0)
		rc = err_set(&e, SL_EIO, "cannot write %s", path);
	else
		printf("FLEET updates=%zu queued=%zu reports=%zu "
		       "report_bytes=%zu anchor=%s\n",
		       d->n, d->n_queued, n, bytes, anchor ? anchor : "");
close:
	agent_close(&a);
out:
	if (rc != SL_OK)
		fprintf(stderr, "fleet_client: template: %s\n", e.msg);
	free(anchor);
	detection_free(d);
	return rc == SL_OK ? 0 : -1;
}

static int
load_members(struct fleet *f, const char *path)
{
	size_t cap = 0;
	char line[512];
	FILE *in;

	if ((in = fopen(path, "r")) == NULL) {
		fprintf(stderr, "fleet_client: %s: %s\n", path,
		        strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), in) != NULL) {
		struct member *m;
		char *tok, *anc;

		if (f->n_members == cap) {
			cap = cap ? cap * 2 : 1024;
			m = realloc(f->members, cap * sizeof(*m));
			if (m == NULL)
				break;
			f->members = m;
		}
		m = &f->members[f->n_members];
		line[strcspn(line, "\n")] = '\0';
		if ((tok = strchr(line, ' ')) == NULL ||
		    (anc = strchr(tok + 1, ' ')) == NULL)
			continue;
		*tok++ = '\0';
		*anc++ = '\0';
		if (strlen(line) >= sizeof(m->id) ||
		    strlen(tok) >= sizeof(m->token) ||
		    strlen(anc) >= sizeof(m->anchor))
			continue;
		memcpy(m->id, line, strlen(line) + 1);
		memcpy(m->token, tok, strlen(tok) + 1);
		memcpy(m->anchor, anc, strlen(anc) + 1);
		f->n_members++;
	}
	fclose(in);
	if (f->n_members == 0) {
		fprintf(stderr, "fleet_client: %s: no computers\n", path);
		return -1;
	}
	return 0;
}

static int
run_threads(struct fleet *f, long long threads, void *(*fn)(void *))
{
	pthread_t th[256];

	if (threads < 1 || threads > 256)
		threads = 4;
	for (long long i = 0; i < threads; i++)
		if (pthread_create(&th[i], NULL, fn, f) != 0) {
			atomic_store(&f->failed, 1);
			threads = i;
			break;
		}
	for (long long i = 0; i < threads; i++)
		pthread_join(th[i], NULL);
	return atomic_load(&f->failed) ? -1 : 0;
}

static int
usage(void)
{
	fprintf(stderr,
	        "usage: fleet_client template CONFIG DIR\n"
	        "       fleet_client onboard CONFIG COUNT THREADS DIR OUT\n"
	        "       fleet_client steady CONFIG AGENTS THREADS SECONDS DIR "
	        "PERMILLE\n");
	return 2;
}

int
main(int argc, char **argv)
{
	static struct fleet f;
	long long threads = 0, secs = 0;
	struct err e;
	double t0;
	int rc = 1;

	if (argc < 4)
		return usage();
	if (hash_global_init(&e) != SL_OK || httpc_global_init(&e) != SL_OK) {
		fprintf(stderr, "fleet_client: %s\n", e.msg);
		return 1;
	}
	pthread_mutex_init(&f.lock, NULL);
	if ((f.lat = calloc(LAT_MAX, sizeof(double))) == NULL ||
	    load_config(&f, argv[2]) != 0)
		goto out;
	t0 = now_s();
	if (argc == 4 && strcmp(argv[1], "template") == 0) {
		rc = cmd_template(&f, argv[3]) == 0 ? 0 : 1;
	} else if (argc == 7 && strcmp(argv[1], "onboard") == 0) {
		if (parse_ll(&f.count, argv[3]) || parse_ll(&threads, argv[4]))
			return usage();
		if (load_reports(&f, argv[5]) != 0)
			goto out;
		if ((f.out = fopen(argv[6], "w")) == NULL) {
			fprintf(stderr, "fleet_client: %s: %s\n", argv[6],
			        strerror(errno));
			goto out;
		}
		if (run_threads(&f, threads, onboard_worker) == 0 &&
		    fclose(f.out) == 0) {
			double s = now_s() - t0;
			printf("FLEET computers=%lld seconds=%.3f pages=%lld "
			       "reports=%lld bytes_out=%lld bytes_in=%lld "
			       "updates0=%lld retried=%lld dropped=%lld",
			       f.count, s, (long long)f.pages,
			       (long long)f.reports_sent,
			       (long long)f.bytes_out, (long long)f.bytes_in,
			       (long long)f.updates0, (long long)f.retried,
			       (long long)f.dropped);
			lat_print(&f);
			printf("\n");
			rc = 0;
		}
	} else if (argc == 8 && strcmp(argv[1], "steady") == 0) {
		if (parse_ll(&threads, argv[4]) || parse_ll(&secs, argv[5]) ||
		    parse_ll(&f.permille, argv[7]) || f.permille > 1000)
			return usage();
		if (load_members(&f, argv[3]) != 0 ||
		    load_reports(&f, argv[6]) != 0)
			goto out;
		f.until = t0 + (double)secs;
		if (run_threads(&f, threads, steady_worker) == 0) {
			double s = now_s() - t0;
			printf("FLEET computers=%zu seconds=%.3f syncs=%lld "
			       "reports=%lld bytes_out=%lld bytes_in=%lld "
			       "retried=%lld dropped=%lld",
			       f.n_members, s, (long long)f.syncs,
			       (long long)f.reports_sent,
			       (long long)f.bytes_out, (long long)f.bytes_in,
			       (long long)f.retried, (long long)f.dropped);
			lat_print(&f);
			printf("\n");
			rc = 0;
		}
	} else {
		return usage();
	}
out:
	for (size_t i = 0; i < f.n_reports; i++)
		free(f.reports[i]);
	free(f.members);
	free(f.lat);
	osinfo_free(f.oi);
	agentcfg_free(&f.cfg);
	pthread_mutex_destroy(&f.lock);
	return rc;
}
