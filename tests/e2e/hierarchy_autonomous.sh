#!/usr/bin/env bash
# An autonomous downstream sluiced (storage none) under a root sluiced:
# the root's approval does not apply there, a local one does, and its agent
# downloads the file from the root server (the URL it is handed, checked
# by the agent against the signed hash). While the downstream is offline
# the root gets a new update, a new revision and an expiry; the next sync
# catches up with nothing missed or duplicated. The changes API pages by
# anchor and filters by product.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/hierarchy_lib.sh"

U1=cccccccc-0000-4000-8000-000000000001
U2=cccccccc-0000-4000-8000-000000000002
U3=cccccccc-0000-4000-8000-000000000003

catalog_setup
mkupdate $U1 "Autonomous fix one" one
mkupdate $U2 "Autonomous fix two" two
SHA2=$(sha256sum "$TMP/files/$U2/install.sh" | cut -d' ' -f1)

node_start root "[upstream]
url = file://$CAT/public
trusted_keys = $KEY
syncs_per_day = 0
[storage]
mode = full"
nsync root
napi root POST /v1/admin/groups '{"name":"web"}'
[ "$HTTP_STATUS" = 201 ] || hfail "group web: $HTTP_STATUS $BODY"
for ((i = 0; i < 300; i++)); do
	curl -sf -o /dev/null "$root_URL/content/$SHA2" && break
	sleep 0.1
done

TOK=$(downstream_token down1 root)
node_start down1 "[upstream]
kind = sluiced
url = $root_URL
token = $TOK
mode = autonomous
trusted_keys = $KEY
syncs_per_day = 0
[storage]
mode = none"
nsync down1
[ "$(jq .new <<<"$SYNC")" = 2 ] || hfail "first sync: $SYNC"

# Groups are the downstream's own: it may create them.
napi down1 POST /v1/admin/groups '{"name":"web"}'
[ "$HTTP_STATUS" = 201 ] || hfail "local group on an autonomous server: $HTTP_STATUS $BODY"

# --- the root's approval does not apply ---------------------------------------
"$SLUICE" --server "$root_URL" --token "$root_TOKEN" approve $U1 web >/dev/null ||
	hfail "approve on the root"
nsync down1
agent_on down1 a1 install
[ ! -e "$TMP/agent-a1/root/opt/one" ] || hfail "the root's approval applied downstream"
napi down1 GET /v1/admin/updates
jq -e --arg u $U1 '.updates[] | select(.id==$u) | .approvals == []' <<<"$BODY" >/dev/null ||
	hfail "downstream shows an approval it never made: $BODY"

# --- a local approval does ------------------------------------------------------
"$SLUICE" --server "$down1_URL" --token "$down1_TOKEN" approve $U2 web >/dev/null ||
	hfail "approve on the autonomous downstream"
agent_on down1 a1 install
grep -q "installed two" "$TMP/agent-a1/root/opt/two/done" 2>/dev/null ||
	hfail "the local approval did not install U2"
[ ! -e "$TMP/agent-a1/root/opt/one" ] || hfail "U1 installed"

# Storage none: the agent was handed the root server's content URL, and the
# downstream holds no file.
REG=$(curl -sS -X POST "$down1_URL/v1/agent/register" \
	-d '{"hostname":"probe","os_id":"sluicetest","groups":["web"]}')
PTOK=$(jq -r .token <<<"$REG")
S=$(curl -sS -X POST -H "Authorization: Bearer $PTOK" -d '{"anchor":null}' \
	"$down1_URL/v1/agent/sync")
[ "$(jq -r '.updates[0].files[0].url' <<<"$S")" = "$root_URL/content/$SHA2" ] ||
	hfail "file URL: $S"
[ -z "$(find "$down1_DATA/content" -type f 2>/dev/null)" ] || hfail "mode none stored files"
# ... and the root really serves it, with the signed hash.
curl -sf "$root_URL/content/$SHA2" | sha256sum | grep -q "^$SHA2 " ||
	hfail "root content does not match"

# --- offline during upstream changes ------------------------------------------
# The downstream's own auto-approval rule will approve what the catch-up
# brings.
"$SLUICE" --server "$down1_URL" --token "$down1_TOKEN" rules add sec \
	--group web --classification security >/dev/null ||
	hfail "rule on the autonomous downstream"
node_stop down1
mkupdate $U3 "Autonomous fix three" three
define $U2 "Autonomous fix two, revised" \
	'{"is_installed":{"type":"file_exists","path":"/opt/two/done"},"is_installable":{"type":"os_id","id":"sluicetest"}}' \
	'{"handler":"script","arguments":["install.sh"]}'
add $U2 "$TMP/files/$U2/install.sh"
"$SLUICE" catalog expire "$CAT" $U1 >/dev/null || fail "catalog expire"
nsync root
jq -e '.new==1 and .revised==1 and .expired==1' <<<"$SYNC" >/dev/null ||
	hfail "root sync: $SYNC"
node_start down1 "$(sed -n '/^\[upstream\]/,$p' "$down1_DATA/sluiced.ini")"
nsync down1
jq -e '.new==1 and .revised==1 and .expired==1' <<<"$SYNC" >/dev/null ||
	hfail "catch-up sync: $SYNC"
