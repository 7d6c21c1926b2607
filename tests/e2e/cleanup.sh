#!/usr/bin/env bash
# Server cleanup on loopback: a server with superseded, expired and stale
# data (an old revision, files nothing needs, a computer that went away) is
# cleaned; the dry run changes nothing and says what would go; the real
# run does exactly that (numbers checked before and after), keeps what a
# computer still needs, is audited, and agents keep syncing meanwhile.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent_lib.sh"

U_OLD=cccccccc-0000-4000-8000-000000000001  # superseded by U_NEW, not needed
U_NEW=cccccccc-0000-4000-8000-000000000002
U_KEEP=cccccccc-0000-4000-8000-000000000003 # superseded, but needed here
U_K2=cccccccc-0000-4000-8000-000000000004   # its superseder (not applicable)
U_EXP=cccccccc-0000-4000-8000-000000000005  # withdrawn at the origin
U_REV=cccccccc-0000-4000-8000-000000000006  # two revisions, two files
catalog_setup
mkdir -p "$ROOT/etc"
printf 'ID=sluicetest\nVERSION_ID="1.0"\n' >"$ROOT/etc/os-release"
appl() { # NAME [OS]
	echo "{\"is_installed\":{\"type\":\"file_exists\",\"path\":\"/opt/$1/done\"},
	 \"is_installable\":{\"type\":\"os_id\",\"id\":\"${2:-sluicetest}\"}}"
}
inst='{"handler":"script","arguments":["install.sh"]}'
mk() { # ID NAME [OS] [EXTRA]
	mkdir -p "$TMP/files/$1-$2"
	printf 'echo %s\n' "$2" >"$TMP/files/$1-$2/install.sh"
	define "$1" "Cleanup $2" "$(appl "$2" "${3:-}")" "$inst" "${4:-}"
	add "$1" "$TMP/files/$1-$2/install.sh"
}
mk $U_OLD old
mk $U_NEW new sluicetest "\"supersedes\":[\"$U_OLD\"]"
mk $U_KEEP keep
mk $U_K2 k2 fedora "\"supersedes\":[\"$U_KEEP\"]"
mk $U_EXP exp
mk $U_REV rev1
server_up full
mk $U_REV rev2 # a second revision with another file
admin_sync
"$SLUICE" catalog expire "$CAT" $U_EXP >/dev/null || fail "catalog expire"
admin_sync
for u in $U_OLD $U_NEW $U_KEEP $U_K2 $U_REV; do approve $u install; done
for ((i = 0; i < 100; i++)); do
	[ "$(server_sql "$DATA" "SELECT count(*) FROM content WHERE state='present'")" = 7 ] && break
	sleep 0.1
done

# Two computers: one current, one that has not called in for 40 days.
agent_conf
agent detect || agent_fail "detect"
[ "$(state_of $U_KEEP)" = needed ] || agent_fail "U_KEEP should be needed: $BODY"
GONE=dddddddd-0000-4000-8000-0000000000aa
old=$(($(date +%s) - 40 * 86400))
server_sql "$DATA" "INSERT INTO computers(id, token_hash, hostname, group_id, registered_at, last_contact) VALUES('$GONE', 'x', 'retired-host', 1, $old, $old)"
# states are keyed by integers: v = 3 (installed) + 16 * revision 1; in
# PostgreSQL slot ukey % 128 + 1 of the computer's page ukey / 128
if [ -n "${SLUICE_TEST_DATABASE:-}" ]; then
	slot() { echo "(SELECT array_agg(CASE WHEN k = u.ukey % 128 THEN $1 END ORDER BY k) FROM generate_series(0, 127) k)"; }
	server_sql "$DATA" "INSERT INTO state_pages(ckey, pg, v, t) SELECT c.ckey, u.ukey / 128, $(slot 19), $(slot "$old") FROM computers c, update_status u WHERE c.id = '$GONE' AND u.id = '$U_NEW'"
else
	server_sql "$DATA" "INSERT INTO states(ckey, ukey, v, t) SELECT c.ckey, u.ukey, 19, $old FROM computers c, update_status u WHERE c.id = '$GONE' AND u.id = '$U_NEW'"
fi
server_sql "$DATA" "INSERT INTO computer_groups(computer_id, group_id) VALUES('$GONE', 2)"
# A file no update knows (left in the store).
orphan=$(printf 'orphan' | sha256sum | cut -c1-64)
mkdir -p "$DATA/content/${orphan:0:2}" && printf orphan >"$DATA/content/${orphan:0:2}/$orphan"

count() { server_sql "$DATA" "$1"; }
snapshot() {
	echo "declined=$(count "SELECT count(*) FROM update_status WHERE declined=1")" \
		"computers=$(count "SELECT count(*) FROM computers")" \
		"states=$(count "SELECT count(*) FROM update_states")" \
		"revisions=$(count "SELECT count(*) FROM updates")" \
		"content=$(count "SELECT count(*) FROM content")" \
		"files=$(find "$DATA/content" -type f | wc -l)"
}
before=$(snapshot)
[ "$before" = "declined=0 computers=2 states=6 revisions=7 content=7 files=8" ] ||
	fail "unexpected start: $before"

