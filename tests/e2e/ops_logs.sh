#!/usr/bin/env bash
# Logs: one line per event; an access line per request (client address,
# method, path without its query string, status, body bytes, duration) at
# the [log] access level; and no token or secret in any line the server
# or the agent writes, whatever the requests carry.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent_lib.sh"

METRICS_TOKEN=mt-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
QUERY_SECRET=qs-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')

catalog_setup
start_server "$DATA" "[upstream]
url = file://$CAT/public
trusted_keys = $KEY
syncs_per_day = 0
[storage]
mode = none
[metrics]
token = $METRICS_TOKEN"
admin_sync
api POST /v1/admin/groups '{"name":"web"}'
agent_conf
agent detect || agent_fail "detect"
COMPUTER_TOKEN=$(sqlite3 "$STATE/agent.db" "SELECT value FROM meta WHERE key='token'")
REPORTER_TOKEN=$("$SLUICE" --json tokens create viewer --role reporter | jq -r .token)
DOWNSTREAM_TOKEN=$("$SLUICE" --json downstream add branch | jq -r .token)
for t in "$COMPUTER_TOKEN" "$REPORTER_TOKEN" "$DOWNSTREAM_TOKEN"; do
	[ -n "$t" ] && [ "$t" != null ] || fail "a token was not issued"
done

# Requests that carry secrets where a careless log would copy them.
curl -s -o /dev/null "$SERVER_URL/healthz?token=$QUERY_SECRET"
curl -s -o /dev/null -H "Authorization: Bearer $ADMIN_TOKEN" \
	"$SERVER_URL/v1/admin/groups?access_token=$QUERY_SECRET&x=1"
curl -s -o /dev/null "$SERVER_URL/no/such/path?password=$QUERY_SECRET"
curl -s -o /dev/null -H "Authorization: Bearer $QUERY_SECRET" "$SERVER_URL/v1/admin/groups"
curl -s -o /dev/null -H "Authorization: Bearer $COMPUTER_TOKEN" "$SERVER_URL/v1/admin/groups"
curl -s -o /dev/null -H "Authorization: Bearer $REPORTER_TOKEN" -X POST \
	--data-binary '{"name":"x"}' "$SERVER_URL/v1/admin/groups"
curl -s -o /dev/null -H "Authorization: Bearer $METRICS_TOKEN" "$SERVER_URL/metrics"
curl -s -o /dev/null -H "Authorization: Bearer $DOWNSTREAM_TOKEN" "$SERVER_URL/v1/upstream/changes"
curl -s -o /dev/null -X POST -H "Authorization: Bearer $COMPUTER_TOKEN" \
	-H 'Content-Type: application/json' --data-binary "{\"anchor\":\"$QUERY_SECRET\"}" \
	"$SERVER_URL/v1/agent/sync"
"$SLUICED" --config "$DATA/sluiced.ini" --check-config >"$TMP/check.out" 2>&1
sleep 0.3

# --- the access lines --------------------------------------------------------
line=$(grep ' access 127\.0\.0\.1 GET /healthz ' "$SERVER_LOG" | tail -n 1)
[[ "$line" =~ ^[0-9T:-]+Z\ INFO\ sluiced:\ access\ 127\.0\.0\.1\ GET\ /healthz\ 200\ 15\ [0-9]+\.[0-9]{3}ms$ ]] ||
	fail "access line: $line"
grep -q ' access 127\.0\.0\.1 GET /v1/admin/groups 200 [0-9]* ' "$SERVER_LOG" || fail "no access line for groups"
grep -q ' access 127\.0\.0\.1 GET /no/such/path 404 ' "$SERVER_LOG" || fail "no access line for a 404"
grep -q ' access 127\.0\.0\.1 GET /v1/admin/groups 401 ' "$SERVER_LOG" || fail "no access line for a 401"
grep -q ' access 127\.0\.0\.1 POST /v1/admin/groups 403 ' "$SERVER_LOG" || fail "no access line for a 403"
grep -q ' access 127\.0\.0\.1 POST /v1/agent/sync 200 ' "$SERVER_LOG" || fail "no access line for a sync"
n=$(grep -c ' access ' "$SERVER_LOG")
echo "ok: $n access lines: address, method, path, status, bytes, duration"

# --- no secret in any line ----------------------------------------------------
secrets=("$ADMIN_TOKEN" "$COMPUTER_TOKEN" "$REPORTER_TOKEN" "$DOWNSTREAM_TOKEN"
	"$METRICS_TOKEN" "$QUERY_SECRET")
for f in "$SERVER_LOG" "$AGENT_LOG" "$TMP/check.out"; do
	for s in "${secrets[@]}"; do
		if grep -qF -- "$s" "$f"; then
			fail "a secret (${s:0:6}...) is in $f: $(grep -F -- "$s" "$f" | head -n 1)"
		fi
	done
done
grep -q '^token = (set; not shown)$' "$TMP/check.out" || fail "--check-config shows the metrics token"
echo "ok: none of ${#secrets[@]} secrets (admin, computer, reporter, downstream, metrics tokens, a query parameter) in any log line or --check-config"

# --- access = debug: the lines go below the default level ---------------------
stop_server
printf '[log]\naccess = debug\n' >>"$DATA/sluiced.ini"
: >"$SERVER_LOG"
"$SLUICED" --config "$DATA/sluiced.ini" >>"$SERVER_LOG" 2>&1 &
SERVER_PID=$!
wait_port "$SERVER_PORT"
curl -fsS -o /dev/null "$SERVER_URL/healthz"
sleep 0.3
! grep -q ' access ' "$SERVER_LOG" || fail "access lines at level debug while the log is at info"
stop_server
printf 'level = debug\n' >>"$DATA/sluiced.ini"
"$SLUICED" --config "$DATA/sluiced.ini" >>"$SERVER_LOG" 2>&1 &
SERVER_PID=$!
wait_port "$SERVER_PORT"
curl -fsS -o /dev/null "$SERVER_URL/healthz"
sleep 0.3
grep -q ' DEBUG sluiced: access 127\.0\.0\.1 GET /healthz 200 ' "$SERVER_LOG" ||
	fail "no debug access line with log.level = debug"
stop_server
echo "ok: [log] access = debug shows only with [log] level = debug"
