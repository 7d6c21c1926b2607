#!/usr/bin/env bash
# Three levels on loopback: catalog origin -> root sluiced (full) -> replica
# sluiced (replica mode, on-approval) -> branch sluiced (replica of the
# replica, storage none), with the real sluice-agent on the replica and on
# the branch. An update approved on the root reaches both agents and is
# installed; their status rolls up to the root with the server each
# reports to; a local approval change on the replica is refused naming its
# upstream; the branch's agent downloads from the replica server; a
# document tampered with in the replica's database is refused by the
# branch (verified against the origin's key).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/hierarchy_lib.sh"

U1=bbbbbbbb-0000-4000-8000-000000000001
U2=bbbbbbbb-0000-4000-8000-000000000002
U3=bbbbbbbb-0000-4000-8000-000000000003

catalog_setup
mkupdate $U1 "Hierarchy fix one" one
mkupdate $U2 "Hierarchy fix two" two
SHA1=$(sha256sum "$TMP/files/$U1/install.sh" | cut -d' ' -f1)

wait_content() { # NODE SHA
	local url i
	url=$(eval echo "\${${1}_URL}")
	for ((i = 0; i < 300; i++)); do
		curl -sf -o /dev/null "$url/content/$2" && return 0
		sleep 0.1
	done
	hfail "$1 never served content $2"
}

# --- level 1: the root, on the catalog origin --------------------------------
node_start root "[upstream]
url = file://$CAT/public
trusted_keys = $KEY
syncs_per_day = 0
[storage]
mode = full"
nsync root
napi root POST /v1/admin/groups '{"name":"web"}'
[ "$HTTP_STATUS" = 201 ] || hfail "group web: $HTTP_STATUS $BODY"
wait_content root "$SHA1"

# --- configuration: kind sluiced needs a token --------------------------------
printf '[upstream]\nkind = sluiced\nurl = %s\ntrusted_keys = %s\n' \
	"$root_URL" "$KEY" >"$TMP/bad.ini"
rc=0
"$SLUICED" --check-config --config "$TMP/bad.ini" --data "$TMP/x" 2>"$TMP/cc" || rc=$?
[ "$rc" = 1 ] && grep -q "upstream.token must be set" "$TMP/cc" ||
	hfail "kind sluiced without token: rc=$rc $(cat "$TMP/cc")"

# --- level 2: a replica of the root -------------------------------------------
TOK2=$(downstream_token replica1 root)
[[ "$TOK2" =~ ^[0-9a-f]{64}$ ]] || hfail "downstream add: '$TOK2'"
grep -qa "$TOK2" < <(server_db_dump "$root_DATA") && hfail "downstream token stored in clear"
# A wrong token is refused by the server-to-server API.
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $(printf '0%.0s' {1..64})" \
	"$root_URL/v1/upstream/changes?since=0")
[ "$code" = 401 ] || hfail "bad downstream token: HTTP $code"
# An admin token is not a downstream token either.
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $root_TOKEN" \
	"$root_URL/v1/upstream/changes?since=0")
[ "$code" = 401 ] || hfail "admin token on the upstream API: HTTP $code"

node_start replica1 "[upstream]
kind = sluiced
url = $root_URL
token = $TOK2
mode = replica
trusted_keys = $KEY
syncs_per_day = 0
[storage]
mode = on-approval"
"$SLUICED" --check-config --config "$replica1_DATA/sluiced.ini" >"$TMP/cc" ||
	hfail "check-config replica"
grep -q "^kind = sluiced" "$TMP/cc" && grep -q "^mode = replica" "$TMP/cc" &&
	! grep -q "$TOK2" "$TMP/cc" || hfail "check-config dump: $(cat "$TMP/cc")"
nsync replica1
[ "$(jq .new <<<"$SYNC")" = 2 ] || hfail "replica first sync: $SYNC"
napi replica1 GET /v1/admin/groups
[ "$(jq -r '.groups[] | select(.name=="web") | .parent' <<<"$BODY")" = "All Computers" ] ||
	hfail "groups not replicated: $BODY"

# --- level 3: a replica of the replica, storing nothing -----------------------
TOK3=$(downstream_token branch replica1)
node_start branch "[upstream]
kind = sluiced
url = $replica1_URL
token = $TOK3
mode = replica
trusted_keys = $KEY
syncs_per_day = 0
[storage]
mode = none"
nsync branch
[ "$(jq .new <<<"$SYNC")" = 2 ] || hfail "branch first sync: $SYNC"

