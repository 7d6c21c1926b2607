/*
 * install_deb: the `deb` install handler (see install.h). An update made
 * from an apt archive carries every binary package of one source package
 * version; a machine has some of them installed. This handler upgrades
 * exactly those, in one dpkg transaction, and never installs a binary the
 * machine does not have. When dpkg fails, its messages are summed up into
 * the outcome's detail so the administrator sees why without the output.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "debver.h"
#include "dpkgdb.h"
#include "fsx.h"
#include "install_int.h"

#define STATUS_REL "var/lib/dpkg/status"

/* The key the dpkg database knows the package by: "name:arch", or plain
 * "name" for arch all. */
static int
deb_key(char *out, size_t n, const struct update_deb *d)
{
	int w = strcmp(d->arch, "all") == 0
	                ? snprintf(out, n, "%s", d->package)
	                : snprintf(out, n, "%s:%s", d->package, d->arch);

	return w >= 0 && (size_t)w < n ? SL_OK : SL_ETOOBIG;
}

/* Say why key was not chosen ("; "-separated, bounded): not installed,
 * or the version it has (have != NULL). */
static void
note(char *msg, size_t n, const char *key, const char *have)
{
	size_t used = n > 0 ? strlen(msg) : 0;

	if (used + 1 >= n)
		return;
	if (have == NULL)
		snprintf(msg + used, n - used, "%s%s not installed",
		         used ? "; " : "", key);
	else
		snprintf(msg + used, n - used, "%s%s %s installed",
		         used ? "; " : "", key, have);
}

static int
load_status(struct dpkgdb **db, const char *root, struct err *e)
{
	char path[4096];
	int rc;

	if ((rc = fsx_join(path, sizeof(path),
	                   root && root[0] != '\0' ? root : "/", STATUS_REL,
	                   e)) != SL_OK)
		return rc;
	rc = dpkgdb_load(db, path, e);
	if (rc == SL_ENOTFOUND) /* no dpkg here: nothing is installed */
		return dpkgdb_new_empty(db, e);
	return rc;
}

/* apt-get with, for a root other than "/", apt's directories and dpkg's
 * options pointing into it (its own sources.list, lists and cache). */
static int
apt_base(struct argv_b *a, const char *root, struct err *e)
{
	static const char *const dirs[][2] = {
	        {"-oDir=", ""},
	        {"-oDir::State::status=", "/var/lib/dpkg/status"},
	        {"-oDir::Etc::sourceparts=", "/etc/apt/sources.list.d"},
	        {"-oDir::Etc::parts=", "/etc/apt/apt.conf.d"},
	        {"-oDir::Etc::preferencesparts=", "/etc/apt/preferences.d"},
	        {"-oDPkg::Options::=--root=", ""},
	        {"-oDPkg::Options::=--admindir=", "/var/lib/dpkg"},
	        {"-oDPkg::Options::=--instdir=", ""},
	};
	static const char *const fixed[] = {
	        "-oDPkg::Options::=--force-not-root",
	        "-oDPkg::Options::=--force-bad-path",
	        "-oDPkg::Options::=--log=/dev/null",
	        "-oDir::Log::Terminal=/dev/null",
	        "-oDir::Log::History=/dev/null",
	        "-oDir::Log::Planner=/dev/null",
	        "-oAPT::Sandbox::User=root",
	        "-oDebug::NoLocking=1",
	};
	int rc;

	if ((rc = install_argv_push(a, "apt-get", e)) != SL_OK ||
	    (rc = install_argv_push(a, "-oDpkg::Use-Pty=0", e)) != SL_OK)
		return rc;
	if (root == NULL || strcmp(root, "/") == 0 || root[0] == '\0')
		return SL_OK;
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		if ((rc = install_argv_push_cat(a, e, dirs[i][0], root,
		                                dirs[i][1])) != SL_OK)
			return rc;
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		if ((rc = install_argv_push(a, fixed[i], e)) != SL_OK)
			return rc;
	return SL_OK;
}

int
install_deb_select(bool *chosen, size_t *n_chosen, char *why, size_t why_n,
                   const struct update *u, const char *root, struct err *e)
{
	struct dpkgdb *db = NULL;
	char key[512];
	int rc;

	*n_chosen = 0;
	if (why_n > 0)
		why[0] = '\0';
	if ((rc = load_status(&db, root, e)) != SL_OK)
		return err_prefix(e, "deb: dpkg status");
	for (size_t i = 0; i < u->n_files; i++) {
		const struct update_deb *d = u->files[i].deb;
		const char *have;

		chosen[i] = false;
		if (d == NULL)
			continue; /* not a Debian binary package */
		if (deb_key(key, sizeof(key), d) != SL_OK) {
			rc = err_set(e, SL_EINVAL,
			             "deb: %s: package name too long",
			             u->files[i].name);
			goto out;
		}
		have = dpkgdb_version(db, key);
		if (have == NULL || debver_cmp(have, d->version) >= 0) {
			note(why, why_n, key, have);
			continue;
		}
		chosen[i] = true;
		(*n_chosen)++;
	}
out:
	dpkgdb_free(db);
	return rc;
}

