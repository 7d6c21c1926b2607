/*
 * sluice-agent: the Sluice client agent (the Automatic Updates role).
 *
 * One-shot commands (detect, install, status) and the daemon (run) share
 * the same steps from agent.h; this file only parses the command line,
 * loads the configuration and schedules the steps.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "agent.h"
#include "agentapi.h"
#include "agentcfg.h"
#include "hash.h"
#include "httpc.h"
#include "log.h"
#include "pidlock.h"
#include "version.h"

#define DEFAULT_CONFIG "/etc/sluice/agent.conf"
#define RETRY_S        600 /* after a failed sync: 10-20 minutes */

struct opts {
	const char *config;
	const char *root, *state, *server;
	bool once;
	bool verbose;
};

struct command {
	const char *name;
	int (*fn)(struct agent *a, const struct opts *o);
	bool needs_keys;
	const char *help;
};

static volatile int stop_flag;

static void
on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

/* Sync (a failure is logged; the stored view is still evaluated). */
static int
sync_step(struct agent *a)
{
	struct err e;

	if (agent_sync(a, &e) != SL_OK) {
		log_error("%s", e.msg);
		return 1;
	}
	return 0;
}

static int
flush_step(struct agent *a)
{
	size_t s = 0, ev = 0, qs = 0, qe = 0;
	struct err e;

	if (agent_flush(a, &s, &ev, &e) != SL_OK) {
		if (agentstate_queue_count(a->st, &qs, &qe, NULL) == SL_OK)
			log_warn("report not sent (%s); %zu state(s) and %zu "
			         "event(s) stay queued",
			         e.msg, qs, qe);
		else
			log_warn("report not sent: %s", e.msg);
		return 1;
	}
	return 0;
}

static void
log_summary(const struct detection *d)
{
	size_t needed = 0, installed = 0, na = 0, failed = 0;

	for (size_t i = 0; i < d->n; i++) {
		const char *s = d->ups[i].state;
		if (strncmp(s, "installed", 9) == 0)
			installed++;
		else if (strcmp(s, "not-applicable") == 0)
			na++;
		else if (strcmp(s, "failed") == 0)
			failed++;
		else
			needed++;
	}
	log_info("detection: %zu update(s): %zu needed, %zu installed, %zu "
	         "failed, %zu not applicable",
	         d->n, needed, installed, failed, na);
}

static int
evaluate_step(struct agent *a, struct detection **d)
{
	struct err e;

	detection_free(*d);
	*d = NULL;
	if (agent_evaluate(d, a, &e) != SL_OK) {
		log_error("%s", e.msg);
		return 1;
	}
	log_summary(*d);
	agent_prune_downloads(a);
	return 0;
}

static int
lock_step(struct agent *a)
{
	struct err e;

	if (agent_lock(a, &e) != SL_OK) {
		log_error("%s", e.msg);
		return 1;
	}
	return 0;
}

static int
cmd_detect(struct agent *a, const struct opts *o)
{
	struct detection *d = NULL;
	int bad;

	(void)o;
	if (lock_step(a) != 0)
		return 1;
	bad = sync_step(a);
	bad |= evaluate_step(a, &d);
	bad |= flush_step(a);
	detection_free(d);
	return bad ? 1 : 0;
}

/* Install what is due (everything, or only past-deadline updates). */
static int
install_step(struct agent *a, struct detection **d, bool due_only)
{
	size_t n = 0, failed = 0;
	struct err e;
	int bad = 0;

	if (agent_apply(a, *d, due_only, &stop_flag, &n, &failed, &e) !=
	    SL_OK) {
		log_error("%s", e.msg);
		bad = 1;
	}
	if (failed > 0) {
		log_warn("%zu of %zu installer(s) failed", failed, n);
		bad = 1;
	}
	if (n > 0)
		bad |= evaluate_step(a, d);
	else
		log_info("nothing to install");
	return bad;
}

