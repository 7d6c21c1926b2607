#!/usr/bin/env bash
# Scenario 13 (s10), fleet capacity: a server with UPDATES generated updates
# (storage mode none), every one approved for "All Computers", onboards
# AGENTS computers (bench/fleet_client: register, every page of the first
# sync, the first report; the bodies are the agent's own, the report the
# one a real agent made from a test root in this run), then serves them
# in steady state: each computer in turn syncs incrementally (no change)
# and, on 7 turns of 24, sends all its states again (an agent resends
# every state once a day; at one sync per 7 hours that is 7 syncs in 24).
# Reports onboarding time, bytes per computer, the server's peak memory,
# steady syncs/s and server CPU per sync; docs/performance.md extrapolates
# computers per server at WSUS's schedule from them.
#
# Sizes: AGENTS UPDATES THREADS STEADY_S (environment) override the
# defaults (1,000 computers, 5,000 updates, 8 at a time, 30 s of steady
# state; smoke: 20 and 50). make bench-fleet runs 10,000 computers.
SCEN=s10
. "$(dirname "$0")/lib.sh"

if [ "$SMOKE" = 1 ]; then
	AGENTS=${AGENTS:-20} UPDATES=${UPDATES:-50} THREADS=${THREADS:-4}
	STEADY_S=${STEADY_S:-2} PACKAGES=20
else
	AGENTS=${AGENTS:-1000} UPDATES=${UPDATES:-5000} THREADS=${THREADS:-8}
	STEADY_S=${STEADY_S:-30} PACKAGES=2000
fi
PERMILLE=292 # 7/24: one full report per day at one sync per 7 hours
FLEET=$BUILD_DIR/bench/fleet_client
# fleet_vars PREFIX FILE: the "FLEET k=v ..." line of FILE as PREFIXk=v.
fleet_vars() {
	local kv
	for kv in $(sed -n 's/^FLEET //p' "$2"); do
		printf -v "$1${kv%%=*}" '%s' "${kv#*=}"
	done
}
[ -x "$FLEET" ] || die "$FLEET is missing (build first)"
F=$WORK/s10
mkdir -p "$F"
serve_origin "$F" "$UPDATES"

# The template machine: a real agent's sync, verification and evaluation
# over a dpkg status of PACKAGES packages; its report queue becomes the
# first report of every simulated computer.
"$GEN" --system "$F/root" --packages "$PACKAGES" --apt-repo "$F/repo" ||
	die "generating the test root failed"
cat >"$F/agent.conf" <<EOF
[agent]
server = $SL_URL
state_dir = $F/state
root = $F/root
trusted_keys = $KEY
groups = All Computers
EOF
mkdir -p "$F/tpl"
"$FLEET" template "$F/agent.conf" "$F/tpl" >"$F/tpl.out" 2>"$F/tpl.err" ||
	die "template agent failed: $(tail -n 2 "$F/tpl.err")"
fleet_vars T_ "$F/tpl.out"
[ "${T_updates:-0}" = "$UPDATES" ] ||
	die "the template agent saw ${T_updates:-0} updates, not $UPDATES"
log "template: $T_updates updates, $T_queued states in $T_reports report(s) of $T_report_bytes bytes"

# Onboarding.
wait_idle "$SL_PID" 60
rss0=$(awk '/^VmRSS:/ { print $2 }' "/proc/$SL_PID/status")
proc_hwm_reset "$SL_PID"
c0=$(proc_cpu "$SL_PID")
"$FLEET" onboard "$F/agent.conf" "$AGENTS" "$THREADS" "$F/tpl" "$F/agents" \
	>"$F/onboard.out" 2>"$F/onboard.err" ||
	die "onboarding failed: $(tail -n 2 "$F/onboard.err")"
c1=$(proc_cpu "$SL_PID")
hwm=$(proc_hwm "$SL_PID")
fleet_vars O_ "$F/onboard.out"
[ "$O_updates0" = "$UPDATES" ] ||
	die "the first computer's sync had $O_updates0 updates, not $UPDATES"
[ "$(wc -l <"$F/agents")" = "$AGENTS" ] || die "not every computer onboarded"
ob_cpu=$(calc "$c1 - $c0")
log "onboarded $AGENTS in $O_seconds s (server CPU $ob_cpu s)"
wait_idle "$SL_PID" 120
rss1=$(awk '/^VmRSS:/ { print $2 }' "/proc/$SL_PID/status")

# Steady state: every computer in turn, as fast as the server answers.
proc_hwm_reset "$SL_PID"
c0=$(proc_cpu "$SL_PID")
"$FLEET" steady "$F/agent.conf" "$F/agents" "$THREADS" "$STEADY_S" "$F/tpl" \
	"$PERMILLE" >"$F/steady.out" 2>"$F/steady.err" ||
	die "steady state failed: $(tail -n 2 "$F/steady.err")"
c1=$(proc_cpu "$SL_PID")
hwm2=$(proc_hwm "$SL_PID")
fleet_vars S_ "$F/steady.out"
[ "$S_syncs" -gt 0 ] || die "no sync in steady state"
sps=$(calc "$S_syncs / $S_seconds")
cpu_ms=$(calc "($c1 - $c0) * 1000 / $S_syncs")
log "steady: $S_syncs syncs, $S_reports reports in $S_seconds s"
stop_sluiced

L="13 fleet ($AGENTS computers, $UPDATES updates)"
row "$L" "onboarding: wall s (register + first sync + first report, $THREADS at a time)" \
	"$O_seconds" - -
row "$L" "onboarding: computers/s" "$(calc "$AGENTS / $O_seconds")" - -
row "$L" "onboarding: per computer p50 / p99 ms" "$O_p50_ms / $O_p99_ms" - -
row "$L" "onboarding: sluiced CPU ms per computer" \
	"$(calc "$ob_cpu * 1000 / $AGENTS")" - -
row "$L" "onboarding: KB received per computer (answer bodies; $((O_pages / AGENTS)) sync pages)" \
	"$(calc "$O_bytes_in / $AGENTS / 1024")" - -
row "$L" "onboarding: KB sent per computer (request bodies; $((O_reports / AGENTS)) report(s))" \
	"$(calc "$O_bytes_out / $AGENTS / 1024")" - -
row "$L" "onboarding: requests sent again 5 s later: answered 503 (database busy) / closed unanswered" \
	"$O_retried / $O_dropped" - -
row "$L" "onboarding: sluiced peak RSS MB (idle before: $(printf %.1f "$(calc "$rss0 / 1024")"))" \
	"$(calc "$hwm / 1024")" - -
row "$L" "steady: syncs/s ($PERMILLE per mille with a full report; $THREADS at a time, ${STEADY_S} s)" \
	"$sps" - -
row "$L" "steady: sluiced CPU ms per sync (full reports included)" "$cpu_ms" - -
row "$L" "steady: requests sent again 5 s later: answered 503 (database busy) / closed unanswered" \
	"$S_retried / $S_dropped" - -
row "$L" "steady: sync p50 / p99 ms" "$S_p50_ms / $S_p99_ms" - -
row "$L" "steady: sluiced peak RSS MB (idle before: $(printf %.1f "$(calc "$rss1 / 1024")"))" \
	"$(calc "$hwm2 / 1024")" - -
# At one sync per 7 hours (25,200 s) per computer, the steady rate
# serves rate x 25,200 computers.
row "$L" "computers per server at one sync per 7 h (steady syncs/s x 25200); WSUS: 100,000" \
	"$(calc "$sps * 25200")" 100000 "ratio>=1"
