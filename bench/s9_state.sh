#!/usr/bin/env bash
# Scenario 9, compact per-computer state: a database of COMPUTERS x
# UPDATES (computer, update) states generated straight into SQLite (not
# through HTTP), in the server's schema: 20 groups, every pair with a
# state (85 % not-applicable, 10 % installed, 3 % needed, 1 % downloaded,
# 0.5 % installed-pending-reboot, 0.5 % failed with a detail), computer
# keys in the range a 100,000-computer server has (3-byte keys), the
# counters computed as the migration computes them. Measured:
#   - bytes per pair from SQLite's page counts (dbstat) of the states
#     table, and of everything the states need (details and counters), and
#     the extrapolation to 100,000 x 20,000 (goal: 16 bytes a pair, about
#     32 GB); reference: the same pairs in the layout before (text ids,
#     one row each with two indexes), for REF computers, in the same run;
#   - report latencies at that size through HTTP (ROUNDS rounds of REQS
#     requests each; the row gives the median of the rounds' means, the
#     last column min–max): one update's report (counts and a page of 100
#     computers), one computer's status (its counts and all its UPDATES
#     states, then a page of 100), one group's per-computer counts, the
#     console's dashboard; then, with the fleet grown to FLEET computers
#     (100,000, WSUS's figure for one server), the dashboard and the
#     console's computers list (a page, a status filter, a host name
#     search). Goal: under 100 ms;
#   - PostgreSQL (when installed): the same states of PGC computers in a
#     throw-away cluster, schema made by sluiced, bytes a pair from
#     pg_total_relation_size (heap, primary key, TOAST).
SCEN=s9
. "$(dirname "$0")/lib.sh"

if [ "$SMOKE" = 1 ]; then
	COMPUTERS=40 UPDATES=2000 REF=10 ROUNDS=2 REQS=2 PGC=10 FLEET=400
else
	COMPUTERS=${S9_COMPUTERS:-2000} UPDATES=20000 REF=100 ROUNDS=5 REQS=10
	PGC=200 FLEET=100000
fi
have sqlite3 || die "sqlite3 is not installed"
have jq || die "jq is not installed"
D=$WORK/s9
DB=$D/sluice.db
PAIRS=$((COMPUTERS * UPDATES))
KEY0=$((100000 - COMPUTERS)) # the last computer gets key 100,000
q() { sqlite3 -cmd '.timeout 10000' "$DB" "$@"; }

# The schema, as the server makes it.
start_sluiced "$D" "[upstream]
syncs_per_day = 0
[storage]
mode = none"
stop_sluiced

t0=$(now_s)
# The state triggers (counters, install outcomes) are set aside for the
# bulk load, which computes the counters once at the end (as migration 8
# does), then put back.
q "SELECT sql || ';' FROM sqlite_master WHERE type = 'trigger' AND
   tbl_name = 'states'" >"$D/triggers.sql"
[ -s "$D/triggers.sql" ] || die "no state triggers in the schema"
DROPS=$(q "SELECT 'DROP TRIGGER ' || name || ';' FROM sqlite_master
   WHERE type = 'trigger' AND tbl_name = 'states'")
# Install outcomes (the dashboard's lists; schemas since migration 14):
# every installed, pending and failed pair as if it happened in the last
# 17 hours (pair h at h minutes ago), the most a day's window could hold.
NOW=$(date +%s)
OUTCOMES_SQL="INSERT INTO state_outcomes(ok, t, ckey, ukey, rev)
SELECT CASE WHEN v % 8 = 5 THEN 0 ELSE 1 END, $NOW - (1764000000 - t) * 60,
  ckey, ukey, v / 16 FROM states WHERE v % 8 IN (3, 4, 5);"
q "SELECT 1 FROM sqlite_master WHERE name = 'state_outcomes'" | grep -q 1 ||
	OUTCOMES_SQL=
q "PRAGMA cache_size = -200000;
BEGIN;
$DROPS
WITH RECURSIVE g(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM g WHERE x < 20)
INSERT INTO groups(name, parent_id) SELECT printf('g%02d', x), 1 FROM g;
WITH RECURSIVE u(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM u
  WHERE x < $UPDATES)
INSERT INTO updates(id, revision, title, classification, product,
  document, doc_sha256, imported_at)
SELECT printf('00000000-0000-4000-9000-%012x', x), 1, 'Update ' || x,
  'security', 'Debian', '{}', 'x', 1764000000 FROM u;
INSERT INTO update_status(id, latest_revision, change_seq, ukey)
  SELECT id, 1, 0, rowid FROM updates;
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c
  WHERE x < $COMPUTERS)
