# Shared helpers for the end-to-end scripts (source it; bash).
#
#   BUILD_DIR, SOURCE_ROOT  set by meson (defaults: ./build and .)
#   SLUICED, SLUICE, AGENT  the binaries under test
#   TMP                     a fresh temporary directory, removed on exit
#
#   fail MSG...             print and exit 1
#   free_port               print a free TCP port on 127.0.0.1
#   wait_port PORT [SECS]   wait until something accepts on 127.0.0.1:PORT
#   start_server DATA [EXTRA-INI-LINES]
#                           start sluiced on a free port with data dir DATA;
#                           sets SERVER_PID, SERVER_PORT, SERVER_URL,
#                           ADMIN_TOKEN, SERVER_LOG; extra lines are INI text
#                           appended to the generated config (sections ok)
#                           With SLUICE_TEST_DATABASE (a PostgreSQL URL,
#                           tests/pg/with_cluster.sh) the server's database
#                           is a schema of its own there, one per DATA
#                           (a restart on DATA finds its data again).
#   server_sql DATA SQL     query the database of the server on DATA
#   server_db_dump DATA     print all its stored bytes (secrets grep)
#                           Registration is set to open (no enrollment key
#                           needed) unless E2E_REGISTRATION=key: tests about
#                           other things register agents freely.
#   stop_server             SIGTERM + wait; fails if it did not exit cleanly
#   server_alive            fails unless sluiced is still running
#   api METHOD PATH [BODY]  curl the admin API with ADMIN_TOKEN (not in a
#                           subshell): sets HTTP_STATUS and BODY
set -euo pipefail

BUILD_DIR=${BUILD_DIR:-$PWD/build}
SOURCE_ROOT=${SOURCE_ROOT:-$PWD}
SLUICED=${SLUICED:-$BUILD_DIR/src/server/sluiced}
SLUICE=${SLUICE:-$BUILD_DIR/src/cli/sluice}
AGENT=${AGENT:-$BUILD_DIR/src/agent/sluice-agent}

TMP=$(mktemp -d "${TMPDIR:-/tmp}/sluice-e2e.XXXXXX")
SERVER_PID=
_lib_cleanup() {
	if [ -n "${SERVER_PID:-}" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
		kill -TERM "$SERVER_PID" 2>/dev/null || true
		wait "$SERVER_PID" 2>/dev/null || true
	fi
	if [ -n "${KEEP_TMP:-}" ]; then
		echo "kept $TMP" >&2
	else
		rm -rf "$TMP"
	fi
}
trap _lib_cleanup EXIT

fail() {
	echo "FAIL: $*" >&2
	if [ -n "${SERVER_LOG:-}" ] && [ -f "$SERVER_LOG" ]; then
		echo "--- server log (last 40 lines) ---" >&2
		tail -n 40 "$SERVER_LOG" >&2
	fi
	exit 1
}

# put_content DATA NAME BYTES: a file of random bytes ($TMP/NAME.bin) in
# the content store of the server data directory DATA, as a fetch leaves
# it; sets SHA_<NAME> to its SHA-256.
put_content() {
	local f=$TMP/$2.bin sha
	head -c "$3" /dev/urandom >"$f"
	sha=$(sha256sum "$f" | cut -d' ' -f1)
	mkdir -p "$1/content/${sha:0:2}"
	cp "$f" "$1/content/${sha:0:2}/$sha"
	printf -v "SHA_$2" '%s' "$sha"
}

free_port() {
	"$SOURCE_ROOT/scripts/free-port" "$TMP/.ports"
}

wait_port() {
	local port=$1 secs=${2:-20} i
	for ((i = 0; i < secs * 10; i++)); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			return 0
		fi
		sleep 0.1
	done
	fail "nothing listens on port $port after ${secs}s"
}

# The PostgreSQL URL of the server on DATA under SLUICE_TEST_DATABASE: a
# schema of its own (created on first use) as the search path.
database_url() {
	local data=$1 schema sep='?'
	schema="e2e_$(printf '%s' "$data" | md5sum | cut -c1-16)"
	PGOPTIONS='-c client_min_messages=warning' psql -qAt "$SLUICE_TEST_DATABASE" \
		-c "CREATE SCHEMA IF NOT EXISTS $schema" >/dev/null ||
		fail "cannot create schema $schema in SLUICE_TEST_DATABASE"
	case "$SLUICE_TEST_DATABASE" in *\?*) sep='&' ;; esac
	echo "$SLUICE_TEST_DATABASE${sep}options=-csearch_path%3D$schema"
}

