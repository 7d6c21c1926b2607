#!/usr/bin/env bash
# cluster_migrate_exact: sluiced --migrate-to keeps every value exact and
# commits all or nothing (run under tests/pg/with_cluster.sh).
#   - values that COPY's text format must escape or that are easy to lose
#     (tab, newline, carriage return, backslash, a literal \N and \.,
#     the empty string beside NULL, non-ASCII, control bytes, the 64-bit
#     extremes, a 200 KB text, blobs with NUL bytes into a bytea column of
#     a table the schema does not know, a blob of UTF-8 into a text
#     column) and 100,000 bulk events: every table compared field by field
#     (the bytes of each value, or NULL) on both sides;
#   - a failure in the middle leaves the target without data and names
#     the table: a dangling reference in the source (found when the
#     foreign key is put back), a value PostgreSQL refuses in the middle
#     of a table's COPY, and the target's connection killed in the middle
#     of one; the same database then takes the migration.
. "$(dirname "$0")/lib.sh"

[ -n "${SLUICE_TEST_DATABASE:-}" ] || fail "run under tests/pg/with_cluster.sh"
PGURL=$SLUICE_TEST_DATABASE
unset SLUICE_TEST_DATABASE
DATA=$TMP/data
start_server "$DATA"
stop_server
SLUICE_TEST_DATABASE=$PGURL
TARGET=$(database_url "$TMP/pg")
sq() { sqlite3 -bail -cmd '.timeout 10000' "$DATA/sluice.db" "$@"; }
pq() { psql -qAt -v ON_ERROR_STOP=1 "$TARGET" "$@"; }

# --- the source --------------------------------------------------------------
# A table of the source that no migration makes: the copy takes the
# tables of the target's schema, so the test adds it to both (bytea in
# PostgreSQL, the column type the copy writes as hex).
sq "CREATE TABLE zz_probe(id INTEGER PRIMARY KEY, b BLOB, t TEXT)"
pq -c "CREATE TABLE zz_probe(id BIGINT PRIMARY KEY, b BYTEA, t TEXT)"
odd="'host' || char(9) || 'tab' || char(10) || 'nl' || char(13) || 'cr'"
sq <<EOF
INSERT INTO groups(name, parent_id) VALUES('G' || char(9) || 'é日本🙂', 1);
INSERT INTO computers(id, token_hash, hostname, os_id, os_version, arch,
  kernel, agent_version, group_id, group_seq, registered_at, last_contact,
  last_report, machine_id, catalog_detail)
VALUES('c-odd-1', 'tok-odd-1', $odd, '\N', '', 'x\y\\\\z\\', 'é日本🙂', NULL,
  (SELECT id FROM groups WHERE name LIKE 'G%'), 9223372036854775807,
  -9223372036854775808, 0, NULL, 'm-odd-1', X'c3a9e697a5');
INSERT INTO events(event_id, computer_id, update_id, revision, time, kind,
  result, exit_code, output, received_at) VALUES
('e1', 'c-odd-1', 'u1', NULL, '2026-11-30T06:00:00Z', 'install', 'failure',
  -1, 'a' || char(10) || '\.' || char(10) || 'b', 1),
('e2', 'c-odd-1', 'u1', 9223372036854775807, 'é', 'install', 'success',
  -2147483649, '\.', -9223372036854775808),
('e3', 'c-odd-1', 'u2', 0, '', 'detect', 'success', 0,
  char(1) || char(27) || char(127) || '\\\\N' || char(13) || char(10), 0),
('e4', 'c-odd-1', 'u3', 1, NULL, 'install', 'success', NULL,
  hex(randomblob(100000)), 2);
INSERT INTO audit_log(at, actor, action, target, detail)
  VALUES(1, 'admin', 'test', '{"a":"b\\"c\\\\d"}', char(9) || char(9));
INSERT INTO zz_probe(id, b, t) VALUES
  (1, X'', ''), (2, X'00', NULL), (3, X'00ff5c0a090d4e2e', 'tab' || char(9)),
  (4, randomblob(5000), '\N'), (5, NULL, char(1) || char(127)),
  (6, 'text in a blob column\\', X'e697a5'),
  (9223372036854775807, X'5c2e0a', '\.');
WITH RECURSIVE e(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM e
  WHERE x < 100000)
INSERT INTO events(event_id, computer_id, update_id, revision, time, kind,
  result, exit_code, output, received_at)
SELECT 'bulk-' || x, 'c-odd-1', 'u' || (x % 50), 1, '2026-11-30T06:00:00Z',
  'install', 'success', x % 3, 'line' || char(9) || x, x FROM e;
EOF

migrate() { "$SLUICED" --config "$DATA/sluiced.ini" --migrate-to "$TARGET"; }
# The target holds nothing but the fresh schema's own rows.
target_empty() {
	local t n
	for t in computers events audit_log zz_probe states; do
		n=$(pq -c "SELECT count(*) FROM $t")
		[ "$n" = 0 ] || fail "$1: $t holds $n rows after the failure"
	done
	n=$(pq -c "SELECT count(*) FROM groups")
	[ "$n" = 2 ] || fail "$1: groups holds $n rows after the failure"
}

# --- failures in the middle --------------------------------------------------
# A computer in a group that does not exist: found when computers'
# foreign key is put back, after other tables were copied.
sq "UPDATE computers SET group_id = 999 WHERE id = 'c-odd-1'"
migrate >/dev/null 2>"$TMP/fk.err" && fail "a dangling reference migrated"
grep -q "migrate: computers: .*foreign key.*Key (group_id)=(999)" "$TMP/fk.err" ||
	fail "dangling reference: $(cat "$TMP/fk.err")"
