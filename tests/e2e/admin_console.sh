#!/usr/bin/env bash
# Administration end to end: a real sluiced, two real sluice-agents in
# different groups (canary, a child of web; and db), plus two computers
# driven with curl. Checks: an approval for a parent group reaches the agent
# of its child group; a group's own not-approved overrides the parent; a
# decline removes the update from every agent's next sync; an auto-approval
# rule approves a newly synced security update for its group; license terms
# and prerequisites are enforced on approval; supersedence views; a
# reporter token reads reports and gets 403 on every change; the audit log
# lists each change; the per-update report counts match what the agents
# reported; group delete, targeting settings, CSV output.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent_lib.sh"

U_SEC=bbbbbbbb-0000-4000-8000-000000000001  # security, approved for web
U_FEAT=bbbbbbbb-0000-4000-8000-000000000002 # feature, web + canary override
U_REP=bbbbbbbb-0000-4000-8000-000000000003  # for All Computers: reports
U_EULA=bbbbbbbb-0000-4000-8000-000000000004 # has license terms
U_PRE=bbbbbbbb-0000-4000-8000-000000000005  # prerequisite of U_DEP
U_DEP=bbbbbbbb-0000-4000-8000-000000000006
U_OLD=bbbbbbbb-0000-4000-8000-000000000007 # superseded by U_NEW
U_NEW=bbbbbbbb-0000-4000-8000-000000000008
U_SEC2=bbbbbbbb-0000-4000-8000-000000000009 # synced after the rule exists
U_FEAT2=bbbbbbbb-0000-4000-8000-00000000000a

catalog_setup
upd() { # ID NAME CLASSIFICATION [EXTRA]
	mkdir -p "$TMP/files/$1"
	printf 'mkdir -p "$SLUICE_ROOT/opt/%s"; touch "$SLUICE_ROOT/opt/%s/done"\n' \
		"$2" "$2" >"$TMP/files/$1/install.sh"
	local extra=${4:-}
	[ -n "$extra" ] && extra=",$extra"
	cat >"$TMP/def/$1.json" <<EOD
{"id":"$1","title":"Update $2","classification":"$3","product":"Admin Test",
 "release_date":"2026-11-01",
 "applicability":{"is_installed":{"type":"file_exists","path":"/opt/$2/done"},
  "is_installable":{"type":"os_id","id":"sluicetest"}},
 "install":{"handler":"script","arguments":["install.sh"]}$extra}
EOD
}
upd $U_SEC sec security
add $U_SEC "$TMP/files/$U_SEC/install.sh"
upd $U_FEAT feat feature
add $U_FEAT "$TMP/files/$U_FEAT/install.sh"
upd $U_REP rep update
add $U_REP "$TMP/files/$U_REP/install.sh"
echo "You may use this update." >"$TMP/license.txt"
upd $U_EULA eula update '"eula":{"name":"license.txt"}'
add $U_EULA "$TMP/files/$U_EULA/install.sh" "$TMP/license.txt"
upd $U_PRE pre update
add $U_PRE "$TMP/files/$U_PRE/install.sh"
upd $U_DEP dep update "\"prerequisites\":[\"$U_PRE\"]"
add $U_DEP "$TMP/files/$U_DEP/install.sh"
upd $U_OLD old update
add $U_OLD "$TMP/files/$U_OLD/install.sh"
upd $U_NEW new update "\"supersedes\":[\"$U_OLD\"]"
add $U_NEW "$TMP/files/$U_NEW/install.sh"

start_server "$DATA" "[upstream]
url = file://$CAT/public
trusted_keys = $KEY
syncs_per_day = 0
[storage]
mode = full"
"$SLUICE" sync >/dev/null || fail "sync"

