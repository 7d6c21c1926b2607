#!/usr/bin/env bash
# Run CMD... against a throw-away PostgreSQL cluster (pg_cluster.sh):
# start it, export its URL as SLUICE_TEST_DATABASE (the tests' database)
# with SLUICE_TEST_PG_DIR / SLUICE_TEST_PG_CLUSTER (to halt and restart
# it), run CMD, then stop the cluster and remove it, whatever CMD did.
# Exits with CMD's status.
#
#   tests/pg/with_cluster.sh build/tests/unit/test_db_engines
#   tests/pg/with_cluster.sh meson test -C build --suite pg
set -euo pipefail

[ "$#" -gt 0 ] || {
	echo "usage: with_cluster.sh CMD [ARG]..." >&2
	exit 2
}
here=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d "${TMPDIR:-/tmp}/sluice-pg.XXXXXX")
trap '"$here/pg_cluster.sh" stop "$dir" || rm -rf "$dir"' EXIT
SLUICE_TEST_DATABASE=$("$here/pg_cluster.sh" start "$dir")
export SLUICE_TEST_DATABASE SLUICE_TEST_PG_DIR="$dir"
export SLUICE_TEST_PG_CLUSTER="$here/pg_cluster.sh"
set +e
"$@"
rc=$?
set -e
exit "$rc"
