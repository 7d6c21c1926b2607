#!/usr/bin/env bash
# Least privilege: sluiced started as root binds its ports (a privileged
# one too), reads a root-only TLS key, then runs as server.user (nobody
# here) with that user's group, no supplementary groups, no capabilities
# and the system-call filter, and still serves; a missing account refuses to start; server.user = root is the
# explicit exception and is logged as such.
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || { echo "privdrop: skipped (not root)"; exit 77; }
id nobody >/dev/null 2>&1 || { echo "privdrop: skipped (no user nobody)"; exit 77; }

# nobody must reach the data directory: a world-traversable parent
BASE=$(mktemp -d /tmp/sluice-privdrop.XXXXXX)
chmod 755 "$BASE"
trap '_lib_cleanup; rm -rf "$BASE"' EXIT
DATA=$BASE/data # made by sluiced for nobody
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$BASE/key.pem" -out "$BASE/cert.pem" -days 1 -subj /CN=localhost \
	-addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1 || fail "openssl"
chmod 600 "$BASE/key.pem" # root only

# a privileged port that is free
PRIV=
for p in 853 991 992 993 994 995 888 889; do
	if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then PRIV=$p; break; fi
done
[ -n "$PRIV" ] || fail "no free privileged port"
PORT=$(free_port)
cat >"$BASE/sluiced.ini" <<EOF
[server]
listen = 127.0.0.1:$PORT
data = $DATA
user = nobody
seccomp = on
[tls]
cert = $BASE/cert.pem
key = $BASE/key.pem
listen = 127.0.0.1:$PRIV
plain = all
EOF
LOG=$BASE/sluiced.log
"$SLUICED" --config "$BASE/sluiced.ini" >"$LOG" 2>&1 &
SERVER_PID=$!
SERVER_LOG=$LOG
# the ports listen before the data is ready: wait for the log line
for ((i = 0; i < 200; i++)); do
	grep -q "listening on 127.0.0.1:$PRIV (TLS)" "$LOG" && break
	kill -0 "$SERVER_PID" 2>/dev/null || fail "sluiced exited at start"
	sleep 0.1
done
wait_port "$PORT"
wait_port "$PRIV"
grep -q "running as user nobody" "$LOG" || fail "no drop in the log"
uid=$(awk '/^Uid:/ { print $2, $3, $4, $5 }' "/proc/$SERVER_PID/status")
[ "$uid" = "$(id -u nobody) $(id -u nobody) $(id -u nobody) $(id -u nobody)" ] ||
	fail "uids (real, effective, saved, fs): $uid"
gid=$(awk '/^Gid:/ { print $2, $3, $4, $5 }' "/proc/$SERVER_PID/status")
ngid=$(id -g nobody)
[ "$gid" = "$ngid $ngid $ngid $ngid" ] || fail "gids: $gid"
groups=$(awk '/^Groups:/ { $1 = ""; print $0 }' "/proc/$SERVER_PID/status" | xargs)
[ "$groups" = "$ngid" ] || [ -z "$groups" ] || fail "supplementary groups: $groups"
[ "$(awk '/^Seccomp:/ { print $2 }' "/proc/$SERVER_PID/status")" = 2 ] ||
	fail "no system-call filter"
caps=$(awk '/^CapEff:/ { print $2 }' "/proc/$SERVER_PID/status")
[ "$caps" = 0000000000000000 ] || fail "effective capabilities: $caps"
[ "$(stat -c %U "$DATA")" = nobody ] || fail "data directory owner: $(stat -c %U "$DATA")"
[ "$(stat -c %U "$DATA/sluice.db")" = nobody ] || fail "database owner"
TOKEN=$(cat "$DATA/admin.token")
code=$(curl -sS -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" \
	"http://127.0.0.1:$PORT/v1/admin/groups")
[ "$code" = 200 ] || fail "plain request as nobody: $code"
code=$(curl -sS -o /dev/null -w '%{http_code}' --cacert "$BASE/cert.pem" \
	-H "Authorization: Bearer $TOKEN" "https://127.0.0.1:$PRIV/v1/admin/groups")
[ "$code" = 200 ] || fail "TLS request on port $PRIV as nobody: $code"
kill -TERM "$SERVER_PID"
wait "$SERVER_PID" || fail "sluiced did not stop cleanly"
SERVER_PID=

# an account that does not exist: refused, nothing served
sed -i 's/^user = nobody/user = sluice-no-such-user/' "$BASE/sluiced.ini"
rc=0
out=$("$SLUICED" --config "$BASE/sluiced.ini" 2>&1) || rc=$?
[ "$rc" = 1 ] && grep -q "server.user 'sluice-no-such-user' is not an account" <<<"$out" ||
	fail "missing account: rc=$rc $out"
# another name for root: refused
if ! id toor >/dev/null 2>&1; then
	sed -i 's/^user = .*/user = /' "$BASE/sluiced.ini"
	rc=0
	out=$("$SLUICED" --config "$BASE/sluiced.ini" 2>&1) || rc=$?
	[ "$rc" = 1 ] && grep -q "server.user must name the account" <<<"$out" ||
		fail "empty user as root: rc=$rc $out"
fi
# explicit root: runs, with a warning
sed -i 's/^user = .*/user = root/; s/^seccomp = on/seccomp = off/' "$BASE/sluiced.ini"
"$SLUICED" --config "$BASE/sluiced.ini" >"$LOG" 2>&1 &
SERVER_PID=$!
# the warning follows the listeners' lines: wait for it, not for them
for ((i = 0; i < 200; i++)); do
	grep -q "running as root (server.user = root)" "$LOG" && break
	kill -0 "$SERVER_PID" 2>/dev/null || fail "sluiced exited at start"
	sleep 0.1
done
grep -q "running as root (server.user = root)" "$LOG" || fail "no warning for root"
kill -TERM "$SERVER_PID"
wait "$SERVER_PID" || true
SERVER_PID=
echo "privdrop: ok"
