/* Unit tests for agentstate: identity, the approved view (full and
 * incremental), the report queue (batches, acknowledgement, a newer state
 * queued during a send), the install journal and its recovery. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agentstate.h"

#define ID_A "11111111-1111-4111-8111-111111111111"
#define ID_B "22222222-2222-4222-8222-222222222222"
#define ID_C "33333333-3333-4333-8333-333333333333"

struct fx {
	char dir[64];
	char db[128];
	struct agentstate *s;
};

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct err e;

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/sluice-agentstate-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->db, sizeof(f->db), "%s/agent.db", f->dir);
	if (agentstate_open(&f->s, f->db, &e) != SL_OK)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	agentstate_close(f->s);
	nftw(f->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

static void
test_identity(void **state)
{
	struct fx *f = *state;
	char *id = NULL, *token = NULL, *anchor = NULL;
	struct stat sb;
	struct err e;

	assert_int_equal(agentstate_identity(f->s, &id, &token, &e),
	                 SL_ENOTFOUND);
	assert_string_equal(e.msg, "not registered");
	assert_int_equal(agentstate_set_identity(f->s, ID_A, "tok", &e), SL_OK);
	/* The token is in there: owner only. */
	assert_int_equal(stat(f->db, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	/* It survives a reopen. */
	agentstate_close(f->s);
	assert_int_equal(agentstate_open(&f->s, f->db, &e), SL_OK);
	assert_int_equal(agentstate_identity(f->s, &id, &token, &e), SL_OK);
	assert_string_equal(id, ID_A);
	assert_string_equal(token, "tok");
	free(id);
	free(token);
	assert_int_equal(agentstate_anchor(f->s, &anchor, &e), SL_OK);
	assert_null(anchor);
	assert_int_equal(agentstate_clear_identity(f->s, &e), SL_OK);
	assert_int_equal(agentstate_identity(f->s, &id, &token, &e),
	                 SL_ENOTFOUND);
}

static void
entry(struct as_entry *en, const char *id, int64_t rev, const char *doc,
      struct as_file *files, size_t n)
{
	memset(en, 0, sizeof(*en));
	snprintf(en->id, sizeof(en->id), "%s", id);
	en->revision = rev;
	snprintf(en->action, sizeof(en->action), "install");
	en->document = (char *)doc;
	en->files = files;
	en->n_files = n;
}

static void
test_view(void **state)
{
	struct fx *f = *state;
	struct as_file files[2] = {
	        {"aa00000000000000000000000000000000000000000000000000000000000"
	         "000",
	         10, "http://s/content/aa"},
	        {"bb00000000000000000000000000000000000000000000000000000000000"
	         "000",
	         20, "http://s/content/bb"},
	};
	struct as_entry in[3], *v = NULL;
	char *removed[] = {ID_A};
	char *anchor = NULL;
	size_t n = 0;
	struct err e;

	entry(&in[0], ID_B, 1, "{\"b\":1}", files, 2);
	entry(&in[1], ID_A, 3, "{\"a\":3}", NULL, 0);
	in[1].deadline = 1700000000;
	snprintf(in[1].action, sizeof(in[1].action), "uninstall");
	assert_int_equal(
	        agentstate_view_apply(f->s, true, in, 2, NULL, 0, "7", &e),
	        SL_OK);
	assert_int_equal(agentstate_view_load(f->s, &v, &n, &e), SL_OK);
	assert_int_equal(n, 2);
	assert_string_equal(v[0].id, ID_A); /* sorted by id */
	assert_int_equal(v[0].revision, 3);
	assert_string_equal(v[0].action, "uninstall");
	assert_int_equal(v[0].deadline, 1700000000);
	assert_int_equal(v[0].n_files, 0);
	assert_string_equal(v[1].document, "{\"b\":1}");
	assert_int_equal(v[1].n_files, 2);
	assert_string_equal(v[1].files[1].url, "http://s/content/bb");
	assert_int_equal(v[1].files[1].size, 20);
	agentstate_entries_free(v, n);

	/* Incremental: C added, B revised, A removed. */
	entry(&in[0], ID_C, 1, "{\"c\":1}", NULL, 0);
	entry(&in[1], ID_B, 2, "{\"b\":2}", files, 1);
	assert_int_equal(
	        agentstate_view_apply(f->s, false, in, 2, removed, 1, "9", &e),
	        SL_OK);
	assert_int_equal(agentstate_view_load(f->s, &v, &n, &e), SL_OK);
	assert_int_equal(n, 2);
	assert_string_equal(v[0].id, ID_B);
	assert_int_equal(v[0].revision, 2);
	assert_int_equal(v[0].n_files, 1);
	assert_string_equal(v[1].id, ID_C);
	agentstate_entries_free(v, n);
	assert_int_equal(agentstate_anchor(f->s, &anchor, &e), SL_OK);
	assert_string_equal(anchor, "9");
	free(anchor);

	/* Full replaces everything. */
	entry(&in[0], ID_A, 1, "{}", NULL, 0);
	assert_int_equal(
	        agentstate_view_apply(f->s, true, in, 1, NULL, 0, "10", &e),
	        SL_OK);
	assert_int_equal(agentstate_view_load(f->s, &v, &n, &e), SL_OK);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].id, ID_A);
	agentstate_entries_free(v, n);
}

