/*
 * notify: e-mail and webhook notifications (notify.h).
 */
#include "notify.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "httpc.h"
#include "sign.h"
#include "smtp.h"
#include "store/store_maint.h"

#define BODY_MAX   (256u << 10)
#define LIST_SHOWN 20

static bool
set(const char *s)
{
	return s != NULL && s[0] != '\0';
}

bool
notify_configured(const struct server_config *cfg)
{
	return (set(cfg->notify_smtp) && cfg->notify_to != NULL &&
	        cfg->notify_to[0] != NULL) ||
	       set(cfg->notify_webhook);
}

static int
send_mail(const struct server_config *cfg, const char *subject,
          const char *body, struct err *e)
{
	struct smtp_msg m = {
	        .url = cfg->notify_smtp,
	        .ca_file = cfg->notify_ca_file,
	        .user = cfg->notify_user,
	        .password = cfg->notify_password,
	        .from = cfg->notify_from,
	        .to = (const char *const *)cfg->notify_to,
	        .subject = subject,
	        .body = body,
	};
	int rc;

	if ((rc = smtp_tls_parse(
	             &m.tls,
	             set(cfg->notify_starttls) ? cfg->notify_starttls : NULL,
	             e)) != SL_OK)
		return err_prefix(e, "notify");
	return smtp_send(&m, e);
}