napi down1 GET /v1/admin/updates
jq -e --arg u1 $U1 --arg u2 $U2 --arg u3 $U3 '
	(.updates | length) == 3 and
	(.updates[] | select(.id==$u1) | .expired) == true and
	(.updates[] | select(.id==$u2) | .revision) == 2 and
	(.updates[] | select(.id==$u3) | .expired) == false' <<<"$BODY" >/dev/null ||
	hfail "downstream after catch-up: $BODY"
jq -e --arg u3 $U3 '.updates[] | select(.id==$u3) | .approvals |
	any(.group=="web" and .action=="install")' <<<"$BODY" >/dev/null ||
	hfail "the downstream's rule did not approve the new update: $BODY"
n=$(server_sql "$down1_DATA" "SELECT count(*) FROM updates")
[ "$n" = 4 ] || hfail "updates rows (U1, U2 r1, U2 r2, U3): $n"
nsync down1
jq -e '.new==0 and .revised==0 and .expired==0' <<<"$SYNC" >/dev/null ||
	hfail "second catch-up sync: $SYNC"

# --- approve_new_revisions off: a revision from the upstream is not approved --
napi down1 GET /v1/admin/updates
jq -e --arg u2 $U2 '.updates[] | select(.id==$u2) | .approvals |
	any(.group=="web" and .action=="install")' <<<"$BODY" >/dev/null ||
	hfail "U2 not approved for web before its new revision: $BODY"
"$SLUICE" --server "$down1_URL" --token "$down1_TOKEN" settings set \
	approve_new_revisions off | grep -q "approve_new_revisions: off" ||
	hfail "approve_new_revisions off on the downstream"
define $U2 "Autonomous fix two, revised again" \
	'{"is_installed":{"type":"file_exists","path":"/opt/two/done"},"is_installable":{"type":"os_id","id":"sluicetest"}}' \
	'{"handler":"script","arguments":["install.sh"]}'
add $U2 "$TMP/files/$U2/install.sh"
nsync root
nsync down1
jq -e '.revised==1' <<<"$SYNC" >/dev/null || hfail "sync of U2 revision 3: $SYNC"
napi down1 GET /v1/admin/updates
jq -e --arg u2 $U2 '.updates[] | select(.id==$u2) | .revision == 3 and
	(.approvals | any(.action=="install") | not)' <<<"$BODY" >/dev/null ||
	hfail "switch off, U2's new revision from the upstream approved: $BODY"
"$SLUICE" --server "$down1_URL" --token "$down1_TOKEN" audit |
	grep "approval.withdraw" | grep -q "$U2" ||
	hfail "the withdrawal is not audited on the downstream"
"$SLUICE" --server "$down1_URL" --token "$down1_TOKEN" settings set \
	approve_new_revisions on >/dev/null || hfail "approve_new_revisions on"

# --- the changes API, page by page ---------------------------------------------
since=0
seen=""
for ((p = 0; p < 10; p++)); do
	C=$(curl -sS -H "Authorization: Bearer $TOK" \
		"$root_URL/v1/upstream/changes?since=$since&limit=1")
	seen="$seen $(jq -r '.updates[].id' <<<"$C")"
	since=$(jq -r .anchor <<<"$C")
	[ "$(jq .more <<<"$C")" = true ] || break
done
[ "$(tr ' ' '\n' <<<"$seen" | sed '/^$/d' | sort | uniq -c | awk '$1!=1' | wc -l)" = 0 ] ||
	hfail "a page repeated an update: $seen"
[ "$(tr ' ' '\n' <<<"$seen" | sed '/^$/d' | sort -u | wc -l)" = 3 ] || hfail "pages: $seen"
C=$(curl -sS -H "Authorization: Bearer $TOK" \
	"$root_URL/v1/upstream/changes?since=0&products=Nothing%20Here")
[ "$(jq '.updates | length' <<<"$C")" = 0 ] || hfail "product filter: $C"
# Documents are handed over byte for byte as the origin signed them.
doc=$(jq -r --arg u $U3 '.updates[] | select(.id==$u) | .document' \
	<<<"$(curl -sS -H "Authorization: Bearer $TOK" "$root_URL/v1/upstream/changes?since=0")")
[ "$(printf '%s' "$doc" | sha256sum | cut -d' ' -f1)" = \
	"$(sha256sum "$CAT/public/updates/$U3/1.json" | cut -d' ' -f1)" ] ||
	hfail "document not verbatim"

# --- visibility on the root -----------------------------------------------------
"$SLUICE" --server "$root_URL" --token "$root_TOKEN" --json downstream list >"$TMP/dl"
jq -e '.downstreams[0] | .name=="down1" and .mode=="autonomous" and
	.computers.total==2 and .last_sync!=null' "$TMP/dl" >/dev/null ||
	hfail "downstream list: $(cat "$TMP/dl")"
# A revoked downstream token stops working.
"$SLUICE" --server "$root_URL" --token "$root_TOKEN" downstream remove down1 >/dev/null ||
	hfail "downstream remove"
nsync down1 failure
jq -e '.error | contains("401")' <<<"$SYNC" >/dev/null || hfail "revoked: $SYNC"

for n in down1 root; do node_stop $n; done
echo "hierarchy_autonomous: ok"