static void
state_of(struct as_state *s, const char *id, const char *state,
         const char *detail)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->id, sizeof(s->id), "%s", id);
	s->revision = 1;
	snprintf(s->state, sizeof(s->state), "%s", state);
	s->detail = (char *)detail;
	s->title = "T";
}

static void
test_queue(void **state)
{
	struct fx *f = *state;
	struct as_state st[2], *loaded = NULL;
	struct as_event ev;
	struct as_batch b;
	json_t *body = NULL;
	size_t n = 0, qs = 0, qe = 0, nq = 0;
	struct err e;

	/* Empty queue: no body. */
	assert_int_equal(agentstate_queue_batch(f->s, &body, &b, 1000, 100, &e),
	                 SL_OK);
	assert_null(body);

	state_of(&st[0], ID_A, "needed", NULL);
	state_of(&st[1], ID_B, "not-applicable", "superseded by " ID_A);
	assert_int_equal(agentstate_states_store(f->s, st, 2, false, &nq, &e),
	                 SL_OK);
	assert_int_equal(nq, 2);
	assert_int_equal(agentstate_states_load(f->s, &loaded, &n, &e), SL_OK);
	assert_int_equal(n, 2);
	agentstate_states_free(loaded, n);
	memset(&ev, 0, sizeof(ev));
	snprintf(ev.id, sizeof(ev.id), "%s", ID_A);
	ev.revision = 1;
	snprintf(ev.kind, sizeof(ev.kind), "install");
	snprintf(ev.result, sizeof(ev.result), "failure");
	ev.exit_code = 3;
	ev.output = "boom";
	assert_int_equal(agentstate_queue_event(f->s, &ev, &e), SL_OK);
	assert_int_equal(agentstate_queue_event(f->s, &ev, &e), SL_OK);

	assert_int_equal(agentstate_queue_batch(f->s, &body, &b, 1000, 100, &e),
	                 SL_OK);
	assert_non_null(body);
	assert_int_equal(b.n_states, 2);
	assert_int_equal(b.n_events, 2);
	json_t *evs = json_object_get(body, "events");
	json_t *e0 = json_array_get(evs, 0), *e1 = json_array_get(evs, 1);
	assert_int_equal(
	        strlen(json_string_value(json_object_get(e0, "event_id"))), 36);
	/* Two events, two distinct ids. */
	assert_string_not_equal(
	        json_string_value(json_object_get(e0, "event_id")),
	        json_string_value(json_object_get(e1, "event_id")));
	assert_int_equal(json_integer_value(json_object_get(e0, "exit_code")),
	                 3);
	assert_string_equal(json_string_value(json_object_get(e0, "output")),
	                    "boom");
	assert_string_equal(
	        json_string_value(json_object_get(
	                json_array_get(json_object_get(body, "states"), 1),
	                "detail")),
	        "superseded by " ID_A);

	/* While the batch is in flight, A's state changes: the ack must not
	 * drop the newer state. */
	state_of(&st[0], ID_A, "installed", NULL);
	assert_int_equal(agentstate_states_store(f->s, st, 1, false, &nq, &e),
	                 SL_OK);
	assert_int_equal(nq, 1);
	assert_int_equal(agentstate_queue_ack(f->s, &b, &e), SL_OK);
	agentstate_batch_free(&b);
	json_decref(body);
	assert_int_equal(agentstate_queue_count(f->s, &qs, &qe, &e), SL_OK);
	assert_int_equal(qs, 1);
	assert_int_equal(qe, 0);
	assert_int_equal(agentstate_queue_batch(f->s, &body, &b, 1000, 100, &e),
	                 SL_OK);
	assert_string_equal(
	        json_string_value(json_object_get(
	                json_array_get(json_object_get(body, "states"), 0),
	                "state")),
	        "installed");
	/* Not acknowledged (server unreachable): still there after a
	 * reopen, and the event ids do not change between attempts. */
	agentstate_batch_free(&b);
	json_decref(body);
	agentstate_close(f->s);
	assert_int_equal(agentstate_open(&f->s, f->db, &e), SL_OK);
	assert_int_equal(agentstate_queue_count(f->s, &qs, &qe, &e), SL_OK);
	assert_int_equal(qs, 1);
}

