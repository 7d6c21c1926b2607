#!/usr/bin/env bash
# Scenario 2, agent sync load: a server with UPDATES generated updates
# (synced from a generated origin, storage mode none), all approved for
# "All Computers", and COMPUTERS registered computers in that group. wrk
# then spreads POST /v1/agent/sync over all the computers' tokens with the
# anchor the computers were handed, in protocol 2 as the agent sends it:
# the no-change sync, the periodic check of an up-to-date agent. (First
# syncs, in pages, are scenario 8, s7_agent_pages.sh.)
# The server's data directory is kept in $WORK/fleet for scenarios 4 and 5.
SCEN=s2
. "$(dirname "$0")/lib.sh"

if [ "$SMOKE" = 1 ]; then
	UPDATES=50 COMPUTERS=20 CONNS="4" DUR=1s NC_DUR=1s ROUNDS=1
else
	UPDATES=20000 COMPUTERS=10000 CONNS="64 512" DUR=10s NC_DUR=5s ROUNDS=3
fi
have wrk || die "wrk is not installed (scripts/deps.sh wrk)"
F=$WORK/fleet
mkdir -p "$F"

t0=$(now_s)
KEY=$(gen_origin "$F/origin" "$UPDATES")
log "generated $UPDATES updates in $(calc "$(now_s) - $t0") s"
start_sluiced "$F/data" "[upstream]
url = file://$F/origin/public
trusted_keys = $KEY
syncs_per_day = 0
[storage]
mode = none"
echo "$KEY" >"$F/trusted_key"

sync_and_wait
log "synced $UPDATES updates in $SYNC_WALL s"
out=$("$CLIENT" approve "$SL_URL" "$SL_TOKEN" "$UPDATES" 4 "All Computers") ||
	die "approving the updates failed"
log "$out"
out=$("$CLIENT" register "$SL_URL" "$COMPUTERS" 4 "$F/tokens" \
	"All Computers") || die "registering computers failed"
log "$out"
reg_s=$(awk '{ print $4 }' <<<"$out")
row "2 agent sync" "set-up: registrations/s ($COMPUTERS computers, 4 clients)" \
	"$(calc "$COMPUTERS / $reg_s")" - -

# One full sync gives the anchor; anchors are the server's change sequence,
# the same for every computer of the group once nothing changed since.
tok=$(awk 'NR == 1 { print $2 }' "$F/tokens")
curl -sS -o "$F/full.json" -w '%{http_code}' -X POST \
	-H "Authorization: Bearer $tok" -H 'Content-Type: application/json' \
	--data-binary '{"anchor":null}' "$SL_URL/v1/agent/sync" >"$F/code"
[ "$(cat "$F/code")" = 200 ] || die "full sync: HTTP $(cat "$F/code")"
n=$(jq '.updates | length' "$F/full.json")
[ "$n" = "$UPDATES" ] || die "full sync returned $n updates, not $UPDATES"
ANCHOR=$(jq -r .anchor "$F/full.json")
echo "$ANCHOR" >"$F/anchor"
# Check that another computer's incremental sync with it is a no-change.
tok=$(awk 'END { print $2 }' "$F/tokens")
ans=$(curl -sS -X POST -H "Authorization: Bearer $tok" \
	-H 'Content-Type: application/json' \
	--data-binary "{\"anchor\":\"$ANCHOR\",\"protocol\":2}" \
	"$SL_URL/v1/agent/sync")
[ "$(jq -c '[.full, (.updates | length), (.removed | length)]' <<<"$ans")" = \
	'[false,0,0]' ] || die "incremental sync is not a no-change: $ans"

# The server's CPU cost of one no-change sync, from sequential requests.
wait_idle "$SL_PID"
c0=$(proc_cpu "$SL_PID")
for ((i = 0; i < 100; i++)); do
	curl -sS -o /dev/null -X POST -H "Authorization: Bearer $tok" \
		-H 'Content-Type: application/json' \
		--data-binary "{\"anchor\":\"$ANCHOR\",\"protocol\":2}" \
		"$SL_URL/v1/agent/sync"
done
row "2 agent sync" "no-change sync: sluiced CPU ms per request (100 sequential)" \
	"$(calc "($(proc_cpu "$SL_PID") - $c0) * 1000 / 100")" - -

