#!/usr/bin/env bash
# A metadata document altered on the server (in its database, after the
# server verified it at sync) is refused by the agent, which verifies every
# signature itself: the update is not installed, its state says why, and
# one "verify" failure event is reported (not one per detection). An
# untouched update next to it installs normally. With a key the documents
# are not signed by, no document is used.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent_lib.sh"

U_GOOD=bbbbbbbb-0000-4000-8000-000000000001
U_EVIL=bbbbbbbb-0000-4000-8000-000000000002

catalog_setup
for u in $U_GOOD $U_EVIL; do
	mkdir -p "$TMP/files/$u"
	printf 'mkdir -p "$SLUICE_ROOT/opt"\ntouch "$SLUICE_ROOT/opt/%s"\n' \
		"$u" >"$TMP/files/$u/install.sh"
	define $u "Update $u" \
		"{\"is_installed\":{\"type\":\"file_exists\",\"path\":\"/opt/$u\"},\"is_installable\":{\"type\":\"true\"}}" \
		'{"handler":"script","arguments":["install.sh"]}'
	add $u "$TMP/files/$u/install.sh"
done
server_up full
agent_conf
approve $U_GOOD install
approve $U_EVIL install

# The attacker controls the server: make the update run something else.
doc=$(server_sql "$DATA" "SELECT document FROM updates WHERE id='$U_EVIL'")
doc=$(jq '.signed.install.arguments += ["--evil"]' <<<"$doc") ||
	fail "tampering failed"
server_sql "$DATA" "UPDATE updates SET document='${doc//\'/\'\'}' WHERE id='$U_EVIL'" ||
	fail "tampering failed"
server_sql "$DATA" "SELECT document FROM updates WHERE id='$U_EVIL'" |
	grep -q -- --evil || fail "tampering did not apply"

agent install || agent_fail "install"
[ -f "$ROOT/opt/$U_GOOD" ] || agent_fail "the good update was not installed"
[ ! -e "$ROOT/opt/$U_EVIL" ] || agent_fail "the tampered update was installed"
[ "$(state_of $U_GOOD)" = installed ] || agent_fail "good: $BODY"
[ "$(state_of $U_EVIL)" = not-applicable ] || agent_fail "evil: $BODY"
detail_of $U_EVIL | grep -q "^refused: .*signature" || agent_fail "evil detail: $BODY"
ev=$(events_of $U_EVIL verify)
[ "$(jq 'length' <<<"$ev")" = 1 ] || agent_fail "verify events: $ev"
[ "$(jq -r '.[0].result' <<<"$ev")" = failure ] || agent_fail "verify event: $ev"
[ "$(jq 'length' <<<"$(events_of $U_EVIL install)")" = 0 ] ||
	agent_fail "an install event for the tampered update"
grep -q "metadata refused" "$AGENT_LOG" || agent_fail "refusal not logged"

# Detecting again does not report the same refusal twice.
agent detect || agent_fail "detect"
[ "$(jq 'length' <<<"$(events_of $U_EVIL verify)")" = 1 ] ||
	agent_fail "verify event repeated: $BODY"

# Documents signed by a key the agent does not trust are not used at all.
"$SLUICE" catalog init "$TMP/other" >/dev/null || fail "catalog init other"
sed -i "s|^trusted_keys = .*|trusted_keys = $(ls "$TMP"/other/public/keys/*.pub)|" "$ACONF"
agent detect || agent_fail "detect with another key"
[ "$(state_of $U_GOOD)" = not-applicable ] || agent_fail "untrusted: $(state_of $U_GOOD)"
[ "$(detail_of $U_GOOD)" = "refused: no signature by a trusted key" ] ||
	agent_fail "untrusted detail: $(detail_of $U_GOOD)"
[ "$(jq 'length' <<<"$(events_of $U_GOOD verify)")" = 1 ] ||
	agent_fail "no verify event for the untrusted document"
echo ok
