#!/usr/bin/env bash
# sluiced's agent, admin and content API driven by a plain HTTP client
# (curl): register, full then incremental sync by anchor, Range download,
# idempotent report, per-computer status; and bad input answered with JSON
# errors while the server keeps running.
. "$(dirname "$0")/lib.sh"

CAT=$TMP/catalog
DATA=$TMP/data

# --- a real catalog origin with two updates ---------------------------------
"$SLUICE" catalog init "$CAT" >/dev/null || fail "catalog init"
mkdef() { # id title
	cat >"$TMP/$1.json" <<EOF
{"id":"$1","title":"$2","classification":"security","product":"Test Product",
 "kb_article":"KB$RANDOM","severity":"important","release_date":"2026-11-01",
 "applicability":{"is_installed":{"type":"false"},"is_installable":{"type":"true"}},
 "install":{"handler":"script","arguments":["payload.bin"]}}
EOF
}
U1=11111111-2222-4333-8444-555555555501
U2=11111111-2222-4333-8444-555555555502
mkdir -p "$TMP/f1" "$TMP/f2"
head -c 200000 /dev/urandom >"$TMP/f1/payload.bin"
head -c 5000 /dev/urandom >"$TMP/f2/payload.bin"
mkdef $U1 "First update"
mkdef $U2 "Second update"
"$SLUICE" catalog add "$CAT" "$TMP/$U1.json" "$TMP/f1/payload.bin" >/dev/null ||
	fail "catalog add 1"
"$SLUICE" catalog add "$CAT" "$TMP/$U2.json" "$TMP/f2/payload.bin" >/dev/null ||
	fail "catalog add 2"
