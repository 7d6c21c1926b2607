#!/usr/bin/env bash
# The dpkg handler against a test tree: a tiny .deb (built here with
# dpkg-deb) is installed into $ROOT through dpkg --root/--admindir/--instdir,
# detected as installed with the deb_installed predicate (version
# comparison), and removed again when the approval turns to "uninstall".
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent_lib.sh"

command -v dpkg-deb >/dev/null || { echo "skip: no dpkg-deb"; exit 77; }

U=dddddddd-0000-4000-8000-000000000001
PKG=sluice-demo

# --- the package and the test tree -----------------------------------------
mkdir -p "$TMP/pkg/DEBIAN" "$TMP/pkg/opt/$PKG"
cat >"$TMP/pkg/DEBIAN/control" <<EOC
Package: $PKG
Version: 1.0-1
Architecture: all
Maintainer: Sluice Tests <tests@example.org>
Description: a package installed by the sluice agent tests
EOC
echo "hello from $PKG" >"$TMP/pkg/opt/$PKG/hello.txt"
mkdir -p "$TMP/debs"
dpkg-deb --build --root-owner-group "$TMP/pkg" "$TMP/debs/${PKG}_1.0-1_all.deb" \
	>/dev/null || fail "dpkg-deb"
mkdir -p "$ROOT/var/lib/dpkg/info" "$ROOT/var/lib/dpkg/updates"
touch "$ROOT/var/lib/dpkg/status"

catalog_setup
define $U "Demo package 1.0" \
	"{\"is_installed\":{\"type\":\"deb_installed\",\"package\":\"$PKG\",\"op\":\">=\",\"version\":\"1.0-1\"},
	  \"is_installable\":{\"not\":{\"type\":\"deb_installed\",\"package\":\"$PKG\",\"op\":\">=\",\"version\":\"1.0-1\"}}}" \
	"{\"handler\":\"dpkg\",\"uninstall_arguments\":[\"$PKG\"]}"
add $U "$TMP/debs/${PKG}_1.0-1_all.deb"
server_up on-approval
agent_conf

approve $U install
# on-approval: the server fetches the file in the background.
for ((i = 0; i < 100; i++)); do
	api GET /v1/admin/updates
	[ "$(jq -r --arg id $U '.updates[] | select(.id==$id) | .files[0].present' <<<"$BODY")" = true ] && break
	sleep 0.1
done
agent install || agent_fail "install"
[ -f "$ROOT/opt/$PKG/hello.txt" ] || agent_fail "the package's file is missing"
grep -q "^Package: $PKG" "$ROOT/var/lib/dpkg/status" || agent_fail "not in the dpkg database"
[ "$(state_of $U)" = installed ] || agent_fail "state: $(state_of $U)"
[ "$(jq -r '.[0].result' <<<"$(events_of $U install)")" = success ] ||
	agent_fail "install event: $(events_of $U install)"
jq -r '.[0].output' <<<"$(events_of $U install)" | grep -q "Setting up $PKG" ||
	agent_fail "dpkg output not captured: $(events_of $U install)"

# --- uninstall ----------------------------------------------------------------
approve $U uninstall
agent install || agent_fail "uninstall run"
[ ! -e "$ROOT/opt/$PKG/hello.txt" ] || agent_fail "the package's file is still there"
grep -q "^Status: install ok installed" "$ROOT/var/lib/dpkg/status" &&
	agent_fail "still installed in the dpkg database"
ev=$(events_of $U uninstall)
[ "$(jq -r '.[0].result' <<<"$ev")" = success ] || agent_fail "uninstall event: $ev"
[ "$(state_of $U)" = not-applicable ] || agent_fail "after removal: $(state_of $U)"
# A second run has nothing to remove.
agent install || agent_fail "second uninstall run"
[ "$(jq 'length' <<<"$(events_of $U uninstall)")" = 1 ] || agent_fail "removed twice"
echo ok
