/*
 * agentapi: register, sync and report requests (see agentapi.h).
 */
#include "agentapi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "httpc.h"
#include "sign.h"
#include "update.h"
#include "version.h"

#define SMALL_MAX (1u << 20)

static const char *proxy_url;

void
agentapi_set_proxy(const char *url)
{
	proxy_url = url != NULL && url[0] != '\0' ? url : NULL;
}

const char *
agentapi_proxy(void)
{
	return proxy_url;
}

/* POST body to server+path; on 2xx *out is the parsed answer. */
static int
post(json_t **out, const char *server, const char *path, const char *token,
     const json_t *body, size_t cap, struct err *e)
{
	struct httpc_opts o = {
	        .token = token, .timeout_s = 600, .proxy = proxy_url};
	struct httpc_resp r = {0};
	json_error_t je;
	char url[2048], *text = NULL;
	json_t *ans = NULL, *msg;
	int rc;

	if (snprintf(url, sizeof(url), "%s%s", server, path) >=
	    (int)sizeof(url))
		return err_set(e, SL_ETOOBIG, "server URL too long");
	if ((text = json_dumps(body, JSON_COMPACT)) == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	if ((rc = httpc_request(&r, "POST", url, text, strlen(text), cap, &o,
	                        e)) != SL_OK)
		goto out;
	ans = json_loadb(r.body, r.len, 0, &je);
	if (r.status < 200 || r.status > 299) {
		msg = json_object_get(json_object_get(ans, "error"), "message");
		/* 401: the token; other 4xx (but 408/429): the request
		 * itself is refused and would be again; else transient. */
		rc = err_set(e,
		             r.status == 401 ? SL_EAUTH
		             : r.status >= 400 && r.status < 500 &&
		                             r.status != 408 && r.status != 429
		                     ? SL_EINVAL
		                     : SL_ENET,
		             "%s: HTTP %ld: %s", url, r.status,
		             json_is_string(msg) ? json_string_value(msg)
		                                 : "no error message");
		goto out;
	}
	if (!json_is_object(ans)) {
		rc = err_set(e, SL_EPARSE,
		             "%s: answer is not a JSON object: %s", url,
		             ans ? "" : je.text);
		goto out;
	}
	*out = ans;
	ans = NULL;
out:
	json_decref(ans);
	free(text);
	httpc_resp_free(&r);
	return rc;
}

static int
dup_str(char **out, const json_t *v, const char *what, struct err *e)
{
	if (!json_is_string(v))
		return err_set(e, SL_EPARSE, "%s: expected a string", what);
	if ((*out = strdup(json_string_value(v))) == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	return SL_OK;
}

/* The strings of a JSON array, comma-separated (free with free()). */
static char *
names_text(const json_t *arr)
{
	size_t i, n = 1;
	json_t *v;
	char *t;

	json_array_foreach(arr, i, v) n += json_string_length(v) + 2;
	if ((t = calloc(1, n)) == NULL)
		return NULL;
	json_array_foreach(arr, i, v)
	{
		size_t at = strlen(t);

		if (json_is_string(v))
			snprintf(t + at, n - at, "%s%s", at ? ", " : "",
			         json_string_value(v));
	}
	return t;
}

json_t *
agentapi_register_body(const struct agentapi_host *h)
{
	json_t *groups = json_array();

	for (size_t k = 0; groups && h->groups && h->groups[k]; k++)
		json_array_append_new(groups, json_string(h->groups[k]));
	return json_pack("{s:s, s:s, s:s*, s:s, s:s, s:s, s:o*, s:s*, s:s*}",
	                 "hostname", h->hostname, "os_id", h->os_id,
	                 "os_version", h->os_version, "arch", h->arch, "kernel",
	                 h->kernel, "agent_version", SLUICE_VERSION, "groups",
	                 groups, "enrollment_key", h->enrollment_key,
	                 "machine_id", h->machine_id);
}

json_t *
agentapi_sync_body(const char *anchor, const char *cursor)
{
	return json_pack("{s:s?,s:i,s:s?}", "anchor", anchor, "protocol", 2,
	                 "cursor", cursor);
}

int
agentapi_register(char **id, char **token, struct agentapi_joined *j,
                  const char *server, const struct agentapi_host *h,
                  struct err *e)
{
	json_t *body = agentapi_register_body(h), *ans = NULL;
	char *i = NULL, *t = NULL;
	int rc;

	if (body == NULL)
		return err_set(e, SL_ENOMEM, "cannot build the request");
	if ((rc = post(&ans, server, "/v1/agent/register", NULL, body,
	               SMALL_MAX, e)) != SL_OK)
		goto out;
	if ((rc = dup_str(&i, json_object_get(ans, "computer_id"),
	                  "computer_id", e)) != SL_OK ||
	    (rc = dup_str(&t, json_object_get(ans, "token"), "token", e)) !=
	            SL_OK)
		goto out;
	j->groups = names_text(json_object_get(ans, "groups"));
	j->unknown = names_text(json_object_get(ans, "unknown_groups"));
	if (j->groups == NULL || j->unknown == NULL) {
		free(j->groups);
		free(j->unknown);
		rc = err_set(e, SL_ENOMEM, "out of memory");
		goto out;
	}
	*id = i;
	*token = t;
	i = t = NULL;
out:
	free(i);
	free(t);
	json_decref(ans);
	json_decref(body);
	return rc == SL_OK ? rc : err_prefix(e, "register");
}

void
agentapi_sync_clear(struct agentapi_sync *s)
{
	if (s == NULL)
		return;
	free(s->anchor);
	agentstate_entries_free(s->entries, s->n);
	for (size_t i = 0; i < s->n_removed; i++)
		free(s->removed[i]);
	free(s->removed);
	free(s->next);
	free(s->origin_keys);
	free(s->origin_timestamp);
	memset(s, 0, sizeof(*s));
}

static int
parse_entry(struct as_entry *en, const json_t *u, size_t idx, struct err *e)
{
	const json_t *id = json_object_get(u, "id"),
	             *rev = json_object_get(u, "revision"),
	             *ap = json_object_get(u, "approval"),
	             *doc = json_object_get(u, "document"),
	             *files = json_object_get(u, "files"), *v;
	const char *action;
	size_t i;

	memset(en, 0, sizeof(*en));
	if (!json_is_string(id) || !update_id_valid(json_string_value(id)))
		return err_set(e, SL_EPARSE, "updates[%zu].id: not a UUID",
		               idx);
	snprintf(en->id, sizeof(en->id), "%s", json_string_value(id));
	if (!json_is_integer(rev) || json_integer_value(rev) < 1)
		return err_set(e, SL_EPARSE, "updates[%zu].revision: invalid",
		               idx);
	en->revision = json_integer_value(rev);
	action = json_string_value(json_object_get(ap, "action"));
	if (action == NULL ||
	    (strcmp(action, "install") != 0 &&
	     strcmp(action, "uninstall") != 0 && strcmp(action, "none") != 0))
		return err_set(e, SL_EPARSE,
		               "updates[%zu].approval.action: invalid", idx);
	snprintf(en->action, sizeof(en->action), "%s", action);
	v = json_object_get(ap, "deadline");
	if (json_is_string(v)) {
		struct err pe;
		if (sign_time_parse(json_string_value(v), &en->deadline, &pe) !=
		    SL_OK)
			return err_set(e, SL_EPARSE,
			               "updates[%zu].approval.deadline: %s",
			               idx, pe.msg);
	} else if (v != NULL && !json_is_null(v)) {
		return err_set(e, SL_EPARSE,
		               "updates[%zu].approval.deadline: invalid", idx);
	}
	if (!json_is_object(doc))
		return err_set(e, SL_EPARSE,
		               "updates[%zu].document: not an object", idx);
	if ((en->document = json_dumps(doc, JSON_COMPACT)) == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	if (files != NULL && !json_is_array(files))
		return err_set(e, SL_EPARSE, "updates[%zu].files: not a list",
		               idx);
	if (json_array_size(files) > 0 &&
	    (en->files = calloc(json_array_size(files), sizeof(*en->files))) ==
	            NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	json_array_foreach(files, i, v)
	{
		struct as_file *f = &en->files[i];
		const char *sha =
		        json_string_value(json_object_get(v, "sha256"));
		const json_t *size = json_object_get(v, "size");
		const char *url = json_string_value(json_object_get(v, "url"));

		if (sha == NULL || !hash_is_hex(sha) ||
		    !json_is_integer(size) || json_integer_value(size) < 0 ||
		    url == NULL)
			return err_set(e, SL_EPARSE,
			               "updates[%zu].files[%zu]: invalid", idx,
			               i);
		snprintf(f->sha256, sizeof(f->sha256), "%s", sha);
		f->size = (uint64_t)json_integer_value(size);
		if ((f->url = strdup(url)) == NULL)
			return err_set(e, SL_ENOMEM, "out of memory");
		en->n_files++;
	}
	return SL_OK;
}

int
agentapi_sync(struct agentapi_sync *out, const char *server, const char *token,
              const char *anchor, const char *cursor, struct err *e)
{
	struct agentapi_sync s = {0};
	json_t *body, *ans = NULL, *ups, *rem, *v;
	size_t i;
	int rc;

	if ((body = agentapi_sync_body(anchor, cursor)) == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	if ((rc = post(&ans, server, "/v1/agent/sync", token, body,
	               AGENTAPI_SYNC_MAX, e)) != SL_OK)
		goto out;
	s.full = json_is_true(json_object_get(ans, "full"));
	if ((rc = dup_str(&s.anchor, json_object_get(ans, "anchor"), "anchor",
	                  e)) != SL_OK)
		goto out;
	v = json_object_get(ans, "next");
	if (json_is_string(v) && (rc = dup_str(&s.next, v, "next", e)) != SL_OK)
		goto out;
	v = json_object_get(ans, "origin");
	if (json_is_object(json_object_get(v, "keys")) &&
	    (s.origin_keys = json_dumps(json_object_get(v, "keys"),
	                                JSON_COMPACT)) == NULL) {
		rc = err_set(e, SL_ENOMEM, "out of memory");
		goto out;
	}
	if (json_is_object(json_object_get(v, "timestamp")) &&
	    (s.origin_timestamp = json_dumps(json_object_get(v, "timestamp"),
	                                     JSON_COMPACT)) == NULL) {
		rc = err_set(e, SL_ENOMEM, "out of memory");
		goto out;
	}
	ups = json_object_get(ans, "updates");
	rem = json_object_get(ans, "removed");
	if (!json_is_array(ups) || (rem != NULL && !json_is_array(rem))) {
		rc = err_set(e, SL_EPARSE, "updates/removed: not a list");
		goto out;
	}
	if (json_array_size(ups) > 0 &&
	    (s.entries = calloc(json_array_size(ups), sizeof(*s.entries))) ==
	            NULL) {
		rc = err_set(e, SL_ENOMEM, "out of memory");
		goto out;
	}
	json_array_foreach(ups, i, v)
	{
		s.n = i + 1;
		if ((rc = parse_entry(&s.entries[i], v, i, e)) != SL_OK)
			goto out;
		/* The entry holds its own copy now: release the tree as we
		 * go, so a large full sync is not held twice. */
		json_array_set_new(ups, i, json_null());
	}
	if (json_array_size(rem) > 0 &&
	    (s.removed = calloc(json_array_size(rem), sizeof(char *))) ==
	            NULL) {
		rc = err_set(e, SL_ENOMEM, "out of memory");
		goto out;
	}
	json_array_foreach(rem, i, v)
	{
		if (!json_is_string(v) ||
		    !update_id_valid(json_string_value(v))) {
			rc = err_set(e, SL_EPARSE, "removed[%zu]: not a UUID",
			             i);
			goto out;
		}
		if ((rc = dup_str(&s.removed[i], v, "removed", e)) != SL_OK)
			goto out;
		s.n_removed = i + 1;
	}
	*out = s;
	memset(&s, 0, sizeof(s));
out:
	agentapi_sync_clear(&s);
	json_decref(ans);
	json_decref(body);
	return rc == SL_OK ? rc : err_prefix(e, "sync");
}

int
agentapi_report(const char *server, const char *token, const json_t *body,
                long long *events_new, struct err *e)
{
	json_t *ans = NULL;
	int rc;

	if ((rc = post(&ans, server, "/v1/agent/report", token, body, SMALL_MAX,
	               e)) != SL_OK)
		return err_prefix(e, "report");
	if (events_new != NULL)
		*events_new =
		        json_integer_value(json_object_get(ans, "events"));
	json_decref(ans);
	return SL_OK;
}
