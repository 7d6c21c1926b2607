/*
 * detect: the agent's context, registration, sync and the evaluation of
 * the approved view into per-update states (see agent.h).
 *
 * Trust: the server only transports documents. Each envelope is verified
 * against the agent's own trusted keys before its rules are read; a
 * refused document is never used, and its refusal is reported once.
 */
#include "agent.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agentapi.h"
#include "fsx.h"
#include "hash.h"
#include "httpc.h"
#include "log.h"
#include "osinfo.h"
#include "rules.h"
#include "sign.h"

/* The kernel's id of this boot (a /proc file: its size reads as 0, so it
 * is read directly). "" when unknown. */
static void
read_boot_id(char out[40])
{
	ssize_t n;
	int fd;

	out[0] = '\0';
	if ((fd = open("/proc/sys/kernel/random/boot_id",
	               O_RDONLY | O_CLOEXEC)) < 0)
		return;
	n = read(fd, out, 39);
	close(fd);
	if (n <= 0)
		return;
	out[n] = '\0';
	while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == ' '))
		out[--n] = '\0';
}

int
agent_open(struct agent *a, struct agentcfg *cfg, struct err *e)
{
	size_t n = 0;
	int rc;

	memset(a, 0, sizeof(*a));
	a->cfg = cfg;
	a->lock_fd = -1;
	if ((rc = fsx_mkdirs(cfg->state_dir, 0700, e)) != SL_OK ||
	    (rc = fsx_join(a->db_path, sizeof(a->db_path), cfg->state_dir,
	                   "agent.db", e)) != SL_OK ||
	    (rc = fsx_join(a->downloads, sizeof(a->downloads), cfg->state_dir,
	                   "downloads", e)) != SL_OK ||
	    (rc = fsx_join(a->work, sizeof(a->work), cfg->state_dir, "work",
	                   e)) != SL_OK ||
	    (rc = fsx_mkdirs(a->downloads, 0700, e)) != SL_OK)
		return err_prefix(e, "state directory");
	if ((rc = agentstate_open(&a->st, a->db_path, e)) != SL_OK)
		return rc;
	read_boot_id(a->boot_id);
	if ((rc = agent_freshness_load(a, e)) != SL_OK ||
	    (rc = agentstate_journal_recover(a->st, &n, e)) != SL_OK) {
		agent_close(a);
		return rc;
	}
	if (n > 0)
		log_warn("%zu install(s) were interrupted when the agent "
		         "stopped; reported as failed",
		         n);
	return SL_OK;
}

void
agent_close(struct agent *a)
{
	if (a == NULL)
		return;
	agent_unlock(a);
	agentstate_close(a->st);
	a->st = NULL;
}

/* The machine identity: STATE/machine-id (an administrator may set it),
 * else ROOT/etc/machine-id; "" when neither is readable. A reinstalled
 * machine that registers again with it replaces its old record. */
static void
machine_id(char out[128], const struct agent *a)
{
	const char *dirs[2] = {a->cfg->state_dir, a->cfg->root};
	const char *names[2] = {"machine-id", "etc/machine-id"};
	char path[4096];

	out[0] = '\0';
	for (int i = 0; i < 2 && out[0] == '\0'; i++) {
		FILE *f;

		snprintf(path, sizeof(path), "%s/%s", dirs[i], names[i]);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		if (fgets(out, 128, f) == NULL)
			out[0] = '\0';
		fclose(f);
		out[strcspn(out, " \t\r\n")] = '\0';
	}
}

static int
do_register(struct agent *a, struct err *e)
{
	struct agentapi_host h;
	struct agentapi_joined j = {0};
	struct osinfo *oi = NULL;
	char host[256], *id = NULL, *token = NULL, mid[128];
	int rc;

	if ((rc = osinfo_load(&oi, a->cfg->root, e)) != SL_OK)
		return err_prefix(e, "register");
	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "unknown");
	host[sizeof(host) - 1] = '\0';
	h.hostname = host;
	h.os_id = oi->id;
	h.os_version = oi->version_id;
	h.arch = oi->arch;
	h.kernel = oi->kernel;
	h.groups = a->cfg->groups;
	h.enrollment_key = a->cfg->enrollment_key;
	machine_id(mid, a);
	h.machine_id = mid[0] ? mid : NULL;
	if ((rc = agentapi_register(&id, &token, &j, a->cfg->server, &h, e)) !=
	    SL_OK)
		goto out;
	if ((rc = agentstate_set_identity(a->st, id, token, e)) != SL_OK)
		goto out;
	log_info("registered with %s as computer %s", a->cfg->server, id);
	log_info("joined group(s): %s", j.groups);
	if (*j.unknown)
		log_warn("requested group(s) that do not exist on the server: "
		         "%s",
		         j.unknown);
out:
	osinfo_free(oi);
	free(j.groups);
	free(j.unknown);
	free(id);
	free(token);
	return rc;
}

/* The most pages one sync may take (up to 5000 updates each on the
 * server: far above any catalog). */
#define SYNC_PAGES_MAX 10000

