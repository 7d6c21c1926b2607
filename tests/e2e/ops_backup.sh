#!/usr/bin/env bash
# Backup and restore (docs/deploy.md): sluiced --backup FILE takes a
# consistent copy of the SQLite database with SQLite's online backup API
# while the server runs and agents report; the copy restored into a fresh
# data directory starts, keeps every computer, token and approval, and an
# agent's next sync with the anchor it holds is incremental (no full
# resync), its report accepted.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent_lib.sh"

if [ -n "${SLUICE_TEST_DATABASE:-}" ]; then
	echo "skip: PostgreSQL is backed up with pg_dump (docs/deploy.md)"
	exit 77
fi
U1=dddddddd-0000-4000-8000-000000000001
catalog_setup
mkdir -p "$ROOT/etc" "$TMP/files"
printf 'ID=sluicetest\nVERSION_ID="1.0"\n' >"$ROOT/etc/os-release"
printf 'mkdir -p "$SLUICE_ROOT/opt/b"\ntouch "$SLUICE_ROOT/opt/b/done"\n' >"$TMP/files/install.sh"
define $U1 "Backup update" \
	'{"is_installed":{"type":"file_exists","path":"/opt/b/done"},"is_installable":{"type":"os_id","id":"sluicetest"}}' \
	'{"handler":"script","arguments":["install.sh"]}'
add $U1 "$TMP/files/install.sh"
server_up none
approve $U1 install
agent_conf
agent install || agent_fail "install"
[ "$(state_of $U1)" = installed ] || fail "not installed before the backup"
TOKEN=$(sqlite3 "$STATE/agent.db" "SELECT value FROM meta WHERE key='token'")
ANCHOR=$(sqlite3 "$STATE/agent.db" "SELECT value FROM meta WHERE key='anchor'")
[ -n "$TOKEN" ] && [ -n "$ANCHOR" ] || fail "the agent holds no token or anchor"

# --- backup while reports stream in ------------------------------------------
report() { # N
	curl -s -o /dev/null -w '%{http_code}' -X POST \
		-H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
		--data-binary "{\"states\":[],\"events\":[{\"event_id\":\"$(printf 'eeeeeeee-0000-4000-8000-%012d' "$1")\",\"id\":\"$U1\",\"kind\":\"verify\",\"result\":\"success\"}]}" \
		"$SERVER_URL/v1/agent/report" || true
}
(for i in $(seq 1 300); do
	[ -e "$TMP/stop" ] && break
	echo "$i $(report "$i")" >>"$TMP/codes"
done) &
LOOP=$!
for _ in $(seq 100); do [ -s "$TMP/codes" ] && break; sleep 0.05; done
"$SLUICED" --config "$DATA/sluiced.ini" --backup "$TMP/backup.db" >"$TMP/backup.log" 2>&1 ||
	fail "--backup: $(cat "$TMP/backup.log")"
touch "$TMP/stop"
wait "$LOOP"
grep -q "backup: $TMP/backup.db written" "$TMP/backup.log" || fail "backup log: $(cat "$TMP/backup.log")"
[ "$(sqlite3 "$TMP/backup.db" 'PRAGMA integrity_check')" = ok ] || fail "the backup does not check"
[ ! -e "$TMP/backup.db.tmp" ] || fail "backup.db.tmp left behind"
[ ! -e "$TMP/backup.db-wal" ] || fail "the backup is not one file"
during=$(awk '$2 == 200' "$TMP/codes" | wc -l)
in_copy=$(sqlite3 "$TMP/backup.db" "SELECT count(*) FROM events WHERE event_id LIKE 'eeeeeeee-%'")
[ "$during" -ge 1 ] || fail "no report answered during the backup"
server_alive
echo "ok: online backup while $during reports were answered ($in_copy in the copy); integrity_check ok"

# The running server's reports keep going into the live database; the
# copy holds one consistent state of it.
[ "$(sqlite3 "$TMP/backup.db" "SELECT count(*) FROM computers")" = 1 ] || fail "computers in the copy"

# --- restore into a fresh data directory, as docs/deploy.md says -------------
stop_server
NEW=$TMP/restored
mkdir -p "$NEW"
cp "$TMP/backup.db" "$NEW/sluice.db"
sed "s|^data = .*|data = $NEW|" "$DATA/sluiced.ini" >"$TMP/restored.ini"
port=$(free_port)
sed -i "s|^listen = .*|listen = 127.0.0.1:$port|" "$TMP/restored.ini"
SERVER_LOG=$NEW/sluiced.log
"$SLUICED" --config "$TMP/restored.ini" >"$SERVER_LOG" 2>&1 &
SERVER_PID=$!
SERVER_PORT=$port
SERVER_URL=http://127.0.0.1:$port
wait_port "$port"
[ "$(curl -s -o "$TMP/ready" -w '%{http_code}' "$SERVER_URL/readyz")" = 200 ] ||
	fail "restored server not ready: $(cat "$TMP/ready")"
# The admin token is the old one (its hash is in the database); no new
# one is made when the database has one.
[ ! -e "$NEW/admin.token" ] || fail "a new admin token was made on the restored data"
api GET /v1/admin/computers
[ "$HTTP_STATUS" = 200 ] || fail "old admin token on the restored server: $HTTP_STATUS"
[ "$(jq '.computers | length' <<<"$BODY")" = 1 ] || fail "computers after restore: $BODY"
echo "ok: restored into a fresh data directory; ready; the admin token and the computer are there"

# --- the agent goes on incrementally -------------------------------------------
ans=$(curl -sS -X POST -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
	--data-binary "{\"anchor\":\"$ANCHOR\"}" "$SERVER_URL/v1/agent/sync")
[ "$(jq -c '[.full, (.updates | length)]' <<<"$ans")" = '[false,0]' ] ||
	fail "the agent's sync after the restore is not incremental: $ans"
sed -i "s|^server = .*|server = $SERVER_URL|" "$ACONF"
agent detect || agent_fail "detect against the restored server"
grep -q ' access 127\.0\.0\.1 POST /v1/agent/sync 200 ' "$SERVER_LOG" || fail "no sync answered"
[ "$(report 9999)" = 200 ] || fail "a report after the restore was refused"
! grep -q ' POST /v1/agent/register ' "$SERVER_LOG" || fail "the agent registered again"
[ "$(state_of $U1)" = installed ] || fail "state after restore: $(state_of $U1)"
echo "ok: the agent syncs incrementally with its anchor (full=false, nothing resent) and reports; no re-registration"
stop_server
