#!/usr/bin/env bash
# sluiced's own sender of update files on the plain listener
# (src/server/http/content_send.h), driven with raw HTTP/1.1 from
# content_sender.py: pipelined, split and late heads; connections that
# turn from files to JSON and back; Connection: close; the answers it
# leaves to libmicrohttpd (404, 416, a query, HTTP/1.0); a download reset
# half way; more downloads at once than the sender's share of connections
# (max_connections 16: 2 here, the rest through libmicrohttpd); a reader
# that stops reading is cut after the idle timeout; accept() failing for
# want of descriptors. Then the server is alive, each answer has its
# access log line, and the metrics count them.
. "$(dirname "$0")/lib.sh"

DATA=$TMP/data
put_content "$DATA" small 50001
put_content "$DATA" large 12000017 # more than the socket buffers hold

start_server "$DATA" "[limits]
idle_timeout = 7
max_connections = 16"
timeout 180 python3 "$SOURCE_ROOT/tests/e2e/content_sender.py" 127.0.0.1 \
	"$SERVER_PORT" "$SHA_small" "$SHA_large" 7 "$TMP/small.bin" \
	"$TMP/large.bin" >"$TMP/py.out" 2>&1 ||
	fail "content_sender.py: $(tail -n 20 "$TMP/py.out")"
cat "$TMP/py.out"
server_alive
grep -q "content sender: closed 1 connection(s) that took no data for 7s" \
	"$SERVER_LOG" || fail "the stalled reader was not cut by the sender"
# access lines: the sender's answers and libmicrohttpd's
n=$(grep -c "access 127.0.0.1 GET /content/$SHA_small 200 50001 " "$SERVER_LOG")
[ "$n" -ge 310 ] || fail "only $n access lines for the small file"
grep -q "access 127.0.0.1 GET /content/$SHA_large 206 10 " "$SERVER_LOG" ||
	fail "no access line for the range"
grep -q "access 127.0.0.1 GET /content/$SHA_small 304 0 " "$SERVER_LOG" ||
	fail "no access line for the 304"
grep -q "access 127.0.0.1 HEAD /content/$SHA_large 200 0 " "$SERVER_LOG" ||
	fail "no access line for the HEAD"
# Descriptors run out: accept() fails, the sender stops accepting for a
# moment (one log line, not one per try), and serves again once they are
# back.
lim=$(prlimit --pid "$SERVER_PID" --nofile --noheadings --raw -o SOFT,HARD | tr ' ' :)
nfd=$(ls "/proc/$SERVER_PID/fd" | wc -l)
# (the soft limit only: raising a hard limit back needs CAP_SYS_RESOURCE)
prlimit --pid "$SERVER_PID" --nofile=$((nfd + 10)):"${lim#*:}" ||
	fail "prlimit"
python3 - "$SERVER_PORT" <<'PY' || fail "holding connections"
import socket, sys, time
held = [socket.create_connection(("127.0.0.1", int(sys.argv[1])))
        for _ in range(40)]
time.sleep(1.5)
for s in held:
    s.close()
PY
prlimit --pid "$SERVER_PID" --nofile="$lim" || fail "prlimit back"
grep -q "content sender: accept: Too many open files (accepting again in 0.1 s)" \
	"$SERVER_LOG" || fail "no log line for the descriptors running out"
n=$(grep -c "content sender: accept: Too many open files" "$SERVER_LOG")
[ "$n" = 1 ] || fail "$n log lines for the descriptors running out"
sleep 0.5
curl -sS -o "$TMP/again" "$SERVER_URL/content/$SHA_small" &&
	cmp -s "$TMP/again" "$TMP/small.bin" ||
	fail "not served again once descriptors were back"
server_alive
api GET /metrics
served=$(sed -n 's/^sluice_content_served_bytes_total \([0-9]*\)$/\1/p' <<<"$BODY")
# 12 x 3 + 3 whole large files at least, and the small ones
[ "${served:-0}" -ge $((39 * 12000017)) ] ||
	fail "content bytes in the metrics: ${served:-none}"
stop_server
echo "content_sender: ok"
