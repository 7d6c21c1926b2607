#!/usr/bin/env bash
# sluice-agent against a real sluiced and catalog: an applicable update is
# installed and reported installed; an update whose is_installable is false
# is not applicable; a prerequisite is installed first; a superseded update
# is not installed; a failing installer is reported failed with its exit
# code and output; a reboot exit code leaves installed-pending-reboot; an
# update_installed rule follows what was installed; detection is
# idempotent; status prints a table.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent_lib.sh"

U_OK=aaaaaaaa-0000-4000-8000-000000000001
U_NA=aaaaaaaa-0000-4000-8000-000000000002
U_PRE=aaaaaaaa-0000-4000-8000-000000000003
U_DEP=aaaaaaaa-0000-4000-8000-000000000004
U_OLD=aaaaaaaa-0000-4000-8000-000000000005
U_NEW=aaaaaaaa-0000-4000-8000-000000000006
U_BAD=aaaaaaaa-0000-4000-8000-000000000007
U_UNK=aaaaaaaa-0000-4000-8000-000000000008
U_RB=aaaaaaaa-0000-4000-8000-000000000009
U_AFTER=aaaaaaaa-0000-4000-8000-00000000000a
U_ORPHAN=aaaaaaaa-0000-4000-8000-00000000000b
U_MISSING=aaaaaaaa-0000-4000-8000-0000000000ff # never approved

catalog_setup

# Each installer leaves $SLUICE_ROOT/opt/<name>/done and appends its name to
# $SLUICE_ROOT/order, so the test sees what ran and in which order.
script() { # ID NAME [EXTRA SHELL LINES]
	mkdir -p "$TMP/files/$1"
	cat >"$TMP/files/$1/install.sh" <<EOS
set -e
${3:-}
mkdir -p "\$SLUICE_ROOT/opt/$2"
echo "installed $2 with \$1" > "\$SLUICE_ROOT/opt/$2/done"
echo "$2" >> "\$SLUICE_ROOT/order"
EOS
}
appl() { # NAME [INSTALLABLE-RULE]
	echo "{\"is_installed\":{\"type\":\"file_exists\",\"path\":\"/opt/$1/done\"},
	 \"is_installable\":${2:-{\"type\":\"os_id\",\"id\":\"sluicetest\"\}}}"
}
inst='{"handler":"script","arguments":["install.sh","from-agent"]}'

mkdir -p "$ROOT/etc"
printf 'ID=sluicetest\nVERSION_ID="1.0"\n' >"$ROOT/etc/os-release"

script $U_OK ok
define $U_OK "Applicable update" "$(appl ok)" "$inst"
add $U_OK "$TMP/files/$U_OK/install.sh"

script $U_NA na
define $U_NA "Not for this system" \
	"$(appl na '{"type":"os_id","id":"fedora"}')" "$inst"
add $U_NA "$TMP/files/$U_NA/install.sh"

script $U_PRE pre
define $U_PRE "Prerequisite" "$(appl pre)" "$inst"
add $U_PRE "$TMP/files/$U_PRE/install.sh"
# The dependent installer fails unless its prerequisite ran before it.
script $U_DEP dep 'test -f "$SLUICE_ROOT/opt/pre/done" || exit 42'
define $U_DEP "Needs the prerequisite" "$(appl dep)" "$inst" \
	"\"prerequisites\":[\"$U_PRE\"]"
add $U_DEP "$TMP/files/$U_DEP/install.sh"

script $U_OLD old
define $U_OLD "Old fix" "$(appl old)" "$inst"
add $U_OLD "$TMP/files/$U_OLD/install.sh"
script $U_NEW new
define $U_NEW "New fix" "$(appl new)" "$inst" "\"supersedes\":[\"$U_OLD\"]"
add $U_NEW "$TMP/files/$U_NEW/install.sh"

mkdir -p "$TMP/files/$U_BAD"
printf 'echo "cannot write /opt/bad: disk full" >&2\necho partial\nexit 3\n' \
	>"$TMP/files/$U_BAD/install.sh"
define $U_BAD "Broken installer" "$(appl bad)" "$inst"
add $U_BAD "$TMP/files/$U_BAD/install.sh"

