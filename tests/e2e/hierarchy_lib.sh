# Helpers for the server hierarchy end-to-end scripts (source after lib.sh;
# bash). Several sluiced run at once, each a "node" with a name:
#
#   node_start NAME EXTRA-INI   start sluiced with data dir $TMP/NAME; sets
#                               <NAME>_URL, <NAME>_PID, <NAME>_TOKEN (admin),
#                               <NAME>_DATA
#   node_stop NAME              SIGTERM + wait (must exit cleanly)
#   napi NAME METHOD PATH [BODY]  admin API of that node -> HTTP_STATUS, BODY
#   nsync NAME [EXPECT]         POST /v1/admin/sync, wait; the newest history
#                               row goes to SYNC (JSON); fails unless its
#                               result is EXPECT (default success)
#   downstream_token NAME UP    `sluice downstream add NAME` on node UP;
#                               prints the token
#   catalog_setup, define, add  a catalog origin (as agent_lib.sh)
#   mkupdate ID TITLE NAME      an update whose script installer leaves
#                               /opt/NAME/done under the agent's root
#   agent_on NODE NAME CMD...   run the real sluice-agent NAME (own state and
#                               root dir, group web) against NODE
#   agent_cid NAME              the computer id agent NAME registered as

CAT=$TMP/catalog
NODES=()
mkdir -p "$TMP/def"

_hier_cleanup() {
	local n pid
	for n in "${NODES[@]}"; do
		pid=$(eval echo "\${${n}_PID:-}")
		if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
			kill -TERM "$pid" 2>/dev/null || true
			wait "$pid" 2>/dev/null || true
		fi
	done
	_lib_cleanup
}
trap _hier_cleanup EXIT

node_log() {
	local n
	for n in "${NODES[@]}"; do
		echo "--- $n log (last 25 lines) ---" >&2
		tail -n 25 "$TMP/$n/sluiced.log" >&2 || true
	done
}

hfail() {
	node_log
	fail "$@"
}

node_start() {
	local name=$1 extra=${2:-} data=$TMP/$1 port pid i
	mkdir -p "$data"
	port=$(eval echo "\${${name}_PORT:-}")
	[ -n "$port" ] || port=$(free_port)
	{
		echo "[server]"
		echo "listen = 127.0.0.1:$port"
		echo "data = $data"
		echo "threads = 4"
		echo "user = root" # the tests run as root (privdrop.sh)
		echo "seccomp = ${E2E_SECCOMP:-on}"
		printf '%s\n' "$extra"
		database_ini "$data"
	} >"$data/sluiced.ini"
	: >>"$data/sluiced.log"
	"$SLUICED" --config "$data/sluiced.ini" >>"$data/sluiced.log" 2>&1 &
	pid=$!
	for ((i = 0; i < 200; i++)); do
		grep -q "listening on 127.0.0.1:$port" "$data/sluiced.log" && break
		kill -0 "$pid" 2>/dev/null || hfail "sluiced $name exited at start"
		sleep 0.1
	done
	wait_port "$port"
	printf -v "${name}_PORT" %s "$port"
	printf -v "${name}_PID" %s "$pid"
	printf -v "${name}_URL" %s "http://127.0.0.1:$port"
	printf -v "${name}_DATA" %s "$data"
	printf -v "${name}_TOKEN" %s "$(cat "$data/admin.token")"
	# agents register without enrollment keys here (enrollment.sh)
	curl -sS -f -o /dev/null -X PUT -H "Authorization: Bearer $(cat "$data/admin.token")" \
		--data '{"registration":"open"}' "http://127.0.0.1:$port/v1/admin/settings" ||
		hfail "cannot open registration on $name"
	[[ " ${NODES[*]} " == *" $name "* ]] || NODES+=("$name")
}

node_stop() {
	local pid rc=0
	pid=$(eval echo "\${${1}_PID}")
	kill -TERM "$pid" || hfail "sluiced $1 already gone"
	wait "$pid" || rc=$?
	printf -v "${1}_PID" %s ""
	[ "$rc" -eq 0 ] || hfail "sluiced $1 exited with status $rc"
}

