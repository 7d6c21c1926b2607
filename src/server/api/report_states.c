/*
 * report_states: a report's states read in one pass (report_states.h).
 */
#include "report_states.h"

#include <stdlib.h>
#include <string.h>

#include "auth.h"

enum { S_ID, S_REV, S_STATE, S_DETAIL, S_N };

/* The member index of key (S_N: another key). */
static int
key_of(const char *key, size_t n)
{
	static const char *const names[S_N] = {"id", "revision", "state",
	                                       "detail"};

	for (int k = 0; k < S_N; k++)
		if (strlen(names[k]) == n && memcmp(key, names[k], n) == 0)
			return k;
	return S_N;
}

static bool
known_state(const char *s, const char *const *l)
{
	for (; l != NULL && *l; l++)
		if (strcmp(s, *l) == 0)
			return true;
	return false;
}

/* Room for state i (doubling up to max_states). */
static int
room(struct rbody *b, size_t i, struct err *e)
{
	size_t cap = b->states_cap ? b->states_cap * 2 : 256;
	struct store_state *rows;
	int64_t *revs;

	if (i < b->states_cap)
		return SL_OK;
	rows = realloc(b->state_rows, cap * sizeof(*rows));
	if (rows == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	b->state_rows = rows;
	revs = realloc(b->state_revs, cap * sizeof(*revs));
	if (revs == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	b->state_revs = revs;
	b->states_cap = cap;
	return SL_OK;
}

/* One member's value into row (k the member). 1: not the common shape. */
static int
member(struct rd *r, struct store_state *row, int64_t *rev, int k,
       const struct rbody_limits *lim)
{
	const char *s;
	size_t n;
	bool is_int;
	int rc;

	rd_ws(r);
	if (r->p >= r->end)
		return 1;
	if (k == S_REV) {
		if (*r->p != '-' && (*r->p < '0' || *r->p > '9'))
			return 1;
		rc = rd_number(r, &is_int, rev);
		return rc != SL_OK || !is_int || *rev < 1 ? 1 : SL_OK;
	}
	if (k == S_DETAIL && *r->p == 'n') {
		row->detail = NULL;
		return rd_literal(r, "null") != SL_OK ? 1 : SL_OK;
	}
	if (*r->p != '"' || rd_string(r, &s, &n) != SL_OK)
		return 1;
	switch (k) {
	case S_ID:
		row->update_id = s;
		return auth_is_uuid(s) ? SL_OK : 1;
	case S_STATE:
		row->state = s;
		return known_state(s, lim->states) ? SL_OK : 1;
	default:
		row->detail = s;
		return n <= lim->detail_max ? SL_OK : 1;
	}
}

/* The object at r->p (its '{') as state i. 1: not the common shape. */
static int
state(struct rd *r, struct rbody *b, size_t i, const struct rbody_limits *lim)
{
	struct store_state row = {0};
	unsigned seen = 0;
	const char *key;
	size_t klen;
	int k;

	r->p++;
	for (;;) {
		rd_ws(r);
		if (r->p >= r->end || *r->p != '"' ||
		    rd_string(r, &key, &klen) != SL_OK)
			return 1;
		k = key_of(key, klen);
		if (k == S_N || (seen & (1u << k)))
			return 1;
		seen |= 1u << k;
		rd_ws(r);
		if (r->p >= r->end || *r->p != ':')
			return 1;
		r->p++;
		if (member(r, &row, &b->state_revs[i], k, lim) != SL_OK)
			return 1;
		rd_ws(r);
		if (r->p < r->end && *r->p == ',') {
			r->p++;
			continue;
		}
		if (r->p >= r->end || *r->p != '}')
			return 1;
		r->p++;
		break;
	}
	if ((seen & 7u) != 7u) /* id, revision and state are required */
		return 1;
	b->state_rows[i] = row;
	return SL_OK;
}

/* The array at r->p in rows. 1: not the common shape; < 0: an error. */
static int
states(struct rd *r, struct rbody *b, const struct rbody_limits *lim)
{
	size_t i = 0;
	int rc;

	if (r->p >= r->end || *r->p != '[')
		return 1;
	r->p++;
	rd_ws(r);
	if (r->p < r->end && *r->p == ']') {
		r->p++;
		return SL_OK;
	}
	for (;; i++) {
		if (i >= lim->max_states)
			return 1;
		if ((rc = room(b, i, r->e)) != SL_OK)
			return rc;
		rd_ws(r);
		if (r->p >= r->end || *r->p != '{' ||
		    state(r, b, i, lim) != SL_OK)
			return 1;
		rd_ws(r);
		if (r->p < r->end && *r->p == ',') {
			r->p++;
			continue;
		}
		if (r->p >= r->end || *r->p != ']')
			return 1;
		r->p++;
		break;
	}
	b->n_states = i + 1;
	return SL_OK;
}

int
rstates_read(struct rd *r, struct rbody *b, const struct rbody_limits *lim)
{
	const char *start;
	char *arena;
	int rc;

	rd_ws(r);
	start = r->p;
	arena = r->arena;
	if (r->p < r->end && *r->p == 'n') /* null: as if absent */
		return rd_literal(r, "null");
	rc = lim->max_states > 0 ? states(r, b, lim) : 1;
	if (rc == SL_OK) {
		for (size_t i = 0; i < b->n_states; i++)
			b->state_rows[i].revision = &b->state_revs[i];
		b->states_read = true;
		return SL_OK;
	}
	if (rc < 0)
		return rc;
	/* Not the common shape: jansson reads it, as before. */
	b->n_states = 0;
	r->p = start;
	r->arena = arena;
	return rd_jvalue(r, &b->states);
}
