#!/usr/bin/env bash
# The deb handler end to end: an update of two real binary packages
# (acme-lib arch all + acme-tool native, version 1.1, built here with
# dpkg-deb) published with `sluice catalog add` (the origin refuses broken
# definitions), synced by sluiced and approved; three agents with their own
# --root: both binaries at 1.0 -> both upgraded in one dpkg transaction;
# only acme-tool 1.0 -> only acme-tool; neither -> not applicable. An
# uninstall approval is refused (409), and a dpkg failure (a missing
# dependency) shows its reason in `sluice computers show`.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent_lib.sh"

command -v dpkg-deb >/dev/null || { echo "skip: no dpkg-deb"; exit 77; }

U=dddddddd-0000-4000-8000-0000000000d1  # acme 1.1
U2=dddddddd-0000-4000-8000-0000000000d2 # acme-tool 1.2, needs libfoo
UX=dddddddd-0000-4000-8000-0000000000d3 # removable only in name
ARCH=$(dpkg --print-architecture)
DEBS=$TMP/debs
mkdir -p "$DEBS"

# --- packages -----------------------------------------------------------------
build_deb() { # NAME VERSION ARCH [DEPENDS]
	local d=$TMP/pkg/$1-$2-$3
	mkdir -p "$d/DEBIAN" "$d/opt/$1"
	{
		echo "Package: $1"
		echo "Version: $2"
		echo "Architecture: $3"
		echo "Maintainer: Sluice Tests <tests@example.org>"
		[ -z "${4:-}" ] || echo "Depends: $4"
		echo "Description: a package upgraded by the sluice agent tests"
	} >"$d/DEBIAN/control"
	echo "$1 $2" >"$d/opt/$1/version"
	dpkg-deb --build --root-owner-group "$d" "$DEBS/${1}_${2}_${3}.deb" >/dev/null ||
		fail "dpkg-deb $1 $2"
}
build_deb acme-lib 1.0 all
build_deb acme-tool 1.0 "$ARCH"
build_deb acme-lib 1.1 all
build_deb acme-tool 1.1 "$ARCH"
build_deb acme-tool 1.2 "$ARCH" "libfoo (>= 2)"

