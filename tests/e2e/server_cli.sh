#!/usr/bin/env bash
# The `sluice` admin subcommands against a real sluiced: sync (and wait),
# sync history, groups, computers (list, move, status), approve, updates;
# errors from the server shown as one line with exit status 1.
. "$(dirname "$0")/lib.sh"

CAT=$TMP/catalog
U1=11111111-2222-4333-8444-555555555501
"$SLUICE" catalog init "$CAT" >/dev/null || fail "catalog init"
cat >"$TMP/def.json" <<EOF2
{"id":"$U1","title":"First update","classification":"security","product":"P",
 "release_date":"2026-11-01","applicability":{"is_installed":{"type":"false"},
 "is_installable":{"type":"true"}},"install":{"handler":"script","arguments":["x.sh"]}}
EOF2
echo 'echo hi' >"$TMP/x.sh"
"$SLUICE" catalog add "$CAT" "$TMP/def.json" "$TMP/x.sh" >/dev/null || fail "catalog add"
start_server "$TMP/data" "[upstream]
url = file://$CAT/public
trusted_keys = $(ls "$CAT"/public/keys/*.pub)
syncs_per_day = 0
[storage]
mode = on-approval"

out=$("$SLUICE" sync) || fail "sluice sync: $out"
grep -q 'success, 1 new, 0 revised, 0 expired' <<<"$out" || fail "sync output: $out"
out=$("$SLUICE" sync) || fail "second sync"
grep -q 'success, 0 new' <<<"$out" || fail "second sync imported something: $out"
[ "$("$SLUICE" sync history | wc -l)" = 2 ] || fail "sync history"
[ "$("$SLUICE" --json sync history | jq '.history | length')" = 2 ] || fail "history json"

"$SLUICE" groups create web >/dev/null || fail "groups create"
"$SLUICE" groups create canary --parent web >/dev/null || fail "groups create --parent"
out=$("$SLUICE" groups)
grep -Eq '^ +canary +web +0' <<<"$out" || fail "groups list: $out"
rc=0
out=$("$SLUICE" groups create web 2>&1) || rc=$?
[ "$rc" = 1 ] && grep -q "HTTP 409 exists: create group: group 'web' already exists" <<<"$out" ||
	fail "duplicate group: rc=$rc $out"

ID=$(curl -sS -X POST "$SERVER_URL/v1/agent/register" \
	-d '{"hostname":"db-01","os_id":"debian","os_version":"12","arch":"amd64"}' | jq -r .computer_id)
out=$("$SLUICE" computers)
grep -q "$ID db-01 .*debian 12 .*Unassigned Computers" <<<"$(tr -s ' ' <<<"$out")" ||
	fail "computers: $out"
"$SLUICE" computers move "$ID" web >/dev/null || fail "move"
[ "$("$SLUICE" computers --json | jq -r '.computers[0].group')" = web ] || fail "moved"

"$SLUICE" approve "$U1" web --deadline 2026-12-01T00:00:00Z >/dev/null || fail "approve"
out=$("$SLUICE" --json updates)
[ "$(jq -r '.updates[0].approvals[0].group' <<<"$out")" = web ] || fail "updates: $out"
[ "$(jq -r '.updates[0].approvals[0].deadline' <<<"$out")" = 2026-12-01T00:00:00Z ] ||
	fail "deadline: $out"
# on-approval: the approval makes the server download the file.
for ((i = 0; i < 100; i++)); do
	"$SLUICE" updates | grep -q ' 1/1 ' && break
	sleep 0.1
done
"$SLUICE" updates | grep -q ' 1/1 ' || fail "file not downloaded after approval"
"$SLUICE" updates | grep -q 'web: install, deadline 2026-12-01T00:00:00Z' || fail "updates table"

out=$("$SLUICE" computers status "$ID") || fail "status"
grep -q "computer $ID (db-01), debian 12 amd64, group 'web'" <<<"$out" || fail "status: $out"

rc=0
out=$("$SLUICE" approve "$U1" nope 2>&1) || rc=$?
[ "$rc" = 1 ] && grep -q "HTTP 404 not-found: approve: no group named 'nope'" <<<"$out" ||
	fail "approve for an unknown group: rc=$rc $out"
rc=0
out=$("$SLUICE" --token "$(printf '%064d' 1)" updates 2>&1) || rc=$?
[ "$rc" = 1 ] && grep -q "HTTP 401 unauthorized" <<<"$out" || fail "bad token: $out"
rc=0
out=$(SLUICE_SERVER= "$SLUICE" updates 2>&1) || rc=$?
[ "$rc" = 1 ] && grep -q "no server" <<<"$out" || fail "no server: $out"
rc=0
out=$("$SLUICE" approve "$U1" 2>&1) || rc=$?
[ "$rc" = 2 ] || fail "usage error: rc=$rc $out"
# not-approved is now an explicit setting of the group (it overrides what
# the group would inherit); inherit removes the group's own setting.
"$SLUICE" approve "$U1" web --action not-approved >/dev/null || fail "unapprove"
[ "$("$SLUICE" --json updates | jq -r '.updates[0].approvals[0].action')" = not-approved ] ||
	fail "explicit not-approved"
"$SLUICE" approve "$U1" web --action inherit >/dev/null || fail "inherit"
[ "$("$SLUICE" --json updates | jq '.updates[0].approvals | length')" = 0 ] || fail "unapproved"
server_alive
stop_server

# A scheduled sync runs by itself shortly after start (syncs_per_day > 0).
start_server "$TMP/data2" "[upstream]
url = file://$CAT/public
trusted_keys = $(ls "$CAT"/public/keys/*.pub)
syncs_per_day = 24"
for ((i = 0; i < 150; i++)); do
	"$SLUICE" sync history | grep -q 'success, 1 new' && break
	sleep 0.1
done
"$SLUICE" sync history | grep -q 'success, 1 new' || fail "no scheduled sync"
stop_server
echo "server_cli: ok"