SHA1=$(sha256sum "$TMP/f1/payload.bin" | cut -d' ' -f1)
KEY=$(ls "$CAT"/public/keys/*.pub | head -n 1)

# --- configuration checks ---------------------------------------------------
"$SLUICED" --check-config --data "$DATA" --listen 127.0.0.1:1 >"$TMP/cc" ||
	fail "--check-config"
grep -q '^listen = 127.0.0.1:1$' "$TMP/cc" || fail "check-config dump: $(cat "$TMP/cc")"
printf '[storage]\nmode = sometimes\n' >"$TMP/bad.ini"
rc=0
"$SLUICED" --check-config --config "$TMP/bad.ini" 2>"$TMP/cc" || rc=$?
[ "$rc" = 1 ] && grep -q "bad.ini:2: storage.mode: storage mode 'sometimes'" "$TMP/cc" ||
	fail "bad config: rc=$rc $(cat "$TMP/cc")"

start_server "$DATA" "[upstream]
url = file://$CAT/public
trusted_keys = $KEY
syncs_per_day = 0
[storage]
mode = full"

# --- admin: sync from the catalog ------------------------------------------
api POST /v1/admin/sync
[ "$HTTP_STATUS" = 202 ] || fail "admin sync: $HTTP_STATUS $BODY"
for ((i = 0; i < 100; i++)); do
	api GET /v1/admin/sync/history
	r=$(jq -r '.history[0].result // "none"' <<<"$BODY")
	[ "$r" != running ] && [ "$r" != none ] && break
	sleep 0.1
done
[ "$r" = success ] || fail "sync result $r: $BODY"
[ "$(jq '.history[0].new' <<<"$BODY")" = 2 ] || fail "sync new count: $BODY"

api GET /v1/admin/updates
[ "$(jq '.updates | length' <<<"$BODY")" = 2 ] || fail "updates: $BODY"

# --- agent: register with a plain HTTP client ------------------------------
REG=$(curl -sS -X POST "$SERVER_URL/v1/agent/register" \
	-d '{"hostname":"web-01","os_id":"debian","os_version":"12","arch":"amd64","kernel":"6.1.0","agent_version":"0.1.0","groups":["no-such-group"]}')
CID=$(jq -r .computer_id <<<"$REG")
CTOK=$(jq -r .token <<<"$REG")
[[ "$CID" =~ ^[0-9a-f-]{36}$ ]] || fail "register: $REG"
[[ "$CTOK" =~ ^[0-9a-f]{64}$ ]] || fail "register token: $REG"
grep -qa "$CTOK" < <(server_db_dump "$DATA") && fail "the computer token is stored in clear"

agent() { # PATH BODY -> sets HTTP_STATUS, BODY
	HTTP_STATUS=$(curl -sS -o "$TMP/agent.out" -w '%{http_code}' -X POST \
		-H "Authorization: Bearer $CTOK" --data-binary "$2" "$SERVER_URL$1")
	BODY=$(cat "$TMP/agent.out")
}

# --- admin: group, move, approve -------------------------------------------
api POST /v1/admin/groups '{"name":"web"}'
[ "$HTTP_STATUS" = 201 ] || fail "create group: $HTTP_STATUS $BODY"
api PUT "/v1/admin/computers/$CID/group" '{"group":"web"}'
[ "$HTTP_STATUS" = 200 ] || fail "move: $HTTP_STATUS $BODY"
api POST /v1/admin/approvals "{\"update\":\"$U1\",\"group\":\"web\",\"action\":\"install\",\"deadline\":\"2026-12-01T00:00:00Z\"}"
[ "$HTTP_STATUS" = 200 ] || fail "approve: $HTTP_STATUS $BODY"
api GET /v1/admin/groups
[ "$(jq '.groups[] | select(.name=="web") | .computers' <<<"$BODY")" = 1 ] ||
	fail "groups: $BODY"

# --- agent sync: full, then incremental ------------------------------------
agent /v1/agent/sync '{"anchor":null}'
[ "$HTTP_STATUS" = 200 ] || fail "sync: $HTTP_STATUS $BODY"
[ "$(jq .full <<<"$BODY")" = true ] || fail "first sync not full: $BODY"
[ "$(jq -r '[.updates[].id] | join(",")' <<<"$BODY")" = "$U1" ] ||
	fail "full sync set: $BODY"
[ "$(jq -r '.updates[0].approval.action' <<<"$BODY")" = install ] || fail "action"
[ "$(jq -r '.updates[0].approval.deadline' <<<"$BODY")" = 2026-12-01T00:00:00Z ] ||
	fail "deadline: $BODY"
[ "$(jq -r '.updates[0].document.signed.id' <<<"$BODY")" = "$U1" ] ||
	fail "document: $BODY"
[ "$(jq '.updates[0].document.signatures | length' <<<"$BODY")" -ge 1 ] ||
	fail "signatures missing: $BODY"
# The envelope travels unchanged: same signed content as the origin's.
ORIG=$(jq -cS .signed "$CAT/public/updates/$U1/1.json")
[ "$(jq -cS '.updates[0].document.signed' <<<"$BODY")" = "$ORIG" ] ||
	fail "document differs from the origin's"
URL1=$(jq -r '.updates[0].files[0].url' <<<"$BODY")
[ "$URL1" = "$SERVER_URL/content/$SHA1" ] || fail "file url $URL1"
A1=$(jq -r .anchor <<<"$BODY")

agent /v1/agent/sync "{\"anchor\":\"$A1\"}"
[ "$(jq .full <<<"$BODY")" = false ] || fail "second sync full: $BODY"
[ "$(jq '.updates | length' <<<"$BODY")" = 0 ] || fail "nothing changed: $BODY"

api POST /v1/admin/approvals "{\"update\":\"$U2\",\"group\":\"web\",\"action\":\"install\"}"
[ "$HTTP_STATUS" = 200 ] || fail "approve 2: $BODY"
agent /v1/agent/sync "{\"anchor\":\"$A1\"}"
[ "$(jq .full <<<"$BODY")" = false ] || fail "incremental: $BODY"
[ "$(jq -r '[.updates[].id] | join(",")' <<<"$BODY")" = "$U2" ] ||
	fail "incremental sync must hold only the new approval: $BODY"
[ "$(jq -r '.updates[0].approval.deadline' <<<"$BODY")" = null ] || fail "null deadline"
A2=$(jq -r .anchor <<<"$BODY")

api POST /v1/admin/approvals "{\"update\":\"$U1\",\"group\":\"web\",\"action\":\"not-approved\"}"
[ "$HTTP_STATUS" = 200 ] || fail "unapprove: $BODY"
agent /v1/agent/sync "{\"anchor\":\"$A2\"}"
[ "$(jq -r '.removed | join(",")' <<<"$BODY")" = "$U1" ] || fail "removed: $BODY"
[ "$(jq '.updates | length' <<<"$BODY")" = 0 ] || fail "after removal: $BODY"
agent /v1/agent/sync '{"anchor":"bogus"}'
[ "$(jq .full <<<"$BODY")" = true ] || fail "unknown anchor must give full: $BODY"
[ "$(jq -r '[.updates[].id] | join(",")' <<<"$BODY")" = "$U2" ] || fail "full set"
A3=$(jq -r .anchor <<<"$BODY")
# Moving the computer to another group forces a full sync.
api PUT "/v1/admin/computers/$CID/group" '{"group":"Unassigned Computers"}'
agent /v1/agent/sync "{\"anchor\":\"$A3\"}"
[ "$(jq .full <<<"$BODY")" = true ] || fail "group change must give full: $BODY"
[ "$(jq '.updates | length' <<<"$BODY")" = 0 ] || fail "unassigned set: $BODY"
api PUT "/v1/admin/computers/$CID/group" '{"group":"web"}'

# --- content: full mode downloads; Range, ETag, 416 -------------------------
for ((i = 0; i < 100; i++)); do
	[ -f "$DATA/content/${SHA1:0:2}/$SHA1" ] && break
	sleep 0.1
done
[ -f "$DATA/content/${SHA1:0:2}/$SHA1" ] || fail "file not downloaded in full mode"
curl -sS -D "$TMP/h" -o "$TMP/part" -H 'Range: bytes=1000-1999' "$URL1"
grep -q '^HTTP/1.1 206' "$TMP/h" || fail "range status: $(cat "$TMP/h")"
grep -qi "^Content-Range: bytes 1000-1999/200000" "$TMP/h" || fail "content-range"
grep -qi "^Content-Length: 1000" "$TMP/h" || fail "range length"
cmp "$TMP/part" <(tail -c +1001 "$TMP/f1/payload.bin" | head -c 1000) ||
	fail "range bytes differ"
curl -sS -D "$TMP/h" -o "$TMP/whole" "$URL1"
grep -qi "^ETag: \"$SHA1\"" "$TMP/h" || fail "etag"
grep -qi "^Content-Length: 200000" "$TMP/h" || fail "length"
cmp "$TMP/whole" "$TMP/f1/payload.bin" || fail "whole file differs"
code=$(curl -sS -o /dev/null -w '%{http_code}' -H "If-None-Match: \"$SHA1\"" "$URL1")
[ "$code" = 304 ] || fail "If-None-Match gave $code"
code=$(curl -sS -o /dev/null -w '%{http_code}' -H 'Range: bytes=300000-' "$URL1")
[ "$code" = 416 ] || fail "unsatisfiable range gave $code"
code=$(curl -sS -o "$TMP/tail" -w '%{http_code}' -H 'Range: bytes=-10' "$URL1")
[ "$code" = 206 ] && cmp "$TMP/tail" <(tail -c 10 "$TMP/f1/payload.bin") ||
	fail "suffix range"

# --- report: states and events, retried batch stored once ------------------
EV1=aaaaaaaa-bbbb-4ccc-8ddd-000000000001
EV2=aaaaaaaa-bbbb-4ccc-8ddd-000000000002
REPORT="{\"states\":[{\"id\":\"$U1\",\"revision\":1,\"state\":\"installed\"},
 {\"id\":\"$U2\",\"revision\":1,\"state\":\"failed\",\"detail\":\"exit 3\"}],
 \"events\":[{\"event_id\":\"$EV1\",\"id\":\"$U1\",\"revision\":1,\"time\":\"2026-11-24T12:00:00Z\",\"kind\":\"install\",\"result\":\"success\",\"exit_code\":0,\"output\":\"ok\"},
 {\"event_id\":\"$EV2\",\"id\":\"$U2\",\"revision\":1,\"time\":\"2026-11-24T12:01:00Z\",\"kind\":\"install\",\"result\":\"failure\",\"exit_code\":3,\"output\":\"boom\"}]}"
agent /v1/agent/report "$REPORT"
[ "$HTTP_STATUS" = 200 ] || fail "report: $HTTP_STATUS $BODY"
[ "$(jq -c . <<<"$BODY")" = '{"states":2,"events":2}' ] || fail "report: $BODY"
agent /v1/agent/report "$REPORT"
[ "$(jq -c . <<<"$BODY")" = '{"states":2,"events":0}' ] || fail "retry: $BODY"

api GET "/v1/admin/computers/$CID/status"
[ "$HTTP_STATUS" = 200 ] || fail "status: $HTTP_STATUS $BODY"
[ "$(jq -r '.computer.hostname' <<<"$BODY")" = web-01 ] || fail "status computer"
[ "$(jq -r ".updates[] | select(.id==\"$U1\") | .state" <<<"$BODY")" = installed ] ||
	fail "status U1: $BODY"
[ "$(jq -r ".updates[] | select(.id==\"$U2\") | .detail" <<<"$BODY")" = "exit 3" ] ||
	fail "status U2: $BODY"
[ "$(jq '.events | length' <<<"$BODY")" = 2 ] || fail "events stored once: $BODY"
T1=$(jq -r ".updates[] | select(.id==\"$U1\") | .title" <<<"$BODY")
[ -n "$T1" ] && [ "$T1" != null ] &&
	[ "$(jq -r ".events[] | select(.id==\"$U1\") | .title" <<<"$BODY")" = "$T1" ] ||
	fail "an event names its update's title: $BODY"
api GET "/v1/admin/computers/$CID/status?state=failed&limit=1"
[ "$(jq -c '[.updates[].id]' <<<"$BODY")" = "[\"$U2\"]" ] &&
	[ "$(jq -c '[.counts.installed, .counts.failed]' <<<"$BODY")" = '[1,1]' ] ||
	fail "status, failed only: $BODY"
api GET /v1/admin/computers
[ "$(jq -r '.computers[0].last_report' <<<"$BODY")" != null ] || fail "last_report"

# --- an expired update leaves the approved set (incremental: removed) -------
agent /v1/agent/sync '{"anchor":null}'
A4=$(jq -r .anchor <<<"$BODY")
[ "$(jq -r '[.updates[].id] | join(",")' <<<"$BODY")" = "$U2" ] || fail "before expiry: $BODY"
"$SLUICE" catalog expire "$CAT" "$U2" >/dev/null || fail "catalog expire"
api POST /v1/admin/sync
for ((i = 0; i < 100; i++)); do
	api GET /v1/admin/sync/history
	[ "$(jq -r '.history[0].result' <<<"$BODY")" != running ] &&
		[ "$(jq -r '.history | length' <<<"$BODY")" = 2 ] && break
	sleep 0.1
done
[ "$(jq -r '.history[0].expired' <<<"$BODY")" = 1 ] || fail "expiry sync: $BODY"
agent /v1/agent/sync "{\"anchor\":\"$A4\"}"
[ "$(jq .full <<<"$BODY")" = false ] || fail "after expiry: $BODY"
[ "$(jq -r '.removed | join(",")' <<<"$BODY")" = "$U2" ] || fail "expired not removed: $BODY"
[ "$(jq '.updates | length' <<<"$BODY")" = 0 ] || fail "expired still approved: $BODY"
agent /v1/agent/sync '{"anchor":null}'
[ "$(jq '.updates | length' <<<"$BODY")" = 0 ] || fail "expired in full set: $BODY"
api GET /v1/admin/updates
[ "$(jq -r ".updates[] | select(.id==\"$U2\") | .expired" <<<"$BODY")" = true ] ||
	fail "admin view of the expired update: $BODY"

# --- bad input: JSON errors, nothing stored, server alive -------------------
expect_error() { # STATUS CODE what...
	local want=$1 code=$2
	shift 2
	[ "$HTTP_STATUS" = "$want" ] || fail "$*: status $HTTP_STATUS, want $want: $BODY"
	[ "$(jq -r .error.code <<<"$BODY")" = "$code" ] || fail "$*: body $BODY"
	jq -e '.error.message | length > 0' <<<"$BODY" >/dev/null || fail "$*: no message"
	server_alive
}
raw() { # METHOD PATH [curl args...]
	local m=$1 p=$2
	shift 2
	HTTP_STATUS=$(curl -sS --path-as-is -o "$TMP/raw.out" -w '%{http_code}' \
		-X "$m" "$@" "$SERVER_URL$p")
	BODY=$(cat "$TMP/raw.out")
}
raw POST /v1/agent/register --data-binary '{"hostname":'
expect_error 400 parse "malformed JSON"
raw POST /v1/agent/register --data-binary '[1,2]'
expect_error 400 parse "non-object JSON"
raw POST /v1/agent/register --data-binary '{"os_id":"debian"}'
expect_error 400 invalid "missing hostname"
head -c 1100000 /dev/zero | tr '\0' ' ' >"$TMP/big"
raw POST /v1/agent/register --data-binary @"$TMP/big"
expect_error 413 too-big "oversized body"
raw POST /v1/agent/register -H 'Transfer-Encoding: chunked' --data-binary @"$TMP/big"
expect_error 413 too-big "oversized chunked body"
raw POST /v1/agent/sync --data-binary '{"anchor":null}'
expect_error 401 unauthorized "no token"
raw POST /v1/agent/sync -H "Authorization: Bearer $(printf '%064d' 7)" --data-binary '{}'
expect_error 401 unauthorized "unknown computer"
raw POST /v1/agent/sync -H "Authorization: Bearer $ADMIN_TOKEN" --data-binary '{}'
expect_error 401 unauthorized "admin token used as a computer token"
raw GET /v1/admin/computers -H "Authorization: Bearer $CTOK"
expect_error 401 unauthorized "computer token on the admin API"
raw GET /v1/admin/computers -H "Authorization: Basic Zm9vOmJhcg=="
expect_error 401 unauthorized "not a bearer token"
agent /v1/agent/report '{"states":[{"id":"not-a-uuid","revision":1,"state":"installed"}]}'
expect_error 400 invalid "bad report"
agent /v1/agent/report "{\"states\":[{\"id\":\"$U1\",\"revision\":1,\"state\":\"bogus\"}],\"events\":[]}"
expect_error 400 invalid "bad state"
raw GET /content/../../etc/passwd
expect_error 404 not-found "path outside the store"
raw GET /content/..%2F..%2Fetc%2Fpasswd
expect_error 404 not-found "encoded traversal"
raw GET "/content/${SHA1^^}"
expect_error 400 invalid "uppercase hex"
raw GET /content/nothex
expect_error 400 invalid "non-hex content name"
raw GET "/content/$(printf '%064d' 0)"
expect_error 404 not-found "absent content"
raw GET /v1/nowhere
expect_error 404 not-found "unknown path"
raw DELETE /v1/admin/updates -H "Authorization: Bearer $ADMIN_TOKEN"
expect_error 405 unsupported "wrong method"
api POST /v1/admin/approvals '{"update":"99999999-2222-4333-8444-555555555501","group":"web"}'
expect_error 404 not-found "approve an unknown update"
api POST /v1/admin/approvals "{\"update\":\"$U1\",\"group\":\"nope\"}"
expect_error 404 not-found "approve for an unknown group"
api POST /v1/admin/approvals "{\"update\":\"$U1\",\"group\":\"web\",\"action\":\"explode\"}"
expect_error 400 invalid "bad action"
api POST /v1/admin/approvals "{\"update\":\"$U1\",\"group\":\"web\",\"deadline\":\"tomorrow\"}"
expect_error 400 invalid "bad deadline"
api PUT /v1/admin/computers/00000000-0000-4000-8000-000000000000/group '{"group":"web"}'
expect_error 404 not-found "move an unknown computer"
api GET /v1/admin/computers/00000000-0000-4000-8000-000000000000/status
expect_error 404 not-found "status of an unknown computer"
api POST /v1/admin/groups '{"name":"web"}'
expect_error 409 exists "duplicate group"

# Nothing of the bad requests was stored.
api GET /v1/admin/computers
[ "$(jq '.computers | length' <<<"$BODY")" = 1 ] || fail "a bad register stored a computer"
api GET "/v1/admin/computers/$CID/status"
[ "$(jq '.events | length' <<<"$BODY")" = 2 ] || fail "bad report stored events"

# Events whose output is control bytes (six bytes each once escaped): the
# status is whole JSON, its states written as text after that head.
for ((i = 0; i < 8; i += 2)); do
	jq -nc --arg u "$U1" --argjson i "$i" '([range(65000) | 1] | implode) as $o |
		{states: [], events: [range($i; $i + 2) | {event_id:
		  ("aaaaaaaa-bbbb-4ccc-8ddd-1" + ("0000000000" + tostring)[-11:]),
		  id: $u, revision: 1, time: "2026-11-24T12:02:00Z", kind: "install",
		  result: "failure", exit_code: 1, output: $o}]}' >"$TMP/long.json"
	HTTP_STATUS=$(curl -sS -o "$TMP/agent.out" -w '%{http_code}' -X POST \
		-H "Authorization: Bearer $CTOK" --data-binary @"$TMP/long.json" \
		"$SERVER_URL/v1/agent/report")
	[ "$HTTP_STATUS" = 200 ] || fail "report of a long output: $HTTP_STATUS $(cat "$TMP/agent.out")"
done
api GET "/v1/admin/computers/$CID/status"
[ "$HTTP_STATUS" = 200 ] && [ "$(jq '.events | length' <<<"$BODY")" = 10 ] &&
	[ "$(jq -r ".updates[] | select(.id==\"$U2\") | .detail" <<<"$BODY")" = "exit 3" ] &&
	[ "$(jq '[.events[].output | length] | max' <<<"$BODY")" = 65000 ] ||
	fail "status with long outputs: $HTTP_STATUS $(head -c 300 <<<"$BODY")"

stop_server
grep -q "SIGTERM received" "$SERVER_LOG" || fail "no shutdown log line"

# --- restart: same data, no new admin token, tokens still valid ------------
OLD_ADMIN=$ADMIN_TOKEN
start_server "$DATA" "[storage]
mode = full"
[ "$ADMIN_TOKEN" = "$OLD_ADMIN" ] || fail "admin token changed on restart"
[ "$(grep -c 'admin token created in' "$SERVER_LOG")" = 1 ] || fail "admin token created twice"
grep -qF "$OLD_ADMIN" "$SERVER_LOG" && fail "the admin token is in the log"
grep -qa "$OLD_ADMIN" < <(server_db_dump "$DATA") && fail "the admin token is stored in clear"
agent /v1/agent/sync "{\"anchor\":\"$A3\"}"
[ "$HTTP_STATUS" = 200 ] || fail "computer token after restart: $BODY"
api GET /v1/admin/computers
[ "$(jq '.computers | length' <<<"$BODY")" = 1 ] || fail "computers after restart"
stop_server
echo "server_api: ok"