# --- groups ----------------------------------------------------------------
"$SLUICE" groups create web >/dev/null || fail "create web"
"$SLUICE" groups create canary --parent web >/dev/null || fail "create canary"
"$SLUICE" groups create db >/dev/null || fail "create db"
"$SLUICE" groups create tmp --parent db >/dev/null || fail "create tmp"
"$SLUICE" groups rename tmp scratch >/dev/null || fail "rename"
"$SLUICE" groups move scratch web >/dev/null || fail "move group"
[ "$("$SLUICE" --json groups | jq -r '.groups[] | select(.name=="scratch") | .parent')" = web ] ||
	fail "rename/move: $("$SLUICE" groups)"
rc=0
out=$("$SLUICE" groups move web canary 2>&1) || rc=$?
[ $rc = 1 ] && grep -q "is 'web' itself or one of its subgroups" <<<"$out" || fail "cycle: $out"

# --- two real agents: A in canary (child of web), B in db ------------------
agent_setup() { # NAME GROUP
	mkdir -p "$TMP/$1/root/etc" "$TMP/$1/state"
	printf 'ID=sluicetest\nVERSION_ID="1.0"\n' >"$TMP/$1/root/etc/os-release"
	cat >"$TMP/$1.conf" <<EOC
[agent]
server = $SERVER_URL
state_dir = $TMP/$1/state
root = $TMP/$1/root
trusted_keys = $KEY
groups = $2
install_timeout = 60
EOC
}
run_agent() { # NAME CMD
	echo "### $1 $2" >>"$AGENT_LOG"
	"$AGENT" "$2" --config "$TMP/$1.conf" >>"$AGENT_LOG" 2>&1 ||
		agent_fail "sluice-agent $2 ($1)"
}
cid_of() { sqlite3 "$TMP/$1/state/agent.db" "SELECT value FROM meta WHERE key='computer_id'"; }
state_on() { # COMPUTER-ID UPDATE -> the state the server holds
	api GET "/v1/admin/computers/$1/status"
	jq -r --arg id "$2" '.updates[] | select(.id==$id) | .state' <<<"$BODY"
}
view_of() { # NAME -> the ids approved in the agent's view (every update not
	# declined is in the view, evaluated; unapproved ones have action none)
	sqlite3 "$TMP/$1/state/agent.db" "SELECT id FROM view WHERE action != 'none' ORDER BY id"
}
agent_setup A canary
agent_setup B db
run_agent A detect
run_agent B detect
CA=$(cid_of A)
CB=$(cid_of B)
[ "$("$SLUICE" --json computers | jq -r --arg c "$CA" '.computers[] | select(.id==$c) | .group')" = canary ] ||
	fail "agent A is not in canary (client-side targeting)"
[ "$("$SLUICE" --json computers | jq -r --arg c "$CB" '.computers[] | select(.id==$c) | .group')" = db ] ||
	fail "agent B is not in db"

# A computer driven with curl in canary, to see the exact sync answers.
REG=$(curl -sS -X POST "$SERVER_URL/v1/agent/register" \
	-d '{"hostname":"probe","os_id":"sluicetest","groups":["canary"]}')
PTOK=$(jq -r .token <<<"$REG")
probe_sync() { # ANCHOR-JSON -> BODY
	BODY=$(curl -sS -X POST -H "Authorization: Bearer $PTOK" \
		--data-binary "{\"anchor\":$1}" "$SERVER_URL/v1/agent/sync")
}
probe_sync null
PA=$(jq -r .anchor <<<"$BODY")

# --- approval for the parent group reaches the child group's agent ----------
"$SLUICE" updates approve $U_SEC web >/dev/null || fail "approve sec for web"
run_agent A detect
run_agent B detect
[ "$(state_on "$CA" $U_SEC)" = needed ] || fail "A (canary) did not get web's approval: $BODY"
grep -q $U_SEC <<<"$(view_of B)" && fail "B (db) got web's approval"
# ... but B evaluates it all the same (WSUS: unapproved updates are evaluated)
[ "$(state_on "$CB" $U_SEC)" = needed ] || fail "B did not evaluate the unapproved U_SEC"
grep -q $U_SEC <<<"$(view_of A)" || fail "U_SEC not in A's view"
probe_sync "\"$PA\""
[ "$(jq -r '[.updates[].id] | join(",")' <<<"$BODY")" = $U_SEC ] || fail "probe: $BODY"
PA=$(jq -r .anchor <<<"$BODY")
out=$("$SLUICE" updates show $U_SEC)
grep -Eq "canary +install .*inherited from web" <<<"$out" || fail "effective view: $out"

