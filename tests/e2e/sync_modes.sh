#!/usr/bin/env bash
# sync_modes: a real sluiced syncs a real catalog made with `sluice catalog`
# in each storage mode.
#   none         metadata only, no file in DATA/content; a second sync with
#                no upstream change imports nothing; a tampered document and
#                a rolled-back index are refused, recorded in the sync
#                history, and import nothing
#   on-approval  no file at sync; approving an update downloads its files
#                (and only its files)
#   full         every file downloaded at sync, verified; an expired update
#                is recorded once
# and a product filter that matches nothing imports nothing.
. "$(dirname "$0")/lib.sh"

command -v jq >/dev/null || fail "jq is required"

CAT=$TMP/cat
U1=3f6c1e0a-9b2d-4c7e-8a15-2d9e4b7c6a01
U2=8d2e4f60-1a3b-4c5d-9e7f-0a1b2c3d4e5f

# def ID TITLE PRODUCT FILE: a definition file (docs/metadata.md) whose
# script is FILE, path printed.
def() {
	local f=$TMP/def-$1-$RANDOM.json
	cat >"$f" <<EOF
{"id":"$1","title":"$2","classification":"security","product":"$3",
 "release_date":"2026-11-01",
 "applicability":{"is_installed":{"type":"false"},"is_installable":{"type":"true"}},
 "install":{"handler":"script","arguments":["$4"]},"files":[]}
EOF
	echo "$f"
}

"$SLUICE" catalog init "$CAT" >/dev/null || fail "catalog init"
KEY=$(echo "$CAT"/public/keys/*.pub)
[ -f "$KEY" ] || fail "no public key in $CAT/public/keys"

mkdir -p "$TMP/files"
echo "echo first fix" >"$TMP/files/fix1.sh"
echo "echo first fix, second revision" >"$TMP/files/fix1b.sh"
head -c 300000 /dev/urandom >"$TMP/files/payload2.bin"
SHA1=$(sha256sum "$TMP/files/fix1.sh" | cut -d' ' -f1)
SHA1B=$(sha256sum "$TMP/files/fix1b.sh" | cut -d' ' -f1)
SHA2=$(sha256sum "$TMP/files/payload2.bin" | cut -d' ' -f1)

"$SLUICE" catalog add "$CAT" "$(def $U1 'First fix' demo fix1.sh)" \
	"$TMP/files/fix1.sh" >/dev/null || fail "catalog add U1"
"$SLUICE" catalog add "$CAT" "$(def $U2 'Second fix' demo payload2.bin)" \
	"$TMP/files/payload2.bin" >/dev/null || fail "catalog add U2"

# upstream_ini URL MODE: the INI lines for start_server.
upstream_ini() {
	printf '[upstream]\nurl = %s\ntrusted_keys = %s\nsyncs_per_day = 0\n[storage]\nmode = %s\n' \
		"$1" "$KEY" "$2"
}

# do_sync: trigger a sync and wait for its history entry (LAST, JSON).
do_sync() {
	local before i
	api GET /v1/admin/sync/history
	[ "$HTTP_STATUS" = 200 ] || fail "sync history: HTTP $HTTP_STATUS $BODY"
	before=$(jq '[.history[].id] | max // 0' <<<"$BODY")
	api POST /v1/admin/sync
	[ "$HTTP_STATUS" = 202 ] || fail "sync: HTTP $HTTP_STATUS $BODY"
	for ((i = 0; i < 300; i++)); do
		api GET /v1/admin/sync/history
		LAST=$(jq -c "[.history[] | select(.id > $before)] | max_by(.id) // empty" <<<"$BODY")
		if [ -n "$LAST" ] && [ "$(jq -r .result <<<"$LAST")" != running ]; then
			return 0
		fi
		sleep 0.1
	done
	fail "the sync did not finish: $BODY"
}

# expect_sync RESULT NEW REVISED EXPIRED
expect_sync() {
	local got
	got=$(jq -r '"\(.result) \(.new) \(.revised) \(.expired)"' <<<"$LAST")
	[ "$got" = "$1 $2 $3 $4" ] ||
		fail "sync: expected '$1 $2 $3 $4', got '$got': $LAST"
	[ "$(jq -r .finished <<<"$LAST")" != null ] || fail "no finish time: $LAST"
}

# expect_sync_refused TEXT: a failure whose error mentions TEXT.
expect_sync_refused() {
	expect_sync failure 0 0 0
	jq -e --arg t "$1" '.error | type == "string" and contains($t)' \
		<<<"$LAST" >/dev/null || fail "error should mention '$1': $LAST"
}

# stored DATA SHA: the file is in the content store and verifies.
stored() {
	local f=$1/content/${2:0:2}/$2
	[ -f "$f" ] && [ "$(sha256sum "$f" | cut -d' ' -f1)" = "$2" ]
}

# wait_stored DATA SHA [SECS]
wait_stored() {
	local i secs=${3:-30}
	for ((i = 0; i < secs * 10; i++)); do
		stored "$1" "$2" && return 0
		sleep 0.1
	done
	fail "$2 not in $1/content after ${secs}s"
}

# content_count DATA: files under their final name in the store.
content_count() {
	if [ -d "$1/content" ]; then
		find "$1/content" -type f -regextype egrep \
			-regex '.*/[0-9a-f]{64}' | wc -l
	else
		echo 0
	fi
}

