#!/usr/bin/env bash
# Health and metrics: GET /healthz and /readyz without a token; GET
# /metrics behind [metrics] token on the main listener (and, with no metrics
# token, behind an administrator or reporter token), unauthenticated on the
# separate [metrics] listen address; the exposition parses
# (tests/e2e/prom_parse.py) and holds every named metric with values that
# follow what the agent and the administrator did.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent_lib.sh"

METRICS_TOKEN=metrics-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
MPORT=$(free_port)
U1=cccccccc-0000-4000-8000-000000000001

catalog_setup
mkdir -p "$ROOT/etc" "$TMP/files"
printf 'ID=sluicetest\nVERSION_ID="1.0"\n' >"$ROOT/etc/os-release"
printf 'mkdir -p "$SLUICE_ROOT/opt/m"\ntouch "$SLUICE_ROOT/opt/m/done"\n' >"$TMP/files/install.sh"
define $U1 "Metrics update" \
	'{"is_installed":{"type":"file_exists","path":"/opt/m/done"},"is_installable":{"type":"os_id","id":"sluicetest"}}' \
	'{"handler":"script","arguments":["install.sh"]}'
add $U1 "$TMP/files/install.sh"
start_server "$DATA" "[upstream]
url = file://$CAT/public
trusted_keys = $KEY
syncs_per_day = 0
[storage]
mode = full
[metrics]
listen = 127.0.0.1:$MPORT
token = $METRICS_TOKEN"
wait_port "$MPORT"
admin_sync
api POST /v1/admin/groups '{"name":"web"}'
approve $U1 install
agent_conf
agent install || agent_fail "install"
agent detect || agent_fail "detect"

code() { curl -s -o "$TMP/out" -w '%{http_code}' "$@"; }

# --- /healthz, /readyz: no token --------------------------------------------
[ "$(code "$SERVER_URL/healthz")" = 200 ] || fail "healthz: $(cat "$TMP/out")"
jq -e '.status == "ok"' "$TMP/out" >/dev/null || fail "healthz body: $(cat "$TMP/out")"
[ "$(code "$SERVER_URL/readyz")" = 200 ] || fail "readyz: $(cat "$TMP/out")"
jq -e '.status == "ready" and .database == "ok" and (.schema | type) == "number"
	and (.upstream.age_seconds >= 0) and (.upstream.last_success > 0)' "$TMP/out" >/dev/null ||
	fail "readyz body: $(cat "$TMP/out")"
echo "ok: /healthz and /readyz answer without a token: $(cat "$TMP/out")"

# --- /metrics: the metrics token, not an admin token, not none ---------------
[ "$(code "$SERVER_URL/metrics")" = 401 ] || fail "metrics without a token: $(cat "$TMP/out")"
[ "$(code -H "Authorization: Bearer $ADMIN_TOKEN" "$SERVER_URL/metrics")" = 401 ] ||
	fail "metrics with the admin token while a metrics token is set"
[ "$(code -H "Authorization: Bearer nope" "$SERVER_URL/metrics")" = 401 ] || fail "metrics with a wrong token"
[ "$(code -H "Authorization: Bearer $METRICS_TOKEN" "$SERVER_URL/metrics")" = 200 ] ||
	fail "metrics with the metrics token: $(cat "$TMP/out")"
cp "$TMP/out" "$TMP/main.prom"
ct=$(curl -s -o /dev/null -w '%{content_type}' -H "Authorization: Bearer $METRICS_TOKEN" "$SERVER_URL/metrics")
[ "$ct" = "text/plain; version=0.0.4; charset=utf-8" ] || fail "content type $ct"
echo "ok: /metrics on the main listener needs the metrics token"

# --- the separate listener: no token; nothing else there ---------------------
M=http://127.0.0.1:$MPORT
[ "$(code "$M/metrics")" = 200 ] || fail "metrics listener: $(cat "$TMP/out")"
cp "$TMP/out" "$TMP/sep.prom"
[ "$(code "$M/healthz")" = 200 ] || fail "metrics listener healthz"
[ "$(code "$M/readyz")" = 200 ] || fail "metrics listener readyz"
[ "$(code "$M/v1/admin/groups")" = 404 ] || fail "the metrics listener serves the admin API"
[ "$(code -X POST "$M/metrics")" = 405 ] || fail "POST on the metrics listener"
echo "ok: the metrics listener answers /metrics, /healthz, /readyz only, without a token"

