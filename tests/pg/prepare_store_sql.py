#!/usr/bin/env python3
"""Prepare every SQL statement of the store on PostgreSQL.

The store (src/server/store/*.c) writes each query once for both engines.
This check catches PostgreSQL dialect mistakes (an untyped parameter, a
SQLite-only function, a wrong column) without running the server: it
applies the PostgreSQL migrations (db_pg_schema.c) to a fresh schema of
SLUICE_TEST_DATABASE, then PREPAREs every string constant of the store
that starts with SELECT / INSERT / UPDATE / DELETE / WITH, after the C
preprocessor has expanded the macros that assemble some of them.

Run it through tests/pg/with_cluster.sh; SOURCE_ROOT defaults to the
checkout this file is in. Prints one line per statement that does not
prepare (file:line, PostgreSQL's message, the SQL) and exits 1 if any.
"""
import os
import re
import subprocess
import sys

LIT = r'"(?:[^"\\\n]|\\.)*"'
SQL_START = re.compile(r"\s*(SELECT|INSERT|UPDATE|DELETE|WITH)\b")
# STORE_SQLITE_ONLY (store_int.h): writes of SQLite's `states` table, a
# view of the packed state_pages in PostgreSQL.
SQLITE_ONLY = "/* SQLite only */ "


def preprocess(root, path):
    cc = os.environ.get("CC", "cc")
    inc = ["src/lib", "src/server", "src/server/store", "src/server/http",
           "src/server/api", "src/server/jobs", "/usr/include/postgresql"]
    args = [cc, "-E", "-D_GNU_SOURCE"] + ["-I" + os.path.join(root, i)
                                         for i in inc] + [path]
    return subprocess.run(args, check=True, capture_output=True,
                          text=True).stdout


def literals(text):
    """(line, string) for each run of adjacent C string literals."""
    lines = []
    line = 1
    pos = 0
    # Track the source line through the preprocessor's line markers.
    for m in re.finditer(r'^# (\d+) "[^"]*".*$|(%s(?:\s*%s)*)' % (LIT, LIT),
                         text, re.M):
        line += text.count("\n", pos, m.start())
        pos = m.start()
        if m.group(1):
            line = int(m.group(1)) - 1
            pos = m.end()
            continue
        parts = re.findall(LIT, m.group(2))
        s = "".join(p[1:-1] for p in parts)
        lines.append((line, s.encode().decode("unicode_escape")))
    return lines


def psql(url, sql):
    return subprocess.run(["psql", "-qAtX", "-v", "ON_ERROR_STOP=1", url,
                           "-c", sql], capture_output=True, text=True)


def main():
    root = os.environ.get("SOURCE_ROOT") or os.path.dirname(
        os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    base = os.environ.get("SLUICE_TEST_DATABASE")
    if not base:
        print("prepare_store_sql: SLUICE_TEST_DATABASE is not set "
              "(run through tests/pg/with_cluster.sh)", file=sys.stderr)
        return 2
    store = os.path.join(root, "src/server/store")
    schema = "prep%d" % os.getpid()
    r = psql(base, "CREATE SCHEMA %s" % schema)
    if r.returncode:
        print(r.stderr, file=sys.stderr)
        return 1
    url = "%s%soptions=-csearch_path%%3D%s" % (base, "&" if "?" in base
                                               else "?", schema)

    # The migrations, in order: the strings named migration_N.
    src = preprocess(root, os.path.join(store, "db_pg_schema.c"))
    n = 1
    while True:
        m = re.search(r"migration_%d\s*=((?:\s*%s)+)\s*;" % (n, LIT), src)
        if not m:
            break
        ddl = "".join(p[1:-1] for p in re.findall(LIT, m.group(1)))
        r = psql(url, ddl.encode().decode("unicode_escape"))
        if r.returncode:
            print("migration %d: %s" % (n, r.stderr.strip()))
            return 1
        n += 1
    if n == 1:
        print("prepare_store_sql: no migrations found in db_pg_schema.c")
        return 1

    checked = bad = sqlite_only = 0
    for name in sorted(os.listdir(store)):
        if not name.endswith(".c") or name.startswith("db_"):
            continue
        path = os.path.join(store, name)
        for line, sql in literals(preprocess(root, path)):
            if sql.startswith(SQLITE_ONLY):
                sqlite_only += 1
                continue
            if not SQL_START.match(sql):
                continue
            checked += 1
            r = psql(url, "PREPARE p%d AS %s" % (checked, sql))
            err = r.stderr.strip()
            if r.returncode or err:
                bad += 1
                print("%s:%d: %s\n    %s" % (os.path.relpath(path, root),
                                            line, err.splitlines()[0],
                                            sql))
    psql(base, "DROP SCHEMA %s CASCADE" % schema)
    print("prepare_store_sql: %d statements, %d do not prepare on "
          "PostgreSQL (schema version %d; %d SQLite only)" %
          (checked, bad, n - 1, sqlite_only))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
