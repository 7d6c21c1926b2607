/*
 * install: the handlers and the exit-code mapping (see install.h).
 */
#include "install.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsx.h"
#include "install_int.h"
#include "proc.h"

#define push     install_argv_push
#define push_cat install_argv_push_cat

const char *
install_result_name(enum install_result r)
{
	switch (r) {
	case INSTALL_SUCCESS:
		return "success";
	case INSTALL_REBOOT:
		return "reboot-required";
	case INSTALL_FAILURE:
		break;
	}
	return "failure";
}

static bool
has_code(const int *codes, size_t n, int code)
{
	for (size_t i = 0; i < n; i++)
		if (codes[i] == code)
			return true;
	return false;
}

enum install_result
install_map_exit(const struct update_install *in, int code)
{
	if (has_code(in->reboot_codes, in->n_reboot_codes, code))
		return INSTALL_REBOOT;
	if (in->success_codes == NULL || in->n_success_codes == 0
	            ? code == 0
	            : has_code(in->success_codes, in->n_success_codes, code))
		return in->reboot == UPDATE_REBOOT_ALWAYS ? INSTALL_REBOOT
		                                          : INSTALL_SUCCESS;
	return INSTALL_FAILURE;
}

static int
rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static void
rm_tree(const char *dir)
{
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static ssize_t
file_index(const struct update *u, const char *name)
{
	for (size_t i = 0; i < u->n_files; i++)
		if (strcmp(u->files[i].name, name) == 0)
			return (ssize_t)i;
	return -1;
}

static bool
ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && strcmp(s + a - b, suffix) == 0;
}

int
install_argv_push(struct argv_b *a, const char *s, struct err *e)
{
	if (a->n >= INSTALL_MAX_ARGS)
		return err_set(e, SL_EINVAL, "more than %d arguments",
		               INSTALL_MAX_ARGS);
	a->v[a->n++] = (char *)s;
	a->v[a->n] = NULL;
	return SL_OK;
}

