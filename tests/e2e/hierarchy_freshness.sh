#!/usr/bin/env bash
# Freshness through a hierarchy: origin -> root sluiced -> downstream
# sluiced -> agent, every server and the agent configured with the origin's
# root key only. The origin's timestamp travels down unchanged and the
# agent installs. Then the root server stops passing new timestamps on (a
# frozen middle server: it no longer syncs while the origin keeps
# re-signing): once the timestamp it holds expires, the downstream's sync
# fails naming it, the agent installs nothing and reports its catalog as
# stale, and the downstream's computer list shows it (and, through the
# roll-up, the root's). When the root syncs again everything is fresh
# again without any configuration change.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/hierarchy_lib.sh"

U1=cccccccc-0000-4000-8000-000000000001
U2=cccccccc-0000-4000-8000-000000000002
A=$TMP/agent-a1

agent_run() { # CMD: the agent on down1, trusting the root key only
	local rc=0
	mkdir -p "$A/root/etc" "$A/state"
	printf 'ID=sluicetest\nVERSION_ID="1.0"\n' >"$A/root/etc/os-release"
	cat >"$A/agent.conf" <<EOF
[agent]
server = $down1_URL
state_dir = $A/state
root = $A/root
trusted_keys =
trusted_root = $ROOTPUB
groups = web
install_timeout = 60
EOF
	echo "### sluice-agent $*" >>"$A/agent.log"
	"$AGENT" "$@" --config "$A/agent.conf" >>"$A/agent.log" 2>&1 || rc=$?
	if grep -Eq "runtime error:|Sanitizer" "$A/agent.log"; then
		tail -n 40 "$A/agent.log" >&2
		hfail "sanitizer report in the agent's output"
	fi
	return $rc
}

afail() {
	tail -n 40 "$A/agent.log" >&2
	hfail "$@"
}

catalog_state() { # the downstream's catalog state of the agent's computer
	napi down1 GET /v1/admin/computers
	jq -r --arg id "$(agent_cid a1)" \
		'.computers[] | select(.id==$id) | .catalog // "none"' <<<"$BODY"
}

catalog_setup
ROOTPUB=$CAT/public/root.pub
mkupdate $U1 "Fresh fix one" one

node_start root "[upstream]
url = file://$CAT/public
trusted_root = $ROOTPUB
syncs_per_day = 0
[storage]
mode = full"
nsync root
TOK=$(downstream_token down1 root)
node_start down1 "[upstream]
kind = sluiced
url = $root_URL
token = $TOK
mode = autonomous
trusted_root = $ROOTPUB
syncs_per_day = 0
[storage]
mode = none"
nsync down1
[ "$(jq .new <<<"$SYNC")" = 1 ] || hfail "first downstream sync: $SYNC"
napi down1 POST /v1/admin/groups '{"name":"web"}'
[ "$HTTP_STATUS" = 201 ] || hfail "group web: $HTTP_STATUS $BODY"
napi down1 POST /v1/admin/approvals \
	"{\"update\":\"$U1\",\"group\":\"web\",\"action\":\"install\"}"
[ "$HTTP_STATUS" = 200 ] || hfail "approve: $HTTP_STATUS $BODY"

sleep 1.1 # past the downstream's one-second cache
agent_run install || afail "install"
[ -f "$A/root/opt/one/done" ] || afail "U1 not installed"
[ "$(catalog_state)" = ok ] || hfail "catalog state: $BODY"

# --- the root server freezes ---------------------------------------------------
# A short-lived timestamp reaches the downstream, then the root stops
# syncing while the origin keeps publishing and re-signing.
# (20 s: long enough for both syncs on a loaded machine)
ts_made=$(date +%s)
"$SLUICE" catalog timestamp "$CAT" --expires-seconds 20 >/dev/null ||
	fail "timestamp"
nsync root
sleep 1.1 # past the root's one-second cache of the origin's documents
nsync down1
mkupdate $U2 "Fresh fix two" two # the origin goes on; the root does not sync
"$SLUICE" catalog timestamp "$CAT" >/dev/null || fail "timestamp"
sleep 1.1
agent_run detect || afail "detect while fresh"
left=$((ts_made + 21 - $(date +%s)))
[ "$left" -le 0 ] || sleep "$left"
nsync down1 failure
jq -e '.error | test("timestamp: expired at")' <<<"$SYNC" >/dev/null ||
	hfail "downstream sync with the frozen root: $SYNC"
agent_run detect && afail "detect with an expired timestamp succeeded"
grep -q "catalog stale: timestamp: expired at" "$A/agent.log" ||
	afail "no stale verdict"
[ "$(catalog_state)" = stale ] || hfail "catalog state while frozen: $BODY"
"$SLUICE" --server "$down1_URL" --token "$down1_TOKEN" computers |
	grep -q " stale" || hfail "sluice computers shows no stale catalog"

# --- the root syncs again: fresh everywhere ------------------------------------
nsync root
[ "$(jq .new <<<"$SYNC")" = 1 ] || hfail "root catch-up: $SYNC"
sleep 1.1 # past the root's one-second cache of the origin's documents
nsync down1
# The downstream's roll-up carried the stale state up to the root.
root_catalog() {
	napi root GET /v1/admin/computers
	jq -r --arg id "$(agent_cid a1)" \
		'.computers[] | select(.id==$id) | .catalog // "none"' <<<"$BODY"
}
c=$(root_catalog); [ "$c" = stale ] || hfail "rolled-up catalog state: $c"
sleep 1.1
agent_run detect || afail "detect once fresh again"
[ "$(catalog_state)" = ok ] || hfail "catalog state once fresh: $BODY"
grep -q "catalog fresh again" "$A/agent.log" || afail "recovery not logged"
nsync down1
c=$(root_catalog); [ "$c" = ok ] || hfail "rolled-up catalog state once fresh: $c"
echo ok
