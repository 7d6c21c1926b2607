# Shared helpers of the benchmark scenarios (source it; bash).
#
# Environment (exported by bench/run.sh):
#   BUILD_DIR   build to measure (release for `make bench`)
#   BENCH_DIR   this directory
#   WORK        scratch directory of the whole run
#   RESULTS     TSV file the scenarios append their rows to
#   SMOKE       1 = tiny sizes (make test), 0 = full sizes
#
#   die MSG            record MSG as the reason this scenario stopped, exit 1
#   row SCEN METRIC SLUICE REF GOAL [ROUNDS]
#                      append a result row. SLUICE/REF are numbers or text
#                      ("-" when there is none; medians when there are
#                      rounds); GOAL is "ratio>=X", "ratio<=X", "sluice>=X",
#                      "sluice<X", a verdict text or "-"; ROUNDS is the
#                      spread over rounds (min–max of each figure)
#   start_sluiced DATA [INI]  start sluiced (extra INI text appended):
#                      sets SL_PID SL_PORT SL_URL SL_TOKEN SL_LOG
#   stop_sluiced       SIGTERM and wait
#   admin METHOD PATH [BODY]  admin API call: HTTP status in A_STATUS,
#                      body in A_BODY
#   sync_and_wait      POST /v1/admin/sync, wait for the run to finish:
#                      SYNC_WALL (seconds, float), fails unless success
#   wait_idle PID [MAX]  wait until PID uses no CPU (backlog drained)
#   proc_cpu PID       CPU seconds (user+system) of PID so far
#   proc_hwm PID       peak resident set (KB); proc_hwm_reset PID
#   run_wrk ARGS...    wrk with the summary script; sets W_REQS W_BYTES W_RPS
#                      W_OK_RPS (answers < 400 only) W_MBPS W_P50_MS
#                      W_P99_MS W_ERRS W_STATUS_ERRS W_ERR_TEXT
#   have CMD           true when CMD is installed
#   STATE_COUNTS_SQL   SQL (both engines) computing every state counter,
#                      the groups' members and the computers' state masks
#                      afresh, after a bulk load made with the counters'
#                      triggers off
#   serve_origin DIR N  sluiced serving N generated updates, all approved
set -euo pipefail

: "${BUILD_DIR:?}" "${BENCH_DIR:?}" "${WORK:?}" "${RESULTS:?}"
SMOKE=${SMOKE:-0}
SLUICED=$BUILD_DIR/src/server/sluiced
SLUICE=$BUILD_DIR/src/cli/sluice
AGENT=$BUILD_DIR/src/agent/sluice-agent
GEN=$BUILD_DIR/bench/gen_catalog
CLIENT=$BUILD_DIR/bench/bench_client
SCEN=${SCEN:-bench}
SL_PID=
_CHILDREN=()

log() { echo "bench[$SCEN]: $*" >&2; }

die() {
	log "FAILED: $*"
	echo "$*" >"$WORK/$SCEN.reason"
	exit 1
}

have() { command -v "$1" >/dev/null 2>&1; }

_bench_cleanup() {
	local p
	if [ -n "${SL_PID:-}" ] && kill -0 "$SL_PID" 2>/dev/null; then
		kill -TERM "$SL_PID" 2>/dev/null || true
		wait "$SL_PID" 2>/dev/null || true
	fi
	for p in "${_CHILDREN[@]}"; do
		if kill -0 "$p" 2>/dev/null; then
			kill -TERM "$p" 2>/dev/null || true
			wait "$p" 2>/dev/null || true
		fi
	done
}
trap _bench_cleanup EXIT
# Any failing command ends the scenario with that command as the reason.
trap 'echo "command failed (line $LINENO): $BASH_COMMAND" >"$WORK/$SCEN.reason"' ERR

# Remember a background child so the scenario stops it on exit.
track_child() { _CHILDREN+=("$1"); }

free_port() {
	"$BENCH_DIR/../scripts/free-port" "$WORK/$SCEN.ports"
}

wait_port() {
	local port=$1 secs=${2:-20} i
	for ((i = 0; i < secs * 10; i++)); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			return 0
		fi
		sleep 0.1
	done
	die "nothing listens on port $port after ${secs}s"
}