# --- a replica refuses local changes to groups and approvals -----------------
napi replica1 POST /v1/admin/approvals "{\"update\":\"$U1\",\"group\":\"web\",\"action\":\"install\"}"
[ "$HTTP_STATUS" = 409 ] || hfail "local approval on a replica: $HTTP_STATUS $BODY"
jq -e --arg u "$root_URL" '.error.message | contains("replica of " + $u)' <<<"$BODY" >/dev/null ||
	hfail "refusal does not name the upstream: $BODY"
napi replica1 POST /v1/admin/groups '{"name":"local"}'
[ "$HTTP_STATUS" = 409 ] || hfail "local group on a replica: $HTTP_STATUS $BODY"
napi replica1 POST "/v1/admin/updates/$U2/decline" '{}'
[ "$HTTP_STATUS" = 409 ] || hfail "local decline on a replica: $HTTP_STATUS $BODY"
napi replica1 POST /v1/admin/rules '{"name":"r","groups":["web"]}'
[ "$HTTP_STATUS" = 409 ] || hfail "local rule on a replica: $HTTP_STATUS $BODY"
napi replica1 GET /v1/admin/groups
[ "$HTTP_STATUS" = 200 ] || hfail "reading groups on a replica: $HTTP_STATUS"
rc=0
"$SLUICE" --server "$replica1_URL" --token "$replica1_TOKEN" approve $U1 web \
	2>"$TMP/cli.err" || rc=$?
[ "$rc" = 1 ] && grep -q "replica of $root_URL" "$TMP/cli.err" ||
	hfail "console approval on the replica: rc=$rc $(cat "$TMP/cli.err")"

# --- approve on the root: it flows down both levels ---------------------------
"$SLUICE" --server "$root_URL" --token "$root_TOKEN" approve $U1 web >/dev/null ||
	hfail "approve on the root"
nsync replica1
wait_content replica1 "$SHA1" # on-approval: fetched from the root
nsync branch
[ ! -e "$branch_DATA/content/${SHA1:0:2}/$SHA1" ] || hfail "branch (mode none) stored a file"

agent_on replica1 a2 install
agent_on branch a3 install
for a in a2 a3; do
	[ -f "$TMP/agent-$a/root/opt/one/done" ] || hfail "agent $a did not install U1"
	[ ! -e "$TMP/agent-$a/root/opt/two" ] || hfail "agent $a installed unapproved U2"
done

# The branch (storage none) hands its agents the replica server's URL.
REG=$(curl -sS -X POST "$branch_URL/v1/agent/register" \
	-d '{"hostname":"probe-3","os_id":"sluicetest","groups":["web"]}')
PTOK=$(jq -r .token <<<"$REG")
PID3=$(jq -r .computer_id <<<"$REG")
SYNCB=$(curl -sS -X POST -H "Authorization: Bearer $PTOK" -d '{"anchor":null}' \
	"$branch_URL/v1/agent/sync")
url=$(jq -r --arg u $U1 '.updates[] | select(.id==$u) | .files[0].url' <<<"$SYNCB")
[ "$url" = "$replica1_URL/content/$SHA1" ] || hfail "branch file URL: $url ($SYNCB)"
grep -q "installed one" "$TMP/agent-a3/root/opt/one/done" || hfail "a3 content"

# --- roll-up: branch -> replica1 -> root ------------------------------------
nsync branch
nsync replica1
CID2=$(agent_cid a2)
CID3=$(agent_cid a3)
napi root GET /v1/admin/computers
for c in "$CID2" "$CID3" "$PID3"; do
	jq -e --arg c "$c" '.computers[] | select(.id==$c)' <<<"$BODY" >/dev/null ||
		hfail "root does not list computer $c: $BODY"
