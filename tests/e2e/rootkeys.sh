#!/usr/bin/env bash
# Root keys and freshness: a server and an agent configured with the
# catalog origin's root key only. The origin rotates its signing key and
# the agent keeps installing without a configuration change; the revoked
# key's documents are refused; an origin that stops re-signing its
# timestamp (the timestamp expires) and a server that hands out an old
# timestamp (a rollback) make the agent install nothing and report its
# catalog as stale, which `sluice computers` and the reports show; a fresh
# timestamp brings it back.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent_lib.sh"

U1=cccccccc-0000-4000-8000-000000000001
U2=cccccccc-0000-4000-8000-000000000002
U3=cccccccc-0000-4000-8000-000000000003

mkupdate() {
	mkdir -p "$TMP/files/$1"
	printf 'mkdir -p "$SLUICE_ROOT/opt"\ntouch "$SLUICE_ROOT/opt/%s"\n' \
		"$1" >"$TMP/files/$1/install.sh"
	define "$1" "Update $1" \
		"{\"is_installed\":{\"type\":\"file_exists\",\"path\":\"/opt/$1\"},\"is_installable\":{\"type\":\"true\"}}" \
		'{"handler":"script","arguments":["install.sh"]}'
	add "$1" "$TMP/files/$1/install.sh"
}

origin_sync() { # a sync, then past the server's one-second cache of the
	admin_sync # origin's key list and timestamp
	sleep 1.1
}

sync_fails() { # PATTERN: a sync that fails with an error matching it
	local i
	api POST /v1/admin/sync
	for ((i = 0; i < 100; i++)); do
		api GET /v1/admin/sync/history
		[ "$(jq -r '.history[0].result' <<<"$BODY")" = failure ] && break
		sleep 0.1
	done
	jq -e --arg p "$1" '.history[0].error | test($p)' <<<"$BODY" \
		>/dev/null || fail "sync: no failure matching '$1': $BODY"
}

catalog_state() { # the server's catalog state of the agent's computer
	api GET /v1/admin/computers
	jq -r --arg id "$(computer_id)" \
		'.computers[] | select(.id==$id) | .catalog // "none"' <<<"$BODY"
}

catalog_setup
ROOTPUB=$CAT/public/root.pub
[ -f "$ROOTPUB" ] && [ -f "$CAT/public/keys.json" ] &&
	[ -f "$CAT/public/timestamp.json" ] || fail "catalog init made no root"
OLD=$(basename "$KEY" .pub)
mkupdate $U1

# The server and the agent name the root key only.
start_server "$DATA" "[upstream]
url = file://$CAT/public
trusted_root = $ROOTPUB
syncs_per_day = 0"
admin_sync
api POST /v1/admin/groups '{"name":"web"}'
[ "$HTTP_STATUS" = 201 ] || fail "group: $HTTP_STATUS $BODY"
agent_conf
sed -i "s|^trusted_keys = .*|trusted_keys =\ntrusted_root = $ROOTPUB|" "$ACONF"
conf_sum=$(md5sum <"$ACONF")
approve $U1 install
agent install || agent_fail "install U1"
[ -f "$ROOT/opt/$U1" ] || agent_fail "U1 not installed"
[ "$(catalog_state)" = ok ] || agent_fail "catalog state: $BODY"
# The report's catalog state is checked.
ctoken=$(sqlite3 "$STATE/agent.db" "SELECT value FROM meta WHERE key='token'")
code=$(curl -sS -o "$TMP/rep.out" -w '%{http_code}' -X POST \
	-H "Authorization: Bearer $ctoken" -H 'Content-Type: application/json' \
	--data '{"catalog":{"state":"frozen"}}' "$SERVER_URL/v1/agent/report")
[ "$code" = 400 ] && grep -q "report: catalog.state: expected ok or stale" \
	"$TMP/rep.out" || fail "bad catalog state: $code $(cat "$TMP/rep.out")"

# --- rotation: a new signing key signs U2 and the index --------------------
cp -a "$CAT" "$TMP/evil" # the catalog as the old key alone signed it
"$SLUICE" catalog rotate "$CAT" >"$TMP/rotate.out" || fail "rotate"
NEW=$(sed -n 's/^new signing key \([0-9a-f]*\);.*/\1/p' "$TMP/rotate.out")
[ -n "$NEW" ] && [ "$NEW" != "$OLD" ] || fail "rotate: $(cat "$TMP/rotate.out")"
mkupdate $U2
jq -e --arg k "$NEW" '.signatures[0].keyid == $k' \
	"$CAT/public/updates/$U2/1.json" >/dev/null || fail "U2 not signed by $NEW"
origin_sync
approve $U2 install
agent install || agent_fail "install U2 after the rotation"
[ -f "$ROOT/opt/$U2" ] || agent_fail "U2 not installed after the rotation"
[ "$(state_of $U1)" = installed ] || agent_fail "U1 after rotation: $BODY"
grep -q "origin key list version 2 accepted" "$AGENT_LOG" ||
	agent_fail "key list not accepted"
