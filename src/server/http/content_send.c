/*
 * content_send: the plain listener's accept loop and sender of update
 * files (content_send.h).
 *
 * Each thread has its own epoll set holding the listening socket
 * (EPOLLEXCLUSIVE) and the connections it accepted, edge-triggered. A
 * connection is in one of three lists of its thread: "first" (accepted,
 * head not yet complete) and "kept" (answered here, waiting for its next
 * head), both in the order of their deadlines, at which a connection is
 * handed over; and "sending" (an answer under way), looked at once a
 * second for answers that made no progress for idle_timeout seconds. A
 * connection that could send more after a full chunk, or that has more
 * pipelined heads waiting after a few answered in a row, is posted: it
 * goes on after the events already waiting, so one client does not hold
 * up the others.
 */
#include "content_send.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "access_log.h"
#include "content_cache.h"
#include "content_head.h"
#include "httpdate.h"
#include "log.h"
#include "metrics.h"

#define EVENTS        64
#define ACCEPTS       64         /* per wake-up of the listening socket */
#define CACHE_ENTRIES 32         /* open files kept per thread */
#define CACHE_MAX     (1u << 20) /* files kept open up to this size */
#define HDR_MAX       512

/* An open file: one reference for the cache that keeps it, one for each
 * answer sending it (all on one thread). */
struct file {
	int fd;
	unsigned int refs;
};

enum cstate { C_FIRST, C_KEPT, C_SENDING };

struct conn {
	struct conn *prev, *next; /* in its thread's list of its state */
	struct conn *posted;      /* next in the posted list */
	int fd;
	enum cstate st;
	int is_posted;
	uint64_t due_ms;
	struct sockaddr_storage sa;
	socklen_t salen;
	/* The answer under way. */
	struct file *file;
	off_t off;
	uint64_t left;
	char hdr[HDR_MAX];
	size_t hlen, hoff;
	int head, close_after, status;
	uint64_t t0_us, bytes;
	char path[9 + HASH_HEX_LEN + 1];
};

struct list {
	struct conn *head, *tail;
};

struct worker {
	struct csend *s;
	pthread_t th;
	int started;
	int ep;
	struct list lists[3]; /* by enum cstate */
	struct conn *posted, *posted_tail;
	struct ccache *files;
	int depth;          /* finish() -> read_head() nesting */
	uint64_t scan_ms;   /* next look at the sending deadlines */
	uint64_t resume_ms; /* accepting paused until (0: not paused) */
	uint64_t warned_ms; /* last accept() failure logged */
	time_t date_s;
	char date[HTTPDATE_LEN + 1];
	char buf[CHEAD_MAX];
};

struct csend {
	struct csend_config cfg;
	struct MHD_Daemon *d;
	int lfd, wake;
	atomic_int stopping;
	atomic_uint held;
	_Atomic uint64_t warned_ms; /* last accept() failure logged */
	struct worker *w;
	unsigned int n_workers;
};

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static uint64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void
list_del(struct worker *w, struct conn *c)
{
	struct list *l = &w->lists[c->st];

	if (c->prev)
		c->prev->next = c->next;
	else
		l->head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	else
		l->tail = c->prev;
	c->prev = c->next = NULL;
}

/* Put c at the tail of the list of state st, due after ms. */
static void
list_add(struct worker *w, struct conn *c, enum cstate st, uint64_t ms)
{
	struct list *l = &w->lists[st];

	c->st = st;
	c->due_ms = now_ms() + ms;
	c->next = NULL;
	c->prev = l->tail;
	if (l->tail)
		l->tail->next = c;
	else
		l->head = c;
	l->tail = c;
}

static void
file_unref(void *v)
{
	struct file *f = v;

	if (f != NULL && --f->refs == 0) {
		close(f->fd);
		free(f);
	}
}