napi() {
	local n=$1 method=$2 path=$3 body=${4:-} url tok out=$TMP/napi.out
	url=$(eval echo "\${${n}_URL}")
	tok=$(eval echo "\${${n}_TOKEN}")
	if [ -n "$body" ]; then
		HTTP_STATUS=$(curl -sS -o "$out" -w '%{http_code}' -X "$method" \
			-H "Authorization: Bearer $tok" \
			-H 'Content-Type: application/json' \
			--data-binary "$body" "$url$path")
	else
		HTTP_STATUS=$(curl -sS -o "$out" -w '%{http_code}' -X "$method" \
			-H "Authorization: Bearer $tok" "$url$path")
	fi
	BODY=$(cat "$out")
}

nsync() {
	local n=$1 expect=${2:-success} i r=none before
	napi "$n" GET /v1/admin/sync/history
	before=$(jq -r '.history[0].id // 0' <<<"$BODY")
	napi "$n" POST /v1/admin/sync
	[ "$HTTP_STATUS" = 202 ] || hfail "$n sync: $HTTP_STATUS $BODY"
	for ((i = 0; i < 300; i++)); do
		napi "$n" GET /v1/admin/sync/history
		if [ "$(jq -r '.history[0].id // 0' <<<"$BODY")" != "$before" ]; then
			r=$(jq -r '.history[0].result' <<<"$BODY")
			[ "$r" != running ] && break
		fi
		sleep 0.1
	done
	SYNC=$(jq -c '.history[0]' <<<"$BODY")
	[ "$r" = "$expect" ] || hfail "$n sync: $r, expected $expect: $SYNC"
}

downstream_token() {
	local url tok
	url=$(eval echo "\${${2}_URL}")
	tok=$(eval echo "\${${2}_TOKEN}")
	"$SLUICE" --server "$url" --token "$tok" --json downstream add "$1" |
		jq -r .token
}

catalog_setup() {
	"$SLUICE" catalog init "$CAT" >/dev/null || fail "catalog init"
	KEY=$(ls "$CAT"/public/keys/*.pub | head -n 1)
}

define() {
	local id=$1 title=$2 appl=$3 install=$4 extra=${5:-}
	[ -n "$extra" ] && extra=",$extra"
	cat >"$TMP/def/$id.json" <<EOF
{"id":"$id","title":"$title","classification":"security",
 "product":"Hierarchy Test","severity":"important","release_date":"2026-11-01",
 "applicability":$appl,"install":$install$extra}
EOF
}

add() {
	local id=$1
	shift
	"$SLUICE" catalog add "$CAT" "$TMP/def/$id.json" "$@" >/dev/null ||
		fail "catalog add $id"
}

mkupdate() { # ID TITLE NAME
	mkdir -p "$TMP/files/$1"
	cat >"$TMP/files/$1/install.sh" <<EOS
set -e
mkdir -p "\$SLUICE_ROOT/opt/$3"
echo "installed $3" > "\$SLUICE_ROOT/opt/$3/done"
EOS
	define "$1" "$2" \
		"{\"is_installed\":{\"type\":\"file_exists\",\"path\":\"/opt/$3/done\"},
		  \"is_installable\":{\"type\":\"os_id\",\"id\":\"sluicetest\"}}" \
		'{"handler":"script","arguments":["install.sh"]}'
	add "$1" "$TMP/files/$1/install.sh"
}

agent_on() { # NODE NAME CMD...
	local node=$1 name=$2 dir=$TMP/agent-$2 rc=0
	shift 2
	mkdir -p "$dir/root/etc" "$dir/state"
	printf 'ID=sluicetest\nVERSION_ID="1.0"\n' >"$dir/root/etc/os-release"
	cat >"$dir/agent.conf" <<EOF
[agent]
server = $(eval echo "\${${node}_URL}")
state_dir = $dir/state
root = $dir/root
trusted_keys = $KEY
groups = web
install_timeout = 60
EOF
	echo "### sluice-agent $*" >>"$dir/agent.log"
	"$AGENT" "$@" --config "$dir/agent.conf" >>"$dir/agent.log" 2>&1 || rc=$?
	if [ "$rc" != 0 ]; then
		tail -n 40 "$dir/agent.log" >&2
		hfail "agent $name: $* exited $rc"
	fi
}

agent_cid() {
	sqlite3 "$TMP/agent-$1/state/agent.db" \
		"SELECT value FROM meta WHERE key='computer_id'"
}