script $U_UNK unk
define $U_UNK "Unknown predicate" \
	"$(appl unk '{"type":"windows_registry","key":"HKLM"}')" "$inst"
# A predicate newer than this origin tool: `catalog add` refuses it unless
# told the document is meant for newer agents.
"$SLUICE" catalog add "$CAT" "$TMP/def/$U_UNK.json" "$TMP/files/$U_UNK/install.sh" \
	>/dev/null 2>&1 && fail "catalog add accepted an unknown predicate"
"$SLUICE" catalog add --unchecked "$CAT" "$TMP/def/$U_UNK.json" \
	"$TMP/files/$U_UNK/install.sh" >/dev/null || fail "catalog add --unchecked"

# Needs a reboot: exit code 100 is listed in reboot_codes.
script $U_RB rb 'trap "exit 100" EXIT'
define $U_RB "Kernel-like fix" "$(appl rb)" \
	'{"handler":"script","arguments":["install.sh","x"],"reboot_codes":[100],"reboot":"if-required"}'
add $U_RB "$TMP/files/$U_RB/install.sh"

# Applicable only once another update is installed (update_installed).
script $U_AFTER after
define $U_AFTER "After the applicable update" \
	"$(appl after "{\"type\":\"update_installed\",\"id\":\"$U_OK\"}")" "$inst"
add $U_AFTER "$TMP/files/$U_AFTER/install.sh"

# Its prerequisite is not approved: it waits.
script $U_ORPHAN orphan
define $U_ORPHAN "Prerequisite not approved" "$(appl orphan)" "$inst" \
	"\"prerequisites\":[\"$U_MISSING\"]"
add $U_ORPHAN "$TMP/files/$U_ORPHAN/install.sh"

server_up full
agent_conf
for u in $U_OK $U_NA $U_PRE $U_DEP $U_OLD $U_NEW $U_BAD $U_UNK $U_RB $U_AFTER $U_ORPHAN; do
	approve $u install
done

# --- detect: states only, nothing runs ------------------------------------
agent detect || agent_fail "detect failed"
[ ! -e "$ROOT/order" ] || agent_fail "detect ran an installer"
[ "$(state_of $U_OK)" = needed ] || agent_fail "U_OK: $(state_of $U_OK)"
[ "$(state_of $U_NA)" = not-applicable ] || agent_fail "U_NA: $BODY"
[ "$(state_of $U_OLD)" = not-applicable ] || agent_fail "U_OLD: $BODY"
[ "$(detail_of $U_OLD)" = "superseded by $U_NEW" ] || agent_fail "U_OLD detail: $BODY"
[ "$(state_of $U_UNK)" = not-applicable ] || agent_fail "U_UNK: $BODY"
detail_of $U_UNK | grep -q "unknown predicate" || agent_fail "U_UNK detail: $BODY"
[ "$(state_of $U_AFTER)" = not-applicable ] || agent_fail "U_AFTER before: $(state_of $U_AFTER)"
grep -q "is_installable: .*unknown predicate" "$AGENT_LOG" ||
	agent_fail "the unknown predicate is not logged"
api GET /v1/admin/computers
[ "$(jq -r '.computers[0].group' <<<"$BODY")" = web ] ||
	agent_fail "client-side targeting: $BODY"

# --- install ----------------------------------------------------------------
agent install && agent_fail "install should report the failed installer"
[ -f "$ROOT/opt/ok/done" ] || agent_fail "U_OK did not run"
grep -q "installed ok with from-agent" "$ROOT/opt/ok/done" ||
	agent_fail "arguments not passed"
[ "$(state_of $U_OK)" = installed ] || agent_fail "U_OK: $BODY"
[ "$(events_of $U_OK install | jq -r '.[0].result')" = success ] ||
	agent_fail "U_OK event: $BODY"
[ ! -e "$ROOT/opt/na" ] || agent_fail "U_NA ran"
# prerequisite order
[ "$(grep -n '^pre$' "$ROOT/order" | cut -d: -f1)" -lt \
	"$(grep -n '^dep$' "$ROOT/order" | cut -d: -f1)" ] ||
	agent_fail "order: $(cat "$ROOT/order")"
