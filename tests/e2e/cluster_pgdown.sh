#!/usr/bin/env bash
# cluster_pgdown: PostgreSQL goes away under two front-ends (behind
# HAProxy) and comes back (run under tests/pg/with_cluster.sh).
#   - meanwhile every request that needs the database gets a clear 503
#     with Retry-After (never a crash, never a hang);
#   - once it is back, full service again without restarting sluiced:
#     admin API, agents registering and reporting, and the sync lease.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cluster_lib.sh"

[ -n "${SLUICE_TEST_PG_DIR:-}" ] || fail "SLUICE_TEST_PG_DIR unset"
"$SLUICE" catalog init "$TMP/catalog" >/dev/null || fail "catalog init"
KEY=$(ls "$TMP"/catalog/public/keys/*.pub | head -n 1)
INI="[upstream]
url = file://$TMP/catalog/public
trusted_keys = $KEY
syncs_per_day = 0
[storage]
mode = none"
fe_start A "$INI"
fe_start B "$INI"
lb_start A B
SERVER_URL=$LB_URL
agent_conf() { # I
	local d=$TMP/ag$1
	mkdir -p "$d/state" "$d/root"
	cat >"$d/agent.conf" <<EOD
[agent]
server = $LB_URL
state_dir = $d/state
root = $d/root
trusted_keys = $KEY
EOD
}
agent_conf 1
agent_conf 2
"$AGENT" detect --config "$TMP/ag1/agent.conf" >>"$TMP/ag1.log" 2>&1 ||
	cfail "agent 1 before"
api GET /v1/admin/computers
[ "$HTTP_STATUS" = 200 ] || cfail "computers: $HTTP_STATUS"

# --- the database goes away -------------------------------------------------
"$SLUICE_TEST_PG_CLUSTER" halt "$SLUICE_TEST_PG_DIR"
for ((i = 0; i < 6; i++)); do
	# Both front-ends, several times: every connection sees it.
	for url in "$A_URL" "$B_URL"; do
		code=$(curl -s -m 20 -D "$TMP/h" -o "$TMP/b" -w '%{http_code}' \
			-H "Authorization: Bearer $ADMIN_TOKEN" "$url/v1/admin/computers")
		[ "$code" = 503 ] || cfail "database down: $url: $code $(cat "$TMP/b")"
		grep -qi '^retry-after:' "$TMP/h" || cfail "503 without Retry-After"
	done
done
# An agent gets 503 too, and keeps what it has to report.
"$AGENT" detect --config "$TMP/ag2/agent.conf" >>"$TMP/ag2.log" 2>&1 &&
	cfail "agent 2 succeeded without a database"
kill -0 "$A_PID" && kill -0 "$B_PID" || cfail "a front-end died"

# --- it comes back: full service, no restart ---------------------------------
"$SLUICE_TEST_PG_CLUSTER" start "$SLUICE_TEST_PG_DIR" >/dev/null
for url in "$A_URL" "$B_URL" "$A_URL" "$B_URL"; do
	ok=
	for ((i = 0; i < 50; i++)); do
		code=$(curl -s -m 20 -o "$TMP/b" -w '%{http_code}' \
			-H "Authorization: Bearer $ADMIN_TOKEN" "$url/v1/admin/computers")
		[ "$code" = 200 ] && ok=1 && break
		sleep 0.2
	done
	[ -n "$ok" ] || cfail "after the database came back: $url: $code"
done
for i in 1 2; do
	"$AGENT" detect --config "$TMP/ag$i/agent.conf" >>"$TMP/ag$i.log" 2>&1 ||
		cfail "agent $i after: $(tail -n 5 "$TMP/ag$i.log")"
done
[ "$(db_sql "SELECT count(*) FROM computers")" = 2 ] || cfail "computers"
api POST /v1/admin/sync
[ "$HTTP_STATUS" = 202 ] || cfail "sync: $HTTP_STATUS $BODY"
for ((i = 0; i < 100; i++)); do
	[ "$(db_sql "SELECT count(*) FROM sync_history WHERE result = 'success'")" -ge 1 ] && break
	sleep 0.2
done
[ "$(db_sql "SELECT count(*) FROM sync_history WHERE result = 'success'")" -ge 1 ] ||
	cfail "no sync after the database came back"
fe_stop A
fe_stop B
echo "cluster_pgdown: ok"