INSERT INTO computers(id, token_hash, hostname, os_id, group_id,
  registered_at, last_contact, last_report, ckey)
SELECT printf('00000000-0000-4000-8000-%012x', x), 'bench-s9-' || x,
  printf('host-%06d', x), 'debian',
  (SELECT id FROM groups WHERE name = printf('g%02d', 1 + x % 20)),
  1764000000, 1764000000, 1764000000, $KEY0 + x FROM c;
WITH RECURSIVE c(x) AS (SELECT $KEY0 + 1 UNION ALL SELECT x + 1 FROM c
  WHERE x < $KEY0 + $COMPUTERS),
 u(y) AS (SELECT 1 UNION ALL SELECT y + 1 FROM u WHERE y < $UPDATES),
 p(x, y, h) AS (SELECT x, y, (x * 7919 + y * 104729) % 1000 FROM c, u)
INSERT INTO states(ckey, ukey, v, t)
SELECT x, y, 16 + CASE WHEN h < 850 THEN 0 WHEN h < 950 THEN 3
  WHEN h < 980 THEN 1 WHEN h < 990 THEN 2 WHEN h < 995 THEN 4 ELSE 13 END,
  CASE WHEN h < 850 THEN NULL ELSE 1764000000 - h END FROM p;
INSERT INTO state_details(ckey, ukey, detail)
  SELECT ckey, ukey, 'exit code 1' FROM states WHERE v % 16 >= 8;
$STATE_COUNTS_SQL
$OUTCOMES_SQL
COMMIT;" >/dev/null || die "generating the states failed"
q <"$D/triggers.sql" || die "restoring the triggers failed"
q "VACUUM" || die "vacuum failed"
log "generated $COMPUTERS x $UPDATES = $PAIRS states in $(calc "$(now_s) - $t0") s"
[ "$(q 'SELECT count(*) FROM states')" = "$PAIRS" ] || die "state count"
[ "$(q 'SELECT sum(n) FROM state_counts')" = "$PAIRS" ] || die "counter sum"

bytes() { q "SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name IN ($1)"; }
[ -z "$OUTCOMES_SQL" ] ||
	log "install outcomes of the last 17 hours: $(q 'SELECT count(*) FROM state_outcomes'), $(bytes "'state_outcomes', 'state_outcomes_ckey', 'sqlite_autoindex_state_outcomes_1'") bytes"
# What grows with the pairs, with the computers, and with the updates and
# groups only (the same 20,000 updates and 20 groups at the full shape).
B_STATES=$(bytes "'states'")
B_PAIR=$(bytes "'states', 'state_details'")
B_COMP=$(bytes "'computer_counts', 'computers_ckey', 'computers_hostname', 'computers_status'")
B_UPD=$(bytes "'state_counts', 'group_counts', 'update_status_ukey'")
B_FILE=$(($(q 'PRAGMA page_count') * $(q 'PRAGMA page_size')))
BPP=$(calc "$B_STATES / $PAIRS")
BPP_ALL=$(calc "($B_PAIR + $B_COMP + $B_UPD) / $PAIRS")
FULL=$(calc "$B_PAIR * 2e9 / $PAIRS + $B_COMP * 100000 / $COMPUTERS + $B_UPD * 20000 / $UPDATES")
log "states $B_STATES bytes ($BPP a pair), with details $B_PAIR; per computer $B_COMP; per update and group $B_UPD; file $B_FILE bytes"
log "at 100,000 x 20,000: $(calc "$FULL / 1e9") GB ($(calc "$FULL / 2e9") bytes a pair)"

# Reference: the layout before (migration 7: text ids, a row per pair, the
# primary key's index and the per-update index), REF computers' pairs.
R=$D/before.db
rm -f "$R"
sqlite3 "$R" "ATTACH '$DB' AS n; PRAGMA cache_size = -200000;
CREATE TABLE update_states(computer_id TEXT NOT NULL, update_id TEXT NOT
  NULL, revision INTEGER NOT NULL, state TEXT NOT NULL, detail TEXT,
  reported_at INTEGER NOT NULL, PRIMARY KEY(computer_id, update_id));
