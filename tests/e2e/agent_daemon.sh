#!/usr/bin/env bash
# sluice-agent run (the daemon) and the download path: an approval whose
# deadline passed is installed at once, outside the daily install time; a
# daily install time missed while the agent was not running is caught up; an
# approval that is removed leaves the agent's view at the next incremental
# sync; a partial download left by an earlier run is resumed (HTTP Range)
# with a bandwidth limit set; SIGTERM stops the daemon cleanly; bad
# configuration is reported with its file and line.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent_lib.sh"

U_DUE=eeeeeeee-0000-4000-8000-000000000001
U_LATER=eeeeeeee-0000-4000-8000-000000000002
U_BIG=eeeeeeee-0000-4000-8000-000000000003

"$AGENT" --version | grep -q "^sluice-agent " || fail "--version"
"$AGENT" --help | grep -q "install" || fail "--help"

catalog_setup
for u in $U_DUE $U_LATER; do
	mkdir -p "$TMP/files/$u"
	printf 'mkdir -p "$SLUICE_ROOT/opt"; touch "$SLUICE_ROOT/opt/%s"\n' "$u" \
		>"$TMP/files/$u/install.sh"
	define $u "Daemon $u" \
		"{\"is_installed\":{\"type\":\"file_exists\",\"path\":\"/opt/$u\"},\"is_installable\":{\"type\":\"true\"}}" \
		'{"handler":"script","arguments":["install.sh"]}'
	add $u "$TMP/files/$u/install.sh"
done
# A bigger file for the resume and bandwidth checks.
mkdir -p "$TMP/files/$U_BIG"
head -c 300000 /dev/urandom >"$TMP/files/$U_BIG/payload.bin"
printf 'cmp payload.bin "$1" || exit 9\nmkdir -p "$SLUICE_ROOT/opt"; touch "$SLUICE_ROOT/opt/%s"\n' \
	"$U_BIG" >"$TMP/files/$U_BIG/install.sh"
define $U_BIG "Big download" \
	"{\"is_installed\":{\"type\":\"file_exists\",\"path\":\"/opt/$U_BIG\"},\"is_installable\":{\"type\":\"true\"}}" \
	"{\"handler\":\"script\",\"arguments\":[\"install.sh\",\"$TMP/files/$U_BIG/payload.bin\"]}"
add $U_BIG "$TMP/files/$U_BIG/install.sh" "$TMP/files/$U_BIG/payload.bin"
server_up full
agent_conf

# --- a bad configuration names the file and line --------------------------
printf '[agent]\nserver = %s\ninstall_time = 25:00\n' "$SERVER_URL" >"$TMP/bad.conf"
rc=0
"$AGENT" detect --config "$TMP/bad.conf" 2>"$TMP/bad.err" || rc=$?
[ "$rc" = 2 ] || fail "bad config: exit $rc"
grep -q "bad.conf:3: install_time: expected HH:MM" "$TMP/bad.err" ||
	fail "bad config message: $(cat "$TMP/bad.err")"

# --- run --once: the past deadline is due now; the other waits --------------
# The daily install time is an hour away, so only the deadline triggers.
at=$(date -d '+1 hour' +%H:%M)
echo "install_time = $at" >>"$ACONF"
approve $U_DUE install "2020-01-01T00:00:00Z"
approve $U_LATER install
agent run --once || agent_fail "run --once"
[ -e "$ROOT/opt/$U_DUE" ] || agent_fail "the past-deadline update was not installed"
[ ! -e "$ROOT/opt/$U_LATER" ] || agent_fail "an update without deadline was installed early"
[ "$(state_of $U_DUE)" = installed ] || agent_fail "due: $(state_of $U_DUE)"
[ "$(state_of $U_LATER)" = needed ] || agent_fail "later: $(state_of $U_LATER)"

# --- incremental sync: a withdrawn approval stays in the view, unapproved ---
# (every update is evaluated; only approved ones are installed)
api POST /v1/admin/approvals "{\"update\":\"$U_LATER\",\"group\":\"web\",\"action\":\"not-approved\",\"deadline\":null}"
[ "$HTTP_STATUS" = 200 ] || fail "unapprove: $HTTP_STATUS $BODY"
agent detect || agent_fail "detect"
grep -q "synced incrementally: 1 update(s) changed, 0 removed" "$AGENT_LOG" ||
	agent_fail "withdrawal not synced incrementally"
[ "$(sqlite3 "$STATE/agent.db" "SELECT action FROM view WHERE id='$U_LATER'")" = none ] ||
	agent_fail "withdrawn update not kept as unapproved in the view"