[ "$(state_of $U_PRE)" = installed ] || agent_fail "U_PRE: $BODY"
[ "$(state_of $U_DEP)" = installed ] || agent_fail "U_DEP: $BODY"
# supersedence
[ ! -e "$ROOT/opt/old" ] || agent_fail "the superseded update was installed"
[ "$(state_of $U_NEW)" = installed ] || agent_fail "U_NEW: $BODY"
[ "$(state_of $U_OLD)" = not-applicable ] || agent_fail "U_OLD: $BODY"
# failure: exit code and output
[ "$(state_of $U_BAD)" = failed ] || agent_fail "U_BAD: $BODY"
[ "$(detail_of $U_BAD)" = "exit code 3" ] || agent_fail "U_BAD detail: $BODY"
ev=$(events_of $U_BAD install)
[ "$(jq -r '.[0].result' <<<"$ev")" = failure ] || agent_fail "U_BAD event: $ev"
[ "$(jq -r '.[0].exit_code' <<<"$ev")" = 3 ] || agent_fail "U_BAD code: $ev"
jq -r '.[0].output' <<<"$ev" | grep -q "disk full" || agent_fail "U_BAD output: $ev"
jq -r '.[0].output' <<<"$ev" | grep -q "partial" || agent_fail "U_BAD stdout: $ev"

# a missing prerequisite: waits, not installed
[ ! -e "$ROOT/opt/orphan" ] || agent_fail "U_ORPHAN installed without its prerequisite"
[ "$(state_of $U_ORPHAN)" = needed ] || agent_fail "U_ORPHAN: $(state_of $U_ORPHAN)"
[ "$(detail_of $U_ORPHAN)" = "waiting for prerequisite $U_MISSING" ] ||
	agent_fail "U_ORPHAN detail: $(detail_of $U_ORPHAN)"
# reboot-required
[ -f "$ROOT/opt/rb/done" ] || agent_fail "U_RB did not run"
[ "$(state_of $U_RB)" = installed-pending-reboot ] || agent_fail "U_RB: $(state_of $U_RB)"
[ "$(events_of $U_RB install | jq -r '.[0].result')" = reboot-required ] ||
	agent_fail "U_RB event: $(events_of $U_RB install)"
# update_installed: applicable now that U_OK is installed; not yet run.
[ "$(state_of $U_AFTER)" = needed ] || agent_fail "U_AFTER after: $(state_of $U_AFTER)"

# --- a second detection changes nothing and sends no event twice ------------
status_json
n_events=$(jq '.events | length' <<<"$BODY")
agent detect || agent_fail "second detect"
[ "$(state_of $U_OK)" = installed ] || agent_fail "U_OK after detect: $BODY"
[ "$(jq '.events | length' <<<"$BODY")" = "$n_events" ] ||
	agent_fail "events changed: $BODY"
[ "$(sqlite3 "$STATE/agent.db" 'SELECT count(*) FROM queue_events')" = 0 ] ||
	agent_fail "events left in the queue"

# --- the next install run takes what became applicable -----------------------
agent install && agent_fail "U_BAD is retried and fails again"
[ -f "$ROOT/opt/after/done" ] || agent_fail "U_AFTER not installed"
[ "$(state_of $U_AFTER)" = installed ] || agent_fail "U_AFTER: $(state_of $U_AFTER)"
[ "$(jq 'length' <<<"$(events_of $U_OK install)")" = 1 ] ||
	agent_fail "an installed update ran again"
[ "$(jq 'length' <<<"$(events_of $U_BAD install)")" = 2 ] ||
	agent_fail "the failed update was not retried"

# --- status -----------------------------------------------------------------
"$AGENT" status --config "$ACONF" >"$TMP/status.txt" || agent_fail "status"
grep -q "Applicable update .* installed" "$TMP/status.txt" ||
	agent_fail "status table: $(cat "$TMP/status.txt")"
grep -q "Broken installer .* failed .*exit code 3" "$TMP/status.txt" ||
	agent_fail "status table: $(cat "$TMP/status.txt")"
grep -q "report queue: 0 state(s), 0 event(s)" "$TMP/status.txt" ||
	agent_fail "status queue: $(cat "$TMP/status.txt")"
echo "ok"
