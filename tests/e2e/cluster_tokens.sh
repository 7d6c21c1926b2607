#!/usr/bin/env bash
# cluster_tokens: agents' token answers kept in memory by each front-end
# (store_tokcache.h) never outlive a change (run under
# tests/pg/with_cluster.sh). Two front-ends A and B on one database, each
# having answered the agents' no-change syncs from memory:
#   - a computer deleted on A: its token is refused by A at once, by B
#     within the documented bound (one poll, 1 s; checked at 3 s), and a
#     report to B is refused at once (the report checks the row);
#   - a computer moved to another group on B: its next sync is a full one
#     on B at once, on A within the bound;
#   - a computer registered again (same machine id, a new token) on B: the
#     old token is refused by B at once, by A within the bound, the new
#     one works on both;
#   - an approval on A: the next sync with the old anchor is no longer a
#     no-change on A at once, on B within the bound;
#   - with token_cache = 0 the same answers come from the database.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cluster_lib.sh"

BOUND=3 # seconds: the 1 s poll plus the time of a loaded machine

"$SLUICE" catalog init "$TMP/catalog" >/dev/null || fail "catalog init"
KEY=$(ls "$TMP"/catalog/public/keys/*.pub | head -n 1)
U1=7b3c9e2a-1d4f-4a6b-9c8d-0e1f2a3b4c5d
mkdir -p "$TMP/files"
printf 'true\n' >"$TMP/files/u1.sh"
cat >"$TMP/u1.json" <<EOD
{"id":"$U1","title":"Tokens one","classification":"security",
 "product":"Cluster Test","release_date":"2026-11-01",
 "applicability":{"is_installed":{"type":"file_exists","path":"/opt/u1"},
  "is_installable":{"type":"true"}},
 "install":{"handler":"script","arguments":["u1.sh"]}}
EOD
"$SLUICE" catalog add "$TMP/catalog" "$TMP/u1.json" "$TMP/files/u1.sh" \
	>/dev/null || fail "catalog add"
INI="[upstream]
url = file://$TMP/catalog/public
trusted_keys = $KEY
syncs_per_day = 0
[storage]
mode = none"
fe_start A "$INI"
fe_start B "$INI"
SERVER_URL=$A_URL
api POST /v1/admin/sync
[ "$HTTP_STATUS" = 202 ] || cfail "sync: $HTTP_STATUS $BODY"
for ((i = 0; i < 100; i++)); do
	[ "$(db_sql "SELECT count(*) FROM sync_history WHERE result = 'success'")" = 1 ] && break
	sleep 0.2
done
api POST /v1/admin/groups '{"name":"moved"}'
[ "$HTTP_STATUS" = 201 ] || cfail "group: $HTTP_STATUS $BODY"

# register URL HOST [MACHINE-ID]: prints "ID TOKEN"
register() {
	local body="{\"hostname\":\"$2\"${3:+,\"machine_id\":\"$3\"}}"
	curl -sS -X POST -H 'Content-Type: application/json' \
		--data-binary "$body" "$1/v1/agent/register" |
		jq -r '.computer_id + " " + .token'
}
# sync URL TOKEN ANCHOR: sets CODE and ANS (the answer)
sync_as() {
	local a=null
	[ "$3" = null ] || a="\"$3\""
	CODE=$(curl -sS -o "$TMP/sync.out" -w '%{http_code}' -X POST \
		-H "Authorization: Bearer $2" -H 'Content-Type: application/json' \
		--data-binary "{\"anchor\":$a,\"protocol\":2}" "$1/v1/agent/sync")
	ANS=$(cat "$TMP/sync.out")
}
# within SECONDS CMD...: CMD succeeds within SECONDS (retried)
within() {
	local until=$(($(date +%s%N) / 1000000 + $1 * 1000))
	shift
	while ! "$@"; do
		[ $(($(date +%s%N) / 1000000)) -lt "$until" ] || return 1
		sleep 0.05
	done
}
refused() { sync_as "$1" "$2" "$ANCHOR"; [ "$CODE" = 401 ]; }
full_sync() { sync_as "$1" "$2" "$3"; [ "$CODE" = 200 ] && [ "$(jq -r .full <<<"$ANS")" = true ]; }
changed() { sync_as "$1" "$2" "$3"; [ "$CODE" = 200 ] && [ "$(jq -r .anchor <<<"$ANS")" != "$3" ]; }
# nochange URL TOKEN...: each token's sync is a no-change (twice: the
# second one from memory)
nochange() {
	local url=$1 t
	shift
	for t in "$@"; do
		for _ in 1 2; do
			sync_as "$url" "$t" "$ANCHOR"
			[ "$CODE" = 200 ] || cfail "sync on $url: $CODE $ANS"
			[ "$(jq -c '[.full, (.updates | length), .anchor]' <<<"$ANS")" = "[false,0,\"$ANCHOR\"]" ] ||
				cfail "not a no-change on $url: $ANS"
		done
	done
}
# fresh: the anchor now (a full sync) and every token warm on both
fresh() {
	sync_as "$A_URL" "$TX" null
	[ "$CODE" = 200 ] || cfail "full sync: $CODE $ANS"
	ANCHOR=$(jq -r .anchor <<<"$ANS")
	nochange "$A_URL" "$@"
	nochange "$B_URL" "$@"
}

read -r X TX <<<"$(register "$A_URL" hx)"
read -r Y TY <<<"$(register "$A_URL" hy)"
read -r Z TZ <<<"$(register "$B_URL" hz machine-z)"
[ -n "$TX" ] && [ -n "$TY" ] && [ -n "$TZ" ] || cfail "registration failed"

# --- delete on A ------------------------------------------------------------
fresh "$TX" "$TY" "$TZ"
SERVER_URL=$A_URL
api DELETE "/v1/admin/computers/$X"
[ "$HTTP_STATUS" = 200 ] || [ "$HTTP_STATUS" = 204 ] || cfail "delete: $HTTP_STATUS $BODY"
refused "$A_URL" "$TX" || cfail "A still accepts the deleted computer's token: $CODE $ANS"
code=$(curl -sS -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $TX" \
	-H 'Content-Type: application/json' --data-binary '{"states":[],"events":[]}' \
	"$B_URL/v1/agent/report")
[ "$code" = 401 ] || cfail "B accepted a report of the deleted computer: $code"
within "$BOUND" refused "$B_URL" "$TX" ||
	cfail "B accepts the deleted computer's token after ${BOUND}s: $CODE $ANS"
[ "$(db_sql "SELECT count(*) FROM computers WHERE id = '$X'")" = 0 ] ||
	cfail "the deleted computer came back"

# --- move on B --------------------------------------------------------------
TX=$TY # fresh's full sync
fresh "$TY" "$TZ"
SERVER_URL=$B_URL
api PUT "/v1/admin/computers/$Y/group" '{"group":"moved"}'
[ "$HTTP_STATUS" = 200 ] || cfail "move: $HTTP_STATUS $BODY"
full_sync "$B_URL" "$TY" "$ANCHOR" || cfail "B: no full sync after the move: $CODE $ANS"
within "$BOUND" full_sync "$A_URL" "$TY" "$ANCHOR" ||
	cfail "A: no full sync ${BOUND}s after the move: $CODE $ANS"

# --- registered again on B (a new token) ------------------------------------
fresh "$TY" "$TZ"
read -r Z2 TZ2 <<<"$(register "$B_URL" hz2 machine-z)"
[ "$Z2" = "$Z" ] || cfail "registered again as $Z2, not $Z"
refused "$B_URL" "$TZ" || cfail "B still accepts the replaced token: $CODE $ANS"
within "$BOUND" refused "$A_URL" "$TZ" ||
	cfail "A accepts the replaced token after ${BOUND}s: $CODE $ANS"
for u in "$A_URL" "$B_URL"; do
	sync_as "$u" "$TZ2" null
	[ "$CODE" = 200 ] || cfail "new token on $u: $CODE $ANS"
done

# --- an approval on A ---------------------------------------------------------
fresh "$TY" "$TZ2"
SERVER_URL=$A_URL
api POST /v1/admin/approvals "{\"update\":\"$U1\",\"group\":\"All Computers\",\"action\":\"install\"}"
[ "$HTTP_STATUS" = 200 ] || cfail "approve: $HTTP_STATUS $BODY"
changed "$A_URL" "$TZ2" "$ANCHOR" || cfail "A: a no-change sync after the approval: $ANS"
[ "$(jq '.updates | length' <<<"$ANS")" = 1 ] || cfail "A: the approval is not in the answer: $ANS"
within "$BOUND" changed "$B_URL" "$TZ2" "$ANCHOR" ||
	cfail "B: still a no-change ${BOUND}s after the approval: $ANS"

# --- without the cache ----------------------------------------------------------
fe_stop B
fe_start B "$INI
[server]
token_cache = 0"
grep -q "^token_cache = 0" "$TMP/B/sluiced.ini" || cfail "token_cache not set"
fresh "$TY" "$TZ2"
SERVER_URL=$B_URL
api DELETE "/v1/admin/computers/$Y"
refused "$B_URL" "$TY" || cfail "B (no cache) accepts a deleted computer: $CODE"
within "$BOUND" refused "$A_URL" "$TY" ||
	cfail "A accepts a computer deleted on B after ${BOUND}s: $CODE"

fe_stop A
fe_stop B
echo "cluster_tokens: ok"
