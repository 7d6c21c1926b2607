#!/usr/bin/env bash
# Scenario 7, cleanup under load: a server with UPDATES updates of which
# half are superseded (update i+UPDATES/2 supersedes update i), all
# approved for "All Computers", and COMPUTERS computers with STATES states
# each (1,000,000 status rows at full size; every 50th "needed", the rest
# "installed"). The database is filled with SQL (sqlite3) rather than by a
# sync: cleanup reads the stored documents' "supersedes" only, and the
# agent syncs below are raw requests that verify nothing. While `sluice
# cleanup --superseded-days 0` runs, one agent computer syncs in a loop
# (the periodic no-change check, POST /v1/agent/sync with its anchor);
# the rows give the cleanup's duration, its longest write batch and the
# longest time an agent sync took during it (beside the same loop's
# longest before the cleanup).
SCEN=s7
. "$(dirname "$0")/lib.sh"

if [ "$SMOKE" = 1 ]; then
	UPDATES=200 COMPUTERS=10 STATES=20
else
	UPDATES=100000 COMPUTERS=1000 STATES=1000
fi
have sqlite3 || die "sqlite3 is not installed"
D=$WORK/cleanup
mkdir -p "$D"

# The schema: start once, stop.
start_sluiced "$D" "[upstream]
syncs_per_day = 0"
stop_sluiced

t0=$(now_s)
HALF=$((UPDATES / 2))
sqlite3 "$D/sluice.db" >/dev/null <<SQL || die "filling the database failed"
PRAGMA journal_mode = WAL;
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $UPDATES)
INSERT INTO updates(id, revision, title, classification, product, document,
  doc_sha256, imported_at)
SELECT printf('%08x-0000-4000-8000-%012x', i, i), 1, 'Bench update ' || i,
  'security', 'Bench',
  '{"signed":{"id":"' || printf('%08x-0000-4000-8000-%012x', i, i) ||
  '","supersedes":[' || CASE WHEN i > $HALF THEN '"' ||
  printf('%08x-0000-4000-8000-%012x', i - $HALF, i - $HALF) || '"' ELSE '' END ||
  ']},"signatures":[]}', 'x', strftime('%s', 'now') - 40 * 86400 FROM n;
INSERT INTO update_status(id, latest_revision, change_seq)
  SELECT id, 1, 1 FROM updates;
INSERT INTO approvals(update_id, group_id, action, approved_at, change_seq)
  SELECT id, 1, 'install', strftime('%s', 'now'), 1 FROM updates;
WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < $COMPUTERS)
INSERT INTO computers(id, token_hash, hostname, group_id, registered_at, last_contact)
SELECT printf('c0000000-0000-4000-8000-%012x', i), 'bench-' || i, 'bench-' || i, 1,
  strftime('%s', 'now'), strftime('%s', 'now') FROM c;
WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < $COMPUTERS),
  k(j) AS (SELECT 1 UNION ALL SELECT j + 1 FROM k WHERE j < $STATES)
INSERT INTO states(ckey, ukey, v, t)
SELECT (SELECT ckey FROM computers WHERE id =
    printf('c0000000-0000-4000-8000-%012x', i)),
  (SELECT ukey FROM update_status WHERE id =
    printf('%08x-0000-4000-8000-%012x', ((i - 1) * 97 + j - 1) % $UPDATES + 1,
           ((i - 1) * 97 + j - 1) % $UPDATES + 1)),
  16 + CASE WHEN j % 50 = 0 THEN 1 ELSE 3 END, strftime('%s', 'now')
FROM c, k;
UPDATE meta SET value = '2' WHERE key = 'change_seq';
COMMIT;
SQL
rows=$(sqlite3 "$D/sluice.db" "SELECT count(*) FROM update_states")
log "filled $UPDATES updates, $rows status rows in $(calc "$(now_s) - $t0") s"
row "9 cleanup" "set-up: updates / status rows" "$UPDATES / $rows" - -

start_sluiced "$D" "[upstream]
syncs_per_day = 0"
reg=$(curl -sS -X POST -H 'Content-Type: application/json' \
	--data-binary '{"hostname":"bench-agent"}' "$SL_URL/v1/agent/register")