target_empty "dangling reference"
sq "UPDATE computers SET group_id = (SELECT id FROM groups WHERE name LIKE 'G%')"

# A value PostgreSQL refuses, in the middle of the events' COPY.
sq "UPDATE events SET exit_code = 'oops' WHERE event_id = 'bulk-50000'"
migrate >/dev/null 2>"$TMP/bad.err" && fail "a bad value migrated"
grep -q 'migrate: events: .*invalid input syntax for type bigint: "oops".*COPY events, line [0-9]*, column exit_code' \
	"$TMP/bad.err" || fail "bad value: $(cat "$TMP/bad.err")"
target_empty "bad value"
sq "UPDATE events SET exit_code = 2 WHERE event_id = 'bulk-50000'"

# The target's connection killed halfway, in the middle of the events'
# COPY (other tables copied): a watcher in the server terminates it as
# soon as it shows.
pq -c "DO \$\$ DECLARE p int; BEGIN
  FOR i IN 1..120000 LOOP
    PERFORM pg_stat_clear_snapshot();
    SELECT pid INTO p FROM pg_stat_activity WHERE state = 'active' AND
      query LIKE 'COPY events%' AND pid <> pg_backend_pid();
    IF p IS NOT NULL THEN PERFORM pg_terminate_backend(p); RETURN; END IF;
    PERFORM pg_sleep(0.001);
  END LOOP;
  RAISE EXCEPTION 'no COPY of events seen';
END \$\$" >"$TMP/watch.out" 2>&1 &
WATCH=$!
sleep 0.5
migrate >"$TMP/kill.out" 2>"$TMP/kill.err" && fail "the migration succeeded without its connection"
wait "$WATCH" || fail "watcher: $(cat "$TMP/watch.out")"
grep -Eq "migrate: events: .*(terminating connection|server closed the connection)" "$TMP/kill.err" ||
	fail "killed connection: $(cat "$TMP/kill.err")"
# Tables before events were copied (one line each) when it was killed.
grep -q "^audit_log  *2 rows" "$TMP/kill.out" || fail "nothing copied before: $(cat "$TMP/kill.out")"
grep -q "^events " "$TMP/kill.out" && fail "events reported copied"
target_empty "killed connection"

# --- the copy, then every value compared ---------------------------------------
migrate >"$TMP/ok.out" 2>"$TMP/ok.err" || fail "migrate: $(cat "$TMP/ok.err")"
grep -q "^zz_probe  *7 rows" "$TMP/ok.out" || fail "zz_probe: $(cat "$TMP/ok.out")"
grep -q "^events  *100004 rows" "$TMP/ok.out" || fail "events: $(cat "$TMP/ok.out")"
# Each row as the hex of each value's bytes (NULL apart), sorted.
pq -c "SELECT table_name FROM information_schema.tables WHERE table_schema =
  current_schema() AND table_type = 'BASE TABLE' ORDER BY 1" >"$TMP/tables"
[ "$(wc -l <"$TMP/tables")" -gt 20 ] || fail "tables: $(cat "$TMP/tables")"
# PostgreSQL packs the states into pages: compare them through its
# states view, row by row with SQLite's table.
sed -i 's/^state_pages$/states/' "$TMP/tables"
while read -r t; do
	pe= se=
	while IFS='|' read -r c ty; do
		if [ "$ty" = bytea ]; then
			p="upper(encode($c, 'hex'))"
		else
			p="upper(encode(convert_to($c::text, 'UTF8'), 'hex'))"
		fi
		pe="$pe${pe:+ || '|' || }CASE WHEN $c IS NULL THEN 'NULL' ELSE $p END"
		se="$se${se:+ || '|' || }CASE WHEN $c IS NULL THEN 'NULL' ELSE hex(CAST($c AS BLOB)) END"
	done < <(pq -c "SELECT column_name, data_type FROM information_schema.columns
	  WHERE table_schema = current_schema() AND table_name = '$t'
	  ORDER BY ordinal_position")
	pq -c "SELECT $pe FROM $t" | LC_ALL=C sort >"$TMP/p.rows"
	sq "SELECT $se FROM $t" | LC_ALL=C sort >"$TMP/s.rows"
	cmp -s "$TMP/p.rows" "$TMP/s.rows" ||
		fail "$t differs: $(diff "$TMP/s.rows" "$TMP/p.rows" | head -c 2000)"
done <"$TMP/tables"
# Spot checks in PostgreSQL's own terms.
[ "$(pq -c "SELECT group_seq FROM computers WHERE id = 'c-odd-1'")" = 9223372036854775807 ] ||
	fail "group_seq"
[ "$(pq -c "SELECT os_id = E'\\\\N' AND os_version = '' AND agent_version IS NULL FROM computers")" = t ] ||
	fail "\\N, empty and NULL"
[ "$(pq -c "SELECT encode(b, 'hex') FROM zz_probe WHERE id = 3")" = 00ff5c0a090d4e2e ] ||
	fail "bytea"
[ "$(pq -c "SELECT length(output) FROM events WHERE event_id = 'e4'")" = 200000 ] ||
	fail "long text"
[ "$(pq -c "SELECT catalog_detail FROM computers")" = "é日" ] || fail "UTF-8 blob"
# The keys, indexes and foreign keys set aside for the copy are back.
[ "$(pq -c "SELECT count(*) FROM pg_indexes WHERE schemaname = current_schema() AND indexname IN ('events_pkey', 'computers_ckey', 'computers_machine', 'update_states_update')")" -ge 3 ] ||
	fail "indexes: $(pq -c "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()")"
[ "$(pq -c "SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND connamespace = current_schema()::regnamespace")" -ge 4 ] ||
	fail "foreign keys"
echo "cluster_migrate_exact: ok"