# --- a group's own not-approved overrides its parent -------------------------
"$SLUICE" updates approve $U_FEAT web >/dev/null || fail "approve feat web"
"$SLUICE" updates approve $U_FEAT db >/dev/null || fail "approve feat db"
run_agent A detect
grep -q $U_FEAT <<<"$(view_of A)" || fail "A lacks U_FEAT before the override"
"$SLUICE" updates approve $U_FEAT canary --action not-approved >/dev/null || fail "override"
probe_sync "\"$PA\""
[ "$(jq -r '.removed | join(",")' <<<"$BODY")" = $U_FEAT ] || fail "override not removed: $BODY"
[ "$(jq '.updates | length' <<<"$BODY")" = 0 ] || fail "override: $BODY"
PA=$(jq -r .anchor <<<"$BODY")
run_agent A detect
run_agent B detect
grep -q $U_FEAT <<<"$(view_of A)" && fail "A still has U_FEAT after canary's not-approved"
grep -q $U_FEAT <<<"$(view_of B)" || fail "B lost U_FEAT"
[ "$(state_on "$CB" $U_FEAT)" = needed ] || fail "B's U_FEAT state"
out=$("$SLUICE" updates show $U_FEAT)
grep -Eq "canary +not-approved .*this group" <<<"$out" || fail "show override: $out"
grep -Eq "scratch +install .*inherited from web" <<<"$out" || fail "show inherit: $out"

# --- decline: gone from every agent's next sync and from default views -----
"$SLUICE" updates decline $U_FEAT >/dev/null || fail "decline"
probe_sync "\"$PA\""
PA=$(jq -r .anchor <<<"$BODY")
run_agent A detect
run_agent B detect
grep -q $U_FEAT <<<"$(view_of B)" && fail "B still has the declined U_FEAT"
"$SLUICE" updates | grep -q $U_FEAT && fail "declined update in the default list"
"$SLUICE" updates --declined | grep -q $U_FEAT || fail "--declined"
rc=0
out=$("$SLUICE" updates approve $U_FEAT db 2>&1) || rc=$?
[ $rc = 1 ] && grep -q "is declined: undecline it first" <<<"$out" || fail "approve declined: $out"
"$SLUICE" updates decline --undo $U_FEAT >/dev/null || fail "undecline"
"$SLUICE" updates decline $U_FEAT >/dev/null || fail "decline again"

# --- license terms -----------------------------------------------------------
rc=0
out=$("$SLUICE" updates approve $U_EULA db 2>&1) || rc=$?
[ $rc = 1 ] && grep -q "has license terms (license.txt).*--accept-license" <<<"$out" ||
	fail "eula without acceptance: rc=$rc $out"
"$SLUICE" updates approve $U_EULA db --accept-license >/dev/null || fail "eula accepted"
"$SLUICE" updates show $U_EULA | grep -q "accepted by initial on" || fail "acceptance not recorded"

# --- prerequisites -----------------------------------------------------------
rc=0
out=$("$SLUICE" updates approve $U_DEP db 2>&1) || rc=$?
[ $rc = 1 ] && grep -q "needs these approved for installation for 'db' too: $U_PRE (Update pre, prerequisite).*--with-prerequisites" <<<"$out" ||
	fail "prerequisite refusal: rc=$rc $out"
