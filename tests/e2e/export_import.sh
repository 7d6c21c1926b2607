#!/usr/bin/env bash
# Disconnected networks: `sluice export` on a server synced from a catalog
# origin, `sluice import` on a fresh server with no upstream. The import
# verifies everything as a sync does: a tampered document or file imports
# nothing; the same archive twice changes nothing; a later export adds only
# what is new; an older archive after a newer one is a rollback. An agent
# of the disconnected server installs an imported, approved update.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent_lib.sh"

U1=eeeeeeee-0000-4000-8000-000000000001
U2=eeeeeeee-0000-4000-8000-000000000002
U3=eeeeeeee-0000-4000-8000-000000000003
catalog_setup
mkdir -p "$ROOT/etc"
printf 'ID=sluicetest\nVERSION_ID="1.0"\n' >"$ROOT/etc/os-release"
appl() {
	echo "{\"is_installed\":{\"type\":\"file_exists\",\"path\":\"/opt/$1/done\"},
	 \"is_installable\":{\"type\":\"os_id\",\"id\":\"sluicetest\"}}"
}
inst='{"handler":"script","arguments":["install.sh"]}'
mkfix() { # ID NAME
	mkdir -p "$TMP/files/$1"
	printf 'mkdir -p "$SLUICE_ROOT/opt/%s"\necho installed-%s > "$SLUICE_ROOT/opt/%s/done"\n' \
		"$2" "$2" "$2" >"$TMP/files/$1/install.sh"
	define "$1" "Export $2" "$(appl "$2")" "$inst"
	add "$1" "$TMP/files/$1/install.sh"
}
mkfix $U1 one
mkfix $U2 two

# --- the connected server ---------------------------------------------------
A=$TMP/a
DATA=$A
server_up full
approve $U1 install
for ((i = 0; i < 100; i++)); do
	[ "$(server_sql "$A" "SELECT count(*) FROM content WHERE state='present'")" = 2 ] && break
	sleep 0.1
done
"$SLUICE" export --approvals "$TMP/one.tar" >"$TMP/out" || fail "export: $(cat "$TMP/out")"
grep -q "2 updates, 2 files, 1 approvals" "$TMP/out" || fail "export said: $(cat "$TMP/out")"
tar tf "$TMP/one.tar" | sort >"$TMP/members"
grep -qx index.json "$TMP/members" || fail "no index.json: $(cat "$TMP/members")"
grep -qx "updates/$U1/1.json" "$TMP/members" || fail "no document: $(cat "$TMP/members")"
[ "$(grep -c '^content/' "$TMP/members")" = 2 ] || fail "files: $(cat "$TMP/members")"
# The origin's index and documents byte for byte.
mkdir "$TMP/x1" && tar xf "$TMP/one.tar" -C "$TMP/x1"
cmp "$TMP/x1/index.json" "$CAT/public/index.json" || fail "index.json differs from the origin's"
cmp "$TMP/x1/updates/$U1/1.json" "$CAT/public/updates/$U1/1.json" || fail "document differs"
"$SLUICE" export --files none "$TMP/meta.tar" >/dev/null || fail "export --files none"
[ "$(tar tf "$TMP/meta.tar" | grep -c '^content/')" = 0 ] || fail "--files none has files"
api GET "/v1/admin/audit?action=export"
[ "$(jq '.audit | length' <<<"$BODY")" -ge 2 ] || fail "export not audited: $BODY"
stop_server

# A later origin change: a third update, exported as a second archive.
mkfix $U3 three
server_up full
"$SLUICE" export --files approved "$TMP/two.tar" >"$TMP/out" || fail "export 2: $(cat "$TMP/out")"
grep -q "3 updates, 1 files" "$TMP/out" || fail "export 2 said: $(cat "$TMP/out")"
stop_server

# --- the disconnected server: no upstream, trusts the origin's key ----------
B=$TMP/b
start_server "$B" "[upstream]
trusted_keys = $KEY
syncs_per_day = 0
[storage]
mode = full"
nupd() { server_sql "$B" "SELECT count(*) FROM update_status"; }