# --- dry run: reports, changes nothing -------------------------------------
"$SLUICE" --json cleanup --dry-run --superseded-days 0 --computer-days 30 >"$TMP/dry" ||
	fail "dry run: $(cat "$TMP/dry")"
step() { jq -r --arg s "$2" '.steps[] | select(.step==$s) | .count' "$1"; }
[ "$(step "$TMP/dry" superseded)" = 1 ] || fail "dry superseded: $(cat "$TMP/dry")"
jq -e --arg u $U_OLD '.steps[] | select(.step=="superseded") | .items[0].id == $u' "$TMP/dry" >/dev/null ||
	fail "dry superseded list: $(cat "$TMP/dry")"
[ "$(step "$TMP/dry" expired)" = 1 ] || fail "dry expired: $(cat "$TMP/dry")"
[ "$(step "$TMP/dry" computers)" = 1 ] || fail "dry computers: $(cat "$TMP/dry")"
jq -e '.steps[] | select(.step=="computers") | .items[0].hostname == "retired-host"' "$TMP/dry" >/dev/null ||
	fail "dry computers list: $(cat "$TMP/dry")"
[ "$(step "$TMP/dry" revisions)" = 1 ] || fail "dry revisions: $(cat "$TMP/dry")"
[ "$(snapshot)" = "$before" ] || fail "the dry run changed something: $(snapshot)"
"$SLUICE" cleanup --dry-run --superseded-days 0 --computer-days 30 --list >"$TMP/dry.txt" ||
	fail "dry run text"
grep -q "superseded updates: would decline 1" "$TMP/dry.txt" || fail "dry text: $(cat "$TMP/dry.txt")"
grep -q "retired-host" "$TMP/dry.txt" || fail "dry text list: $(cat "$TMP/dry.txt")"

# --- the real run, with an agent syncing all along --------------------------
(
	for ((i = 0; i < 30; i++)); do
		"$AGENT" detect --config "$ACONF" >>"$TMP/bg.log" 2>&1 || echo "FAILED $i" >>"$TMP/bg.fail"
	done
) &
bg=$!
"$SLUICE" --json cleanup --superseded-days 0 --computer-days 30 >"$TMP/run" ||
	fail "cleanup: $(cat "$TMP/run")"
wait $bg
[ ! -e "$TMP/bg.fail" ] || fail "agent syncs failed during cleanup: $(cat "$TMP/bg.fail"; tail -5 "$TMP/bg.log")"
[ "$(step "$TMP/run" superseded)" = 1 ] || fail "superseded: $(cat "$TMP/run")"
[ "$(step "$TMP/run" expired)" = 1 ] || fail "expired: $(cat "$TMP/run")"
[ "$(step "$TMP/run" computers)" = 1 ] || fail "computers: $(cat "$TMP/run")"
[ "$(step "$TMP/run" revisions)" = 1 ] || fail "revisions: $(cat "$TMP/run")"
jq -e '.steps[] | select(.step=="compact") | .size_before > 0' "$TMP/run" >/dev/null ||
	fail "compact: $(cat "$TMP/run")"
after=$(snapshot)
# Declined: U_OLD (superseded) and U_EXP (expired); U_KEEP stays (needed).
# Gone: the retired computer and its state, U_REV's first revision, and the
# files of U_OLD, U_EXP, rev1 (rows and files) and the orphan (file).
[ "$after" = "declined=2 computers=1 states=5 revisions=6 content=4 files=4" ] ||
	fail "after cleanup: $after (before: $before)"
[ "$(count "SELECT count(*) FROM computer_groups WHERE computer_id = '$GONE'")" = 0 ] ||
	fail "the deleted computer's group memberships are left"
[ "$(count "SELECT declined FROM update_status WHERE id='$U_KEEP'")" = 0 ] ||
	fail "a needed update was declined"
[ "$(count "SELECT declined FROM update_status WHERE id='$U_OLD'")" = 1 ] || fail "U_OLD not declined"
[ ! -e "$DATA/content/${orphan:0:2}/$orphan" ] || fail "orphan file kept"
api GET "/v1/admin/audit?action=update.decline"
[ "$(jq '[.audit[] | select(.detail | startswith("cleanup"))] | length' <<<"$BODY")" = 2 ] ||
	fail "declines not audited: $BODY"
api GET "/v1/admin/audit?action=computer.delete"
jq -e '.audit[0].target == "'$GONE'"' <<<"$BODY" >/dev/null || fail "deletion not audited: $BODY"

# The agent still works; a second run finds nothing to do.
agent install || agent_fail "install after cleanup"
"$SLUICE" --json cleanup --superseded-days 0 --computer-days 30 >"$TMP/run2" || fail "second cleanup"
[ "$(jq '[.steps[] | select(.step != "compact") | .count] | add' "$TMP/run2")" = 0 ] ||
	fail "second run did something: $(cat "$TMP/run2")"
[ "$(snapshot)" = "$after" ] || fail "second run changed: $(snapshot)"
server_alive
stop_server
echo "cleanup: ok"
