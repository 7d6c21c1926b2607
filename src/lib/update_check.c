/*
 * update_check: the origin's stricter gate (see update_check.h). Each
 * problem is reported and counted; the first one is also returned.
 */
#include "update_check.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "debver.h"
#include "rules.h"

const char *const update_check_handlers[] = {
        "command", "script", "dpkg", "deb", NULL,
};

/* dpkg actions: the dpkg handler adds -i (or -r) itself. */
static const char *const dpkg_actions[] = {
        "-i",      "--install", "-r",          "--remove",        "-P",
        "--purge", "--unpack",  "--configure", "--triggers-only", NULL,
};

struct run {
	update_check_fn fn;
	void *arg;
	size_t n;
	struct err first;
};

static void problem(struct run *r, int code, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static void
problem(struct run *r, int code, const char *fmt, ...)
{
	char msg[ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (r->n++ == 0)
		err_set(&r->first, code, "%s", msg);
	if (r->fn != NULL)
		r->fn(r->arg, code, msg);
}

static bool
in_list(const char *s, const char *const *list)
{
	for (size_t i = 0; list[i] != NULL; i++)
		if (strcmp(s, list[i]) == 0)
			return true;
	return false;
}

static bool
is_deb(const char *name)
{
	size_t n = strlen(name);

	return n > 4 && strcmp(name + n - 4, ".deb") == 0;
}

static bool
is_file(const struct update *u, const char *name)
{
	for (size_t i = 0; i < u->n_files; i++)
		if (strcmp(u->files[i].name, name) == 0)
			return true;
	return false;
}

static void
check_rules(struct run *r, const struct update *u)
{
	struct err e;

	err_clear(&e);
	if (u->is_installed != NULL &&
	    rules_check(u->is_installed, "applicability.is_installed", &e) !=
	            SL_OK)
		problem(r, e.code, "%s", e.msg);
	err_clear(&e);
	if (u->is_installable != NULL &&
	    rules_check(u->is_installable, "applicability.is_installable",
	                &e) != SL_OK)
		problem(r, e.code, "%s", e.msg);
}

static void
check_debs(struct run *r, const struct update *u, const char *h)
{
	bool deb_handler = strcmp(h, "deb") == 0;
	size_t n_debs = 0;
	struct err e;

	for (size_t i = 0; i < u->n_files; i++) {
		const struct update_file *f = &u->files[i];

		if (!is_deb(f->name))
			continue;
		n_debs++;
		if (!deb_handler)
			continue;
		if (f->deb == NULL) {
			problem(r, SL_EINVAL,
			        "files[%zu].deb: required by the deb handler "
			        "('%s' has no deb object)",
			        i, f->name);
			continue;
		}
		err_clear(&e);
		if (debver_valid(f->deb->version, &e) != SL_OK)
			problem(r, SL_EINVAL, "files[%zu].deb.version: %s", i,
			        e.msg);
	}
	if (n_debs == 0)
		problem(r, SL_EINVAL,
		        "files: the %s handler needs a .deb file and the "
		        "update "
		        "has none",
		        h);
}

static void
check_install(struct run *r, const struct update *u)
{
	const struct update_install *in = &u->install;
	const char *h = in->handler ? in->handler : "";
	char *const *args = in->arguments;

	if (!in_list(h, update_check_handlers)) {
		problem(r, SL_EUNSUPPORTED,
		        "install.handler: '%s' is not a handler the agent has "
		        "(command, script, dpkg, deb)",
		        h);
		return;
	}
	if (strcmp(h, "dpkg") == 0 || strcmp(h, "deb") == 0)
		check_debs(r, u, h);
	if (strcmp(h, "deb") == 0) {
		if (args != NULL && args[0] != NULL)
			problem(r, SL_EINVAL,
			        "install.arguments: the deb handler takes none "
			        "(it installs the update's .deb files that are "
			        "installed in an older version)");
		if (in->uninstall_arguments != NULL)
			problem(r, SL_EINVAL,
			        "install.uninstall_arguments: the deb handler "
			        "cannot uninstall (a downgrade is not a Debian "
			        "operation)");
		return;
	}
	if (strcmp(h, "dpkg") == 0) {
		for (size_t i = 0; args != NULL && args[i] != NULL; i++) {
			if (i == 0 && is_file(u, args[i]))
				continue;
			if (in_list(args[i], dpkg_actions))
				problem(r, SL_EINVAL,
				        "install.arguments[%zu]: '%s' is a "
				        "dpkg "
				        "action: the dpkg handler adds -i "
				        "itself",
				        i, args[i]);
			else if (strncmp(args[i], "--", 2) != 0)
				problem(r, SL_EINVAL,
				        "install.arguments[%zu]: '%s' is "
				        "neither "
				        "the .deb file (arguments[0]) nor a "
				        "dpkg "
				        "--option",
				        i, args[i]);
		}
		if (in->uninstall_arguments != NULL &&
		    in->uninstall_arguments[0] == NULL)
			problem(r, SL_EINVAL,
			        "install.uninstall_arguments: the dpkg handler "
			        "needs the packages to remove");
		return;
	}
	/* command and script */
	if (args == NULL || args[0] == NULL)
		problem(r, SL_EINVAL,
		        "install.arguments[0]: required: the %s handler runs "
		        "the file it names",
		        h);
	else if (!is_file(u, args[0]))
		problem(r, SL_EINVAL,
		        "install.arguments[0]: '%s' is not one of the files",
		        args[0]);
	if (in->uninstall_arguments != NULL &&
	    (in->uninstall_arguments[0] == NULL ||
	     !is_file(u, in->uninstall_arguments[0])))
		problem(r, SL_EINVAL,
		        "install.uninstall_arguments[0]: '%s' is not one of "
		        "the "
		        "files",
		        in->uninstall_arguments[0] ? in->uninstall_arguments[0]
		                                   : "");
}

int
update_check(const struct update *u, update_check_fn fn, void *arg,
             size_t *n_problems, struct err *e)
{
	struct run r;

	memset(&r, 0, sizeof(r));
	r.fn = fn;
	r.arg = arg;
	err_clear(&r.first);
	check_rules(&r, u);
	check_install(&r, u);
	if (n_problems != NULL)
		*n_problems = r.n;
	if (r.n == 0)
		return SL_OK;
	return err_set(e, r.first.code, "%s", r.first.msg);
}
