#!/usr/bin/env bash
# migrate_fixture.sh SLUICED DIR [EVENTS] [STATES_PER_COMPUTER]: an SQLite
# installation in DIR (sluiced.ini, sluice.db) of the benchmark fleet's
# shape, filled straight by SQL for measuring `sluiced --migrate-to`:
# 10,000 computers in 20 groups, 20,000 updates with a 1.5 KB document
# each, approvals for every group, EVENTS events (default 2,700,000, as
# the fleet holds after the scenario-2 runs) spread over the computers,
# and STATES_PER_COMPUTER update states a computer (default 100), the
# counters kept by the schema's triggers. The schema is the one SLUICED
# makes (it opens the file, then fails on the unreachable target).
set -euo pipefail
SLUICED=$1 DIR=$2 EVENTS=${3:-2700000} SPC=${4:-100}
COMPUTERS=10000 UPDATES=20000
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
rm -f "$DIR/sluice.db" "$DIR/sluice.db-wal" "$DIR/sluice.db-shm"
printf '[server]\nlisten = 127.0.0.1:1\ndata = %s\nuser = root\n' "$DIR" \
	>"$DIR/sluiced.ini"
"$SLUICED" --config "$DIR/sluiced.ini" \
	--migrate-to postgresql://127.0.0.1:1/none >/dev/null 2>&1 || true
[ -s "$DIR/sluice.db" ] || { echo "no schema made" >&2; exit 1; }
sqlite3 -cmd '.timeout 10000' "$DIR/sluice.db" <<EOF
PRAGMA cache_size = -200000;
BEGIN;
WITH RECURSIVE g(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM g WHERE x < 20)
INSERT INTO groups(name, parent_id) SELECT printf('g%02d', x), 1 FROM g;
WITH RECURSIVE u(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM u
  WHERE x < $UPDATES)
INSERT INTO updates(id, revision, title, classification, product,
  document, doc_sha256, imported_at)
SELECT printf('00000000-0000-4000-9000-%012x', x), 1, 'Update ' || x,
  'security', 'Debian',
  '{"id":"' || printf('00000000-0000-4000-9000-%012x', x) ||
  '","description":"' || substr(hex(zeroblob(700)), 1, 1400) || '"}',
  printf('%064x', x), 1764000000 FROM u;
INSERT INTO update_status(id, latest_revision, change_seq)
  SELECT id, 1, rowid FROM updates;
INSERT INTO approvals(update_id, group_id, action, approved_at, change_seq)
  SELECT u.id, g.id, 'install', 1764000000, u.rowid FROM updates u, groups g
  WHERE g.name LIKE 'g%' AND u.rowid % 4 = 0;
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c
  WHERE x < $COMPUTERS)
INSERT INTO computers(id, token_hash, hostname, os_id, os_version, arch,
  group_id, registered_at, last_contact, last_report)
SELECT printf('00000000-0000-4000-8000-%012x', x), printf('%064x', x),
  printf('host-%06d', x), 'debian', '13', 'amd64',
  (SELECT id FROM groups WHERE name = printf('g%02d', 1 + x % 20)),
  1764000000, 1764000000, 1764000000 FROM c;
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c
  WHERE x < $COMPUTERS),
 u(y) AS (SELECT 1 UNION ALL SELECT y + 1 FROM u WHERE y < $SPC)
INSERT INTO states(ckey, ukey, v, t)
SELECT x, 1 + (x * 37 + y * 191) % $UPDATES, 16 + (x + y) % 5,
  1764000000 + y FROM c, u;
WITH RECURSIVE e(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM e
  WHERE x < $EVENTS - 1)
INSERT INTO events(event_id, computer_id, update_id, revision, time, kind,
  result, exit_code, output, received_at)
SELECT printf('00000000-0000-4000-a000-%012x', x),
  printf('00000000-0000-4000-8000-%012x', 1 + x % $COMPUTERS),
  printf('00000000-0000-4000-9000-%012x', 1 + x % $UPDATES), 1,
  '2026-11-29T12:00:00Z', 'install', 'success', 0,
  'Setting up package ' || x || ' ...', 1764000000 + x FROM e;
COMMIT;
EOF
