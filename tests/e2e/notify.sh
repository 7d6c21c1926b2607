#!/usr/bin/env bash
# Notifications on loopback: a real SMTP server (aiosmtpd) receives the
# test message, the summary of a sync by classification and the status
# report (computers needing updates, a failed installation); a webhook
# receives the same events as JSON; e-mail also goes over STARTTLS with
# authentication to a server that requires both.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent_lib.sh"

# Debian's python3 has python3-aiosmtpd (another python3 may come first
# on PATH).
SMTPPY=/usr/bin/python3
"$SMTPPY" -c 'import aiosmtpd' 2>/dev/null || fail "python3-aiosmtpd is not installed (scripts/deps.sh)"
U_SEC=5e5e5e5e-0000-4000-8000-000000000001
U_FEA=5e5e5e5e-0000-4000-8000-000000000002
U_BAD=5e5e5e5e-0000-4000-8000-000000000003
catalog_setup
mkdir -p "$ROOT/etc" "$TMP/f"
printf 'ID=sluicetest\nVERSION_ID="1.0"\n' >"$ROOT/etc/os-release"
printf 'echo ok\n' >"$TMP/f/ok.sh"
printf 'echo "disk full" >&2; exit 3\n' >"$TMP/f/bad.sh"
appl='{"is_installed":{"type":"file_exists","path":"/nope"},"is_installable":{"type":"os_id","id":"sluicetest"}}'
define $U_SEC "Security fix for acme" "$appl" '{"handler":"script","arguments":["ok.sh"]}'
add $U_SEC "$TMP/f/ok.sh"
sed 's/"security"/"feature"/' "$TMP/def/$U_SEC.json" | sed "s/$U_SEC/$U_FEA/; s/Security fix for acme/New acme feature/" >"$TMP/def/$U_FEA.json"
add $U_FEA "$TMP/f/ok.sh"
define $U_BAD "Broken installer" "$appl" '{"handler":"script","arguments":["bad.sh"]}'
add $U_BAD "$TMP/f/bad.sh"

SPORT=$(free_port)
"$SMTPPY" "$SOURCE_ROOT/tests/e2e/smtp_sink.py" "$SPORT" "$TMP/mail" >"$TMP/smtp.out" 2>&1 &
SMTP_PID=$!
WPORT=$(free_port)
python3 "$SOURCE_ROOT/tests/e2e/webhook_sink.py" "$WPORT" "$TMP/hook.log" >"$TMP/hook.out" 2>&1 &
HOOK_PID=$!
TLS_PID=
trap 'kill $SMTP_PID $HOOK_PID $TLS_PID 2>/dev/null || true; _lib_cleanup' EXIT
wait_port "$SPORT"
wait_port "$WPORT"