out=$("$SLUICE" updates approve $U_DEP db --with-prerequisites) || fail "with prerequisites"
grep -q "also approved (prerequisite or bundled): $U_PRE" <<<"$out" || fail "prereq output: $out"

# --- supersedence ------------------------------------------------------------
"$SLUICE" updates show $U_OLD | grep -A1 "^superseded by:" | grep -q $U_NEW || fail "superseded by"
"$SLUICE" updates show $U_NEW | grep -A1 "^supersedes:" | grep -q $U_OLD || fail "supersedes"
out=$("$SLUICE" updates decline-superseded --dry-run)
grep -q "would decline $U_OLD" <<<"$out" || fail "dry run: $out"
"$SLUICE" --json updates --all | jq -e --arg id $U_OLD '.updates[] | select(.id==$id) | .declined == false' >/dev/null ||
	fail "dry run declined"
"$SLUICE" updates decline-superseded | grep -q "declined $U_OLD" || fail "decline superseded"

# --- reports: counts match what the agents reported --------------------------
"$SLUICE" updates approve $U_REP "All Computers" >/dev/null || fail "approve rep"
run_agent A install
run_agent B detect
[ "$(state_on "$CA" $U_REP)" = installed ] || fail "A did not install U_REP"
[ "$(state_on "$CB" $U_REP)" = needed ] || fail "B: U_REP not needed"
[ -f "$TMP/A/root/opt/rep/done" ] || fail "installer did not run on A"
# The probe reports a failure; a fourth computer reports nothing.
curl -sS -X POST -H "Authorization: Bearer $PTOK" "$SERVER_URL/v1/agent/report" \
	-d "{\"states\":[{\"id\":\"$U_REP\",\"revision\":1,\"state\":\"failed\",\"detail\":\"exit code 3\"}]}" >/dev/null
curl -sS -X POST "$SERVER_URL/v1/agent/register" -d '{"hostname":"silent"}' >/dev/null
R=$("$SLUICE" --json report update $U_REP)
[ "$(jq -c '.totals | [.installed, .needed, .failed, .not_applicable, .no_status]' <<<"$R")" = "[1,1,1,0,1]" ] ||
	fail "report totals: $R"
[ "$(jq -r '.groups[] | select(.group=="canary") | "\(.counts.installed) \(.counts.failed)"' <<<"$R")" = "1 1" ] ||
	fail "canary counts: $R"
[ "$(jq -r '.groups[] | select(.group=="db") | .counts.needed' <<<"$R")" = 1 ] || fail "db counts: $R"
# ... and each computer's row is what that computer reported.
for c in $(jq -r '.computers[].id' <<<"$R"); do
	want=$(jq -r --arg c "$c" '.computers[] | select(.id==$c) | .state' <<<"$R")
	got=$(state_on "$c" $U_REP)
	[ "$want" = "${got:-no-status}" ] || fail "computer $c: report $want, status ${got:-none}"
done
out=$("$SLUICE" report update $U_REP)
grep -Eq '^\(all computers\) +1 +1 +1 +0 +1$' <<<"$out" || fail "report table: $out"
# Paged by computer id: counts whole, computers a page at a time.
P1=$("$SLUICE" --json report update $U_REP --limit 2)
[ "$(jq '.computers | length' <<<"$P1")" = 2 ] || fail "page 1: $P1"
[ "$(jq -c '.totals' <<<"$P1")" = "$(jq -c '.totals' <<<"$R")" ] || fail "page totals: $P1"
next=$(jq -r '.next' <<<"$P1")
[ "$next" = "$(jq -r '.computers[1].id' <<<"$P1")" ] || fail "next cursor: $P1"
P2=$("$SLUICE" --json report update $U_REP --limit 2 --after "$next")
[ "$(jq -r '[.computers[].id] | sort | join(" ")' <<<"$P1$P2" | tr '\n' ' ' | wc -w)" -ge 3 ] || fail "page 2: $P2"
[ "$(jq -r '[$a.computers[], $b.computers[]] | map(.id) | join(" ")' --argjson a "$P1" --argjson b "$P2" -n)" = \
	"$(jq -r '[.computers[].id] | sort | join(" ")' <<<"$R")" ] || fail "pages differ from the whole list: $P1 $P2"
