#!/usr/bin/env bash
# A computer in several groups (client-side targeting with several names,
# sluice computers add/remove; where the groups' approvals conflict,
# install wins over uninstall, either over not approved, the earliest
# deadline wins), counted once in reports; the computer lifecycle: the
# agent logs the groups it joined and warns of unknown ones, --stale lists
# computers that stopped reporting, delete revokes the token, and a
# reinstalled machine with the same machine identity replaces its record.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent_lib.sh"

U1=cccccccc-0000-4000-8000-000000000001
U2=cccccccc-0000-4000-8000-000000000002
U3=cccccccc-0000-4000-8000-000000000003
U4=cdcccccc-0000-4000-8000-000000000004

catalog_setup
mkdir -p "$ROOT/etc"
printf 'ID=sluicetest\nVERSION_ID="1.0"\n' >"$ROOT/etc/os-release"
echo "0123456789abcdef0123456789abcdef" >"$ROOT/etc/machine-id"
inst='{"handler":"script","arguments":["run.sh"],"uninstall_arguments":["run.sh","remove"]}'
for u in $U1 $U2 $U3 $U4; do
	mkdir -p "$TMP/files/$u"
	echo 'exit 0' >"$TMP/files/$u/run.sh"
	extra=
	[ $u = $U1 ] && extra='"kb_article":"KB5001","security_bulletin":"DSA-5111-1"'
	define $u "Update ${u: -1}" \
		"{\"is_installed\":{\"type\":\"file_exists\",\"path\":\"/opt/${u: -1}\"},\"is_installable\":{\"type\":\"os_id\",\"id\":\"sluicetest\"}}" "$inst" "$extra"
	add $u "$TMP/files/$u/run.sh"
done
server_up full
api POST /v1/admin/groups '{"name":"db"}'
[ "$HTTP_STATUS" = 201 ] || fail "group db: $HTTP_STATUS $BODY"
agent_conf
sed -i 's/^groups = web$/groups = web, db, nope/' "$ACONF"

appr() { # ID GROUP ACTION [DEADLINE]
	local dl=null
	[ -n "${4:-}" ] && dl="\"$4\""
	api POST /v1/admin/approvals "{\"update\":\"$1\",\"group\":\"$2\",\"action\":\"$3\",\"deadline\":$dl}"
	[ "$HTTP_STATUS" = 200 ] || fail "approve $1 $2 $3: $HTTP_STATUS $BODY"
}
view() { sqlite3 "$STATE/agent.db" "SELECT action || ' ' || coalesce(deadline, '-') FROM view WHERE id='$1'"; }

appr $U1 web install
appr $U1 db not-approved
appr $U2 web install
appr $U2 db uninstall
appr $U3 web install 2030-01-01T00:00:00Z
appr $U3 db install 2029-01-01T00:00:00Z
appr $U4 db uninstall

# --- 8. the agent says which groups it joined; 6. it joins every one -------
agent detect || agent_fail "detect"
grep -q "joined group(s): web, db" "$AGENT_LOG" || agent_fail "joined groups not logged"
grep -q "WARN.*requested group(s) that do not exist on the server: nope" "$AGENT_LOG" ||
	agent_fail "the unknown group is not logged as a warning"
CID=$(computer_id)
"$SLUICE" computers | grep "$CID" | grep -q "web, db" || fail "groups column: $("$SLUICE" computers)"

# --- 6. conflicts between the groups' approvals -----------------------------
[ "$(view $U1)" = "install -" ] || agent_fail "install over not approved: $(view $U1)"
[ "$(view $U2)" = "install -" ] || agent_fail "install over uninstall: $(view $U2)"
[ "$(view $U3)" = "install $(date -d 2029-01-01T00:00:00Z +%s)" ] ||
	agent_fail "the earliest deadline: $(view $U3)"
[ "$(view $U4)" = "uninstall -" ] || agent_fail "uninstall over not approved: $(view $U4)"
"$SLUICE" computers --group db | grep -q "$CID" || fail "--group db"
"$SLUICE" computers --group web | grep -q "$CID" || fail "--group web"