/* Forget c (already out of its list): its answer's file, its slot. */
static void
conn_free(struct worker *w, struct conn *c)
{
	file_unref(c->file);
	atomic_fetch_sub(&w->s->held, 1);
	free(c);
}

static void
conn_close(struct worker *w, struct conn *c)
{
	list_del(w, c);
	close(c->fd);
	conn_free(w, c);
}

/* Give c, and whatever it sent that was not taken, to libmicrohttpd. */
static void
hand_over(struct worker *w, struct conn *c)
{
	list_del(w, c);
	epoll_ctl(w->ep, EPOLL_CTL_DEL, c->fd, NULL);
	/* libmicrohttpd closes the socket if it cannot take it (its
	 * connection limits). */
	MHD_add_connection(w->s->d, c->fd, (const struct sockaddr *)&c->sa,
	                   c->salen);
	conn_free(w, c);
}

static void
post(struct worker *w, struct conn *c)
{
	if (c->is_posted)
		return;
	c->is_posted = 1;
	c->posted = NULL;
	if (w->posted_tail)
		w->posted_tail->posted = c;
	else
		w->posted = c;
	w->posted_tail = c;
}

/* The Date of this second, formatted once a second per thread. */
static const char *
date_now(struct worker *w)
{
	time_t t = time(NULL);

	if (t != w->date_s &&
	    httpdate_format(w->date, sizeof(w->date), t, NULL) == SL_OK)
		w->date_s = t;
	return w->date;
}

/* The store's file named sha, as opened now: from the thread's cache when
 * stat() shows the file it was opened from. *sb describes it. NULL when
 * it is not a regular file in the store (or cannot be opened). */
static struct file *
file_get(struct worker *w, const char *sha, struct stat *sb)
{
	const char *dir = w->s->cfg.content_dir;
	char path[4096];
	struct ccache_id id, fid;
	struct file *f;
	int n;

	n = snprintf(path, sizeof(path), "%s/%.2s/%s", dir, sha, sha);
	if (n < 0 || (size_t)n >= sizeof(path))
		return NULL;
	if (stat(path, sb) != 0 || !S_ISREG(sb->st_mode)) {
		ccache_drop(w->files, sha);
		return NULL;
	}
	ccache_id_of(&id, sb);
	f = ccache_get(w->files, sha, &id);
	if (f != NULL) {
		f->refs++;
		return f;
	}
	f = calloc(1, sizeof(*f));
	if (f == NULL)
		return NULL;
	f->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (f->fd < 0 || fstat(f->fd, sb) != 0 || !S_ISREG(sb->st_mode)) {
		if (f->fd >= 0)
			close(f->fd);
		free(f);
		return NULL;
	}
	f->refs = 1;
	/* Kept only when what was opened is what stat() saw. */
	ccache_id_of(&fid, sb);
	if (sb->st_size <= CACHE_MAX && ccache_id_eq(&id, &fid)) {
		f->refs++;
		ccache_put(w->files, sha, &fid, f);
	}
	return f;
}

/* Write the head of c's answer into c->hdr; 0 on success. */
static int
answer_head(struct worker *w, struct conn *c, const char *sha, int range,
            uint64_t first, uint64_t last, uint64_t size)
{
	char extra[96] = "";
	int n;

	if (c->status == 304) {
		n = snprintf(c->hdr, sizeof(c->hdr),
		             "HTTP/1.1 304 Not Modified\r\nETag: \"%s\"\r\n"
		             "Date: %s\r\n%s\r\n",
		             sha, date_now(w),
		             c->close_after ? "Connection: close\r\n" : "");
		goto out;
	}
	if (range)
		snprintf(extra, sizeof(extra),
		         "Content-Range: bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64
		         "\r\n",
		         first, last, size);
	n = snprintf(c->hdr, sizeof(c->hdr),
	             "HTTP/1.1 %s\r\nContent-Length: %" PRIu64 "\r\n"
	             "ETag: \"%s\"\r\nAccept-Ranges: bytes\r\n"
	             "Content-Type: application/octet-stream\r\n"
	             "Cache-Control: public, max-age=31536000, immutable\r\n"
	             "%sDate: %s\r\n%s\r\n",
	             range ? "206 Partial Content" : "200 OK",
	             size == 0 ? 0 : last - first + 1, sha, extra, date_now(w),
	             c->close_after ? "Connection: close\r\n" : "");
out:
	if (n < 0 || (size_t)n >= sizeof(c->hdr))
		return -1;
	c->hlen = (size_t)n;
	c->hoff = 0;
	return 0;
}

