/*
 * update: the model of one update revision: writing it as JSON, copying
 * and freeing it. Reading and validation are in update_parse.c.
 *
 * update_to_json() writes the canonical form that docs/metadata.md
 * describes; parsing that form and writing it again gives the same bytes
 * (with JSON_SORT_KEYS).
 */
#include "update.h"

#include <stdlib.h>
#include <string.h>

const char *const update_classifications[] = {
        "security", "critical", "feature",      "definition", "update",
        "driver",   "tool",     "service-pack", "rollup",     NULL,
};

const char *const update_reboot_names[] = {
        [UPDATE_REBOOT_NEVER] = "never",
        [UPDATE_REBOOT_IF_REQUIRED] = "if-required",
        [UPDATE_REBOOT_ALWAYS] = "always",
        NULL,
};

bool
update_id_valid(const char *s)
{
	if (s == NULL || strlen(s) != UPDATE_ID_LEN)
		return false;
	for (size_t i = 0; i < UPDATE_ID_LEN; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return false;
		} else if (!((s[i] >= '0' && s[i] <= '9') ||
		             (s[i] >= 'a' && s[i] <= 'f'))) {
			return false;
		}
	}
	return true;
}

/* ---- writing ---- */

/* Set obj[key] = v, stealing v; remembers a failure in *ok. */
static void
put(json_t *obj, const char *key, json_t *v, bool *ok)
{
	if (v == NULL || json_object_set_new(obj, key, v) != 0)
		*ok = false;
}

static void
put_str(json_t *obj, const char *key, const char *s, bool *ok)
{
	if (s != NULL)
		put(obj, key, json_string(s), ok);
}

