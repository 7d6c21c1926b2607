/*
 * sluiced: the Sluice update server. Reads its configuration (defaults <
 * INI file < flags), opens the database (migrating it), creates the admin
 * token at first start, starts the fetch thread, the sync scheduler and
 * the HTTP server, then waits for signals: SIGHUP reloads (lifecycle.c),
 * SIGTERM/SIGINT shut everything down in reverse order (the HTTP server
 * finishes the requests in progress first). The data directory is locked
 * (DATA/sluiced.pid) so a second sluiced on it stops at once.
 */
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth.h"
#include "config.h"
#include "store/store.h"
#include "store/store_contact.h"
#include "store/store_tokcache.h"
#include "store/db_migrate.h"
#include "fetch.h"
#include "fsx.h"
#include "hash.h"
#include "api_ops.h"
#include "api_origin.h"
#include "http.h"
#include "lifecycle.h"
#include "pidlock.h"
#include "httpc.h"
#include "listen.h"
#include "log.h"
#include "privdrop.h"
#include "sandbox.h"
#include "cleanup.h"
#include "scheduler.h"
#include "sync.h"
#include "version.h"

static void
usage(FILE *f)
{
	fprintf(f,
	        "usage: sluiced [--config FILE] [--data DIR] [--listen "
	        "ADDR:PORT] [--database URL] [--check-config]\n"
	        "       sluiced [--config FILE] [--data DIR] --backup FILE\n"
	        "       sluiced --print-config-template | --help | "
	        "--version\n\n"
	        "  --config FILE    INI configuration file (see "
	        "--check-config for every option)\n"
	        "  --data DIR       data directory (server.data)\n"
	        "  --listen A:P     address and port (server.listen, default "
	        "127.0.0.1:%d)\n"
	        "  --database URL   PostgreSQL database postgresql://... "
	        "(database.url;\n"
	        "                   default: the SQLite file DATA/sluice.db)\n"
	        "  --check-config   validate the configuration, print it and "
	        "exit\n"
	        "  --backup FILE    write a consistent copy of the SQLite "
	        "database to FILE\n"
	        "                   (online: the server may be running) and "
	        "exit\n"
	        "  --migrate-to URL copy this SQLite installation into the "
	        "empty PostgreSQL\n"
	        "                   database URL (verified by counts), then "
	        "exit\n"
	        "  --print-config-template\n"
	        "                   print every option, commented out with "
	        "its default\n",
	        CONFIG_DEFAULT_PORT);
}

struct flags {
	const char *config, *data, *listen, *database, *backup, *migrate_to;
	bool check;
};

/* 0 = go on, 1 = exit 0 (help/version), 2 = usage error. */
static int
parse_flags(struct flags *fl, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			usage(stdout);
			return 1;
		} else if (strcmp(a, "--version") == 0) {
			printf("sluiced %s\n", SLUICE_VERSION);
			return 1;
		} else if (strcmp(a, "--print-config-template") == 0) {
			config_template(stdout);
			return 1;
		} else if (strcmp(a, "--check-config") == 0) {
			fl->check = true;
		} else if (i + 1 < argc && strcmp(a, "--config") == 0) {
			fl->config = argv[++i];
		} else if (i + 1 < argc && strcmp(a, "--data") == 0) {
			fl->data = argv[++i];
		} else if (i + 1 < argc && strcmp(a, "--listen") == 0) {
			fl->listen = argv[++i];
		} else if (i + 1 < argc && strcmp(a, "--backup") == 0) {
			fl->backup = argv[++i];
		} else if (i + 1 < argc && strcmp(a, "--database") == 0) {
			fl->database = argv[++i];
		} else if (i + 1 < argc && strcmp(a, "--migrate-to") == 0) {
			fl->migrate_to = argv[++i];
		} else {
			fprintf(stderr,
			        "sluiced: unknown or incomplete option "
			        "'%s'\n",
			        a);
			usage(stderr);
			return 2;
		}
	}
	return 0;
}

static int
load_config(struct server_config *cfg, const void *arg, struct err *e)
{
	const struct flags *fl = arg;
	int rc;

	rc = config_defaults(cfg, e);
	if (rc == SL_OK && fl->config)
		rc = config_load_file(cfg, fl->config, e);
	if (rc == SL_OK && fl->data)
		rc = config_set(cfg, "server", "data", fl->data, e);
	if (rc == SL_OK && fl->listen)
		rc = config_set_listen(cfg, fl->listen, e);
	if (rc == SL_OK && fl->database)
		rc = config_set(cfg, "database", "url", fl->database, e);
	if (rc == SL_OK)
		rc = config_finish(cfg, e);
	return rc;
}

static int
prepare_data(const struct server_config *cfg, struct err *e)
{
	char tmp[4096];
	int rc;

	rc = fsx_mkdirs(cfg->data_dir, 0750, e);
	if (rc == SL_OK)
		rc = fsx_mkdirs(cfg->content_dir, 0755, e);
	if (rc == SL_OK)
		rc = fsx_join(tmp, sizeof(tmp), cfg->content_dir, "tmp", e);
	if (rc == SL_OK)
		rc = fsx_mkdirs(tmp, 0755, e);
	return rc;
}

