#!/usr/bin/env bash
# Scenario 7, engines: the scenario-2 fleet (UPDATES updates approved for
# COMPUTERS computers) served from SQLite, then copied with
# `sluiced --migrate-to` into a throw-away PostgreSQL cluster
# (tests/pg/pg_cluster.sh, fsync off as for the tests) and served by one
# front-end (direct, and behind HAProxy: the deployment shape of a
# load-balanced single front-end), then by two front-ends behind HAProxy
# (each request to the next front-end; each agent always to the same one;
# and with HAProxy passing connections through in TCP mode), and by two
# front-ends sharing one port with no balancer (server.reuse_port: the
# kernel spreads the connections).
# For each: no-change agent syncs/s (ROUNDS rounds, the PostgreSQL shapes
# interleaved within each round) and report events/s stored (ROUNDS
# rounds of shorter slices, SQLite and four PostgreSQL shapes
# interleaved within each round), in the same run. Ratio = PostgreSQL /
# SQLite, two front-ends / one behind the same HAProxy, and two sharing a
# port / one direct (per round).
# Everything shares the machine's cores: the load generator, HAProxy,
# PostgreSQL and the front-ends.
#   S7_SYNC=0   skip the sync rounds (the report rounds alone, e.g. for
#               before/after pairs of two builds)
#   S7_RDUR     one report slice (default 4s; 1s with --smoke)
#   S7_STATES=1 the reports carry the state of each update they have an
#               event for (default: events only)
SCEN=s7
. "$(dirname "$0")/lib.sh"

if [ "$SMOKE" = 1 ]; then
	BATCH=10 SC=4 RC=4 DUR=1s RDUR=1s ROUNDS=1
else
	BATCH=500 SC=64 RC=16 DUR=10s RDUR=4s ROUNDS=3
fi
RDUR=${S7_RDUR:-$RDUR}
S7_SYNC=${S7_SYNC:-1}
[ "${S7_STATES:-0}" = 1 ] || S7_STATES=
have wrk || die "wrk is not installed (scripts/deps.sh wrk)"
have haproxy || die "haproxy is not installed (scripts/deps.sh haproxy)"
have psql || die "psql is not installed (scripts/deps.sh postgresql)"
F=$WORK/fleet
[ -s "$F/anchor" ] || die "needs the server data of scenario 2, which did not run"
ANCHOR=$(cat "$F/anchor")
UPDATES=$(jq '.updates | length' "$F/full.json")
# Its own directory: the cluster runs as an unprivileged user, who cannot
# enter $WORK.
PG=$(mktemp -d "${TMPDIR:-/tmp}/sluice-bench-pg.XXXXXX")
PGC=$SOURCE_ROOT/tests/pg/pg_cluster.sh
LB_PIDS=()
s7_cleanup() {
	local p
	for p in "${LB_PIDS[@]}"; do kill "$p" 2>/dev/null; done
	"$PGC" stop "$PG" >/dev/null 2>&1 || rm -rf "$PG"
	return 0
}
trap 's7_cleanup; _bench_cleanup' EXIT
URL=$("$PGC" start "$PG") || die "PostgreSQL did not start"

# server_cpu: CPU seconds so far of everything serving the load but wrk,
# as "FRONT-ENDS HAPROXY POSTGRESQL": the front-ends (the pids in
# SRV_PIDS), HAProxy (LB_PIDS) and PostgreSQL (its postmaster, its live
# children, and through the postmaster's own counters the children it
# has reaped).
server_cpu() {
	local pm p
	pm=$(head -n 1 "$PG/data/postmaster.pid" 2>/dev/null) || pm=
	{
		for p in "${SRV_PIDS[@]}"; do echo "fe /proc/$p/stat"; done
		for p in "${LB_PIDS[@]}"; do echo "lb /proc/$p/stat"; done
		for p in $pm $([ -z "$pm" ] || pgrep -P "$pm"); do
			echo "pg /proc/$p/stat"
		done
	} | while read -r who f; do
		# fields after the ")" of comm: utime, stime, cutime, cstime
		# are the 12th to 15th
		[ -r "$f" ] && echo "$who $(sed 's/.*) //' "$f" 2>/dev/null)"
	done | awk -v t="$(getconf CLK_TCK)" '
		{ s[$1] += $13 + $14 + $15 + $16 }
		END { printf "%.2f %.2f %.2f", s["fe"] / t, s["lb"] / t, s["pg"] / t }'
}
SRV_PIDS=()
declare -A CPU_S CPU_PART SYNCS EVENTS

