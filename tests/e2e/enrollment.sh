#!/usr/bin/env bash
# Enrollment keys: a new server registers computers only with a valid key;
# a key may pin the groups its computers land in, expire and run out of
# uses; revoked, expired, used-up and unknown keys are refused with the
# reason; every registration is audited with its key; the open mode
# (labs) registers without a key but still refuses a bad one; keys are
# listed without their secret.
E2E_REGISTRATION=key
. "$(dirname "$0")/lib.sh"

start_server "$TMP/data"
"$SLUICE" groups create web >/dev/null
"$SLUICE" groups create db >/dev/null
"$SLUICE" groups create lab >/dev/null
out=$("$SLUICE" enrollment mode) || fail "enrollment mode"
[ "$out" = "registration: key" ] || fail "a new server's mode: $out"

# register BODY-EXTRA: POST /v1/agent/register; sets CODE and RBODY
register() {
	RBODY=$(curl -sS -w '\n%{http_code}' -X POST -H 'Content-Type: application/json' \
		--data "{\"hostname\":\"h$RANDOM\",\"arch\":\"amd64\"$1}" "$SERVER_URL/v1/agent/register")
	CODE=${RBODY##*$'\n'}
	RBODY=${RBODY%$'\n'*}
}
group_of() {
	"$SLUICE" --json computers | jq -r --arg id "$1" '.computers[] | select(.id == $id) | .group'
}

register ''
[ "$CODE" = 401 ] && grep -q "enrollment key only" <<<"$RBODY" || fail "no key: $CODE $RBODY"
register ',"enrollment_key":"nope"'
[ "$CODE" = 401 ] && grep -q "enrollment key not recognised" <<<"$RBODY" || fail "bad key: $CODE $RBODY"

# a key pinning web, two uses: the agent's wish for db is overruled
K1=$("$SLUICE" enrollment create --name pinned --group web --uses 2 --expires 1h 2>"$TMP/create.err") ||
	fail "enrollment create"
grep -q "only time it is shown" "$TMP/create.err" || fail "create message: $(cat "$TMP/create.err")"
[[ "$K1" =~ ^[0-9a-f]{64}$ ]] || fail "key format: $K1"
register ",\"enrollment_key\":\"$K1\",\"groups\":[\"db\"]"
[ "$CODE" = 200 ] || fail "pinned key: $CODE $RBODY"
C1=$(jq -r .computer_id <<<"$RBODY")
[ "$(group_of "$C1")" = web ] || fail "pinned key landed in $(group_of "$C1")"
# the answer names the group it landed in, not Unassigned Computers
[ "$(jq -c .groups <<<"$RBODY")" = '["web"]' ] || fail "pinned key answer: $RBODY"
register ",\"enrollment_key\":\"$K1\""
[ "$CODE" = 200 ] || fail "second use: $CODE $RBODY"
register ",\"enrollment_key\":\"$K1\""
[ "$CODE" = 401 ] && grep -q "is used up (2 uses)" <<<"$RBODY" || fail "third use: $CODE $RBODY"

# a key pinning web and db: the agent may choose between them, not lab
K2=$("$SLUICE" enrollment create --group web --group db 2>/dev/null)
register ",\"enrollment_key\":\"$K2\",\"groups\":[\"lab\",\"db\"]"
[ "$CODE" = 200 ] || fail "two pins: $CODE $RBODY"
[ "$(group_of "$(jq -r .computer_id <<<"$RBODY")")" = db ] || fail "two pins: not db"
register ",\"enrollment_key\":\"$K2\",\"groups\":[\"lab\"]"
[ "$(group_of "$(jq -r .computer_id <<<"$RBODY")")" = web ] || fail "two pins: lab chosen"

# unpinned: client-side targeting decides
K3=$("$SLUICE" enrollment create 2>/dev/null)
register ",\"enrollment_key\":\"$K3\",\"groups\":[\"lab\"]"
C3=$(jq -r .computer_id <<<"$RBODY")
[ "$(group_of "$C3")" = lab ] || fail "unpinned key: $(group_of "$C3")"

# revoked
ID3=$("$SLUICE" --json enrollment | jq -r '.enrollment_keys[-1].id')
"$SLUICE" enrollment revoke "$ID3" >/dev/null || fail "revoke"
register ",\"enrollment_key\":\"$K3\""
[ "$CODE" = 401 ] && grep -q "enrollment key #$ID3 is revoked" <<<"$RBODY" || fail "revoked: $CODE $RBODY"
rc=0
out=$("$SLUICE" enrollment revoke "$ID3" 2>&1) || rc=$?
[ "$rc" = 1 ] && grep -q "no active enrollment key #$ID3" <<<"$out" || fail "revoke twice: $out"

# expired
api POST /v1/admin/enrollment-keys '{"expires_in":1}'
[ "$HTTP_STATUS" = 201 ] || fail "create expiring: $HTTP_STATUS $BODY"
K4=$(jq -r .key <<<"$BODY")
sleep 2.2
register ",\"enrollment_key\":\"$K4\""
[ "$CODE" = 401 ] && grep -q "has expired" <<<"$RBODY" || fail "expired: $CODE $RBODY"

# bad creation requests
rc=0
out=$("$SLUICE" enrollment create --group nosuch 2>&1) || rc=$?
[ "$rc" = 1 ] && grep -q "no group named 'nosuch'" <<<"$out" || fail "unknown group: $out"
rc=0
out=$("$SLUICE" enrollment create --expires 2020-01-01T00:00:00Z 2>&1) || rc=$?
[ "$rc" = 1 ] && grep -q "in the past" <<<"$out" || fail "past expiry: $out"

# the list: uses, pins, state; never the key
out=$("$SLUICE" enrollment list)
grep -Eq '^ *1 +pinned +web +[^ ]+ +2 +2 ' <<<"$out" || fail "list: $out"
grep -q revoked <<<"$out" || fail "list state: $out"
"$SLUICE" --json enrollment | grep -q "$K1" && fail "the list shows a key"
server_db_dump "$TMP/data" | grep -q "$K1" && fail "the key is stored in clear"

# audit: each registration with its key
api GET "/v1/admin/audit?action=computer.register"
[ "$(jq '.audit | length' <<<"$BODY")" = 5 ] || fail "audit: $BODY"
jq -e --arg c "$C1" '.audit[] | select(.target == $c and .actor == "enrollment key #1")' <<<"$BODY" >/dev/null ||
	fail "audit of $C1: $BODY"
api GET "/v1/admin/audit?action=enrollment."
[ "$(jq '.audit | length' <<<"$BODY")" -ge 5 ] || fail "audit of key changes: $BODY"

# open mode: no key needed, a bad key still refused
"$SLUICE" enrollment mode open >/dev/null || fail "mode open"
register ''
[ "$CODE" = 200 ] || fail "open mode: $CODE $RBODY"
register ',"enrollment_key":"nope"'
[ "$CODE" = 401 ] || fail "open mode, bad key: $CODE $RBODY"
api GET "/v1/admin/audit?action=computer.register&limit=1"
[ "$(jq -r '.audit[0].actor' <<<"$BODY")" = "open registration" ] || fail "open audit: $BODY"
rc=0
out=$("$SLUICE" enrollment mode maybe 2>&1) || rc=$?
[ "$rc" = 1 ] && grep -q "expected key or open" <<<"$out" || fail "bad mode: $out"
"$SLUICE" enrollment mode key >/dev/null
register ''
[ "$CODE" = 401 ] || fail "back to key mode: $CODE"

# a reporter token may list but not create
api POST /v1/admin/tokens '{"name":"rep","role":"reporter"}'
REP=$(jq -r .token <<<"$BODY")
out=$(SLUICE_TOKEN=$REP "$SLUICE" enrollment create 2>&1) && fail "reporter created a key"
SLUICE_TOKEN=$REP "$SLUICE" enrollment list >/dev/null || fail "reporter list"

# the agent with a pinned key
"$SLUICE" catalog init "$TMP/cat" >/dev/null
mkdir -p "$TMP/root" "$TMP/st"
K5=$("$SLUICE" enrollment create --group db --uses 1 2>/dev/null)
cat >"$TMP/agent.conf" <<EOF2
[agent]
server = $SERVER_URL
state_dir = $TMP/st
root = $TMP/root
trusted_keys = $(ls "$TMP"/cat/public/keys/*.pub | head -n 1)
groups = web
enrollment_key = $K5
EOF2
"$AGENT" --config "$TMP/agent.conf" detect >"$TMP/agent.log" 2>&1 || fail "agent: $(cat "$TMP/agent.log")"
"$AGENT" --config "$TMP/agent.conf" --dump-config | grep -q "$K5" && fail "dump-config shows the key"
C5=$("$SLUICE" --json computers | jq -r '.computers[] | select(.group == "db") | .id' | tail -n 1)
[ -n "$C5" ] || fail "agent not in db"
echo "enrollment: ok"
