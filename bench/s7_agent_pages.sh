#!/usr/bin/env bash
# Scenario 7, first syncs in pages (agent protocol 2): a server with
# UPDATES generated updates (storage mode none), all approved for "All
# Computers", and CONNS computers that sync for the first time at once,
# each following the page cursor to the end as sluice-agent does. Reports
# the time of one first sync on an idle server, the wall time of CONNS
# concurrent first syncs and the server's peak RSS above its idle RSS
# while they run.
SCEN=s7
. "$(dirname "$0")/lib.sh"

if [ "$SMOKE" = 1 ]; then
	UPDATES=50 CONNS=4 LIMIT=20
else
	UPDATES=20000 CONNS=64 LIMIT=1000
fi
F=$WORK/pages
mkdir -p "$F"
serve_origin "$F" "$UPDATES"
"$CLIENT" register "$SL_URL" "$CONNS" 4 "$F/tokens" "All Computers" >/dev/null ||
	die "registering computers failed"

# first_sync TOKEN OUT: every page of a first sync; prints the updates.
first_sync() {
	local tok=$1 out=$2 cur=null n=0 next body
	while :; do
		body="{\"anchor\":null,\"protocol\":2,\"limit\":$LIMIT,\"cursor\":$cur}"
		curl -sS -o "$out" -X POST -H "Authorization: Bearer $tok" \
			-H 'Content-Type: application/json' --data-binary "$body" \
			"$SL_URL/v1/agent/sync" || return 1
		n=$((n + $(grep -o '"approval":' "$out" | wc -l)))
		next=$(tail -c 300 "$out" | grep -o '"next":[^}]*' | cut -d: -f2-)
		[ "$next" = null ] && break
		[ -n "$next" ] || return 1
		cur=$next
	done
	echo "$n"
}

tok=$(awk 'NR == 1 { print $2 }' "$F/tokens")
wait_idle "$SL_PID"
t0=$(now_s)
n=$(first_sync "$tok" "$F/page.json") || die "first sync failed"
t1=$(now_s)
[ "$n" = "$UPDATES" ] || die "first sync returned $n updates, not $UPDATES"
row "7 first sync (pages)" "one first sync of $UPDATES updates, idle server: s" \
	"$(calc "$t1 - $t0")" - "sluice<1"

wait_idle "$SL_PID"
rss0=$(awk '/^VmRSS:/ { print $2 }' "/proc/$SL_PID/status")
proc_hwm_reset "$SL_PID"
t0=$(now_s)
i=0
pids=()
while read -r _ tok; do
	first_sync "$tok" "$F/page.$i.json" >"$F/n.$i" &
	pids+=($!)
	i=$((i + 1))
done <"$F/tokens"
for p in "${pids[@]}"; do wait "$p" || die "a concurrent first sync failed"; done
t1=$(now_s)
hwm=$(proc_hwm "$SL_PID")
for ((k = 0; k < i; k++)); do
	[ "$(cat "$F/n.$k")" = "$UPDATES" ] || die "computer $k got $(cat "$F/n.$k") updates"
done
row "7 first sync (pages)" "$CONNS concurrent first syncs of $UPDATES updates: wall s" \
	"$(calc "$t1 - $t0")" - -
row "7 first sync (pages)" "$CONNS concurrent first syncs: sluiced peak RSS above idle, MB" \
	"$(calc "($hwm - $rss0) / 1024")" - "sluice<64"
stop_sluiced