CREATE INDEX update_states_update ON update_states(update_id);
INSERT INTO update_states SELECT c.id, u.id, s.v / 16, CASE s.v % 8
  WHEN 0 THEN 'not-applicable' WHEN 1 THEN 'needed' WHEN 2 THEN
  'downloaded' WHEN 3 THEN 'installed' WHEN 4 THEN
  'installed-pending-reboot' ELSE 'failed' END, d.detail,
  coalesce(s.t, 1764000000) FROM n.states s JOIN n.computers c ON c.ckey =
  s.ckey JOIN n.update_status u ON u.ukey = s.ukey LEFT JOIN
  n.state_details d ON d.ckey = s.ckey AND d.ukey = s.ukey
  WHERE s.ckey <= $KEY0 + $REF ORDER BY c.id, u.id;
VACUUM;" || die "the reference layout failed"
REF_B=$(sqlite3 "$R" "SELECT sum(pgsize) FROM dbstat WHERE name LIKE '%update_states%'")
REF_BPP=$(calc "$REF_B / ($REF * $UPDATES)")
rm -f "$R"
log "before: $REF_BPP bytes a pair ($REF computers)"

row "12 compact state" "bytes a pair, states table ($COMPUTERS x $UPDATES, dbstat; reference: text ids, before)" \
	"$BPP" "$REF_BPP" "sluice<=16"
row "12 compact state" "bytes a pair, states + details + counters + key indexes, this size" \
	"$BPP_ALL" "$REF_BPP" "sluice<=16"
row "12 compact state" "bytes a pair, all of it, extrapolated to 100,000 x 20,000" \
	"$(calc "$FULL / 2e9")" "$REF_BPP" "sluice<=16"
row "12 compact state" "GB at 100,000 x 20,000 (extrapolated)" \
	"$(calc "$FULL / 1e9")" "$(calc "$REF_BPP * 2e9 / 1e9")" "sluice<=32"

start_sluiced "$D" "[upstream]
syncs_per_day = 0
[storage]
mode = none"
U=$(printf '00000000-0000-4000-9000-%012x' $((UPDATES / 2)))
C=$(printf '00000000-0000-4000-8000-%012x' $((COMPUTERS / 2)))
# Correct answers first: the counts add up to every computer.
PAGE=$((COMPUTERS < 100 ? COMPUTERS : 100))
admin GET "/v1/admin/reports/updates/$U?limit=$PAGE"
[ "$A_STATUS" = 200 ] || die "report: HTTP $A_STATUS"
[ "$(jq '[.totals[]] | add' <<<"$A_BODY")" = "$COMPUTERS" ] ||
	die "report totals do not add up: $(jq -c .totals <<<"$A_BODY")"
[ "$(jq '.computers | length' <<<"$A_BODY")" = "$PAGE" ] || die "report page"
admin GET "/v1/admin/computers/$C/status"
[ "$(jq '.updates | length' <<<"$A_BODY")" = "$UPDATES" ] || die "status"

# latency LABEL PATH: ROUNDS rounds of REQS requests; one row.
latency() {
	local label=$1 path=$2 r i t ms means=() st
	for ((r = 0; r < ROUNDS; r++)); do
		t=0
		for ((i = 0; i < REQS; i++)); do
			ms=$(curl -sS -f -o /dev/null -w '%{time_total}' \
				-H "Authorization: Bearer $SL_TOKEN" \
				"$SL_URL$path") || die "$path failed"
			t=$(calc "$t + $ms * 1000")
		done
		means+=("$(calc "$t / $REQS")")
	done
	st=$(stats "${means[@]}")
	row "12 compact state" "$label ms, ${SHAPE:-$COMPUTERS x $UPDATES} ($ROUNDS rounds of $REQS)" \
		"$(cut -d' ' -f2 <<<"$st")" - "sluice<100" "$(spread "$st")"
}
latency "per-update report (counts + $PAGE computers)" \
	"/v1/admin/reports/updates/$U?limit=$PAGE"
latency "per-update report, failed only (a sparse filter)" \
	"/v1/admin/reports/updates/$U?limit=$PAGE&state=failed"