# Tampered document: refused, nothing imported.
python3 - "$TMP/one.tar" "$TMP/bad-doc.tar" 'Export one' 'Export 0ne' <<'PY'
import sys
d = open(sys.argv[1], 'rb').read()
old, new = sys.argv[3].encode(), sys.argv[4].encode()
i = d.rfind(old)  # the last: the document (the index names it first)
assert i > 0
open(sys.argv[2], 'wb').write(d[:i] + new + d[i + len(old):])
PY
"$SLUICE" import "$TMP/bad-doc.tar" >"$TMP/out" 2>&1 && fail "tampered document imported"
grep -q "does not match\|verify\|hash" "$TMP/out" || fail "tampered document: $(cat "$TMP/out")"
[ "$(nupd)" = 0 ] || fail "a tampered archive imported $(nupd) updates"
# Tampered file.
python3 - "$TMP/one.tar" "$TMP/bad-file.tar" 'installed-two' 'installed-2wo' <<'PY'
import sys
d = open(sys.argv[1], 'rb').read()
old, new = sys.argv[3].encode(), sys.argv[4].encode()
i = d.rfind(old)  # the last: the document (the index names it first)
assert i > 0
open(sys.argv[2], 'wb').write(d[:i] + new + d[i + len(old):])
PY
"$SLUICE" import "$TMP/bad-file.tar" >"$TMP/out" 2>&1 && fail "tampered file imported"
grep -q "tampered archive" "$TMP/out" || fail "tampered file: $(cat "$TMP/out")"
[ "$(nupd)" = 0 ] || fail "a tampered file let $(nupd) updates in"
# A member outside the tree.
python3 - "$TMP/evil.tar" <<'PY'
import sys, tarfile, io
with tarfile.open(sys.argv[1], 'w', format=tarfile.USTAR_FORMAT) as t:
    data = b'x'
    ti = tarfile.TarInfo('../escape'); ti.size = 1
    t.addfile(ti, io.BytesIO(data))
PY
"$SLUICE" import "$TMP/evil.tar" >"$TMP/out" 2>&1 && fail "evil archive imported"
grep -q "unsafe name" "$TMP/out" || fail "evil archive: $(cat "$TMP/out")"
[ ! -e "$B/escape" ] || fail "a member escaped the import directory"

# The real archive.
"$SLUICE" --json import "$TMP/one.tar" >"$TMP/out" || fail "import: $(cat "$TMP/out")"
[ "$(jq -r '"\(.new) \(.files) \(.approvals)"' "$TMP/out")" = "2 2 1" ] ||
	fail "import said: $(cat "$TMP/out")"
[ "$(nupd)" = 2 ] || fail "imported $(nupd) updates"
api GET /v1/admin/sync/history
[ "$(jq -r '.history[0].result' <<<"$BODY")" = success ] || fail "history: $BODY"
# The same archive again: nothing changes.
seq_before=$(server_sql "$B" "SELECT value FROM meta WHERE key='change_seq'")
"$SLUICE" --json import "$TMP/one.tar" >"$TMP/out" || fail "import again: $(cat "$TMP/out")"
[ "$(jq -r '"\(.new) \(.revised) \(.files) \(.approvals)"' "$TMP/out")" = "0 0 0 0" ] ||
	fail "second import changed something: $(cat "$TMP/out")"
[ "$(server_sql "$B" "SELECT value FROM meta WHERE key='change_seq'")" = "$seq_before" ] ||
	fail "second import took change sequences"

# An agent of the disconnected server installs the approved update.
agent_conf
agent install || agent_fail "agent install on the disconnected server"
[ "$(cat "$ROOT/opt/one/done")" = installed-one ] || agent_fail "U1 not installed"
[ ! -e "$ROOT/opt/two" ] || agent_fail "U2 (not approved) was installed"

# The later export adds only what is new; the older one is now a rollback.
"$SLUICE" --json import "$TMP/two.tar" >"$TMP/out" || fail "import 2: $(cat "$TMP/out")"
[ "$(jq -r '"\(.new) \(.revised)"' "$TMP/out")" = "1 0" ] || fail "import 2 said: $(cat "$TMP/out")"
[ "$(nupd)" = 3 ] || fail "after import 2: $(nupd) updates"
"$SLUICE" import "$TMP/one.tar" >"$TMP/out" 2>&1 && fail "an older archive imported"
grep -qi "rollback\|older\|below" "$TMP/out" || fail "rollback: $(cat "$TMP/out")"
# A server with no kept index cannot export.
"$SLUICE" export "$TMP/none.tar" >/dev/null 2>&1 || true
server_alive
stop_server
echo "export_import: ok"
