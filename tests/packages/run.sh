#!/usr/bin/env bash
# Proves the Debian packages on this machine (as root; changes the system
# and puts it back): builds them (make deb), installs them with apt-get,
# checks files, conffiles, man pages, units, the system user and its data
# directory; runs sluiced from the unit's ExecStart as user sluice with the
# installed configuration and enrols an agent; checks /healthz, /readyz and
# /metrics, a SIGHUP reload, the data directory lock, an online backup
# while the agent reports and its restore; reinstalls (the upgrade
# path) and removes (data stays); purges and checks that nothing is left;
# installs the agent over a configuration written first (docs/deploy.md).
#
#   tests/packages/run.sh [DIST]     DIST: where make deb puts them (dist)
#   SKIP_BUILD=1                     use the .deb files already in DIST
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DIST=${1:-dist}
case $DIST in /*) ;; *) DIST=$ROOT/$DIST ;; esac
PKGS=(sluice-server sluice-agent sluice-tools)
TMP=$(mktemp -d /tmp/sluice-pkgtest.XXXXXX)
SERVER_PID=
T0=$(date +%s)

step() { printf '\n== %s (%ds)\n' "$*" "$(($(date +%s) - T0))"; }
ok() { printf 'ok   %s\n' "$*"; }
fail() {
	echo "FAIL: $*" >&2
	[ -f "$TMP/sluiced.log" ] && { echo "--- sluiced log" >&2; tail -n 20 "$TMP/sluiced.log" >&2; }
	exit 1
}
installed() { dpkg-query -W -f='${db:Status-Abbrev}' "$1" 2>/dev/null | grep -q '^[ih]i'; }
known() { dpkg-query -W -f='${db:Status-Abbrev}' "$1" 2>/dev/null | grep -q '^[a-z][a-z]'; }
all_pkgs() { printf '%s\n' "${PKGS[@]}" "${PKGS[@]/%/-dbgsym}"; }

stop_server() {
	if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
		kill -TERM "$SERVER_PID"
		wait "$SERVER_PID" || fail "sluiced did not exit cleanly"
	fi
	SERVER_PID=
}

cleanup() {
	local rc=$?
	set +e
	if [ -n "$SERVER_PID" ]; then
		kill -TERM "$SERVER_PID" 2>/dev/null
		wait "$SERVER_PID" 2>/dev/null
	fi
	# Whatever happened, leave no package, user or data behind.
	local left=()
	for p in $(all_pkgs); do known "$p" && left+=("$p"); done
	if [ "${#left[@]}" -gt 0 ]; then
		echo "cleanup: purging ${left[*]}" >&2
		DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq "${left[@]}" >/dev/null 2>&1
	fi
	# /etc/sluice did not exist before the test: drop the key it put there.
	rm -f /etc/sluice/origin.pub
	rmdir /etc/sluice 2>/dev/null
	rm -rf "$TMP"
	exit $rc
}

[ "$(id -u)" -eq 0 ] || fail "run as root (installs and purges packages)"
# On a CI machine a run killed half way may have left our own packages
# behind: purge them (and what they made) first. Elsewhere refuse below.
if [ "${CI:-}" = true ]; then
	for p in $(all_pkgs); do
		known "$p" && { echo "CI: purging $p left by an earlier run"; apt-get purge -y -qq "$p" >/dev/null 2>&1 || dpkg --purge --force-all "$p" >/dev/null 2>&1 || true; }
	done
	getent passwd sluice >/dev/null && { echo "CI: removing user sluice left by an earlier run"; userdel sluice 2>/dev/null || true; }
	getent group sluice >/dev/null && groupdel sluice 2>/dev/null || true
	rm -rf /var/lib/sluice /var/lib/sluice-agent /etc/sluice
fi
for p in $(all_pkgs); do
	if known "$p"; then
		fail "$p is already on this system; this test would purge it"
	fi
done
if getent passwd sluice >/dev/null || [ -e /var/lib/sluice ] || [ -e /etc/sluice ]; then
	fail "user sluice, /var/lib/sluice or /etc/sluice already exist; not touching them"
fi
trap cleanup EXIT

if [ -z "${SKIP_BUILD:-}" ]; then
	step "build (make deb)"
	make -C "$ROOT" deb DIST="$DIST" >"$TMP/build.log" 2>&1 ||
		{ tail -n 30 "$TMP/build.log" >&2; fail "make deb"; }
	grep -E '^[EW]: ' "$TMP/build.log" | sed 's/^/lintian: /' || true
fi
debs=()
for p in "${PKGS[@]}"; do
	f=$(ls "$DIST/${p}"_*.deb 2>/dev/null | head -n 1)
	[ -n "$f" ] || fail "no $p package in $DIST"
	debs+=("$f")
done

step "install (apt-get install ./${debs[*]##*/})"
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${debs[@]}" >"$TMP/apt.log" 2>&1 ||
	{ cat "$TMP/apt.log" >&2; fail "apt-get install"; }