static int
sync_once(struct agent *a, struct err *e)
{
	struct agentapi_sync s = {0};
	char *id = NULL, *token = NULL, *anchor = NULL, *cursor = NULL;
	size_t pages = 0, n = 0, n_removed = 0;
	bool full = false;
	int rc;

	rc = agentstate_identity(a->st, &id, &token, e);
	if (rc == SL_ENOTFOUND) {
		if ((rc = do_register(a, e)) != SL_OK)
			goto out;
		rc = agentstate_identity(a->st, &id, &token, e);
	}
	if (rc != SL_OK)
		goto out;
	if ((rc = agentstate_anchor(a->st, &anchor, e)) != SL_OK)
		goto out;
	/* The first page brings the origin's key list and timestamp: a
	 * stale catalog is not applied (freshness.c). */
	if ((rc = agentapi_sync(&s, a->cfg->server, token, anchor, NULL, e)) !=
	            SL_OK ||
	    (rc = agent_freshness_check(a, s.origin_keys, s.origin_timestamp,
	                                e)) != SL_OK)
		goto out;
	/* Page by page, all in one local transaction: an interrupted sync
	 * leaves the view as it was. Only one page is held at a time. */
	if ((rc = agentstate_begin(a->st, e)) != SL_OK)
		goto out;
	for (;;) {
		if (pages == 0)
			full = s.full;
		rc = agentstate_view_apply(a->st, pages == 0 && s.full,
		                           s.entries, s.n, s.removed,
		                           s.n_removed, s.anchor, e);
		n += s.n;
		n_removed += s.n_removed;
		free(cursor);
		cursor = s.next;
		s.next = NULL;
		if (rc == SL_OK && ++pages > SYNC_PAGES_MAX)
			rc = err_set(e, SL_EPARSE, "sync: more than %d pages",
			             SYNC_PAGES_MAX);
		if (rc != SL_OK || cursor == NULL)
			break;
		agentapi_sync_clear(&s);
		if ((rc = agentapi_sync(&s, a->cfg->server, token, anchor,
		                        cursor, e)) != SL_OK)
			break;
	}
	/* After a full sync the server may know nothing of this computer's
	 * states (new group, reset): report all of them next time. */
	if (rc == SL_OK && full)
		rc = agentstate_set_meta(a->st, "report_all", "1", e);
	if ((rc = agentstate_end(a->st, rc, e)) != SL_OK)
		goto out;
	log_info("synced %s: %zu update(s)%s, %zu removed, anchor %s",
	         full ? "fully" : "incrementally", n, full ? "" : " changed",
	         n_removed, s.anchor);
out:
	agentapi_sync_clear(&s);
	free(cursor);
	free(id);
	free(token);
	free(anchor);
	return rc;
}

int
agent_sync(struct agent *a, struct err *e)
{
	int rc = sync_once(a, e);

	if (rc == SL_EINVAL) {
		/* The server refuses our anchor (or request): start over
		 * with a full sync once. */
		log_warn("%s; syncing in full", e->msg);
		if ((rc = agentstate_set_meta(a->st, "anchor", NULL, e)) ==
		    SL_OK)
			rc = sync_once(a, e);
	}

	if (rc == SL_EAUTH) {
		log_warn("%s; registering again", e->msg);
		if ((rc = agentstate_clear_identity(a->st, e)) == SL_OK)
			rc = sync_once(a, e);
	}
	/* The evaluation needs no network: libcurl and its libraries are
	 * unloaded until the next transfer (the report, a download). */
	httpc_release();
	return rc;
}

int
agent_lock(struct agent *a, struct err *e)
{
	char path[4200];
	int fd;

	if (a->lock_fd >= 0)
		return SL_OK;
	snprintf(path, sizeof(path), "%s/agent.lock", a->cfg->state_dir);
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0)
		return err_set(e, SL_EIO, "%s: %s", path, strerror(errno));
	while (flock(fd, LOCK_EX) != 0) {
		if (errno == EINTR)
			continue;
		close(fd);
		return err_set(e, SL_EIO, "lock %s: %s", path, strerror(errno));
	}
	a->lock_fd = fd;
	return SL_OK;
}

void
agent_unlock(struct agent *a)
{
	if (a == NULL || a->lock_fd < 0)
		return;
	close(a->lock_fd); /* releases the flock */
	a->lock_fd = -1;
}

void
agent_prune_downloads(struct agent *a)
{
	struct dirent *de;
	char path[4400], name[72];
	bool wanted;
	DIR *dir;

	if ((dir = opendir(a->downloads)) == NULL)
		return;
	while ((de = readdir(dir)) != NULL) {
		size_t len = strlen(de->d_name);

		/* Only our own names: <sha256> and <sha256>.part. */
		if (len != 64 &&
		    !(len == 69 && strcmp(de->d_name + 64, ".part") == 0))
			continue;
		snprintf(name, sizeof(name), "%.64s", de->d_name);
		if (!hash_is_hex(name) ||
		    agentstate_file_wanted(a->st, name, &wanted, NULL) !=
		            SL_OK ||
		    wanted)
			continue;
		snprintf(path, sizeof(path), "%s/%s", a->downloads, de->d_name);
		if (unlink(path) == 0)
			log_info("removed download %s (no longer needed)",
			         de->d_name);
	}
	closedir(dir);
}
