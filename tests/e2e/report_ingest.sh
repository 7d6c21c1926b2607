#!/usr/bin/env bash
# Status ingestion (POST /v1/agent/report) in batches as agents send them:
# a 500-event report is stored in one transaction (an event id repeated
# inside it once, the same report sent again stores nothing); a malformed
# event in the middle, or a valid-JSON but invalid one, fails the report
# with a message naming that event and stores none of its events; of
# reports sent at once, one that fails when stored fails alone and the
# others are stored; after
# sluiced is killed (SIGKILL) while reports arrive, every report answered
# 200 is stored whole, and the agent's resend of every report stores each
# event exactly once.
. "$(dirname "$0")/lib.sh"

DATA=$TMP/data
start_server "$DATA"
REG=$(curl -sS -X POST "$SERVER_URL/v1/agent/register" \
	-d '{"hostname":"batch-01","os_id":"debian","os_version":"12","arch":"amd64","kernel":"6.1.0","agent_version":"0.1.0"}')
CID=$(jq -r .computer_id <<<"$REG")
CTOK=$(jq -r .token <<<"$REG")
[[ "$CID" =~ ^[0-9a-f-]{36}$ ]] || fail "register: $REG"
U1=aaaaaaaa-0000-4000-8000-000000000001

# report FILE TAG N [DUP_AT] [BAD_AT BAD_TEXT]: N events with ids
# <TAG>-<i> (event DUP_AT repeats the id of event 0; event BAD_AT is
# replaced by BAD_TEXT).
report() {
	local file=$1 tag=$2 n=$3 dup=${4:--1} bad=${5:--1} text=${6:-} i id sep=
	{
		printf '{"states":[],"events":['
		for ((i = 0; i < n; i++)); do
			id=$(printf '%s-0000-7000-8000-%012d' "$tag" "$i")
			[ "$i" = "$dup" ] && id=$(printf '%s-0000-7000-8000-%012d' "$tag" 0)
			if [ "$i" = "$bad" ]; then
				printf '%s%s' "$sep" "$text"
			else
				printf '%s{"event_id":"%s","id":"%s","revision":1,"time":"2026-11-29T12:00:00Z","kind":"install","result":"success","exit_code":0,"output":"line %d\\nand \\u00e9"}' \
					"$sep" "$id" "$U1" "$i"
			fi
			sep=,
		done
		printf ']}'
	} >"$file"
}
post() { # FILE -> HTTP_STATUS, BODY
	HTTP_STATUS=$(curl -sS -o "$TMP/post.out" -w '%{http_code}' -X POST \
		-H "Authorization: Bearer $CTOK" -H 'Content-Type: application/json' \
		--data-binary "@$1" "$SERVER_URL/v1/agent/report")
	BODY=$(cat "$TMP/post.out")
}
stored() { # TAG: events of the computer with ids TAG-...
	server_sql "$DATA" "SELECT count(*) FROM events WHERE computer_id = '$CID' AND event_id LIKE '$1%'"
}

# --- 500 events, one id twice, then the same report again -----------------
report "$TMP/r1" aaaaaaa1 500 250
post "$TMP/r1"
[ "$HTTP_STATUS" = 200 ] || fail "500 events: $HTTP_STATUS $BODY"
[ "$(jq -c . <<<"$BODY")" = '{"states":0,"events":499}' ] || fail "500 events: $BODY"
[ "$(stored aaaaaaa1)" = 499 ] || fail "stored $(stored aaaaaaa1), want 499"
[ "$(server_sql "$DATA" "SELECT output FROM events WHERE event_id = 'aaaaaaa1-0000-7000-8000-000000000007'")" = "$(printf 'line 7\nand \xc3\xa9')" ] ||
	fail "output not decoded: $(server_sql "$DATA" "SELECT output FROM events WHERE event_id = 'aaaaaaa1-0000-7000-8000-000000000007'")"
post "$TMP/r1"
[ "$(jq -c . <<<"$BODY")" = '{"states":0,"events":0}' ] || fail "resent: $BODY"
[ "$(stored aaaaaaa1)" = 499 ] || fail "resent: stored $(stored aaaaaaa1)"
echo "ok: 500 events stored once (an id repeated inside the report, the report sent again)"

# --- a malformed event in the middle: nothing of the report -----------------
report "$TMP/r2" aaaaaaa2 500 -1 249 '{"event_id" "x"}'
post "$TMP/r2"
[ "$HTTP_STATUS" = 400 ] || fail "malformed: $HTTP_STATUS $BODY"
msg=$(jq -r .error.message <<<"$BODY")
[[ "$msg" == "report: request body: events[249]: line 1 column "*": ':' expected" ]] ||
	fail "malformed: $msg"
[ "$(stored aaaaaaa2)" = 0 ] || fail "malformed: stored $(stored aaaaaaa2)"
report "$TMP/r3" aaaaaaa3 500 -1 377 "{\"event_id\":\"e\",\"id\":\"$U1\",\"kind\":\"reinstall\",\"result\":\"success\"}"
post "$TMP/r3"
[ "$HTTP_STATUS" = 400 ] || fail "invalid: $HTTP_STATUS $BODY"
msg=$(jq -r .error.message <<<"$BODY")
[ "$msg" = "report: events[377]: kind: 'reinstall' is not a known value" ] ||
	fail "invalid: $msg"