# --- the exposition parses and holds the named metrics -----------------------
python3 "$SOURCE_ROOT/tests/e2e/prom_parse.py" <"$TMP/sep.prom" >"$TMP/samples" ||
	fail "the exposition does not parse"
python3 "$SOURCE_ROOT/tests/e2e/prom_parse.py" <"$TMP/main.prom" >/dev/null ||
	fail "the exposition (main listener) does not parse"
val() { # SAMPLE (name with labels): its value
	awk -v k="$1" '$1 == k { print $2 }' "$TMP/samples"
}
for m in sluice_http_requests_total sluice_http_request_duration_seconds_bucket \
	sluice_http_request_duration_seconds_sum sluice_http_request_duration_seconds_count \
	sluice_agent_syncs_total sluice_agent_reports_total sluice_events_stored \
	sluice_sync_runs_total sluice_sync_last_success_timestamp_seconds \
	sluice_downloads sluice_downloads_bytes sluice_content_served_bytes_total \
	sluice_download_bytes_total sluice_computers sluice_database_size_bytes; do
	grep -q "^$m[{ ]" "$TMP/samples" || fail "no metric $m"
done
[ "$(val sluice_agent_syncs_total)" -ge 2 ] || fail "agent syncs $(val sluice_agent_syncs_total)"
[ "$(val sluice_agent_reports_total)" -ge 1 ] || fail "agent reports $(val sluice_agent_reports_total)"
[ "$(val sluice_events_stored)" -ge 1 ] || fail "events $(val sluice_events_stored)"
[ "$(val 'sluice_sync_runs_total{result="success"}')" = 1 ] || fail "sync runs"
[ "$(val 'sluice_sync_runs_total{result="failure"}')" = 0 ] || fail "sync failures"
[ "$(val sluice_sync_last_success_timestamp_seconds)" -gt 1700000000 ] || fail "last sync time"
[ "$(val 'sluice_computers{last_contact="1h"}')" = 1 ] || fail "computers contacted within 1h"
[ "$(val 'sluice_downloads{state="present"}')" = 1 ] || fail "downloads present"
size=$(stat -c %s "$TMP/files/install.sh")
[ "$(val 'sluice_downloads_bytes{state="present"}')" = "$size" ] || fail "downloads bytes"
[ "$(val sluice_content_served_bytes_total)" -ge "$size" ] || fail "content bytes served"
[ "$(val sluice_download_bytes_total)" -ge 0 ] || fail "download bytes"
[ "$(val sluice_database_size_bytes)" -gt 0 ] || fail "database size"
[ "$(val 'sluice_http_requests_total{route="/v1/agent/sync",method="POST",status="200"}')" -ge 2 ] ||
	fail "requests by route: $(grep agent/sync "$TMP/samples")"
[ "$(val 'sluice_http_requests_total{route="/metrics",method="GET",status="401"}')" = 3 ] ||
	fail "401s on /metrics: $(grep metrics "$TMP/samples")"
[ "$(val 'sluice_http_request_duration_seconds_count{route="/v1/agent/register",method="POST"}')" = 1 ] ||
	fail "the registration's duration"
echo "ok: the exposition parses; $(wc -l <"$TMP/samples") samples, every named metric present"

# --- without a metrics token: an admin or reporter token ---------------------
stop_server
sed -i '/^token = metrics-/d' "$DATA/sluiced.ini"
"$SLUICED" --config "$DATA/sluiced.ini" >>"$SERVER_LOG" 2>&1 &
SERVER_PID=$!
wait_port "$SERVER_PORT"
[ "$(code -H "Authorization: Bearer $ADMIN_TOKEN" "$SERVER_URL/metrics")" = 200 ] ||
	fail "metrics with the admin token: $(cat "$TMP/out")"
rep=$("$SLUICE" --json tokens create grafana --role reporter | jq -r .token)
[ "$(code -H "Authorization: Bearer $rep" "$SERVER_URL/metrics")" = 200 ] ||
	fail "metrics with a reporter token: $(cat "$TMP/out")"
[ "$(code "$SERVER_URL/metrics")" = 401 ] || fail "metrics without a token"
echo "ok: with no metrics token, /metrics takes an administrator or reporter token"
stop_server
