/*
 * agentcfg: the option table and its parser (see agentcfg.h).
 */
#include "agentcfg.h"

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ini.h>

#include "array.h"

#define LIST_MAX 1024 /* items of a comma-separated list */

/* OPT_OPTSTR: a string that may be empty (kept as NULL). */
enum opt_type {
	OPT_STR,
	OPT_LIST,
	OPT_INT,
	OPT_TIME,
	OPT_URL,
	OPT_CHOICE,
	OPT_OPTSTR
};

struct opt {
	const char *name;
	enum opt_type type;
	size_t off;
	long long min, max; /* OPT_INT bounds; OPT_STR: min 1 = may be empty */
	const char *dflt;
	const char *help;
};

/* The values of the one OPT_CHOICE option so far (deb_dependencies). */
static const char *const deb_dependencies[] = {"none", "apt", NULL};

#define OFF(f)           offsetof(struct agentcfg, f)
#define DEFAULT_KEY_FILE "/etc/sluice/origin.pub"

static const struct opt opts[] = {
        {"server", OPT_URL, OFF(server), 0, 0, "http://127.0.0.1:8530",
         "base URL of the sluiced"},
        {"state_dir", OPT_STR, OFF(state_dir), 0, 0, "/var/lib/sluice-agent",
         "local state (agent.db, downloads/)"},
        {"root", OPT_STR, OFF(root), 0, 0, "/",
         "system the rules and installers work inside"},
        {"trusted_keys", OPT_LIST, OFF(trusted_keys), 0, 0, DEFAULT_KEY_FILE,
         "public signing keys of trusted origins (the old way: "
         "trusted_root follows the origin's key rotations)"},
        {"trusted_root", OPT_LIST, OFF(trusted_root), 0, 0, "",
         "root public keys of trusted origins (their root.pub)"},
        {"groups", OPT_LIST, OFF(groups), 0, 0, "",
         "computer groups to join (client-side targeting)"},
        {"detect_interval_hours", OPT_INT, OFF(detect_interval_hours), 1,
         24 * 30, "22", "hours between detections"},
        {"install_time", OPT_TIME, OFF(install_time), 0, 0, "03:00",
         "daily install time HH:MM"},
        {"bandwidth_limit", OPT_INT, OFF(bandwidth_limit), 0, LLONG_MAX, "0",
         "download limit in bytes/s (0 = none)"},
        {"proxy", OPT_STR, OFF(proxy), 1, 0, "",
         "HTTP(S) proxy to reach the server, "
         "http://[user:password@]host:port (empty: none)"},
        {"install_timeout", OPT_INT, OFF(install_timeout), 1, 7 * 86400, "3600",
         "default installer timeout in seconds"},
        {"deb_dependencies", OPT_CHOICE, OFF(deb_dependencies), 0, 0, "none",
         "deb handler: none (dpkg -i, missing dependencies fail) or apt "
         "(apt-get installs the files and fetches missing dependencies)"},
        {"ca_file", OPT_OPTSTR, OFF(ca_file), 0, 0, "",
         "PEM file of the CA certificates to trust for an https:// server "
         "(empty: the system's)"},
        {"enrollment_key", OPT_OPTSTR, OFF(enrollment_key), 0, 0, "",
         "enrollment key for registering (sluice enrollment create)"},
};

#define N_OPTS (sizeof(opts) / sizeof(opts[0]))

static void
list_free(char **l)
{
	if (l == NULL)
		return;
	for (size_t i = 0; l[i] != NULL; i++)
		free(l[i]);
	free(l);
}

/* Split "a, b,c" into a NULL-terminated list of trimmed non-empty items. */
static int
list_parse(char ***out, const char *s, struct err *e)
{
	size_t n = 0, cap = 0;
	char **l = NULL;
	const char *p = s;
	int rc;

	/* Room for the terminating NULL from the start. */
	if ((rc = array_reserve(&l, &cap, 1, sizeof(*l), LIST_MAX + 1, e)) !=
	    SL_OK)
		return rc;
	l[0] = NULL;
	while (*p != '\0') {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		const char *a = p, *b = p + len;

		while (a < b && (*a == ' ' || *a == '\t'))
			a++;
		while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
			b--;
		if (b > a) {
			rc = n == LIST_MAX
			             ? err_set(e, SL_ETOOBIG,
			                       "more than %d entries", LIST_MAX)
			             : array_reserve(&l, &cap, n + 2,
			                             sizeof(*l), LIST_MAX + 1,
			                             e);
			if (rc != SL_OK) {
				list_free(l);
				return rc;
			}
			if ((l[n] = strndup(a, (size_t)(b - a))) == NULL)
				goto nomem;
			l[++n] = NULL;
		}
		p += len;
		if (*p == ',')
			p++;
	}
	*out = l;
	return SL_OK;
nomem:
	list_free(l);
	return err_set(e, SL_ENOMEM, "out of memory");
}