[ "$(stored aaaaaaa3)" = 0 ] || fail "invalid: stored $(stored aaaaaaa3)"
echo "ok: a malformed or invalid event in the middle fails the report naming it, nothing stored"

# --- several reports at once, one failing when stored: it fails alone -----
# Eight reports of one computer arrive together, one of them with a
# revision the state layout cannot hold (caught only when stored): that
# one is answered 400 with its own error and nothing of it is kept, the
# seven others are stored whole.
BAD_STATE='{"states":[{"id":"'$U1'","revision":1152921504606846976,"state":"installed"}],"events":['
pids=()
for k in 0 1 2 3 4 5 6 7; do
	report "$TMP/g$k" "$(printf 'ccccc%03d' "$k")" 300
	[ "$k" = 3 ] && sed -i "s/^{\"states\":\[\],\"events\":\[/$BAD_STATE/" "$TMP/g$k"
done
for k in 0 1 2 3 4 5 6 7; do
	curl -sS -o "$TMP/g$k.out" -w '%{http_code}' -X POST \
		-H "Authorization: Bearer $CTOK" -H 'Content-Type: application/json' \
		--data-binary "@$TMP/g$k" "$SERVER_URL/v1/agent/report" >"$TMP/g$k.code" &
	pids+=($!)
done
wait "${pids[@]}"
for k in 0 1 2 3 4 5 6 7; do
	tag=$(printf 'ccccc%03d' "$k")
	if [ "$k" = 3 ]; then
		[ "$(cat "$TMP/g$k.code")" = 400 ] || fail "failing report: $(cat "$TMP/g$k.code") $(cat "$TMP/g$k.out")"
		msg=$(jq -r .error.message "$TMP/g$k.out")
		[ "$msg" = "report: store states: states[0]: state: revision: expected a non-negative integer" ] ||
			fail "failing report: $msg"
		[ "$(stored "$tag")" = 0 ] || fail "failing report: stored $(stored "$tag") of its events"
	else
		[ "$(cat "$TMP/g$k.code")" = 200 ] || fail "report $k: $(cat "$TMP/g$k.code") $(cat "$TMP/g$k.out")"
		[ "$(jq -c . "$TMP/g$k.out")" = '{"states":0,"events":300}' ] || fail "report $k: $(cat "$TMP/g$k.out")"
		[ "$(stored "$tag")" = 300 ] || fail "report $k: stored $(stored "$tag"), want 300"
	fi
done
echo "ok: 8 reports at once: the one failing when stored answered 400 alone with nothing kept, the 7 others stored"

# --- SIGKILL while reports arrive, then the agent's resend ------------------
for t in 1 2 3 4; do
	for ((k = 0; k < 15; k++)); do
		report "$TMP/k$t-$k" "$(printf 'bbbbb%d%02d' "$t" "$k")" 100
	done
done
send_loop() { # T: post k$T-*, one at a time, noting each answer
	local k code
	for ((k = 0; k < 15; k++)); do
		code=$(curl -s -o /dev/null -w '%{http_code}' -X POST \
			-H "Authorization: Bearer $CTOK" -H 'Content-Type: application/json' \
			--data-binary "@$TMP/k$1-$k" "$SERVER_URL/v1/agent/report") || true
		echo "$k $code" >>"$TMP/codes.$1"
	done
}
loops=()
for t in 1 2 3 4; do
	send_loop "$t" &
	loops+=($!)
done
for _ in $(seq 200); do
	[ "$(cat "$TMP"/codes.* 2>/dev/null | grep -c ' 200$')" -ge 8 ] && break
	sleep 0.05
done
kill -KILL "$SERVER_PID"
wait "$SERVER_PID" || true
SERVER_PID=
wait "${loops[@]}"
answered=0
for t in 1 2 3 4; do
	while read -r k code; do
		[ "$code" = 200 ] || continue
		answered=$((answered + 1))
		n=$(stored "$(printf 'bbbbb%d%02d' "$t" "$k")")
		[ "$n" = 100 ] || fail "report $t/$k answered 200 but $n of its 100 events are stored"
	done <"$TMP/codes.$t"
done
[ "$answered" -ge 8 ] || fail "only $answered reports answered before the kill"
start_server "$DATA"
for t in 1 2 3 4; do
	for ((k = 0; k < 15; k++)); do
		post "$TMP/k$t-$k"
		[ "$HTTP_STATUS" = 200 ] || fail "resend $t/$k: $HTTP_STATUS $BODY"
	done
done
[ "$(stored bbbbb)" = 6000 ] || fail "after the resend: $(stored bbbbb) events, want 6000"
echo "ok: SIGKILL: $answered report(s) answered 200 were stored whole; the resend stored every event once"
stop_server