static void
migrated_table(void *arg, const char *table, int64_t rows)
{
	(void)arg;
	printf("%-24s %lld rows\n", table, (long long)rows);
}

/* --migrate-to: the SQLite file of cfg into the PostgreSQL database url. */
static int
migrate(const struct server_config *cfg, const char *url)
{
	struct err e;

	err_clear(&e);
	if (cfg->database_url != NULL) {
		log_error("--migrate-to: the source must be SQLite (this "
		          "configuration names a PostgreSQL database)");
		return 1;
	}
	if (db_migrate(cfg->db_path, url, migrated_table, NULL, &e) != SL_OK) {
		log_error("%s", e.msg);
		return 1;
	}
	log_info("migrated %s into PostgreSQL; counts verified", cfg->db_path);
	return 0;
}

int
main(int argc, char **argv)
{
	struct server_config cfg = {0};
	struct flags fl = {0};
	struct http_env env = {0};
	struct store *db = NULL;
	struct fetch *fetch = NULL;
	struct sched *sched = NULL;
	struct cleanup_thread *cleanup = NULL;
	struct http *http = NULL;
	struct ops_listener *ops = NULL;
	struct pidlock *lock = NULL;
	struct http_sockets socks = {.plain_fd = -1, .tls_fd = -1};
	enum privdrop_result pd;
	struct store_contacts *contacts = NULL;
	struct store_tokcache *tokens = NULL;
	struct api_origin_cache *origin = NULL;
	char token[AUTH_TOKEN_LEN + 1];
	bool created;
	sigset_t set;
	int rc, sig, n = 0, status = 1;
	struct err e;

	err_clear(&e);
	rc = parse_flags(&fl, argc, argv);
	if (rc != 0)
		return rc == 1 ? 0 : 2;
	log_init("sluiced", LOG_LVL_INFO);
	if (load_config(&cfg, &fl, &e) != SL_OK) {
		log_error("configuration: %s", e.msg);
		goto out;
	}
	if (fl.check) {
		config_dump(&cfg, stdout);
		status = 0;
		goto out;
	}
	if (fl.backup) {
		status = lifecycle_backup(&cfg, fl.backup);
		fl.check = true; /* no "stopped" line */
		goto out;
	}
	if (fl.migrate_to) {
		status = migrate(&cfg, fl.migrate_to);
		goto out;
	}
	if (hash_global_init(&e) != SL_OK || httpc_global_init(&e) != SL_OK) {
		log_error("init: %s", e.msg);
		goto out;
	}
	httpc_set_ca_file(cfg.upstream_ca_file);
	/* Ports and the TLS key first, then no more root (privdrop.h). */
	if (http_sockets_open(&socks, &cfg, &e) != SL_OK ||
	    privdrop_apply(&pd, &cfg, &e) != SL_OK) {
		log_error("start: %s", e.msg);
		goto out;
	}
	if (pd == PRIVDROP_DROPPED)
		log_info("running as user %s (uid %u, gid %u)", cfg.run_user,
		         (unsigned)getuid(), (unsigned)getgid());
	else if (pd == PRIVDROP_KEPT_ROOT)
		log_warn("running as root (server.user = root): a flaw in "
		         "request handling would give away the machine");
	/* Before any thread: the filter covers every thread started later. */
	if (strcmp(cfg.seccomp, "on") == 0) {
		if (sandbox_apply(&e) != SL_OK) {
			log_error("start: %s", e.msg);
			goto out;
		}
		log_info("system-call filter on (server.seccomp)");
	}
	/* Signals are taken by sigwait() in this thread only: block them
	 * before any other thread starts so every thread inherits the mask. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	/* The lock first: a second sluiced says so on its own stderr and
	 * never touches the first one's log file or database. */
	if (prepare_data(&cfg, &e) != SL_OK ||
	    pidlock_acquire(&lock, cfg.data_dir, "sluiced.pid", &e) != SL_OK ||
	    lifecycle_log_apply(&cfg, &e) != SL_OK ||
	    store_open(&db, cfg.db_path, &e) != SL_OK ||
	    sync_mark_interrupted(db, &n, &e) != SL_OK ||
	    auth_admin_bootstrap(token, &created, db, cfg.data_dir, &e) !=
	            SL_OK) {
		log_error("start: %s", e.msg);
		goto out;
	}
	if (n > 0)
		log_warn("%d interrupted sync(s) marked failed", n);
	if (created) {
		log_info("admin token created in %s/admin.token (0600; no "
		         "token is ever logged)",
		         cfg.data_dir);
		sodium_memzero(token, sizeof(token));
	}
	{
		/* A storage mode set on the running server (sluice settings)
		 * wins over the configuration file. */
		char *m = NULL;
		enum storage_mode sm;

		if (store_meta_get(db, "storage_mode", &m, &e) == SL_OK &&
		    config_storage_parse(&sm, m, &e) == SL_OK &&
		    sm != cfg.storage_mode) {
			log_info("storage mode %s (set by an administrator; "
			         "the configuration says %s)",
			         m, config_storage_name(cfg.storage_mode));
			cfg.storage_mode = sm;
		}
		free(m);
		err_clear(&e);
	}
	log_info("data %s, storage mode %s, upstream %s", cfg.data_dir,
	         config_storage_name(cfg.storage_mode),
	         cfg.upstream_url ? cfg.upstream_url : "(none)");
	/* The fetch thread runs in every mode: the mode may change while the
	 * server runs (it idles in mode none). */
	if (fetch_start(&fetch, &cfg, &e) != SL_OK) {
		log_error("start: fetch: %s", e.msg);
		goto out;
	}
	if (sched_start(&sched, &cfg, fetch, &e) != SL_OK) {
		log_error("start: %s", e.msg);
		goto out;
	}
	if (cleanup_start(&cleanup, &cfg, &e) != SL_OK) {
		log_error("start: %s", e.msg);
		goto out;
	}
	/* Agents' last-contact times, written every 2 s in one batch. */
	if (store_contacts_new(&contacts, cfg.db_path, 2000, &e) != SL_OK) {
		log_error("start: %s", e.msg);
		goto out;
	}
	/* Agents' token answers in memory: a no-change sync reads no
	 * database (store_tokcache.h). */
	if (cfg.token_cache > 0 &&
	    store_tokcache_new(&tokens, cfg.db_path, (size_t)cfg.token_cache,
	                       STORE_TOKCACHE_POLL_MS, &e) != SL_OK) {
		log_error("start: %s", e.msg);
		goto out;
	}
	if (api_origin_cache_new(&origin, &e) != SL_OK) {
		log_error("start: %s", e.msg);
		goto out;
	}
	env.cfg = &cfg;
	env.origin = origin;
	env.sched = sched;
	env.fetch = fetch;
	env.contacts = contacts;
	env.tokens = tokens;
	if (http_start(&http, &env, &socks, &e) != SL_OK ||
	    ops_listener_start(&ops, &env, &e) != SL_OK) {
		log_error("start: %s", e.msg);
		goto out;
	}
	log_info("%d HTTP worker threads per listener (server.threads)",
	         cfg.http_threads);
	if (cfg.tls_cert == NULL || strcmp(cfg.tls_plain, "off") != 0)
		log_info("listening on %s:%d%s", cfg.listen_addr, cfg.port,
		         cfg.tls_cert != NULL &&
		                         strcmp(cfg.tls_plain, "content") == 0
		                 ? " (plain HTTP: /content/ only)"
		                 : "");
	if (cfg.tls_cert != NULL)
		log_info("listening on %s:%d (TLS)", cfg.tls_addr,
		         cfg.tls_port);
	if (ops)
		log_info("metrics listening on %s:%d", cfg.metrics_addr,
		         cfg.metrics_port);
	log_info("connections: at most %u, %d per address, %ds to send a "
	         "request",
	         http_max_connections(http), cfg.per_address_connections,
	         cfg.request_timeout);
	lifecycle_notify("READY=1");
	for (;;) {
		if (sigwait(&set, &sig) != 0)
			sig = SIGTERM;
		if (sig != SIGHUP)
			break;
		log_info("SIGHUP received, reloading the configuration");
		lifecycle_reload(&cfg, load_config, &fl);
		if (cfg.tls_cert == NULL)
			continue;
		if (http_tls_reload(http, &e) != SL_OK)
			log_error("reload: %s (the running certificate "
			          "stays)",
			          e.msg);
		else
			log_info("reload: TLS certificate and key read again "
			         "from %s",
			         cfg.tls_cert);
	}
	lifecycle_notify("STOPPING=1");
	log_info("%s received, shutting down",
	         sig == SIGINT ? "SIGINT" : "SIGTERM");
	status = 0;
out:
	ops_listener_stop(ops);
	http_sockets_close(&socks);
	http_stop(http);
	cleanup_stop(cleanup);
	store_contacts_free(contacts);
	if (tokens != NULL) {
		struct store_tokcache_stats ts;

		store_tokcache_stats(&ts, tokens);
		log_info("token cache: %" PRIu64
		         " answers from memory, %" PRIu64 " reads, %" PRIu64
		         " drops, %" PRIu64 " evictions",
		         ts.hits, ts.misses, ts.drops, ts.evictions);
	}
	store_tokcache_free(tokens);
	api_origin_cache_free(origin);
	sched_stop(sched);
	fetch_stop(fetch);
	store_close(db);
	config_free(&cfg);
	if (status == 0 && !fl.check)
		log_info("stopped");
	pidlock_release(lock);
	return status;
}