static int
parse_time(const char *s, int *h, int *m)
{
	if (strlen(s) != 5 || s[2] != ':')
		return -1;
	for (int i = 0; i < 5; i++)
		if (i != 2 && (s[i] < '0' || s[i] > '9'))
			return -1;
	*h = (s[0] - '0') * 10 + (s[1] - '0');
	*m = (s[3] - '0') * 10 + (s[4] - '0');
	return (*h < 24 && *m < 60) ? 0 : -1;
}

static int
opt_set(struct agentcfg *c, const struct opt *o, const char *v, struct err *e)
{
	char *base = (char *)c + o->off;
	char *end, *copy;
	long long n;
	int rc;

	switch (o->type) {
	case OPT_OPTSTR:
		copy = NULL;
		if (*v != '\0' && (copy = strdup(v)) == NULL)
			return err_set(e, SL_ENOMEM, "out of memory");
		if (*(char **)base != NULL)
			sodium_memzero(*(char **)base, strlen(*(char **)base));
		free(*(char **)base);
		*(char **)base = copy;
		return SL_OK;
	case OPT_LIST: {
		char **l = NULL;
		if ((rc = list_parse(&l, v, e)) != SL_OK)
			return rc;
		list_free(*(char ***)base);
		*(char ***)base = l;
		return SL_OK;
	}
	case OPT_INT:
		errno = 0;
		n = strtoll(v, &end, 10);
		if (errno != 0 || end == v || *end != '\0' || n < o->min ||
		    n > o->max)
			return err_set(e, SL_EINVAL,
			               "%s: expected an integer in %lld..%lld, "
			               "got \"%s\"",
			               o->name, o->min, o->max, v);
		*(long long *)base = n;
		return SL_OK;
	case OPT_TIME:
		if (parse_time(v, &c->install_hour, &c->install_minute) != 0)
			return err_set(e, SL_EINVAL,
			               "%s: expected HH:MM, got \"%s\"",
			               o->name, v);
		break;
	case OPT_URL:
		if (strncmp(v, "http://", 7) != 0 &&
		    strncmp(v, "https://", 8) != 0)
			return err_set(
			        e, SL_EINVAL,
			        "%s: expected an http(s) URL, got \"%s\"",
			        o->name, v);
		break;
	case OPT_STR:
		if (*v == '\0' && o->min == 0)
			return err_set(e, SL_EINVAL, "%s: must not be empty",
			               o->name);
		break;
	case OPT_CHOICE: {
		size_t i;
		for (i = 0; deb_dependencies[i] != NULL; i++)
			if (strcmp(v, deb_dependencies[i]) == 0)
				break;
		if (deb_dependencies[i] == NULL)
			return err_set(e, SL_EINVAL,
			               "%s: expected none or apt, got \"%s\"",
			               o->name, v);
		break;
	}
	}
	if ((copy = strdup(v)) == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	/* A base URL is kept without its trailing slashes. */
	if (o->type == OPT_URL)
		for (size_t l = strlen(copy); l > 8 && copy[l - 1] == '/'; l--)
			copy[l - 1] = '\0';
	free(*(char **)base);
	*(char **)base = copy;
	return SL_OK;
}

int
agentcfg_set(struct agentcfg *c, const char *name, const char *value,
             struct err *e)
{
	for (size_t i = 0; i < N_OPTS; i++)
		if (strcmp(opts[i].name, name) == 0)
			return opt_set(c, &opts[i], value, e);
	return err_set(e, SL_EINVAL, "unknown option \"%s\"", name);
}

int
agentcfg_init(struct agentcfg *c, struct err *e)
{
	int rc;

	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < N_OPTS; i++)
		if ((rc = opt_set(c, &opts[i], opts[i].dflt, e)) != SL_OK) {
			agentcfg_free(c);
			return err_prefix(e, "default");
		}
	return SL_OK;
}

struct load_ctx {
	struct agentcfg *c;
	struct err *e;
	int rc;
};