# cpu_add KEY "BEFORE" "AFTER": adds the server CPU between two
# server_cpu readings to CPU_PART[KEY] (by process) and CPU_S[KEY] (all)
cpu_add() {
	local fe lb pg
	CPU_PART[$1]=$(awk -v a="${CPU_PART[$1]:-0 0 0}" \
		-v b="$2" -v c="$3" 'BEGIN {
			split(a, x); split(b, y); split(c, z)
			printf "%.2f %.2f %.2f", x[1] + z[1] - y[1],
				x[2] + z[2] - y[2], x[3] + z[3] - y[3] }')
	read -r fe lb pg <<<"${CPU_PART[$1]}"
	CPU_S[$1]=$(calc "$fe + $lb + $pg")
}

# cpu_text KEY LABEL COUNT NOUN: "LABEL: COUNT NOUN, S s (front-ends F,
# HAProxy H, PostgreSQL P)", the CPU seconds of KEY in all and by process
cpu_text() {
	local fe lb pg
	read -r fe lb pg <<<"${CPU_PART[$1]}"
	echo "$2: $3 $4, ${CPU_S[$1]} s (front-ends $fe, HAProxy $lb, PostgreSQL $pg)"
}

# sync_round LABEL URL PID...: one round of no-change syncs; sets SYNC_RPS
# and adds the round's server CPU and syncs to CPU_S[LABEL] SYNCS[LABEL]
sync_round() {
	local label=$1 url=$2 c0 c1
	shift 2
	wait_idle_all "$@"
	c0=($(server_cpu))
	W_LABEL="($label sync)" run_wrk -t 2 -c "$SC" -d "$DUR" --timeout 60s \
		--latency -s "$BENCH_DIR/wrk_sync.lua" "$url" -- \
		"$F/tokens" "$ANCHOR" 2
	[ $((W_ERRS - W_STATUS_ERRS)) -eq 0 ] && [ "$W_STATUS_ERRS" -eq 0 ] ||
		die "$label sync: errors: $W_ERR_TEXT"
	SYNC_RPS=$W_OK_RPS
	c1=($(server_cpu))
	cpu_add "$label" "${c0[*]}" "${c1[*]}"
	SYNCS[$label]=$((${SYNCS[$label]:-0} + W_REQS - W_STATUS_ERRS))
}
# cpu_per_sync LABEL: server CPU microseconds per no-change sync over
# LABEL's rounds
cpu_per_sync() { calc "${CPU_S[$1]} * 1e6 / ${SYNCS[$1]}"; }

# report LABEL URL COUNT-CMD PID...: sets EVENTS_RPS; adds the slice's
# server CPU and events stored to CPU_S["report LABEL"] and EVENTS[LABEL]
run=0
report() {
	local label=$1 url=$2 count=$3 before after c0 c1
	shift 3
	run=$((run + 1))
	wait_idle_all "$@"
	pg_settled
	c0=($(server_cpu))
	before=$($count)
	W_LABEL="($label report)" run_wrk -t 2 -c "$RC" -d "$RDUR" --timeout 60s \
		--latency -s "$BENCH_DIR/wrk_report.lua" "$url" -- "$F/tokens" \
		"$BATCH" 2 "$UPDATES" "7$run" ${S7_STATES:+states}
	[ $((W_ERRS - W_STATUS_ERRS)) -eq 0 ] && [ "$W_STATUS_ERRS" -eq 0 ] ||
		die "$label report: errors: $W_ERR_TEXT"
	after=$($count)
	c1=($(server_cpu))
	cpu_add "report $label" "${c0[*]}" "${c1[*]}"
	EVENTS[$label]=$((${EVENTS[$label]:-0} + after - before))
	EVENTS_RPS=$(calc "($after - $before) / ($duration_us / 1e6)")
	log "$label: $EVENTS_RPS events/s"
}