for p in "${PKGS[@]}"; do installed "$p" || fail "$p not installed"; done
ok "installed ${PKGS[*]}"

step "files"
for f in /usr/bin/sluiced /usr/bin/sluice-agent /usr/bin/sluice; do
	[ -x "$f" ] || fail "$f missing"
	"$f" --version >/dev/null || fail "$f --version"
done
ok "binaries run (--version)"
for u in sluiced sluice-agent; do
	[ -f "/lib/systemd/system/$u.service" ] || fail "unit $u.service missing"
	[ -L "/etc/systemd/system/multi-user.target.wants/$u.service" ] ||
		fail "$u.service is not enabled"
done
ok "units installed and enabled"
for m in man1/sluice.1 man8/sluiced.8 man8/sluice-agent.8 man5/sluiced.conf.5 \
	man5/sluice-agent.conf.5; do
	f=/usr/share/man/$m.gz
	[ -f "$f" ] || fail "man page $f missing"
	zcat "$f" | grep -q '^\.TH' || fail "$f is not a man page"
done
ok "man pages"
conf_of() { dpkg-query -W -f='${Conffiles}\n' "$1" | awk 'NF {print $1}'; }
[ "$(conf_of sluice-server)" = /etc/sluice/sluiced.conf ] || fail "sluice-server conffiles: $(conf_of sluice-server)"
[ "$(conf_of sluice-agent)" = /etc/sluice/agent.conf ] || fail "sluice-agent conffiles: $(conf_of sluice-agent)"
sluiced --print-config-template | cmp -s - /etc/sluice/sluiced.conf ||
	fail "/etc/sluice/sluiced.conf differs from sluiced --print-config-template"
sluice-agent --print-config-template | cmp -s - /etc/sluice/agent.conf ||
	fail "/etc/sluice/agent.conf differs from sluice-agent --print-config-template"
n_srv=$(grep -c '^#[a-z_]* =' /etc/sluice/sluiced.conf)
n_agent=$(grep -c '^#[a-z_]* =' /etc/sluice/agent.conf)
[ "$(grep -c '^# ' /etc/sluice/sluiced.conf)" -gt "$n_srv" ] || fail "options without help"
sluiced --config /etc/sluice/sluiced.conf --check-config >/dev/null ||
	fail "the installed sluiced.conf does not load"
sluice-agent --config /etc/sluice/agent.conf --dump-config >/dev/null ||
	fail "the installed agent.conf does not load"
ok "conffiles: sluiced.conf ($n_srv options), agent.conf ($n_agent options), generated from the tables, load"

step "user and data directory"
IFS=: read -r _ _ uid gid _ home shell < <(getent passwd sluice) || fail "no user sluice"
[ "$uid" -lt 1000 ] || fail "sluice is not a system user (uid $uid)"
[ "$home" = /var/lib/sluice ] || fail "home of sluice is $home"
case $shell in */nologin | */false) ;; *) fail "sluice has login shell $shell" ;; esac
getent group sluice >/dev/null || fail "no group sluice"
[ "$(stat -c '%U:%G %a' /var/lib/sluice)" = "sluice:sluice 750" ] ||
	fail "/var/lib/sluice is $(stat -c '%U:%G %a' /var/lib/sluice)"
ok "system user sluice (uid $uid, $shell) owns /var/lib/sluice (0750)"