/* Only changed states are queued; queue_all queues every one. */
static void
test_states_diff(void **state)
{
	struct fx *f = *state;
	struct as_state st[3], *loaded = NULL;
	size_t nq = 9, n = 0, qs = 0, qe = 0;
	struct as_batch b;
	json_t *body = NULL;
	struct err e;

	state_of(&st[0], ID_A, "needed", NULL);
	state_of(&st[1], ID_B, "installed", NULL);
	state_of(&st[2], ID_C, "failed", "exit code 1");
	assert_int_equal(agentstate_states_store(f->s, st, 3, false, &nq, &e),
	                 SL_OK);
	assert_int_equal(nq, 3);
	assert_int_equal(agentstate_queue_batch(f->s, &body, &b, 1000, 100, &e),
	                 SL_OK);
	assert_int_equal(agentstate_queue_ack(f->s, &b, &e), SL_OK);
	agentstate_batch_free(&b);
	json_decref(body);
	/* Same states again: nothing to report. A new title is stored but
	 * not reported (the server has the title). */
	st[1].title = "New title";
	assert_int_equal(agentstate_states_store(f->s, st, 3, false, &nq, &e),
	                 SL_OK);
	assert_int_equal(nq, 0);
	assert_int_equal(agentstate_queue_count(f->s, &qs, &qe, &e), SL_OK);
	assert_int_equal(qs, 0);
	/* A detail change is a change; B leaving the view deletes it. */
	st[1] = st[2];
	st[1].detail = "exit code 2";
	assert_int_equal(agentstate_states_store(f->s, st, 2, false, &nq, &e),
	                 SL_OK);
	assert_int_equal(nq, 1);
	assert_int_equal(agentstate_states_load(f->s, &loaded, &n, &e), SL_OK);
	assert_int_equal(n, 2);
	assert_string_equal(loaded[1].detail, "exit code 2");
	agentstate_states_free(loaded, n);
	assert_int_equal(agentstate_states_store(f->s, st, 2, true, &nq, &e),
	                 SL_OK);
	assert_int_equal(nq, 2);
}

static void
test_event_ids_stable(void **state)
{
	struct fx *f = *state;
	struct as_event ev;
	struct as_batch b1, b2;
	json_t *body1 = NULL, *body2 = NULL;
	struct err e;

	memset(&ev, 0, sizeof(ev));
	snprintf(ev.id, sizeof(ev.id), "%s", ID_C);
	ev.revision = 4;
	snprintf(ev.kind, sizeof(ev.kind), "verify");
	snprintf(ev.result, sizeof(ev.result), "failure");
	assert_int_equal(agentstate_queue_event(f->s, &ev, &e), SL_OK);
	assert_int_equal(agentstate_queue_batch(f->s, &body1, &b1, 10, 100, &e),
	                 SL_OK);
	assert_int_equal(agentstate_queue_batch(f->s, &body2, &b2, 10, 100, &e),
	                 SL_OK);
	assert_true(json_equal(body1, body2));
	assert_int_equal(agentstate_queue_ack(f->s, &b1, &e), SL_OK);
	/* A second ack of the same rows is harmless. */
	assert_int_equal(agentstate_queue_ack(f->s, &b2, &e), SL_OK);
	agentstate_batch_free(&b1);
	agentstate_batch_free(&b2);
	json_decref(body1);
	json_decref(body2);
	assert_int_equal(agentstate_queue_batch(f->s, &body1, &b1, 10, 100, &e),
	                 SL_OK);
	assert_null(body1);
}

