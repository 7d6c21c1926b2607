#!/usr/bin/env bash
# sync_resume: downloads killed half way resume and verify.
#
# The catalog is served over HTTP by tests/e2e/flaky_http.py, which
#   - stalls the first two responses for BIG after 2 MiB each, and
#   - cuts the first response for MID after 300000 bytes.
# sluiced (storage mode full) syncs and starts downloading:
#   1. BIG stalls: sluiced is killed with SIGKILL; BIG's .part survives
#   2. restarted, sluiced resumes BIG with a Range request from the .part's
#      size; it stalls again: SIGTERM must stop sluiced promptly anyway
#   3. restarted again, BIG completes (another Range request); MID, cut
#      once, was retried with backoff and a Range request
# Both files verify (SHA-256) in the content store and are served.
. "$(dirname "$0")/lib.sh"

command -v jq >/dev/null || fail "jq is required"
command -v python3 >/dev/null || fail "python3 is required"

CAT=$TMP/cat
U3=5b7e9c2a-4d6f-4a8b-9c1d-2e3f4a5b6c7d
STALL_BYTES=2097152
CUT_BYTES=300000

"$SLUICE" catalog init "$CAT" >/dev/null || fail "catalog init"
KEY=$(echo "$CAT"/public/keys/*.pub)
mkdir -p "$TMP/files"
head -c 8388608 /dev/urandom >"$TMP/files/big.bin"
head -c 1048576 /dev/urandom >"$TMP/files/mid.bin"
BIG=$(sha256sum "$TMP/files/big.bin" | cut -d' ' -f1)
MID=$(sha256sum "$TMP/files/mid.bin" | cut -d' ' -f1)
cat >"$TMP/def.json" <<EOF
{"id":"$U3","title":"Big payload","classification":"feature","product":"demo",
 "release_date":"2026-11-01",
 "applicability":{"is_installed":{"type":"false"},"is_installable":{"type":"true"}},
 "install":{"handler":"script","arguments":["big.bin"]},"files":[]}
EOF
"$SLUICE" catalog add "$CAT" "$TMP/def.json" "$TMP/files/big.bin" \
	"$TMP/files/mid.bin" >/dev/null || fail "catalog add"

# The flaky upstream.
FLOG=$TMP/flaky.log
python3 "$SOURCE_ROOT/tests/e2e/flaky_http.py" --root "$CAT/public" \
	--port-file "$TMP/flaky.port" --log "$FLOG" --stall-seconds 600 \
	--stall "$BIG:$STALL_BYTES:2" --cut "$MID:$CUT_BYTES:1" &
FLAKY_PID=$!
trap 'kill $FLAKY_PID 2>/dev/null || true; _lib_cleanup' EXIT
for ((i = 0; i < 100; i++)); do
	[ -f "$TMP/flaky.port" ] && break
	sleep 0.1
done
[ -f "$TMP/flaky.port" ] || fail "flaky_http did not start"
UPSTREAM=http://127.0.0.1:$(cat "$TMP/flaky.port")/

D=$TMP/data
INI=$(printf '[upstream]\nurl = %s\ntrusted_keys = %s\nsyncs_per_day = 0\n[storage]\nmode = full\n' \
	"$UPSTREAM" "$KEY")
BIG_PATH=$D/content/${BIG:0:2}/$BIG
MID_PATH=$D/content/${MID:0:2}/$MID

# requests SHA: the flaky log's lines for that file.
requests() { grep "/$1 " "$FLOG" || true; }

# wait_stall N: until the Nth stalled response for BIG has been sent and
# its bytes are all in the .part (size stable).
wait_stall() {
	local i size prev=-1
	for ((i = 0; i < 300; i++)); do
		if [ "$(requests "$BIG" | grep -c 'action=stall')" -ge "$1" ] &&
			[ -f "$BIG_PATH.part" ]; then
			size=$(stat -c %s "$BIG_PATH.part")
			[ "$size" = "$prev" ] && [ "$size" -gt 0 ] && return 0
			prev=$size
		fi
		sleep 0.2
	done
	fail "BIG did not stall (#$1): $(cat "$FLOG")"
}

echo "== sync over HTTP; BIG stalls half way; sluiced is killed (SIGKILL)"
start_server "$D" "$INI"
api POST /v1/admin/sync
[ "$HTTP_STATUS" = 202 ] || fail "sync: HTTP $HTTP_STATUS $BODY"
wait_stall 1
kill -KILL "$SERVER_PID"
wait "$SERVER_PID" 2>/dev/null || true
SERVER_PID=
PART1=$(stat -c %s "$BIG_PATH.part")
echo "BIG.part after the kill: $PART1 bytes"
[ "$PART1" -gt 0 ] && [ "$PART1" -le "$STALL_BYTES" ] || fail "odd .part size $PART1"
[ -f "$BIG_PATH" ] && fail "BIG under its final name before it verified"
api_history_ok() {
	api GET /v1/admin/sync/history
	jq -e '[.history[] | select(.result == "success" and .new == 1)] | length == 1' \
		<<<"$BODY" >/dev/null || fail "sync history: $BODY"
}

echo "== restart: the download resumes from the .part with a Range request"
start_server "$D" "$INI"
api_history_ok
wait_stall 2
requests "$BIG" | grep -q "range=bytes=$PART1- status=206 action=stall" ||
	fail "no Range request from $PART1: $(requests "$BIG")"
PART2=$(stat -c %s "$BIG_PATH.part")
[ "$PART2" -gt "$PART1" ] || fail ".part did not grow ($PART1 -> $PART2)"

echo "== SIGTERM while a transfer hangs: sluiced stops promptly"
T0=$(date +%s)
stop_server
T1=$(date +%s)
[ $((T1 - T0)) -le 5 ] || fail "sluiced took $((T1 - T0))s to stop"
[ -f "$BIG_PATH.part" ] || fail "the .part was lost at shutdown"

echo "== restart again: BIG completes and verifies; MID was retried"
start_server "$D" "$INI"
for ((i = 0; i < 600; i++)); do
	[ -f "$BIG_PATH" ] && [ -f "$MID_PATH" ] && break
	sleep 0.1
done
[ -f "$BIG_PATH" ] || fail "BIG not stored: $(requests "$BIG")"
[ -f "$MID_PATH" ] || fail "MID not stored: $(requests "$MID")"
[ "$(sha256sum "$BIG_PATH" | cut -d' ' -f1)" = "$BIG" ] || fail "BIG corrupt"
[ "$(sha256sum "$MID_PATH" | cut -d' ' -f1)" = "$MID" ] || fail "MID corrupt"
[ -f "$BIG_PATH.part" ] && fail "BIG's .part left behind"
requests "$BIG" | grep -q "range=bytes=$PART2- status=206 action=ok" ||
	fail "BIG not resumed from $PART2: $(requests "$BIG")"
[ "$(requests "$BIG" | grep -c 'range=- ')" = 1 ] ||
	fail "BIG restarted from 0: $(requests "$BIG")"
requests "$MID" | grep -q "action=cut" || fail "MID was not cut"
requests "$MID" | grep -Eq "range=bytes=[1-9][0-9]*- status=206 action=ok" ||
	fail "MID not resumed with a Range request: $(requests "$MID")"
grep -q "fetch: $MID: attempt 1 failed" "$D/sluiced.log" ||
	fail "no log line for MID's failed attempt"
echo "flaky log:"
cat "$FLOG"

# The stored file is served, with Range.
curl -sf "$SERVER_URL/content/$BIG" | cmp -s - "$TMP/files/big.bin" ||
	fail "GET /content/BIG differs"
curl -sf -r 1000-1999 "$SERVER_URL/content/$BIG" |
	cmp -s - <(tail -c +1001 "$TMP/files/big.bin" | head -c 1000) ||
	fail "GET /content/BIG with Range differs"
api GET /v1/admin/updates
[ "$(jq -r --arg id "$U3" '[.updates[] | select(.id == $id) | .files[] | select(.present)] | length' <<<"$BODY")" = 2 ] ||
	fail "files not reported present: $BODY"
server_alive
stop_server
echo "PASS"