static void send_some(struct worker *w, struct conn *c);

/* Answer the head h that c's peeked bytes hold: 0 when answered here
 * (under way), -1 when it is libmicrohttpd's (nothing taken). */
static int
answer(struct worker *w, struct conn *c, const struct chead *h)
{
	char etag[HASH_HEX_LEN + 3];
	uint64_t first = 0, last = 0, size;
	struct stat sb;
	struct file *f;
	ssize_t n;
	int range;

	f = file_get(w, h->sha, &sb);
	if (f == NULL)
		return -1; /* libmicrohttpd's 404 or 500 */
	size = (uint64_t)sb.st_size;
	snprintf(etag, sizeof(etag), "\"%s\"", h->sha);
	c->close_after = h->close;
	c->head = h->head;
	c->bytes = 0;
	if (chead_etag_matches(h->if_none_match[0] ? h->if_none_match : NULL,
	                       etag)) {
		c->status = 304;
		range = 0;
	} else {
		range = chead_range(h->range[0] ? h->range : NULL, size, &first,
		                    &last);
		if (range < 0) {
			file_unref(f);
			return -1; /* libmicrohttpd's 416 */
		}
		if (range == 0) {
			first = 0;
			last = size == 0 ? 0 : size - 1;
		}
		c->status = range ? 206 : 200;
	}
	if (answer_head(w, c, h->sha, range, first, last, size) != 0) {
		file_unref(f);
		return -1;
	}
	/* Take the head: from here the answer is this sender's. The bytes
	 * were peeked, so they are all there; part of them taken (which
	 * does not happen) would leave libmicrohttpd half a request. */
	n = recv(c->fd, w->buf, h->len, 0);
	if (n != (ssize_t)h->len) {
		file_unref(f);
		if (n <= 0)
			return -1;
		conn_close(w, c);
		return 0;
	}
	c->file = f;
	c->off = (off_t)first;
	c->left =
	        c->status == 304 || h->head || size == 0 ? 0 : last - first + 1;
	memcpy(c->path, "/content/", 9);
	memcpy(c->path + 9, h->sha, HASH_HEX_LEN + 1);
	c->t0_us = now_us();
	list_del(w, c);
	list_add(w, c, C_SENDING, (uint64_t)w->s->cfg.idle_timeout * 1000u);
	send_some(w, c);
	return 0;
}

/* Look at what c has sent: answer it, hand it over, or wait for more. */
static void
read_head(struct worker *w, struct conn *c)
{
	struct chead h;
	ssize_t n;

	n = recv(c->fd, w->buf, sizeof(w->buf), MSG_PEEK);
	if (n == 0) {
		conn_close(w, c); /* closed before asking anything */
		return;
	}
	if (n < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			conn_close(w, c);
		return;
	}
	switch (chead_parse(&h, w->buf, (size_t)n)) {
	case CHEAD_MORE:
		return; /* its deadline hands it over if nothing follows */
	case CHEAD_CONTENT:
		if (answer(w, c, &h) == 0)
			return;
		/* fall through */
	case CHEAD_OTHER:
		hand_over(w, c);
		return;
	}
}