# mail_with SUBJECT-TEXT: the file of the first message whose subject has it.
mail_with() {
	local i f
	for ((i = 0; i < 100; i++)); do
		for f in "$1"/*.eml; do
			[ -e "$f" ] || continue
			if grep -q "^Subject: .*$2" "$f"; then
				echo "$f"
				return 0
			fi
		done
		sleep 0.1
	done
	return 1
}

start_server "$DATA" "[upstream]
url = file://$CAT/public
trusted_keys = $KEY
syncs_per_day = 0
[storage]
mode = full
[notify]
smtp = smtp://127.0.0.1:$SPORT
from = sluice@test.example
to = admin@test.example, ops@test.example
webhook = http://127.0.0.1:$WPORT/hook"

# --- the test message ---------------------------------------------------------
"$SLUICE" notify test >"$TMP/out" || fail "notify test: $(cat "$TMP/out")"
grep -q "through 2 channel" "$TMP/out" || fail "notify test: $(cat "$TMP/out")"
m=$(mail_with "$TMP/mail" "sluice: test message") || fail "no test mail: $(ls "$TMP/mail")"
grep -q "^From: <sluice@test.example>" "$m" || fail "From: $(cat "$m")"
grep -q "^To: <admin@test.example>, <ops@test.example>" "$m" || fail "To: $(cat "$m")"
grep -q "notifications work" "$m" || fail "body: $(cat "$m")"
jq -e '.to == ["admin@test.example", "ops@test.example"] and .from == "sluice@test.example"' \
	"${m%.eml}.json" >/dev/null || fail "envelope: $(cat "${m%.eml}.json")"
grep -q '"event":"test"' "$TMP/hook.log" || fail "webhook test: $(cat "$TMP/hook.log")"

# --- a sync with new updates: the summary by classification -----------------
admin_sync
m=$(mail_with "$TMP/mail" "3 new updates synced") || fail "no sync mail: $(grep -h Subject "$TMP"/mail/*.eml)"
grep -Eq "^  security +2" "$m" || fail "security count: $(cat "$m")"
grep -Eq "^  feature +1" "$m" || fail "feature count: $(cat "$m")"
grep -q "\[feature\] New acme feature ($U_FEA)" "$m" || fail "titles: $(cat "$m")"
for ((i = 0; i < 50; i++)); do grep -q '"event":"sync"' "$TMP/hook.log" && break; sleep 0.1; done
grep '"event":"sync"' "$TMP/hook.log" | jq -e '.new == 3 and .by_classification.security == 2 and .by_classification.feature == 1' >/dev/null ||
	fail "webhook sync: $(cat "$TMP/hook.log")"
# A sync that brings nothing sends nothing.
n_before=$(ls "$TMP"/mail/*.eml | wc -l)
admin_sync
sleep 0.5
[ "$(ls "$TMP"/mail/*.eml | wc -l)" = "$n_before" ] || fail "a sync with nothing new sent mail"

# --- the status report: computers needing updates, a failed install ---------
api POST /v1/admin/groups '{"name":"web"}'
approve $U_BAD install
agent_conf
agent install && agent_fail "the broken installer should fail"
"$SLUICE" notify report >"$TMP/out" || fail "notify report: $(cat "$TMP/out")"
m=$(mail_with "$TMP/mail" "sluice status: 1 computer need") || fail "no report mail"
grep -q "Failed installations: 1" "$m" || fail "report: $(cat "$m")"
grep -q "$(hostname): Broken installer" "$m" || fail "report failure line: $(cat "$m")"
grep '"event":"report"' "$TMP/hook.log" | jq -e '.failed_installs == 1 and .computers_needing == 1' >/dev/null ||
	fail "webhook report: $(cat "$TMP/hook.log")"
api GET "/v1/admin/audit?action=notify"
[ "$(jq '.audit | length' <<<"$BODY")" -ge 2 ] || fail "notify not audited: $BODY"
stop_server

# --- STARTTLS and authentication required ------------------------------------
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=127.0.0.1" \
	-addext "subjectAltName=IP:127.0.0.1" -keyout "$TMP/key.pem" -out "$TMP/cert.pem" \
	>/dev/null 2>&1 || fail "openssl"
TPORT=$(free_port)
"$SMTPPY" "$SOURCE_ROOT/tests/e2e/smtp_sink.py" "$TPORT" "$TMP/tlsmail" "$TMP/cert.pem" "$TMP/key.pem" \
	"mailer:p4ss" >"$TMP/tls.out" 2>&1 &
TLS_PID=$!
wait_port "$TPORT"
D2=$TMP/d2
start_server "$D2" "[notify]
smtp = smtp://127.0.0.1:$TPORT
starttls = required
ca_file = $TMP/cert.pem
user = mailer
password = p4ss
to = admin@test.example"
"$SLUICE" notify test >"$TMP/out" 2>&1 || fail "notify test over TLS: $(cat "$TMP/out")"
m=$(mail_with "$TMP/tlsmail" "sluice: test message") || fail "no TLS mail"
jq -e '.tls == true and .auth == true' "${m%.eml}.json" >/dev/null || fail "not TLS+auth: $(cat "${m%.eml}.json")"
stop_server
# The password is not shown by --check-config (its output read whole: grep
# -q may stop reading early, and a dump longer than a pipe's buffer then
# dies of SIGPIPE).
"$SLUICED" --check-config --config "$D2/sluiced.ini" >"$TMP/dump" ||
	fail "--check-config failed"
grep -q "password = (set; not shown)" "$TMP/dump" ||
	fail "the SMTP password is shown"
echo "notify: ok"
