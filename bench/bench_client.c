/*
 * bench_client: the bulk set-up requests of the benchmarks, over
 * keep-alive connections from a few threads (a shell loop of curl would
 * take minutes for 10,000 computers or 20,000 approvals).
 *
 *   bench_client register URL COUNT THREADS OUT GROUP
 *     POST /v1/agent/register COUNT times (hostnames bench-<n>, asking for
 *     GROUP); writes one "<computer_id> <token>" line per computer to OUT.
 *   bench_client approve URL ADMIN_TOKEN UPDATES THREADS GROUP
 *     POST /v1/admin/approvals {"action":"install"} to GROUP for the
 *     generated update ids 0..UPDATES-1 (see gen_catalog.c).
 *
 * Prints "<what> <count> in <seconds> s" on stdout; exits 1 on the first
 * failed request (status other than 200/201, or a transport error).
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>

#define BODY_CAP (1u << 20)

struct job {
	const char *base, *token, *group;
	int approve; /* 0 = register */
	long long count;
	atomic_llong next;
	atomic_int failed;
	pthread_mutex_t lock;
	FILE *out;
};

struct body {
	char *p;
	size_t len;
};

static size_t
collect(char *data, size_t size, size_t n, void *arg)
{
	struct body *b = arg;
	size_t add = size * n;
	char *p;

	if (b->len + add + 1 > BODY_CAP)
		return 0;
	if ((p = realloc(b->p, b->len + add + 1)) == NULL)
		return 0;
	memcpy(p + b->len, data, add);
	b->len += add;
	p[b->len] = '\0';
	b->p = p;
	return add;
}

/* One request; the answer body is left in b. */
static int
post(CURL *c, struct curl_slist *hdrs, const char *url, const char *json,
     struct body *b, long *status)
{
	CURLcode cc;

	b->len = 0;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, json);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, b);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
	if ((cc = curl_easy_perform(c)) != CURLE_OK) {
		fprintf(stderr, "bench_client: %s: %s\n", url,
		        curl_easy_strerror(cc));
		return -1;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	return 0;
}

static int
one(struct job *j, CURL *c, struct curl_slist *hdrs, long long n,
    struct body *b)
{
	char url[512], json[512];
	json_t *ans = NULL;
	long status = 0;
	int rc = -1;

	if (j->approve) {
		snprintf(url, sizeof(url), "%s/v1/admin/approvals", j->base);
		snprintf(json, sizeof(json),
		         "{\"update\":\"00000000-0000-4000-8000-%012llx\","
		         "\"group\":\"%s\",\"action\":\"install\","
		         "\"deadline\":null}",
		         (unsigned long long)n, j->group);
	} else {
		snprintf(url, sizeof(url), "%s/v1/agent/register", j->base);
		snprintf(json, sizeof(json),
		         "{\"hostname\":\"bench-%lld\",\"os_id\":\"debian\","
		         "\"os_version\":\"12\",\"arch\":\"amd64\","
		         "\"kernel\":\"6.1.0\",\"agent_version\":\"0.1.0\","
		         "\"groups\":[\"%s\"]}",
		         n, j->group);
	}
	if (post(c, hdrs, url, json, b, &status) != 0)
		return -1;
	if (status != 200 && status != 201) {
		fprintf(stderr, "bench_client: %s: HTTP %ld: %.300s\n", url,
		        status, b->p ? b->p : "");
		return -1;
	}
	if (j->approve)
		return 0;
	ans = json_loadb(b->p ? b->p : "", b->len, 0, NULL);
	const char *id = json_string_value(json_object_get(ans, "computer_id"));
	const char *tok = json_string_value(json_object_get(ans, "token"));
	if (id == NULL || tok == NULL) {
		fprintf(stderr,
		        "bench_client: register: unexpected answer "
		        "%.300s\n",
		        b->p ? b->p : "");
		goto out;
	}
	pthread_mutex_lock(&j->lock);
	fprintf(j->out, "%s %s\n", id, tok);
	pthread_mutex_unlock(&j->lock);
	rc = 0;
out:
	json_decref(ans);
	return rc;
}

static void *
worker(void *arg)
{
	struct job *j = arg;
	struct curl_slist *hdrs = NULL;
	struct body b = {0};
	char auth[200];
	CURL *c = curl_easy_init();

	if (c == NULL) {
		atomic_store(&j->failed, 1);
		return NULL;
	}
	hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
	if (j->token != NULL) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s",
		         j->token);
		hdrs = curl_slist_append(hdrs, auth);
	}
	while (!atomic_load(&j->failed)) {
		long long n = atomic_fetch_add(&j->next, 1);
		if (n >= j->count)
			break;
		if (one(j, c, hdrs, n, &b) != 0)
			atomic_store(&j->failed, 1);
	}
	free(b.p);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(c);
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

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
usage(void)
{
	fprintf(stderr, "usage: bench_client register URL COUNT THREADS OUT "
	                "GROUP\n"
	                "       bench_client approve URL ADMIN_TOKEN UPDATES "
	                "THREADS GROUP\n");
	return 2;
}

int
main(int argc, char **argv)
{
	struct job j = {0};
	pthread_t th[64];
	long long threads;
	double t0;
	int rc = 1;

	if (argc == 7 && strcmp(argv[1], "register") == 0) {
		j.base = argv[2];
		j.group = argv[6];
		if (parse_ll(&j.count, argv[3]) || parse_ll(&threads, argv[4]))
			return usage();
		if ((j.out = fopen(argv[5], "w")) == NULL) {
			fprintf(stderr, "bench_client: %s: %s\n", argv[5],
			        strerror(errno));
			return 1;
		}
	} else if (argc == 7 && strcmp(argv[1], "approve") == 0) {
		j.approve = 1;
		j.base = argv[2];
		j.token = argv[3];
		j.group = argv[6];
		if (parse_ll(&j.count, argv[4]) || parse_ll(&threads, argv[5]))
			return usage();
	} else {
		return usage();
	}
	if (threads < 1 || threads > 64)
		threads = 4;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	pthread_mutex_init(&j.lock, NULL);
	t0 = now_s();
	for (long long i = 0; i < threads; i++)
		pthread_create(&th[i], NULL, worker, &j);
	for (long long i = 0; i < threads; i++)
		pthread_join(th[i], NULL);
	if (!atomic_load(&j.failed)) {
		printf("%s %lld in %.3f s\n",
		       j.approve ? "approved" : "registered", j.count,
		       now_s() - t0);
		rc = 0;
	}
	if (j.out != NULL && fclose(j.out) != 0)
		rc = 1;
	pthread_mutex_destroy(&j.lock);
	curl_global_cleanup();
	return rc;
}