[ "$(state_of $U_LATER)" = needed ] || agent_fail "unapproved later: $(state_of $U_LATER)"

# --- resume a partial download, with a bandwidth limit ---------------------
# The .part left by an "earlier run" holds wrong bytes: if the agent resumes
# (Range from byte 100000) the whole file cannot match its SHA-256, so the
# download is refused and the .part deleted; the next run starts afresh.
SHA=$(sha256sum "$TMP/files/$U_BIG/payload.bin" | cut -d' ' -f1)
mkdir -p "$STATE/downloads"
head -c 100000 /dev/zero >"$STATE/downloads/$SHA.part"
echo "bandwidth_limit = 100000" >>"$ACONF"
approve $U_BIG install
agent install && agent_fail "a corrupt resumed download must fail"
[ ! -e "$ROOT/opt/$U_BIG" ] || agent_fail "installed from a corrupt download"
[ ! -e "$STATE/downloads/$SHA.part" ] || agent_fail "corrupt .part kept"
[ ! -e "$STATE/downloads/$SHA" ] || agent_fail "corrupt file kept"
ev=$(events_of $U_BIG download)
[ "$(jq -r '.[0].result' <<<"$ev")" = failure ] || agent_fail "download event: $ev"
[ "$(state_of $U_BIG)" = needed ] || agent_fail "big: $(state_of $U_BIG)"
# Now a correct prefix: resumed, verified, installed.
head -c 100000 "$TMP/files/$U_BIG/payload.bin" >"$STATE/downloads/$SHA.part"
t0=$(date +%s)
agent install || agent_fail "install big"
t1=$(date +%s)
[ -e "$ROOT/opt/$U_BIG" ] || agent_fail "big update not installed"
[ ! -e "$STATE/downloads/$SHA.part" ] || agent_fail ".part left behind"
cmp -s "$STATE/downloads/$SHA" "$TMP/files/$U_BIG/payload.bin" ||
	agent_fail "downloaded file differs"
# (Not asserted: the time taken. libcurl 7.88's rate limiter lets
# transfers this small through in a burst on loopback.)
echo "resumed download with bandwidth_limit took $((t1 - t0)) s"

# A cached download that went bad is fetched again before use.
echo "corrupted" >"$STATE/downloads/$SHA"
truncate -s 300000 "$STATE/downloads/$SHA"
rm -f "$ROOT/opt/$U_BIG"
agent install || agent_fail "install with a corrupted cached file"
grep -q "does not match its SHA-256; fetching it again" "$AGENT_LOG" ||
	agent_fail "the corrupted cache was not noticed"
cmp -s "$STATE/downloads/$SHA" "$TMP/files/$U_BIG/payload.bin" ||
	agent_fail "the cached file was not replaced"
[ -e "$ROOT/opt/$U_BIG" ] || agent_fail "not reinstalled"

# --- a missed install time is caught up at the next start -----------------
approve $U_LATER install
agent run --once || agent_fail "run --once (nothing missed)"
[ ! -e "$ROOT/opt/$U_LATER" ] || agent_fail "installed outside the install time"
[ "$(state_of $U_LATER)" = needed ] || agent_fail "later: $(state_of $U_LATER)"
# The last install run was long ago: the daily time has passed since.
sqlite3 "$STATE/agent.db" "UPDATE meta SET value='1' WHERE key='last_install_at'"
agent run --once || agent_fail "run --once (missed schedule)"
grep -q "install time .* was missed; installing now" "$AGENT_LOG" ||
	agent_fail "missed schedule not noticed"
[ -e "$ROOT/opt/$U_LATER" ] || agent_fail "the missed install did not run"
[ "$(state_of $U_LATER)" = installed ] || agent_fail "later: $(state_of $U_LATER)"
last=$(sqlite3 "$STATE/agent.db" "SELECT value FROM meta WHERE key='last_install_at'")
[ "$last" -gt 1 ] || agent_fail "install run not recorded"

# --- the daemon stops cleanly on SIGTERM ----------------------------------
"$AGENT" run --config "$ACONF" >>"$AGENT_LOG" 2>&1 &
APID=$!
for ((i = 0; i < 100; i++)); do
	grep -q "agent started" "$AGENT_LOG" && break
	sleep 0.1
done
grep -q "agent started" "$AGENT_LOG" || agent_fail "daemon did not start"
sleep 0.5
kill -TERM $APID
rc=0
wait $APID || rc=$?
[ "$rc" = 0 ] || agent_fail "daemon exit status $rc after SIGTERM"
grep -q "agent stopped" "$AGENT_LOG" || agent_fail "no 'agent stopped' line"
echo ok