step "units (systemd-analyze)"
man_opt=--man=yes
command -v man >/dev/null || man_opt=--man=no
systemd-analyze verify "$man_opt" /lib/systemd/system/sluiced.service \
	/lib/systemd/system/sluice-agent.service >"$TMP/verify.log" 2>&1 ||
	{ cat "$TMP/verify.log" >&2; fail "systemd-analyze verify"; }
ok "systemd-analyze verify: both units"
grep -qx 'Type=notify' /lib/systemd/system/sluiced.service || fail "sluiced.service is not Type=notify"
grep -qx 'ExecReload=/bin/kill -HUP $MAINPID' /lib/systemd/system/sluiced.service ||
	fail "sluiced.service has no ExecReload sending SIGHUP"
ok "sluiced.service: Type=notify, ExecReload sends SIGHUP"
for u in sluiced sluice-agent; do
	line=$(systemd-analyze security --offline=yes "/lib/systemd/system/$u.service" 2>&1 |
		grep 'Overall exposure level') || fail "systemd-analyze security $u"
	echo "     $u: ${line#*→ }"
done
systemd-analyze security --offline=yes /lib/systemd/system/sluiced.service 2>&1 |
	grep -Eq 'Overall exposure level .* (SAFE|OK)' || fail "sluiced.service scores worse than OK"
ok "sluiced.service scores OK or better"

