#!/usr/bin/env bash
# cluster_port: two sluiced front-ends of one PostgreSQL database sharing
# one port on one host with server.reuse_port (run under
# tests/pg/with_cluster.sh):
#   - a front-end without reuse_port cannot take a port another holds;
#   - with it, the second front-end listens on the first one's port and
#     the kernel spreads new connections over both: agents registering
#     through the port land on both, and each front-end serves the
#     agents the other registered;
#   - kill -9 of one: every following request is answered by the other;
#   - the killed one starts again on the port and the other stops with
#     SIGTERM (a restart without a balancer): agents still sync.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cluster_lib.sh"

NAGENTS=40
INI="[upstream]
syncs_per_day = 0
[storage]
mode = none"
fe_start A "reuse_port = on
$INI"
PORT=$A_PORT URL=$A_URL

# Without reuse_port the port is taken: a clear error at start.
mkdir -p "$TMP/C"
cat >"$TMP/C/sluiced.ini" <<EOD
[server]
listen = 127.0.0.1:$PORT
data = $TMP/C
user = root
[database]
url = $CLUSTER_DB
EOD
rc=0
timeout 30 "$SLUICED" --config "$TMP/C/sluiced.ini" >"$TMP/C/sluiced.log" 2>&1 ||
	rc=$?
[ "$rc" != 0 ] && [ "$rc" != 124 ] || cfail "a second listener without reuse_port: rc $rc"
grep -q "cannot listen on 127.0.0.1:$PORT: Address already in use" \
	"$TMP/C/sluiced.log" || cfail "no clear error: $(tail -n 3 "$TMP/C/sluiced.log")"

B_PORT=$PORT
fe_start B "reuse_port = on
$INI"

# count NAME TEXT: lines of NAME's access log with TEXT
count() { grep -c "$2" "$TMP/$1/sluiced.log" || true; }
register() { # HOSTNAME: prints "ID TOKEN"
	curl -sS -f -X POST -H 'Content-Type: application/json' \
		--data-binary "{\"hostname\":\"$1\"}" "$URL/v1/agent/register" |
		jq -r '.computer_id + " " + .token'
}
sync_code() { # TOKEN: the status of a first sync
	curl -sS -o /dev/null -w '%{http_code}' -X POST \
		-H "Authorization: Bearer $1" -H 'Content-Type: application/json' \
		--data-binary '{"anchor":null,"protocol":2}' "$URL/v1/agent/sync"
}
# syncs FROM TO: every agent in [FROM, TO) syncs, one connection each
syncs() {
	local i code
	for ((i = $1; i < $2; i++)); do
		code=$(sync_code "${TOKENS[i]}")
		[ "$code" = 200 ] || cfail "agent $i sync: $code"
	done
}

TOKENS=()
for ((i = 0; i < NAGENTS; i++)); do
	read -r id tok <<<"$(register "port-$i")"
	[ -n "$tok" ] && [ "$tok" != null ] || cfail "register port-$i"
	TOKENS+=("$tok")
done
ra=$(count A "POST /v1/agent/register") rb=$(count B "POST /v1/agent/register")
[ "$((ra + rb))" = "$NAGENTS" ] || cfail "registrations: $ra + $rb of $NAGENTS"
[ "$ra" -gt 0 ] && [ "$rb" -gt 0 ] ||
	cfail "one front-end took every connection: $ra and $rb"
[ "$(db_sql 'SELECT count(*) FROM computers')" = "$NAGENTS" ] ||
	cfail "computers stored: $(db_sql 'SELECT count(*) FROM computers')"
# Each agent syncs (a new connection each): both front-ends answer agents
# registered by either.
syncs 0 "$NAGENTS"
sa=$(count A "POST /v1/agent/sync") sb=$(count B "POST /v1/agent/sync")
[ "$sa" -gt 0 ] && [ "$sb" -gt 0 ] || cfail "syncs: $sa and $sb"

# kill -9 of A: its socket closes with it, B answers every request.
fe_kill A
sb=$(count B "POST /v1/agent/sync")
syncs 0 20
[ "$(count B "POST /v1/agent/sync")" = "$((sb + 20))" ] ||
	cfail "after the kill, not every sync reached B"

# A again on the port, then B stops: A answers alone.
fe_start A "reuse_port = on
$INI"
fe_stop B
sa=$(count A "POST /v1/agent/sync")
syncs 20 "$NAGENTS"
[ "$(count A "POST /v1/agent/sync")" = "$((sa + NAGENTS - 20))" ] ||
	cfail "after the restart, not every sync reached A"
echo "ok: two front-ends shared port $PORT ($ra and $rb registrations), survived a kill and a restart"