# lb MODE PORT SERVER-PORT...: HAProxy on PORT in MODE over the servers:
# http (every request parsed and sent to the next server, round robin),
# agent (every request parsed and sent to the server its Authorization
# header hashes to, so each agent always reaches the same front-end) or
# tcp (each connection handed to the next server, its bytes passed
# through); adds its pid to LB_PIDS (one more process to stop)
LB_PIDS=()
lb() {
	local mode=$1 port=$2 p i=0 balance=roundrobin
	shift 2
	if [ "$mode" = agent ]; then
		mode=http balance="hdr(Authorization)"
	fi
	{
		cat <<EOD
global
  maxconn 2048
defaults
  mode $mode
  timeout connect 2s
  timeout client 60s
  timeout server 60s
frontend fe
  bind 127.0.0.1:$port
  default_backend sluiced
backend sluiced
  balance $balance
EOD
		for p in "$@"; do
			i=$((i + 1))
			echo "  server s$i 127.0.0.1:$p"
		done
	} >"$WORK/s7-haproxy-$port.cfg"
	haproxy -f "$WORK/s7-haproxy-$port.cfg" -db \
		>"$WORK/s7-haproxy-$port.log" 2>&1 &
	LB_PIDS+=($!)
	wait_port "$port"
}

# Before a report slice: PostgreSQL's own work after the slice before
# done (its autovacuum workers, at most 30 s; then a checkpoint), so that
# no slice pays for the one before it: the report slices write a few
# hundred megabytes of WAL and dead page versions, and a checkpoint or a
# vacuum of the events table otherwise lands on whichever slice comes
# next.
pg_settled() {
	local i n
	[ -n "${URL:-}" ] || return 0
	for ((i = 0; i < 150; i++)); do
		n=$(psql -qAt "$URL" -c "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'")
		[ "$n" = 0 ] && break
		sleep 0.2
	done
	[ "$n" = 0 ] || log "autovacuum still running after 30 s"
	psql -qAt "$URL" -c CHECKPOINT >/dev/null || die "checkpoint failed"
}

# --- SQLite ------------------------------------------------------------------
start_sluiced "$F/data" "[upstream]
syncs_per_day = 0"
sq_count() { sqlite3 "$F/data/sluice.db" 'SELECT count(*) FROM events'; }
sq_r=()
SRV_PIDS=("$SL_PID")
for ((r = 0; r < ROUNDS && S7_SYNC; r++)); do
	sync_round sqlite "$SL_URL" "$SL_PID"
	sq_r+=("$SYNC_RPS")
done
stop_sluiced

# --- the same data on PostgreSQL ---------------------------------------------
t0=$(now_s)
"$SLUICED" --config "$F/data/sluiced.ini" --migrate-to "$URL" \
	>"$WORK/s7.migrate" 2>&1 || die "migrate: $(tail -n 2 "$WORK/s7.migrate")"
mig_s=$(calc "$(now_s) - $t0")
mig_rows=$(awk '$3=="rows"{n+=$2} END{print n+0}' "$WORK/s7.migrate")
row "10 engines" "sluiced --migrate-to: s to copy the fleet ($(awk '$1=="events"{print $2}' "$WORK/s7.migrate") events)" \
	"$mig_s" - - "$mig_rows rows in all, $(calc "$mig_rows / $mig_s") rows/s"