static int
ini_cb(void *user, const char *section, const char *name, const char *value)
{
	struct load_ctx *x = user;

	if (x->rc != SL_OK)
		return 0;
	if (strcmp(section, "agent") != 0)
		x->rc = err_set(x->e, SL_EINVAL, "unknown section [%s]",
		                section);
	else
		x->rc = agentcfg_set(x->c, name, value, x->e);
	return x->rc == SL_OK;
}

int
agentcfg_load(struct agentcfg *c, const char *path, struct err *e)
{
	struct load_ctx x = {c, e, SL_OK};
	FILE *f = fopen(path, "r");
	int r;

	if (f == NULL)
		return err_set(e, errno == ENOENT ? SL_ENOTFOUND : SL_EIO,
		               "%s: %s", path, strerror(errno));
	r = ini_parse_file(f, ini_cb, &x);
	fclose(f);
	if (x.rc != SL_OK)
		return err_prefix(e, "%s:%d", path, r);
	if (r != 0)
		return err_set(e, SL_EPARSE, "%s:%d: syntax error", path, r);
	return SL_OK;
}

int
agentcfg_finish(struct agentcfg *c, struct err *e)
{
	int rc;

	memset(&c->keyring, 0, sizeof(c->keyring));
	memset(&c->root_keys, 0, sizeof(c->root_keys));
	for (size_t i = 0; c->trusted_root && c->trusted_root[i]; i++)
		if ((rc = sign_keyring_add_file(
		             &c->root_keys, c->trusted_root[i], e)) != SL_OK)
			return err_prefix(e, "trusted_root");
	for (size_t i = 0; c->trusted_keys && c->trusted_keys[i]; i++) {
		/* With a root key, the default signing key file may be
		 * absent. */
		if (c->root_keys.n > 0 &&
		    strcmp(c->trusted_keys[i], DEFAULT_KEY_FILE) == 0 &&
		    access(DEFAULT_KEY_FILE, F_OK) != 0)
			continue;
		if ((rc = sign_keyring_add_file(&c->keyring, c->trusted_keys[i],
		                                e)) != SL_OK)
			return err_prefix(e, "trusted_keys");
	}
	if (c->keyring.n == 0 && c->root_keys.n == 0)
		return err_set(e, SL_EINVAL,
		               "trusted_keys: no key configured (name the "
		               "origin's root.pub in trusted_root, or its "
		               "signing key in trusted_keys)");
	c->file_keys = c->keyring;
	return SL_OK;
}

void
agentcfg_dump(const struct agentcfg *c, FILE *f)
{
	fprintf(f, "[agent]\n");
	for (size_t i = 0; i < N_OPTS; i++) {
		const char *base = (const char *)c + opts[i].off;
		fprintf(f, "# %s\n%s = ", opts[i].help, opts[i].name);
		if (opts[i].type == OPT_INT) {
			fprintf(f, "%lld\n", *(const long long *)base);
		} else if (opts[i].type == OPT_LIST) {
			char **l = *(char **const *)base;
			for (size_t j = 0; l && l[j]; j++)
				fprintf(f, "%s%s", j ? "," : "", l[j]);
			fputc('\n', f);
		} else {
			const char *s = *(const char *const *)base;
			if (opts[i].off == OFF(enrollment_key) && s != NULL)
				s = "(set; not shown)";
			fprintf(f, "%s\n", s ? s : "");
		}
	}
}

void
agentcfg_template(FILE *f)
{
	fputs("# sluice-agent configuration. Every option is listed with its "
	      "default,\n"
	      "# commented out; uncomment a line and change the value to "
	      "override it.\n"
	      "# Flags (--server, --root, --state) override this file; "
	      "sluice-agent\n"
	      "# --dump-config prints the effective configuration. See "
	      "sluice-agent.conf(5).\n"
	      "\n[agent]\n",
	      f);
	for (size_t i = 0; i < N_OPTS; i++)
		fprintf(f, "# %s\n#%s =%s%s\n", opts[i].help, opts[i].name,
		        *opts[i].dflt ? " " : "", opts[i].dflt);
}

void
agentcfg_free(struct agentcfg *c)
{
	if (c == NULL)
		return;
	free(c->server);
	free(c->state_dir);
	free(c->root);
	free(c->install_time);
	free(c->deb_dependencies);
	free(c->ca_file);
	if (c->enrollment_key != NULL)
		sodium_memzero(c->enrollment_key, strlen(c->enrollment_key));
	free(c->enrollment_key);
	free(c->proxy);
	list_free(c->trusted_keys);
	list_free(c->trusted_root);
	list_free(c->groups);
	memset(c, 0, sizeof(*c));
}
