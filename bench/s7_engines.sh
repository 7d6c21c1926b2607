#!/usr/bin/env bash
# Scenario 7, engines: the scenario-2 fleet (UPDATES updates approved for
# COMPUTERS computers) served from SQLite, then copied with
# `sluiced --migrate-to` into a throw-away PostgreSQL cluster
# (tests/pg/pg_cluster.sh, fsync off as for the tests) and served by one
# front-end, then by two front-ends behind HAProxy. For each: no-change
# agent syncs/s and report events/s stored, in the same run. Ratio =
# PostgreSQL / SQLite. Everything shares the machine's cores: the load
# generator, HAProxy, PostgreSQL and the front-ends.
SCEN=s7
. "$(dirname "$0")/lib.sh"

if [ "$SMOKE" = 1 ]; then
	BATCH=10 SC=4 RC=4 DUR=1s
else
	BATCH=500 SC=64 RC=16 DUR=10s
fi
have wrk || die "wrk is not installed (scripts/deps.sh wrk)"
have haproxy || die "haproxy is not installed (scripts/deps.sh haproxy)"
have psql || die "psql is not installed (scripts/deps.sh postgresql)"
F=$WORK/fleet
[ -s "$F/anchor" ] || die "needs the server data of scenario 2, which did not run"
ANCHOR=$(cat "$F/anchor")
UPDATES=$(jq '.updates | length' "$F/full.json")
# Its own directory: the cluster runs as an unprivileged user, who cannot
# enter $WORK.
PG=$(mktemp -d "${TMPDIR:-/tmp}/sluice-bench-pg.XXXXXX")
PGC=$SOURCE_ROOT/tests/pg/pg_cluster.sh
LB_PID=
s7_cleanup() {
	[ -n "$LB_PID" ] && kill "$LB_PID" 2>/dev/null
	"$PGC" stop "$PG" >/dev/null 2>&1 || rm -rf "$PG"
	return 0
}
trap 's7_cleanup; _bench_cleanup' EXIT
URL=$("$PGC" start "$PG") || die "PostgreSQL did not start"

# measure LABEL URL COUNT-CMD: sets SYNC_RPS and EVENTS_RPS
run=0
measure() {
	local label=$1 url=$2 count=$3 before after
	run=$((run + 1))
	wait_idle "$SL_PID"
	W_LABEL="($label sync)" run_wrk -t 2 -c "$SC" -d "$DUR" --timeout 60s \
		--latency -s "$BENCH_DIR/wrk_sync.lua" "$url" -- \
		"$F/tokens" "$ANCHOR" 2
	[ $((W_ERRS - W_STATUS_ERRS)) -eq 0 ] && [ "$W_STATUS_ERRS" -eq 0 ] ||
		die "$label sync: errors: $W_ERR_TEXT"
	SYNC_RPS=$W_OK_RPS
	wait_idle "$SL_PID"
	before=$($count)
	W_LABEL="($label report)" run_wrk -t 2 -c "$RC" -d "$DUR" --timeout 60s \
		--latency -s "$BENCH_DIR/wrk_report.lua" "$url" -- "$F/tokens" \
		"$BATCH" 2 "$UPDATES" "7$run"
	[ $((W_ERRS - W_STATUS_ERRS)) -eq 0 ] && [ "$W_STATUS_ERRS" -eq 0 ] ||
		die "$label report: errors: $W_ERR_TEXT"
	after=$($count)
	EVENTS_RPS=$(calc "($after - $before) / ($duration_us / 1e6)")
	log "$label: $SYNC_RPS no-change syncs/s, $EVENTS_RPS events/s"
}

# --- SQLite ------------------------------------------------------------------
start_sluiced "$F/data" "[upstream]
syncs_per_day = 0"
sq_count() { sqlite3 "$F/data/sluice.db" 'SELECT count(*) FROM events'; }
measure sqlite "$SL_URL" sq_count
SQ_SYNC=$SYNC_RPS SQ_EV=$EVENTS_RPS
stop_sluiced

# --- the same data on PostgreSQL ---------------------------------------------
t0=$(now_s)
"$SLUICED" --config "$F/data/sluiced.ini" --migrate-to "$URL" \
	>"$WORK/s7.migrate" 2>&1 || die "migrate: $(tail -n 2 "$WORK/s7.migrate")"
row "10 engines" "sluiced --migrate-to: s to copy the fleet ($(awk '$1=="events"{print $2}' "$WORK/s7.migrate") events)" \
	"$(calc "$(now_s) - $t0")" - -
pg_count() { psql -qAt "$URL" -c 'SELECT count(*) FROM events'; }
fe() { # DIR: a front-end on PostgreSQL (the fleet's tokens work as-is)
	mkdir -p "$1"
	cp "$F/data/admin.token" "$1/" # migrated with the rest
	start_sluiced "$1" "[upstream]
syncs_per_day = 0
[storage]
mode = none
[database]
url = $URL"
}
fe "$WORK/s7-a"
A_PID=$SL_PID A_PORT=$SL_PORT
measure "postgresql 1 front-end" "$SL_URL" pg_count
P1_SYNC=$SYNC_RPS P1_EV=$EVENTS_RPS

fe "$WORK/s7-b"
B_PID=$SL_PID B_PORT=$SL_PORT
track_child "$A_PID"
LBP=$(free_port)
cat >"$WORK/s7-haproxy.cfg" <<EOD
global
  maxconn 2048
defaults
  mode http
  timeout connect 2s
  timeout client 60s
  timeout server 60s
frontend fe
  bind 127.0.0.1:$LBP
  default_backend sluiced
backend sluiced
  balance roundrobin
  server a 127.0.0.1:$A_PORT
  server b 127.0.0.1:$B_PORT
EOD
haproxy -f "$WORK/s7-haproxy.cfg" -db >"$WORK/s7-haproxy.log" 2>&1 &
LB_PID=$!
wait_port "$LBP"
measure "postgresql 2 front-ends" "http://127.0.0.1:$LBP" pg_count
P2_SYNC=$SYNC_RPS P2_EV=$EVENTS_RPS
kill "$LB_PID"
LB_PID=
stop_sluiced
SL_PID=$A_PID
stop_sluiced

row "10 engines" "no-change syncs/s, $SC conn: PostgreSQL 1 front-end vs SQLite" "$P1_SYNC" "$SQ_SYNC" -
row "10 engines" "no-change syncs/s, $SC conn: PostgreSQL 2 front-ends (HAProxy) vs SQLite" "$P2_SYNC" "$SQ_SYNC" -
row "10 engines" "report events/s stored, $RC conn: PostgreSQL 1 front-end vs SQLite" "$P1_EV" "$SQ_EV" -
row "10 engines" "report events/s stored, $RC conn: PostgreSQL 2 front-ends (HAProxy) vs SQLite" "$P2_EV" "$SQ_EV" -