# The [database] lines for DATA: none (SQLite in DATA) unless
# SLUICE_TEST_DATABASE names a PostgreSQL database.
database_ini() {
	[ -n "${SLUICE_TEST_DATABASE:-}" ] || return 0
	echo "[database]"
	echo "url = $(database_url "$1")"
}

# server_sql DATA SQL: run SQL on the database of the server on DATA
# (sqlite3 on DATA/sluice.db, or psql under SLUICE_TEST_DATABASE); rows
# are printed '|'-separated, as both tools do.
server_sql() {
	if [ -n "${SLUICE_TEST_DATABASE:-}" ]; then
		psql -qAt -v ON_ERROR_STOP=1 "$(database_url "$1")" -c "$2"
	else
		sqlite3 "$1/sluice.db" "$2"
	fi
}

# server_db_dump DATA: every byte the server's database stores (to grep
# for secrets): the SQLite files, or a pg_dump of the schema.
server_db_dump() {
	if [ -n "${SLUICE_TEST_DATABASE:-}" ]; then
		pg_dump "$(database_url "$1")" -n "e2e_$(printf '%s' "$1" | md5sum | cut -c1-16)"
	else
		cat "$1"/sluice.db*
	fi
}

start_server() {
	local data=$1 extra=${2:-} i
	mkdir -p "$data"
	SERVER_PORT=$(free_port)
	SERVER_URL="http://127.0.0.1:$SERVER_PORT"
	SERVER_LOG="$data/sluiced.log"
	{
		echo "[server]"
		echo "listen = 127.0.0.1:$SERVER_PORT"
		echo "data = $data"
		echo "threads = 4"
		echo "console_dir = $SOURCE_ROOT/web"
		# the tests run as root; privdrop.sh covers dropping it
		echo "user = root"
		# the system-call filter is on in the tests: a call it does not
		# allow stops sluiced (and the test) with a line naming it
		echo "seccomp = ${E2E_SECCOMP:-on}"
		database_ini "$data"
		printf '%s\n' "$extra"
	} >"$data/sluiced.ini"
	: >>"$SERVER_LOG" # exists before the child opens it
	"$SLUICED" --config "$data/sluiced.ini" >>"$SERVER_LOG" 2>&1 &
	SERVER_PID=$!
	for ((i = 0; i < 200; i++)); do
		if grep -q "listening on 127.0.0.1:$SERVER_PORT" "$SERVER_LOG"; then
			break
		fi
		kill -0 "$SERVER_PID" 2>/dev/null || fail "sluiced exited at start"
		sleep 0.1
	done
	wait_port "$SERVER_PORT"
	ADMIN_TOKEN=$(cat "$data/admin.token")
	export SLUICE_SERVER=$SERVER_URL SLUICE_TOKEN=$ADMIN_TOKEN
	if [ "${E2E_REGISTRATION:-open}" = open ] &&
		! grep -q '^plain = content' "$data/sluiced.ini"; then
		api PUT /v1/admin/settings '{"registration":"open"}'
		[ "$HTTP_STATUS" = 200 ] || fail "registration open: $HTTP_STATUS $BODY"
	fi
}

server_alive() {
	kill -0 "$SERVER_PID" 2>/dev/null || fail "sluiced is not running"
}

stop_server() {
	local rc=0
	kill -TERM "$SERVER_PID" || fail "sluiced already gone"
	wait "$SERVER_PID" || rc=$?
	SERVER_PID=
	[ "$rc" -eq 0 ] || fail "sluiced exited with status $rc after SIGTERM"
}

api() {
	local method=$1 path=$2 body=${3:-} out
	out="$TMP/api.out.$$"
	if [ -n "$body" ]; then
		HTTP_STATUS=$(curl -sS -o "$out" -w '%{http_code}' -X "$method" \
			-H "Authorization: Bearer $ADMIN_TOKEN" \
			-H 'Content-Type: application/json' \
			--data-binary "$body" "$SERVER_URL$path")
	else
		HTTP_STATUS=$(curl -sS -o "$out" -w '%{http_code}' -X "$method" \
			-H "Authorization: Bearer $ADMIN_TOKEN" "$SERVER_URL$path")
	fi
	BODY=$(cat "$out")
}
