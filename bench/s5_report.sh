#!/usr/bin/env bash
# Scenario 5, status ingestion: wrk posts batched reports (BATCH events
# each) to POST /v1/agent/report, each request from the next of the
# scenario-2 computers, every event with a new event id made as the agent
# makes it (wrk_report.lua). The rate is what is durably stored: rows
# counted in the events table after the run (SQLite, WAL, one committed
# transaction per acknowledged report), divided by wrk's duration. Rounds:
#   - the agent's ids (time-ordered, version 7) at 16 and 64 connections;
#   - random version 4 ids (agents before the time-ordered ids);
#   - the agent's ids again with PREFILL events already stored (a server
#     that has kept months of history).
SCEN=s5
. "$(dirname "$0")/lib.sh"

if [ "$SMOKE" = 1 ]; then
	BATCH=10 CONNS="4" DUR=1s ROUNDS=1 PREFILL=1000
else
	BATCH=500 CONNS="16 64" DUR=10s ROUNDS=3 PREFILL=10000000
fi
have wrk || die "wrk is not installed (scripts/deps.sh wrk)"
have sqlite3 || die "sqlite3 is not installed"
F=$WORK/fleet
[ -s "$F/anchor" ] || die "needs the server data of scenario 2, which did not run"
UPDATES=$(jq '.updates | length' "$F/full.json")
DB=$F/data/sluice.db

count() { sqlite3 -cmd '.timeout 10000' "$DB" 'SELECT count(*) FROM events'; }
# The events this scenario stores are removed at its end (below), so the
# scenarios after it (10 copies the fleet into PostgreSQL) see the fleet
# as scenario 2 left it, not millions of events more.
KEEP_UPTO=$(sqlite3 -cmd '.timeout 10000' "$DB" \
	'SELECT coalesce(max(rowid), 0) FROM events')
# CPU seconds (user + system) of this script's waited-for children (from
# its own process, $$, also inside $(...)): wrk's,
# read around run_wrk alone.
children_cpu() {
	awk -v t="$(getconf CLK_TCK)" '{ sub(/.*\) /, ""); print ($14 + $15) / t }' \
		"/proc/$$/stat"
}

# measure LABEL SCHEME CONNS: ROUNDS rounds, one row (median, spread).
measure() {
	local label=$1 scheme=$2 c=$3 r before stored rates=() p50=() p99=()
	local fails=0 reqs=0 st cpu0 cpus=() w0 wcpus=()
	for ((r = 0; r < ROUNDS; r++)); do
		wait_idle "$SL_PID"
		before=$(count)
		cpu0=$(proc_cpu "$SL_PID")
		w0=$(children_cpu)
		W_LABEL="($scheme ids)" run_wrk -t 2 -c "$c" -d "$DUR" \
			--timeout 60s --latency -s "$BENCH_DIR/wrk_report.lua" \
			"$SL_URL" -- "$F/tokens" "$BATCH" 2 "$UPDATES" "$scheme"
		[ $((W_ERRS - W_STATUS_ERRS)) -eq 0 ] ||
			die "report c=$c: errors: $W_ERR_TEXT"
		[ $((2 * W_STATUS_ERRS)) -le "$W_REQS" ] ||
			die "report c=$c: most answers failed: $W_ERR_TEXT ($(grep -Ev ' access [^ ]+ [A-Z]+ [^ ]+ 200 ' "$SL_LOG" | tail -n 1))"
		fails=$((fails + W_STATUS_ERRS)) reqs=$((reqs + W_REQS))
		stored=$(($(count) - before))
		[ "$stored" -gt 0 ] || die "no event was stored"
		rates+=("$(calc "$stored / ($duration_us / 1e6)")")
		# sluiced's own CPU per stored event: what the server costs,
		# whatever else the shared cores run (wrk's Lua among them)
		cpus+=("$(calc "($(proc_cpu "$SL_PID") - $cpu0) * 1e6 / $stored")")
		# and the load generator's, on the same two cores
		wcpus+=("$(calc "($(children_cpu) - $w0) * 1e6 / $stored")")
		p50+=("$W_P50_MS") p99+=("$W_P99_MS")
	done
	if [ "$fails" -gt 0 ]; then
		row "5 status ingestion" "$label, $c conn: failed answers (HTTP >= 400) of $reqs" \
			"$fails" - "sluice<1"
		log "failed answers: $(grep -Ev ' access [^ ]+ [A-Z]+ [^ ]+ 200 ' "$SL_LOG" | tail -n 1)"
	fi
	st=$(stats "${rates[@]}")
	row "5 status ingestion" "events/s stored, $label ($BATCH per report, $c conn, $ROUNDS rounds)" \
		"$(cut -d' ' -f2 <<<"$st")" - "sluice>=100000" \
		"$(spread "$st"); p50 $(spread "$(stats "${p50[@]}")") ms, p99 $(spread "$(stats "${p99[@]}")") ms"
	st=$(stats "${cpus[@]}")
	row "5 status ingestion" "sluiced CPU µs per event stored, $label ($c conn)" \
		"$(cut -d' ' -f2 <<<"$st")" - - "$(spread "$st")"
	st=$(stats "${wcpus[@]}")
	row "5 status ingestion" "wrk CPU µs per event stored, $label ($c conn)" \
		"$(cut -d' ' -f2 <<<"$st")" - - "$(spread "$st")"
}

start_sluiced "$F/data" "[upstream]
syncs_per_day = 0"
for c in $CONNS; do
	measure "agent's ids (v7)" v7 "$c"
done
measure "random v4 ids (older agents)" v4 "${CONNS%% *}"
stop_sluiced

# Months of history: PREFILL older events (time-ordered ids, as the agent
# makes them, from a year ago), written straight into the table.
t0=$(now_s)
sqlite3 -cmd '.timeout 10000' "$DB" "PRAGMA cache_size=-200000;
WITH RECURSIVE c(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM c
  WHERE x < $PREFILL - 1)
INSERT INTO events(event_id, computer_id, update_id, revision, time, kind,
  result, exit_code, output, received_at)
SELECT substr(h, 1, 8) || '-' || substr(h, 9, 4) || '-7' ||
  printf('%03x', abs(random()) % 4096) || '-' ||
  printf('%04x', 32768 + abs(random()) % 16384) || '-' ||
  printf('%012x', abs(random()) % 281474976710656),
  printf('00000000-0000-4000-8000-%012x', (x / $BATCH) % 10000),
  printf('00000000-0000-4000-8000-%012x', x % $UPDATES), 1,
  '2025-11-24T12:00:00Z', 'install', 'success', 0,
  'Setting up bpkg (1.9.1-1) ...', 1764000000
FROM (SELECT x, printf('%012x', (strftime('%s', 'now') - 366 * 86400) * 1000
  + x) AS h FROM c);" || die "storing $PREFILL events failed"
log "stored $PREFILL older events in $(calc "$(now_s) - $t0") s ($(count) in all)"
start_sluiced "$F/data" "[upstream]
syncs_per_day = 0"
measure "agent's ids, $(calc "$PREFILL / 1e6")M events already stored" v7 \
	"${CONNS##* }"
stop_sluiced
t0=$(now_s)
sqlite3 -cmd '.timeout 10000' "$DB" \
	"DELETE FROM events WHERE rowid > $KEEP_UPTO" ||
	die "removing this scenario's events failed"
log "removed this scenario's events in $(calc "$(now_s) - $t0") s ($(count) left)"
