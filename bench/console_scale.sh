#!/usr/bin/env bash
# The web console's views at scale: 20,000 updates, 10,000 computers and
# 50,000 reported states written straight into a fresh server's SQLite
# database, then the time of each console endpoint (one request each, the
# page the browser asks for). Run by hand: bench/console_scale.sh BUILD_DIR
# (figures in docs/console.md).
set -euo pipefail
BUILD_DIR=$(cd "${1:-build-release}" && pwd)
SOURCE_ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$SOURCE_ROOT"
. tests/e2e/lib.sh
DATA=$TMP/data
start_server "$DATA"
stop_server
sqlite3 "$DATA/sluice.db" <<SQL
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < 20000)
INSERT INTO updates(id, revision, title, classification, product, kb_article,
 severity, release_date, document, doc_sha256, imported_at) SELECT printf('%08x-0000-4000-8000-%012x', i, i), 1, 'Update number ' || i,
 CASE i % 4 WHEN 0 THEN 'security' WHEN 1 THEN 'update' WHEN 2 THEN 'feature' ELSE 'critical' END,
 'Product ' || (i % 7), 'KB' || i, CASE i % 3 WHEN 0 THEN 'important' WHEN 1 THEN 'low' ELSE NULL END,
 printf('2026-%02d-%02d', 1 + i % 12, 1 + i % 28), '{}', 'x', 0 FROM n;
INSERT INTO update_status(id, latest_revision, expired, declined, change_seq) SELECT id, 1, 0, 0, 1 FROM updates;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < 10000)
INSERT INTO computers(id, token_hash, hostname, os_id, os_version, arch, group_id, registered_at, last_contact, last_report)
 SELECT printf('c%05d', i), 'h' || i, printf('host-%05d', i), 'debian', '12', 'amd64', 2, 0, strftime('%s','now') - (i % 60) * 86400, strftime('%s','now') FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < 50000)
INSERT OR IGNORE INTO states(ckey, ukey, v, t) SELECT (SELECT ckey FROM computers WHERE id = printf('c%05d', 1 + i % 10000)),
 (SELECT ukey FROM update_status WHERE id = printf('%08x-0000-4000-8000-%012x', 1 + (i * 7) % 20000, 1 + (i * 7) % 20000)),
 16 + CASE i % 5 WHEN 0 THEN 5 WHEN 1 THEN 1 ELSE 3 END, strftime('%s','now') FROM n;
SQL
start_server "$DATA"
for p in "console/dashboard" "console/updates?limit=50" "console/updates?offset=19950&limit=50&search=Update" "console/updates?status=failed&severity=important" "console/computers?limit=50" "console/computers?status=stale&offset=5000" "groups"; do
	curl -s -o /dev/null -w "%{time_total} s  /v1/admin/$p\n" -H "Authorization: Bearer $ADMIN_TOKEN" "$SERVER_URL/v1/admin/$p"
done
curl -s -H "Authorization: Bearer $ADMIN_TOKEN" "$SERVER_URL/v1/admin/console/dashboard" | jq -c '.computers, .updates.needed'
stop_server
