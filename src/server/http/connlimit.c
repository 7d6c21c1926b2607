/*
 * connlimit: connection limits and the request deadline (connlimit.h).
 */
#include "connlimit.h"

#include <pthread.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>

#include "log.h"

/* Descriptors kept for the database, content files being sent, logs and
 * the listeners; the rest go to connections, two each (the socket and the
 * file a content response reads). */
#define FD_RESERVE 128

/* One accepted connection. deadline: CLOCK_MONOTONIC seconds, 0 = none. */
struct tracked {
	struct tracked *prev, *next;
	int fd;
	time_t deadline;
};

struct connlimit {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t reaper;
	int reaper_started;
	int stopping;
	struct tracked head; /* circular list of open connections */
	unsigned int max_conns;
	unsigned int per_address;
	unsigned int request_timeout;
	unsigned int idle_timeout;
	unsigned int backlog;
};

static time_t
now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static void *
reaper_main(void *arg)
{
	struct connlimit *l = arg;
	struct timespec ts;
	unsigned int n;
	time_t now;

	pthread_mutex_lock(&l->mu);
	while (!l->stopping) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += 1;
		pthread_cond_timedwait(&l->cv, &l->mu, &ts);
		if (l->stopping)
			break;
		now = now_mono();
		n = 0;
		/* The entry is removed (CLOSED notification, under mu) before
		 * libmicrohttpd closes the descriptor, so fd is still this
		 * connection's socket here. */
		for (struct tracked *t = l->head.next; t != &l->head;
		     t = t->next) {
			time_t d =
			        __atomic_load_n(&t->deadline, __ATOMIC_RELAXED);
			if (d == 0 || d > now)
				continue;
			shutdown(t->fd, SHUT_RDWR);
			__atomic_store_n(&t->deadline, 0, __ATOMIC_RELAXED);
			n++;
		}
		if (n > 0)
			log_info(
			        "closed %u connection(s) that sent no complete "
			        "request within %us",
			        n, l->request_timeout);
	}
	pthread_mutex_unlock(&l->mu);
	return NULL;
}

static void
on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
              enum MHD_ConnectionNotificationCode code)
{
	struct connlimit *l = cls;
	struct tracked *t = *socket_context;
	const union MHD_ConnectionInfo *ci;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		ci = MHD_get_connection_info(c,
		                             MHD_CONNECTION_INFO_CONNECTION_FD);
		t = calloc(1, sizeof(*t));
		if (t == NULL || ci == NULL) {
			free(t);
			return; /* untracked: only the idle timeout applies */
		}
		t->fd = ci->connect_fd;
		pthread_mutex_lock(&l->mu);
		t->deadline = now_mono() + l->request_timeout;
		t->next = l->head.next;
		t->prev = &l->head;
		l->head.next->prev = t;
		l->head.next = t;
		pthread_mutex_unlock(&l->mu);
		*socket_context = t;
		return;
	}
	if (t == NULL)
		return;
	pthread_mutex_lock(&l->mu);
	t->prev->next = t->next;
	t->next->prev = t->prev;
	pthread_mutex_unlock(&l->mu);
	free(t);
	*socket_context = NULL;
}

static struct tracked *
tracked_of(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci =
	        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci != NULL ? ci->socket_context : NULL;
}

void
connlimit_request_received(struct MHD_Connection *c)
{
	struct tracked *t = tracked_of(c);

	/* Only the connection's own thread writes its deadline; the reaper
	 * reads it under mu and at worst shuts a socket one second late. */
	if (t != NULL)
		__atomic_store_n(&t->deadline, 0, __ATOMIC_RELAXED);
}

void
connlimit_request_done(struct connlimit *l, struct MHD_Connection *c)
{
	struct tracked *t = tracked_of(c);

	if (t != NULL)
		__atomic_store_n(&t->deadline, now_mono() + l->request_timeout,
		                 __ATOMIC_RELAXED);
}

int
connlimit_new(struct connlimit **out, const struct server_config *cfg,
              struct err *e)
{
	struct rlimit rl;
	pthread_condattr_t ca;
	struct connlimit *l;
	rlim_t fds;
	int rc;

	l = calloc(1, sizeof(*l));
	if (l == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	pthread_mutex_init(&l->mu, NULL);
	/* The reaper waits on CLOCK_MONOTONIC deadlines. */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&l->cv, &ca);
	pthread_condattr_destroy(&ca);
	l->head.next = l->head.prev = &l->head;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
		rc = err_set(e, SL_EINTERNAL,
		             "getrlimit(RLIMIT_NOFILE) failed");
		goto out;
	}
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			getrlimit(RLIMIT_NOFILE, &rl);
	}
	fds = rl.rlim_cur == RLIM_INFINITY ? 1u << 20 : rl.rlim_cur;
	if (fds <= FD_RESERVE + 32) {
		rc = err_set(e, SL_EINVAL,
		             "open file limit %llu is too low (need more than "
		             "%d)",
		             (unsigned long long)fds, FD_RESERVE + 32);
		goto out;
	}
	l->max_conns = (unsigned int)((fds - FD_RESERVE) / 2);
	if (cfg->max_connections > 0 &&
	    (unsigned int)cfg->max_connections < l->max_conns)
		l->max_conns = (unsigned int)cfg->max_connections;
	l->per_address = (unsigned int)cfg->per_address_connections;
	l->request_timeout = (unsigned int)cfg->request_timeout;
	l->idle_timeout = (unsigned int)cfg->idle_timeout;
	l->backlog = (unsigned int)cfg->listen_backlog;
	if (pthread_create(&l->reaper, NULL, reaper_main, l) != 0) {
		rc = err_set(e, SL_EINTERNAL, "cannot start the reaper thread");
		goto out;
	}
	l->reaper_started = 1;
	*out = l;
	l = NULL;
	rc = SL_OK;
out:
	connlimit_free(l);
	return rc;
}

void
connlimit_free(struct connlimit *l)
{
	if (l == NULL)
		return;
	if (l->reaper_started) {
		pthread_mutex_lock(&l->mu);
		l->stopping = 1;
		pthread_cond_signal(&l->cv);
		pthread_mutex_unlock(&l->mu);
		pthread_join(l->reaper, NULL);
	}
	pthread_cond_destroy(&l->cv);
	pthread_mutex_destroy(&l->mu);
	free(l);
}

unsigned int
connlimit_share(const struct connlimit *l, unsigned int share)
{
	unsigned int max = l->max_conns / (share > 0 ? share : 1);

	return max > 0 ? max : 1;
}

size_t
connlimit_options(struct connlimit *l, struct MHD_OptionItem *opts,
                  unsigned int max)
{
	size_t n = 0;

	opts[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_LIMIT,
	                                    max > 0 ? max : 1, NULL};
	if (l->per_address > 0)
		opts[n++] = (struct MHD_OptionItem){
		        MHD_OPTION_PER_IP_CONNECTION_LIMIT, l->per_address,
		        NULL};
	opts[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_TIMEOUT,
	                                    l->idle_timeout, NULL};
	opts[n++] = (struct MHD_OptionItem){MHD_OPTION_LISTEN_BACKLOG_SIZE,
	                                    l->backlog, NULL};
	opts[n++] = (struct MHD_OptionItem){MHD_OPTION_NOTIFY_CONNECTION,
	                                    (intptr_t)on_connection, l};
	return n;
}

unsigned int
connlimit_max_connections(const struct connlimit *l)
{
	return l->max_conns;
}