# Arithmetic on decimals: calc 'EXPR' (awk syntax, variables as text).
calc() { awk "BEGIN { printf \"%.6g\", ($1) }"; }

start_sluiced() {
	local data=$1 extra=${2:-} i
	mkdir -p "$data"
	SL_PORT=${3:-$(free_port)}
	SL_URL="http://127.0.0.1:$SL_PORT"
	SL_LOG="$data/sluiced.log"
	{
		echo "[server]"
		echo "listen = 127.0.0.1:$SL_PORT"
		echo "data = $data"
		echo "user = root" # benchmarks run as root, like make test
		# BENCH_THREADS: every server's worker threads, unless the
		# scenario sets its own (A/B runs of the default)
		case $extra in
		*"threads ="*) ;;
		*) [ -z "${BENCH_THREADS:-}" ] || echo "threads = $BENCH_THREADS" ;;
		esac
		printf '%s\n' "$extra"
		# every load generator connects from 127.0.0.1: no per-address
		# limit (the default 64 would refuse the 512-connection rounds)
		echo "[limits]"
		echo "per_address = 0"
	} >"$data/sluiced.ini"
	: >>"$SL_LOG"
	"$SLUICED" --config "$data/sluiced.ini" >>"$SL_LOG" 2>&1 &
	SL_PID=$!
	for ((i = 0; i < 300; i++)); do
		grep -q "listening on 127.0.0.1:$SL_PORT" "$SL_LOG" && break
		kill -0 "$SL_PID" 2>/dev/null ||
			die "sluiced exited at start: $(tail -n 3 "$SL_LOG")"
		sleep 0.1
	done
	wait_port "$SL_PORT"
	SL_TOKEN=$(cat "$data/admin.token")
	# benchmarks register computers without enrollment keys
	curl -sS -f -o /dev/null -X PUT -H "Authorization: Bearer $SL_TOKEN" \
		--data '{"registration":"open"}' "$SL_URL/v1/admin/settings" ||
		die "cannot open registration"
}

stop_sluiced() {
	local rc=0
	[ -n "${SL_PID:-}" ] || return 0
	kill -TERM "$SL_PID" 2>/dev/null || true
	wait "$SL_PID" || rc=$?
	SL_PID=
	[ "$rc" -eq 0 ] || die "sluiced exited with status $rc after SIGTERM"
}

admin() {
	local method=$1 path=$2 body=${3:-} out="$WORK/$SCEN.admin.out"
	local args=(-sS -o "$out" -w '%{http_code}' -X "$method"
		-H "Authorization: Bearer $SL_TOKEN")
	[ -n "$body" ] && args+=(-H 'Content-Type: application/json'
		--data-binary "$body")
	A_STATUS=$(curl "${args[@]}" "$SL_URL$path") || A_STATUS=000
	A_BODY=$(cat "$out")
}

now_s() { date +%s.%N; }

sync_and_wait() {
	local t0 last res i
	admin GET /v1/admin/sync/history
	[ "$A_STATUS" = 200 ] || die "GET /v1/admin/sync/history: HTTP $A_STATUS"
	last=$(jq '[.history[].id] | max // 0' <<<"$A_BODY")
	t0=$(now_s)
	admin POST /v1/admin/sync
	[ "$A_STATUS" = 202 ] || die "POST /v1/admin/sync: HTTP $A_STATUS $A_BODY"
	# The run is in the background: wait for a newer history row to end.
	for ((i = 0; i < 36000; i++)); do
		admin GET /v1/admin/sync/history
		res=$(jq -r --argjson last "$last" \
			'[.history[] | select(.id > $last)] | max_by(.id) | .result // "none"' \
			<<<"$A_BODY")
		if [ "$res" = success ]; then
			SYNC_WALL=$(calc "$(now_s) - $t0")
			return 0
		fi
		[ "$res" = failure ] && die "sync failed: $(jq -c \
			'.history | max_by(.id) | .error' <<<"$A_BODY")"
		sleep 0.05
	done
	die "sync did not finish"
}

