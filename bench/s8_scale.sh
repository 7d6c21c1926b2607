#!/usr/bin/env bash
# Scenario 8, a large PostgreSQL database: the scenario-2 fleet (20,000
# updates approved for 10,000 computers) copied into a throw-away
# PostgreSQL cluster, measured; then grown to BIG computers by SQL
# (generate_series: tokens, hashes, groups, one state per computer for the
# reported update; not through HTTP) and measured again in the same run:
# registrations/s, no-change syncs/s and the per-update report
# (GET /v1/admin/reports/updates/ID: the counts of every computer, from
# the counters, and the first page of computers).
# Ratio = BIG / 10,000 figures; the goal is to stay within 2x (indexes, no
# full scans on the hot paths).
SCEN=s8
. "$(dirname "$0")/lib.sh"

if [ "$SMOKE" = 1 ]; then
	BIG=2000 SC=4 DUR=1s REG=50 REP=5
else
	BIG=1000000 SC=64 DUR=10s REG=2000 REP=20
fi
have wrk || die "wrk is not installed (scripts/deps.sh wrk)"
have psql || die "psql is not installed (scripts/deps.sh postgresql)"
F=$WORK/fleet
[ -s "$F/anchor" ] || die "needs the server data of scenario 2, which did not run"
ANCHOR=$(cat "$F/anchor")
# Its own directory: the cluster runs as an unprivileged user.
PG=$(mktemp -d "${TMPDIR:-/tmp}/sluice-bench-pg.XXXXXX")
PGC=$SOURCE_ROOT/tests/pg/pg_cluster.sh
trap '"$PGC" stop "$PG" >/dev/null 2>&1 || rm -rf "$PG"; _bench_cleanup' EXIT
URL=$("$PGC" start "$PG") || die "PostgreSQL did not start"
"$SLUICED" --config "$F/data/sluiced.ini" --migrate-to "$URL" \
	>"$WORK/s8.migrate" 2>&1 || die "migrate: $(tail -n 2 "$WORK/s8.migrate")"
sql() { psql -qAt -v ON_ERROR_STOP=1 "$URL" -c "$1"; }
UPD=$(sql "SELECT min(id) FROM update_status")
mkdir -p "$WORK/s8"
cp "$F/data/admin.token" "$WORK/s8/"
start_sluiced "$WORK/s8" "[upstream]
syncs_per_day = 0
[storage]
mode = none
[database]
url = $URL"

# measure: sets REG_RPS, SYNC_RPS, REPORT_MS
round=0
measure() {
	local out t0 i
	round=$((round + 1))
	wait_idle "$SL_PID"
	out=$("$CLIENT" register "$SL_URL" "$REG" 4 "$WORK/s8/reg$round" \
		"All Computers") || die "register failed"
	REG_RPS=$(calc "$REG / $(awk '{ print $4 }' <<<"$out")")
	wait_idle "$SL_PID"
	run_wrk -t 2 -c "$SC" -d "$DUR" --timeout 60s --latency \
		-s "$BENCH_DIR/wrk_sync.lua" "$SL_URL" -- "$F/tokens" "$ANCHOR" 2
	[ "$W_ERRS" -eq 0 ] || die "sync: errors: $W_ERR_TEXT"
	SYNC_RPS=$W_OK_RPS
	# The per-update report: its counts (kept as states are stored) and
	# the first page of its computers (the default 1000, by id).
	wait_idle "$SL_PID"
	t0=$(now_s)
	for ((i = 0; i < REP; i++)); do
		curl -sfS -o /dev/null -H "Authorization: Bearer $SL_TOKEN" \
			"$SL_URL/v1/admin/reports/updates/$UPD" || die "report failed"
	done
	REPORT_MS=$(calc "($(now_s) - $t0) * 1000 / $REP")
	admin GET "/v1/admin/reports/updates/$UPD"
	[ "$(jq '[.totals[]] | add' <<<"$A_BODY")" = "$(sql 'SELECT count(*) FROM computers')" ] ||
		die "report totals do not add up to the computers: $(jq -c .totals <<<"$A_BODY")"
	log "round $round ($(sql 'SELECT count(*) FROM computers') computers): $REG_RPS registrations/s, $SYNC_RPS no-change syncs/s, report $REPORT_MS ms"
}
measure
R1=$REG_RPS S1=$SYNC_RPS P1=$REPORT_MS
N1=$(sql "SELECT count(*) FROM computers")

