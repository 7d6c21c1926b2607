# Helpers for the cluster end-to-end scripts (source after lib.sh; bash):
# several sluiced front-ends on one PostgreSQL database behind HAProxy.
# Needs SLUICE_TEST_DATABASE (run under tests/pg/with_cluster.sh).
#
#   CLUSTER_DB                  the front-ends' database URL (one schema)
#   SHARED_CONTENT              the content directory they share (each
#                               front-end's DATA/content is a symlink to it,
#                               as a shared mount would be)
#   fe_start NAME [EXTRA-INI]   start front-end NAME (data $TMP/NAME); sets
#                               NAME_PID, NAME_PORT, NAME_URL
#   fe_kill NAME                kill -9 NAME and reap it
#   fe_stop NAME                SIGTERM, must exit cleanly
#   lb_start NAME...            HAProxy on a free port in front of the
#                               named front-ends; sets LB_URL, LB_PID
#   db_sql SQL                  psql on the cluster's database
#   lease_pid JOB               pid of the front-end holding lease JOB ("")
[ -n "${SLUICE_TEST_DATABASE:-}" ] ||
	fail "cluster tests need PostgreSQL: run under tests/pg/with_cluster.sh"
command -v haproxy >/dev/null || fail "haproxy is required (scripts/deps.sh)"
command -v jq >/dev/null || fail "jq is required"

CLUSTER_DB=$(database_url "$TMP/cluster")
SHARED_CONTENT=$TMP/shared-content
mkdir -p "$SHARED_CONTENT"
FE_NAMES=()
LB_PID=

# Background helpers of a script (an upstream server...): add their pids.
CLUSTER_PIDS=()
_cluster_cleanup() {
	local rc=$? n pid
	for n in "${FE_NAMES[@]}"; do
		pid=$(eval echo "\${${n}_PID:-}")
		[ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null || true
	done
	for pid in $LB_PID "${CLUSTER_PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	wait 2>/dev/null || true
	_lib_cleanup
	exit "$rc"
}
trap _cluster_cleanup EXIT

cluster_logs() {
	local n
	for n in "${FE_NAMES[@]}"; do
		echo "--- $n log (last 30 lines) ---" >&2
		tail -n 30 "$TMP/$n/sluiced.log" >&2 || true
	done
}

cfail() {
	cluster_logs
	fail "$@"
}

db_sql() {
	psql -qAt -v ON_ERROR_STOP=1 "$CLUSTER_DB" -c "$1"
}

fe_start() {
	local name=$1 extra=${2:-} data=$TMP/$1 port pid i
	mkdir -p "$data"
	[ -e "$data/content" ] || ln -s "$SHARED_CONTENT" "$data/content"
	port=$(eval echo "\${${name}_PORT:-}")
	[ -n "$port" ] || port=$(free_port)
	{
		echo "[server]"
		echo "listen = 127.0.0.1:$port"
		echo "data = $data"
		echo "threads = 4"
		# the tests run as root; privdrop.sh covers dropping it
		echo "user = root"
		echo "seccomp = ${E2E_SECCOMP:-on}"
		echo "console_dir = $SOURCE_ROOT/web"
		printf '%s\n' "$extra"
		echo "[database]"
		echo "url = $CLUSTER_DB"
	} >"$data/sluiced.ini"
	: >>"$data/sluiced.log"
	"$SLUICED" --config "$data/sluiced.ini" >>"$data/sluiced.log" 2>&1 &
	pid=$!
	for ((i = 0; i < 200; i++)); do
		grep -q "listening on 127.0.0.1:$port" "$data/sluiced.log" && break
		kill -0 "$pid" 2>/dev/null || cfail "sluiced $name exited at start"
		sleep 0.1
	done
	wait_port "$port"
	printf -v "${name}_PORT" %s "$port"
	printf -v "${name}_PID" %s "$pid"
	printf -v "${name}_URL" %s "http://127.0.0.1:$port"
	# The first front-end made the admin token; the others share it.
	if [ -f "$data/admin.token" ] && [ -z "${ADMIN_TOKEN:-}" ]; then
		ADMIN_TOKEN=$(cat "$data/admin.token")
		# These scenarios are about the cluster: open registration
		# (enrollment.sh covers keys), once for the shared database.
		curl -sS -o /dev/null -X PUT -H "Authorization: Bearer $ADMIN_TOKEN" \
			-H 'Content-Type: application/json' --data '{"registration":"open"}' \
			"http://127.0.0.1:$port/v1/admin/settings" ||
			cfail "registration open on $name"
	fi
	[[ " ${FE_NAMES[*]} " == *" $name "* ]] || FE_NAMES+=("$name")
}

fe_kill() {
	local pid
	pid=$(eval echo "\${${1}_PID}")
	kill -KILL "$pid"
	wait "$pid" 2>/dev/null || true
	printf -v "${1}_PID" %s ""
}

fe_stop() {
	local pid rc=0
	pid=$(eval echo "\${${1}_PID}")
	kill -TERM "$pid"
	wait "$pid" || rc=$?
	printf -v "${1}_PID" %s ""
	[ "$rc" -eq 0 ] || cfail "sluiced $1 exited with $rc after SIGTERM"
}

lb_start() {
	local n port cfg=$TMP/haproxy.cfg
	port=$(free_port)
	{
		echo "global"
		echo "  maxconn 256"
		echo "defaults"
		echo "  mode http"
		echo "  timeout connect 2s"
		echo "  timeout client 60s"
		echo "  timeout server 60s"
		echo "  retries 3"
		echo "  option redispatch"
		echo "frontend fe"
		echo "  bind 127.0.0.1:$port"
		echo "  default_backend sluiced"
		echo "backend sluiced"
		echo "  balance roundrobin"
		for n in "$@"; do
			echo "  server $n 127.0.0.1:$(eval echo "\${${n}_PORT}") check inter 500 fall 1 rise 2"
		done
	} >"$cfg"
	haproxy -f "$cfg" -db >"$TMP/haproxy.log" 2>&1 &
	LB_PID=$!
	wait_port "$port"
	LB_URL="http://127.0.0.1:$port"
}

lease_pid() {
	db_sql "SELECT holder FROM leases WHERE name = '$1' AND expires_at >= extract(epoch from now())::bigint" |
		cut -d: -f2
}
