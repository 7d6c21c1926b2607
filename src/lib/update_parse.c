/*
 * update_parse: reading and validating an update document (the other half
 * of the update module; update.c holds the model, writer and copies).
 *
 * update_from_json() walks the document once, checking every field and
 * rejecting unknown keys, and builds a struct update. The path of the field
 * being read ("files[1].sha256") is kept as we descend so that every error
 * names where it happened. Rule trees are checked for shape only: the agent
 * evaluates them.
 */
#include "update.h"

#include <assert.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RULE_DEPTH_MAX 32
#define PATH_CAP       512

static const char *const severities[] = {
        "critical", "important", "moderate", "low", NULL,
};

static const char *const handlers[] = {
        "command", "script", "dpkg", "deb", "rpm", NULL,
};

/* ---- field paths ---- */

struct path {
	char s[PATH_CAP];
	size_t len;
};

static void
path_init(struct path *p, const char *start)
{
	size_t n = strlen(start);

	if (n >= sizeof(p->s))
		n = sizeof(p->s) - 1;
	memcpy(p->s, start, n);
	p->s[n] = '\0';
	p->len = n;
}

static void
path_fix(struct path *p, int n, size_t room)
{
	if (n < 0)
		p->s[p->len] = '\0';
	else if ((size_t)n >= room)
		p->len = sizeof(p->s) - 1; /* cut, still terminated */
	else
		p->len += (size_t)n;
}

/* Append ".key" (or "key" at the root); returns the length to go back to. */
static size_t
path_key(struct path *p, const char *key)
{
	size_t old = p->len, room = sizeof(p->s) - p->len, n = strlen(key);
	size_t dot = old ? 1 : 0;

	/* Every field of every document passes here: no printf when it
	 * fits. */
	if (dot + n < room) {
		if (dot)
			p->s[p->len] = '.';
		memcpy(p->s + p->len + dot, key, n + 1);
		p->len += dot + n;
		return old;
	}
	path_fix(p, snprintf(p->s + p->len, room, "%s%s", old ? "." : "", key),
	         room);
	return old;
}

static size_t
path_idx(struct path *p, size_t i)
{
	size_t old = p->len, room = sizeof(p->s) - p->len;

	path_fix(p, snprintf(p->s + p->len, room, "[%zu]", i), room);
	return old;
}

static void
path_back(struct path *p, size_t old)
{
	p->len = old;
	p->s[old] = '\0';
}