# Grow to BIG computers in SQL, each with a state for the reported update.
# A bulk load with the counters' triggers off (one statement updating the
# same counter row a million times would make a million row versions in
# one transaction), the counters then computed once, as migration 8 does.
t0=$(now_s)
have_n=$N1
# PostgreSQL keeps the states packed (state_pages, migration 13); before,
# `states` was a table.
STATE_TABLE=states
[ "$(sql "SELECT count(*) FROM pg_tables WHERE tablename = 'state_pages'
  AND schemaname = current_schema()")" = 1 ] && STATE_TABLE=state_pages
sql "ALTER TABLE computers DISABLE TRIGGER USER;
     ALTER TABLE computer_counts DISABLE TRIGGER USER;
     ALTER TABLE $STATE_TABLE DISABLE TRIGGER USER" || die "triggers off failed"
sql "INSERT INTO computers(id, token_hash, hostname, os_id, os_version, arch,
       group_id, group_seq, registered_at, last_contact)
     SELECT 'bench-big-' || i, encode(sha256(convert_to('bench-big-token-' || i, 'UTF8')), 'hex'),
       'big-' || i, 'debian', '12', 'amd64',
       (SELECT id FROM groups WHERE name = 'Unassigned Computers'), 0,
       extract(epoch from now())::bigint, extract(epoch from now())::bigint
     FROM generate_series(1, $BIG - $have_n) AS i" || die "growing computers failed"
# states(ckey, ukey, v = state code + 16 * revision, t): 3 installed,
# 1 needed; the triggers keep the counters.
# A computer that has a state for it keeps it.
if [ "$STATE_TABLE" = state_pages ]; then
	sql "INSERT INTO state_pages(ckey, pg, v, t)
	     SELECT c.ckey, u.ukey / 128, array_fill(NULL::integer, ARRAY[128]),
	       array_fill(NULL::bigint, ARRAY[128])
	     FROM computers c, update_status u WHERE u.id = '$UPD'
	     ON CONFLICT DO NOTHING;
	   UPDATE state_pages p SET
	     v[u.ukey % 128 + 1] = 16 + CASE WHEN random() < 0.7 THEN 3 ELSE 1 END,
	     t[u.ukey % 128 + 1] = extract(epoch from now())::bigint
	     FROM update_status u WHERE u.id = '$UPD' AND p.pg = u.ukey / 128
	     AND p.v[u.ukey % 128 + 1] IS NULL" || die "growing states failed"
else
	sql "INSERT INTO states(ckey, ukey, v, t)
	     SELECT c.ckey, u.ukey, 16 + CASE WHEN random() < 0.7 THEN 3 ELSE 1 END,
	       extract(epoch from now())::bigint
	     FROM computers c, update_status u WHERE u.id = '$UPD'
	     ON CONFLICT DO NOTHING" || die "growing states failed"
fi
sql "BEGIN; $STATE_COUNTS_SQL COMMIT;
     ALTER TABLE computers ENABLE TRIGGER USER;
     ALTER TABLE computer_counts ENABLE TRIGGER USER;
     ALTER TABLE $STATE_TABLE ENABLE TRIGGER USER" || die "counting failed"
# What autovacuum would have done over the months such a fleet takes to
# come: the million rows the bulk load wrote and rewrote vacuumed, the
# statistics read, the dirty pages written out. Without it the first
# measurement after the load shares the cores with autovacuum and the
# checkpoint (registrations at a fifth of their rate in one run).
sql "VACUUM (ANALYZE)" || die "vacuum failed"
sql "CHECKPOINT" || die "checkpoint failed"
log "grew to $(sql 'SELECT count(*) FROM computers') computers in $(calc "$(now_s) - $t0") s"
measure
N2=$(sql "SELECT count(*) FROM computers")
stop_sluiced

row "11 large database" "registrations/s, $N2 vs $N1 computers" "$REG_RPS" "$R1" "ratio>=0.5"
row "11 large database" "no-change syncs/s ($SC conn), $N2 vs $N1 computers" "$SYNC_RPS" "$S1" "ratio>=0.5"
row "11 large database" "per-update report ms (counts + first 1000 computers), $N2 vs $N1 computers" "$REPORT_MS" "$P1" "ratio<=2"
