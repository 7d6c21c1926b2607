/*
 * lifecycle: see lifecycle.h. Runs in sluiced's main thread only (the
 * one that takes the signals with sigwait()), so the reloadable options it
 * swaps into the running configuration are read by no other thread: the
 * levels are handed to the workers through atomics (log.h, access_log.h).
 */
#include "lifecycle.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "access_log.h"
#include "log.h"
#include "store/store.h"

int
lifecycle_log_apply(const struct server_config *cfg, struct err *e)
{
	int fd;

	log_set_level((enum log_level)cfg->log_level);
	access_log_set_level(cfg->access_level);
	if (cfg->log_file == NULL)
		return SL_OK;
	fd = open(cfg->log_file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
	          0640);
	if (fd < 0)
		return err_set(e, SL_EIO, "log.file %s: %s", cfg->log_file,
		               strerror(errno));
	if (dup2(fd, STDERR_FILENO) < 0) {
		close(fd);
		return err_set(e, SL_EIO, "log.file %s: %s", cfg->log_file,
		               strerror(errno));
	}
	close(fd);
	return SL_OK;
}

struct reload_count {
	int applied, restart;
};

static void
changed(const char *section, const char *name, bool applied, void *arg)
{
	struct reload_count *c = arg;

	if (applied) {
		c->applied++;
		log_info("reload: %s.%s changed, applied", section, name);
	} else {
		c->restart++;
		log_warn("reload: %s.%s changed, needs restart (the running "
		         "value stays)",
		         section, name);
	}
}

void
lifecycle_reload(struct server_config *cfg,
                 int (*load)(struct server_config *next, const void *arg,
                             struct err *e),
                 const void *arg)
{
	struct server_config next = {0};
	struct reload_count c = {0};
	struct timespec ts;
	char msg[64];
	struct err e;

	err_clear(&e);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%lld",
	         (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000);
	lifecycle_notify(msg);
	if (load(&next, arg, &e) != SL_OK) {
		log_error("reload: configuration: %s (nothing changed)", e.msg);
		goto out;
	}
	config_reload(cfg, &next, changed, &c);
	if (lifecycle_log_apply(cfg, &e) != SL_OK)
		log_error("reload: %s", e.msg);
	log_info("reload: %d option(s) applied, %d need a restart; log "
	         "reopened",
	         c.applied, c.restart);
out:
	config_free(&next);
	lifecycle_notify("READY=1");
}

void
lifecycle_notify(const char *state)
{
	(void)sd_notify(0, state);
}

int
lifecycle_backup(const struct server_config *cfg, const char *file)
{
	struct err e;

	err_clear(&e);
	if (store_backup(cfg->db_path, file, &e) != SL_OK) {
		log_error("%s", e.msg);
		return 1;
	}
	log_info("backup: %s written (a consistent copy of %s)", file,
	         cfg->db_path);
	return 0;
}
