#!/usr/bin/env bash
# Every update that is not declined is evaluated by every computer, and only
# approved ones are installed (agent sync protocol 2); an expired update can
# still be removed; the sync answer comes in pages that a cursor continues.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent_lib.sh"

U_APP=bbbbbbbb-0000-4000-8000-000000000001  # applicable, never approved
U_NA=bbbbbbbb-0000-4000-8000-000000000002   # not applicable, never approved
U_OK=bbbbbbbb-0000-4000-8000-000000000003   # applicable, approved
U_OLD=bbbbbbbb-0000-4000-8000-000000000004  # installed, then expired
U_DEC=bbbbbbbb-0000-4000-8000-000000000005  # declined

catalog_setup
mkdir -p "$ROOT/etc"
printf 'ID=sluicetest\nVERSION_ID="1.0"\n' >"$ROOT/etc/os-release"

script() { # ID NAME
	mkdir -p "$TMP/files/$1"
	cat >"$TMP/files/$1/run.sh" <<EOS
set -e
if [ "\$1" = remove ]; then rm -rf "\$SLUICE_ROOT/opt/$2"; exit 0; fi
mkdir -p "\$SLUICE_ROOT/opt/$2"
echo done > "\$SLUICE_ROOT/opt/$2/done"
EOS
}
appl() { # NAME [INSTALLABLE-RULE]
	echo "{\"is_installed\":{\"type\":\"file_exists\",\"path\":\"/opt/$1/done\"},
	 \"is_installable\":${2:-{\"type\":\"os_id\",\"id\":\"sluicetest\"\}}}"
}
inst='{"handler":"script","arguments":["run.sh","install"],"uninstall_arguments":["run.sh","remove"]}'
for u in "$U_APP app" "$U_OK ok" "$U_OLD old" "$U_DEC dec"; do
	set -- $u
	script $1 $2
	define $1 "Update $2" "$(appl $2)" "$inst"
	add $1 "$TMP/files/$1/run.sh"
done
script $U_NA na
define $U_NA "Update na" "$(appl na '{"type":"os_id","id":"fedora"}')" "$inst"
add $U_NA "$TMP/files/$U_NA/run.sh"

server_up full
agent_conf
api POST /v1/admin/updates/$U_DEC/decline
[ "$HTTP_STATUS" = 200 ] || fail "decline: $HTTP_STATUS $BODY"
approve $U_OK install
approve $U_OLD install

# --- 1. unapproved updates are evaluated ---------------------------------
# WSUS: "If you do not approve an update, it remains in the Not approved
# state ... clients evaluate whether or not they need the update." The
# Needed count is how an administrator decides what to approve.
agent install || agent_fail "install"
[ -f "$ROOT/opt/ok/done" ] || agent_fail "the approved update was not installed"
[ ! -e "$ROOT/opt/app" ] || agent_fail "an unapproved update was installed"
[ "$(state_of $U_APP)" = needed ] || agent_fail "unapproved applicable: $(state_of $U_APP)"
[ "$(state_of $U_NA)" = not-applicable ] || agent_fail "unapproved n/a: $(state_of $U_NA)"
[ "$(state_of $U_OK)" = installed ] || agent_fail "approved: $(state_of $U_OK)"
[ -z "$(state_of $U_DEC)" ] || agent_fail "a declined update was evaluated: $(state_of $U_DEC)"
api GET "/v1/admin/updates"
jq -e --arg u $U_APP '.updates[] | select(.id==$u) | .counts.needed == 1' \
	<<<"$BODY" >/dev/null || fail "needed count of the unapproved update: $BODY"
"$SLUICE" updates --needed 2>&1 | grep -q "$U_APP" ||
	fail "sluice updates --needed does not list the unapproved update"
# Approving it later installs it (an incremental sync hands the approval).
approve $U_APP install
agent install || agent_fail "install after approval"
[ -f "$ROOT/opt/app/done" ] || agent_fail "approved later, not installed"

