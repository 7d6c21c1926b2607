/*
 * fuzz_request: request bodies of every endpoint that takes one, sent to
 * a real sluiced HTTP front end started in this process (http_start on
 * 127.0.0.1, a SQLite store in a scratch directory, the admin token and
 * one registered computer's token). The first byte chooses the route, the
 * rest is the body. Any crash in a worker thread stops the process, which
 * libFuzzer reports with the input.
 */
#include "fuzz_util.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth.h"
#include "config.h"
#include "hash.h"
#include "http.h"
#include "scheduler.h"
#include "store/store.h"

struct target {
	const char *method, *path;
	int auth; /* 0 none, 1 admin, 2 computer */
};

static const struct target targets[] = {
        {"POST", "/v1/agent/register", 0},
        {"POST", "/v1/agent/sync", 2},
        {"POST", "/v1/agent/report", 2},
        {"POST", "/v1/admin/groups", 1},
        {"PUT", "/v1/admin/groups/web", 1},
        {"PUT", "/v1/admin/computers/%C/group", 1},
        {"POST", "/v1/admin/approvals", 1},
        {"PUT", "/v1/admin/settings", 1},
        {"POST", "/v1/admin/updates/decline-superseded", 1},
        {"POST",
         "/v1/admin/updates/11111111-2222-4333-8444-555555555501/"
         "decline",
         1},
        {"POST", "/v1/admin/rules", 1},
        {"POST", "/v1/admin/tokens", 1},
        {"POST", "/v1/admin/enrollment-keys", 1},
        {"POST", "/v1/admin/downstreams", 1},
        {"POST", "/v1/admin/sync", 1},
};
#define N_TARGETS (sizeof(targets) / sizeof(targets[0]))

static struct server_config cfg;
static struct http_env env;
static struct http *http;
static int port;
static char admin[AUTH_TOKEN_LEN + 1], computer[AUTH_TOKEN_LEN + 1],
        computer_id[64];

/* One request on a fresh connection; the answer goes to resp (cut). */
static void
send_req(const char *method, const char *path, const char *tok,
         const uint8_t *body, size_t len, char *resp, size_t rn)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	char head[1024];
	size_t got = 0;
	ssize_t r;
	int fd, n;

	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	/* Tens of thousands of connections a minute from one address use
	 * up the client's ephemeral ports in TIME_WAIT: the harness closes
	 * with a reset (SO_LINGER 0), and a connect that still fails is
	 * retried for a while before it counts as the server gone. */
	for (int tries = 0;; tries++) {
		fd = socket(AF_INET, SOCK_STREAM, 0);
		if (fd >= 0 &&
		    connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0)
			break;
		if (fd >= 0)
			close(fd);
		if (tries == 200)
			abort();
		usleep(10000);
	}
	setsockopt(fd, SOL_SOCKET, SO_LINGER,
	           &(struct linger){.l_onoff = 1, .l_linger = 0},
	           sizeof(struct linger));
	n = snprintf(head, sizeof(head),
	             "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%s%s%s"
	             "Content-Type: application/json\r\nContent-Length: "
	             "%zu\r\nConnection: close\r\n\r\n",
	             method, path, tok ? "Authorization: Bearer " : "",
	             tok ? tok : "", tok ? "\r\n" : "", len);
	if (send(fd, head, (size_t)n, MSG_NOSIGNAL) != n ||
	    (len > 0 && send(fd, body, len, MSG_NOSIGNAL) != (ssize_t)len))
		abort();
	while ((r = recv(fd, resp + got, rn - 1 - got, 0)) > 0) {
		got += (size_t)r;
		if (got == rn - 1)
			got = 0; /* keep reading, keep the tail */
	}
	resp[got] = '\0';
	close(fd);
}

static void
start(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t al = sizeof(a);
	struct sched *sched = NULL;
	struct store *db = NULL;
	char data[160], listen[64], resp[8192], *p;
	bool created;
	struct err e;
	int fd;

	signal(SIGPIPE, SIG_IGN);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &al) != 0)
		abort();
	port = ntohs(a.sin_port);
	close(fd);
	snprintf(data, sizeof(data), "%s/data", fuzz_dir());
	snprintf(listen, sizeof(listen), "127.0.0.1:%d", port);
	if (hash_global_init(&e) != SL_OK ||
	    config_defaults(&cfg, &e) != SL_OK ||
	    config_set(&cfg, "server", "data", data, &e) != SL_OK ||
	    config_set_listen(&cfg, listen, &e) != SL_OK ||
	    config_set(&cfg, "server", "threads", "2", &e) != SL_OK ||
	    config_set(&cfg, "upstream", "syncs_per_day", "0", &e) != SL_OK ||
	    config_finish(&cfg, &e) != SL_OK || mkdir(data, 0700) != 0 ||
	    store_open(&db, cfg.db_path, &e) != SL_OK ||
	    auth_admin_bootstrap(admin, &created, db, data, &e) != SL_OK ||
	    store_meta_set(db, "registration", "open", &e) != SL_OK ||
	    sched_start(&sched, &cfg, NULL, &e) != SL_OK) {
		fprintf(stderr, "fuzz_request: start: %s\n", e.msg);
		abort();
	}
	store_close(db);
	env.cfg = &cfg;
	env.sched = sched;
	if (http_start(&http, &env, NULL, &e) != SL_OK) {
		fprintf(stderr, "fuzz_request: %s\n", e.msg);
		abort();
	}
	send_req("POST", "/v1/admin/groups", admin,
	         (const uint8_t *)"{\"name\":\"web\"}", 14, resp, sizeof(resp));
	send_req("POST", "/v1/agent/register", NULL,
	         (const uint8_t *)"{\"hostname\":\"f\"}", 16, resp,
	         sizeof(resp));
	p = strstr(resp, "\"token\":\"");
	if (p == NULL || strlen(p + 9) < AUTH_TOKEN_LEN)
		abort();
	memcpy(computer, p + 9, AUTH_TOKEN_LEN);
	p = strstr(resp, "\"computer_id\":\"");
	if (p == NULL)
		abort();
	snprintf(computer_id, sizeof(computer_id), "%.36s", p + 15);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct target *t;
	char path[256], resp[4096];
	const char *tok = NULL, *c;

	if (http == NULL)
		start();
	if (size < 1)
		return 0;
	t = &targets[data[0] % N_TARGETS];
	c = strstr(t->path, "%C");
	if (c != NULL)
		snprintf(path, sizeof(path), "%.*s%s%s", (int)(c - t->path),
		         t->path, computer_id, c + 2);
	else
		snprintf(path, sizeof(path), "%s", t->path);
	if (t->auth == 1)
		tok = admin;
	else if (t->auth == 2)
		tok = computer;
	send_req(t->method, path, tok, data + 1, size - 1, resp, sizeof(resp));
	if (strncmp(resp, "HTTP/1.1 5", 10) == 0 && strstr(resp, "internal"))
		abort(); /* SL_EINTERNAL: a bug, not bad input */
	return 0;
}
