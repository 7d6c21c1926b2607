#!/usr/bin/env bash
# cluster_migrate: sluiced --migrate-to copies a running SQLite installation
# into PostgreSQL (run under tests/pg/with_cluster.sh): every table's count
# matches, a second migration into the same database is refused, and a
# front-end on PostgreSQL then serves the same computers, groups, updates
# and approvals; the agent carries on with its token.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent_lib.sh"

[ -n "${SLUICE_TEST_DATABASE:-}" ] || fail "run under tests/pg/with_cluster.sh"
U1=d1d1d1d1-0000-4000-8000-000000000001
catalog_setup
mkdir -p "$TMP/files"
printf 'mkdir -p "$SLUICE_ROOT/opt"; touch "$SLUICE_ROOT/opt/%s"\n' $U1 >"$TMP/files/i.sh"
define $U1 "Migrated" \
	"{\"is_installed\":{\"type\":\"file_exists\",\"path\":\"/opt/$U1\"},\"is_installable\":{\"type\":\"true\"}}" \
	'{"handler":"script","arguments":["i.sh"]}'
add $U1 "$TMP/files/i.sh"

# An SQLite installation with some history (start_server uses SQLite when
# SLUICE_TEST_DATABASE is unset).
PGURL=$SLUICE_TEST_DATABASE
unset SLUICE_TEST_DATABASE
server_up none
agent_conf
approve $U1 install
agent detect || agent_fail detect
agent install || agent_fail install
# States at PostgreSQL's page edges (128 update keys a row of state_pages),
# one not-applicable (no time), written straight into SQLite.
sqlite3 "$DATA/sluice.db" "INSERT INTO states(ckey, ukey, v, t) SELECT ckey,
  k, 16 * k + k % 6, CASE WHEN k % 6 = 0 THEN NULL ELSE 1000 + k END FROM
  computers, (SELECT 127 AS k UNION ALL SELECT 128 UNION ALL SELECT 255
  UNION ALL SELECT 256 UNION ALL SELECT 1002)" || fail "edge states"
STATES_SQL="SELECT ckey, ukey, v, coalesce(t, -1) FROM states ORDER BY 1, 2"
COUNTS_SQL="SELECT ukey, rev, st, n FROM state_counts WHERE n <> 0 ORDER BY 1, 2, 3"
api GET /v1/admin/computers
before_computers=$(jq -c '[.computers[].id] | sort' <<<"$BODY")
api GET /v1/admin/groups
before_groups=$(jq -c '[.. | objects | select(has("name")) | .name] | sort' <<<"$BODY")

# --- migrate while it runs ---------------------------------------------------
SLUICE_TEST_DATABASE=$PGURL
TARGET=$(database_url "$TMP/pg")
"$SLUICED" --config "$DATA/sluiced.ini" --migrate-to "$TARGET" >"$TMP/migrate.out" 2>"$TMP/migrate.err" ||
	fail "migrate: $(cat "$TMP/migrate.err")"
server_alive
grep -q "counts verified" "$TMP/migrate.err" || fail "no verification line"
# Each table's count, checked again from outside.
while read -r table n _; do
	want=$(sqlite3 "$DATA/sluice.db" "SELECT count(*) FROM $table")
	got=$(psql -qAt "$TARGET" -c "SELECT count(*) FROM $table")
	[ "$want" = "$n" ] && [ "$got" = "$n" ] ||
		fail "$table: sqlite $want, reported $n, postgresql $got"
done <"$TMP/migrate.out"
for t in computers states state_counts group_counts events groups approvals updates; do
	grep -q "^$t " "$TMP/migrate.out" || fail "$t not migrated"
done
[ "$(awk '$1=="computers"{print $2}' "$TMP/migrate.out")" = 1 ] || fail "computers count"
# The states arrive packed, slot for slot, with their counters.
[ "$(psql -qAt "$TARGET" -c "$STATES_SQL")" = "$(sqlite3 "$DATA/sluice.db" "$STATES_SQL")" ] ||
	fail "states differ: $(psql -qAt "$TARGET" -c "$STATES_SQL")"
[ "$(psql -qAt "$TARGET" -c "$COUNTS_SQL")" = "$(sqlite3 "$DATA/sluice.db" "$COUNTS_SQL")" ] ||
	fail "state counts differ"
[ "$(psql -qAt "$TARGET" -c "SELECT count(*) FROM state_pages")" = \
	"$(sqlite3 "$DATA/sluice.db" "SELECT count(DISTINCT ckey * 1000000 + ukey / 128) FROM states")" ] ||
	fail "pages: $(psql -qAt "$TARGET" -c "SELECT ckey, pg FROM state_pages")"
# A second migration into the same database is refused, changing nothing.
"$SLUICED" --config "$DATA/sluiced.ini" --migrate-to "$TARGET" >/dev/null 2>"$TMP/again.err" &&
	fail "a second migration succeeded"
grep -q "target already holds data" "$TMP/again.err" || fail "$(cat "$TMP/again.err")"
stop_server

# --- the same installation on PostgreSQL ------------------------------------
sed -i '/^\[database\]/,$d' "$DATA/sluiced.ini"
printf '[database]\nurl = %s\n' "$TARGET" >>"$DATA/sluiced.ini"
"$SLUICED" --config "$DATA/sluiced.ini" >>"$DATA/pg.log" 2>&1 &
SERVER_PID=$!
SERVER_LOG=$DATA/pg.log
wait_port "$SERVER_PORT"
for ((i = 0; i < 50; i++)); do
	grep -q "listening on" "$DATA/pg.log" && break
	sleep 0.1
done
api GET /v1/admin/computers
[ "$HTTP_STATUS" = 200 ] || fail "computers on PostgreSQL: $HTTP_STATUS $BODY"
[ "$(jq -c '[.computers[].id] | sort' <<<"$BODY")" = "$before_computers" ] ||
	fail "computers differ: $BODY"
api GET /v1/admin/groups
[ "$(jq -c '[.. | objects | select(has("name")) | .name] | sort' <<<"$BODY")" = "$before_groups" ] ||
	fail "groups differ: $BODY"
[ "$(state_of $U1)" = installed ] || fail "state after migration: $(state_of $U1)"
# The agent's token still works; new groups get fresh ids.
agent detect || agent_fail "detect on PostgreSQL"
api POST /v1/admin/groups '{"name":"after-migration"}'
[ "$HTTP_STATUS" = 201 ] || fail "new group: $HTTP_STATUS $BODY"
api POST /v1/admin/sync
[ "$HTTP_STATUS" = 202 ] || fail "sync: $HTTP_STATUS"
# The counters PostgreSQL's triggers keep from there on match a recount.
RECOUNT="SELECT ukey, v / 16, v % 8, count(*) FROM states GROUP BY 1, 2, 3"
[ "$(psql -qAt "$TARGET" -c "SELECT count(*) FROM (($RECOUNT EXCEPT SELECT ukey, rev, st, n FROM state_counts WHERE n <> 0) UNION ALL (SELECT ukey, rev, st, n FROM state_counts WHERE n <> 0 EXCEPT $RECOUNT)) x")" = 0 ] ||
	fail "counters after migration differ from the states"
stop_server
echo "cluster_migrate: ok"
