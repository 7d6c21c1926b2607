/*
 * freshness: the origin's key list and timestamp on the agent (see
 * agent.h and trust.h).
 *
 * With trusted_root the agent accepts a key list signed by the origin's
 * root key (never an older one) and verifies documents with the keys it
 * lists, so the origin rotates or revokes signing keys without touching
 * the agent's configuration. Each sync's first page brings the origin's
 * timestamp through the server: an expired one (a server that stopped
 * passing on new ones, or an origin that stopped re-signing), one older
 * than the newest accepted (a rollback), or none where one is required
 * makes the catalog "stale": the sync is not applied, nothing is
 * installed, and the computer's catalog state is reported as stale so the
 * administrator sees the freeze. Without trusted_root (setups made before
 * root keys) a timestamp is checked only when one signed by a configured
 * key comes: best effort, as a server can withhold it.
 *
 * agent.db meta: origin_keys (the accepted key list), origin_keys_version,
 * origin_ts_version, origin_ts_expires, catalog_state (ok | stale),
 * catalog_detail, catalog_reported (what the server was last told).
 */
#include "agent.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agentapi.h"
#include "log.h"
#include "trust.h"

static int64_t
meta_int(struct agent *a, const char *key)
{
	char *v = NULL, *end;
	long long n = 0;

	if (agentstate_meta(a->st, key, &v, NULL) == SL_OK && v != NULL) {
		n = strtoll(v, &end, 10);
		if (*end != '\0')
			n = 0;
	}
	free(v);
	return (int64_t)n;
}

static int
set_int(struct agent *a, const char *key, long long v, struct err *e)
{
	char num[32];

	snprintf(num, sizeof(num), "%lld", v);
	return agentstate_set_meta(a->st, key, num, e);
}

/* Documents are verified with the configured keys plus the listed ones. */
static void
use_keys(struct agent *a, const struct trust_keys *tk)
{
	struct sign_keyring kr = a->cfg->file_keys;

	for (size_t i = 0; i < tk->kr.n; i++)
		if (!sign_keyring_has(&kr, tk->kr.keys[i].keyid) &&
		    sign_keyring_add(&kr, &tk->kr.keys[i], NULL) != SL_OK)
			break;
	kr.threshold = tk->kr.threshold;
	a->cfg->keyring = kr;
}

int
agent_freshness_load(struct agent *a, struct err *e)
{
	struct trust_keys tk;
	char *text = NULL;
	int rc;

	if (a->cfg->root_keys.n == 0)
		return SL_OK;
	if ((rc = agentstate_meta(a->st, "origin_keys", &text, e)) != SL_OK ||
	    text == NULL)
		return rc;
	/* Checked again: the root key may have changed since. */
	if (trust_keys_parse(&tk, text, strlen(text), &a->cfg->root_keys, 0, 0,
	                     e) == SL_OK)
		use_keys(a, &tk);
	else
		log_warn("the stored key list does not verify any more (%s); "
		         "waiting for the next sync",
		         e->msg);
	free(text);
	return SL_OK;
}

/* Record the verdict (outside any transaction); log a change. */
static int
record(struct agent *a, const char *state, const char *detail, struct err *e)
{
	char *old = NULL;
	int rc;

	agentstate_meta(a->st, "catalog_state", &old, NULL);
	if (old == NULL || strcmp(old, state) != 0) {
		if (strcmp(state, "stale") == 0)
			log_error("catalog stale: %s; nothing is installed "
			          "until a fresh timestamp arrives",
			          detail);
		else if (old != NULL)
			log_info("catalog fresh again");
	}
	free(old);
	if ((rc = agentstate_set_meta(a->st, "catalog_state", state, e)) ==
	    SL_OK)
		rc = agentstate_set_meta(a->st, "catalog_detail", detail, e);
	return rc;
}

static int
stale(struct agent *a, int code, const char *why, struct err *e)
{
	char msg[ERR_MSG_MAX];
	int rc;

	snprintf(msg, sizeof(msg), "%s", why);
	if ((rc = record(a, "stale", msg, e)) != SL_OK)
		return rc;
	/* Not a request the server refused: no full-sync retry. */
	if (code == SL_EINVAL || code == SL_EPARSE)
		code = SL_EVERIFY;
	return err_set(e, code, "catalog stale: %s", msg);
}