pg_count() { psql -qAt "$URL" -c 'SELECT count(*) FROM events'; }
fe() { # DIR [SERVER-LINES [PORT]]: a front-end on PostgreSQL (the fleet's tokens work as-is)
	mkdir -p "$1"
	cp "$F/data/admin.token" "$1/" # migrated with the rest
	start_sluiced "$1" "${2:-}
[upstream]
syncs_per_day = 0
[storage]
mode = none
[database]
url = $URL" "${3:-}"
}
fe "$WORK/s7-a"
A_PID=$SL_PID A_PORT=$SL_PORT
fe "$WORK/s7-b"
B_PID=$SL_PID B_PORT=$SL_PORT
track_child "$A_PID"
# Two more front-ends of half the default worker threads each (the
# default: one per core, at least 2): the cores split between two
# processes, with as many threads in all as one front-end has.
T=$(nproc)
((T >= 2)) || T=2
H=$((T / 2))
fe "$WORK/s7-c" "threads = $H"
C_PID=$SL_PID C_PORT=$SL_PORT
fe "$WORK/s7-d" "threads = $H"
D_PID=$SL_PID D_PORT=$SL_PORT
# Two front-ends sharing one port (server.reuse_port): the kernel spreads
# the connections over both, no balancer process in between; with the
# default threads, and with half as many.
fe "$WORK/s7-e" "reuse_port = on"
E_PID=$SL_PID E_PORT=$SL_PORT
fe "$WORK/s7-f" "reuse_port = on" "$E_PORT"
F_PID=$SL_PID
fe "$WORK/s7-g" "reuse_port = on
threads = $H"
G_PID=$SL_PID G_PORT=$SL_PORT
fe "$WORK/s7-h" "reuse_port = on
threads = $H" "$G_PORT"
I_PID=$SL_PID
track_child "$B_PID"
track_child "$C_PID"
track_child "$E_PID"
track_child "$F_PID"
track_child "$G_PID"
LB1=$(free_port)
lb http "$LB1" "$A_PORT"
LB2=$(free_port)
lb http "$LB2" "$A_PORT" "$B_PORT"
# Each agent to one front-end, as a deployment would pin them: then each
# front-end keeps and writes the last contact of half the agents, where
# round robin has both write every agent's (in this benchmark each agent
# syncs several times a second, so within every flush interval).
LB3=$(free_port)
lb agent "$LB3" "$A_PORT" "$B_PORT"
# The same two shapes with HAProxy passing connections through (TCP
# mode): it no longer parses each request, so what is compared is the
# front-ends rather than the balancer's HTTP work.
LB4=$(free_port)
lb tcp "$LB4" "$A_PORT"
LB5=$(free_port)
lb tcp "$LB5" "$A_PORT" "$B_PORT"
LB6=$(free_port)
lb agent "$LB6" "$C_PORT" "$D_PORT"
LB7=$(free_port)
lb tcp "$LB7" "$C_PORT" "$D_PORT"
ALL=("$A_PID" "$B_PID" "$C_PID" "$D_PID" "$E_PID" "$F_PID" "$G_PID" "$I_PID")
SRV_PIDS=("${ALL[@]}")
# Each round measures the shapes one after the other, so that the
# machine's load (shared) weighs on all alike.
p1_r=() l1_r=() p2_r=() q1_r=() q2_r=() t2_r=() q3_r=()
k1_r=() k2_r=() q4_r=() h2_r=() q5_r=() c2_r=() q6_r=() s2_r=() q7_r=()
s3_r=() q8_r=()
for ((r = 0; r < ROUNDS && S7_SYNC; r++)); do
	sync_round "postgresql 1 front-end" "http://127.0.0.1:$A_PORT" "${ALL[@]}"
	p1_r+=("$SYNC_RPS")
	sync_round "postgresql 2 front-ends sharing a port" \
		"http://127.0.0.1:$E_PORT" "${ALL[@]}"
	s2_r+=("$SYNC_RPS")
	q7_r+=("$(calc "${s2_r[r]} / ${p1_r[r]}")")
	sync_round "postgresql 2 front-ends of $H threads sharing a port" \
		"http://127.0.0.1:$G_PORT" "${ALL[@]}"
	s3_r+=("$SYNC_RPS")
	q8_r+=("$(calc "${s3_r[r]} / ${p1_r[r]}")")
	sync_round "postgresql 1 front-end behind HAProxy" "http://127.0.0.1:$LB1" \
		"${ALL[@]}"
	l1_r+=("$SYNC_RPS")
	sync_round "postgresql 2 front-ends" "http://127.0.0.1:$LB2" "${ALL[@]}"
	p2_r+=("$SYNC_RPS")
	sync_round "postgresql 2 front-ends, each agent to one" \
		"http://127.0.0.1:$LB3" "${ALL[@]}"
	t2_r+=("$SYNC_RPS")
	sync_round "postgresql 1 front-end behind HAProxy (TCP)" \
		"http://127.0.0.1:$LB4" "${ALL[@]}"
	k1_r+=("$SYNC_RPS")
	sync_round "postgresql 2 front-ends behind HAProxy (TCP)" \
		"http://127.0.0.1:$LB5" "${ALL[@]}"
	k2_r+=("$SYNC_RPS")
	sync_round "postgresql 2 front-ends of $H threads, each agent to one" \
		"http://127.0.0.1:$LB6" "${ALL[@]}"
	h2_r+=("$SYNC_RPS")
	sync_round "postgresql 2 front-ends of $H threads behind HAProxy (TCP)" \
		"http://127.0.0.1:$LB7" "${ALL[@]}"
	c2_r+=("$SYNC_RPS")
	q5_r+=("$(calc "${h2_r[r]} / ${l1_r[r]}")")
	q6_r+=("$(calc "${c2_r[r]} / ${k1_r[r]}")")
	q4_r+=("$(calc "${k2_r[r]} / ${k1_r[r]}")")
	q3_r+=("$(calc "${t2_r[r]} / ${l1_r[r]}")")
	q1_r+=("$(calc "${p2_r[r]} / ${p1_r[r]}")")
	q2_r+=("$(calc "${p2_r[r]} / ${l1_r[r]}")")