# No-change syncs as the field makes them: agents sync every few hours, so
# every request's computer last made contact long ago and the server
# records the contact again (ageing every computer's last contact by an
# hour before each round puts the whole fleet in that state; sluiced
# records the contact of every sync, whatever its age). Reference: nginx
# answering the same POST, with the same tokens and connection counts,
# with the same no-change answer as a fixed response: the ceiling of an
# HTTP server on this machine for this request.
printf '%s' "$ans" >"$F/nochange.json"
NGX_URL=
if have nginx; then
	start_nginx "$F/nginx" "$F/nginx" "location = /v1/agent/sync {
			default_type application/json;
			return 200 '$(cat "$F/nochange.json")';
		}"
	NGX_URL=$NG_URL
	code=$(curl -sS -o /dev/null -w '%{http_code}' -X POST \
		--data-binary '{}' "$NGX_URL/v1/agent/sync")
	[ "$code" = 200 ] || die "nginx fixed answer: HTTP $code"
else
	log "nginx is not installed: the no-change reference stays empty"
fi
for c in $CONNS; do
	t=2
	[ "$c" -lt 2 ] && t=1
	s_r=() n_r=() q=() p50=() p99=() fails=0 reqs=0
	for ((r = 0; r < ROUNDS; r++)); do
		wait_idle "$SL_PID"
		sqlite3 -cmd '.timeout 10000' "$F/data/sluice.db" \
			'UPDATE computers SET last_contact = last_contact - 3600' ||
			die "ageing the computers' last contact failed"
		W_LABEL="(no-change, sluiced)" run_wrk -t "$t" -c "$c" \
			-d "$NC_DUR" --timeout 60s --latency \
			-s "$BENCH_DIR/wrk_sync.lua" "$SL_URL" -- "$F/tokens" \
			"$ANCHOR" "$t"
		[ $((W_ERRS - W_STATUS_ERRS)) -eq 0 ] ||
			die "sync no-change c=$c: errors: $W_ERR_TEXT"
		[ $((2 * W_STATUS_ERRS)) -le "$W_REQS" ] ||
			die "sync no-change c=$c: most answers failed: $W_ERR_TEXT ($(grep -Ev ' access [^ ]+ [A-Z]+ [^ ]+ 200 ' "$SL_LOG" | tail -n 1))"
		fails=$((fails + W_STATUS_ERRS)) reqs=$((reqs + W_REQS))
		s_r+=("$W_OK_RPS") p50+=("$W_P50_MS") p99+=("$W_P99_MS")
		[ -n "$NGX_URL" ] || continue
		W_LABEL="(no-change, nginx fixed answer)" run_wrk -t "$t" \
			-c "$c" -d "$NC_DUR" --timeout 60s --latency \
			-s "$BENCH_DIR/wrk_sync.lua" "$NGX_URL" -- "$F/tokens" \
			"$ANCHOR" "$t"
		[ "$W_ERRS" -eq 0 ] || die "nginx c=$c: errors: $W_ERR_TEXT"
		n_r+=("$W_RPS")
		q+=("$(calc "${s_r[r]} / $W_RPS")")
	done
	if [ "$fails" -gt 0 ]; then
		row "2 agent sync" "no-change syncs, $c conn: failed answers (HTTP >= 400) of $reqs" \
			"$fails" - "sluice<1"
		log "failed answers: $(grep -Ev ' access [^ ]+ [A-Z]+ [^ ]+ 200 ' "$SL_LOG" | tail -n 1)"
	fi
	sr=$(stats "${s_r[@]}")
	m="no-change syncs/s, every one recording its contact, $c conn ($ROUNDS rounds)"
	if [ -n "$NGX_URL" ]; then
		nr=$(stats "${n_r[@]}") qs=$(stats "${q[@]}")
		row "2 agent sync" "$m; reference: nginx, fixed answer" \
			"$(cut -d' ' -f2 <<<"$sr")" "$(cut -d' ' -f2 <<<"$nr")" \
			"ratio>=0.4" \
			"sluiced $(spread "$sr"); nginx $(spread "$nr"); ratio $(spread "$qs")"
	else
		row "2 agent sync" "$m" "$(cut -d' ' -f2 <<<"$sr")" - - \
			"sluiced $(spread "$sr")"
	fi
	row "2 agent sync" "no-change p50 / p99 ms, $c conn (median round)" \
		"$(cut -d' ' -f2 <<<"$(stats "${p50[@]}")") / $(cut -d' ' -f2 <<<"$(stats "${p99[@]}")")" - -
done

stop_sluiced