static void
test_batches_are_bounded(void **state)
{
	struct fx *f = *state;
	char big[600];
	struct as_event ev;
	struct as_batch b;
	json_t *body = NULL;
	struct err e;

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memset(&ev, 0, sizeof(ev));
	snprintf(ev.id, sizeof(ev.id), "%s", ID_A);
	snprintf(ev.kind, sizeof(ev.kind), "install");
	snprintf(ev.result, sizeof(ev.result), "success");
	ev.output = big;
	for (int i = 0; i < 3; i++)
		assert_int_equal(agentstate_queue_event(f->s, &ev, &e), SL_OK);
	/* 1000 bytes of output per batch: one event at a time (a single
	 * event over the limit still goes). */
	for (int i = 0; i < 3; i++) {
		assert_int_equal(
		        agentstate_queue_batch(f->s, &body, &b, 1000, 100, &e),
		        SL_OK);
		assert_int_equal(b.n_events, 1);
		assert_int_equal(agentstate_queue_ack(f->s, &b, &e), SL_OK);
		agentstate_batch_free(&b);
		json_decref(body);
	}
	assert_int_equal(agentstate_queue_batch(f->s, &body, &b, 1000, 100, &e),
	                 SL_OK);
	assert_null(body);
}

/* max_rows bounds a batch; events come before states. */
static void
test_batch_rows(void **state)
{
	struct fx *f = *state;
	struct as_state st[2];
	struct as_event ev;
	struct as_batch b;
	json_t *body = NULL;
	size_t nq = 0;
	struct err e;

	state_of(&st[0], ID_A, "needed", NULL);
	state_of(&st[1], ID_B, "needed", NULL);
	assert_int_equal(agentstate_states_store(f->s, st, 2, false, &nq, &e),
	                 SL_OK);
	memset(&ev, 0, sizeof(ev));
	snprintf(ev.id, sizeof(ev.id), "%s", ID_C);
	snprintf(ev.kind, sizeof(ev.kind), "install");
	snprintf(ev.result, sizeof(ev.result), "success");
	assert_int_equal(agentstate_queue_event(f->s, &ev, &e), SL_OK);
	assert_int_equal(agentstate_queue_batch(f->s, &body, &b, 100000, 1, &e),
	                 SL_OK);
	assert_int_equal(b.n_events, 1);
	assert_int_equal(b.n_states, 0);
	agentstate_batch_free(&b);
	json_decref(body);
	assert_int_equal(agentstate_queue_batch(f->s, &body, &b, 100000, 2, &e),
	                 SL_OK);
	assert_int_equal(b.n_events, 1);
	assert_int_equal(b.n_states, 1);
	agentstate_batch_free(&b);
	json_decref(body);
}

/* Output over AS_OUTPUT_MAX is cut, never in the middle of a character. */
static void
test_output_cut(void **state)
{
	struct fx *f = *state;
	size_t n = AS_OUTPUT_MAX + 10;
	char *big = malloc(n + 1);
	struct as_event ev;
	struct as_batch b;
	json_t *body = NULL;
	const char *out;
	struct err e;

	assert_non_null(big);
	memset(big, 'x', n);
	/* A 2-byte character straddling the limit. */
	big[AS_OUTPUT_MAX - 1] = '\xc3';
	big[AS_OUTPUT_MAX] = '\xa9';
	big[n] = '\0';
	memset(&ev, 0, sizeof(ev));
	snprintf(ev.id, sizeof(ev.id), "%s", ID_A);
	snprintf(ev.kind, sizeof(ev.kind), "install");
	snprintf(ev.result, sizeof(ev.result), "failure");
	ev.output = big;
	assert_int_equal(agentstate_queue_event(f->s, &ev, &e), SL_OK);
	free(big);
	assert_int_equal(agentstate_queue_batch(f->s, &body, &b, 1000, 10, &e),
	                 SL_OK);
	out = json_string_value(json_object_get(
	        json_array_get(json_object_get(body, "events"), 0), "output"));
	assert_non_null(out);
	assert_int_equal(strlen(out), AS_OUTPUT_MAX - 1);
	agentstate_batch_free(&b);
	json_decref(body);
}

