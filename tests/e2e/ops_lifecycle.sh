#!/usr/bin/env bash
# sluiced as a daemon: SIGHUP reloads the configuration (the [log] options
# apply at once, any other change is logged as needing a restart, a broken
# file changes nothing), reopens the log file after a rotation; a second
# sluiced on the same data directory is refused naming the holder's PID, as
# is a second sluice-agent run on one state directory; SIGTERM stops
# cleanly after the requests in progress are answered.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent_lib.sh"

# systemd's notification socket, played by a datagram listener: what
# sluiced sends (Type=notify) lands in $TMP/notify, one message a line.
python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "a") as f:
    while True:
        f.write(s.recv(4096).decode().replace("\n", " ") + "\n")
        f.flush()
' "$TMP/notify.sock" "$TMP/notify" &
NOTIFY_PID=$!
for _ in $(seq 50); do [ -S "$TMP/notify.sock" ] && break; sleep 0.1; done
export NOTIFY_SOCKET=$TMP/notify.sock

catalog_setup
server_up none
INI=$DATA/sluiced.ini
grep -qx 'READY=1' "$TMP/notify" || fail "no READY=1 on the notify socket: $(cat "$TMP/notify")"
echo "ok: sd_notify READY=1 once listening"

wait_log() { # FILE PATTERN: wait up to 10 s for a line
	local i
	for ((i = 0; i < 100; i++)); do
		grep -q -- "$2" "$1" && return 0
		sleep 0.1
	done
	fail "no line '$2' in $1"
}
access_lines() { grep -c ' access 127\.0\.0\.1 GET /healthz 200 ' "$1" || true; }

# --- the access line appears at info level (the default) ---------------------
curl -fsS "$SERVER_URL/healthz" >/dev/null
wait_log "$SERVER_LOG" ' INFO sluiced: access 127\.0\.0\.1 GET /healthz 200 15 [0-9]*\.[0-9]\{3\}ms$'

# --- SIGHUP: [log] access = off applies; threads needs a restart -------------
sed -i 's/^threads = 4$/threads = 6/' "$INI"
printf '[log]\naccess = off\n' >>"$INI"
kill -HUP "$SERVER_PID"
wait_log "$SERVER_LOG" 'reload: 1 option(s) applied, 1 need a restart'
grep -q 'reload: log.access changed, applied' "$SERVER_LOG" || fail "log.access not applied"
grep -q '^RELOADING=1 MONOTONIC_USEC=[0-9]*$' "$TMP/notify" || fail "no RELOADING=1: $(cat "$TMP/notify")"
[ "$(grep -c '^READY=1$' "$TMP/notify")" = 2 ] || fail "no READY=1 after the reload: $(cat "$TMP/notify")"
grep -q 'WARN sluiced: reload: server.threads changed, needs restart' "$SERVER_LOG" ||
	fail "server.threads not reported as needing a restart"
n=$(access_lines "$SERVER_LOG")
for _ in 1 2 3; do curl -fsS "$SERVER_URL/healthz" >/dev/null; done
sleep 0.3
[ "$(access_lines "$SERVER_LOG")" = "$n" ] || fail "access lines after log.access = off"
echo "ok: SIGHUP applied log.access = off; server.threads needs restart"

# --- a configuration that does not load changes nothing ----------------------
cp "$INI" "$TMP/good.ini"
echo 'bogus line' >>"$INI"
kill -HUP "$SERVER_PID"
wait_log "$SERVER_LOG" 'ERROR sluiced: reload: configuration: .*sluiced.ini:[0-9]*: syntax error (nothing changed)'
cp "$TMP/good.ini" "$INI"
server_alive
curl -fsS "$SERVER_URL/healthz" >/dev/null || fail "not serving after a bad reload"
echo "ok: a broken file on SIGHUP is refused, the server keeps running"

# --- [log] file by SIGHUP, reopened after a rotation ------------------------
sed -i 's/^access = off$/access = info\nfile = '"${TMP//\//\\/}"'\/sluiced-file.log/' "$INI"
kill -HUP "$SERVER_PID"
wait_log "$TMP/sluiced-file.log" 'reload: 2 option(s) applied'
curl -fsS "$SERVER_URL/healthz" >/dev/null
wait_log "$TMP/sluiced-file.log" ' access 127\.0\.0\.1 GET /healthz 200 '
mv "$TMP/sluiced-file.log" "$TMP/sluiced-file.log.1"
kill -HUP "$SERVER_PID"
wait_log "$TMP/sluiced-file.log" 'reload: 0 option(s) applied, 1 need a restart; log reopened'
curl -fsS "$SERVER_URL/healthz" >/dev/null
wait_log "$TMP/sluiced-file.log" ' access 127\.0\.0\.1 GET /healthz 200 '
n1=$(access_lines "$TMP/sluiced-file.log.1")
sleep 0.3
[ "$(access_lines "$TMP/sluiced-file.log.1")" = "$n1" ] || fail "still writing to the rotated file"
echo "ok: log.file applied on SIGHUP and reopened after a rotation"

