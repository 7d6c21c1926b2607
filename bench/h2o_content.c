/*
 * h2o_content: the content path of sluiced (GET and HEAD /content/<sha256>
 * from DIR/<aa>/<sha256>) served with libh2o's evloop and its file
 * sender (h2o_file_send: ETag, If-None-Match, ranges, its cache of open
 * files), for scenario 1 to measure libh2o as the HTTP layer against
 * nginx and sluiced. A benchmark tool, not part of the server: no TLS,
 * no access log, no limits.
 *
 *   h2o_content DIR PORT [THREADS]
 *
 * Each thread runs its own event loop on its own listening socket
 * (SO_REUSEPORT on 127.0.0.1:PORT), as nginx runs one worker per core.
 * "listening" on stdout once every thread listens.
 */
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <h2o.h>

#define SHA_HEX 64

static h2o_globalconf_t config;
static const char *content_dir;
static int port;
static pthread_barrier_t ready;

static int
is_hex(const char *s, size_t n)
{
	if (n != SHA_HEX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		      (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

static int
on_content(h2o_handler_t *self, h2o_req_t *req)
{
	static const char prefix[] = "/content/";
	const size_t plen = sizeof(prefix) - 1;
	h2o_iovec_t p = req->path_normalized;
	const char *sha = p.base + plen;
	char path[4096];
	int w;

	(void)self;
	if (!h2o_memis(req->method.base, req->method.len, H2O_STRLIT("GET")) &&
	    !h2o_memis(req->method.base, req->method.len, H2O_STRLIT("HEAD")))
		return -1;
	if (p.len != plen + SHA_HEX || memcmp(p.base, prefix, plen) != 0 ||
	    !is_hex(sha, SHA_HEX))
		return -1;
	w = snprintf(path, sizeof(path), "%s/%.2s/%.*s", content_dir, sha,
	             SHA_HEX, sha);
	if (w < 0 || (size_t)w >= sizeof(path))
		return -1;
	h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL,
	               NULL, H2O_STRLIT("public, max-age=31536000, immutable"));
	if (h2o_file_send(
	            req, 200, "OK", path,
	            h2o_iovec_init(H2O_STRLIT("application/octet-stream")),
	            0) != 0)
		h2o_send_error_404(req, "Not Found", "not in the store", 0);
	return 0;
}

static void
on_accept(h2o_socket_t *listener, const char *err)
{
	h2o_accept_ctx_t *actx = listener->data;
	h2o_socket_t *sock;

	if (err != NULL)
		return;
	if ((sock = h2o_evloop_socket_accept(listener)) == NULL)
		return;
	h2o_accept(actx, sock);
}

static int
listen_fd(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	int fd, on = 1;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)port);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) != 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on)) != 0 ||
	    bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    listen(fd, SOMAXCONN) != 0) {
		fprintf(stderr, "h2o_content: 127.0.0.1:%d: %s\n", port,
		        strerror(errno));
		exit(1);
	}
	return fd;
}

static void *
worker(void *arg)
{
	h2o_context_t ctx;
	h2o_accept_ctx_t actx = {0};
	h2o_evloop_t *loop = h2o_evloop_create();
	h2o_socket_t *sock;

	(void)arg;
	h2o_context_init(&ctx, loop, &config);
	actx.ctx = &ctx;
	actx.hosts = config.hosts;
	sock = h2o_evloop_socket_create(loop, listen_fd(),
	                                H2O_SOCKET_FLAG_DONT_READ);
	sock->data = &actx;
	h2o_socket_read_start(sock, on_accept);
	pthread_barrier_wait(&ready);
	for (;;)
		h2o_evloop_run(loop, INT32_MAX);
	return NULL;
}

int
main(int argc, char **argv)
{
	h2o_hostconf_t *host;
	h2o_pathconf_t *pc;
	h2o_handler_t *h;
	pthread_t t;
	char *end;
	int n = 2;

	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: h2o_content DIR PORT [THREADS]\n");
		return 2;
	}
	content_dir = argv[1];
	port = (int)strtol(argv[2], &end, 10);
	if (*end != '\0')
		port = 0;
	if (argc == 4) {
		n = (int)strtol(argv[3], &end, 10);
		if (*end != '\0')
			n = 0;
	}
	if (port <= 0 || port > 65535 || n < 1 || n > 64) {
		fprintf(stderr, "h2o_content: bad port or thread count\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	h2o_config_init(&config);
	/* libh2o's cache of open files (per thread, keyed by path, entries
	 * checked again after a second): no open()/fstat()/close() per
	 * answer, like sluiced's cache of ready answers. */
	config.filecache.capacity = 64;
	host = h2o_config_register_host(
	        &config, h2o_iovec_init(H2O_STRLIT("default")), 65535);
	pc = h2o_config_register_path(host, "/", 0);
	h = h2o_create_handler(pc, sizeof(*h));
	h->on_req = on_content;
	pthread_barrier_init(&ready, NULL, (unsigned)n + 1);
	for (int i = 0; i < n; i++)
		if (pthread_create(&t, NULL, worker, NULL) != 0) {
			fprintf(stderr, "h2o_content: pthread_create failed\n");
			return 1;
		}
	pthread_barrier_wait(&ready);
	printf("listening on 127.0.0.1:%d\n", port);
	fflush(stdout);
	for (;;)
		pause();
}