# Wait until PID has used no CPU for a second (a server still answering
# requests a finished wrk left queued), at most MAX seconds.
wait_idle() { idle_within "${2:-120}" "$1"; }
# The same for several processes at once: until each of them used no CPU
# for a second, at most 120 seconds. Each on its own: an idle server's
# timers (the token cache's poll, a few ms a second) add up over the eight
# front-ends, HAProxy and PostgreSQL of scenario 10, and a sum held under
# one server's threshold waited out its 120 s at every slice.
wait_idle_all() { idle_within 120 "$@"; }
idle_within() { # MAX PID...
	local max=$1 a b i
	shift
	a=$(procs_cpu "$@")
	for ((i = 0; i < max; i++)); do
		sleep 1
		b=$(procs_cpu "$@")
		awk -v a="$a" -v b="$b" 'BEGIN { n = split(a, x); split(b, y)
			for (i = 1; i <= n; i++) if (y[i] - x[i] >= 0.03) exit 1 }' &&
			return 0
		a=$b
	done
	log "still busy after ${max}s"
}
# The CPU seconds of each PID so far, in order, on one line.
procs_cpu() {
	local p
	for p in "$@"; do printf '%s ' "$(proc_cpu "$p")"; done
}

proc_cpu() {
	local f tck
	tck=$(getconf CLK_TCK)
	# fields after the ")" of comm: utime is the 12th, stime the 13th
	f=$(sed 's/.*) //' "/proc/$1/stat")
	awk -v t="$tck" '{ printf "%.2f", ($12 + $13) / t }' <<<"$f"
}

proc_hwm() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"; }
proc_hwm_reset() { echo 5 >"/proc/$1/clear_refs"; }

# wrk prints its summary through wrk_done.lua as one "BENCH k=v ..." line.
run_wrk() {
	local out="$WORK/$SCEN.wrk.out" line dur bytes a prev= label=
	for a in "$@"; do
		[ "$prev" = -c ] && label="-c $a"
		case $a in http://*/*) label="$label /${a#http://*/}" ;; esac
		prev=$a
	done
	# WRK_CPUS: run wrk on these CPUs only (taskset's list).
	BENCH_DIR=$BENCH_DIR ${WRK_CPUS:+taskset -c "$WRK_CPUS"} wrk "$@" >"$out" 2>&1 ||
		die "wrk $*: $(tail -n 3 "$out")"
	line=$(grep '^BENCH ' "$out" | tail -n 1) ||
		die "wrk printed no summary: $(tail -n 3 "$out")"
	eval "${line#BENCH }"
	dur=$duration_us
	bytes=$bytes_read
	W_REQS=$requests
	W_BYTES=$bytes
	W_RPS=$(calc "$requests / ($dur / 1e6)")
	# wrk counts answers >= 400 as requests too: the rate of good ones.
	W_OK_RPS=$(calc "($requests - $err_status) / ($dur / 1e6)")
	W_STATUS_ERRS=$err_status
	W_MBPS=$(calc "$bytes / 1048576 / ($dur / 1e6)")
	W_P50_MS=$(calc "$p50_us / 1000")
	W_P99_MS=$(calc "$p99_us / 1000")
	W_ERRS=$((err_connect + err_read + err_write + err_status + err_timeout))
	W_ERR_TEXT="connect $err_connect, read $err_read, write $err_write, status $err_status, timeout $err_timeout"
	log "wrk $label ${W_LABEL:-}: $W_REQS requests, $W_RPS req/s, $W_MBPS MB/s, p50 $W_P50_MS ms, p99 $W_P99_MS ms, errors: $W_ERR_TEXT"
}

row() {
	printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" \
		"${6:--}" >>"$RESULTS"
}

# A generated catalog origin: gen_origin DIR UPDATES [REVISED [VERSION]];
# prints the trusted key path.
gen_origin() {
	local dir=$1 n=$2 rev=${3:-0} ver=${4:-0} key
	key=$("$GEN" --dir "$dir" --updates "$n" --revised "$rev" \
		--version "$ver") || die "gen_catalog failed"
	echo "$dir/public/$key"
}