/* Fail with SL_EINVAL and "<path>: <problem>". */
static int bad(struct err *e, const struct path *p, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static int
bad(struct err *e, const struct path *p, const char *fmt, ...)
{
	char msg[ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return err_set(e, SL_EINVAL, "%s: %s", p->len ? p->s : "document", msg);
}

static int
nomem(struct err *e)
{
	return err_set(e, SL_ENOMEM, "out of memory");
}

/* ---- small checks ---- */

static bool
in_list(const char *s, const char *const *list)
{
	for (size_t i = 0; list[i] != NULL; i++)
		if (strcmp(s, list[i]) == 0)
			return true;
	return false;
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool
is_lower_hex(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f');
}

static bool
sha256_valid(const char *s)
{
	if (strlen(s) != 64)
		return false;
	for (size_t i = 0; i < 64; i++)
		if (!is_lower_hex(s[i]))
			return false;
	return true;
}

/* CVE-YYYY-NNNN with four or more digits in the sequence number. */
static bool
cve_valid(const char *s)
{
	size_t n = 0;

	if (strncmp(s, "CVE-", 4) != 0)
		return false;
	s += 4;
	for (size_t i = 0; i < 4; i++)
		if (!is_digit(s[i]))
			return false;
	if (s[4] != '-')
		return false;
	for (s += 5; is_digit(*s); s++)
		n++;
	return *s == '\0' && n >= 4;
}

static int
num(const char *s, size_t n)
{
	int v = 0;

	for (size_t i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');
	return v;
}

/* 0 when s is YYYY-MM-DD, 1 when it has that shape but is no real day,
 * -1 when it does not have that shape. */
static int
date_check(const char *s)
{
	static const int mdays[] = {31, 28, 31, 30, 31, 30,
	                            31, 31, 30, 31, 30, 31};
	int y, m, d, max;

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return -1;
	for (size_t i = 0; i < 10; i++)
		if (i != 4 && i != 7 && !is_digit(s[i]))
			return -1;
	y = num(s, 4);
	m = num(s + 5, 2);
	d = num(s + 8, 2);
	if (y < 1 || m < 1 || m > 12 || d < 1)
		return 1;
	max = mdays[m - 1];
	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		max = 29;
	return d > max ? 1 : 0;
}

/* A plain file name: not empty, no '/', not "." or "..". */
static bool
file_name_valid(const char *s)
{
	if (s[0] == '\0' || strchr(s, '/') != NULL)
		return false;
	return strcmp(s, ".") != 0 && strcmp(s, "..") != 0;
}

/* ---- typed getters ---- */

static int
check_keys(const json_t *obj, const char *const *allowed, struct path *p,
           struct err *e)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)obj, key, v)
	{
		if (!in_list(key, allowed)) {
			path_key(p, key);
			return bad(e, p, "unknown field");
		}
	}
	return SL_OK;
}

static int
expect_object(const json_t *v, struct path *p, struct err *e)
{
	return json_is_object(v) ? SL_OK : bad(e, p, "expected an object");
}

/* The string value of v (path already at v). Strings with NUL characters
 * are refused: they would not survive the C string model. */
static int
string_value(const char **out, const json_t *v, bool nonempty, struct path *p,
             struct err *e)
{
	const char *s = NULL;

	if (!json_is_string(v))
		return bad(e, p, "expected a string");
	s = json_string_value(v);
	if (strlen(s) != json_string_length(v))
		return bad(e, p, "contains a NUL character");
	if (nonempty && s[0] == '\0')
		return bad(e, p, "must not be empty");
	*out = s;
	return SL_OK;
}

/* Read obj.key as a string into *out (a copy). Absent: "required" when
 * required, else *out stays NULL. */
static int
get_string(char **out, const json_t *obj, const char *key, bool required,
           bool nonempty, struct path *p, struct err *e)
{
	const json_t *v = json_object_get(obj, key);
	size_t old = path_key(p, key);
	const char *s = NULL;
	int rc;

	if (v == NULL) {
		rc = required ? bad(e, p, "required") : SL_OK;
		goto out;
	}
	if ((rc = string_value(&s, v, nonempty, p, e)) != SL_OK)
		goto out;
	if ((*out = strdup(s)) == NULL)
		rc = nomem(e);
out:
	path_back(p, old);
	return rc;
}

/* An integer within [min, max]; p is at v. */
static int
int_value(json_int_t *out, const json_t *v, json_int_t min, json_int_t max,
          struct path *p, struct err *e)
{
	json_int_t n;

	if (!json_is_integer(v))
		return bad(e, p, "expected an integer");
	n = json_integer_value(v);
	if (n < min) {
		if (min == 0)
			return bad(e, p, "must not be negative");
		if (min == 1)
			return bad(e, p, "must be at least 1");
		return bad(e, p, "out of range");
	}
	if (n > max)
		return bad(e, p, "out of range");
	*out = n;
	return SL_OK;
}

/* Strings in a list must satisfy one of these. */
enum list_kind { LIST_ANY, LIST_CVE, LIST_ID };

/* Read obj.key, an array of strings, into a NULL-terminated copy. Absent:
 * an empty list, or NULL when absent_null. self is the update's own id,
 * which an id list must not contain. */
static int
get_str_list(char ***out, const json_t *obj, const char *key,
             enum list_kind kind, const char *self, bool absent_null,
             struct path *p, struct err *e)
{
	const json_t *v = json_object_get(obj, key);
	size_t old = path_key(p, key), n = 0, i;
	char **list = NULL;
	const char *s = NULL;
	int rc = SL_OK;

	if (v == NULL && absent_null)
		goto out;
	if (v != NULL && !json_is_array(v)) {
		rc = bad(e, p, "expected an array");
		goto out;
	}
	n = v ? json_array_size(v) : 0;
	if ((list = calloc(n + 1, sizeof(*list))) == NULL) {
		rc = nomem(e);
		goto out;
	}
	for (i = 0; i < n; i++) {
		size_t at = path_idx(p, i);

		rc = string_value(&s, json_array_get(v, i), kind != LIST_ANY, p,
		                  e);
		if (rc == SL_OK && kind == LIST_CVE && !cve_valid(s))
			rc = bad(e, p, "expected CVE-YYYY-NNNN");
		if (rc == SL_OK && kind == LIST_ID && !update_id_valid(s))
			rc = bad(e, p, "expected a lowercase UUID");
		if (rc == SL_OK && kind == LIST_ID && strcmp(s, self) == 0)
			rc = bad(e, p, "refers to the update itself");
		if (rc == SL_OK && (list[i] = strdup(s)) == NULL)
			rc = nomem(e);
		if (rc != SL_OK)
			goto out;
		path_back(p, at);
	}
	*out = list;
	list = NULL;
out:
	if (list != NULL)
		for (i = 0; i < n; i++)
			free(list[i]);
	free(list);
	path_back(p, old);
	return rc;
}

/* Read obj.key, an array of exit codes. Absent: the default list dflt. */
static int
get_int_list(int **out, size_t *n_out, const json_t *obj, const char *key,
             const int *dflt, size_t n_dflt, struct path *p, struct err *e)
{
	const json_t *v = json_object_get(obj, key);
	size_t old = path_key(p, key), n;
	int *list = NULL;
	json_int_t x = 0;
	int rc = SL_OK;

	if (v != NULL && !json_is_array(v)) {
		rc = bad(e, p, "expected an array");
		goto out;
	}
	n = v ? json_array_size(v) : n_dflt;
	/* One spare slot so that an empty list is still an allocation. */
	if ((list = calloc(n + 1, sizeof(*list))) == NULL) {
		rc = nomem(e);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if (v == NULL) {
			list[i] = dflt[i];
			continue;
		}
		size_t at = path_idx(p, i);
		rc = int_value(&x, json_array_get(v, i), INT_MIN, INT_MAX, p,
		               e);
		if (rc != SL_OK)
			goto out;
		list[i] = (int)x;
		path_back(p, at);
	}
	*out = list;
	*n_out = n;
	list = NULL;
out:
	free(list);
	path_back(p, old);
	return rc;
}

/* A file's optional "deb" object (the Debian binary package it carries);
 * *out is set even on failure (the caller frees it with the file). */
static int
parse_file_deb(struct update_deb **out, const json_t *v, struct path *p,
               struct err *e)
{
	static const char *const keys[] = {"package", "version", "architecture",
	                                   NULL};
	size_t old;
	int rc;

	if (v == NULL)
		return SL_OK;
	old = path_key(p, "deb");
	if ((rc = expect_object(v, p, e)) != SL_OK ||
	    (rc = check_keys(v, keys, p, e)) != SL_OK)
		goto out;
	if ((*out = calloc(1, sizeof(**out))) == NULL) {
		rc = nomem(e);
		goto out;
	}
	if ((rc = get_string(&(*out)->package, v, "package", true, true, p,
	                     e)) != SL_OK ||
	    (rc = get_string(&(*out)->version, v, "version", true, true, p,
	                     e)) != SL_OK ||
	    (rc = get_string(&(*out)->arch, v, "architecture", true, true, p,
	                     e)) != SL_OK)
		goto out;
out:
	path_back(p, old);
	return rc;
}

/* A file entry; p is at v. f is filled even on failure (free it). */
static int
parse_file(struct update_file *f, const json_t *v, struct path *p,
           struct err *e)
{
	static const char *const keys[] = {"name", "size", "sha256",
	                                   "url",  "deb",  NULL};
	char *sha = NULL;
	json_int_t size = 0;
	size_t old;
	int rc;

	if ((rc = expect_object(v, p, e)) != SL_OK ||
	    (rc = check_keys(v, keys, p, e)) != SL_OK)
		return rc;
	if ((rc = get_string(&f->name, v, "name", true, false, p, e)) != SL_OK)
		return rc;
	if (!file_name_valid(f->name)) {
		old = path_key(p, "name");
		rc = bad(e, p, "expected a plain file name");
		path_back(p, old);
		return rc;
	}
	old = path_key(p, "size");
	if (json_object_get(v, "size") == NULL)
		rc = bad(e, p, "required");
	else
		rc = int_value(&size, json_object_get(v, "size"), 0,
		               JSON_INTEGER_IS_LONG_LONG ? LLONG_MAX : LONG_MAX,
		               p, e);
	path_back(p, old);
	if (rc != SL_OK)
		return rc;
	f->size = (uint64_t)size;
	if ((rc = get_string(&sha, v, "sha256", true, false, p, e)) != SL_OK)
		return rc;
	if (!sha256_valid(sha)) {
		old = path_key(p, "sha256");
		rc = bad(e, p, "expected 64 hex digits");
		path_back(p, old);
		free(sha);
		return rc;
	}
	memcpy(f->sha256, sha, sizeof(f->sha256));
	free(sha);
	if ((rc = get_string(&f->url, v, "url", true, true, p, e)) != SL_OK)
		return rc;
	return parse_file_deb(&f->deb, json_object_get(v, "deb"), p, e);
}

/* ---- rules ---- */

static int
rule_check(const json_t *r, struct path *p, int depth, struct err *e)
{
	const json_t *r_and = json_object_get(r, "and");
	const json_t *r_or = json_object_get(r, "or");
	const json_t *r_not = json_object_get(r, "not");
	const char *s = NULL;
	size_t old;
	int rc = SL_OK;

	if (depth > RULE_DEPTH_MAX)
		return bad(e, p, "rules nested deeper than %d", RULE_DEPTH_MAX);
	if (!json_is_object(r))
		return bad(e, p, "expected a rule object");
	if (r_and == NULL && r_or == NULL && r_not == NULL) {
		/* A predicate: the agent checks its parameters. */
		old = path_key(p, "type");
		if (json_object_get(r, "type") == NULL)
			rc = bad(e, p, "required");
		else
			rc = string_value(&s, json_object_get(r, "type"), true,
			                  p, e);
		path_back(p, old);
		return rc;
	}
	if (json_object_size(r) != 1)
		return bad(e, p, "'and', 'or' and 'not' take no other keys");
	if (r_not != NULL) {
		old = path_key(p, "not");
		rc = rule_check(r_not, p, depth + 1, e);
		path_back(p, old);
		return rc;
	}
	old = path_key(p, r_and ? "and" : "or");
	r = r_and ? r_and : r_or;
	if (!json_is_array(r))
		rc = bad(e, p, "expected an array");
	else if (json_array_size(r) == 0)
		rc = bad(e, p, "must not be empty");
	for (size_t i = 0; rc == SL_OK && i < json_array_size(r); i++) {
		size_t at = path_idx(p, i);
		rc = rule_check(json_array_get(r, i), p, depth + 1, e);
		path_back(p, at);
	}
	path_back(p, old);
	return rc;
}

int
update_rule_check(const json_t *rule, const char *path, struct err *e)
{
	struct path p;

	path_init(&p, path ? path : "");
	return rule_check(rule, &p, 1, e);
}

/* ---- parts of the document ---- */

static int
parse_applicability(struct update *u, const json_t *doc, bool share,
                    struct path *p, struct err *e)
{
	static const char *const keys[] = {"is_installed", "is_installable",
	                                   NULL};
	const json_t *a = json_object_get(doc, "applicability"), *r;
	size_t old = path_key(p, "applicability"), at;
	json_t **dst;
	int rc;

	if (a == NULL) {
		rc = bad(e, p, "required");
		goto out;
	}
	if ((rc = expect_object(a, p, e)) != SL_OK ||
	    (rc = check_keys(a, keys, p, e)) != SL_OK)
		goto out;
	for (size_t i = 0; keys[i] != NULL; i++) {
		dst = i == 0 ? &u->is_installed : &u->is_installable;
		r = json_object_get(a, keys[i]);
		at = path_key(p, keys[i]);
		rc = r ? rule_check(r, p, 1, e) : bad(e, p, "required");
		path_back(p, at);
		if (rc != SL_OK)
			goto out;
		/* A shared tree is the caller's and never changes: a
		 * reference does. */
		*dst = share ? json_incref((json_t *)r) : json_deep_copy(r);
		if (*dst == NULL) {
			rc = nomem(e);
			goto out;
		}
	}
out:
	path_back(p, old);
	return rc;
}

static int
parse_install(struct update_install *in, const json_t *doc, struct path *p,
              struct err *e)
{
	static const char *const keys[] = {"handler",
	                                   "arguments",
	                                   "success_codes",
	                                   "reboot_codes",
	                                   "reboot",
	                                   "timeout_seconds",
	                                   "uninstall_arguments",
	                                   NULL};
	static const int dflt_success[] = {0};
	const json_t *ins = json_object_get(doc, "install"), *v;
	size_t old = path_key(p, "install"), at;
	char *reboot = NULL;
	json_int_t t = 0;
	int rc;

	if (ins == NULL) {
		rc = bad(e, p, "required");
		goto out;
	}
	if ((rc = expect_object(ins, p, e)) != SL_OK ||
	    (rc = check_keys(ins, keys, p, e)) != SL_OK)
		goto out;
	rc = get_string(&in->handler, ins, "handler", true, false, p, e);
	if (rc != SL_OK)
		goto out;
	if (!in_list(in->handler, handlers)) {
		at = path_key(p, "handler");
		rc = bad(e, p, "unknown handler '%s'", in->handler);
		path_back(p, at);
		goto out;
	}
	if ((rc = get_str_list(&in->arguments, ins, "arguments", LIST_ANY, "",
	                       false, p, e)) != SL_OK ||
	    (rc = get_int_list(&in->success_codes, &in->n_success_codes, ins,
	                       "success_codes", dflt_success, 1, p, e)) !=
	            SL_OK ||
	    (rc = get_int_list(&in->reboot_codes, &in->n_reboot_codes, ins,
	                       "reboot_codes", NULL, 0, p, e)) != SL_OK)
		goto out;
	if (in->n_success_codes == 0) {
		at = path_key(p, "success_codes");
		rc = bad(e, p, "must not be empty");
		path_back(p, at);
		goto out;
	}
	if ((rc = get_string(&reboot, ins, "reboot", false, false, p, e)) !=
	    SL_OK)
		goto out;
	in->reboot = UPDATE_REBOOT_IF_REQUIRED;
	if (reboot != NULL) {
		size_t i;
		for (i = 0; update_reboot_names[i] != NULL; i++)
			if (strcmp(reboot, update_reboot_names[i]) == 0)
				break;
		if (update_reboot_names[i] == NULL) {
			at = path_key(p, "reboot");
			rc = bad(e, p, "unknown reboot behaviour '%s'", reboot);
			path_back(p, at);
			goto out;
		}
		in->reboot = (enum update_reboot)i;
	}
	if ((rc = get_str_list(&in->uninstall_arguments, ins,
	                       "uninstall_arguments", LIST_ANY, "", true, p,
	                       e)) != SL_OK)
		goto out;
	if ((v = json_object_get(ins, "timeout_seconds")) != NULL) {
		at = path_key(p, "timeout_seconds");
		rc = int_value(&t, v, 0, INT_MAX, p, e);
		path_back(p, at);
		if (rc != SL_OK)
			goto out;
		in->timeout_seconds = (int)t;
	}
out:
	free(reboot);
	path_back(p, old);
	return rc;
}

static int
parse_files(struct update *u, const json_t *doc, struct path *p, struct err *e)
{
	const json_t *fs = json_object_get(doc, "files");
	size_t old = path_key(p, "files"), n, at;
	int rc = SL_OK;

	if (fs != NULL && !json_is_array(fs)) {
		rc = bad(e, p, "expected an array");
		goto out;
	}
	n = fs ? json_array_size(fs) : 0;
	if ((u->files = calloc(n + 1, sizeof(*u->files))) == NULL) {
		rc = nomem(e);
		goto out;
	}
	u->n_files = n;
	for (size_t i = 0; i < n; i++) {
		at = path_idx(p, i);
		rc = parse_file(&u->files[i], json_array_get(fs, i), p, e);
		for (size_t j = 0; rc == SL_OK && j < i; j++) {
			if (strcmp(u->files[j].name, u->files[i].name) != 0)
				continue;
			path_key(p, "name");
			rc = bad(e, p, "duplicate file name '%s'",
			         u->files[i].name);
		}
		if (rc != SL_OK)
			goto out;
		path_back(p, at);
	}
out:
	path_back(p, old);
	return rc;
}

static int
parse_choice(char **out, const json_t *doc, const char *key, bool required,
             const char *const *allowed, const char *what, struct path *p,
             struct err *e)
{
	size_t old;
	int rc;

	if ((rc = get_string(out, doc, key, required, false, p, e)) != SL_OK)
		return rc;
	if (*out == NULL || in_list(*out, allowed))
		return SL_OK;
	old = path_key(p, key);
	rc = bad(e, p, "unknown %s '%s'", what, *out);
	path_back(p, old);
	return rc;
}

static int
parse_doc(struct update *u, const json_t *doc, bool share, struct path *p,
          struct err *e)
{
	static const char *const keys[] = {"id",
	                                   "revision",
	                                   "title",
	                                   "description",
	                                   "classification",
	                                   "product",
	                                   "severity",
	                                   "kb_article",
	                                   "security_bulletin",
	                                   "cve_ids",
	                                   "release_date",
	                                   "support_url",
	                                   "eula",
	                                   "supersedes",
	                                   "prerequisites",
	                                   "bundles",
	                                   "applicability",
	                                   "install",
	                                   "files",
	                                   NULL};
	const json_t *v;
	char *s = NULL;
	json_int_t rev = 0;
	size_t old;
	int rc;

	if ((rc = expect_object(doc, p, e)) != SL_OK ||
	    (rc = check_keys(doc, keys, p, e)) != SL_OK)
		return rc;

	if ((rc = get_string(&s, doc, "id", true, false, p, e)) != SL_OK)
		return rc;
	old = path_key(p, "id");
	rc = update_id_valid(s) ? SL_OK
	                        : bad(e, p, "expected a lowercase UUID");
	path_back(p, old);
	if (rc == SL_OK)
		memcpy(u->id, s, sizeof(u->id));
	free(s);
	s = NULL;
	if (rc != SL_OK)
		return rc;

	old = path_key(p, "revision");
	v = json_object_get(doc, "revision");
	rc = v ? int_value(&rev, v, 1, INT64_MAX, p, e) : bad(e, p, "required");
	path_back(p, old);
	if (rc != SL_OK)
		return rc;
	u->revision = rev;

	if ((rc = get_string(&u->title, doc, "title", true, true, p, e)) ||
	    (rc = get_string(&u->description, doc, "description", false, false,
	                     p, e)) ||
	    (rc = parse_choice(&u->classification, doc, "classification", true,
	                       update_classifications, "classification", p,
	                       e)) ||
	    (rc = get_string(&u->product, doc, "product", true, true, p, e)) ||
	    (rc = parse_choice(&u->severity, doc, "severity", false, severities,
	                       "severity", p, e)) ||
	    (rc = get_string(&u->kb_article, doc, "kb_article", false, false, p,
	                     e)) ||
	    (rc = get_string(&u->security_bulletin, doc, "security_bulletin",
	                     false, false, p, e)) ||
	    (rc = get_str_list(&u->cve_ids, doc, "cve_ids", LIST_CVE, u->id,
	                       false, p, e)) ||
	    (rc = get_string(&u->release_date, doc, "release_date", true, false,
	                     p, e)))
		return rc;

	old = path_key(p, "release_date");
	switch (date_check(u->release_date)) {
	case -1:
		rc = bad(e, p, "expected YYYY-MM-DD");
		break;
	case 1:
		rc = bad(e, p, "no such day '%s'", u->release_date);
		break;
	}
	path_back(p, old);
	if (rc != SL_OK)
		return rc;

	if ((rc = get_string(&u->support_url, doc, "support_url", false, false,
	                     p, e)) != SL_OK)
		return rc;

	if ((v = json_object_get(doc, "eula")) != NULL) {
		if ((u->eula = calloc(1, sizeof(*u->eula))) == NULL)
			return nomem(e);
		old = path_key(p, "eula");
		rc = parse_file(u->eula, v, p, e);
		path_back(p, old);
		if (rc != SL_OK)
			return rc;
	}

	if ((rc = get_str_list(&u->supersedes, doc, "supersedes", LIST_ID,
	                       u->id, false, p, e)) ||
	    (rc = get_str_list(&u->prerequisites, doc, "prerequisites", LIST_ID,
	                       u->id, false, p, e)) ||
	    (rc = get_str_list(&u->bundles, doc, "bundles", LIST_ID, u->id,
	                       false, p, e)))
		return rc;

	if ((rc = parse_applicability(u, doc, share, p, e)) != SL_OK ||
	    (rc = parse_install(&u->install, doc, p, e)) != SL_OK)
		return rc;
	return parse_files(u, doc, p, e);
}

static int
from_json(struct update **out, const json_t *doc, bool share, struct err *e)
{
	struct update *u;
	struct path p;
	int rc;

	assert(out != NULL);
	if ((u = calloc(1, sizeof(*u))) == NULL)
		return nomem(e);
	path_init(&p, "");
	if ((rc = parse_doc(u, doc, share, &p, e)) != SL_OK)
		goto out;
	*out = u;
	u = NULL;
out:
	update_free(u);
	return rc;
}

int
update_from_json(struct update **out, const json_t *doc, struct err *e)
{
	return from_json(out, doc, false, e);
}

int
update_from_json_shared(struct update **out, json_t *doc, struct err *e)
{
	return from_json(out, doc, true, e);
}

int
update_from_string(struct update **out, const char *text, size_t len,
                   struct err *e)
{
	json_error_t jerr;
	json_t *doc;
	int rc;

	assert(out != NULL && (text != NULL || len == 0));
	if (len > UPDATE_DOC_MAX)
		return err_set(e, SL_ETOOBIG,
		               "document is %zu bytes, over the limit of %u",
		               len, UPDATE_DOC_MAX);
	doc = json_loadb(text ? text : "", len, JSON_REJECT_DUPLICATES, &jerr);
	if (doc == NULL)
		return err_set(e, SL_EPARSE, "line %d column %d: %s", jerr.line,
		               jerr.column, jerr.text);
	rc = update_from_json_shared(out, doc, e);
	json_decref(doc);
	return rc;
}