static int
cmd_install(struct agent *a, const struct opts *o)
{
	struct detection *d = NULL;
	int bad;

	(void)o;
	if (lock_step(a) != 0)
		return 1;
	bad = sync_step(a);
	if (evaluate_step(a, &d) == 0)
		bad |= install_step(a, &d, false);
	else
		bad = 1;
	bad |= flush_step(a);
	detection_free(d);
	return bad ? 1 : 0;
}

static int
cmd_status(struct agent *a, const struct opts *o)
{
	struct as_state *st = NULL;
	size_t n = 0, qs = 0, qe = 0;
	char *id = NULL, *token = NULL, why[ERR_MSG_MAX];
	struct err e;

	(void)o;
	if (agentstate_states_load(a->st, &st, &n, &e) != SL_OK ||
	    agentstate_queue_count(a->st, &qs, &qe, &e) != SL_OK) {
		log_error("%s", e.msg);
		return 1;
	}
	if (agentstate_identity(a->st, &id, &token, NULL) == SL_OK)
		printf("computer %s, server %s\n", id, a->cfg->server);
	else
		printf("not registered yet (server %s)\n", a->cfg->server);
	if (agent_catalog_stale(a, why, sizeof(why)))
		printf("catalog stale: %s (nothing is installed)\n", why);
	putchar('\n');
	free(id);
	free(token);
	printf("%-36s %4s  %-40s %-24s %s\n", "ID", "REV", "TITLE", "STATE",
	       "DETAIL");
	for (size_t i = 0; i < n; i++)
		printf("%-36s %4lld  %-40.40s %-24s %s\n", st[i].id,
		       (long long)st[i].revision,
		       st[i].title ? st[i].title : "-", st[i].state,
		       st[i].detail ? st[i].detail : "");
	printf("%zu update(s); report queue: %zu state(s), %zu event(s)\n", n,
	       qs, qe);
	agentstate_states_free(st, n);
	return 0;
}

/* The local time at HH:MM on the day of now, plus days. */
static long long
daily_at(long long now, int hour, int minute, int days)
{
	time_t t = (time_t)now;
	struct tm tm;

	localtime_r(&t, &tm);
	tm.tm_hour = hour;
	tm.tm_min = minute;
	tm.tm_sec = 0;
	tm.tm_mday += days;
	tm.tm_isdst = -1;
	return (long long)mktime(&tm);
}

/* The next local time at HH:MM after now. */
static long long
next_daily(long long now, int hour, int minute)
{
	long long at = daily_at(now, hour, minute, 0);

	return at > now ? at : daily_at(now, hour, minute, 1);
}

/* When the daemon installs next: at once when a scheduled time passed
 * since the last install run (the computer was off or the agent stopped:
 * a missed schedule), else at the next daily time. A first start counts
 * as an install run. */
static long long
first_install(struct agent *a, long long now)
{
	long long prev =
	        daily_at(now, a->cfg->install_hour, a->cfg->install_minute, 0);
	char *last = NULL, now_s[24];
	long long at;

	if (prev > now)
		prev = daily_at(now, a->cfg->install_hour,
		                a->cfg->install_minute, -1);
	if (agentstate_meta(a->st, "last_install_at", &last, NULL) != SL_OK)
		last = NULL;
	if (last == NULL) {
		snprintf(now_s, sizeof(now_s), "%lld", now);
		agentstate_set_meta(a->st, "last_install_at", now_s, NULL);
		at = next_daily(now, a->cfg->install_hour,
		                a->cfg->install_minute);
	} else if (strtoll(last, NULL, 10) < prev) {
		log_info("the install time %s was missed; installing now",
		         a->cfg->install_time);
		at = now;
	} else {
		at = next_daily(now, a->cfg->install_hour,
		                a->cfg->install_minute);
	}
	free(last);
	return at;
}

static void
note_install_run(struct agent *a)
{
	char now_s[24];

	snprintf(now_s, sizeof(now_s), "%lld", (long long)time(NULL));
	agentstate_set_meta(a->st, "last_install_at", now_s, NULL);
}

/* Seconds to the next detection: the interval plus a random spread (at
 * most an hour); after a failed sync, 10-20 minutes. */