# A test tree with a dpkg database holding the given .debs.
make_root() { # DIR DEB...
	local r=$1
	shift
	mkdir -p "$r/var/lib/dpkg/info" "$r/var/lib/dpkg/updates"
	touch "$r/var/lib/dpkg/status"
	[ $# = 0 ] && return 0
	dpkg --root="$r" --admindir="$r/var/lib/dpkg" --instdir="$r" \
		--force-not-root --force-bad-path --log=/dev/null -i "$@" >/dev/null ||
		fail "dpkg into $r"
}
installed_version() { # ROOT PACKAGE
	dpkg-query --admindir="$1/var/lib/dpkg" -W -f '${Version} ${db:Status-Abbrev}' "$2" 2>/dev/null || true
}

# --- the catalog ----------------------------------------------------------------
catalog_setup
older="{\"or\":[
  {\"type\":\"deb_installed\",\"package\":\"acme-lib\",\"op\":\"<\",\"version\":\"1.1\"},
  {\"type\":\"deb_installed\",\"package\":\"acme-tool:$ARCH\",\"op\":\"<\",\"version\":\"1.1\"}]}"
present="{\"or\":[
  {\"type\":\"deb_installed\",\"package\":\"acme-lib\"},
  {\"type\":\"deb_installed\",\"package\":\"acme-tool:$ARCH\"}]}"
files="\"files\":[
  {\"name\":\"acme-lib_1.1_all.deb\",
   \"deb\":{\"package\":\"acme-lib\",\"version\":\"1.1\",\"architecture\":\"all\"}},
  {\"name\":\"acme-tool_1.1_${ARCH}.deb\",
   \"deb\":{\"package\":\"acme-tool\",\"version\":\"1.1\",\"architecture\":\"$ARCH\"}}]"

# The origin refuses what cannot work, naming the field.
define $U "acme 1.1" "{\"is_installed\":{\"and\":[$present,{\"not\":$older}]},
	\"is_installable\":{\"or\":[{\"type\":\"deb_installed\",\"package\":\"acme-lib\",\"op\":\"<\"}]}}" \
	'{"handler":"deb"}' "$files"
rc=0
out=$("$SLUICE" catalog add "$CAT" "$TMP/def/$U.json" "$DEBS/acme-lib_1.1_all.deb" \
	"$DEBS/acme-tool_1.1_${ARCH}.deb" 2>&1) || rc=$?
[ "$rc" = 1 ] && grep -q "applicability.is_installable.or\[0\]: deb_installed: op without version" <<<"$out" ||
	fail "catalog add of a broken rule: rc=$rc $out"
define $U "acme 1.1" "{\"is_installed\":{\"and\":[$present,{\"not\":$older}]},\"is_installable\":$older}" \
	'{"handler":"deb","uninstall_arguments":["acme-tool"]}' "$files"
rc=0
out=$("$SLUICE" catalog add "$CAT" "$TMP/def/$U.json" "$DEBS/acme-lib_1.1_all.deb" \
	"$DEBS/acme-tool_1.1_${ARCH}.deb" 2>&1) || rc=$?
[ "$rc" = 1 ] && grep -q "install.uninstall_arguments: the deb handler cannot uninstall" <<<"$out" ||
	fail "catalog add of a removable deb update: rc=$rc $out"

define $U "acme 1.1" "{\"is_installed\":{\"and\":[$present,{\"not\":$older}]},\"is_installable\":$older}" \
	'{"handler":"deb"}' "$files"
add $U "$DEBS/acme-lib_1.1_all.deb" "$DEBS/acme-tool_1.1_${ARCH}.deb"
define $U2 "acme-tool 1.2" \
	"{\"is_installed\":{\"type\":\"deb_installed\",\"package\":\"acme-tool:$ARCH\",\"op\":\">=\",\"version\":\"1.2\"},
	  \"is_installable\":{\"type\":\"deb_installed\",\"package\":\"acme-tool:$ARCH\",\"op\":\"<\",\"version\":\"1.2\"}}" \
	'{"handler":"deb"}' \
	"\"files\":[{\"name\":\"acme-tool_1.2_${ARCH}.deb\",
	  \"deb\":{\"package\":\"acme-tool\",\"version\":\"1.2\",\"architecture\":\"$ARCH\"}}]"
add $U2 "$DEBS/acme-tool_1.2_${ARCH}.deb"
define $UX "a script without uninstall_arguments" \
	'{"is_installed":{"type":"false"},"is_installable":{"type":"false"}}' \
	'{"handler":"script","arguments":["fix.sh"]}'
echo "exit 0" >"$TMP/fix.sh"
add $UX "$TMP/fix.sh"
"$SLUICE" catalog verify "$CAT" >/dev/null || fail "catalog verify"

server_up full
approve $U install

# Refused at approval time: nothing can remove these.
api POST /v1/admin/approvals "{\"update\":\"$U\",\"group\":\"web\",\"action\":\"uninstall\"}"
[ "$HTTP_STATUS" = 409 ] && grep -q "handler is deb" <<<"$BODY" && grep -q "downgrade" <<<"$BODY" ||
	fail "uninstall approval of a deb update: $HTTP_STATUS $BODY"
api POST /v1/admin/approvals "{\"update\":\"$UX\",\"group\":\"web\",\"action\":\"uninstall\"}"
[ "$HTTP_STATUS" = 409 ] && grep -q "has no uninstall_arguments" <<<"$BODY" ||
	fail "uninstall approval without uninstall_arguments: $HTTP_STATUS $BODY"
rc=0
out=$("$SLUICE" approve "$U" web --action uninstall 2>&1) || rc=$?
[ "$rc" = 1 ] && grep -q "HTTP 409" <<<"$out" || fail "sluice approve --action uninstall: rc=$rc $out"
# An auto-approval rule for removal approves none of them either.
api POST /v1/admin/groups '{"name":"removal"}'
api POST /v1/admin/rules '{"name":"remove-all","classification":"security","action":"uninstall","groups":["removal"]}'
[ "$HTTP_STATUS" = 201 ] || fail "uninstall rule: $HTTP_STATUS $BODY"
api POST /v1/admin/rules/run '{"name":"remove-all"}'
[ "$HTTP_STATUS" = 200 ] && jq -e '.approved == 0 and .skipped_not_removable == 3' <<<"$BODY" >/dev/null ||
	fail "uninstall rule run: $HTTP_STATUS $BODY"
api GET "/v1/admin/updates/$UX"
[ -z "$(jq -r '.effective[] | select(.group=="removal") | .action // empty' <<<"$BODY" | grep -v not-approved)" ] ||
	fail "the rule approved a removal it cannot do: $BODY"
api DELETE /v1/admin/rules/remove-all
# The install approval stands.
api GET "/v1/admin/updates/$U"
[ "$(jq -r '.effective[] | select(.group=="web") | .action' <<<"$BODY")" = install ] ||
	fail "approval changed: $BODY"

# One agent per test tree: $ROOT, $STATE, $ACONF, $AGENT_LOG follow N.
use_agent() { # N
	ROOT=$TMP/root$1 STATE=$TMP/agent-state$1 ACONF=$TMP/agent$1.conf
	AGENT_LOG=$TMP/agent$1.log
	mkdir -p "$ROOT" "$STATE"
	agent_conf
}

# --- 1: both binaries at 1.0 -> both at 1.1, one dpkg transaction ----------
use_agent 1
make_root "$ROOT" "$DEBS/acme-lib_1.0_all.deb" "$DEBS/acme-tool_1.0_${ARCH}.deb"
agent install || agent_fail "install (both)"
[ "$(grep -c "downloading .* for $U" "$AGENT_LOG")" = 2 ] || agent_fail "downloads"
[ "$(installed_version "$ROOT" acme-lib)" = "1.1 ii " ] || agent_fail "acme-lib: $(installed_version "$ROOT" acme-lib)"
[ "$(installed_version "$ROOT" "acme-tool:$ARCH")" = "1.1 ii " ] ||
	agent_fail "acme-tool: $(installed_version "$ROOT" "acme-tool:$ARCH")"
[ "$(cat "$ROOT/opt/acme-tool/version")" = "acme-tool 1.1" ] || agent_fail "acme-tool's file"
[ "$(state_of $U)" = installed ] || agent_fail "state: $(state_of $U) $(detail_of $U)"
ev=$(events_of $U install)
[ "$(jq 'length' <<<"$ev")" = 1 ] && [ "$(jq -r '.[0].result' <<<"$ev")" = success ] ||
	agent_fail "install events: $ev"
outp=$(jq -r '.[0].output' <<<"$ev")
[ "$(grep -c '(Reading database' <<<"$outp")" = 1 ] || agent_fail "not one dpkg run: $outp"
grep -q "Unpacking acme-lib (1.1) over (1.0)" <<<"$outp" &&
	grep -q "Unpacking acme-tool (1.1) over (1.0)" <<<"$outp" || agent_fail "dpkg output: $outp"

# --- 2: only acme-tool 1.0 -> only acme-tool ------------------------------------
use_agent 2
make_root "$ROOT" "$DEBS/acme-tool_1.0_${ARCH}.deb"
agent install || agent_fail "install (tool only)"
[ "$(installed_version "$ROOT" "acme-tool:$ARCH")" = "1.1 ii " ] ||
	agent_fail "acme-tool: $(installed_version "$ROOT" "acme-tool:$ARCH")"
[ -z "$(installed_version "$ROOT" acme-lib)" ] || agent_fail "acme-lib was installed"
[ ! -e "$ROOT/opt/acme-lib" ] || agent_fail "acme-lib's files were installed"
[ "$(state_of $U)" = installed ] || agent_fail "state: $(state_of $U) $(detail_of $U)"
grep -q "acme-lib" <<<"$(jq -r '.[0].output' <<<"$(events_of $U install)")" &&
	agent_fail "dpkg saw acme-lib: $(events_of $U install)"
# Only the binary to be installed was downloaded.
[ "$(grep -c "downloading .* for $U" "$AGENT_LOG")" = 1 ] || agent_fail "downloads"
ID2=$(computer_id)

# --- 3: neither -> not applicable ----------------------------------------------
use_agent 3
make_root "$ROOT"
agent install || agent_fail "install (neither)"
[ "$(state_of $U)" = not-applicable ] || agent_fail "state: $(state_of $U) $(detail_of $U)"
[ "$(jq 'length' <<<"$(events_of $U install)")" = 0 ] || agent_fail "an install was tried"
[ -z "$(ls -A "$ROOT/var/lib/dpkg/info")" ] || agent_fail "something was installed"

# --- a dpkg failure names its reason where administrators look ----------------
use_agent 2
approve $U2 install
agent install || true # a failed install is not an agent error
[ "$(state_of $U2)" = failed ] || agent_fail "state: $(state_of $U2)"
want="acme-tool: depends on libfoo (>= 2): libfoo is not installed"
[ "$(detail_of $U2)" = "$want" ] || agent_fail "detail: $(detail_of $U2)"
out=$("$SLUICE" computers show "$ID2") || fail "computers show"
grep -q "DETAIL" <<<"$out" && grep -F "$U2" <<<"$out" | grep -qF "$want" ||
	fail "computers show without the detail: $out"
out=$("$SLUICE" report update "$U2") || fail "report update"
grep -qF "$want" <<<"$out" || fail "report update without the detail: $out"
echo ok
