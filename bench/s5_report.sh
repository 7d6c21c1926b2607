#!/usr/bin/env bash
# Scenario 5, status ingestion: wrk posts batched reports (BATCH events
# each, every event with a new event_id) to POST /v1/agent/report, each
# request from the next of the scenario-2 computers. The rate is what is
# durably stored: rows counted in the events table after the run (SQLite,
# WAL, committed per request), divided by wrk's duration.
SCEN=s5
. "$(dirname "$0")/lib.sh"

if [ "$SMOKE" = 1 ]; then
	BATCH=10 CONNS="4" DUR=1s
else
	BATCH=500 CONNS="16 64" DUR=10s
fi
have wrk || die "wrk is not installed (scripts/deps.sh wrk)"
have sqlite3 || die "sqlite3 is not installed"
F=$WORK/fleet
[ -s "$F/anchor" ] || die "needs the server data of scenario 2, which did not run"
UPDATES=$(jq '.updates | length' "$F/full.json")

start_sluiced "$F/data" "[upstream]
syncs_per_day = 0"
count() { sqlite3 "$F/data/sluice.db" 'SELECT count(*) FROM events'; }
run=0
for c in $CONNS; do
	run=$((run + 1))
	wait_idle "$SL_PID"
	before=$(count)
	run_wrk -t 2 -c "$c" -d "$DUR" --timeout 60s --latency \
		-s "$BENCH_DIR/wrk_report.lua" "$SL_URL" -- "$F/tokens" "$BATCH" 2 \
		"$UPDATES" "$run"
	[ $((W_ERRS - W_STATUS_ERRS)) -eq 0 ] ||
		die "report c=$c: errors: $W_ERR_TEXT"
	[ $((2 * W_STATUS_ERRS)) -le "$W_REQS" ] ||
		die "report c=$c: most answers failed: $W_ERR_TEXT ($(grep -Ev ' access [^ ]+ [A-Z]+ [^ ]+ 200 ' "$SL_LOG" | tail -n 1))"
	if [ "$W_STATUS_ERRS" -gt 0 ]; then
		row "5 status ingestion" "reports, $c conn: failed answers (HTTP >= 400) of $W_REQS" \
			"$W_STATUS_ERRS" - "sluice<1"
		log "failed answers: $(grep -Ev ' access [^ ]+ [A-Z]+ [^ ]+ 200 ' "$SL_LOG" | tail -n 1)"
	fi
	after=$(count)
	stored=$((after - before))
	[ "$stored" -gt 0 ] || die "no event was stored"
	row "5 status ingestion" "events/s stored ($BATCH per batch, $c conn)" \
		"$(calc "$stored / ($duration_us / 1e6)")" - "sluice>=50000"
	row "5 status ingestion" "report p50 / p99 ms, $c conn" \
		"$W_P50_MS / $W_P99_MS" - -
done
stop_sluiced