int
install_deb_argv(struct argv_b *a, const struct install_job *job,
                 const char *dir, struct err *e)
{
	const struct update *u = job->u;
	char why[ERR_MSG_MAX - 128];
	bool *chosen = NULL;
	size_t n_chosen = 0;
	int rc;

	if (job->uninstall)
		return err_set(
		        e, SL_EUNSUPPORTED,
		        "deb: an update of Debian packages cannot be "
		        "removed (a downgrade is not a Debian operation)");
	if (u->install.arguments != NULL && u->install.arguments[0] != NULL)
		return err_set(e, SL_EINVAL,
		               "deb: the handler takes no arguments");
	if ((chosen = calloc(u->n_files + 1, sizeof(*chosen))) == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	if ((rc = install_deb_select(chosen, &n_chosen, why, sizeof(why), u,
	                             job->root, e)) != SL_OK)
		goto out;
	if (n_chosen == 0) {
		rc = err_set(
		        e, SL_ENOTFOUND,
		        "deb: nothing to install: no package of the update "
		        "is installed in an older version (%s)",
		        why[0] ? why : "the update has no Debian package");
		goto out;
	}
	if ((rc = job->deb_apt ? apt_base(a, job->root, e)
	                       : install_dpkg_base(a, job->root, e)) != SL_OK ||
	    (rc = install_argv_push(a, job->deb_apt ? "install" : "-i", e)) !=
	            SL_OK)
		goto out;
	if (job->deb_apt &&
	    ((rc = install_argv_push(a, "-y", e)) != SL_OK ||
	     (rc = install_argv_push(a, "--no-install-recommends", e)) !=
	             SL_OK))
		goto out;
	for (size_t i = 0; i < u->n_files; i++)
		if (chosen[i] &&
		    (rc = install_argv_push_cat(a, e, dir, "/",
		                                u->files[i].name)) != SL_OK)
			goto out;
out:
	free(chosen);
	return rc;
}

/* --- dpkg's messages --------------------------------------------------- */

static bool
starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* The base name of a path dpkg printed (".../x.deb" too). */
static const char *
base(const char *s)
{
	const char *b = strrchr(s, '/');

	return b ? b + 1 : s;
}

struct explain {
	char *out;
	size_t n;
	char seen[16][256]; /* packages and archives already explained */
	size_t n_seen;
	bool open; /* a clause was started and may take reasons */
	bool has_reason;
};

static void
put(struct explain *x, const char *s)
{
	size_t used = strlen(x->out);

	if (used + 1 < x->n)
		snprintf(x->out + used, x->n - used, "%s", s);
}

static void
clause(struct explain *x, const char *who, const char *what)
{
	if (x->out[0] != '\0')
		put(x, "; ");
	put(x, who);
	put(x, ": ");
	put(x, what);
	x->open = true;
	x->has_reason = false;
}

static void
mark(struct explain *x, const char *name)
{
	const char *b = base(name);
	size_t len = strnlen(b, sizeof(x->seen[0]) - 1);

	if (x->n_seen >= sizeof(x->seen) / sizeof(x->seen[0]))
		return;
	memcpy(x->seen[x->n_seen], b, len);
	x->seen[x->n_seen++][len] = '\0';
}

static bool
marked(const struct explain *x, const char *name)
{
	for (size_t i = 0; i < x->n_seen; i++)
		if (strcmp(x->seen[i], base(name)) == 0)
			return true;
	return false;
}

/* "dpkg: HEAD NAME (--install):" or "dpkg: HEAD NAME:" -> NAME in out. */
static bool
after(char *out, size_t n, const char *line, const char *head)
{
	size_t len;
	const char *p;

	if (!starts(line, head))
		return false;
	p = line + strlen(head);
	len = strlen(p);
	if (len > 0 && p[len - 1] == ':')
		len--;
	if (len > 12 && strncmp(p + len - 12, " (--install)", 12) == 0)
		len -= 12;
	if (len >= n)
		len = n - 1;
	memcpy(out, p, len);
	out[len] = '\0';
	return true;
}

/* A relation line " P depends on X; however:" -> "depends on X". */
static void
relation(struct explain *x, const char *line)
{
	const char *sp = strchr(line + 1, ' ');
	char who[1024], what[1024];
	size_t wl, len;

	if (sp == NULL)
		return;
	wl = (size_t)(sp - (line + 1));
	snprintf(who, sizeof(who), "%.*s", (int)wl, line + 1);
	len = strlen(sp + 1);
	if (len > 10 && strcmp(sp + 1 + len - 10, "; however:") == 0)
		len -= 10;
	snprintf(what, sizeof(what), "%.*s", (int)len, sp + 1);
	clause(x, who, what);
}

/* A reason line "  Package libfoo is not installed." */
static void
reason(struct explain *x, const char *line)
{
	char r[1024];
	size_t len;

	while (*line == ' ')
		line++;
	if (starts(line, "Package "))
		line += 8;
	snprintf(r, sizeof(r), "%s", line);
	len = strlen(r);
	if (len > 0 && r[len - 1] == '.')
		r[--len] = '\0';
	if (r[0] >= 'A' && r[0] <= 'Z')
		r[0] = (char)(r[0] - 'A' + 'a');
	put(x, x->has_reason ? ", " : ": ");
	put(x, r);
	x->has_reason = true;
}

/* apt-get's "The following packages have unmet dependencies:" lines:
 * " acme-tool : Depends: libbar but it is not installable" and their
 * continuations "             Depends: ..." (pkg remembers the package);
 * "E: ..." errors. True when the line was one of them. */
static bool
apt_line(struct explain *x, const char *line, char *pkg, size_t n)
{
	static const char *const rel[][2] = {
	        {"Depends: ", "depends on "},
	        {"PreDepends: ", "pre-depends on "},
	        {"Conflicts: ", "conflicts with "},
	        {"Breaks: ", "breaks "},
	};
	const char *sep = strstr(line, " : "), *p = line;
	char what[1100];

	if (starts(line, "E: ")) {
		/* apt's conclusion adds nothing to the reasons already named */
		if (!(x->out[0] != '\0' &&
		      (strcmp(line + 3, "Unable to correct problems, you have "
		                        "held broken packages.") == 0 ||
		       starts(line + 3, "Sub-process "))))
			clause(x, "apt", line + 3);
		x->open = false;
		return true;
	}
	if (line[0] != ' ')
		return false;
	if (sep != NULL && line[1] != ' ') {
		snprintf(pkg, n, "%.*s", (int)(sep - line - 1), line + 1);
		p = sep + 3;
	} else {
		while (*p == ' ')
			p++;
		if (pkg[0] == '\0')
			return false;
	}
	for (size_t i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
		if (!starts(p, rel[i][0]))
			continue;
		snprintf(what, sizeof(what), "%s%s", rel[i][1],
		         p + strlen(rel[i][0]));
		clause(x, pkg, what);
		x->open = false;
		return true;
	}
	return false;
}

void
install_deb_explain(char *out, size_t n, const char *output, int exit_code)
{
	struct explain x;
	char line[1024], name[512], pending[512], apt_pkg[256] = "";
	const char *p = output ? output : "";
	enum { NONE, BLOCK, ERROR_MSG } mode = NONE;

	if (n == 0)
		return;
	memset(&x, 0, sizeof(x));
	x.out = out;
	x.n = n;
	out[0] = '\0';
	pending[0] = '\0';
	while (*p != '\0') {
		size_t len = strcspn(p, "\n");

		snprintf(line, sizeof(line), "%.*s",
		         (int)(len < sizeof(line) ? len : sizeof(line) - 1), p);
		p += len + (p[len] == '\n');
		if (mode == ERROR_MSG) {
			mode = NONE;
			if (line[0] == ' ' && !marked(&x, pending)) {
				clause(&x, base(pending), line + 1);
				mark(&x, pending);
			}
			x.open = false;
			continue;
		}
		if (after(name, sizeof(name), line,
		          "dpkg: dependency problems prevent configuration "
		          "of ") ||
		    after(name, sizeof(name), line,
		          "dpkg: dependency problems prevent processing "
		          "triggers for ")) {
			mark(&x, name);
			mode = BLOCK;
			continue;
		}
		if (starts(line, "dpkg: regarding ")) {
			const char *c = strstr(line, " containing ");
			if (c != NULL) {
				snprintf(name, sizeof(name), "%.*s",
				         (int)(c - line - 16), line + 16);
				mark(&x, name); /* the archive */
				after(name, sizeof(name), c, " containing ");
				mark(&x, name); /* the package */
			}
			mode = BLOCK;
			continue;
		}
		if (after(pending, sizeof(pending), line,
		          "dpkg: error processing archive ") ||
		    after(pending, sizeof(pending), line,
		          "dpkg: error processing package ")) {
			mode = ERROR_MSG;
			continue;
		}
		if (starts(line, "dpkg: error: ")) {
			clause(&x, "dpkg", line + 13);
			x.open = false;
			mode = NONE;
			continue;
		}
		if (starts(line, "dpkg-deb: error: ")) {
			clause(&x, "dpkg-deb", line + 17);
			x.open = false;
			mode = NONE;
			continue;
		}
		if (apt_line(&x, line, apt_pkg, sizeof(apt_pkg))) {
			mode = NONE;
			continue;
		}
		if (mode == BLOCK && starts(line, "  ") && x.open) {
			reason(&x, line);
			continue;
		}
		if (mode == BLOCK && line[0] == ' ' && line[1] != ' ') {
			relation(&x, line);
			continue;
		}
		mode = NONE;
		x.open = false;
	}
	if (out[0] == '\0')
		snprintf(out, n, "dpkg exit code %d", exit_code);
}
