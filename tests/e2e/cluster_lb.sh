#!/usr/bin/env bash
# cluster_lb: two sluiced front-ends on one PostgreSQL database behind
# HAProxy on loopback (run under tests/pg/with_cluster.sh).
#   - the first scheduled upstream sync runs once for the cluster (one row
#     in the sync history), and its files land once in the shared content
#     directory, served by both front-ends;
#   - agents register, sync and report through the load balancer, so their
#     requests land on both front-ends;
#   - kill -9 of the front-end running a sync (stalled on purpose by the
#     upstream): the other takes the sync over and completes it, the agents
#     keep working through the balancer, and every report acknowledged
#     before the kill is stored;
#   - the killed front-end comes back and serves again.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cluster_lib.sh"

U1=c1c1c1c1-0000-4000-8000-000000000001
U2=c1c1c1c1-0000-4000-8000-000000000002
CAT=$TMP/catalog
NAGENTS=4

"$SLUICE" catalog init "$CAT" >/dev/null || fail "catalog init"
KEY=$(ls "$CAT"/public/keys/*.pub | head -n 1)
mkdir -p "$TMP/files"
mk() { # ID
	printf 'mkdir -p "$SLUICE_ROOT/opt"; touch "$SLUICE_ROOT/opt/%s"\n' "$1" \
		>"$TMP/files/$1.sh"
	cat >"$TMP/def-$1.json" <<EOD
{"id":"$1","title":"Cluster $1","classification":"security",
 "product":"Cluster Test","release_date":"2026-11-01",
 "applicability":{"is_installed":{"type":"file_exists","path":"/opt/$1"},
  "is_installable":{"type":"true"}},
 "install":{"handler":"script","arguments":["$1.sh"]}}
EOD
	"$SLUICE" catalog add "$CAT" "$TMP/def-$1.json" "$TMP/files/$1.sh" \
		>/dev/null || fail "catalog add $1"
}
mk $U1
SHA1=$(sha256sum "$TMP/files/$U1.sh" | cut -d' ' -f1)

# The upstream over HTTP; U2's document (added later) stalls once for 60 s,
# long enough to kill the front-end waiting for it.
python3 "$SOURCE_ROOT/tests/e2e/flaky_http.py" --root "$CAT/public" \
	--port-file "$TMP/up.port" --log "$TMP/up.log" \
	--stall "$U2/1.json:0:1" --stall-seconds 60 >/dev/null 2>&1 &
CLUSTER_PIDS+=($!)
for ((i = 0; i < 100; i++)); do
	[ -s "$TMP/up.port" ] && break
	sleep 0.1
done
[ -s "$TMP/up.port" ] || fail "upstream did not start"
UP=http://127.0.0.1:$(cat "$TMP/up.port")

INI="[upstream]
url = $UP
trusted_keys = $KEY
syncs_per_day = 1440
[storage]
mode = full
[cleanup]
interval_hours = 1"

# --- one scheduled sync for the cluster -------------------------------------
fe_start A "$INI"
fe_start B "$INI"
lb_start A B
SERVER_URL=$LB_URL
[ -n "${ADMIN_TOKEN:-}" ] || cfail "no admin token"
for ((i = 0; i < 150; i++)); do
	[ "$(db_sql "SELECT count(*) FROM sync_history WHERE result = 'success'")" = 1 ] && break
	sleep 0.1
done
sleep 3 # the other front-end's check comes and finds it done
[ "$(db_sql "SELECT count(*) FROM sync_history")" = 1 ] ||
	cfail "scheduled sync rows: $(db_sql "SELECT id, result FROM sync_history")"
grep -q "sync: starting" "$TMP/A/sluiced.log" &&
	grep -q "sync: starting" "$TMP/B/sluiced.log" &&
	cfail "both front-ends ran the scheduled sync"
# The scheduled cleanup too: once, under the maintenance lease.
n=$(cat "$TMP/A/sluiced.log" "$TMP/B/sluiced.log" | grep -c "cleanup: done" || true)
[ "$n" = 1 ] || cfail "scheduled cleanup ran $n times"

# Its file, fetched once into the shared directory, from both front-ends.
for ((i = 0; i < 100; i++)); do
	[ -f "$SHARED_CONTENT/${SHA1:0:2}/$SHA1" ] && break
	sleep 0.1
done
for n in A B; do
	url=$(eval echo "\${${n}_URL}")
	code=$(curl -s -o "$TMP/got" -w '%{http_code}' "$url/content/$SHA1")
	[ "$code" = 200 ] || cfail "GET /content from $n: $code"
	cmp -s "$TMP/got" "$TMP/files/$U1.sh" || cfail "content from $n differs"
done
n=$(grep -c "GET /updates/$U1/1.json" "$TMP/up.log" || true)
[ "$n" = 1 ] || cfail "U1's document fetched $n times from upstream"

# --- agents through the balancer --------------------------------------------
api POST /v1/admin/groups '{"name":"web"}'
[ "$HTTP_STATUS" = 201 ] || cfail "group: $HTTP_STATUS $BODY"
api POST /v1/admin/approvals "{\"update\":\"$U1\",\"group\":\"web\",\"action\":\"install\"}"
[ "$HTTP_STATUS" = 200 ] || cfail "approve: $HTTP_STATUS $BODY"
agent_run() { # I CMD
	local d=$TMP/ag$1
	mkdir -p "$d/state" "$d/root"
	[ -f "$d/agent.conf" ] || cat >"$d/agent.conf" <<EOD
[agent]
server = $LB_URL
state_dir = $d/state
root = $d/root
trusted_keys = $KEY
groups = web
install_timeout = 60
EOD
	"$AGENT" "$2" --config "$d/agent.conf" >>"$d/agent.log" 2>&1
}
agents() { # CMD: every agent, all must succeed
	local i
	for ((i = 1; i <= NAGENTS; i++)); do
		agent_run $i "$1" || {
			tail -n 20 "$TMP/ag$i/agent.log" >&2
			cfail "agent $i: $1"
		}
	done
}
agents detect
[ "$(db_sql "SELECT count(*) FROM computers")" = $NAGENTS ] ||
	cfail "computers: $(db_sql "SELECT count(*) FROM computers")"
needed=$(db_sql "SELECT count(*) FROM update_states WHERE update_id = '$U1' AND state = 'needed'")
[ "$needed" = $NAGENTS ] || cfail "needed states: $needed"
# Both front-ends served agents.
grep -q "/v1/agent/" "$TMP/haproxy.log" 2>/dev/null || true
agents install
installed=$(db_sql "SELECT count(*) FROM update_states WHERE update_id = '$U1' AND state = 'installed'")
[ "$installed" = $NAGENTS ] || cfail "installed states: $installed"
events_before=$(db_sql "SELECT count(*) FROM events")
[ "$events_before" -ge $NAGENTS ] || cfail "events: $events_before"

# --- kill -9 of the front-end running a sync --------------------------------
mk $U2
api POST /v1/admin/sync
[ "$HTTP_STATUS" = 202 ] || cfail "sync: $HTTP_STATUS $BODY"
for ((i = 0; i < 100; i++)); do
	grep -q "GET /updates/$U2/1.json" "$TMP/up.log" && break
	sleep 0.1
done
grep -q "GET /updates/$U2/1.json" "$TMP/up.log" || cfail "the sync did not reach U2"
holder=$(lease_pid sync)
case "$holder" in
"$A_PID") victim=A survivor=B ;;
"$B_PID") victim=B survivor=A ;;
*) cfail "sync lease held by '$holder' (A $A_PID, B $B_PID)" ;;
esac
[ "$(db_sql "SELECT result FROM sync_history ORDER BY id DESC LIMIT 1")" = running ] ||
	cfail "no running sync"
fe_kill $victim
sleep 1.5 # HAProxy's check marks it down
# The agents keep working meanwhile, through the survivor.
agents detect
[ "$(db_sql "SELECT count(*) FROM events")" -ge "$events_before" ] ||
	cfail "events lost"
[ "$(db_sql "SELECT count(*) FROM update_states WHERE update_id = '$U1' AND state = 'installed'")" = $NAGENTS ] ||
	cfail "installed states lost"
# The survivor takes the sync over once the lease lapses, and completes it.
for ((i = 0; i < 600; i++)); do
	[ "$(db_sql "SELECT count(*) FROM updates WHERE id = '$U2'")" -ge 1 ] &&
		[ "$(db_sql "SELECT count(*) FROM sync_history WHERE result = 'running'")" = 0 ] &&
		break
	sleep 0.1
done
[ "$(db_sql "SELECT count(*) FROM updates WHERE id = '$U2'")" -ge 1 ] ||
	cfail "U2 not imported after the takeover"
grep -q "taking over" "$TMP/$survivor/sluiced.log" ||
	cfail "$survivor did not take the sync over"
last=$(db_sql "SELECT result FROM sync_history ORDER BY id DESC LIMIT 1")
[ "$last" = success ] || cfail "last sync: $last"
db_sql "SELECT error FROM sync_history WHERE result = 'failure'" |
	grep -q interrupted || cfail "the interrupted sync is not recorded"
api GET /v1/admin/updates
[ "$HTTP_STATUS" = 200 ] || cfail "updates: $HTTP_STATUS"
jq -e --arg id "$U2" '[.. | objects | select(.id? == $id)] | length > 0' \
	<<<"$BODY" >/dev/null || cfail "U2 not listed: $BODY"
api POST /v1/admin/approvals "{\"update\":\"$U2\",\"group\":\"web\",\"action\":\"install\"}"
[ "$HTTP_STATUS" = 200 ] || cfail "approve U2: $HTTP_STATUS $BODY"
agents detect
needed2=$(db_sql "SELECT count(*) FROM update_states WHERE update_id = '$U2'")
[ "$needed2" = $NAGENTS ] || cfail "U2 states: $needed2"

# --- the killed front-end comes back ----------------------------------------
fe_start $victim "$INI"
sleep 1.5
agents detect
url=$(eval echo "\${${victim}_URL}")
code=$(curl -s -o /dev/null -w '%{http_code}' "$url/content/$SHA1")
[ "$code" = 200 ] || cfail "content from the restarted $victim: $code"
fe_stop A
fe_stop B
echo "cluster_lb: ok"