done
# Reports: SQLite (its server again, beside the idle front-ends) and
# four PostgreSQL shapes one after the other in each round, so that
# the machine's load weighs on all alike, in turn (below).
start_sluiced "$F/data" "[upstream]
syncs_per_day = 0"
S_PID=$SL_PID S_URL=$SL_URL
track_child "$D_PID"
track_child "$I_PID"
ALL+=("$S_PID")
SRV_PIDS=("${ALL[@]}")
sqe_r=() p1e_r=() l1e_r=() p2e_r=() qe_r=() s2e_r=() q2e_r=()
# report_shape K: one slice of shape K (0 SQLite, 1 PostgreSQL direct,
# 2 one front-end behind HAProxy, 3 two behind HAProxy, 4 two sharing a
# port), its rate into that shape's rounds.
report_shape() {
	case $1 in
	0)
		report sqlite "$S_URL" sq_count "${ALL[@]}"
		sqe_r+=("$EVENTS_RPS")
		;;
	1)
		report "postgresql 1 front-end" "http://127.0.0.1:$A_PORT" \
			pg_count "${ALL[@]}"
		p1e_r+=("$EVENTS_RPS")
		;;
	2)
		report "postgresql 1 front-end behind HAProxy" \
			"http://127.0.0.1:$LB1" pg_count "${ALL[@]}"
		l1e_r+=("$EVENTS_RPS")
		;;
	3)
		report "postgresql 2 front-ends" "http://127.0.0.1:$LB2" \
			pg_count "${ALL[@]}"
		p2e_r+=("$EVENTS_RPS")
		;;
	4)
		report "postgresql 2 front-ends sharing a port" \
			"http://127.0.0.1:$E_PORT" pg_count "${ALL[@]}"
		s2e_r+=("$EVENTS_RPS")
		;;
	esac
}
# Each round starts one shape further on (round 0: SQLite, direct, one
# behind HAProxy, two, two sharing a port; round 1: direct, one, two,
# sharing, SQLite; ...), so that no shape always follows the same one.
for ((r = 0; r < ROUNDS; r++)); do
	for ((k = 0; k < 5; k++)); do report_shape $(((r + k) % 5)); done
	qe_r+=("$(calc "${p2e_r[r]} / ${l1e_r[r]}")")
	q2e_r+=("$(calc "${s2e_r[r]} / ${p1e_r[r]}")")
done
for p in "${LB_PIDS[@]}"; do kill "$p"; done
LB_PIDS=()
for p in "$S_PID" "$I_PID" "$G_PID" "$F_PID" "$E_PID" "$D_PID" "$C_PID" "$B_PID" "$A_PID"; do
	SL_PID=$p stop_sluiced
done