[ "$(jq -r '.next' <<<"$P2")" = null ] || fail "last page has a next cursor: $P2"
"$SLUICE" report update $U_REP --limit 1 | grep -q "^more: --after " || fail "no next hint"
F=$("$SLUICE" --json report update $U_REP --state failed)
[ "$(jq -r '[.computers[].state] | join(" ")' <<<"$F")" = failed ] || fail "state filter: $F"
[ "$(jq -r '.computers[0].detail' <<<"$F")" = "exit code 3" ] || fail "failed detail: $F"
[ "$(jq -r '.computers[].hostname' <<<"$("$SLUICE" --json report update $U_REP --state no-status)")" = silent ] ||
	fail "no-status filter"
# The console's computers list, filtered and paged by the server: each
# status as the dashboard counts it, the failed computer the report's.
api GET "/v1/admin/console/dashboard"
DASH=$BODY
for st in failed needed no_status up_to_date; do
	api GET "/v1/admin/console/computers?status=$st&limit=1"
	[ "$(jq .total <<<"$BODY")" = "$(jq ".computers.$st" <<<"$DASH")" ] ||
		fail "console list, $st: $BODY against $(jq -c .computers <<<"$DASH")"
done
api GET "/v1/admin/console/computers?status=failed"
[ "$(jq -r '[.computers[] | "\(.id) \(.status) \(.counts.failed)"] | join(",")' <<<"$BODY")" = \
	"$(jq -r '.computers[0].id' <<<"$F") failed 1" ] || fail "console list, failed: $BODY"
api GET "/v1/admin/console/computers?search=SILENT"
[ "$(jq -r '"\(.total) \(.computers[0].hostname) \(.computers[0].status)"' <<<"$BODY")" = "1 silent no_status" ] ||
	fail "console list, host name search: $BODY"
api GET "/v1/admin/console/computers?group=db&offset=1"
[ "$(jq -c '[.total, (.computers | length)]' <<<"$BODY")" = "[1,0]" ] || fail "console list, group page: $BODY"
api GET "/v1/admin/console/computers?search=$(printf 'x%.0s' $(seq 1025))"
[ "$HTTP_STATUS" = 400 ] && grep -q "search: over 1024 bytes" <<<"$BODY" ||
	fail "console list, a search text over 1024 bytes: HTTP $HTTP_STATUS $BODY"
api GET "/v1/admin/reports/updates/$U_REP?limit=0"
[ "$HTTP_STATUS" = 400 ] || fail "limit=0: $HTTP_STATUS $BODY"
# One computer's status: the counts of its states, a page of them.
api GET "/v1/admin/computers/$CA/status?state=installed&limit=1"
[ "$HTTP_STATUS" = 200 ] && [ "$(jq '.updates | length' <<<"$BODY")" = 1 ] &&
	[ "$(jq -r '.updates[0].state' <<<"$BODY")" = installed ] &&
	[ "$(jq '.counts.installed' <<<"$BODY")" -ge 1 ] || fail "paged status: $BODY"
api GET "/v1/admin/computers/$CA/status"
[ "$(jq '.updates | length' <<<"$BODY")" = "$(jq '[.counts[]] | add' <<<"$BODY")" ] ||
	fail "status counts do not match its states: $BODY"
