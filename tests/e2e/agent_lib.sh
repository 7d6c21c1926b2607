# Helpers for the agent end-to-end scripts (source after lib.sh; bash).
#
#   catalog_setup              a catalog origin in $CAT, its key in $KEY
#   define ID TITLE APPL INSTALL [EXTRA]
#                              write $TMP/def/ID.json; APPL is the
#                              "applicability" object, INSTALL the "install"
#                              object, EXTRA more top-level members
#                              (e.g. '"supersedes":["..."]')
#   add ID FILES...            sluice catalog add
#   server_up [MODE]           sluiced on the catalog (storage MODE, default
#                              full), synced, with a group "web"
#   admin_sync                 POST /v1/admin/sync and wait for success
#   approve ID ACTION [DEADLINE]  approval for group web
#   agent_conf                 $ACONF: the agent's config (root $ROOT,
#                              state $STATE, groups web, a new enrollment
#                              key)
#   agent CMD [ARGS]           run sluice-agent CMD; output appended to
#                              $AGENT_LOG; returns its status (fails the
#                              test on a sanitizer report)
#   computer_id                the id the agent registered as
#   status_json                GET /v1/admin/computers/<id>/status -> $BODY
#   state_of ID                the state the server has for ID
#   detail_of ID               its detail
#   events_of ID KIND          the events of ID of that kind (JSON array)

CAT=$TMP/catalog
DATA=$TMP/data
ROOT=$TMP/root
STATE=$TMP/agent-state
ACONF=$TMP/agent.conf
AGENT_LOG=$TMP/agent.log
mkdir -p "$TMP/def" "$ROOT" "$STATE"

catalog_setup() {
	"$SLUICE" catalog init "$CAT" >/dev/null || fail "catalog init"
	KEY=$(ls "$CAT"/public/keys/*.pub | head -n 1)
}

define() {
	local id=$1 title=$2 appl=$3 install=$4 extra=${5:-}
	[ -n "$extra" ] && extra=",$extra"
	cat >"$TMP/def/$id.json" <<EOF
{"id":"$id","title":"$title","classification":"security",
 "product":"Agent Test","severity":"important","release_date":"2026-11-01",
 "applicability":$appl,"install":$install$extra}
EOF
}

add() {
	local id=$1
	shift
	"$SLUICE" catalog add "$CAT" "$TMP/def/$id.json" "$@" >/dev/null ||
		fail "catalog add $id"
}

admin_sync() {
	local i r=none
	api POST /v1/admin/sync
	[ "$HTTP_STATUS" = 202 ] || fail "admin sync: $HTTP_STATUS $BODY"
	for ((i = 0; i < 200; i++)); do
		api GET /v1/admin/sync/history
		r=$(jq -r '.history[0].result // "none"' <<<"$BODY")
		[ "$r" != running ] && [ "$r" != none ] && break
		sleep 0.1
	done
	[ "$r" = success ] || fail "sync result $r: $BODY"
}

server_up() {
	local mode=${1:-full}
	start_server "$DATA" "[upstream]
url = file://$CAT/public
trusted_keys = $KEY
syncs_per_day = 0
[storage]
mode = $mode"
	admin_sync
	api POST /v1/admin/groups '{"name":"web"}'
	case "$HTTP_STATUS" in 201 | 409) ;; *) fail "group: $HTTP_STATUS $BODY" ;; esac
}

approve() {
	local id=$1 action=$2 deadline=${3:-null}
	[ "$deadline" = null ] || deadline="\"$deadline\""
	api POST /v1/admin/approvals \
		"{\"update\":\"$id\",\"group\":\"web\",\"action\":\"$action\",\"deadline\":$deadline}"
	[ "$HTTP_STATUS" = 200 ] || fail "approve $id $action: $HTTP_STATUS $BODY"
}

agent_conf() {
	local enroll
	enroll=$("$SLUICE" enrollment create --name e2e) || fail "enrollment create"
	cat >"$ACONF" <<EOF
[agent]
server = $SERVER_URL
state_dir = $STATE
root = $ROOT
trusted_keys = $KEY
groups = web
install_timeout = 60
enrollment_key = $enroll
EOF
}

agent() {
	local rc=0
	echo "### sluice-agent $*" >>"$AGENT_LOG"
	"$AGENT" "$@" --config "$ACONF" >>"$AGENT_LOG" 2>&1 || rc=$?
	# UBSan reports but does not stop: make it fail the test.
	if grep -Eq "runtime error:|Sanitizer" "$AGENT_LOG"; then
		agent_fail "sanitizer report in the agent's output"
	fi
	return $rc
}

computer_id() {
	sqlite3 "$STATE/agent.db" "SELECT value FROM meta WHERE key='computer_id'"
}

status_json() {
	api GET "/v1/admin/computers/$(computer_id)/status"
	[ "$HTTP_STATUS" = 200 ] || fail "status: $HTTP_STATUS $BODY"
}

state_of() {
	status_json
	jq -r --arg id "$1" '.updates[] | select(.id==$id) | .state' <<<"$BODY"
}

detail_of() {
	status_json
	jq -r --arg id "$1" '.updates[] | select(.id==$id) | .detail // ""' <<<"$BODY"
}

events_of() {
	status_json
	jq -c --arg id "$1" --arg k "$2" \
		'[.events[] | select((.id // .update_id)==$id and .kind==$k)]' <<<"$BODY"
}

agent_fail() {
	echo "--- agent log (last 60 lines) ---" >&2
	tail -n 60 "$AGENT_LOG" >&2
	fail "$@"
}
