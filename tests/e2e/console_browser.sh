#!/usr/bin/env bash
# The web console in a real browser: Debian's chromium, headless, driven by
# playwright-core (tests/browser/console.test.mjs) against a real sluiced
# that synced a real catalog; a real sluice-agent installs what the test
# approved through the console's Approve dialog. Screenshots of the main
# pages go to $TMP/screenshots, or to SCREENSHOTS=dir (SCREENSHOTS=$PWD/docs/screenshots
# refreshes the ones docs/console.md and the README show).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent_lib.sh"

BROWSER_DIR=$SOURCE_ROOT/tests/browser
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
[ -x "$CHROMIUM" ] || fail "no $CHROMIUM: run scripts/deps.sh chromium (make test does)"
[ -d "$BROWSER_DIR/node_modules/playwright-core" ] ||
	fail "playwright-core missing: (cd tests/browser && npm ci) (make test does)"

U_SEC=cccccccc-0000-4000-8000-000000000001  # approved through the dialog
U_FEAT=cccccccc-0000-4000-8000-000000000002 # not approved
U_NA=cccccccc-0000-4000-8000-000000000003   # not for this system
U_OLD=cccccccc-0000-4000-8000-000000000004  # superseded by U_SEC
U_BAD=cccccccc-0000-4000-8000-000000000005  # approved; its installer fails

catalog_setup
mkdir -p "$ROOT/etc"
printf 'ID=sluicetest\nVERSION_ID="1.0"\n' >"$ROOT/etc/os-release"
echo "You may install this update on any number of computers." >"$TMP/license.txt"
upd() { # ID NAME CLASSIFICATION SEVERITY TITLE OS [EXTRA]
	mkdir -p "$TMP/files/$1"
	printf 'set -e\nmkdir -p "$SLUICE_ROOT/opt/%s"\necho ok >"$SLUICE_ROOT/opt/%s/done"\necho "installed %s"\n' \
		"$2" "$2" "$2" >"$TMP/files/$1/install.sh"
	cat >"$TMP/def/$1.json" <<EOD
{"id":"$1","title":"$5","classification":"$3","product":"Sluice Demo",
 "severity":"$4","release_date":"2026-11-2${1: -1}","kb_article":"KB50${1: -1}",
 "description":"$5: a test update of the browser test.",
 "cve_ids":["CVE-2026-1000${1: -1}"],
 "applicability":{"is_installed":{"type":"file_exists","path":"/opt/$2/done"},
  "is_installable":{"and":[{"type":"os_id","id":"$6"},{"type":"arch","arch":"$(dpkg --print-architecture)"}]}},
 "install":{"handler":"script","arguments":["install.sh"]}${7:+,$7}}
EOD
}
upd $U_OLD old security moderate "OpenSSL 3.0.11 fix" sluicetest
add $U_OLD "$TMP/files/$U_OLD/install.sh"
upd $U_SEC sec security important "OpenSSL 3.0.13 security fix" sluicetest \
	"\"supersedes\":[\"$U_OLD\"],\"eula\":{\"name\":\"license.txt\"}"
add $U_SEC "$TMP/files/$U_SEC/install.sh" "$TMP/license.txt"
upd $U_FEAT feat feature low "Monitoring agent 2.1" sluicetest
add $U_FEAT "$TMP/files/$U_FEAT/install.sh"
upd $U_NA na critical critical "Kernel fix for another OS" fedora
add $U_NA "$TMP/files/$U_NA/install.sh"

upd $U_BAD bad critical critical "Broken package 1.2" sluicetest
printf 'echo "cannot write /opt/bad: disk full" >&2\nexit 3\n' >"$TMP/files/$U_BAD/install.sh"
add $U_BAD "$TMP/files/$U_BAD/install.sh"

server_up full
approve $U_BAD install
agent_conf
agent detect || agent_fail "first detect"

api POST /v1/admin/tokens '{"name":"watcher","role":"reporter"}'
[ "$HTTP_STATUS" = 201 ] || fail "reporter token: $HTTP_STATUS $BODY"
REPORTER_TOKEN=$(jq -r .token <<<"$BODY")

# The CSRF token: a state-changing request with the session cookie and
# without the header is refused; with it, it passes.
jar=$TMP/cookies
code=$(curl -s -o "$TMP/login.json" -w '%{http_code}' -c "$jar" -H 'Content-Type: application/json' \
	-d "{\"token\":\"$ADMIN_TOKEN\"}" "$SERVER_URL/console/api/login")
[ "$code" = 200 ] || fail "login: $code $(cat "$TMP/login.json")"
grep -q 'HttpOnly' "$jar" || fail "session cookie is not HttpOnly"
code=$(curl -s -o "$TMP/r.json" -w '%{http_code}' -H 'Origin: https://evil.example' \
	-H 'Content-Type: application/json' -d "{\"token\":\"$ADMIN_TOKEN\"}" "$SERVER_URL/console/api/login")
[ "$code" = 403 ] && grep -q 'another site' "$TMP/r.json" || fail "login from another site: $code $(cat "$TMP/r.json")"
csrf=$(jq -r .csrf "$TMP/login.json")
code=$(curl -s -o "$TMP/r.json" -w '%{http_code}' -b "$jar" -H 'Content-Type: application/json' \
	-d '{"name":"no-csrf"}' "$SERVER_URL/v1/admin/groups")
[ "$code" = 403 ] && grep -q 'CSRF' "$TMP/r.json" || fail "no CSRF token: $code $(cat "$TMP/r.json")"
code=$(curl -s -o "$TMP/r.json" -w '%{http_code}' -b "$jar" -H 'Content-Type: application/json' \
	-H "X-CSRF-Token: $(tr 0-9a-f 1-9a-f0 <<<"$csrf")" -d '{"name":"bad-csrf"}' "$SERVER_URL/v1/admin/groups")
[ "$code" = 403 ] || fail "wrong CSRF token: $code $(cat "$TMP/r.json")"
code=$(curl -s -o "$TMP/r.json" -w '%{http_code}' -b "$jar" -H 'Content-Type: application/json' \
	-H "X-CSRF-Token: $csrf" -d '{"name":"db"}' "$SERVER_URL/v1/admin/groups")
[ "$code" = 201 ] || fail "with the CSRF token: $code $(cat "$TMP/r.json")"
curl -s -D - -o /dev/null "$SERVER_URL/console/" | grep -qi "^content-security-policy: default-src 'none'; script-src 'self'" ||
	fail "no strict CSP on /console/"
code=$(curl -s -o /dev/null -w '%{http_code}' "$SERVER_URL/console/..%2fsluice.db")
[ "$code" = 404 ] || fail "asset path escape: $code"

export SERVER_URL ADMIN_TOKEN REPORTER_TOKEN CHROMIUM AGENT ACONF U_SEC U_FEAT U_OLD
export SCREENSHOTS=${SCREENSHOTS:-$TMP/screenshots}
mkdir -p "$SCREENSHOTS"
node "$BROWSER_DIR/console.test.mjs" || fail "browser test (server log above)"
[ "$(state_of $U_SEC)" = installed ] || fail "U_SEC is not installed on the computer"
[ "$(state_of $U_BAD)" = failed ] || fail "U_BAD did not fail"
server_alive
stop_server