static long long
detect_delay(const struct agentcfg *c, bool synced)
{
	long long base = c->detect_interval_hours * 3600;
	long long spread = base / 10 < 3600 ? base / 10 : 3600;

	if (!synced)
		return RETRY_S + (long long)randombytes_uniform(RETRY_S);
	return base + (long long)randombytes_uniform((uint32_t)spread + 1);
}

static int
cmd_run(struct agent *a, const struct opts *o)
{
	struct detection *d = NULL;
	struct sigaction sa;
	long long now = (long long)time(NULL);
	long long next_detect, next_install;
	struct pidlock *lock = NULL;
	size_t qs = 0, qe = 0;
	int bad = 0;
	struct err e;

	/* One daemon per state directory; the one-shot commands share it
	 * with the daemon through agent_lock() between steps. */
	err_clear(&e);
	if (pidlock_acquire(&lock, a->cfg->state_dir, "agent.pid", &e) !=
	    SL_OK) {
		log_error("%s", e.msg);
		return 1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	/* Spread the first detection of many agents started together. */
	next_detect = o->once ? now : now + randombytes_uniform(60);
	next_install = first_install(a, now);
	log_info("agent started (server %s, root %s); first detection in %lld "
	         "s, daily install at %s",
	         a->cfg->server, a->cfg->root, next_detect - now,
	         a->cfg->install_time);
	while (!stop_flag) {
		if (lock_step(a) != 0)
			break;
		now = (long long)time(NULL);
		if (now >= next_detect || now >= next_install) {
			bool install = now >= next_install, synced;
			bad = sync_step(a);
			synced = bad == 0;
			bad |= evaluate_step(a, &d);
			if (d != NULL && install)
				bad |= install_step(a, &d, false);
			else if (d != NULL && agent_deadline_due(d, now))
				bad |= install_step(a, &d, true);
			bad |= flush_step(a);
			now = (long long)time(NULL);
			next_detect = now + detect_delay(a->cfg, synced);
			if (install)
				note_install_run(a);
			if (install)
				next_install =
				        next_daily(now, a->cfg->install_hour,
				                   a->cfg->install_minute);
			if (o->once) {
				agent_unlock(a);
				break;
			}
		} else if (d != NULL && agent_deadline_due(d, now)) {
			/* Look again first: a one-shot command may have
			 * installed it meanwhile. */
			bad = evaluate_step(a, &d);
			if (d != NULL && agent_deadline_due(d, now))
				bad |= install_step(a, &d, true);
			bad |= flush_step(a);
		} else if (agentstate_queue_count(a->st, &qs, &qe, NULL) ==
		                   SL_OK &&
		           qs + qe > 0) {
			flush_step(a);
		}
		agent_unlock(a);
		/* Wake every minute: queue retries and deadlines. */
		for (int i = 0; i < 60 && !stop_flag; i++) {
			struct timespec ts = {1, 0};
			if ((long long)time(NULL) >= next_detect)
				break;
			nanosleep(&ts, NULL);
		}
	}
	detection_free(d);
	log_info("agent stopped");
	pidlock_release(lock);
	return bad ? 1 : 0;
}

static const struct command commands[] = {
        {"detect", cmd_detect, true,
         "sync with the server, evaluate every approved update, report"},
        {"install", cmd_install, true,
         "detect, then download and install what is approved and needed"},
        {"status", cmd_status, false,
         "show every update's state on this computer"},
        {"run", cmd_run, true,
         "daemon: detect every few hours, install at the daily time or "
         "when a deadline passed (--once: one cycle)"},
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void
usage(FILE *f)
{
	fprintf(f, "usage: sluice-agent COMMAND [--config FILE] [--root DIR] "
	           "[--state DIR] [--server URL] [--once] [--verbose]\n"
	           "       sluice-agent --help | --version\n\ncommands:\n");
	for (size_t i = 0; i < N_COMMANDS; i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].help);
	fprintf(f,
	        "\nThe configuration file (default %s, optional) has an "
	        "[agent] section; --dump-config shows the effective "
	        "configuration,\n--print-config-template every option "
	        "with its default.\n",
	        DEFAULT_CONFIG);
}

static int
setup(struct agentcfg *cfg, const struct opts *o, bool needs_keys)
{
	struct err e;
	int rc;

	if (agentcfg_init(cfg, &e) != SL_OK)
		fatal("%s", e.msg);
	rc = agentcfg_load(cfg, o->config ? o->config : DEFAULT_CONFIG, &e);
	if (rc != SL_OK && !(rc == SL_ENOTFOUND && o->config == NULL)) {
		log_error("config: %s", e.msg);
		return 2;
	}
	agentapi_set_proxy(cfg->proxy);
	if ((o->root && agentcfg_set(cfg, "root", o->root, &e) != SL_OK) ||
	    (o->state &&
	     agentcfg_set(cfg, "state_dir", o->state, &e) != SL_OK) ||
	    (o->server &&
	     agentcfg_set(cfg, "server", o->server, &e) != SL_OK)) {
		log_error("%s", e.msg);
		return 2;
	}
	if (needs_keys && agentcfg_finish(cfg, &e) != SL_OK) {
		log_error("config: %s", e.msg);
		return 2;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	const struct command *cmd = NULL;
	struct opts o = {0};
	struct agentcfg cfg;
	struct agent a;
	struct err e;
	bool dump = false;
	int rc;

	for (int i = 1; i < argc; i++) {
		const char *s = argv[i];
		const char **target = NULL;

		if (strcmp(s, "--help") == 0 || strcmp(s, "-h") == 0) {
			usage(stdout);
			return 0;
		}
		if (strcmp(s, "--version") == 0) {
			printf("sluice-agent %s\n", SLUICE_VERSION);
			return 0;
		}
		if (strcmp(s, "--once") == 0) {
			o.once = true;
			continue;
		}
		if (strcmp(s, "--verbose") == 0 || strcmp(s, "-v") == 0) {
			o.verbose = true;
			continue;
		}
		if (strcmp(s, "--print-config-template") == 0) {
			agentcfg_template(stdout);
			return 0;
		}
		if (strcmp(s, "--dump-config") == 0) {
			dump = true;
			continue;
		}
		if (strcmp(s, "--config") == 0)
			target = &o.config;
		else if (strcmp(s, "--root") == 0)
			target = &o.root;
		else if (strcmp(s, "--state") == 0)
			target = &o.state;
		else if (strcmp(s, "--server") == 0)
			target = &o.server;
		if (target != NULL) {
			if (i + 1 >= argc) {
				fprintf(stderr,
				        "sluice-agent: %s needs a "
				        "value\n",
				        s);
				return 2;
			}
			*target = argv[++i];
			continue;
		}
		for (size_t k = 0; cmd == NULL && k < N_COMMANDS; k++)
			if (strcmp(s, commands[k].name) == 0)
				cmd = &commands[k];
		if (cmd == NULL || s[0] == '-') {
			fprintf(stderr, "sluice-agent: unknown argument %s\n",
			        s);
			usage(stderr);
			return 2;
		}
	}
	log_init("sluice-agent", o.verbose ? LOG_LVL_DEBUG : LOG_LVL_INFO);
	if (dump) {
		if ((rc = setup(&cfg, &o, false)) != 0)
			return rc;
		agentcfg_dump(&cfg, stdout);
		agentcfg_free(&cfg);
		return 0;
	}
	if (cmd == NULL) {
		usage(stderr);
		return 2;
	}
	if (hash_global_init(&e) != SL_OK || httpc_global_init(&e) != SL_OK)
		fatal("%s", e.msg);
	if ((rc = setup(&cfg, &o, cmd->needs_keys)) != 0) {
		agentcfg_free(&cfg);
		return rc;
	}
	httpc_set_ca_file(cfg.ca_file);
	if (agent_open(&a, &cfg, &e) != SL_OK) {
		log_error("%s", e.msg);
		agentcfg_free(&cfg);
		return 1;
	}
	rc = cmd->fn(&a, &o);
	agent_close(&a);
	agentcfg_free(&cfg);
	return rc;
}