latency "per-computer status, all $UPDATES states" "/v1/admin/computers/$C/status"
latency "per-computer status (counts + first 100 states by title)" \
	"/v1/admin/computers/$C/status?limit=100"
latency "per-computer counts, one group ($((COMPUTERS / 20)) computers)" \
	"/v1/admin/reports/computers?group=g01"
latency "console dashboard (computers by status, failed and successful installs of 24 h)" \
	"/v1/admin/console/dashboard"
stop_sluiced

# The fleet grown to FLEET computers (WSUS's 100,000 on one server): the
# console's dashboard counts every computer by status and its computers
# list filters and pages them, so these grow with the computers, not the
# states. The FLEET - COMPUTERS more computers (keys below the first
# ones, half of them seen today) get states of FLEET_UPDATES updates each
# in the same mix, written with the triggers on, so their counters and
# state masks are the server's own.
FLEET_UPDATES=10
NOW=$(date +%s)
# fleet_console PREFIX: check the dashboard and the list at FLEET
# computers, then time them (rows labelled PREFIX...).
fleet_console() {
	admin GET "/v1/admin/console/dashboard"
	[ "$(jq .computers.total <<<"$A_BODY")" = "$FLEET" ] ||
		die "${1}dashboard at $FLEET computers: $(jq -c .computers <<<"$A_BODY")"
	[ "$(jq '[.computers | .up_to_date, .needed, .failed, .no_status] | add' <<<"$A_BODY")" = "$FLEET" ] ||
		die "${1}statuses do not add up: $(jq -c .computers <<<"$A_BODY")"
	admin GET "/v1/admin/console/computers?status=needed&limit=50"
	[ "$(jq .total <<<"$A_BODY")" = "$(jq .computers.needed <<<"$DASH")" ] ||
		die "${1}needed computers: $(jq .total <<<"$A_BODY") in the list"
	SHAPE="$FLEET computers"
	latency "${1}console dashboard" "/v1/admin/console/dashboard"
	latency "${1}console computers, first page of 50 by host name" \
		"/v1/admin/console/computers?limit=50"
	latency "${1}console computers needing updates, first page" \
		"/v1/admin/console/computers?status=needed&limit=50"
	latency "${1}console computers, host name search, page at offset 1000" \
		"/v1/admin/console/computers?search=ost-0&offset=1000&limit=50"
	unset SHAPE
}
EXTRA=$((FLEET - COMPUTERS))
t0=$(now_s)
q "BEGIN;
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c
  WHERE x < $EXTRA)
INSERT INTO computers(id, token_hash, hostname, os_id, os_version,
  group_id, registered_at, last_contact, last_report, ckey)
SELECT printf('00000000-0000-4000-8001-%012x', x), 'bench-s9-fleet-' || x,
  printf('fleet-host-%06d', x), 'debian', '12',
  (SELECT id FROM groups WHERE name = printf('g%02d', 1 + x % 20)),
  1764000000, CASE WHEN x % 2 = 0 THEN $NOW ELSE 1764000000 END,
  1764000000, x FROM c;
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c
  WHERE x < $EXTRA),
 u(y) AS (SELECT 1 UNION ALL SELECT y + 1 FROM u WHERE y < $FLEET_UPDATES),
 p(x, y, h) AS (SELECT x, y, (x * 7919 + y * 104729) % 1000 FROM c, u)
INSERT INTO states(ckey, ukey, v, t)
SELECT x, y, 16 + CASE WHEN h < 850 THEN 0 WHEN h < 950 THEN 3
  WHEN h < 980 THEN 1 WHEN h < 990 THEN 2 WHEN h < 995 THEN 4 ELSE 5 END,
  CASE WHEN h < 850 THEN NULL ELSE 1764000000 - h END FROM p;
COMMIT;" || die "growing the fleet failed"
log "grew to $FLEET computers ($EXTRA with $FLEET_UPDATES states each) in $(calc "$(now_s) - $t0") s"
start_sluiced "$D" "[upstream]
syncs_per_day = 0
[storage]
mode = none"
admin GET "/v1/admin/console/dashboard"
DASH=$A_BODY
fleet_console ""
stop_sluiced