step "sluiced from the unit's ExecStart, as user sluice"
exec_start=$(sed -n 's/^ExecStart=//p' /lib/systemd/system/sluiced.service)
user=$(sed -n 's/^User=//p' /lib/systemd/system/sluiced.service)
umask_unit=$(sed -n 's/^UMask=//p' /lib/systemd/system/sluiced.service)
[ "$user" = sluice ] || fail "unit runs as '$user'"
port=$("$ROOT/scripts/free-port" "$TMP/.ports")
# The installed configuration; only the port is overridden by a flag (the
# default 8530 may be taken on a shared machine).
# shellcheck disable=SC2086
(umask "$umask_unit" && cd / && exec setpriv --reuid=sluice --regid=sluice --init-groups \
	--no-new-privs -- $exec_start --listen "127.0.0.1:$port") >"$TMP/sluiced.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 100); do
	[ -s /var/lib/sluice/admin.token ] && (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
	kill -0 "$SERVER_PID" 2>/dev/null || fail "sluiced exited"
	sleep 0.1
done
[ -s /var/lib/sluice/admin.token ] || fail "no /var/lib/sluice/admin.token"
ps -o user= -p "$SERVER_PID" | grep -qx sluice || fail "sluiced does not run as sluice"
bad=$(find /var/lib/sluice ! -user sluice | head -n 3)
[ -z "$bad" ] || fail "not owned by sluice: $bad"
[ "$(stat -c %a /var/lib/sluice/admin.token)" = 600 ] || fail "admin.token is not 0600"
ok "running as sluice; data written to /var/lib/sluice, owned by sluice"
url=http://127.0.0.1:$port
token=$(cat /var/lib/sluice/admin.token)
code=$(curl -s -o "$TMP/groups.json" -w '%{http_code}' -H "Authorization: Bearer $token" "$url/v1/admin/groups")
[ "$code" = 200 ] || fail "GET /v1/admin/groups: HTTP $code"
jq -e '.groups | length > 0' "$TMP/groups.json" >/dev/null || fail "GET /v1/admin/groups: $(cat "$TMP/groups.json")"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer nope" "$url/v1/admin/groups")
[ "$code" = 401 ] || fail "a bad token gives HTTP $code"
ok "GET /v1/admin/groups answers 200 with the token from the data directory (401 without)"
export SLUICE_SERVER=$url SLUICE_TOKEN=$token
sluice groups create web >/dev/null || fail "sluice groups create"

step "enrol an agent (installed sluice-agent, installed sluice)"
sluice catalog init "$TMP/catalog" >/dev/null || fail "sluice catalog init"
key=$(ls "$TMP"/catalog/public/keys/*.pub | head -n 1)
enroll=$(sluice enrollment create --group web --uses 1) || fail "sluice enrollment create"
printf '[agent]\nserver = %s\ntrusted_keys = %s\ngroups = web\nenrollment_key = %s\n' "$url" "$key" "$enroll" >"$TMP/agent.conf"
sluice-agent detect --config "$TMP/agent.conf" >"$TMP/agent.log" 2>&1 ||
	{ cat "$TMP/agent.log" >&2; fail "sluice-agent detect"; }
[ -f /var/lib/sluice-agent/agent.db ] || fail "no /var/lib/sluice-agent/agent.db"
n=$(sluice --json computers | jq '.computers | length')
[ "$n" = 1 ] || fail "the server lists $n computers"
ok "agent registered (state in /var/lib/sluice-agent); the server lists it"

step "health, readiness and metrics"
code=$(curl -s -o "$TMP/h" -w '%{http_code}' "$url/healthz")
[ "$code" = 200 ] || fail "GET /healthz: HTTP $code"
code=$(curl -s -o "$TMP/r" -w '%{http_code}' "$url/readyz")
[ "$code" = 200 ] && jq -e '.status == "ready" and .database == "ok"' "$TMP/r" >/dev/null ||
	fail "GET /readyz: HTTP $code $(cat "$TMP/r")"
code=$(curl -s -o /dev/null -w '%{http_code}' "$url/metrics")
[ "$code" = 401 ] || fail "GET /metrics without a token: HTTP $code"
code=$(curl -s -o "$TMP/m" -w '%{http_code}' -H "Authorization: Bearer $token" "$url/metrics")
[ "$code" = 200 ] || fail "GET /metrics: HTTP $code"
python3 "$ROOT/tests/e2e/prom_parse.py" <"$TMP/m" >"$TMP/samples" || fail "the /metrics exposition does not parse"
for m in sluice_http_requests_total sluice_http_request_duration_seconds_bucket \
	sluice_agent_syncs_total sluice_agent_reports_total sluice_events_stored \
	sluice_sync_runs_total sluice_sync_last_success_timestamp_seconds sluice_downloads \
	sluice_downloads_bytes sluice_content_served_bytes_total sluice_computers \
	sluice_database_size_bytes; do
	grep -q "^$m[{ ]" "$TMP/samples" || fail "no metric $m in /metrics"
done
awk '$1 == "sluice_agent_syncs_total" && $2 >= 1 { f = 1 } END { exit !f }' "$TMP/samples" ||
	fail "sluice_agent_syncs_total: $(grep agent_syncs "$TMP/samples")"
ok "/healthz, /readyz (no token), /metrics (token; $(wc -l <"$TMP/samples") samples parse, the named metrics present)"

step "SIGHUP reloads /etc/sluice/sluiced.conf"
cp -p /etc/sluice/sluiced.conf "$TMP/sluiced.conf.orig"
grep -q ' access 127\.0\.0\.1 GET /healthz 200 ' "$TMP/sluiced.log" || fail "no access line at the default level"
printf '\n[log]\naccess = off\n' >>/etc/sluice/sluiced.conf
kill -HUP "$SERVER_PID"
for _ in $(seq 50); do
	grep -q 'reload: 1 option(s) applied' "$TMP/sluiced.log" && break
	sleep 0.1
done
grep -q 'reload: log.access changed, applied' "$TMP/sluiced.log" || fail "SIGHUP: log.access not applied"
n=$(grep -c ' access ' "$TMP/sluiced.log")
curl -fsS -o /dev/null "$url/healthz" || fail "GET /healthz after SIGHUP"
sleep 0.3
[ "$(grep -c ' access ' "$TMP/sluiced.log")" = "$n" ] || fail "access lines after [log] access = off"
cp -p "$TMP/sluiced.conf.orig" /etc/sluice/sluiced.conf
kill -HUP "$SERVER_PID"
ok "SIGHUP applied [log] access = off (no more access lines), then the packaged file again"

step "a second sluiced on /var/lib/sluice is refused"
port2=$("$ROOT/scripts/free-port" "$TMP/.ports")
rc=0
# shellcheck disable=SC2086
(cd / && exec timeout 20 setpriv --reuid=sluice --regid=sluice --init-groups --no-new-privs -- \
	$exec_start --listen "127.0.0.1:$port2") >"$TMP/second.log" 2>&1 || rc=$?
[ "$rc" = 1 ] || fail "second sluiced: exit status $rc: $(cat "$TMP/second.log")"
grep -q "/var/lib/sluice is in use by PID $SERVER_PID" "$TMP/second.log" ||
	fail "second sluiced: $(cat "$TMP/second.log")"
kill -0 "$SERVER_PID" || fail "the first sluiced died"
ok "exits at once: $(sed 's/^.*ERROR sluiced: //' "$TMP/second.log")"

step "backup while agents report, restore into a fresh data directory"
install -d -o sluice -g sluice -m 0750 "$TMP/backup" "$TMP/restored"
chmod 0755 "$TMP"
(for _ in $(seq 20); do
	[ -e "$TMP/stop" ] && break
	sluice-agent detect --config "$TMP/agent.conf" >>"$TMP/agent.log" 2>&1 || echo fail >>"$TMP/agent-fail"
done) &
loop=$!
sleep 0.3
(cd / && exec setpriv --reuid=sluice --regid=sluice --init-groups --no-new-privs -- \
	sluiced --config /etc/sluice/sluiced.conf --backup "$TMP/backup/sluice.db") >"$TMP/backup.log" 2>&1 ||
	fail "sluiced --backup: $(cat "$TMP/backup.log")"
touch "$TMP/stop"
wait "$loop"
[ ! -e "$TMP/agent-fail" ] || fail "an agent detect failed during the backup: $(tail -n 5 "$TMP/agent.log")"
[ "$(sqlite3 "$TMP/backup/sluice.db" 'PRAGMA integrity_check')" = ok ] || fail "the backup does not check"
reports=$(grep -c ' POST /v1/agent/sync 200 ' "$TMP/sluiced.log")
install -o sluice -g sluice -m 0640 "$TMP/backup/sluice.db" "$TMP/restored/sluice.db"
port3=$("$ROOT/scripts/free-port" "$TMP/.ports")
# shellcheck disable=SC2086
(cd / && exec setpriv --reuid=sluice --regid=sluice --init-groups --no-new-privs -- \
	$exec_start --data "$TMP/restored" --listen "127.0.0.1:$port3") >"$TMP/restored.log" 2>&1 &
RESTORED_PID=$!
for _ in $(seq 100); do
	(exec 3<>"/dev/tcp/127.0.0.1/$port3") 2>/dev/null && break
	kill -0 "$RESTORED_PID" 2>/dev/null || fail "the restored sluiced exited: $(cat "$TMP/restored.log")"
	sleep 0.1
done
url3=http://127.0.0.1:$port3
code=$(curl -s -o "$TMP/r" -w '%{http_code}' "$url3/readyz")
[ "$code" = 200 ] || fail "restored /readyz: HTTP $code $(cat "$TMP/r")"
n=$(curl -s -H "Authorization: Bearer $token" "$url3/v1/admin/computers" | jq '.computers | length')
[ "$n" = 1 ] || fail "the restored server lists $n computers"
atoken=$(sqlite3 /var/lib/sluice-agent/agent.db "SELECT value FROM meta WHERE key='token'")
anchor=$(sqlite3 /var/lib/sluice-agent/agent.db "SELECT value FROM meta WHERE key='anchor'")
ans=$(curl -sS -X POST -H "Authorization: Bearer $atoken" -H 'Content-Type: application/json' \
	--data-binary "{\"anchor\":\"$anchor\"}" "$url3/v1/agent/sync")
[ "$(jq -c '.full' <<<"$ans")" = false ] || fail "the agent's sync on the restored server is not incremental: $ans"
kill -TERM "$RESTORED_PID"
wait "$RESTORED_PID" || fail "the restored sluiced did not stop cleanly"
ok "backup as user sluice during $reports agent syncs; restored: ready, same computer, the admin token works, the agent's next sync is incremental"

stop_server
ok "sluiced stopped cleanly on SIGTERM"

step "upgrade path (reinstall) keeps data"
sum=$(sha256sum /var/lib/sluice/admin.token)
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --reinstall "${debs[@]}" >"$TMP/apt.log" 2>&1 ||
	{ cat "$TMP/apt.log" >&2; fail "apt-get install --reinstall"; }
[ "$(sha256sum /var/lib/sluice/admin.token)" = "$sum" ] || fail "admin.token changed"
[ -f /var/lib/sluice/sluice.db ] && [ -f /var/lib/sluice-agent/agent.db ] || fail "data lost"
[ "$(id -u sluice)" = "$uid" ] || fail "uid of sluice changed"
ok "database, admin token, agent state and user kept"

step "remove keeps data and conffiles"
DEBIAN_FRONTEND=noninteractive apt-get remove -y -qq "${PKGS[@]}" >"$TMP/apt.log" 2>&1 ||
	{ cat "$TMP/apt.log" >&2; fail "apt-get remove"; }
for f in /usr/bin/sluiced /usr/bin/sluice-agent /usr/bin/sluice /lib/systemd/system/sluiced.service; do
	[ ! -e "$f" ] || fail "$f left after remove"
done
[ -f /var/lib/sluice/sluice.db ] && [ -f /etc/sluice/sluiced.conf ] && [ -f /etc/sluice/agent.conf ] ||
	fail "remove deleted data or conffiles"
getent passwd sluice >/dev/null || fail "remove deleted the user"
ok "binaries and units gone; /var/lib/sluice, conffiles and user kept"

step "purge leaves nothing"
DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq "${PKGS[@]}" >"$TMP/apt.log" 2>&1 ||
	{ cat "$TMP/apt.log" >&2; fail "apt-get purge"; }
for p in $(all_pkgs); do ! known "$p" || fail "$p still known to dpkg"; done
for f in /etc/sluice /var/lib/sluice /var/lib/sluice-agent /usr/bin/sluiced \
	/usr/bin/sluice-agent /usr/bin/sluice /lib/systemd/system/sluiced.service \
	/lib/systemd/system/sluice-agent.service /usr/share/man/man8/sluiced.8.gz \
	/usr/share/doc/sluice-server /etc/systemd/system/multi-user.target.wants/sluiced.service \
	/etc/systemd/system/multi-user.target.wants/sluice-agent.service; do
	[ ! -e "$f" ] && [ ! -L "$f" ] || fail "$f left after purge"
done
! getent passwd sluice >/dev/null || fail "user sluice left after purge"
! getent group sluice >/dev/null || fail "group sluice left after purge"
left=$(find /etc /lib/systemd /usr /var/lib -xdev -name '*sluice*' 2>/dev/null | grep -v "^$ROOT" | head -n 5 || true)
[ -z "$left" ] || fail "left after purge: $left"
ok "no package, file, unit link, user, group or data directory left"

step "enrol as docs/deploy.md does: configuration first, then the package"
agent_deb=${debs[1]}
mkdir -p /etc/sluice
cp "$key" /etc/sluice/origin.pub
printf '[agent]\nserver = http://sluice.example.org:8530\ntrusted_keys = /etc/sluice/origin.pub\ngroups = web\n' \
	>/etc/sluice/agent.conf
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o Dpkg::Options::=--force-confdef \
	-o Dpkg::Options::=--force-confold "$agent_deb" >"$TMP/apt.log" 2>&1 ||
	{ cat "$TMP/apt.log" >&2; fail "apt-get install (preconfigured)"; }
sluice-agent --dump-config | grep -qx 'server = http://sluice.example.org:8530' ||
	fail "the preconfigured agent.conf was not kept"
[ -L /etc/systemd/system/multi-user.target.wants/sluice-agent.service ] || fail "sluice-agent.service not enabled"
ok "the written agent.conf is kept, the unit enabled"
DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq sluice-agent >"$TMP/apt.log" 2>&1 ||
	{ cat "$TMP/apt.log" >&2; fail "apt-get purge sluice-agent"; }
rm -f /etc/sluice/origin.pub # ours, not the package's
rmdir /etc/sluice 2>/dev/null || fail "left in /etc/sluice after purge: $(ls -A /etc/sluice)"
ok "purged: agent.conf (and its .dpkg-dist) removed"

printf '\nPASS: packages built, installed, run, upgraded, removed and purged in %ds\n' \
	"$(($(date +%s) - T0))"
