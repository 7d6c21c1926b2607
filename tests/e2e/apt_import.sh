#!/usr/bin/env bash
# `sluice catalog import-apt` end to end: a signed apt archive (throwaway
# gpg key, tests/unit/apt_fixture.sh) served over HTTP by flaky_http.py on
# 127.0.0.1, imported into a catalog that then verifies; a re-run writes
# nothing; supersedence across runs; --files copy; usage errors; a wrong
# keyring, a tampered index and a connection cut mid-index fail with a
# clear message and leave the catalog byte for byte as it was.
. "$(dirname "$0")/lib.sh"

FIX=$SOURCE_ROOT/tests/unit/apt_fixture.sh
R=$TMP/repo
CAT=$TMP/cat
SUITE=bookworm-security
IDX=$CAT/public/index.json

"$FIX" key "$TMP/g1" Archive "$TMP/archive.gpg" || fail "key"
"$FIX" key "$TMP/g2" Other "$TMP/other.gpg" || fail "key"

# stanza PKG SOURCE-FIELD VERSION ARCH: a fake .deb in the pool and its
# Packages stanza on stdout.
stanza() {
	local pkg=$1 src=$2 ver=$3 arch=$4 fn
	fn=pool/main/${pkg}_${ver}_${arch}.deb
	mkdir -p "$R/pool/main"
	printf 'deb %s %s %s\n' "$pkg" "$ver" "$arch" >"$R/$fn"
	printf 'Package: %s\n' "$pkg"
	[ -n "$src" ] && printf 'Source: %s\n' "$src"
	printf 'Version: %s\nArchitecture: %s\nFilename: %s\nSize: %s\nSHA256: %s\n' \
		"$ver" "$arch" "$fn" "$(stat -c %s "$R/$fn")" \
		"$(sha256sum <"$R/$fn" | cut -d' ' -f1)"
	printf 'Description: %s synopsis\n long\n .\n text\n\n' "$pkg"
}

# publish OPENSSL-VERSION
publish() {
	local d=$R/dists/$SUITE/main
	rm -rf "$R/dists"
	mkdir -p "$d/binary-amd64" "$d/binary-all"
	{
		stanza openssl "" "$1" amd64
		stanza libssl3 openssl "$1" amd64
		stanza openssl-doc openssl "$1" all
		stanza curl "" 7.88.1-10 amd64
	} >"$d/binary-amd64/Packages"
	stanza openssl-doc openssl "$1" all >"$d/binary-all/Packages"
	"$FIX" compress "$d/binary-amd64/Packages" "$d/binary-all/Packages"
	"$FIX" release "$R" "$SUITE" "all amd64" main
	"$FIX" sign "$R" "$SUITE" "$TMP/g1" inline
}
publish 3.0.11-1

FLOG=$TMP/flaky.log
python3 "$SOURCE_ROOT/tests/e2e/flaky_http.py" --root "$R" \
	--port-file "$TMP/flaky.port" --log "$FLOG" \
	--cut "binary-all/Packages.xz:30:1" --cut "binary-all/Packages.gz:30:1" \
	--cut "binary-all/Packages:30:1" &
FLAKY_PID=$!
trap 'kill $FLAKY_PID 2>/dev/null || true; "$FIX" stop "$TMP/g1"; "$FIX" stop "$TMP/g2"; _lib_cleanup' EXIT
for ((i = 0; i < 100; i++)); do
	[ -f "$TMP/flaky.port" ] && break
	sleep 0.1
done
[ -f "$TMP/flaky.port" ] || fail "flaky_http did not start"
URL=http://127.0.0.1:$(cat "$TMP/flaky.port")/

"$SLUICE" catalog init "$CAT" >/dev/null || fail "catalog init"
imp() {
	"$SLUICE" catalog import-apt "$CAT" --archive "$URL" --suite "$SUITE" \
		--arch amd64 --keyring "$TMP/archive.gpg" "$@"
}
# expect_fail WHAT PATTERN ARGS...: fails, says PATTERN, changes nothing.
expect_fail() {
	local what=$1 pat=$2 rc=0
	shift 2
	cp "$IDX" "$TMP/idx.before"
	imp "$@" >"$TMP/out" 2>"$TMP/err" || rc=$?
	[ "$rc" -eq 1 ] || fail "$what: exit $rc, not 1: $(cat "$TMP/err")"
	grep -q -- "$pat" "$TMP/err" || fail "$what: message: $(cat "$TMP/err")"
	grep -q "catalog unchanged" "$TMP/err" || fail "$what: $(cat "$TMP/err")"
	cmp -s "$IDX" "$TMP/idx.before" || fail "$what: the index changed"
}

# The connection drops 30 bytes into each form of binary-all/Packages.
expect_fail "cut download" "binary-all/Packages.xz"
[ "$(grep -c 'action=cut' "$FLOG")" = 3 ] || fail "no cut: $(cat "$FLOG")"

out=$(imp) || fail "import: $out"
[ "$out" = "import-apt: 2 new, 0 unchanged, 0 superseded" ] || fail "summary: $out"
"$SLUICE" catalog verify "$CAT" >/dev/null || fail "verify after import"
list=$("$SLUICE" catalog list "$CAT")
echo "$list" | grep -q "openssl 3.0.11-1 (bookworm-security) *security" ||
	fail "list: $list"
echo "$list" | grep -q "curl 7.88.1-10 (bookworm-security)" || fail "list: $list"