# Reports count the computer once.
api GET /v1/admin/updates
jq -e --arg u $U1 '.updates[] | select(.id==$u) | .counts |
	(.needed == 1) and ([.[]] | add) == 1' <<<"$BODY" >/dev/null ||
	fail "counted more than once: $BODY"

# --- remove and add again -----------------------------------------------------
"$SLUICE" computers remove "$CID" db | grep -q "is no longer in 'db'" || fail "remove"
agent detect || agent_fail "detect after remove"
grep -q "synced fully" "$AGENT_LOG" || agent_fail "no full sync after a membership change"
[ "$(view $U4)" = "none -" ] || agent_fail "U4 after leaving db: $(view $U4)"
[ "$(view $U3)" = "install $(date -d 2030-01-01T00:00:00Z +%s)" ] || agent_fail "U3 after leaving db: $(view $U3)"
rc=0
out=$("$SLUICE" computers remove "$CID" web 2>&1) || rc=$?
[ $rc = 1 ] && grep -q "only group" <<<"$out" || fail "removing the only group: rc=$rc $out"
"$SLUICE" computers add "$CID" db >/dev/null || fail "add"
agent detect || agent_fail "detect after add"
[ "$(view $U4)" = "uninstall -" ] || agent_fail "U4 after joining db: $(view $U4)"
"$SLUICE" audit | grep -q "computer.group.add" || fail "membership not audited"

# --- 8. stale computers --------------------------------------------------------
"$SLUICE" computers --stale 1 | grep -q "$CID" && fail "a fresh computer listed as stale"
server_sql "$DATA" "UPDATE computers SET last_report = 1000 WHERE id = '$CID'"
"$SLUICE" computers --stale 30 | grep -q "$CID" || fail "--stale 30 misses it"

# --- 8. a reinstalled machine replaces its record ----------------------------
rm -rf "$STATE"
mkdir -p "$STATE"
agent detect || agent_fail "detect after reinstall"
[ "$(computer_id)" = "$CID" ] || fail "reinstalled machine got a new id: $(computer_id)"
[ "$("$SLUICE" --json computers | jq '.computers | length')" = 1 ] ||
	fail "duplicate computer: $("$SLUICE" computers)"

# --- 8. delete: the token stops working, the rows go -------------------------
TOK=$(sqlite3 "$STATE/agent.db" "SELECT value FROM meta WHERE key='token'")
"$SLUICE" computers delete "$CID" | grep -q "deleted" || fail "delete"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $TOK" \
	-d '{"anchor":null}' "$SERVER_URL/v1/agent/sync")
[ "$code" = 401 ] || fail "the deleted computer's token still works: $code"
[ "$(server_sql "$DATA" "SELECT count(*) FROM update_states WHERE computer_id = '$CID'")" = 0 ] ||
	fail "states of the deleted computer kept"
[ "$("$SLUICE" --json computers | jq '.computers | length')" = 0 ] || fail "still listed"

# --- 9. updates named as an administrator does --------------------------------
for name in KB5001 kb5001 5001 DSA-5111-1 dsa-5111-1; do
	"$SLUICE" updates show $name | grep -q "^$U1 " || fail "updates show $name"
done
"$SLUICE" updates show cd | grep -q "^$U4 " || fail "unique id prefix"
"$SLUICE" report update DSA-5111-1 | grep -q "(all computers)" || fail "report update by advisory"
"$SLUICE" updates approve cd web --action not-approved >/dev/null || fail "approve by prefix"
"$SLUICE" updates decline cd | grep -q "$U4" || fail "decline by prefix"
rc=0
out=$("$SLUICE" updates show cccc 2>&1) || rc=$?
[ $rc = 1 ] && grep -q "'cccc' is ambiguous: it names 3 updates:" <<<"$out" &&
	grep -q "  $U1  Update 1  KB5001  DSA-5111-1" <<<"$out" && grep -q "  $U3  Update 3" <<<"$out" ||
	fail "ambiguous prefix: rc=$rc $out"
rc=0
out=$("$SLUICE" updates show DSA-9999-1 2>&1) || rc=$?
[ $rc = 1 ] && grep -q "no update 'DSA-9999-1' (expected an id, an id prefix, a KB article or an advisory id)" <<<"$out" ||
	fail "unknown name: rc=$rc $out"
echo "computer_groups: ok"