# update_field ID JQ-EXPR: from GET /v1/admin/updates
update_field() {
	api GET /v1/admin/updates
	[ "$HTTP_STATUS" = 200 ] || fail "updates: HTTP $HTTP_STATUS $BODY"
	jq -r --arg id "$1" ".updates[] | select(.id == \$id) | $2" <<<"$BODY"
}

# ---------------------------------------------------------------- none
echo "== storage mode none (file:// upstream without a trailing slash)"
D1=$TMP/none
start_server "$D1" "$(upstream_ini "file://$CAT/public" none)"
do_sync
expect_sync success 2 0 0
[ "$(jq -r .index_version <<<"$LAST")" = 3 ] || fail "index version: $LAST"
[ "$(content_count "$D1")" = 0 ] || fail "mode none stored files"
[ "$(update_field $U1 .revision)" = 1 ] || fail "U1 revision: $BODY"
[ "$(update_field $U2 '[.files[] | select(.present)] | length')" = 0 ] ||
	fail "mode none: a file is present: $BODY"
[ "$(update_field $U2 '.files[0].sha256')" = "$SHA2" ] || fail "U2 files: $BODY"

echo "-- a second sync with no upstream change imports nothing"
do_sync
expect_sync success 0 0 0

echo "-- a tampered document is refused and nothing is imported"
cp "$CAT/public/index.json" "$TMP/index-v3.json"
"$SLUICE" catalog add "$CAT" "$(def $U1 'First fix v2' demo fix1b.sh)" \
	"$TMP/files/fix1b.sh" >/dev/null || fail "catalog add U1 v2"
"$SLUICE" catalog add "$CAT" "$(def $U2 'Second fix v2' demo payload2.bin)" \
	"$TMP/files/payload2.bin" >/dev/null || fail "catalog add U2 v2"
DOC=$CAT/public/updates/$U2/2.json
cp "$DOC" "$TMP/doc.json"
sed -i 's/Second fix v2/Second fix v9/' "$DOC"
cmp -s "$DOC" "$TMP/doc.json" && fail "the document was not changed"
do_sync
expect_sync_refused "does not match the index"
# U1's new revision verified but is not imported either: all or nothing.
[ "$(update_field $U1 .revision)" = 1 ] || fail "U1 imported anyway: $BODY"
[ "$(update_field $U2 .title)" = "Second fix" ] || fail "U2 changed: $BODY"
server_alive

echo "-- the document restored: both revisions imported"
cp "$TMP/doc.json" "$DOC"
do_sync
expect_sync success 0 2 0
[ "$(update_field $U1 .revision)" = 2 ] || fail "U1 revision: $BODY"
[ "$(update_field $U2 .title)" = "Second fix v2" ] || fail "U2 title: $BODY"