static int
check_keys(struct agent *a, const char *keys, long long now, struct err *e)
{
	struct trust_keys tk;
	struct err ve;
	int64_t min = meta_int(a, "origin_keys_version");
	int rc;

	if (keys == NULL) {
		if (min > 0)
			return SL_OK; /* the accepted list stays in force */
		return stale(a, SL_ENOTFOUND,
		             "the server passes on no key list from the "
		             "origin (trusted_root is set)",
		             e);
	}
	err_clear(&ve);
	if ((rc = trust_keys_parse(&tk, keys, strlen(keys), &a->cfg->root_keys,
	                           now, min, &ve)) != SL_OK)
		return stale(a, rc, ve.msg, e);
	if (tk.version > min) {
		if ((rc = agentstate_set_meta(a->st, "origin_keys", keys, e)) !=
		            SL_OK ||
		    (rc = set_int(a, "origin_keys_version", tk.version, e)) !=
		            SL_OK)
			return rc;
		if (min > 0)
			log_info("origin key list version %lld accepted (%zu "
			         "signing key(s))",
			         (long long)tk.version, tk.kr.n);
	}
	use_keys(a, &tk);
	return SL_OK;
}

int
agent_freshness_check(struct agent *a, const char *keys, const char *ts,
                      struct err *e)
{
	bool root = a->cfg->root_keys.n > 0;
	long long now = (long long)time(NULL);
	int64_t min = meta_int(a, "origin_ts_version");
	struct trust_timestamp t;
	struct err ve;
	int rc;

	if (root && (rc = check_keys(a, keys, now, e)) != SL_OK)
		return rc;
	if (ts == NULL) {
		if (root)
			return stale(a, SL_ENOTFOUND,
			             "the server passes on no timestamp from "
			             "the origin",
			             e);
		return record(a, "ok", "", e); /* an origin without one */
	}
	err_clear(&ve);
	rc = trust_timestamp_parse(&t, ts, strlen(ts), &a->cfg->keyring, now,
	                           min, &ve);
	if (rc == SL_EVERIFY && !root)
		/* trusted_keys only: a timestamp by a key it does not name
		 * cannot be checked (as before timestamps). */
		return record(a, "ok", "", e);
	if (rc != SL_OK)
		return stale(a, rc, ve.msg, e);
	if ((rc = set_int(a, "origin_ts_version", t.version, e)) != SL_OK ||
	    (rc = set_int(a, "origin_ts_expires", t.expires, e)) != SL_OK)
		return rc;
	return record(a, "ok", "", e);
}

bool
agent_catalog_stale(struct agent *a, char *why, size_t n)
{
	char *state = NULL, *detail = NULL, when[21];
	long long exp = meta_int(a, "origin_ts_expires");
	bool is_stale = false;

	agentstate_meta(a->st, "catalog_state", &state, NULL);
	agentstate_meta(a->st, "catalog_detail", &detail, NULL);
	if (state != NULL && strcmp(state, "stale") == 0) {
		snprintf(why, n, "%s", detail ? detail : "");
		is_stale = true;
	} else if (exp > 0 && exp <= (long long)time(NULL)) {
		/* Accepted once, expired since without a fresh one. */
		sign_time_format(when, exp);
		snprintf(why, n, "timestamp: expired at %s", when);
		is_stale = true;
	}
	free(state);
	free(detail);
	return is_stale;
}

int
agent_freshness_report(struct agent *a, const char *token, struct err *e)
{
	char why[ERR_MSG_MAX], said[ERR_MSG_MAX + 8], *old = NULL;
	bool is_stale = agent_catalog_stale(a, why, sizeof(why));
	json_t *body;
	int rc;

	if (!is_stale)
		why[0] = '\0';
	snprintf(said, sizeof(said), "%s|%s", is_stale ? "stale" : "ok", why);
	agentstate_meta(a->st, "catalog_reported", &old, NULL);
	if (old != NULL && strcmp(old, said) == 0) {
		free(old);
		return SL_OK;
	}
	free(old);
	body = json_pack("{s:{s:s,s:s?}}", "catalog", "state",
	                 is_stale ? "stale" : "ok", "detail",
	                 is_stale ? why : NULL);
	if (body == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	rc = agentapi_report(a->cfg->server, token, body, NULL, e);
	json_decref(body);
	if (rc == SL_EINVAL) {
		/* A server from before catalog states: nothing to tell. */
		log_debug("the server takes no catalog state: %s", e->msg);
		rc = SL_OK;
	}
	if (rc == SL_OK)
		rc = agentstate_set_meta(a->st, "catalog_reported", said, e);
	return rc;
}
