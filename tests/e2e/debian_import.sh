#!/usr/bin/env bash
# The Debian feed, end to end: a small signed apt repository (built here with
# dpkg-deb, apt-ftparchive and a throwaway OpenPGP key) holds source package
# "acme", which builds two binaries (libacme1 + acme-tool), first in 1.0 and
# then in 1.1; a DSA-style advisory names 1.1. `sluice catalog import-apt`
# turns it into updates, sluiced syncs them over HTTP from the archive's
# URLs (storage mode full), and agents whose test roots hold the 1.0
# binaries install exactly the binaries they have, in one dpkg transaction.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent_lib.sh"

for t in dpkg-deb apt-ftparchive gpg gpgv; do
	command -v $t >/dev/null || { echo "skip: no $t"; exit 77; }
done

REPO=$TMP/repo
export GNUPGHOME=$TMP/gnupg
mkdir -p "$GNUPGHOME" "$REPO" && chmod 700 "$GNUPGHOME"

# --- the archive's signing key ----------------------------------------------
gpg --batch --quiet --passphrase '' --quick-gen-key \
	"Sluice Test Archive <archive@test.invalid>" ed25519 sign never 2>/dev/null ||
	fail "gpg key"
gpg --batch --export >"$TMP/archive-keyring.gpg"

# --- the binaries -----------------------------------------------------------
# mkdeb PACKAGE VERSION ARCH: a .deb under the pool with one file that names
# its version, built from source package acme.
mkdeb() {
	local p=$1 v=$2 a=$3 d=$TMP/build/$1-$2
	mkdir -p "$d/DEBIAN" "$d/usr/share/$p" "$REPO/pool/main/a/acme"
	cat >"$d/DEBIAN/control" <<EOC
Package: $p
Source: acme
Version: $v
Architecture: $a
Maintainer: Sluice Tests <tests@example.org>
Description: $p, a package of the acme test suite
 It exists so that the importer has something to import.
EOC
	echo "$p $v" >"$d/usr/share/$p/VERSION"
	dpkg-deb --build --root-owner-group "$d" \
		"$REPO/pool/main/a/acme/${p}_${v}_$a.deb" >/dev/null || fail "dpkg-deb $p"
}

# publish VERSION: the suite holds exactly acme VERSION (as a security
# suite holds only the newest), signed into InRelease.
publish() {
	local v=$1 dist=$REPO/dists/bookworm-security
	rm -rf "$dist" && mkdir -p "$dist/main/binary-amd64"
	(cd "$REPO" && apt-ftparchive packages pool 2>/dev/null |
		awk -v v="$v" 'BEGIN{RS="";ORS="\n\n"} $0 ~ "\nVersion: " v "\n"') \
		>"$dist/main/binary-amd64/Packages"
	gzip -9k "$dist/main/binary-amd64/Packages"
	(cd "$dist" && apt-ftparchive \
		-o APT::FTPArchive::Release::Origin=Debian \
		-o APT::FTPArchive::Release::Label=Debian-Security \
		-o APT::FTPArchive::Release::Suite=stable-security \
		-o APT::FTPArchive::Release::Version=12 \
		-o APT::FTPArchive::Release::Codename=bookworm-security \
		-o APT::FTPArchive::Release::Architectures="amd64" \
		-o APT::FTPArchive::Release::Components=main \
		release . >Release.tmp) && mv "$dist/Release.tmp" "$dist/Release"
	gpg --batch --yes --clearsign -o "$dist/InRelease" "$dist/Release" ||
		fail "clearsign"
}

mkdeb libacme1 1.0 amd64
mkdeb acme-tool 1.0 amd64
mkdeb libacme1 1.1 amd64
mkdeb acme-tool 1.1 amd64

# The archive over HTTP on loopback.
APORT=$(free_port)
(cd "$REPO" && exec python3 -m http.server --bind 127.0.0.1 "$APORT") \
	>"$TMP/archive.log" 2>&1 &