static json_t *
str_list_json(char *const *list)
{
	json_t *a = json_array();

	for (size_t i = 0; a != NULL && list != NULL && list[i] != NULL; i++)
		if (json_array_append_new(a, json_string(list[i])) != 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

static json_t *
int_list_json(const int *list, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; a != NULL && i < n; i++)
		if (json_array_append_new(a, json_integer(list[i])) != 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

static json_t *
file_json(const struct update_file *f)
{
	json_t *o = json_object();
	bool ok = o != NULL;

	if (!ok)
		return NULL;
	put_str(o, "name", f->name, &ok);
	put(o, "size", json_integer((json_int_t)f->size), &ok);
	put_str(o, "sha256", f->sha256, &ok);
	put_str(o, "url", f->url, &ok);
	if (ok && f->deb != NULL) {
		json_t *d = json_object();

		ok = d != NULL;
		put_str(d, "package", f->deb->package, &ok);
		put_str(d, "version", f->deb->version, &ok);
		put_str(d, "architecture", f->deb->arch, &ok);
		put(o, "deb", d, &ok);
	}
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *
install_json(const struct update_install *in)
{
	json_t *o = json_object();
	bool ok = o != NULL;

	if (!ok)
		return NULL;
	put_str(o, "handler", in->handler, &ok);
	put(o, "arguments", str_list_json(in->arguments), &ok);
	put(o, "success_codes",
	    int_list_json(in->success_codes, in->n_success_codes), &ok);
	put(o, "reboot_codes",
	    int_list_json(in->reboot_codes, in->n_reboot_codes), &ok);
	put_str(o, "reboot", update_reboot_names[in->reboot], &ok);
	if (in->uninstall_arguments != NULL)
		put(o, "uninstall_arguments",
		    str_list_json(in->uninstall_arguments), &ok);
	if (in->timeout_seconds != 0)
		put(o, "timeout_seconds", json_integer(in->timeout_seconds),
		    &ok);
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *
update_to_json(const struct update *u)
{
	json_t *o = json_object(), *a = NULL, *fs = NULL;
	bool ok = o != NULL;

	if (!ok)
		return NULL;
	put_str(o, "id", u->id, &ok);
	put(o, "revision", json_integer(u->revision), &ok);
	put_str(o, "title", u->title, &ok);
	put_str(o, "description", u->description, &ok);
	put_str(o, "classification", u->classification, &ok);
	put_str(o, "product", u->product, &ok);
	put_str(o, "severity", u->severity, &ok);
	put_str(o, "kb_article", u->kb_article, &ok);
	put_str(o, "security_bulletin", u->security_bulletin, &ok);
	put(o, "cve_ids", str_list_json(u->cve_ids), &ok);
	put_str(o, "release_date", u->release_date, &ok);
	put_str(o, "support_url", u->support_url, &ok);
	if (u->eula != NULL)
		put(o, "eula", file_json(u->eula), &ok);
	put(o, "supersedes", str_list_json(u->supersedes), &ok);
	put(o, "prerequisites", str_list_json(u->prerequisites), &ok);
	put(o, "bundles", str_list_json(u->bundles), &ok);

	if ((a = json_object()) == NULL) {
		ok = false;
	} else {
		if (u->is_installed != NULL)
			put(a, "is_installed", json_deep_copy(u->is_installed),
			    &ok);
		if (u->is_installable != NULL)
			put(a, "is_installable",
			    json_deep_copy(u->is_installable), &ok);
		put(o, "applicability", a, &ok);
	}
	put(o, "install", install_json(&u->install), &ok);

	if ((fs = json_array()) == NULL) {
		ok = false;
	} else {
		for (size_t i = 0; i < u->n_files; i++)
			if (json_array_append_new(fs, file_json(&u->files[i])))
				ok = false;
		put(o, "files", fs, &ok);
	}
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* ---- copying and freeing ---- */

static void
file_clear(struct update_file *f)
{
	free(f->name);
	free(f->url);
	f->name = f->url = NULL;
	if (f->deb != NULL) {
		free(f->deb->package);
		free(f->deb->version);
		free(f->deb->arch);
		free(f->deb);
		f->deb = NULL;
	}
}

static void
str_list_free(char **list)
{
	for (size_t i = 0; list != NULL && list[i] != NULL; i++)
		free(list[i]);
	free(list);
}

static bool
dup_str(char **dst, const char *src)
{
	if (src == NULL)
		return true;
	return (*dst = strdup(src)) != NULL;
}

static bool
dup_list(char ***dst, char *const *src)
{
	size_t n = 0;

	if (src == NULL)
		return true;
	while (src[n] != NULL)
		n++;
	if ((*dst = calloc(n + 1, sizeof(**dst))) == NULL)
		return false;
	for (size_t i = 0; i < n; i++)
		if (((*dst)[i] = strdup(src[i])) == NULL)
			return false;
	return true;
}

static bool
dup_ints(int **dst, const int *src, size_t n)
{
	if (src == NULL)
		return true;
	if ((*dst = calloc(n + 1, sizeof(**dst))) == NULL)
		return false;
	memcpy(*dst, src, n * sizeof(**dst));
	return true;
}

static bool
dup_file(struct update_file *dst, const struct update_file *src)
{
	*dst = *src;
	dst->name = dst->url = NULL;
	dst->deb = NULL;
	if (!dup_str(&dst->name, src->name) || !dup_str(&dst->url, src->url))
		return false;
	if (src->deb == NULL)
		return true;
	return (dst->deb = calloc(1, sizeof(*dst->deb))) != NULL &&
	       dup_str(&dst->deb->package, src->deb->package) &&
	       dup_str(&dst->deb->version, src->deb->version) &&
	       dup_str(&dst->deb->arch, src->deb->arch);
}

static bool
dup_json(json_t **dst, const json_t *src)
{
	if (src == NULL)
		return true;
	return (*dst = json_deep_copy(src)) != NULL;
}

struct update *
update_dup(const struct update *u)
{
	const struct update_install *si = &u->install;
	struct update *c = calloc(1, sizeof(*c));
	struct update_install *ci;
	bool ok;

	if (c == NULL)
		return NULL;
	ci = &c->install;
	memcpy(c->id, u->id, sizeof(c->id));
	c->revision = u->revision;
	ci->n_success_codes = si->n_success_codes;
	ci->n_reboot_codes = si->n_reboot_codes;
	ci->reboot = si->reboot;
	ci->timeout_seconds = si->timeout_seconds;
	ok = dup_str(&c->title, u->title) &&
	     dup_str(&c->description, u->description) &&
	     dup_str(&c->classification, u->classification) &&
	     dup_str(&c->product, u->product) &&
	     dup_str(&c->severity, u->severity) &&
	     dup_str(&c->kb_article, u->kb_article) &&
	     dup_str(&c->security_bulletin, u->security_bulletin) &&
	     dup_list(&c->cve_ids, u->cve_ids) &&
	     dup_str(&c->release_date, u->release_date) &&
	     dup_str(&c->support_url, u->support_url) &&
	     dup_list(&c->supersedes, u->supersedes) &&
	     dup_list(&c->prerequisites, u->prerequisites) &&
	     dup_list(&c->bundles, u->bundles) &&
	     dup_json(&c->is_installed, u->is_installed) &&
	     dup_json(&c->is_installable, u->is_installable) &&
	     dup_str(&ci->handler, si->handler) &&
	     dup_list(&ci->arguments, si->arguments) &&
	     dup_ints(&ci->success_codes, si->success_codes,
	              si->n_success_codes) &&
	     dup_ints(&ci->reboot_codes, si->reboot_codes,
	              si->n_reboot_codes) &&
	     dup_list(&ci->uninstall_arguments, si->uninstall_arguments);
	if (ok && u->eula != NULL)
		ok = (c->eula = calloc(1, sizeof(*c->eula))) != NULL &&
		     dup_file(c->eula, u->eula);
	if (ok && (u->files != NULL || u->n_files > 0)) {
		ok = (c->files = calloc(u->n_files + 1, sizeof(*c->files))) !=
		     NULL;
		if (ok)
			c->n_files = u->n_files;
		for (size_t i = 0; ok && i < u->n_files; i++)
			ok = dup_file(&c->files[i], &u->files[i]);
	}
	if (!ok) {
		update_free(c);
		return NULL;
	}
	return c;
}

void
update_free(struct update *u)
{
	if (u == NULL)
		return;
	free(u->title);
	free(u->description);
	free(u->classification);
	free(u->product);
	free(u->severity);
	free(u->kb_article);
	free(u->security_bulletin);
	str_list_free(u->cve_ids);
	free(u->release_date);
	free(u->support_url);
	if (u->eula != NULL)
		file_clear(u->eula);
	free(u->eula);
	str_list_free(u->supersedes);
	str_list_free(u->prerequisites);
	str_list_free(u->bundles);
	json_decref(u->is_installed);
	json_decref(u->is_installable);
	free(u->install.handler);
	str_list_free(u->install.arguments);
	free(u->install.success_codes);
	free(u->install.reboot_codes);
	str_list_free(u->install.uninstall_arguments);
	for (size_t i = 0; u->files != NULL && i < u->n_files; i++)
		file_clear(&u->files[i]);
	free(u->files);
	free(u);
}
