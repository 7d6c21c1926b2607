/*
 * notify: telling administrators what happened ([notify] settings), by
 * e-mail through an SMTP server (lib/smtp.h) and/or a webhook that receives
 * each event as an HTTP POST of JSON (for chat tools):
 *   {"event": "sync" | "report" | "test", "server": ..., "time": ...,
 *    "summary": "one line", ...the event's data}
 * Events: a sync that brought new updates (the new updates by
 * classification, and the first titles), the periodic status report
 * (computers needing updates, failed installations), and a test message.
 * The functions do not log; the callers do.
 */
#ifndef SLUICE_SERVER_NOTIFY_H
#define SLUICE_SERVER_NOTIFY_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "config.h"
#include "err.h"
#include "store/store.h"

/* Whether e-mail or a webhook is configured. */
bool notify_configured(const struct server_config *cfg);

/* Send one event: the mail (subject, body) to the recipients and the
 * event (which gets "event" = kind, "summary" = subject, "time") to the
 * webhook. Both are tried; the first failure is returned. *sent (may be
 * NULL) counts the channels that accepted it. */
int notify_send(const struct server_config *cfg, const char *kind,
                const char *subject, const char *body, json_t *event, int *sent,
                struct err *e);

/* After a sync that began at `since`: when new or revised updates came
 * and on_sync is set, send the summary. *sent as above (0: nothing). */
int notify_after_sync(struct store *db, const struct server_config *cfg,
                      int64_t since, int *sent, struct err *e);

/* The status report now. */
int notify_report(struct store *db, const struct server_config *cfg, int *sent,
                  struct err *e);

/* The report when report_hours have passed since the last (meta
 * 'notify_report_last'); *ran says whether one was sent. */
int notify_report_due(bool *ran, struct store *db,
                      const struct server_config *cfg, long long now,
                      struct err *e);

#endif