[ "$(md5sum <"$ACONF")" = "$conf_sum" ] || fail "agent.conf changed"

# --- revocation: the old key's documents are refused -----------------------
"$SLUICE" catalog revoke "$CAT" "$OLD" >/dev/null || fail "revoke"
"$SLUICE" catalog revoke "$CAT" "$NEW" 2>"$TMP/revoke.err" &&
	fail "the current signing key was revoked"
grep -q "is the current signing key: rotate first" "$TMP/revoke.err" ||
	fail "revoke current: $(cat "$TMP/revoke.err")"
origin_sync
agent detect || agent_fail "detect after the revocation"
[ "$(detail_of $U1)" = "refused: no signature by a trusted key" ] ||
	agent_fail "U1 signed by the revoked key: $(detail_of $U1)"
[ "$(state_of $U2)" = installed ] || agent_fail "U2 after revocation: $BODY"
# A catalog the revoked key signs (a copy taken before the rotation, so
# its private key is that key) is refused by the server as a whole, even
# with the current key list and timestamp beside it.
U4=cccccccc-0000-4000-8000-000000000004
define $U4 "Signed by the revoked key" \
	'{"is_installed":{"type":"false"},"is_installable":{"type":"true"}}' \
	'{"handler":"script","arguments":["install.sh"]}'
"$SLUICE" catalog add "$TMP/evil" "$TMP/def/$U4.json" \
	"$TMP/files/$U1/install.sh" >/dev/null || fail "add to the old copy"
cp "$CAT/public/keys.json" "$CAT/public/timestamp.json" "$TMP/evil/public/"
mv "$CAT/public" "$TMP/good-public"
cp -a "$TMP/evil/public" "$CAT/public"
sync_fails "index: no signature by a trusted key"
api GET "/v1/admin/updates/$U4"
[ "$HTTP_STATUS" = 404 ] || fail "U4 imported: $HTTP_STATUS $BODY"
rm -rf "$CAT/public"
mv "$TMP/good-public" "$CAT/public"

# --- freshness: the origin stops re-signing its timestamp ------------------
mkupdate $U3
# (15 s: long enough for a sync and a detect on a loaded machine)
ts_made=$(date +%s)
"$SLUICE" catalog timestamp "$CAT" --expires-seconds 15 >/dev/null ||
	fail "timestamp"
origin_sync
approve $U3 install
agent detect || agent_fail "detect with a fresh timestamp"
[ "$(state_of $U3)" = needed ] || agent_fail "U3: $BODY"
cp "$CAT/public/timestamp.json" "$TMP/old-timestamp.json"
left=$((ts_made + 16 - $(date +%s)))
[ "$left" -le 0 ] || sleep "$left"
agent install && agent_fail "install with an expired timestamp succeeded"
[ ! -e "$ROOT/opt/$U3" ] || agent_fail "U3 installed from a stale catalog"
grep -q "catalog stale: timestamp: expired at" "$AGENT_LOG" ||
	agent_fail "no stale verdict logged"
grep -q "nothing installed" "$AGENT_LOG" || agent_fail "install not refused"
agent status || agent_fail "status"
grep -q "^catalog stale: timestamp: expired at .* (nothing is installed)" \
	"$AGENT_LOG" || agent_fail "status shows no stale catalog"
[ "$(catalog_state)" = stale ] || agent_fail "catalog state: $BODY"
api GET /v1/admin/computers
jq -e --arg id "$(computer_id)" '.computers[] | select(.id==$id) |
	.catalog_detail | startswith("timestamp: expired at")' <<<"$BODY" \
	>/dev/null || agent_fail "catalog detail: $BODY"
"$SLUICE" computers | grep -q " stale" || fail "sluice computers: $("$SLUICE" computers)"
"$SLUICE" report computers | grep -q " stale" ||
	fail "sluice report computers: $("$SLUICE" report computers)"
# The server refuses the expired timestamp too (its sync fails).
sync_fails "timestamp: expired at"

# A fresh timestamp: the agent installs again and reports it.
"$SLUICE" catalog timestamp "$CAT" >/dev/null || fail "timestamp"
origin_sync
agent install || agent_fail "install with a fresh timestamp"
[ -f "$ROOT/opt/$U3" ] || agent_fail "U3 not installed once fresh"
[ "$(catalog_state)" = ok ] || agent_fail "catalog state after recovery: $BODY"

# --- a server that hands out an old timestamp (rollback) -------------------
old=$(cat "$TMP/old-timestamp.json")
server_sql "$DATA" "UPDATE meta SET value='${old//\'/\'\'}' WHERE key='upstream_timestamp'" ||
	fail "meta update"
sleep 1.2 # the server caches the documents for a second
agent detect && agent_fail "detect with a rolled-back timestamp succeeded"
grep -q "catalog stale: timestamp: version [0-9]* is older than version" \
	"$AGENT_LOG" || agent_fail "no rollback verdict"
[ "$(catalog_state)" = stale ] || agent_fail "catalog state after rollback: $BODY"
echo ok