/* An answer is sent: its log line and metrics, then the next head. */
static void
finish(struct worker *w, struct conn *c)
{
	const struct csend_config *cfg = &w->s->cfg;
	uint64_t usec = now_us() - c->t0_us;

	metrics_request(c->head ? cfg->route_head : cfg->route_get, c->status,
	                c->bytes, usec);
	if (access_log_enabled())
		access_log_write_addr((const struct sockaddr *)&c->sa,
		                      c->head ? "HEAD" : "GET", c->path,
		                      c->status, c->bytes, usec);
	file_unref(c->file);
	c->file = NULL;
	if (c->close_after) {
		conn_close(w, c);
		return;
	}
	list_del(w, c);
	list_add(w, c, C_KEPT,
	         cfg->idle_timeout * 1000u < CSEND_KEPT_MS
	                 ? cfg->idle_timeout * 1000u
	                 : CSEND_KEPT_MS);
	/* A pipelined request, or wait. Requests already waiting are
	 * answered a few in a row, then after the other events (the stack
	 * stays bounded however many a client pipelines). */
	if (w->depth >= 4) {
		post(w, c);
		return;
	}
	w->depth++;
	read_head(w, c);
	w->depth--;
}

/* Send what c's answer has left, up to a chunk: then post it, wait for
 * the socket, or finish. */
static void
send_some(struct worker *w, struct conn *c)
{
	size_t want;
	ssize_t n;

	while (c->hoff < c->hlen) {
		n = send(c->fd, c->hdr + c->hoff, c->hlen - c->hoff,
		         MSG_NOSIGNAL | (c->left > 0 ? MSG_MORE : 0));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				conn_close(w, c);
			return;
		}
		c->hoff += (size_t)n;
		c->due_ms = now_ms() + (uint64_t)w->s->cfg.idle_timeout * 1000u;
	}
	if (c->left > 0) {
		want = c->left < CSEND_CHUNK ? (size_t)c->left : CSEND_CHUNK;
		n = sendfile(c->fd, c->file->fd, &c->off, want);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return; /* EPOLLOUT brings it back */
		if (n < 0 && errno == EINTR) {
			post(w, c);
			return;
		}
		if (n <= 0) {
			/* A reset connection, or a file cut short under
			 * us: the client sees the connection close early. */
			if (n == 0)
				log_warn("content %s: file shorter than its "
				         "size; connection closed",
				         c->path + 9);
			conn_close(w, c);
			return;
		}
		c->left -= (uint64_t)n;
		c->bytes += (uint64_t)n;
		c->due_ms = now_ms() + (uint64_t)w->s->cfg.idle_timeout * 1000u;
		/* A short send filled the socket: EPOLLOUT brings it back. */
		if (c->left > 0 && (size_t)n == want)
			post(w, c);
		if (c->left > 0)
			return;
	}
	finish(w, c);
}

static void
on_event(struct worker *w, struct conn *c, uint32_t ev)
{
	if (c->is_posted)
		return; /* run_posted() goes on with it */
	if (c->st == C_SENDING) {
		if (ev & (EPOLLOUT | EPOLLERR | EPOLLHUP))
			send_some(w, c);
		return;
	}
	read_head(w, c);
}

/* Stop accepting for a moment after accept() failed for want of
 * descriptors or memory (the pending connection would wake every thread
 * again at once). */
static void
accept_pause(struct worker *w, int err)
{
	uint64_t now = now_ms(), last;

	epoll_ctl(w->ep, EPOLL_CTL_DEL, w->s->lfd, NULL);
	w->resume_ms = now + 100;
	/* One line per 10 s for all threads. */
	last = atomic_load(&w->s->warned_ms);
	if ((last == 0 || now - last >= 10000) &&
	    atomic_compare_exchange_strong(&w->s->warned_ms, &last, now))
		log_warn("content sender: accept: %s (accepting again in "
		         "0.1 s)",
		         strerror(err));
}