sq=$(stats "${sq_r[@]}") p1=$(stats "${p1_r[@]}") l1=$(stats "${l1_r[@]}")
p2=$(stats "${p2_r[@]}") q1=$(stats "${q1_r[@]}") q2=$(stats "${q2_r[@]}")
t2=$(stats "${t2_r[@]}") q3=$(stats "${q3_r[@]}")
k1=$(stats "${k1_r[@]}") k2=$(stats "${k2_r[@]}") q4=$(stats "${q4_r[@]}")
h2=$(stats "${h2_r[@]}") q5=$(stats "${q5_r[@]}")
c2=$(stats "${c2_r[@]}") q6=$(stats "${q6_r[@]}")
s2=$(stats "${s2_r[@]}") q7=$(stats "${q7_r[@]}")
s3=$(stats "${s3_r[@]}") q8=$(stats "${q8_r[@]}")
med() { cut -d' ' -f2 <<<"$1"; }
M="no-change syncs/s, $SC conn ($ROUNDS rounds)"
if [ "$S7_SYNC" = 1 ]; then
row "10 engines" "$M: PostgreSQL 1 front-end vs SQLite" "$(med "$p1")" \
	"$(med "$sq")" - "PostgreSQL $(spread "$p1"); SQLite $(spread "$sq")"
row "10 engines" "$M: PostgreSQL 1 front-end behind HAProxy vs SQLite" \
	"$(med "$l1")" "$(med "$sq")" - "behind HAProxy $(spread "$l1")"
row "10 engines" "$M: PostgreSQL 2 front-ends (HAProxy) vs SQLite" \
	"$(med "$p2")" "$(med "$sq")" - "2 front-ends $(spread "$p2")"
row "10 engines" "$M: PostgreSQL 2 front-ends sharing one port (SO_REUSEPORT, no balancer) vs 1 front-end direct" \
	"$(med "$s2")" "$(med "$p1")" "ratio>=1" "2 front-ends $(spread "$s2"); ratio per round $(spread "$q7")"
row "10 engines" "$M: PostgreSQL 2 front-ends of $H threads sharing one port vs 1 front-end of $T direct" \
	"$(med "$s3")" "$(med "$p1")" "ratio>=1" "2 front-ends $(spread "$s3"); ratio per round $(spread "$q8")"
row "10 engines" "$M: PostgreSQL 2 front-ends (HAProxy) vs 1 front-end direct" \
	"$(med "$p2")" "$(med "$p1")" "ratio>=1" "ratio per round $(spread "$q1")"
row "10 engines" "$M: PostgreSQL 2 front-ends vs 1 front-end, both behind HAProxy" \
	"$(med "$p2")" "$(med "$l1")" "ratio>=1" "ratio per round $(spread "$q2")"
row "10 engines" "$M: PostgreSQL 2 front-ends, each agent to one, vs 1 front-end, both behind HAProxy" \
	"$(med "$t2")" "$(med "$l1")" "ratio>=1" "2 front-ends $(spread "$t2"); ratio per round $(spread "$q3")"
row "10 engines" "$M: PostgreSQL 2 front-ends vs 1 front-end, both behind HAProxy in TCP mode" \
	"$(med "$k2")" "$(med "$k1")" "ratio>=1" "1 front-end $(spread "$k1"); 2 front-ends $(spread "$k2"); ratio per round $(spread "$q4")"
row "10 engines" "$M: PostgreSQL 2 front-ends of $H threads, each agent to one, vs 1 front-end of $T, both behind HAProxy" \
	"$(med "$h2")" "$(med "$l1")" "ratio>=1" "2 front-ends $(spread "$h2"); ratio per round $(spread "$q5")"
row "10 engines" "$M: PostgreSQL 2 front-ends of $H threads vs 1 front-end of $T, both behind HAProxy in TCP mode" \
	"$(med "$c2")" "$(med "$k1")" "ratio>=1" "2 front-ends $(spread "$c2"); ratio per round $(spread "$q6")"
# What each shape costs the machine per sync, all rounds: the CPU of the
# front-ends, HAProxy and PostgreSQL (not wrk's) over the syncs answered.
# On two cores shared with wrk, a shape that needs more CPU per sync
# cannot answer more syncs a second.
C="server CPU us per no-change sync (front-ends + HAProxy + PostgreSQL, all rounds)"
cpu_parts() { cpu_text "$1" "$1" "${SYNCS[$1]}" syncs; }
cpu_row() { # LABEL-IN-ROW SHAPE REFERENCE-SHAPE
	row "10 engines" "$C: $1" "$(cpu_per_sync "$2")" \
		"$(cpu_per_sync "$3")" - \
		"$(cpu_parts "$2"); $(cpu_parts "$3")"
}
cpu_row "PostgreSQL 1 front-end vs SQLite" "postgresql 1 front-end" sqlite
cpu_row "2 front-ends sharing one port vs 1 front-end direct" \
	"postgresql 2 front-ends sharing a port" "postgresql 1 front-end"