# --- a second sluiced on the same data directory -----------------------------
port2=$(free_port)
rc=0
timeout 10 "$SLUICED" --config "$INI" --listen "127.0.0.1:$port2" \
	>"$TMP/second.log" 2>&1 || rc=$?
[ "$rc" = 1 ] || fail "second sluiced: exit status $rc: $(cat "$TMP/second.log")"
grep -q "$DATA is in use by PID $SERVER_PID (lock $DATA/sluiced.pid)" "$TMP/second.log" ||
	fail "second sluiced: $(cat "$TMP/second.log")"
[ "$(cat "$DATA/sluiced.pid")" = "$SERVER_PID" ] || fail "sluiced.pid: $(cat "$DATA/sluiced.pid")"
server_alive
echo "ok: a second sluiced on $DATA exits at once naming PID $SERVER_PID"

# --- a second sluice-agent run on one state directory -------------------------
agent_conf
"$AGENT" run --config "$ACONF" >"$TMP/agent-run.log" 2>&1 &
AGENT_PID=$!
for _ in $(seq 100); do
	[ -s "$STATE/agent.pid" ] && break
	sleep 0.1
done
rc=0
timeout 10 "$AGENT" run --config "$ACONF" >"$TMP/agent2.log" 2>&1 || rc=$?
kill -TERM "$AGENT_PID"
wait "$AGENT_PID" || fail "sluice-agent run did not stop cleanly: $(cat "$TMP/agent-run.log")"
[ "$rc" = 1 ] || fail "second agent: exit status $rc: $(cat "$TMP/agent2.log")"
grep -q "$STATE is in use by PID $AGENT_PID (lock $STATE/agent.pid)" "$TMP/agent2.log" ||
	fail "second agent: $(cat "$TMP/agent2.log")"
echo "ok: a second sluice-agent run on $STATE exits at once naming PID $AGENT_PID"

# --- SIGTERM while requests are in progress ----------------------------------
# Reports race with the stop: each one the server answered 200 must be in
# the database after the restart (nothing answered is lost).
agent detect || agent_fail "detect"
tok=$(sqlite3 "$STATE/agent.db" "SELECT value FROM meta WHERE key='token'")
cid=$(computer_id)
report_loop() { # N: reports N01.., one at a time, until refused
	local i code
	for ((i = 0; i < 400; i++)); do
		code=$(curl -s -o /dev/null -w '%{http_code}' -X POST \
			-H "Authorization: Bearer $tok" -H 'Content-Type: application/json' \
			--data-binary "{\"states\":[],\"events\":[{\"event_id\":\"$(printf 'bbbbbbbb-0000-4000-8000-%06d%06d' "$1" "$i")\",\"id\":\"aaaaaaaa-0000-4000-8000-000000000001\",\"kind\":\"install\",\"result\":\"failure\",\"time\":\"2026-11-29T00:00:00Z\"}]}" \
			"$SERVER_URL/v1/agent/report") || true
		echo "$(printf '%06d%06d' "$1" "$i") $code" >>"$TMP/report-codes.$1"
		[ "$code" = 000 ] && return 0
	done
}
loops=()
for l in 1 2 3 4; do
	report_loop $l &
	loops+=($!)
done
for _ in $(seq 200); do
	[ "$(cat "$TMP"/report-codes.* 2>/dev/null | wc -l)" -ge 40 ] && break
	sleep 0.05
done
kill -TERM "$SERVER_PID"
wait_pids=$SERVER_PID
rc=0
wait "$SERVER_PID" || rc=$?
SERVER_PID=
wait "${loops[@]}"
[ "$rc" = 0 ] || fail "sluiced exited with status $rc on SIGTERM"
grep -q 'SIGTERM received, shutting down' "$TMP/sluiced-file.log" || fail "no shutdown line"
grep -q 'INFO sluiced: stopped' "$TMP/sluiced-file.log" || fail "no 'stopped' line"
grep -qx 'STOPPING=1' "$TMP/notify" || fail "no STOPPING=1: $(cat "$TMP/notify")"
kill "$NOTIFY_PID"
answered=$(cat "$TMP"/report-codes.* | awk '$2 == 200 { print $1 }')
[ "$(wc -w <<<"$answered")" -ge 40 ] || fail "only $(wc -w <<<"$answered") reports answered"
for i in $answered; do
	ev=bbbbbbbb-0000-4000-8000-$i
	[ "$(sqlite3 "$DATA/sluice.db" "SELECT count(*) FROM events WHERE event_id = '$ev'")" = 1 ] ||
		fail "report $i answered 200 but its event is not stored"
done
echo "ok: SIGTERM: $(wc -w <<<"$answered") report(s) answered 200 before the stop, all stored ($wait_pids exited 0)"
