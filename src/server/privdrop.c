/*
 * privdrop: dropping root after binding (privdrop.h).
 */
#include "privdrop.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsx.h"

int
privdrop_apply(enum privdrop_result *out, const struct server_config *cfg,
               struct err *e)
{
	struct passwd pw, *pwp = NULL;
	struct group gr, *grp = NULL;
	char pbuf[4096], gbuf[4096];
	struct stat st;
	uid_t uid;
	gid_t gid;
	int rc;

	if (geteuid() != 0) {
		*out = PRIVDROP_NOT_ROOT;
		return SL_OK;
	}
	if (cfg->run_user == NULL)
		return err_set(e, SL_EINVAL,
		               "started as root: server.user must name the "
		               "account to run as");
	if (getpwnam_r(cfg->run_user, &pw, pbuf, sizeof(pbuf), &pwp) != 0 ||
	    pwp == NULL)
		return err_set(
		        e, SL_EINVAL,
		        "started as root: server.user '%s' is not an "
		        "account on this system (create it, e.g. adduser "
		        "--system --group %s, or name another one); "
		        "sluiced does not serve as root",
		        cfg->run_user, cfg->run_user);
	if (pw.pw_uid == 0) {
		if (strcmp(cfg->run_user, "root") != 0)
			return err_set(e, SL_EINVAL,
			               "server.user '%s' is root under another "
			               "name",
			               cfg->run_user);
		*out = PRIVDROP_KEPT_ROOT;
		return SL_OK;
	}
	uid = pw.pw_uid;
	gid = pw.pw_gid;
	if (cfg->run_group != NULL) {
		if (getgrnam_r(cfg->run_group, &gr, gbuf, sizeof(gbuf), &grp) !=
		            0 ||
		    grp == NULL)
			return err_set(e, SL_EINVAL,
			               "server.group '%s' is not a group on "
			               "this system",
			               cfg->run_group);
		gid = gr.gr_gid;
	}
	/* A data directory made now belongs to the account; an existing
	 * one is left as it is (the package makes it sluice's). */
	if (stat(cfg->data_dir, &st) != 0 && errno == ENOENT) {
		rc = fsx_mkdirs(cfg->data_dir, 0750, e);
		if (rc != SL_OK)
			return err_prefix(e, "server.data");
		if (chown(cfg->data_dir, uid, gid) != 0)
			return err_set(e, SL_EIO, "server.data %s: chown: %s",
			               cfg->data_dir, strerror(errno));
	}
	if (setgroups(1, &gid) != 0 || setgid(gid) != 0 || setuid(uid) != 0)
		return err_set(e, SL_EDENIED,
		               "cannot switch to user %s (uid %u, gid %u): %s",
		               cfg->run_user, (unsigned)uid, (unsigned)gid,
		               strerror(errno));
	/* Make sure there is no way back. */
	if (setuid(0) == 0 || geteuid() == 0 || getegid() != gid)
		return err_set(e, SL_EDENIED,
		               "still able to regain root after switching to "
		               "%s",
		               cfg->run_user);
	*out = PRIVDROP_DROPPED;
	return SL_OK;
}