static void
accept_resume(struct worker *w)
{
	struct epoll_event ev = {.events = EPOLLIN | EPOLLEXCLUSIVE,
	                         .data.ptr = &w->s->lfd};

	if (epoll_ctl(w->ep, EPOLL_CTL_ADD, w->s->lfd, &ev) == 0)
		w->resume_ms = 0;
	else
		w->resume_ms = now_ms() + 100;
}

static void
accept_some(struct worker *w)
{
	struct csend *s = w->s;
	struct epoll_event ev;
	struct conn *c;
	int one = 1;

	for (int i = 0; i < ACCEPTS; i++) {
		struct sockaddr_storage sa;
		socklen_t salen = sizeof(sa);
		int fd = accept4(s->lfd, (struct sockaddr *)&sa, &salen,
		                 SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == ECONNABORTED || errno == EINTR)
				continue;
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM)
				accept_pause(w, errno);
			return;
		}
		if (atomic_fetch_add(&s->held, 1) >= s->cfg.max_conns ||
		    (c = calloc(1, sizeof(*c))) == NULL) {
			atomic_fetch_sub(&s->held, 1);
			MHD_add_connection(s->d, fd, (struct sockaddr *)&sa,
			                   salen);
			continue;
		}
		c->fd = fd;
		c->sa = sa;
		c->salen = salen;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		list_add(w, c, C_FIRST, CSEND_FIRST_MS);
		ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
		ev.data.ptr = c;
		if (epoll_ctl(w->ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
			hand_over(w, c);
			continue;
		}
		read_head(w, c);
	}
}

/* Hand over the waiting connections past their deadline, close the
 * answers that made no progress (a look once a second), resume accepting;
 * the milliseconds to the next of these (-1: none). */
static int
expire(struct worker *w)
{
	uint64_t now = now_ms(), next = UINT64_MAX;
	unsigned int cut = 0;
	struct conn *c, *nx;

	for (int l = C_FIRST; l <= C_KEPT; l++) {
		while ((c = w->lists[l].head) != NULL && c->due_ms <= now &&
		       !c->is_posted)
			hand_over(w, c);
		if (c != NULL && c->due_ms < next)
			next = c->due_ms;
	}
	if (w->lists[C_SENDING].head != NULL && now >= w->scan_ms) {
		/* A posted answer has just made progress. */
		for (c = w->lists[C_SENDING].head; c != NULL; c = nx) {
			nx = c->next;
			if (c->due_ms <= now && !c->is_posted) {
				conn_close(w, c);
				cut++;
			}
		}
		w->scan_ms = now + 1000;
		if (cut > 0)
			log_info("content sender: closed %u connection(s) "
			         "that took no data for %us",
			         cut, w->s->cfg.idle_timeout);
	}
	if (w->lists[C_SENDING].head != NULL && w->scan_ms < next)
		next = w->scan_ms;
	if (w->resume_ms != 0 && now >= w->resume_ms)
		accept_resume(w);
	if (w->resume_ms != 0 && w->resume_ms < next)
		next = w->resume_ms;
	return next == UINT64_MAX ? -1 : next <= now ? 0 : (int)(next - now);
}

/* Go on with each posted connection: its next chunk, or its next head. */
static void
run_posted(struct worker *w)
{
	struct conn *c = w->posted;

	w->posted = w->posted_tail = NULL;
	while (c != NULL) {
		struct conn *nx = c->posted;

		c->is_posted = 0;
		if (c->st == C_SENDING)
			send_some(w, c);
		else
			read_head(w, c);
		c = nx;
	}
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct epoll_event ev[EVENTS];
	int n, timeout;

	while (!atomic_load(&w->s->stopping)) {
		timeout = expire(w);
		if (w->posted != NULL)
			timeout = 0;
		n = epoll_wait(w->ep, ev, EVENTS, timeout);
		for (int i = 0; i < n; i++) {
			if (ev[i].data.ptr == &w->s->lfd)
				accept_some(w);
			else if (ev[i].data.ptr != &w->s->wake)
				on_event(w, ev[i].data.ptr, ev[i].events);
		}
		run_posted(w);
	}
	return NULL;
}

