#!/usr/bin/env bash
# Scenario 7, first syncs in pages (agent protocol 2): a server with
# UPDATES generated updates (storage mode none), all approved for "All
# Computers", and computers that sync for the first time, each following
# the page cursor to the end as sluice-agent does (bench_pages: one
# keep-alive connection per computer, LIMIT updates per page).
#   - ROUNDS rounds of one first sync on an idle server: its wall time and
#     sluiced's peak RSS above its idle RSS;
#   - C_ROUNDS rounds of CONNS first syncs at once: the wall time of each
#     sync and of the round, and the peak RSS above idle. A round that
#     takes longer than C_LIMIT seconds is stopped and reported as such.
# S7_DATABASE (a postgresql:// URL, empty by default) runs the same on
# PostgreSQL; make bench runs it on SQLite.
SCEN=s7
. "$(dirname "$0")/lib.sh"

if [ "$SMOKE" = 1 ]; then
	UPDATES=50 CONNS=4 LIMIT=20 ROUNDS=1 C_ROUNDS=1 C_LIMIT=60
else
	UPDATES=20000 CONNS=64 LIMIT=1000
	ROUNDS=${ROUNDS:-5} C_ROUNDS=${C_ROUNDS:-3} C_LIMIT=${C_LIMIT:-150}
fi
PAGES=$BUILD_DIR/bench/bench_pages
F=$WORK/pages
mkdir -p "$F"
KEY=$(gen_origin "$F/origin" "$UPDATES")
start_sluiced "$F/data" "[upstream]
url = file://$F/origin/public
trusted_keys = $KEY
syncs_per_day = 0
[storage]
mode = none${S7_DATABASE:+
[database]
url = $S7_DATABASE}"
sync_and_wait
out=$("$CLIENT" approve "$SL_URL" "$SL_TOKEN" "$UPDATES" 4 "All Computers") ||
	die "approving the updates failed"
log "$out (each approval rewrites the effective rows it changes)"
"$CLIENT" register "$SL_URL" "$CONNS" 4 "$F/tokens" "All Computers" >/dev/null ||
	die "registering computers failed"

# rise_run N OUT: N first syncs at once, at most C_LIMIT s; bench_pages'
# output in OUT, sluiced's peak RSS above idle (KB) in RISE. Fails when
# a sync fails; status 124 when the limit stopped the round.
rise_run() {
	local n=$1 out=$2 rss0 rc=0
	wait_idle "$SL_PID"
	rss0=$(awk '/^VmRSS:/ { print $2 }' "/proc/$SL_PID/status")
	proc_hwm_reset "$SL_PID"
	timeout "$C_LIMIT" "$PAGES" "$SL_URL" "$F/tokens" "$n" "$LIMIT" \
		"$UPDATES" >"$out" || rc=$?
	RISE=$(($(proc_hwm "$SL_PID") - rss0))
	return "$rc"
}

# A "MIN MED MAX" line of KB in MB.
kb_mb() { awk '{ printf "%.1f %.1f %.1f\n", $1 / 1024, $2 / 1024, $3 / 1024 }' <<<"$1"; }

one_s=() one_rise=()
for ((r = 0; r < ROUNDS; r++)); do
	rise_run 1 "$F/one.$r" || die "a first sync failed (round $((r + 1)))"
	one_s+=("$(awk '$1 == "wall" { print $2 }' "$F/one.$r")")
	one_rise+=("$RISE")
done
st=$(stats "${one_s[@]}")
rs_mb=$(kb_mb "$(stats "${one_rise[@]}")")
row "8 first sync (pages)" "one first sync of $UPDATES updates, idle server: s ($ROUNDS rounds)" \
	"$(awk '{ print $2 }' <<<"$st")" - "sluice<1" "$(spread "$st")"
row "8 first sync (pages)" "one first sync: sluiced peak RSS above idle, MB ($ROUNDS rounds)" \
	"$(awk '{ print $2 }' <<<"$rs_mb")" - - "$(spread "$rs_mb")"

# A round whose syncs do not all complete (the server drops requests
# that exceed its request timeout) is reported as such, not as a time.
walls=() rises=() syncs=() stopped=0 failed=0
for ((r = 0; r < C_ROUNDS; r++)); do
	rc=0
	rise_run "$CONNS" "$F/conc.$r" || rc=$?
	rises+=("$RISE")
	if [ "$rc" = 124 ]; then
		stopped=$((stopped + 1))
		log "round $((r + 1)): $CONNS first syncs not done in ${C_LIMIT}s"
		continue
	fi
	n=$(awk '$1 == "failed" { print $2 }' "$F/conc.$r")
	[ -n "$n" ] || die "bench_pages failed (round $((r + 1)))"
	if [ "$n" != 0 ]; then
		failed=$((failed + n))
		log "round $((r + 1)): $n of $CONNS first syncs failed"
		continue
	fi
	walls+=("$(awk '$1 == "wall" { print $2 }' "$F/conc.$r")")
	syncs+=($(awk '$1 == "sync" { print $2 }' "$F/conc.$r"))
done
rs_mb=$(kb_mb "$(stats "${rises[@]}")")
if [ "$stopped" -gt 0 ] || [ "$failed" -gt 0 ]; then
	row "8 first sync (pages)" "$CONNS concurrent first syncs of $UPDATES updates: round wall s ($C_ROUNDS rounds)" \
		"incomplete: $failed syncs failed, $stopped rounds not done in ${C_LIMIT} s" - \
		"all complete: **NO**"
else
	st=$(stats "${walls[@]}")
	row "8 first sync (pages)" "$CONNS concurrent first syncs of $UPDATES updates: round wall s ($C_ROUNDS rounds)" \
		"$(awk '{ print $2 }' <<<"$st")" - "all complete: yes" "$(spread "$st")"
	st=$(stats "${syncs[@]}")
	row "8 first sync (pages)" "$CONNS concurrent first syncs: one sync's wall s (all syncs of all rounds)" \
		"$(awk '{ print $2 }' <<<"$st")" - - "$(spread "$st")"
fi
row "8 first sync (pages)" "$CONNS concurrent first syncs: sluiced peak RSS above idle, MB ($C_ROUNDS rounds)" \
	"$(awk '{ print $2 }' <<<"$rs_mb")" - "sluice<64" "$(spread "$rs_mb")"
stop_sluiced