tok=$(jq -r .token <<<"$reg")
[ -n "$tok" ] && [ "$tok" != null ] || die "register: $reg"
sync_req() { # ANCHOR -> time_total on stdout, the answer in $D/ans.json
	curl -sS -o "$D/ans.json" -w '%{time_total}\n' -X POST \
		-H "Authorization: Bearer $tok" -H 'Content-Type: application/json' \
		--data-binary "{\"anchor\":$1}" "$SL_URL/v1/agent/sync"
}
sync_req null >/dev/null || die "full agent sync failed"
ANCHOR=$(jq -r .anchor "$D/ans.json")
[ "$ANCHOR" != null ] || die "no anchor: $(head -c 300 "$D/ans.json")"

# The sync loop of an up-to-date agent: one request after another, each
# with the anchor the previous answer gave (so during the cleanup each
# answer holds the updates declined since the last one); times to $1.
loop() {
	local a=$ANCHOR n
	while [ ! -e "$D/stop" ]; do
		sync_req "\"$a\"" >>"$1" || echo 999 >>"$1"
		n=$(jq -r '.anchor // empty' "$D/ans.json" 2>/dev/null) || n=
		[ -n "$n" ] && a=$n
	done
}
loop "$D/before.times" &
lp=$!
sleep 3
touch "$D/stop"
wait $lp
rm -f "$D/stop"

loop "$D/during.times" &
lp=$!
t0=$(now_s)
"$SLUICE" --server "$SL_URL" --token "$SL_TOKEN" --json cleanup \
	--superseded-days 0 --no-files >"$D/report.json" ||
	die "cleanup failed: $(head -c 300 "$D/report.json")"
wall=$(calc "$(now_s) - $t0")
touch "$D/stop"
wait $lp

# Reference for the syncs during the cleanup (each of which holds the
# updates declined since the previous one): the same incremental sync
# with no cleanup running, after one decline.
A=$(jq -r .anchor "$D/ans.json")
admin POST "/v1/admin/updates/$(printf '%08x-0000-4000-8000-%012x' $UPDATES $UPDATES)/decline" '{"declined":true}'
: >"$D/incr.times"
for ((i = 0; i < 10; i++)); do sync_req "\"$A\"" >>"$D/incr.times"; done

declined=$(jq '.steps[] | select(.step == "superseded") | .count' "$D/report.json")
[ "$declined" -gt 0 ] || die "nothing declined: $(head -c 300 "$D/report.json")"
left=$(sqlite3 "$D/sluice.db" "SELECT count(*) FROM update_status WHERE declined = 0")
max() { sort -g "$1" | tail -n 1; }
p99() { sort -g "$1" | awk '{ a[NR] = $1 } END { i = int(NR * 0.99); if (i < 1) i = 1; print a[i] }'; }
n_during=$(wc -l <"$D/during.times")
log "cleanup: $wall s, declined $declined (left $left), $n_during agent syncs meanwhile"
row "9 cleanup" "cleanup wall time, s ($UPDATES updates, $rows status rows)" "$wall" - -
row "9 cleanup" "superseded updates declined (needed ones kept)" "$declined" - -
row "9 cleanup" "write batches (100 objects): longest / mean, ms ($(jq .batches "$D/report.json") batches)" \
	"$(jq .longest_batch_ms "$D/report.json") / $(jq .mean_batch_ms "$D/report.json")" - -
row "9 cleanup" "agent sync during cleanup: longest, ms ($n_during syncs)" \
	"$(calc "$(max "$D/during.times") * 1000")" \
	"$(calc "$(max "$D/before.times") * 1000")" -
row "9 cleanup" "agent sync, no cleanup, one decline since its anchor: longest, ms" \
	"$(calc "$(max "$D/incr.times") * 1000")" - -
row "9 cleanup" "agent sync during cleanup: p99, ms (ref: before)" \
	"$(calc "$(p99 "$D/during.times") * 1000")" \
	"$(calc "$(p99 "$D/before.times") * 1000")" -
stop_sluiced