cpu_row "2 front-ends of $H threads sharing one port vs 1 front-end of $T direct" \
	"postgresql 2 front-ends of $H threads sharing a port" "postgresql 1 front-end"
cpu_row "2 front-ends vs 1 front-end, both behind HAProxy" \
	"postgresql 2 front-ends" "postgresql 1 front-end behind HAProxy"
cpu_row "2 front-ends, each agent to one, vs 1 front-end, both behind HAProxy" \
	"postgresql 2 front-ends, each agent to one" \
	"postgresql 1 front-end behind HAProxy"
cpu_row "2 front-ends of $H threads, each agent to one, vs 1 front-end of $T, both behind HAProxy" \
	"postgresql 2 front-ends of $H threads, each agent to one" \
	"postgresql 1 front-end behind HAProxy"
cpu_row "2 front-ends vs 1 front-end, both behind HAProxy in TCP mode" \
	"postgresql 2 front-ends behind HAProxy (TCP)" \
	"postgresql 1 front-end behind HAProxy (TCP)"
cpu_row "2 front-ends of $H threads vs 1 front-end of $T, both behind HAProxy in TCP mode" \
	"postgresql 2 front-ends of $H threads behind HAProxy (TCP)" \
	"postgresql 1 front-end behind HAProxy (TCP)"
fi
sqe=$(stats "${sqe_r[@]}") p1e=$(stats "${p1e_r[@]}") l1e=$(stats "${l1e_r[@]}")
p2e=$(stats "${p2e_r[@]}") qe=$(stats "${qe_r[@]}")
s2e=$(stats "${s2e_r[@]}") q2e=$(stats "${q2e_r[@]}")
E="report events/s stored, $RC conn"
row "10 engines" "$E: PostgreSQL 1 front-end vs SQLite" "$(med "$p1e")" \
	"$(med "$sqe")" - "PostgreSQL $(spread "$p1e"); SQLite $(spread "$sqe"); $ROUNDS rounds of $RDUR"
row "10 engines" "$E: PostgreSQL 1 front-end behind HAProxy vs SQLite" \
	"$(med "$l1e")" "$(med "$sqe")" - "behind HAProxy $(spread "$l1e")"
row "10 engines" "$E: PostgreSQL 2 front-ends (HAProxy) vs SQLite" \
	"$(med "$p2e")" "$(med "$sqe")" - "2 front-ends $(spread "$p2e")"
row "10 engines" "$E: PostgreSQL 2 front-ends vs 1 front-end, both behind HAProxy" \
	"$(med "$p2e")" "$(med "$l1e")" "ratio>=1" "ratio per round $(spread "$qe")"
row "10 engines" "$E: PostgreSQL 2 front-ends sharing one port vs 1 front-end direct" \
	"$(med "$s2e")" "$(med "$p1e")" "ratio>=1" "2 front-ends $(spread "$s2e"); ratio per round $(spread "$q2e")"
# What each report shape costs the machine per event stored, all rounds
# (from before each slice to its count after, so a write PostgreSQL
# defers past the slice is not in it).
R="server CPU us per report event stored (front-ends + HAProxy + PostgreSQL, all rounds)"
event_parts() { cpu_text "report $1" "$1" "${EVENTS[$1]}" events; }
cpu_per_event() { calc "${CPU_S[report $1]} * 1e6 / ${EVENTS[$1]}"; }
event_row() { # LABEL-IN-ROW SHAPE REFERENCE-SHAPE
	row "10 engines" "$R: $1" "$(cpu_per_event "$2")" \
		"$(cpu_per_event "$3")" - "$(event_parts "$2"); $(event_parts "$3")"
}
event_row "PostgreSQL 1 front-end vs SQLite" "postgresql 1 front-end" sqlite
event_row "2 front-ends vs 1 front-end, both behind HAProxy" \
	"postgresql 2 front-ends" "postgresql 1 front-end behind HAProxy"
event_row "2 front-ends sharing one port vs 1 front-end direct" \
	"postgresql 2 front-ends sharing a port" "postgresql 1 front-end"