int
install_argv_push_cat(struct argv_b *a, struct err *e, const char *x,
                      const char *y, const char *z)
{
	size_t n = strlen(x) + strlen(y) + strlen(z);
	char *s;

	if (a->n_owned >= sizeof(a->owned) / sizeof(a->owned[0]))
		return err_set(e, SL_EINVAL, "more than %d arguments",
		               INSTALL_MAX_ARGS);
	if ((s = malloc(n + 1)) == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	snprintf(s, n + 1, "%s%s%s", x, y, z);
	a->owned[a->n_owned++] = s;
	return install_argv_push(a, s, e);
}

int
install_dpkg_base(struct argv_b *a, const char *root, struct err *e)
{
	int rc;

	if ((rc = push(a, "dpkg", e)) != SL_OK)
		return rc;
	if (root == NULL || strcmp(root, "/") == 0 || root[0] == '\0')
		return SL_OK;
	if ((rc = push_cat(a, e, "--root=", root, "")) != SL_OK ||
	    (rc = push_cat(a, e, "--admindir=", root, "/var/lib/dpkg")) !=
	            SL_OK ||
	    (rc = push_cat(a, e, "--instdir=", root, "")) != SL_OK ||
	    (rc = push(a, "--force-not-root", e)) != SL_OK ||
	    (rc = push(a, "--force-bad-path", e)) != SL_OK ||
	    (rc = push(a, "--log=/dev/null", e)) != SL_OK)
		return rc;
	return SL_OK;
}

/* Build argv for the job; files are named inside dir. The
 * failure message is meant for the report. */
static int
build_argv(struct argv_b *a, const struct install_job *job, const char *dir,
           struct err *e)
{
	const struct update *u = job->u;
	const char *h = u->install.handler;
	char *const *args = job->uninstall ? u->install.uninstall_arguments
	                                   : u->install.arguments;
	size_t i = 0;
	int rc;

	if (strcmp(h, "deb") == 0)
		return install_deb_argv(a, job, dir, e);
	if (job->uninstall && args == NULL)
		return err_set(e, SL_EUNSUPPORTED,
		               "the update has no uninstall arguments");
	if (strcmp(h, "dpkg") == 0) {
		if ((rc = install_dpkg_base(a, job->root, e)) != SL_OK)
			return rc;
		if (job->uninstall) {
			if (args[0] == NULL)
				return err_set(
				        e, SL_EINVAL,
				        "dpkg uninstall: no package named");
			if ((rc = push(a, "-r", e)) != SL_OK)
				return rc;
			for (i = 0; args[i] != NULL; i++)
				if ((rc = push(a, args[i], e)) != SL_OK)
					return rc;
			return SL_OK;
		}
		const char *deb = NULL;
		if (args && args[0] && file_index(u, args[0]) >= 0)
			deb = args[i++];
		for (size_t f = 0; deb == NULL && f < u->n_files; f++)
			if (ends_with(u->files[f].name, ".deb"))
				deb = u->files[f].name;
		if (deb == NULL)
			return err_set(e, SL_EINVAL,
			               "dpkg: the update has no .deb file");
		/* Further arguments are dpkg options. */
		for (; args && args[i] != NULL; i++)
			if ((rc = push(a, args[i], e)) != SL_OK)
				return rc;
		if ((rc = push(a, "-i", e)) != SL_OK)
			return rc;
		return push_cat(a, e, dir, "/", deb);
	}
	if (strcmp(h, "command") != 0 && strcmp(h, "script") != 0)
		return err_set(e, SL_EUNSUPPORTED,
		               "handler \"%s\" is not supported by this agent",
		               h);
	if (args == NULL || args[0] == NULL)
		return err_set(e, SL_EINVAL,
		               "%s: arguments[0] must name the file to run", h);
	if (file_index(u, args[0]) < 0)
		return err_set(e, SL_EINVAL,
		               "%s: \"%s\" is not one of the update's files", h,
		               args[0]);
	if (strcmp(h, "script") == 0 && (rc = push(a, "sh", e)) != SL_OK)
		return rc;
	if ((rc = push_cat(a, e, dir, "/", args[0])) != SL_OK)
		return rc;
	for (i = 1; args[i] != NULL; i++)
		if ((rc = push(a, args[i], e)) != SL_OK)
			return rc;
	return SL_OK;
}

/* Copy every available file into dir, checking its hash once more. */
static int
stage_files(const struct install_job *job, const char *dir, struct err *e)
{
	const struct update *u = job->u;
	char dst[4096];
	int rc;

	for (size_t i = 0; i < u->n_files; i++) {
		if (job->paths == NULL || job->paths[i] == NULL)
			continue;
		if ((rc = fsx_join(dst, sizeof(dst), dir, u->files[i].name,
		                   e)) != SL_OK)
			return rc;
		if ((rc = fsx_copy_atomic(job->paths[i], dst,
		                          u->files[i].sha256, NULL, NULL, e)) !=
		    SL_OK)
			return err_prefix(e, "%s", u->files[i].name);
		if (chmod(dst, strcmp(u->install.handler, "command") == 0
		                       ? 0700
		                       : 0600) != 0)
			return err_set(e, SL_EIO, "chmod %s: %s", dst,
			               strerror(errno));
	}
	return SL_OK;
}

static int
fail_outcome(struct install_outcome *out, const char *msg)
{
	memset(out, 0, sizeof(*out));
	out->result = INSTALL_FAILURE;
	out->exit_code = -1;
	snprintf(out->detail, sizeof(out->detail), "%s", msg);
	out->output = strdup(msg);
	return out->output ? SL_OK : SL_ENOMEM;
}

int
install_run(struct install_outcome *out, const struct install_job *job,
            struct err *e)
{
	const struct update *u = job->u;
	struct argv_b a;
	struct proc_result pr;
	struct proc_spec sp;
	char dir[4096], env_root[4200], env_id[64], env_rev[64];
	char *env[6];
	struct err ie;
	int rc, timeout;
	bool made = false;

	memset(&a, 0, sizeof(a));
	memset(&pr, 0, sizeof(pr));
	err_clear(&ie);
	if ((rc = fsx_mkdirs(job->work_dir, 0700, e)) != SL_OK)
		return rc;
	if (snprintf(dir, sizeof(dir), "%s/install-XXXXXX", job->work_dir) >=
	    (int)sizeof(dir))
		return err_set(e, SL_ETOOBIG, "work directory path too long");
	if (mkdtemp(dir) == NULL)
		return err_set(e, SL_EIO, "mkdtemp %s: %s", dir,
		               strerror(errno));
	made = true;
	if (build_argv(&a, job, dir, &ie) != SL_OK ||
	    stage_files(job, dir, &ie) != SL_OK) {
		rc = fail_outcome(out, ie.msg);
		if (rc != SL_OK)
			err_set(e, rc, "out of memory");
		goto out;
	}
	snprintf(env_root, sizeof(env_root), "SLUICE_ROOT=%s",
	         job->root ? job->root : "/");
	snprintf(env_id, sizeof(env_id), "SLUICE_UPDATE_ID=%s", u->id);
	snprintf(env_rev, sizeof(env_rev), "SLUICE_UPDATE_REVISION=%lld",
	         (long long)u->revision);
	env[0] = env_root;
	env[1] = env_id;
	env[2] = env_rev;
	/* The deb handler reads dpkg's messages: have them untranslated. */
	env[3] = env[4] = NULL;
	if (strcmp(u->install.handler, "deb") == 0) {
		env[3] = "LC_ALL=C";
		env[4] = "DEBIAN_FRONTEND=noninteractive";
	}
	env[5] = NULL;
	timeout = u->install.timeout_seconds > 0 ? u->install.timeout_seconds
	                                         : job->default_timeout_s;
	memset(&sp, 0, sizeof(sp));
	sp.argv = a.v;
	sp.cwd = dir;
	sp.env_add = env;
	sp.timeout_s = timeout > 0 ? timeout : 3600;
	sp.kill_grace_s = job->kill_grace_s;
	if (proc_run(&pr, &sp, &ie) != SL_OK) {
		if ((rc = fail_outcome(out, ie.msg)) != SL_OK)
			err_set(e, rc, "out of memory");
		goto out;
	}
	memset(out, 0, sizeof(*out));
	out->exit_code = pr.exit_code;
	out->output = pr.output;
	pr.output = NULL;
	if (pr.timed_out) {
		out->result = INSTALL_FAILURE;
		snprintf(out->detail, sizeof(out->detail),
		         "timed out after %d s", sp.timeout_s);
	} else if (!pr.exited) {
		out->result = INSTALL_FAILURE;
		snprintf(out->detail, sizeof(out->detail),
		         "killed by signal %d", pr.signal);
	} else {
		out->result = install_map_exit(&u->install, pr.exit_code);
		snprintf(out->detail, sizeof(out->detail), "exit code %d",
		         pr.exit_code);
		if (out->result == INSTALL_FAILURE &&
		    strcmp(u->install.handler, "deb") == 0)
			install_deb_explain(out->detail, sizeof(out->detail),
			                    out->output, pr.exit_code);
	}
	rc = SL_OK;
out:
	proc_result_clear(&pr);
	for (size_t i = 0; i < a.n_owned; i++)
		free(a.owned[i]);
	if (made)
		rm_tree(dir);
	return rc;
}

void
install_outcome_clear(struct install_outcome *o)
{
	if (o == NULL)
		return;
	free(o->output);
	memset(o, 0, sizeof(*o));
}