static void
worker_clear(struct worker *w)
{
	struct conn *c;

	for (int l = C_FIRST; l <= C_SENDING; l++)
		while ((c = w->lists[l].head) != NULL)
			conn_close(w, c);
	ccache_free(w->files);
	if (w->ep >= 0)
		close(w->ep);
}

static int
worker_init(struct worker *w, struct csend *s, struct err *e)
{
	struct epoll_event ev = {0};

	w->s = s;
	w->ep = epoll_create1(EPOLL_CLOEXEC);
	if (w->ep < 0)
		return err_set(e, SL_EIO, "epoll_create1: %s", strerror(errno));
	if (ccache_new(&w->files, CACHE_ENTRIES, file_unref, e) != SL_OK)
		return SL_ENOMEM;
	ev.events = EPOLLIN | EPOLLEXCLUSIVE;
	ev.data.ptr = &s->lfd;
	if (epoll_ctl(w->ep, EPOLL_CTL_ADD, s->lfd, &ev) != 0)
		return err_set(e, SL_EIO, "epoll_ctl: %s", strerror(errno));
	ev.events = EPOLLIN;
	ev.data.ptr = &s->wake;
	if (epoll_ctl(w->ep, EPOLL_CTL_ADD, s->wake, &ev) != 0)
		return err_set(e, SL_EIO, "epoll_ctl: %s", strerror(errno));
	return SL_OK;
}

int
csend_start(struct csend **out, int listen_fd, struct MHD_Daemon *d,
            const struct csend_config *cfg, struct err *e)
{
	struct csend *s;
	int rc = SL_OK, fl;

	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		close(listen_fd);
		return err_set(e, SL_ENOMEM, "out of memory");
	}
	s->cfg = *cfg;
	if (s->cfg.threads == 0)
		s->cfg.threads = 1;
	if (s->cfg.max_conns == 0)
		s->cfg.max_conns = 1;
	s->d = d;
	s->lfd = listen_fd;
	s->wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	fl = fcntl(listen_fd, F_GETFL);
	if (s->wake < 0 || fl < 0 ||
	    fcntl(listen_fd, F_SETFL, fl | O_NONBLOCK) != 0) {
		rc = err_set(e, SL_EIO, "content sender: %s", strerror(errno));
		goto out;
	}
	s->w = calloc(s->cfg.threads, sizeof(*s->w));
	if (s->w == NULL) {
		rc = err_set(e, SL_ENOMEM, "out of memory");
		goto out;
	}
	for (unsigned int i = 0; i < s->cfg.threads; i++)
		s->w[i].ep = -1;
	s->n_workers = s->cfg.threads;
	for (unsigned int i = 0; i < s->n_workers && rc == SL_OK; i++) {
		rc = worker_init(&s->w[i], s, e);
		if (rc == SL_OK && pthread_create(&s->w[i].th, NULL,
		                                  worker_main, &s->w[i]) != 0)
			rc = err_set(e, SL_EINTERNAL,
			             "cannot start a content sender thread");
		s->w[i].started = rc == SL_OK;
	}
out:
	if (rc != SL_OK) {
		err_prefix(e, "content sender");
		csend_stop(s);
		return rc;
	}
	*out = s;
	return SL_OK;
}

void
csend_stop(struct csend *s)
{
	uint64_t one = 1;

	if (s == NULL)
		return;
	atomic_store(&s->stopping, 1);
	if (s->wake >= 0 && write(s->wake, &one, sizeof(one)) < 0)
		log_warn("content sender: cannot wake its threads");
	for (unsigned int i = 0; i < s->n_workers; i++) {
		if (s->w[i].started)
			pthread_join(s->w[i].th, NULL);
		worker_clear(&s->w[i]);
	}
	free(s->w);
	if (s->wake >= 0)
		close(s->wake);
	close(s->lfd);
	free(s);
}