api GET "/v1/admin/computers/$CA/status?limit=0"
[ "$HTTP_STATUS" = 400 ] && grep -q "limit: expected 1 to 10000" <<<"$BODY" || fail "status limit=0: $BODY"
api GET "/v1/admin/reports/updates/$U_REP?state=bogus"
[ "$HTTP_STATUS" = 400 ] && grep -q "unknown state 'bogus'" <<<"$BODY" || fail "state=bogus: $HTTP_STATUS $BODY"
out=$("$SLUICE" report updates --csv)
grep -q "^id,title,installed,needed,failed,not_applicable,no_status$" <<<"$out" || fail "csv head: $out"
grep -q "^$U_REP,Update rep,1,1,1,0,1$" <<<"$out" || fail "csv row: $out"
"$SLUICE" updates --failed | grep -q $U_REP || fail "--failed filter"
"$SLUICE" updates --failed | grep -q $U_SEC && fail "--failed shows $U_SEC"
"$SLUICE" updates --needed --classification update | grep -q $U_REP || fail "--needed"
# A installed U_SEC; B (db, where it is not approved) still needs it, and
# the Needed count says so (every computer evaluates every update).
"$SLUICE" updates --needed --classification security | grep -q $U_SEC || fail "--needed: $U_SEC"
"$SLUICE" updates --search 'update pre' | grep -q $U_PRE || fail "--search"
[ "$("$SLUICE" updates --search 'update pre' | wc -l)" = 2 ] || fail "--search matched more"
"$SLUICE" report computers | grep -Eq "^$CA +[^ ]+ +canary +- +[0-9]+ " || fail "computers report"
"$SLUICE" report computer "$CA" | grep -q "$U_REP .*installed" || fail "computer report"
"$SLUICE" report sync | grep -Eq '^1 +.* success ' || fail "sync report"

# --- auto-approval: a newly synced security update for its group ------------
"$SLUICE" rules add sec-to-db --classification security --group db --deadline-days 7 \
	>/dev/null || fail "rules add"
"$SLUICE" rules | grep -Eq '^sec-to-db +security +any +install +\+7 days +db ' || fail "rules list: $("$SLUICE" rules)"
upd $U_SEC2 sec2 security
add $U_SEC2 "$TMP/files/$U_SEC2/install.sh"
upd $U_FEAT2 feat2 feature
add $U_FEAT2 "$TMP/files/$U_FEAT2/install.sh"
"$SLUICE" sync | grep -q "success, 2 new" || fail "second sync"
A2=$("$SLUICE" --json updates show $U_SEC2)
[ "$(jq -r '.approvals[] | select(.group=="db") | .action' <<<"$A2")" = install ] ||
	fail "rule did not approve U_SEC2 for db: $A2"
[ "$(jq -r '.approvals[] | select(.group=="db") | .approved_by' <<<"$A2")" = "auto-approval rule sec-to-db" ] ||
	fail "approved_by: $A2"
[ "$(jq -r '.approvals[0].deadline' <<<"$A2")" != null ] || fail "deadline offset: $A2"
[ "$("$SLUICE" --json updates show $U_FEAT2 | jq '.approvals | length')" = 0 ] ||
	fail "rule approved a feature update"
# Existing security updates only on demand.
[ "$("$SLUICE" --json updates show $U_SEC | jq '[.approvals[] | select(.group=="db")] | length')" = 0 ] ||
	fail "rule ran over existing updates at sync"
out=$("$SLUICE" rules run sec-to-db) || fail "rules run"
grep -q "^1 approval(s) made" <<<"$out" || fail "rules run: $out"
run_agent B detect
[ "$(state_on "$CB" $U_SEC2)" = needed ] || fail "B did not get the auto-approved update"
# A new revision of an approved update stays approved (and reaches B).
sed -i 's/"title":"Update sec2"/"title":"Update sec2 v2"/' "$TMP/def/$U_SEC2.json"
add $U_SEC2 "$TMP/files/$U_SEC2/install.sh"
"$SLUICE" sync | grep -q "success, 0 new, 1 revised" || fail "revision sync"
A2=$("$SLUICE" --json updates show $U_SEC2)
[ "$(jq -r '.update.revision' <<<"$A2")" = 2 ] || fail "revision 2: $A2"
[ "$(jq -r '.effective[] | select(.group=="db") | .action' <<<"$A2")" = install ] ||
	fail "revision 2 not approved: $A2"