# --- 2. an expired update can be removed ----------------------------------
# WSUS: an expired update cannot be approved for installation; the only
# approval it still takes is Uninstall ("you can approve expired updates
# for removal only").
"$SLUICE" catalog expire "$CAT" $U_OLD >/dev/null || fail "catalog expire"
admin_sync
approve $U_OLD uninstall
agent install || agent_fail "uninstall run"
[ ! -e "$ROOT/opt/old" ] || agent_fail "the expired update was not removed"
[ "$(jq -r '.[0].result' <<<"$(events_of $U_OLD uninstall)")" = success ] ||
	agent_fail "uninstall event of the expired update: $BODY"
# Withdrawing the removal makes it leave the view (expired: nothing to do).
api POST /v1/admin/approvals "{\"update\":\"$U_OLD\",\"group\":\"web\",\"action\":\"not-approved\",\"deadline\":null}"
agent detect || agent_fail "detect"
[ "$(sqlite3 "$STATE/agent.db" "SELECT count(*) FROM view WHERE id='$U_OLD'")" = 0 ] ||
	agent_fail "an expired, unapproved update stayed in the view"

# --- the answer in pages -----------------------------------------------------
TOK=$(sqlite3 "$STATE/agent.db" "SELECT value FROM meta WHERE key='token'")
page() { # JSON-BODY
	curl -s -X POST -H "Authorization: Bearer $TOK" -d "$1" "$SERVER_URL/v1/agent/sync"
}
p1=$(page '{"anchor":null,"protocol":2,"limit":2}')
[ "$(jq '.updates | length' <<<"$p1")" = 2 ] || fail "page 1: $p1"
jq -e '.full == true and (.next | type) == "string"' <<<"$p1" >/dev/null || fail "page 1: $p1"
cur=$(jq -r .next <<<"$p1")
p2=$(page "{\"anchor\":null,\"protocol\":2,\"limit\":2,\"cursor\":\"$cur\"}")
jq -e '.next == null and (.updates | length) == 1' <<<"$p2" >/dev/null || fail "page 2: $p2"
ids=$(printf '%s\n%s\n' "$p1" "$p2" | jq -r '.updates[].id' | sort | tr '\n' ' ')
[ "$ids" = "$U_APP $U_NA $U_OK " ] || fail "pages: $ids"
[ "$(jq -r .anchor <<<"$p1")" = "$(jq -r .anchor <<<"$p2")" ] || fail "anchors differ"
printf '%s\n%s\n' "$p1" "$p2" | jq -se --arg u $U_NA \
	'[.[].updates[] | select(.id==$u)][0].approval.action == "none"' \
	>/dev/null || fail "unapproved: $p1 $p2"
bad=$(page '{"anchor":null,"protocol":2,"cursor":"x/y"}')
grep -q "cursor: not one this server made" <<<"$bad" || fail "bad cursor: $bad"
# An old agent (no protocol member) still gets the approved set only.
old=$(page '{"anchor":null}')
[ "$(jq -r '[.updates[].id] | sort | join(" ")' <<<"$old")" = "$U_APP $U_OK" ] ||
	fail "protocol 1: $old"