# PostgreSQL: the same shape, PGC computers' pairs, in the layout of the
# binary's schema: packed pages (state_pages, migration 13) or a row per
# pair (`states` a table, before), loaded with the state triggers off and
# the counters computed once, as in SQLite above. Then the same report
# latencies, and the cost of writing an agent's report of RSTATES states
# (POST /v1/agent/report, NREP computers in turn, each with the token
# whose hash the load gave it, the server's CPU and the
# wall time per report): 10 % of the states changed, then the same report
# again (the daily resend: only the times of the applicable states move).
if ! have psql; then
	row "12 compact state" "bytes a pair on PostgreSQL" \
		"not run: psql is not installed" - -
	exit 0
fi
PGD=$(mktemp -d "${TMPDIR:-/tmp}/sluice-bench-pg.XXXXXX")
PGCL=$SOURCE_ROOT/tests/pg/pg_cluster.sh
trap '"$PGCL" stop "$PGD" >/dev/null 2>&1 || rm -rf "$PGD"; _bench_cleanup' EXIT
URL=$("$PGCL" start "$PGD") || die "PostgreSQL did not start"
PGCONF="[upstream]
syncs_per_day = 0
[storage]
mode = none
[database]
url = $URL"
start_sluiced "$D/pg" "$PGCONF"
stop_sluiced
pq() { psql -qAt -v ON_ERROR_STOP=1 "$URL" "$@"; }
PACKED=$(pq -c "SELECT count(*) FROM pg_tables WHERE tablename = 'state_pages'
  AND schemaname = current_schema()")
# The state code of pair (x, y) and its time, as in SQLite.
H="(x::bigint * 7919 + y * 104729) % 1000"
CODE="16 + CASE WHEN h < 850 THEN 0 WHEN h < 950 THEN 3 WHEN h < 980 THEN 1
  WHEN h < 990 THEN 2 WHEN h < 995 THEN 4 ELSE 13 END"
TIME="CASE WHEN h < 850 THEN NULL ELSE 1764000000 - h END"
if [ "$PACKED" = 1 ]; then
	STATE_TABLES="'state_pages'"
	FILL="ALTER TABLE state_pages DISABLE TRIGGER USER;
INSERT INTO state_pages(ckey, pg, v, t)
SELECT x, p, array_agg(CASE WHEN y BETWEEN 1 AND $UPDATES THEN $CODE END
  ORDER BY y), array_agg(CASE WHEN y BETWEEN 1 AND $UPDATES THEN $TIME END
  ORDER BY y)
FROM generate_series($KEY0 + 1, $KEY0 + $PGC) AS x,
  generate_series(0, $UPDATES / 128) AS p,
  LATERAL generate_series(p * 128, p * 128 + 127) AS y,
  LATERAL (SELECT $H AS h) hh GROUP BY x, p ORDER BY x, p;
ALTER TABLE state_pages ENABLE TRIGGER USER;"
else
	STATE_TABLES="'states'"
	FILL="ALTER TABLE states DISABLE TRIGGER USER;
INSERT INTO states(ckey, ukey, v, t) SELECT x, y, $CODE, $TIME
FROM (SELECT x, y, $H AS h FROM generate_series($KEY0 + 1, $KEY0 + $PGC) AS x,
  generate_series(1, $UPDATES) AS y ORDER BY x, y) p;
ALTER TABLE states ENABLE TRIGGER USER;"
fi
PG_OUTCOMES=
[ "$(pq -c "SELECT count(*) FROM pg_tables WHERE tablename = 'state_outcomes'
  AND schemaname = current_schema()")" = 1 ] && PG_OUTCOMES=$OUTCOMES_SQL
t0=$(now_s)
pq -c "BEGIN;
INSERT INTO groups(name, parent_id) SELECT 'g' || lpad(x::text, 2, '0'), 1
  FROM generate_series(1, 20) AS x;
INSERT INTO updates(id, revision, title, classification, product, document,
  doc_sha256, imported_at)
SELECT '00000000-0000-4000-9000-' || lpad(to_hex(x), 12, '0'), 1,
  'Update ' || x, 'security', 'Debian', '{}', 'x', 1764000000
  FROM generate_series(1, $UPDATES) AS x;
INSERT INTO update_status(id, latest_revision, change_seq, ukey)
  SELECT id, 1, 0, row_number() OVER (ORDER BY id) FROM updates;
INSERT INTO computers(id, token_hash, hostname, os_id, group_id,
  registered_at, last_contact, last_report, ckey)
SELECT '00000000-0000-4000-8000-' || lpad(to_hex(x), 12, '0'),
  encode(sha256(convert_to(lpad(to_hex(x), 64, '0'), 'UTF8')), 'hex'),
  'host-' || lpad(x::text, 6, '0'), 'debian',
  (SELECT id FROM groups WHERE name = 'g' || lpad((1 + x % 20)::text, 2, '0')),
  1764000000, 1764000000, 1764000000, $KEY0 + x
  FROM generate_series(1, $PGC) AS x;
$FILL
INSERT INTO state_details(ckey, ukey, detail)
  SELECT ckey, ukey, 'exit code 1' FROM states WHERE v % 16 >= 8;
$STATE_COUNTS_SQL
$PG_OUTCOMES
COMMIT;" -c "VACUUM ANALYZE" >/dev/null || die "PostgreSQL states failed"
log "PostgreSQL ($([ "$PACKED" = 1 ] && echo packed || echo 'a row a pair')): $PGC x $UPDATES states in $(calc "$(now_s) - $t0") s"
PG_PAIRS=$((PGC * UPDATES))
[ "$(pq -c 'SELECT count(*) FROM states')" = "$PG_PAIRS" ] || die "PostgreSQL state count"
[ "$(pq -c 'SELECT sum(n) FROM state_counts')" = "$PG_PAIRS" ] || die "PostgreSQL counter sum"
pgbytes() { pq -c "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM
  pg_class c WHERE c.relname IN ($1) AND
  c.relnamespace = current_schema()::regnamespace"; }
# As for SQLite: what grows with the pairs, with the computers, with the
# updates and groups only.
PG_B=$(pgbytes "$STATE_TABLES")
PG_PAIR=$(pgbytes "$STATE_TABLES, 'state_details'")
PG_COMP=$(pgbytes "'computer_counts', 'computers_ckey', 'computers_hostname', 'computers_status'")
PG_UPD=$(pgbytes "'state_counts', 'group_counts', 'update_status_ukey'")
PG_BPP=$(calc "$PG_B / $PG_PAIRS")
PG_FULL=$(calc "$PG_PAIR * 2e9 / $PG_PAIRS + $PG_COMP * 100000 / $PGC + $PG_UPD * 20000 / $UPDATES")
log "PostgreSQL: $PG_B bytes for $PGC x $UPDATES ($PG_BPP a pair), with details $PG_PAIR; per computer $PG_COMP; per update and group $PG_UPD"
log "PostgreSQL at 100,000 x 20,000: $(calc "$PG_FULL / 1e9") GB ($(calc "$PG_FULL / 2e9") bytes a pair)"
row "12 compact state" "bytes a pair on PostgreSQL, states (pg_total_relation_size: heap, index, TOAST; $PGC x $UPDATES)" \
	"$PG_BPP" "$REF_BPP" "sluice<=16"
row "12 compact state" "bytes a pair on PostgreSQL, all of it, extrapolated to 100,000 x 20,000" \
	"$(calc "$PG_FULL / 2e9")" "$REF_BPP" "sluice<=16"
row "12 compact state" "GB on PostgreSQL at 100,000 x 20,000 (extrapolated)" \
	"$(calc "$PG_FULL / 1e9")" "$(calc "$REF_BPP * 2e9 / 1e9")" "sluice<=32"

start_sluiced "$D/pg" "$PGCONF"
C=$(printf '00000000-0000-4000-8000-%012x' $((PGC / 2)))
PAGE=$((PGC < 100 ? PGC : 100))
admin GET "/v1/admin/reports/updates/$U?limit=$PAGE"
[ "$(jq '[.totals[]] | add' <<<"$A_BODY")" = "$PGC" ] ||
	die "PostgreSQL report totals: $(jq -c .totals <<<"$A_BODY")"
admin GET "/v1/admin/computers/$C/status"
[ "$(jq '.updates | length' <<<"$A_BODY")" = "$UPDATES" ] || die "PostgreSQL status"
COMPUTERS=$PGC
latency "PostgreSQL: per-update report (counts + $PAGE computers)" \
	"/v1/admin/reports/updates/$U?limit=$PAGE"
latency "PostgreSQL: per-update report, failed only" \
	"/v1/admin/reports/updates/$U?limit=$PAGE&state=failed"
latency "PostgreSQL: per-computer status, all $UPDATES states" "/v1/admin/computers/$C/status"
latency "PostgreSQL: per-computer status (counts + first 100 states by title)" \
	"/v1/admin/computers/$C/status?limit=100"
latency "PostgreSQL: console dashboard" "/v1/admin/console/dashboard"

# report_body X CHANGED: computer X's report of updates 1..RSTATES, the
# stored states, or with every 10th changed (installed <-> needed).
RSTATES=$((UPDATES < 10000 ? UPDATES : 10000))
NREP=$((SMOKE == 1 ? 2 : 10))
report_body() {
	awk -v x="$1" -v n="$RSTATES" -v ch="$2" 'BEGIN {
		split("not-applicable needed downloaded installed installed-pending-reboot failed", nm, " ")
		printf "{\"states\":["
		for (y = 1; y <= n; y++) {
			h = (x * 7919 + y * 104729) % 1000
			if (h < 850) c = 0
			else if (h < 950) c = 3
			else if (h < 980) c = 1
			else if (h < 990) c = 2
			else if (h < 995) c = 4
			else c = 5
			if (ch && y % 10 == 0) c = (c == 3) ? 1 : 3
			printf "%s{\"id\":\"00000000-0000-4000-9000-%012x\",\"revision\":1,\"state\":\"%s\"%s}",
				(y > 1 ? "," : ""), y, nm[c + 1], (c == 5 ? ",\"detail\":\"exit code 1\"" : "")
		}
		printf "],\"events\":[]}"
	}'
}
for ((i = 1; i <= NREP; i++)); do
	report_body $((KEY0 + i)) 1 >"$D/report.$i.json"
done
# CPU seconds of PostgreSQL's processes (the postmaster's children).
pg_cpu() {
	local pm p sum=0
	pm=$(head -n 1 "$PGD/data/postmaster.pid")
	for p in $(pgrep -P "$pm"); do
		sum=$(calc "$sum + $(proc_cpu "$p" 2>/dev/null || echo 0)")
	done
	echo "$sum"
}
# write_cost LABEL: each of the NREP computers posts its report once.
write_cost() {
	local label=$1 i t=0 ms cpu0 cpu pcpu0 pcpu
	wait_idle "$SL_PID"
	cpu0=$(proc_cpu "$SL_PID")
	pcpu0=$(pg_cpu)
	for ((i = 1; i <= NREP; i++)); do
		ms=$(curl -sS -f -o /dev/null -w '%{time_total}' -X POST \
			-H "Authorization: Bearer $(printf '%064x' "$i")" \
			-H 'Content-Type: application/json' \
			--data-binary "@$D/report.$i.json" \
			"$SL_URL/v1/agent/report") || die "report $i failed"
		t=$(calc "$t + $ms * 1000")
	done
	cpu=$(calc "($(proc_cpu "$SL_PID") - $cpu0) * 1000 / $NREP")
	pcpu=$(calc "($(pg_cpu) - $pcpu0) * 1000 / $NREP")
	log "PostgreSQL: $label: $(calc "$t / $NREP") ms a report, CPU sluiced $cpu ms, PostgreSQL $pcpu ms"
	row "12 compact state" "PostgreSQL: $label, ms a report ($NREP reports of $RSTATES states; CPU ms a report of sluiced + PostgreSQL in brackets)" \
		"$(calc "$t / $NREP") ($cpu + $pcpu)" - -
}
write_cost "report writing, 10 % of the states changed"
write_cost "the same report again (times only)"
stop_sluiced
[ "$(pq -c 'SELECT sum(n) FROM state_counts')" = "$PG_PAIRS" ] ||
	die "PostgreSQL counter sum after the reports"
[ "$(pq -c "SELECT count(*) FROM states WHERE ukey % 10 = 0 AND ukey <= $RSTATES
  AND ckey <= $KEY0 + $NREP AND v % 8 IN (1, 3)")" -gt 0 ] ||
	die "PostgreSQL: the reports stored nothing"

# The fleet grown to FLEET computers, as in SQLite above (keys around
# those of the PGC computers).
EXTRA=$((FLEET - PGC))
XKEY="CASE WHEN x <= $KEY0 THEN x ELSE x + $PGC END"
t0=$(now_s)
PG_FLEET_STATES="INSERT INTO states(ckey, ukey, v, t)
SELECT $XKEY, y, $CODE, $TIME FROM (SELECT x, y, $H AS h
  FROM generate_series(1, $EXTRA) AS x,
  generate_series(1, $FLEET_UPDATES) AS y) p;"
[ "$PACKED" = 1 ] && PG_FLEET_STATES="INSERT INTO state_pages(ckey, pg, v, t)
SELECT $XKEY, 0, array_agg(CASE WHEN y BETWEEN 1 AND $FLEET_UPDATES THEN $CODE END
  ORDER BY y), array_agg(CASE WHEN y BETWEEN 1 AND $FLEET_UPDATES THEN $TIME
  END ORDER BY y)
FROM generate_series(1, $EXTRA) AS x, generate_series(0, 127) AS y,
  LATERAL (SELECT $H AS h) hh GROUP BY x ORDER BY x;"
# Loaded with the triggers off and the new computers' counters added once
# (triggers on, every page would move the same few counters of the 20
# groups and 10 updates, a hundred thousand row versions each in one
# transaction).
STATE_TABLE=states
[ "$PACKED" = 1 ] && STATE_TABLE=state_pages
NEWKEYS="(s.ckey <= $KEY0 OR s.ckey > $KEY0 + $PGC)"
pq -c "BEGIN;
ALTER TABLE computers DISABLE TRIGGER USER;
ALTER TABLE $STATE_TABLE DISABLE TRIGGER USER;
ALTER TABLE computer_counts DISABLE TRIGGER USER;
INSERT INTO computers(id, token_hash, hostname, os_id, os_version, group_id,
  registered_at, last_contact, last_report, ckey)
SELECT '00000000-0000-4000-8001-' || lpad(to_hex(x), 12, '0'),
  'bench-s9-fleet-' || x, 'fleet-host-' || lpad(x::text, 6, '0'), 'debian',
  '12', (SELECT id FROM groups WHERE name = 'g' || lpad((1 + x % 20)::text,
  2, '0')), 1764000000, CASE WHEN x % 2 = 0 THEN $NOW ELSE 1764000000 END,
  1764000000, $XKEY FROM generate_series(1, $EXTRA) AS x;
$PG_FLEET_STATES
UPDATE groups SET members = (SELECT count(*) FROM computers c
  WHERE c.group_id = groups.id);
INSERT INTO state_counts(ukey, rev, st, n) SELECT s.ukey, s.v / 16, s.v % 8,
  count(*) FROM states s WHERE $NEWKEYS GROUP BY 1, 2, 3
  ON CONFLICT(ukey, rev, st) DO UPDATE SET n = state_counts.n + excluded.n;
INSERT INTO group_counts(ukey, gid, st, n) SELECT s.ukey, c.group_id,
  s.v % 8, count(*) FROM states s JOIN computers c ON c.ckey = s.ckey
  WHERE $NEWKEYS GROUP BY 1, 2, 3
  ON CONFLICT(ukey, gid, st) DO UPDATE SET n = group_counts.n + excluded.n;
INSERT INTO computer_counts(ckey, st, n) SELECT s.ckey, s.v % 8, count(*)
  FROM states s WHERE $NEWKEYS GROUP BY 1, 2;
UPDATE computers SET state_mask = (SELECT coalesce(sum(1 << k.st), 0)
  FROM computer_counts k WHERE k.ckey = computers.ckey AND k.n > 0)
  WHERE ckey <= $KEY0 OR ckey > $KEY0 + $PGC;
ALTER TABLE computers ENABLE TRIGGER USER;
ALTER TABLE $STATE_TABLE ENABLE TRIGGER USER;
ALTER TABLE computer_counts ENABLE TRIGGER USER;
COMMIT;" -c "VACUUM ANALYZE" >/dev/null || die "PostgreSQL: growing the fleet failed"
log "PostgreSQL: grew to $FLEET computers ($EXTRA with $FLEET_UPDATES states each) in $(calc "$(now_s) - $t0") s"
start_sluiced "$D/pg" "$PGCONF"
admin GET "/v1/admin/console/dashboard"
DASH=$A_BODY
fleet_console "PostgreSQL: "
stop_sluiced
