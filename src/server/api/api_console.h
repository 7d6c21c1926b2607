/*
 * api_console: the web console (web/, docs/console.md). Assets under
 * /console/, sign-in with an admin token into an HttpOnly, SameSite=Strict
 * session cookie, and the paged views the console reads (api_console_data.c).
 */
#ifndef SLUICE_SERVER_API_CONSOLE_H
#define SLUICE_SERVER_API_CONSOLE_H

#include "http.h"

#define CONSOLE_COOKIE "sluice_session"

/* A request to an admin route without an Authorization header: the admin
 * token of its session cookie (*id_out), else SL_EAUTH. A reporter's
 * session gets SL_EDENIED on anything but GET/HEAD; every other method
 * needs the session's CSRF token in the X-CSRF-Token header (SL_EDENIED
 * without it). */
int console_session_auth(int64_t *id_out, const struct req *r, struct err *e);

/* api_console.c: GET /console, /console/, /console/<file>,
 * /console/<dir>/<file>; POST /console/api/login {"token"},
 * GET /console/api/session, POST /console/api/logout. */
int api_console_redirect(struct req *r, struct reply *out, struct err *e);
int api_console_index(struct req *r, struct reply *out, struct err *e);
int api_console_asset(struct req *r, struct reply *out, struct err *e);
int api_console_login(struct req *r, struct reply *out, struct err *e);
int api_console_session(struct req *r, struct reply *out, struct err *e);
int api_console_logout(struct req *r, struct reply *out, struct err *e);

/* api_console_data.c: GET /v1/admin/console/dashboard,
 * /v1/admin/console/updates, /v1/admin/console/computers,
 * /v1/admin/console/updates/<id>/computers
 * (docs/protocol.md, "Console views"). */
int api_console_dashboard(struct req *r, struct reply *out, struct err *e);
int api_console_updates_page(struct req *r, struct reply *out, struct err *e);
int api_console_computers_page(struct req *r, struct reply *out, struct err *e);
int api_console_update_computers(struct req *r, struct reply *out,
                                 struct err *e);
/* api_console_license.c: GET /v1/admin/console/license/<id>. */
int api_console_license(struct req *r, struct reply *out, struct err *e);

#endif