static void
test_journal(void **state)
{
	struct fx *f = *state;
	struct as_outcome oc;
	struct as_event ev;
	struct as_batch b;
	json_t *body = NULL, *e0;
	bool inst = true;
	size_t n = 9;
	struct err e;

	/* A finished install: journal row gone, outcome + event + mark. */
	assert_int_equal(agentstate_journal_begin(f->s, ID_A, 2, "install", &e),
	                 SL_OK);
	memset(&ev, 0, sizeof(ev));
	snprintf(ev.id, sizeof(ev.id), "%s", ID_A);
	ev.revision = 2;
	snprintf(ev.kind, sizeof(ev.kind), "install");
	snprintf(ev.result, sizeof(ev.result), "reboot-required");
	ev.exit_code = 3010;
	assert_int_equal(agentstate_journal_finish(f->s, &ev, "exit code 3010",
	                                           "boot-1", &e),
	                 SL_OK);
	assert_int_equal(agentstate_installed(f->s, ID_A, &inst, &e), SL_OK);
	assert_true(inst);
	assert_int_equal(agentstate_outcome(f->s, ID_A, &oc, &e), SL_OK);
	assert_string_equal(oc.result, "reboot-required");
	assert_string_equal(oc.boot_id, "boot-1");
	assert_string_equal(oc.detail, "exit code 3010");
	agentstate_outcome_clear(&oc);
	assert_int_equal(agentstate_journal_recover(f->s, &n, &e), SL_OK);
	assert_int_equal(n, 0);

	/* Uninstall success clears the mark. */
	snprintf(ev.kind, sizeof(ev.kind), "uninstall");
	snprintf(ev.result, sizeof(ev.result), "success");
	assert_int_equal(agentstate_journal_finish(f->s, &ev, "exit code 0",
	                                           "boot-1", &e),
	                 SL_OK);
	assert_int_equal(agentstate_installed(f->s, ID_A, &inst, &e), SL_OK);
	assert_false(inst);

	/* The agent dies while B installs: the next start reports it. */
	assert_int_equal(agentstate_journal_begin(f->s, ID_B, 1, "install", &e),
	                 SL_OK);
	agentstate_close(f->s);
	assert_int_equal(agentstate_open(&f->s, f->db, &e), SL_OK);
	assert_int_equal(agentstate_journal_recover(f->s, &n, &e), SL_OK);
	assert_int_equal(n, 1);
	assert_int_equal(agentstate_outcome(f->s, ID_B, &oc, &e), SL_OK);
	assert_string_equal(oc.result, "failure");
	assert_string_equal(oc.detail, "interrupted: agent stopped during "
	                               "install; result unknown");
	agentstate_outcome_clear(&oc);
	assert_int_equal(agentstate_outcome(f->s, ID_C, &oc, &e), SL_ENOTFOUND);
	assert_string_equal(e.msg, "no attempt recorded for " ID_C);
	assert_int_equal(
	        agentstate_queue_batch(f->s, &body, &b, 100000, 100, &e),
	        SL_OK);
	assert_int_equal(b.n_events, 3);
	e0 = json_array_get(json_object_get(body, "events"), 2);
	assert_string_equal(json_string_value(json_object_get(e0, "id")), ID_B);
	assert_string_equal(json_string_value(json_object_get(e0, "result")),
	                    "failure");
	agentstate_batch_free(&b);
	json_decref(body);
	/* Recovery happens once. */
	assert_int_equal(agentstate_journal_recover(f->s, &n, &e), SL_OK);
	assert_int_equal(n, 0);
}

static void
test_refused_once(void **state)
{
	struct fx *f = *state;
	bool is_new = false;
	struct err e;

	assert_int_equal(
	        agentstate_refused_mark(f->s, ID_A, 1, "h1", &is_new, &e),
	        SL_OK);
	assert_true(is_new);
	assert_int_equal(
	        agentstate_refused_mark(f->s, ID_A, 1, "h1", &is_new, &e),
	        SL_OK);
	assert_false(is_new);
	assert_int_equal(
	        agentstate_refused_mark(f->s, ID_A, 1, "h2", &is_new, &e),
	        SL_OK);
	assert_true(is_new);
}

static void
test_uuid(void **state)
{
	char a[AS_ID_MAX], b[AS_ID_MAX];

	(void)state;
	agentstate_uuid(a);
	agentstate_uuid(b);
	assert_int_equal(strlen(a), 36);
	assert_int_equal(a[14], '7');
	assert_true(strchr("89ab", a[19]) != NULL);
	assert_string_not_equal(a, b);
	/* Time-ordered: the first 48 bits (ms) never go back. */
	assert_true(memcmp(a, b, 13) <= 0);
}

static void
test_open_errors(void **state)
{
	struct agentstate *s = NULL;
	struct err e;

	(void)state;
	assert_int_equal(agentstate_open(&s, "/nonexistent/dir/agent.db", &e),
	                 SL_EDB);
	assert_null(s);
	assert_string_equal(e.msg, "/nonexistent/dir/agent.db: unable to "
	                           "open database file");
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        T(test_identity),
	        T(test_view),
	        T(test_queue),
	        T(test_states_diff),
	        T(test_event_ids_stable),
	        T(test_batches_are_bounded),
	        T(test_batch_rows),
	        T(test_output_cut),
	        T(test_journal),
	        T(test_refused_once),
	        cmocka_unit_test(test_uuid),
	        cmocka_unit_test(test_open_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
