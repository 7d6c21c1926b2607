/*
 * test_store_contact: last-contact times batched in memory: the latest time
 * per computer is written by a flush, never a time older than the row's,
 * what is left is written when the batcher is freed, and the writer
 * thread flushes on its own.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db_fixture.h"
#include "server_fixture.h"
#include "store/store.h"
#include "store/store_contact.h"
#include "store/store_int.h"

#define C1 "11111111-2222-4333-8444-555555555501"
#define C2 "11111111-2222-4333-8444-555555555502"

static char tmp[64], file[128], path[1024];
static struct store *s;

static void
add_computer(const char *id)
{
	struct store_computer_new c = {.id = id,
	                               .token_hash = id,
	                               .hostname = "h",
	                               .group_id = 1,
	                               .now = 10};
	char replaced[40];
	struct err e;

	assert_int_equal(store_begin(s, &e), SL_OK);
	assert_int_equal(store_computer_register(replaced, s, &c, &e), SL_OK);
	assert_int_equal(store_commit(s, &e), SL_OK);
}

/* n computers registered with ids ...-<first + i>, a batcher opened with
 * a long interval (only explicit flushes write) and each computer's
 * contact noted at time at + i. */
static void
note_many(struct store_contacts **c, char (*id)[40], int n, int first,
          int64_t at)
{
	struct err e;

	for (int i = 0; i < n; i++) {
		snprintf(id[i], sizeof(id[i]), "11111111-2222-4333-8444-%012d",
		         first + i);
		add_computer(id[i]);
	}
	assert_int_equal(store_contacts_new(c, path, 3600000, &e), SL_OK);
	for (int i = 0; i < n; i++)
		store_contacts_note(*c, id[i], at + i);
}

static int64_t
contact(const char *id)
{
	struct store_computer_sync cs;
	struct err e;

	assert_int_equal(store_computer_sync_state(&cs, s, id, &e), SL_OK);
	assert_true(cs.has_contact);
	return cs.last_contact;
}

static int
setup(void **state)
{
	struct err e;

	(void)state;
	snprintf(tmp, sizeof(tmp), "/tmp/sluice-test-contact.XXXXXX");
	assert_non_null(mkdtemp(tmp));
	snprintf(file, sizeof(file), "%s/sluice.db", tmp);
	/* SQLite, or a PostgreSQL schema of its own (db_fixture.h): the
	 * store and the contact writer open the same target. */
	snprintf(path, sizeof(path), "%s", fixture_db_target(file));
	assert_int_equal(store_open(&s, path, &e), SL_OK);
	add_computer(C1);
	add_computer(C2);
	return 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	store_close(s);
	s = NULL;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
	assert_int_equal(system(cmd), 0);
	return 0;
}

static void
test_flush_latest(void **state)
{
	struct store_contacts *c;
	struct err e;

	(void)state;
	/* A long interval: only the explicit flushes write. */
	assert_int_equal(store_contacts_new(&c, path, 3600000, &e), SL_OK);
	store_contacts_note(c, C1, 100);
	store_contacts_note(c, C1, 50);
	store_contacts_note(c, C2, 70);
	assert_int_equal(contact(C1), 10); /* not written yet */
	assert_int_equal(store_contacts_flush(c, &e), SL_OK);
	assert_int_equal(contact(C1), 100);
	assert_int_equal(contact(C2), 70);
	/* Nothing noted: a flush writes nothing. */
	assert_int_equal(store_contacts_flush(c, &e), SL_OK);
	/* A report wrote a later time: the batch does not take it back. */
	assert_int_equal(store_computer_touch(s, C1, 200, true, &e), SL_OK);
	store_contacts_note(c, C1, 150);
	assert_int_equal(store_contacts_flush(c, &e), SL_OK);
	assert_int_equal(contact(C1), 200);
	/* Unknown computers and over-long ids change nothing. */
	store_contacts_note(c, "no-such-computer", 500);
	store_contacts_note(c, "", 500);
	assert_int_equal(store_contacts_flush(c, &e), SL_OK);
	/* Freeing writes what is left. */
	store_contacts_note(c, C2, 300);
	store_contacts_free(c);
	assert_int_equal(contact(C2), 300);
	store_contacts_free(NULL);
}

/* A batch larger than one statement: 128 + 128 + 16 + 16 + 1 x 9 rows
 * (every statement size), each computer its own time. */
static void
test_flush_many(void **state)
{
	enum { N = 297 };
	struct store_contacts *c;
	char id[N][40];
	struct err e;

	(void)state;
	note_many(&c, id, N, 1000, 1000);
	/* One of them already has a later time: it stays. */
	assert_int_equal(store_computer_touch(s, id[7], 5000, true, &e), SL_OK);
	assert_int_equal(store_contacts_flush(c, &e), SL_OK);
	for (int i = 0; i < N; i++)
		assert_int_equal(contact(id[i]), i == 7 ? 5000 : 1000 + i);
	assert_int_equal(contact(C1), 10);
	store_contacts_free(c);
}

/* A flush the database refuses (here: the column is gone for a moment)
 * fails with its reason and keeps the whole batch, several statements'
 * worth, with what was noted meanwhile; the next flush writes it all. */
static void
test_flush_fails_keeps_batch(void **state)
{
	enum { N = 150 };
	struct store_contacts *c;
	char id[N][40];
	struct err e;

	(void)state;
	note_many(&c, id, N, 2000, 3000);
	assert_int_equal(db_exec(s->db,
	                         "ALTER TABLE computers RENAME COLUMN "
	                         "last_contact TO contact_gone",
	                         &e),
	                 SL_OK);
	err_clear(&e);
	assert_int_not_equal(store_contacts_flush(c, &e), SL_OK);
	assert_non_null(strstr(e.msg, "last contacts: "));
	assert_int_equal(db_exec(s->db,
	                         "ALTER TABLE computers RENAME COLUMN "
	                         "contact_gone TO last_contact",
	                         &e),
	                 SL_OK);
	store_contacts_note(c, C1, 4000);
	store_contacts_note(c, id[0], 2500); /* older: the batch keeps 3000 */
	assert_int_equal(store_contacts_flush(c, &e), SL_OK);
	for (int i = 0; i < N; i++)
		assert_int_equal(contact(id[i]), 3000 + i);
	assert_int_equal(contact(C1), 4000);
	store_contacts_free(c);
}

static void
test_writer_thread(void **state)
{
	struct store_contacts *c;
	struct err e;
	int i;

	(void)state;
	assert_int_equal(store_contacts_new(&c, path, 20, &e), SL_OK);
	store_contacts_note(c, C1, 400);
	for (i = 0; i < 500 && contact(C1) != 400; i++)
		usleep(10000);
	assert_int_equal(contact(C1), 400);
	store_contacts_free(c);
}

static void
test_open_error(void **state)
{
	struct store_contacts *c = NULL;
	struct err e;

	(void)state;
	err_clear(&e);
	assert_int_equal(
	        store_contacts_new(&c, "/nonexistent/dir/x.db", 100, &e),
	        SL_EDB);
	assert_null(c);
	assert_non_null(strstr(e.msg, "last contacts: "));
	assert_non_null(strstr(e.msg, "/nonexistent/dir/x.db"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_flush_latest, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_flush_many, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_flush_fails_keeps_batch,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(test_writer_thread, setup,
	                                        teardown),
	        cmocka_unit_test(test_open_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