# Nothing new: nothing written, not even the index.
cp "$IDX" "$TMP/idx.before"
out=$(imp) || fail "re-run: $out"
[ "$out" = "import-apt: 0 new, 2 unchanged, 0 superseded" ] || fail "re-run: $out"
cmp -s "$IDX" "$TMP/idx.before" || fail "a re-run with no change re-signed"

# A new openssl supersedes the old one.
publish 3.0.11-2
out=$(imp --product "Demo 12") || fail "import 2: $out"
[ "$out" = "import-apt: 1 new, 1 unchanged, 1 superseded" ] || fail "summary 2: $out"
doc=$(grep -l '"3.0.11-2"' "$CAT"/public/updates/*/1.json | head -n 1)
[ -n "$doc" ] || fail "no document for 3.0.11-2"
jq -e '.signed.supersedes | length == 1' "$doc" >/dev/null || fail "supersedes: $doc"
jq -e '.signed.product == "Demo 12" and .signed.install.handler == "deb"' \
	"$doc" >/dev/null || fail "product/handler: $doc"
jq -e '[.signed.files[].deb.package] | sort == ["libssl3","openssl","openssl-doc"]' \
	"$doc" >/dev/null || fail "files: $doc"

# Failures leave the catalog as it was.
expect_fail "wrong key" "NO_PUBKEY" --keyring "$TMP/other.gpg"
cp "$R/dists/$SUITE/InRelease" "$TMP/InRelease.good"
sed -i 's/^Codename: bookworm/Codename: evil/' "$R/dists/$SUITE/InRelease"
expect_fail "tampered InRelease" "signature does not verify"
cp "$TMP/InRelease.good" "$R/dists/$SUITE/InRelease"
printf 'X' | dd of="$R/dists/$SUITE/main/binary-amd64/Packages.xz" bs=1 seek=40 \
	conv=notrunc status=none
rm "$R/dists/$SUITE/main/binary-amd64/Packages.gz" \
	"$R/dists/$SUITE/main/binary-amd64/Packages"
expect_fail "tampered index" "Packages.xz: SHA-256 .* does not match the Release"
publish 3.0.11-2
expect_fail "unknown arch" "--arch arm64: not in the Release's Architectures (all amd64)" \
	--arch arm64
expect_fail "no such suite" "dists/nosuch/Release: not found (HTTP 404)" \
	--suite nosuch
rm "$R/dists/$SUITE/InRelease"
expect_fail "unsigned" "dists/$SUITE/Release: not signed (no InRelease, no Release.gpg)"
publish 3.0.11-2

# Usage errors exit 2.
for bad in "--files bogus" "--advisories nocolon" "--expires-days 0"; do
	rc=0
	# shellcheck disable=SC2086
	imp $bad >/dev/null 2>&1 || rc=$?
	[ "$rc" -eq 2 ] || fail "'$bad': exit $rc, not 2"
done
rc=0
"$SLUICE" catalog import-apt "$CAT" --archive "$URL" >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 2 ] || fail "missing --suite/--keyring: exit $rc"
# An advisory file that cannot be read stops the import: nothing written.
before=$(sha256sum "$CAT/public/index.json")
if imp --advisories dsa-list:/nonexistent/dsa.list >"$TMP/adv.out" 2>&1; then
	fail "a missing advisory file was accepted"
fi
grep -q "dsa.list" "$TMP/adv.out" || fail "no clear error: $(cat "$TMP/adv.out")"
[ "$(sha256sum "$CAT/public/index.json")" = "$before" ] || fail "index changed"
if imp --advisories dsa:/nonexistent/dsa.list >"$TMP/adv.out" 2>&1; then
	fail "an unknown advisory kind was accepted"
fi
grep -q "unknown kind 'dsa'" "$TMP/adv.out" || fail "no clear error: $(cat "$TMP/adv.out")"

# --files copy stores each .deb in the catalog and the catalog verifies.
CAT2=$TMP/cat2
"$SLUICE" catalog init "$CAT2" >/dev/null
out=$("$SLUICE" catalog import-apt "$CAT2" --archive "$URL" --suite "$SUITE" \
	--arch amd64 --keyring "$TMP/archive.gpg" --files copy) || fail "copy: $out"
[ "$(find "$CAT2/public/content" -type f | wc -l)" = 4 ] || fail "copy: content"
"$SLUICE" catalog verify "$CAT2" >/dev/null || fail "verify after copy"
# A root sluiced syncs the imported updates (the `deb` handler and the
# files' `deb` objects pass the server's validation).
KEY=$(ls "$CAT"/public/keys/*.pub)
start_server "$TMP/data" "$(printf '[upstream]\nurl = file://%s/public\ntrusted_keys = %s\nsyncs_per_day = 0\n[storage]\nmode = none\n' "$CAT" "$KEY")"
api POST /v1/admin/sync
[ "$HTTP_STATUS" = 202 ] || fail "sync: HTTP $HTTP_STATUS $BODY"
for ((i = 0; i < 100; i++)); do
	api GET /v1/admin/sync/history
	[ "$(jq -r '.history[0].result // "running"' <<<"$BODY")" != running ] && break
	sleep 0.1
done
[ "$(jq -r '.history[0] | "\(.result) \(.new)"' <<<"$BODY")" = "success 3" ] ||
	fail "sync: $BODY"
api GET /v1/admin/updates
jq -e '[.updates[].title] | sort == ["curl 7.88.1-10 (bookworm-security)",
	"openssl 3.0.11-1 (bookworm-security)", "openssl 3.0.11-2 (bookworm-security)"]' \
	<<<"$BODY" >/dev/null || fail "updates: $BODY"
stop_server
echo "ok: apt import"