ARCHIVE_PID=$!
trap 'kill $ARCHIVE_PID 2>/dev/null || true; _lib_cleanup' EXIT
wait_port "$APORT"
ARCHIVE=http://127.0.0.1:$APORT

# The advisory is published after the fix reached the archive.
: >"$TMP/DSA-list"

import() {
	"$SLUICE" catalog import-apt "$CAT" --archive "$ARCHIVE" \
		--suite bookworm-security --arch amd64 \
		--keyring "$TMP/archive-keyring.gpg" \
		--advisories "dsa-list:$TMP/DSA-list" "$@" 2>>"$TMP/import.log"
}

# --- import 1.0, then 1.1 -----------------------------------------------------
catalog_setup
publish 1.0
out=$(import) || { cat "$TMP/import.log" >&2; fail "import 1.0"; }
grep -q "1 new" <<<"$out" || fail "first import: $out"
out=$(import) || fail "re-import 1.0"
grep -q "0 new, 1 unchanged" <<<"$out" || fail "re-import wrote something: $out"
publish 1.1
out=$(import) || { cat "$TMP/import.log" >&2; fail "import 1.1"; }
grep -q "1 new" <<<"$out" || fail "second import: $out"
grep -q "1 superseded" <<<"$out" || fail "1.1 does not supersede 1.0: $out"
"$SLUICE" catalog list "$CAT" >"$TMP/list.txt"
grep -q "acme 1.1 (bookworm-security)" "$TMP/list.txt" ||
	fail "without an advisory, not titled by its source: $(cat "$TMP/list.txt")"
# The DSA comes out: the next run publishes the update again, named by it.
cat >"$TMP/DSA-list" <<'EOF'
[20 Nov 2026] DSA-9001-1 acme - security update
	{CVE-2026-10001 CVE-2026-10002}
	[bookworm] - acme 1.1
EOF
out=$(import) || { cat "$TMP/import.log" >&2; fail "import with the advisory"; }
grep -q "0 new, 0 unchanged, 0 superseded, 1 named by new advisories" <<<"$out" ||
	fail "the advisory did not revise the update: $out"
"$SLUICE" catalog list "$CAT" >"$TMP/list.txt"
grep "DSA-9001-1" "$TMP/list.txt" | grep -qw 2 ||
	fail "no revision 2 named DSA-9001-1: $(cat "$TMP/list.txt")"
out=$(import) || fail "re-import with the advisory"
grep -q "^import-apt: 0 new, 1 unchanged, 0 superseded$" <<<"$out" || fail "named twice: $out"
"$SLUICE" catalog verify "$CAT" >/dev/null || fail "catalog verify"

# A tampered InRelease is refused and changes nothing.
cp -a "$CAT" "$TMP/catalog-before"
sed -i 's/^Version: 12$/Version: 13/' "$REPO/dists/bookworm-security/InRelease"
if import >/dev/null; then fail "a tampered InRelease was accepted"; fi
grep -qi "signature\|verif" "$TMP/import.log" || fail "no clear error: $(tail -3 "$TMP/import.log")"
diff -r "$CAT" "$TMP/catalog-before" >/dev/null || fail "a refused import changed the catalog"
publish 1.1

# --- the server syncs; the update carries the advisory ----------------------
server_up full
api GET /v1/admin/updates
FIX=$(jq -r '.updates[] | select(.title | startswith("DSA-9001-1")) | .id' <<<"$BODY")
[ -n "$FIX" ] || fail "no update titled by the advisory: $BODY"
"$SLUICE" updates >"$TMP/updates.txt" || fail "sluice updates"
grep -q "DSA-9001-1" "$TMP/updates.txt" || fail "sluice updates: $(cat "$TMP/updates.txt")"
"$SLUICE" updates show "$FIX" >"$TMP/show.txt" || fail "sluice updates show"
grep -q "CVE-2026-10001" "$TMP/show.txt" || fail "no CVE in: $(cat "$TMP/show.txt")"
approve "$FIX" install