# --- 4. new license terms are accepted before a revision reaches agents ----
# WSUS: "only approved updates whose license agreement has been accepted
# are sent to clients"; a revision with new terms waits for acceptance.
U_LIC=bbbbbbbb-0000-4000-8000-000000000006
view_action() { sqlite3 "$STATE/agent.db" "SELECT revision || ' ' || action FROM view WHERE id='$1'"; }
script $U_LIC lic
lic_rev() { # TITLE TERMS
	echo "$2" >"$TMP/files/$U_LIC/license.txt"
	define $U_LIC "$1" "$(appl lic)" "$inst" '"eula":{"name":"license.txt"}'
	add $U_LIC "$TMP/files/$U_LIC/run.sh" "$TMP/files/$U_LIC/license.txt"
	admin_sync
}
accept() {
	api POST /v1/admin/approvals "{\"update\":\"$U_LIC\",\"group\":\"web\",\"action\":\"install\",\"accept_license\":true}"
	[ "$HTTP_STATUS" = 200 ] || fail "accept: $HTTP_STATUS $BODY"
}
lic_rev "Licensed" "terms one"
accept
agent detect || agent_fail "detect (license 1)"
[ "$(view_action $U_LIC)" = "1 install" ] || agent_fail "accepted revision 1: $(view_action $U_LIC)"
lic_rev "Licensed, new terms" "terms two"
agent detect || agent_fail "detect (license 2)"
[ "$(view_action $U_LIC)" = "2 none" ] ||
	agent_fail "revision 2 with new terms reached the agent approved: $(view_action $U_LIC)"
"$SLUICE" updates | grep "$U_LIC" | grep -q "awaiting license acceptance" ||
	fail "sluice updates does not show the wait: $("$SLUICE" updates)"
accept
agent detect || agent_fail "detect (accepted 2)"
[ "$(view_action $U_LIC)" = "2 install" ] || agent_fail "accepted revision 2: $(view_action $U_LIC)"
"$SLUICE" updates | grep "$U_LIC" | grep -q "awaiting license" && fail "still awaiting after acceptance"
# The same terms in a later revision were accepted already.
lic_rev "Licensed, same terms" "terms two"
agent detect || agent_fail "detect (license 3)"
[ "$(view_action $U_LIC)" = "3 install" ] || agent_fail "revision 3 (same terms): $(view_action $U_LIC)"

# --- 7. new revisions of approved updates ------------------------------------
# Default (WSUS: "automatically approve new revisions of updates that are
# already approved"): the newest revision stays approved; with the switch
# off it waits for an administrator. (New license terms always wait: 4.)
U_REV=bbbbbbbb-0000-4000-8000-000000000007
script $U_REV rev
rev() { # TITLE
	define $U_REV "$1" "$(appl rev)" "$inst"
	add $U_REV "$TMP/files/$U_REV/run.sh"
	admin_sync
}
rev "Revised one"
approve $U_REV install
rev "Revised two"
agent detect || agent_fail "detect (rev 2)"
[ "$(view_action $U_REV)" = "2 install" ] || agent_fail "new revision not approved: $(view_action $U_REV)"
"$SLUICE" settings set approve_new_revisions off | grep -q "approve_new_revisions: off" || fail "switch off"
rev "Revised three"
agent detect || agent_fail "detect (rev 3)"
[ "$(view_action $U_REV)" = "3 none" ] || agent_fail "switch off, new revision approved: $(view_action $U_REV)"
"$SLUICE" audit | grep -q "approval.withdraw" || fail "withdrawal not audited"
"$SLUICE" settings set approve_new_revisions on >/dev/null || fail "switch on"

# --- 10. a filter that names nothing is an error -----------------------------
rc=0
out=$("$SLUICE" updates --classification securty 2>&1) || rc=$?
[ $rc = 1 ] && grep -q "no classification 'securty' (known: security)" <<<"$out" ||
	fail "unknown classification: rc=$rc $out"
"$SLUICE" updates --classification SECURITY | grep -q $U_OK || fail "known classification"
rc=0
out=$("$SLUICE" report updates --product nope 2>&1) || rc=$?
[ $rc = 1 ] && grep -q "no product 'nope' (known: agent test)" <<<"$out" ||
	fail "unknown product: rc=$rc $out"
rc=0
out=$("$SLUICE" computers --group nope 2>&1) || rc=$?
[ $rc = 1 ] && grep -q "no group 'nope' (known: All Computers, .*web)" <<<"$out" ||
	fail "unknown group: rc=$rc $out"
"$SLUICE" computers --group web | grep -q "$(hostname)" || fail "computers --group web"
echo "agent_evaluate: ok"
