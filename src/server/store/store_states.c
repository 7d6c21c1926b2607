/*
 * store_states: writing the update states agents report (store.h,
 * "Computers"; the layout in docs/store.md, "Update states"). One row of
 * integers per (computer, update) in `states`, keyed by the computer's and
 * the update's integer keys: v = state code + 8 when a detail is kept in
 * state_details + 16 * revision, t = the report time (NULL for
 * not-applicable: the computer's last report stands for it). The
 * counters the reports read (state_counts, group_counts, computer_counts)
 * follow in the same transaction by the schema's triggers, whoever
 * writes.
 */
#include "store_int.h"

#include <string.h>

static const char *const state_names[STORE_STATES] = {
        "not-applicable",           "needed", "downloaded", "installed",
        "installed-pending-reboot", "failed",
};

int
store_state_code(const char *state)
{
	for (int i = 0; state != NULL && i < STORE_STATES; i++)
		if (strcmp(state, state_names[i]) == 0)
			return i;
	return -1;
}

const char *
store_state_name(int code)
{
	return code >= 0 && code < STORE_STATES ? state_names[code] : NULL;
}

int
store_state_value(int64_t *v, const struct store_state *st, struct err *e)
{
	int code = store_state_code(st->state);

	if (code < 0)
		return err_set(e, SL_EINVAL, "state: unknown state '%s'",
		               st->state ? st->state : "(none)");
	if (st->revision == NULL || *st->revision < 0 ||
	    *st->revision > (INT64_MAX >> 5))
		return err_set(e, SL_EINVAL,
		               "state: revision: expected a "
		               "non-negative integer");
	*v = code + (st->detail != NULL ? 8 : 0) + 16 * *st->revision;
	return SL_OK;
}

int
store_state_put(struct store *s, const char *computer_id,
                const struct store_state *st, const int64_t *reported,
                struct err *e)
{
	int64_t v;
	int rc = store_state_value(&v, st, e);

	if (rc != SL_OK)
		return rc;
	if (v % 8 == STORE_NOT_APPLICABLE)
		reported = NULL;
	/* An update the server does not hold has no key: nothing to keep. */
	rc = store_q_run(s, NULL, e,
	                 "INSERT INTO states(ckey, ukey, v, t) SELECT "
	                 "c.ckey, u.ukey, $3, CAST($4 AS BIGINT) FROM "
	                 "computers c, update_status u WHERE c.id = $1 AND "
	                 "u.id = $2 ON CONFLICT(ckey, ukey) DO UPDATE SET v = "
	                 "excluded.v, t = excluded.t",
	                 "ttij", computer_id, st->update_id, v, reported);
	if (rc == SL_OK && st->detail != NULL)
		rc = store_q_run(
		        s, NULL, e,
		        "INSERT INTO state_details(ckey, ukey, detail) "
		        "SELECT c.ckey, u.ukey, $3 FROM computers c, "
		        "update_status u WHERE c.id = $1 AND u.id = $2 "
		        "ON CONFLICT(ckey, ukey) DO UPDATE SET detail = "
		        "excluded.detail",
		        "ttt", computer_id, st->update_id, st->detail);
	/* Without the flag in v an old detail row is ignored; it goes with
	 * the computer, or is overwritten by the next detail. */
	return rc;
}

int
store_state_upsert(struct store *s, const char *computer_id,
                   const struct store_state *st, int64_t now, struct err *e)
{
	int rc = store_state_put(s, computer_id, st, &now, e);

	return rc != SL_OK ? err_prefix(e, "store state") : SL_OK;
}

int
store_states_clear(struct store *s, const char *computer_id, struct err *e)
{
	int rc = store_q_run(s, NULL, e,
	                     "DELETE FROM states WHERE ckey = (SELECT ckey "
	                     "FROM computers WHERE id = $1)",
	                     "t", computer_id);

	if (rc == SL_OK)
		rc = store_q_run(
		        s, NULL, e,
		        "DELETE FROM state_details WHERE ckey = (SELECT "
		        "ckey FROM computers WHERE id = $1)",
		        "t", computer_id);
	return rc;
}