# --- test roots: both binaries at 1.0; only the tool; neither ---------------
# mkroot DIR PACKAGE...: a root whose dpkg database holds the 1.0 packages.
mkroot() {
	local r=$1 p
	shift
	mkdir -p "$r/var/lib/dpkg/info" "$r/var/lib/dpkg/updates" "$r/etc"
	touch "$r/var/lib/dpkg/status"
	printf 'ID=debian\nVERSION_ID="12"\n' >"$r/etc/os-release"
	for p in "$@"; do
		dpkg --root="$r" --admindir="$r/var/lib/dpkg" --instdir="$r" \
			--force-not-root --force-script-chrootless -i \
			"$REPO/pool/main/a/acme/${p}_1.0_amd64.deb" >/dev/null 2>&1 ||
			fail "install $p 1.0 into $r"
	done
}
installed_version() {
	dpkg-query --admindir="$1/var/lib/dpkg" -W -f='${Version}' "$2" 2>/dev/null
}

# Agent 1: both binaries at 1.0.
mkroot "$ROOT" libacme1 acme-tool
agent_conf
agent detect || agent_fail "detect"
[ "$(state_of "$FIX")" = needed ] || agent_fail "root 1 state: $(state_of "$FIX")"
agent install || agent_fail "install"
[ "$(installed_version "$ROOT" libacme1)" = 1.1 ] || agent_fail "libacme1 not upgraded"
[ "$(installed_version "$ROOT" acme-tool)" = 1.1 ] || agent_fail "acme-tool not upgraded"
[ "$(state_of "$FIX")" = installed ] || agent_fail "after install: $(state_of "$FIX")"
ev=$(events_of "$FIX" install)
[ "$(jq -r '.[0].result' <<<"$ev")" = success ] || agent_fail "install event: $ev"
# One dpkg transaction: dpkg unpacked both before setting up either.
jq -r '.[0].output' <<<"$ev" >"$TMP/dpkg-out.txt"
n_unpack=$(grep -c "^Unpacking" "$TMP/dpkg-out.txt" || true)
[ "$n_unpack" = 2 ] || agent_fail "expected two unpacks in one run: $(cat "$TMP/dpkg-out.txt")"
first_setup=$(grep -n "^Setting up" "$TMP/dpkg-out.txt" | head -1 | cut -d: -f1)
last_unpack=$(grep -n "^Unpacking" "$TMP/dpkg-out.txt" | tail -1 | cut -d: -f1)
[ "$last_unpack" -lt "$first_setup" ] || agent_fail "not one transaction: $(cat "$TMP/dpkg-out.txt")"

# Agent 2: only the tool. It gets the tool, never the library.
ROOT=$TMP/root2 STATE=$TMP/state2 ACONF=$TMP/agent2.conf
mkdir -p "$STATE"
mkroot "$ROOT" acme-tool
agent_conf
agent install || agent_fail "install (tool only)"
[ "$(installed_version "$ROOT" acme-tool)" = 1.1 ] || agent_fail "acme-tool not upgraded (root 2)"
[ -z "$(installed_version "$ROOT" libacme1)" ] || agent_fail "libacme1 was pulled in"
[ "$(state_of "$FIX")" = installed ] || agent_fail "root 2: $(state_of "$FIX")"

# Agent 3: neither: not applicable, nothing installed.
ROOT=$TMP/root3 STATE=$TMP/state3 ACONF=$TMP/agent3.conf
mkdir -p "$STATE"
mkroot "$ROOT"
agent_conf
agent install || agent_fail "install (neither)"
[ "$(state_of "$FIX")" = not-applicable ] || agent_fail "root 3: $(state_of "$FIX")"
[ -z "$(installed_version "$ROOT" acme-tool)" ] || agent_fail "acme-tool installed on root 3"

# Removing a Debian fix is refused when it is approved.
api POST /v1/admin/approvals "{\"update\":\"$FIX\",\"group\":\"web\",\"action\":\"uninstall\"}"
[ "$HTTP_STATUS" = 409 ] || fail "uninstall approval of a deb update: $HTTP_STATUS $BODY"
echo ok