static int
send_webhook(const struct server_config *cfg, json_t *event, struct err *e)
{
	struct httpc_opts o = {.timeout_s = 30};
	struct httpc_resp r = {0};
	char *text = json_dumps(event, JSON_COMPACT | JSON_SORT_KEYS);
	int rc;

	if (text == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	rc = httpc_request(&r, "POST", cfg->notify_webhook, text, strlen(text),
	                   64 * 1024, &o, e);
	free(text);
	if (rc == SL_OK && (r.status < 200 || r.status > 299))
		rc = err_set(e, SL_ENET, "webhook %s: HTTP status %ld",
		             cfg->notify_webhook, r.status);
	httpc_resp_free(&r);
	return rc;
}

int
notify_send(const struct server_config *cfg, const char *kind,
            const char *subject, const char *body, json_t *event, int *sent,
            struct err *e)
{
	char stamp[21], host[256] = "sluiced";
	struct err e2;
	int rc = SL_OK, n = 0;

	err_clear(&e2);
	sign_time_format(stamp, (long long)time(NULL));
	gethostname(host, sizeof(host) - 1);
	if (set(cfg->notify_smtp) && cfg->notify_to != NULL &&
	    cfg->notify_to[0] != NULL) {
		if ((rc = send_mail(cfg, subject, body, e)) == SL_OK)
			n++;
	}
	if (set(cfg->notify_webhook)) {
		json_object_set_new(event, "event", json_string(kind));
		json_object_set_new(event, "summary", json_string(subject));
		json_object_set_new(event, "time", json_string(stamp));
		json_object_set_new(event, "server", json_string(host));
		if (send_webhook(cfg, event, rc == SL_OK ? e : &e2) == SL_OK)
			n++;
		else if (rc == SL_OK)
			rc = e->code;
	}
	if (sent != NULL)
		*sent = n;
	return rc;
}

int
notify_after_sync(struct store *db, const struct server_config *cfg,
                  int64_t since, int *sent, struct err *e)
{
	json_t *by = json_object(), *list = json_array(), *v, *event = NULL;
	char subject[256];
	const char *cls;
	struct buf b;
	long long total = 0;
	size_t i;
	int rc;

	if (sent != NULL)
		*sent = 0;
	buf_init(&b, BODY_MAX);
	if (by == NULL || list == NULL) {
		rc = err_set(e, SL_ENOMEM, "out of memory");
		goto out;
	}
	if (!cfg->notify_on_sync || !notify_configured(cfg)) {
		rc = SL_OK;
		goto out;
	}
	if ((rc = store_maint_new_updates(by, list, db, since, LIST_SHOWN,
	                                  e)) != SL_OK)
		goto out;
	json_object_foreach(by, cls, v) total += json_integer_value(v);
	if (total == 0)
		goto out;
	snprintf(subject, sizeof(subject), "sluice: %lld new update%s synced",
	         total, total == 1 ? "" : "s");
	rc = buf_printf(&b, e,
	                "The last sync brought %lld new or revised "
	                "updates.\n\nBy classification:\n",
	                total);
	json_object_foreach(by, cls, v)
	{
		if (rc == SL_OK)
			rc = buf_printf(&b, e, "  %-14s %lld\n", cls,
			                (long long)json_integer_value(v));
	}
	if (rc == SL_OK)
		rc = buf_puts(&b, "\nUpdates:\n", e);
	json_array_foreach(list, i, v)
	{
		if (rc == SL_OK)
			rc = buf_printf(
			        &b, e, "  [%s] %s (%s)\n",
			        json_string_value(
			                json_object_get(v, "classification")),
			        json_string_value(json_object_get(v, "title")),
			        json_string_value(json_object_get(v, "id")));
	}
	if (rc == SL_OK && total > (long long)json_array_size(list))
		rc = buf_printf(&b, e, "  ... and %lld more\n",
		                total - (long long)json_array_size(list));
	if (rc != SL_OK)
		goto out;
	event = json_pack("{s:I,s:O,s:O}", "new", (json_int_t)total,
	                  "by_classification", by, "updates", list);
	if (event == NULL) {
		rc = err_set(e, SL_ENOMEM, "out of memory");
		goto out;
	}
	rc = notify_send(cfg, "sync", subject, b.data, event, sent, e);
out:
	json_decref(by);
	json_decref(list);
	json_decref(event);
	buf_free(&b);
	return rc;
}

int
notify_report(struct store *db, const struct server_config *cfg, int *sent,
              struct err *e)
{
	json_t *st = NULL, *v;
	char subject[256];
	struct buf b;
	size_t i;
	int rc;

	buf_init(&b, BODY_MAX);
	if ((rc = store_maint_status(&st, db, LIST_SHOWN, e)) != SL_OK)
		goto out;
	long long needing =
	        json_integer_value(json_object_get(st, "computers_needing"));
	long long failed =
	        json_integer_value(json_object_get(st, "failed_installs"));
	snprintf(subject, sizeof(subject),
	         "sluice status: %lld computer%s need updates, %lld failed "
	         "installation%s",
	         needing, needing == 1 ? "" : "s", failed,
	         failed == 1 ? "" : "s");
	rc = buf_printf(
	        &b, e,
	        "Computers: %lld\nComputers needing updates: %lld\n"
	        "Failed installations: %lld\n",
	        (long long)json_integer_value(json_object_get(st, "computers")),
	        needing, failed);
	if (rc == SL_OK && failed > 0)
		rc = buf_puts(&b, "\nFailed:\n", e);
	json_array_foreach(json_object_get(st, "failures"), i, v)
	{
		const char *t = json_string_value(json_object_get(v, "title"));
		const char *d = json_string_value(json_object_get(v, "detail"));

		if (rc == SL_OK)
			rc = buf_printf(
			        &b, e, "  %s: %s%s%s\n",
			        json_string_value(
			                json_object_get(v, "hostname")),
			        t != NULL ? t
			                  : json_string_value(json_object_get(
			                            v, "update")),
			        d != NULL ? ": " : "", d != NULL ? d : "");
	}
	if (rc == SL_OK)
		rc = notify_send(cfg, "report", subject, b.data, st, sent, e);
out:
	json_decref(st);
	buf_free(&b);
	return rc;
}

int
notify_report_due(bool *ran, struct store *db, const struct server_config *cfg,
                  long long now, struct err *e)
{
	int64_t last;
	char num[32];
	int rc;

	*ran = false;
	if (cfg->notify_report_hours <= 0 || !notify_configured(cfg))
		return SL_OK;
	if ((rc = store_meta_int(&last, db, "notify_report_last", e)) != SL_OK)
		return rc;
	if (last > 0 && now - last < (long long)cfg->notify_report_hours * 3600)
		return SL_OK;
	snprintf(num, sizeof(num), "%lld", now);
	if ((rc = store_meta_set(db, "notify_report_last", num, e)) != SL_OK)
		return rc;
	*ran = true;
	return notify_report(db, cfg, NULL, e);
}
