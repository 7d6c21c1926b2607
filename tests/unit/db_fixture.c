/*
 * db_fixture: SQLite file or fresh PostgreSQL schema for the unit tests
 * (db_fixture.h).
 */
#include "db_fixture.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>

static unsigned serial;

bool
fixture_pg_enabled(void)
{
	const char *url = getenv("SLUICE_TEST_DATABASE");

	return url != NULL && *url != '\0';
}

/* One statement on the test cluster, outside the code under test. */
static void
admin(const char *sql)
{
	PGconn *c = PQconnectdb(getenv("SLUICE_TEST_DATABASE"));
	PGresult *r;

	if (PQstatus(c) != CONNECTION_OK)
		fail_msg("SLUICE_TEST_DATABASE: %s", PQerrorMessage(c));
	r = PQexec(c, sql);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		fail_msg("%s: %s", sql, PQerrorMessage(c));
	PQclear(r);
	PQfinish(c);
}

void
fixture_pg_target(char *out, size_t n, char *schema, size_t sn)
{
	const char *url = getenv("SLUICE_TEST_DATABASE");
	char sql[128];

	assert_true(fixture_pg_enabled());
	snprintf(schema, sn, "t%ld_%u", (long)getpid(), ++serial);
	snprintf(sql, sizeof(sql), "CREATE SCHEMA %s", schema);
	admin(sql);
	/* libpq passes options to the server: the schema is the search
	 * path, so the code under test needs no schema names. */
	snprintf(out, n, "%s%soptions=-csearch_path%%3D%s", url,
	         strchr(url, '?') ? "&" : "?", schema);
}

void
fixture_pg_drop(const char *schema)
{
	char sql[128];

	snprintf(sql, sizeof(sql), "DROP SCHEMA %s CASCADE", schema);
	admin(sql);
}

const char *
fixture_db_target(const char *sqlite_path)
{
	static char url[1024];
	const char *base = getenv("SLUICE_TEST_DATABASE");
	uint64_t h = 1469598103934665603ull; /* FNV-1a of the path */
	char sql[128];
	const char *p;

	if (!fixture_pg_enabled())
		return sqlite_path;
	/* One schema per path: reopening the same "file" finds its data. */
	for (p = sqlite_path; *p != '\0'; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ull;
	snprintf(sql, sizeof(sql), "CREATE SCHEMA IF NOT EXISTS p%ld_%016llx",
	         (long)getpid(), (unsigned long long)h);
	admin(sql);
	snprintf(url, sizeof(url), "%s%soptions=-csearch_path%%3Dp%ld_%016llx",
	         base, strchr(base, '?') ? "&" : "?", (long)getpid(),
	         (unsigned long long)h);
	return url;
}
