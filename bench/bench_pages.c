/*
 * bench_pages: first syncs in pages (agent protocol 2), as sluice-agent
 * makes them, from several computers at once (scenario 7).
 *
 *   bench_pages URL TOKENS COUNT LIMIT UPDATES
 *     The first COUNT computers of TOKENS (bench_client's "<id> <token>"
 *     lines) each make one first sync at the same time (one thread and
 *     one keep-alive connection each): POST /v1/agent/sync with anchor
 *     null, protocol 2 and LIMIT updates per page, following the page
 *     cursor to the end. Each must receive UPDATES updates.
 *
 * Prints each complete sync's seconds on a line "sync <seconds>", then
 * "wall <seconds>" for all of them and "failed <n>": the syncs that
 * failed (a transport error, a status other than 200, an answer without
 * a cursor field, or another count of updates; the others go on); exits
 * 1 when n > 0.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#define BODY_CAP   (256u << 20) /* the server's own cap of one page */
#define COUNT_MAX  256
#define CURSOR_MAX 128

struct body {
	char *p;
	size_t len, cap;
};

struct agent {
	const char *base, *token;
	long long limit, updates;
	double secs;
	int ok;
};

static size_t
collect(char *data, size_t size, size_t n, void *arg)
{
	struct body *b = arg;
	size_t add = size * n;

	if (b->len + add + 1 > BODY_CAP)
		return 0;
	if (b->len + add + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 1u << 16;
		char *p;

		while (cap < b->len + add + 1)
			cap *= 2;
		if ((p = realloc(b->p, cap)) == NULL)
			return 0;
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, add);
	b->len += add;
	b->p[b->len] = '\0';
	return add;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The updates of a page (each has one "approval" object) and its cursor:
 * 0 with next "" at the last page, -1 when the answer has no "next". */
static long long
page_scan(const struct body *b, char next[CURSOR_MAX])
{
	const char *p = b->p, *end = b->p + b->len, *n;
	long long count = 0;
	size_t len;

	while ((p = memmem(p, (size_t)(end - p), "\"approval\":", 11)) !=
	       NULL) {
		count++;
		p += 11;
	}
	n = b->len > 400 ? end - 400 : b->p;
	if ((n = strstr(n, "\"next\":")) == NULL)
		return -1;
	n += 7;
	if (strncmp(n, "null", 4) == 0) {
		next[0] = '\0';
		return count;
	}
	if (*n != '"' || (len = strcspn(n + 1, "\"")) >= CURSOR_MAX)
		return -1;
	memcpy(next, n + 1, len);
	next[len] = '\0';
	return count;
}

static void *
agent_run(void *arg)
{
	struct agent *a = arg;
	struct curl_slist *hdrs = NULL;
	struct body b = {0};
	char url[512], auth[200], json[512], cur[CURSOR_MAX] = "";
	long long got = 0;
	double t0 = now_s();
	CURL *c = curl_easy_init();

	if (c == NULL)
		goto fail;
	snprintf(url, sizeof(url), "%s/v1/agent/sync", a->base);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", a->token);
	hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
	hdrs = curl_slist_append(hdrs, auth);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 600L);
	do {
		long status = 0;
		long long n;
		CURLcode cc;

		if (cur[0])
			snprintf(json, sizeof(json),
			         "{\"anchor\":null,\"protocol\":2,\"limit\":%"
			         "lld,"
			         "\"cursor\":\"%s\"}",
			         a->limit, cur);
		else
			snprintf(json, sizeof(json),
			         "{\"anchor\":null,\"protocol\":2,\"limit\":%"
			         "lld,"
			         "\"cursor\":null}",
			         a->limit);
		b.len = 0;
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, json);
		if ((cc = curl_easy_perform(c)) != CURLE_OK) {
			fprintf(stderr, "bench_pages: %s: %s\n", url,
			        curl_easy_strerror(cc));
			goto fail;
		}
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
		if (status != 200 || (n = page_scan(&b, cur)) < 0) {
			fprintf(stderr, "bench_pages: %s: HTTP %ld: %.300s\n",
			        url, status, b.p ? b.p : "");
			goto fail;
		}
		got += n;
	} while (cur[0]);
	if (got != a->updates) {
		fprintf(stderr,
		        "bench_pages: a first sync got %lld updates, "
		        "not %lld\n",
		        got, a->updates);
		goto fail;
	}
	a->secs = now_s() - t0;
	a->ok = 1;
fail:
	free(b.p);
	curl_slist_free_all(hdrs);
	if (c != NULL)
		curl_easy_cleanup(c);
	return NULL;
}

static int
parse_ll(long long *out, const char *s)
{
	char *end;

	errno = 0;
	*out = strtoll(s, &end, 10);
	return errno != 0 || end == s || *end != '\0' || *out < 1 ? -1 : 0;
}

/* The tokens of the first count lines of path into tok[] (freed by the
 * caller): 0, or -1 with a message. */
static int
read_tokens(char *tok[], long long count, const char *path)
{
	char line[512], id[200], t[200];
	long long n = 0;
	FILE *f = fopen(path, "r");

	if (f == NULL) {
		fprintf(stderr, "bench_pages: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (n < count && fgets(line, sizeof(line), f) != NULL) {
		char *sp = strchr(line, ' ');

		if (sp == NULL || (size_t)(sp - line) >= sizeof(id))
			continue;
		memcpy(id, line, (size_t)(sp - line));
		id[sp - line] = '\0';
		snprintf(t, sizeof(t), "%s", sp + 1);
		t[strcspn(t, "\r\n")] = '\0';
		if ((tok[n] = strdup(t)) == NULL)
			break;
		n++;
	}
	fclose(f);
	if (n < count) {
		fprintf(stderr, "bench_pages: %s: %lld tokens, not %lld\n",
		        path, n, count);
		for (long long i = 0; i < n; i++)
			free(tok[i]);
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	static struct agent a[COUNT_MAX];
	static pthread_t th[COUNT_MAX];
	static char *tok[COUNT_MAX];
	long long count, limit, updates;
	long long failed = 0;
	double t0;

	if (argc != 6 || parse_ll(&count, argv[3]) ||
	    parse_ll(&limit, argv[4]) || parse_ll(&updates, argv[5]) ||
	    count > COUNT_MAX) {
		fprintf(stderr,
		        "usage: bench_pages URL TOKENS COUNT(1-%d) "
		        "LIMIT UPDATES\n",
		        COUNT_MAX);
		return 2;
	}
	if (read_tokens(tok, count, argv[2]) != 0)
		return 1;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	t0 = now_s();
	for (long long i = 0; i < count; i++) {
		a[i] = (struct agent){argv[1], tok[i], limit, updates, 0, 0};
		pthread_create(&th[i], NULL, agent_run, &a[i]);
	}
	for (long long i = 0; i < count; i++)
		pthread_join(th[i], NULL);
	printf("wall %.4f\n", now_s() - t0);
	for (long long i = 0; i < count; i++) {
		if (a[i].ok)
			printf("sync %.4f\n", a[i].secs);
		else
			failed++;
		free(tok[i]);
	}
	printf("failed %lld\n", failed);
	curl_global_cleanup();
	return failed > 0 ? 1 : 0;
}