echo "-- a rolled-back index is refused"
cp "$CAT/public/index.json" "$TMP/index-v5.json"
cp "$TMP/index-v3.json" "$CAT/public/index.json"
do_sync
expect_sync_refused "rollback"
[ "$(update_field $U1 .revision)" = 2 ] || fail "U1 rolled back: $BODY"
cp "$TMP/index-v5.json" "$CAT/public/index.json"
do_sync
expect_sync success 0 0 0

echo "-- the history shows every sync"
api GET /v1/admin/sync/history
[ "$(jq '[.history[] | select(.result == "failure")] | length' <<<"$BODY")" = 2 ] ||
	fail "history should hold 2 failures: $BODY"
[ "$(jq '[.history[] | select(.result == "success")] | length' <<<"$BODY")" = 4 ] ||
	fail "history should hold 4 successes: $BODY"
[ "$(content_count "$D1")" = 0 ] || fail "mode none stored files"
stop_server

# --------------------------------------------------------- on-approval
echo "== storage mode on-approval (file:// upstream with a trailing slash)"
D2=$TMP/on-approval
start_server "$D2" "$(upstream_ini "file://$CAT/public/" on-approval)"
do_sync
expect_sync success 2 0 0
sleep 1
[ "$(content_count "$D2")" = 0 ] || fail "on-approval stored files at sync"
[ "$(update_field $U1 '.files[0].present')" = false ] || fail "U1: $BODY"

echo "-- approving U1 downloads its file, and only its file"
api POST /v1/admin/approvals \
	"{\"update\":\"$U1\",\"group\":\"All Computers\",\"action\":\"install\",\"deadline\":null}"
[ "$HTTP_STATUS" = 200 ] || fail "approve: HTTP $HTTP_STATUS $BODY"
wait_stored "$D2" "$SHA1B"
sleep 1
[ "$(content_count "$D2")" = 1 ] || fail "more than U1's file stored"
stored "$D2" "$SHA2" && fail "U2's file stored without an approval"
stored "$D2" "$SHA1" && fail "U1's old revision's file stored"
[ "$(update_field $U1 '.files[0].present')" = true ] || fail "U1: $BODY"
[ "$(update_field $U2 '.files[0].present')" = false ] || fail "U2: $BODY"
# The server hands the stored file out.
curl -sf "$SERVER_URL/content/$SHA1B" | cmp -s - "$TMP/files/fix1b.sh" ||
	fail "GET /content/$SHA1B does not return the file"
stop_server

# ---------------------------------------------------------------- full
echo "== storage mode full"
D3=$TMP/full
start_server "$D3" "$(upstream_ini "file://$CAT/public" full)"
do_sync
expect_sync success 2 0 0
wait_stored "$D3" "$SHA1B"
wait_stored "$D3" "$SHA2"
[ "$(content_count "$D3")" = 2 ] || fail "full: expected 2 files"
find "$D3/content" -name '*.part' | grep -q . && fail "a .part is left"
[ "$(update_field $U2 '.files[0].present')" = true ] || fail "U2: $BODY"

echo "-- an expired update is recorded once"
"$SLUICE" catalog expire "$CAT" "$U2" >/dev/null || fail "catalog expire"
do_sync
expect_sync success 0 0 1
[ "$(update_field $U2 .expired)" = true ] || fail "U2 not expired: $BODY"
do_sync
expect_sync success 0 0 0
server_alive
stop_server

# ------------------------------------------------------------- filters
echo "== product filter: nothing of another product is imported"
D4=$TMP/filtered
start_server "$D4" "$(upstream_ini "file://$CAT/public" full)
[upstream]
products = other product"
do_sync
expect_sync success 0 0 0
api GET /v1/admin/updates
[ "$(jq '.updates | length' <<<"$BODY")" = 0 ] || fail "filtered: $BODY"
[ "$(content_count "$D4")" = 0 ] || fail "filtered: files stored"
stop_server
echo "PASS"