run_agent B detect
api GET "/v1/admin/computers/$CB/status"
[ "$(jq -r --arg id $U_SEC2 '.updates[] | select(.id==$id) | .revision' <<<"$BODY")" = 2 ] ||
	fail "B did not get revision 2: $BODY"

# --- roles: a reporter reads everything and may change nothing --------------
RTOK=$("$SLUICE" tokens create watcher --role reporter 2>/dev/null) || fail "token create"
[[ "$RTOK" =~ ^[0-9a-f]{64}$ ]] || fail "token: $RTOK"
"$SLUICE" tokens | grep -Eq '^[0-9]+ +watcher +reporter +.* active$' || fail "tokens list"
SLUICE_TOKEN=$RTOK "$SLUICE" report update $U_REP >/dev/null || fail "reporter report"
SLUICE_TOKEN=$RTOK "$SLUICE" updates >/dev/null || fail "reporter list"
SLUICE_TOKEN=$RTOK "$SLUICE" audit >/dev/null || fail "reporter audit"
rc=0
out=$(SLUICE_TOKEN=$RTOK "$SLUICE" groups create nope 2>&1) || rc=$?
[ $rc = 1 ] && grep -q "HTTP 403 forbidden: token 'watcher' has the role reporter (read-only)" <<<"$out" ||
	fail "reporter change: rc=$rc $out"