done
# The server each computer reports to (a "server" field once the reports
# show it; the column in any case).
for pair in "$CID2=replica1" "$CID3=replica1/branch" "$PID3=replica1/branch"; do
	c=${pair%%=*}
	want=${pair#*=}
	got=$(server_sql "$root_DATA" "SELECT server FROM computers WHERE id='$c'")
	[ "$got" = "$want" ] || hfail "computer $c reports to '$got', expected '$want'"
	srv=$(jq -r --arg c "$c" '.computers[] | select(.id==$c) | .server // "absent"' <<<"$BODY")
	[ "$srv" = absent ] || [ "$srv" = "$want" ] || hfail "server field of $c: $srv"
done
for c in "$CID2" "$CID3"; do
	napi root GET "/v1/admin/computers/$c/status"
	[ "$HTTP_STATUS" = 200 ] || hfail "root status of $c: $HTTP_STATUS $BODY"
	[ "$(jq -r --arg u $U1 '.updates[] | select(.id==$u) | .state' <<<"$BODY")" = installed ] ||
		hfail "root does not see U1 installed on $c: $BODY"
done

# The root's reports (per update, per computer) name each one's server.
napi root GET "/v1/admin/reports/updates/$U1"
[ "$HTTP_STATUS" = 200 ] || hfail "report of U1: $HTTP_STATUS $BODY"
for pair in "$CID2=replica1" "$CID3=replica1/branch"; do
	jq -e --arg c "${pair%%=*}" --arg s "${pair#*=}" \
		'.computers[] | select(.id==$c) | .server==$s and .state=="installed"' \
		<<<"$BODY" >/dev/null || hfail "report of U1 for $pair: $BODY"
done
napi root GET /v1/admin/reports/computers
jq -e --arg c "$CID3" '.computers[] | select(.id==$c) | .server=="replica1/branch"' \
	<<<"$BODY" >/dev/null || hfail "computers report: $BODY"

# --- downstream list on the root and on the replica --------------------------
"$SLUICE" --server "$root_URL" --token "$root_TOKEN" downstream list >"$TMP/dl" ||
	hfail "downstream list"
grep -Eq '^replica1 +replica +[0-9]{4}-' "$TMP/dl" || hfail "downstream list: $(cat "$TMP/dl")"
"$SLUICE" --server "$root_URL" --token "$root_TOKEN" --json downstream list >"$TMP/dl"
jq -e '.downstreams[0] | .name=="replica1" and .mode=="replica" and
	.computers.total==3 and .computers.direct==1 and .last_rollup!=null' \
	"$TMP/dl" >/dev/null || hfail "downstream list json: $(cat "$TMP/dl")"
"$SLUICE" --server "$replica1_URL" --token "$replica1_TOKEN" --json downstream list >"$TMP/dl"
jq -e '.downstreams[0] | .name=="branch" and .computers.total==2' "$TMP/dl" >/dev/null ||
	hfail "replica's downstream list: $(cat "$TMP/dl")"

# --- withdrawing the approval on the root reaches the agents' view -----------
"$SLUICE" --server "$root_URL" --token "$root_TOKEN" approve $U1 web \
	--action not-approved >/dev/null || hfail "withdraw on the root"
nsync replica1
nsync branch
A=$(jq -r .anchor <<<"$SYNCB")
SYNCB=$(curl -sS -X POST -H "Authorization: Bearer $PTOK" -d "{\"anchor\":\"$A\"}" \
	"$branch_URL/v1/agent/sync")
jq -e --arg u $U1 '.full==false and (.removed | index($u)) != null' <<<"$SYNCB" >/dev/null ||
	hfail "removal did not reach the branch's agents: $SYNCB"

# --- a compromised middle server cannot inject an update ---------------------
mkupdate $U3 "Hierarchy fix three" three
nsync root
nsync replica1
server_sql "$replica1_DATA" \
	"UPDATE updates SET document = replace(document, 'Hierarchy fix three', 'Hierarchy fix 3') WHERE id = '$U3'"
nsync branch failure
jq -e --arg u $U3 '.error | contains($u)' <<<"$SYNC" >/dev/null || hfail "refusal: $SYNC"
napi branch GET /v1/admin/updates
jq -e --arg u $U3 '[.updates[] | select(.id==$u)] | length == 0' <<<"$BODY" >/dev/null ||
	hfail "the branch imported a tampered document: $BODY"
# Repaired upstream: the next sync imports it, once.
server_sql "$replica1_DATA" \
	"UPDATE updates SET document = replace(document, 'Hierarchy fix 3', 'Hierarchy fix three') WHERE id = '$U3'"
nsync branch
[ "$(jq .new <<<"$SYNC")" = 1 ] || hfail "after repair: $SYNC"
nsync branch
[ "$(jq '.new + .revised' <<<"$SYNC")" = 0 ] || hfail "second sync imported again: $SYNC"

for n in branch replica1 root; do node_stop $n; done
echo "hierarchy_replica: ok"