# A server of a generated origin: serve_origin DIR UPDATES generates the
# origin in DIR/origin, starts sluiced on DIR/data (storage mode none, no
# scheduled sync), syncs it and approves every update for "All Computers".
# Sets KEY (the trusted key path) besides start_sluiced's variables.
serve_origin() {
	local dir=$1 n=$2
	KEY=$(gen_origin "$dir/origin" "$n")
	start_sluiced "$dir/data" "[upstream]
url = file://$dir/origin/public
trusted_keys = $KEY
syncs_per_day = 0
[storage]
mode = none"
	sync_and_wait
	"$CLIENT" approve "$SL_URL" "$SL_TOKEN" "$n" 4 "All Computers" >/dev/null ||
		die "approving the updates failed"
}

# min median max of numbers: stats X... prints "MIN MED MAX" (the median of
# an even count is the mean of the middle two).
stats() {
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 }
	END {
		if (NR == 0) { print "- - -"; exit }
		m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "%.6g %.6g %.6g\n", v[1], m, v[NR]
	}'
}

# "min–max" of a stats line, for the spread column.
spread() {
	awk 'function f(x) { return (x >= 100) ? sprintf("%.0f", x) : sprintf("%.3g", x) }
	{ printf "%s–%s", f($1), f($3) }' <<<"$1"
}

# The verdict of a ratio goal over rounds: ratio_goal MEDIAN MIN GOAL_MED
# GOAL_MIN prints "median >= G, every round >= M: yes|**NO**".
ratio_goal() {
	local ok
	ok=$(calc "($1 >= $3) && ($2 >= $4)")
	printf 'median ratio >= %s, no round < %s: %s' "$3" "$4" \
		"$([ "$ok" = 1 ] && echo yes || echo '**NO**')"
}

# An nginx of its own minimal configuration as a foreground child:
# start_nginx DIR ROOT [SERVER_EXTRA]; sets NG_PORT NG_URL. SERVER_EXTRA is
# text for its server block (e.g. a location with a fixed answer).
start_nginx() {
	local d=$1 root=$2 extra=${3:-}
	mkdir -p "$d/tmp"
	NG_PORT=$(free_port)
	cat >"$d/nginx.conf" <<NGX
worker_processes auto;
daemon off;
user root;
pid $d/nginx.pid;
error_log $d/error.log warn;
events { worker_connections 4096; }
http {
	access_log off;
	sendfile on;
	tcp_nopush on;
	keepalive_requests 1000000;
	default_type application/octet-stream;
	client_body_temp_path $d/tmp/body;
	proxy_temp_path $d/tmp/proxy;
	fastcgi_temp_path $d/tmp/fastcgi;
	uwsgi_temp_path $d/tmp/uwsgi;
	scgi_temp_path $d/tmp/scgi;
	server {
		listen 127.0.0.1:$NG_PORT;
		root $root;
		$extra
	}
}
NGX
	nginx -p "$d" -c "$d/nginx.conf" -e "$d/error.log" \
		>>"$d/out.log" 2>&1 &
	track_child $!
	wait_port "$NG_PORT"
	NG_URL="http://127.0.0.1:$NG_PORT"
}

STATE_COUNTS_SQL="UPDATE groups SET members = (SELECT count(*) FROM computers c
  WHERE c.group_id = groups.id);
DELETE FROM state_counts; DELETE FROM group_counts; DELETE FROM computer_counts;
INSERT INTO state_counts(ukey, rev, st, n)
  SELECT ukey, v / 16, v % 8, count(*) FROM states GROUP BY 1, 2, 3;
INSERT INTO group_counts(ukey, gid, st, n) SELECT s.ukey, c.group_id,
  s.v % 8, count(*) FROM states s JOIN computers c ON c.ckey = s.ckey
  GROUP BY 1, 2, 3;
INSERT INTO computer_counts(ckey, st, n)
  SELECT ckey, v % 8, count(*) FROM states GROUP BY 1, 2;
UPDATE computers SET state_mask = (SELECT coalesce(sum(1 << k.st), 0)
  FROM computer_counts k WHERE k.ckey = computers.ckey AND k.n > 0);"