# Every route that changes something, straight from the route table.
n=0
while read -r method path; do
	path=${path//\*/web}
	code=$(curl -sS -o "$TMP/r.out" -w '%{http_code}' -X "$method" \
		-H "Authorization: Bearer $RTOK" -d '{}' "$SERVER_URL$path")
	[ "$code" = 403 ] || fail "reporter $method $path -> $code $(cat "$TMP/r.out")"
	n=$((n + 1))
done < <(grep -oE '\{"(POST|PUT|DELETE|PATCH)", "/v1/admin[^"]*"' "$SOURCE_ROOT/src/server/http/routes.c" |
	sed -E 's/\{"([A-Z]+)", "([^"]*)"/\1 \2/')
[ $n -ge 15 ] || fail "only $n change routes found"
api GET /v1/admin/groups
[ "$(jq '[.groups[] | select(.name=="nope")] | length' <<<"$BODY")" = 0 ] || fail "reporter created a group"
"$SLUICE" tokens revoke watcher >/dev/null || fail "revoke"
rc=0
out=$(SLUICE_TOKEN=$RTOK "$SLUICE" updates 2>&1) || rc=$?
[ $rc = 1 ] && grep -q "HTTP 401" <<<"$out" || fail "revoked token still works: $out"
rc=0
out=$("$SLUICE" tokens revoke initial 2>&1) || rc=$?
[ $rc = 1 ] && grep -q "last administrator token" <<<"$out" || fail "last admin: $out"

# --- groups: delete, targeting ------------------------------------------------
rc=0
out=$("$SLUICE" groups delete db 2>&1) || rc=$?
[ $rc = 1 ] && grep -q "group 'db' holds 1 computer(s) and 0 subgroup(s): move them first, or delete with force" <<<"$out" ||
	fail "non-empty delete: $out"
"$SLUICE" groups delete scratch >/dev/null || fail "delete empty"
out=$("$SLUICE" groups delete db --force) || fail "force delete"
grep -q "1 computer(s) and 0 subgroup(s) moved to 'All Computers'" <<<"$out" || fail "force: $out"
[ "$("$SLUICE" --json computers | jq -r --arg c "$CB" '.computers[] | select(.id==$c) | .group')" = "All Computers" ] ||
	fail "B not moved to the parent"
run_agent B detect
grep -q $U_SEC2 <<<"$(view_of B)" && fail "B kept db's approval after db was deleted"
"$SLUICE" computers move "$CB" web >/dev/null || fail "move by id"
"$SLUICE" computers move probe web >/dev/null || fail "move by host name"
"$SLUICE" groups targeting client --unknown reject >/dev/null || fail "targeting"
code=$(curl -sS -o "$TMP/r.out" -w '%{http_code}' -X POST "$SERVER_URL/v1/agent/register" \
	-d '{"hostname":"x","groups":["nosuch"]}')
[ "$code" = 400 ] && grep -q "no group named 'nosuch'" "$TMP/r.out" || fail "reject: $code $(cat "$TMP/r.out")"
"$SLUICE" groups targeting --unknown create >/dev/null || fail "targeting create"
curl -sS -X POST "$SERVER_URL/v1/agent/register" -d '{"hostname":"y","groups":["lab"]}' >/dev/null
"$SLUICE" groups | grep -Eq '^  lab +All Computers +1$' || fail "created by agent: $("$SLUICE" groups)"
"$SLUICE" groups targeting server >/dev/null || fail "targeting server"
curl -sS -X POST "$SERVER_URL/v1/agent/register" -d '{"hostname":"z","groups":["web"]}' >/dev/null
[ "$("$SLUICE" --json computers | jq -r '.computers[] | select(.hostname=="z") | .group')" = "Unassigned Computers" ] ||
	fail "server-side targeting honoured the agent's group"
"$SLUICE" groups targeting | grep -q "targeting: server-side" || fail "targeting show"

# --- audit log: each change, who, what ---------------------------------------
AU=$("$SLUICE" --json audit --limit 1000)
has() { # ACTOR ACTION TARGET
	jq -e --arg a "$1" --arg x "$2" --arg t "$3" \
		'[.audit[] | select(.actor==$a and .action==$x and .target==$t)] | length > 0' \
		<<<"$AU" >/dev/null || fail "audit lacks $1 $2 $3"
}
has initial group.create web
has initial group.create canary
has initial group.rename tmp
has initial group.move scratch
has initial group.delete db
has initial approval.set $U_SEC
has initial approval.set $U_FEAT
has initial approval.set $U_PRE
has initial update.decline $U_FEAT
has initial update.undecline $U_FEAT
has initial update.decline $U_OLD
has initial license.accept $U_EULA
has initial rule.create sec-to-db
has initial rule.run sec-to-db
has "auto-approval rule sec-to-db" approval.set $U_SEC2
has initial token.create watcher
has initial token.revoke watcher
has initial computer.move "$CB"
has initial settings.set targeting
has initial sync.start upstream
has "agent registration" group.create lab
[ "$(jq '[.audit[] | select(.actor=="watcher")] | length' <<<"$AU")" = 0 ] ||
	fail "a refused change was audited"
[ "$(jq '[.audit[] | select(.action=="approval.set" and .target=="'$U_FEAT'")] | length' <<<"$AU")" = 3 ] ||
	fail "U_FEAT approvals audited: $(jq -c '[.audit[] | select(.target=="'$U_FEAT'")]' <<<"$AU")"
"$SLUICE" audit --action approval | grep -Eq "initial +approval.set +$U_SEC +group 'web': install" ||
	fail "audit table: $("$SLUICE" audit --action approval)"

# --- every subcommand has --help ---------------------------------------------
for c in sync updates approve groups computers rules tokens report audit export import cleanup notify; do
	"$SLUICE" $c --help | grep -q "^usage: sluice $c" || fail "$c --help"
	# docs/cli.md holds every command's help text verbatim.
	"$SLUICE" $c --help | python3 -c 'import sys; sys.exit(sys.stdin.read() not in open(sys.argv[1]).read())' \
		"$SOURCE_ROOT/docs/cli.md" || fail "docs/cli.md is out of date for '$c' (regenerate it from sluice $c --help)"
done
server_alive
stop_server
echo "admin_console: ok"
