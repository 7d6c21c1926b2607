#!/usr/bin/env bash
# The storage mode changes on a running server (sluice settings, audited):
# after none -> full the approved update's file is fetched at once (no
# upstream change needed) and the agent gets the server's URL at its next
# incremental sync; back to none, the upstream URL again; the mode set
# survives a restart.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent_lib.sh"

U=dddddddd-0000-4000-8000-000000000001
catalog_setup
mkdir -p "$ROOT/etc" "$TMP/files/$U"
printf 'ID=sluicetest\nVERSION_ID="1.0"\n' >"$ROOT/etc/os-release"
head -c 50000 /dev/urandom >"$TMP/files/$U/payload.bin"
define $U "Switch" '{"is_installed":{"type":"file_exists","path":"/opt/sw"},"is_installable":{"type":"os_id","id":"sluicetest"}}' \
	'{"handler":"script","arguments":["payload.bin"]}'
add $U "$TMP/files/$U/payload.bin"
SHA=$(sha256sum "$TMP/files/$U/payload.bin" | cut -d' ' -f1)
server_up none
agent_conf
approve $U install
url() { sqlite3 "$STATE/agent.db" "SELECT url FROM view_files WHERE update_id='$U'"; }

agent detect || agent_fail "detect (none)"
url | grep -q "^file://" || agent_fail "mode none: $(url)"
"$SLUICE" settings | grep -q "storage_mode: none" || fail "settings: $("$SLUICE" settings)"

# --- none -> full: fetched at once, new URL at the next incremental sync ----
"$SLUICE" settings set storage_mode full | grep -q "storage_mode: full" || fail "set full"
for ((i = 0; i < 100; i++)); do
	code=$(curl -s -o /dev/null -w '%{http_code}' "$SERVER_URL/content/$SHA")
	[ "$code" = 200 ] && break
	sleep 0.1
done
[ "$code" = 200 ] || fail "the approved file was not fetched after the switch: $code"
agent detect || agent_fail "detect (full)"
grep -q "synced incrementally" "$AGENT_LOG" || agent_fail "not an incremental sync"
[ "$(url)" = "$SERVER_URL/content/$SHA" ] || agent_fail "mode full: $(url)"
"$SLUICE" audit | grep -q "storage_mode=full (was none)" || fail "switch not audited"

# --- the setting survives a restart ------------------------------------------
stop_server
start_server "$DATA" "[upstream]
url = file://$CAT/public
trusted_keys = $KEY
syncs_per_day = 0
[storage]
mode = none"
agent_conf # the new port
"$SLUICE" settings | grep -q "storage_mode: full" || fail "after restart: $("$SLUICE" settings)"

# --- full -> none: the upstream URL again -------------------------------------
"$SLUICE" settings set storage_mode none >/dev/null || fail "set none"
agent detect || agent_fail "detect (none again)"
url | grep -q "^file://" || agent_fail "back to none: $(url)"
rc=0
out=$("$SLUICE" settings set storage_mode fast 2>&1) || rc=$?
[ $rc = 1 ] && grep -q "storage_mode" <<<"$out" || fail "bad mode: rc=$rc $out"
echo "storage_switch: ok"
