#!/usr/bin/env bash
# Scenario 1, content serving: the same small and large files served by
# sluiced (GET /content/<sha256> from DATA/content/<aa>/<sha256>) and by
# nginx (sendfile on, its own minimal configuration, a foreground child),
# each under wrk at several connection counts, in alternating rounds
# (median and spread of the rounds reported). Both run with their shipped
# defaults: sluiced's and nginx's one worker per core (sluiced: at least 2).
# With S1_H2O=1 (and libh2o installed), a third server takes part in the
# same rounds: bench/h2o_content, the same content path over libh2o's
# evloop and file sender (one thread per core), with its own rows against
# nginx (measured once for goal 6's choice of HTTP layer: docs/performance.md).
SCEN=s1
. "$(dirname "$0")/lib.sh"

if [ "$SMOKE" = 1 ]; then
	SIZES="50K:51200 1M:1048576"
	CONNS="1 8"
	DUR=1s ROUNDS=1 REPEAT=1
else
	SIZES="50K:51200 100M:104857600"
	CONNS="1 64 512"
	DUR=2s ROUNDS=3 REPEAT=3
fi
# For trying one row, a server setting or another sluiced binary alone.
SIZES=${S1_SIZES:-$SIZES} CONNS=${S1_CONNS:-$CONNS}
DUR=${S1_DUR:-$DUR} ROUNDS=${S1_ROUNDS:-$ROUNDS} REPEAT=${S1_REPEAT:-$REPEAT}
SLUICED=${S1_SLUICED:-$SLUICED}

have wrk || die "wrk is not installed (scripts/deps.sh wrk)"
D=$WORK/s1
mkdir -p "$D/data/content" "$D/www/content" "$D/nginx/tmp"

# The files: random bytes, content-addressed for sluiced; nginx serves the
# same inodes (hard links) under the same URL path.
declare -A SHA
for s in $SIZES; do
	name=${s%%:*} bytes=${s#*:}
	head -c "$bytes" /dev/urandom >"$D/$name.bin"
	sha=$(sha256sum "$D/$name.bin" | cut -d' ' -f1)
	SHA[$name]=$sha
	mkdir -p "$D/data/content/${sha:0:2}"
	ln -f "$D/$name.bin" "$D/data/content/${sha:0:2}/$sha"
	ln -f "$D/$name.bin" "$D/www/content/$sha"
done

# nginx runs with its access log off; sluiced too, so both do the same
# work per request (sluiced's access line is its own setting, [log]
# access; scenario 2 keeps it at its default).
start_sluiced "$D/data" "[storage]
mode = full
[upstream]
syncs_per_day = 0
[log]
access = off
${S1_SLUICED_INI:-}"
SLUICED_URL=$SL_URL
for s in $SIZES; do
	name=${s%%:*}
	code=$(curl -s -o /dev/null -w '%{http_code}' \
		"$SLUICED_URL/content/${SHA[$name]}")
	[ "$code" = 200 ] || die "sluiced GET /content/${SHA[$name]}: HTTP $code"
done

H2O=${S1_H2O_BIN:-$BUILD_DIR/bench/h2o_content}
H2O_URL=
if [ "${S1_H2O:-0}" = 1 ] && [ ! -x "$H2O" ]; then
	log "bench/h2o_content was not built (no libh2o-evloop-dev): no libh2o rows"
elif [ "${S1_H2O:-0}" = 1 ]; then
	H2O_PORT=$(free_port)
	"$H2O" "$D/data/content" "$H2O_PORT" "$(nproc)" >"$D/h2o.log" 2>&1 &
	H2O_PID=$!
	track_child "$H2O_PID"
	wait_port "$H2O_PORT"
	H2O_URL="http://127.0.0.1:$H2O_PORT"
	for s in $SIZES; do
		name=${s%%:*}
		code=$(curl -s -o /dev/null -w '%{http_code}' \
			"$H2O_URL/content/${SHA[$name]}")
		[ "$code" = 200 ] || die "h2o_content GET /content/${SHA[$name]}: HTTP $code"
	done
fi

NGINX_URL=
if have nginx; then
	start_nginx "$D/nginx" "$D/www"
	NGINX_URL=$NG_URL
	# The master and its workers (their CPU time is nginx's).
	NG_PIDS=("$(cat "$D/nginx/nginx.pid")")
	NG_PIDS+=($(pgrep -P "${NG_PIDS[0]}"))
else
	log "nginx is not installed: the reference column stays empty"
fi

# pin C: for a row of C connections, on a machine of two CPUs or more,
# the servers' threads on CPU 0 and wrk on CPU 1 when C is 1; everything
# on every CPU otherwise.
pin() {
	local all p cpus=0
	all="0-$(($(nproc) - 1))"
	WRK_CPUS=
	[ "$(nproc)" -ge 2 ] || return 0
	if [ "$1" = 1 ]; then
		WRK_CPUS=1
	else
		cpus=$all
	fi
	for p in "$SL_PID" ${H2O_PID:-} ${NG_PIDS[@]+"${NG_PIDS[@]}"}; do
		taskset -a -p -c "$cpus" "$p" >/dev/null ||
			die "taskset $cpus $p failed"
	done
}

nginx_cpu() {
	local p t=0
	for p in "${NG_PIDS[@]}"; do
		t=$(calc "$t + $(proc_cpu "$p")")
	done
	echo "$t"
}

# slice P LABEL BASE_URL CPU_COMMAND...: one wrk slice of the current
# row against a server; adds its CPU seconds (CPU_COMMAND before and
# after), answers and bytes to ${P}_cpu ${P}_n ${P}_b, and half its
# rates to the round's ${P}r (requests/s) and ${P}m (MB/s).
slice() {
	local p=$1 label=$2 url=$3 c0 v
	shift 3
	c0=$("$@")
	W_LABEL="($label)" run_wrk "${args[@]}" "$url/content/${SHA[$name]}"
	[ "$W_ERRS" -eq 0 ] || die "$label $name c=$c: errors: $W_ERR_TEXT"
	v=${p}_cpu
	printf -v "$v" '%s' "$(calc "${!v} + $("$@") - $c0")"
	v=${p}_n
	printf -v "$v" '%s' "$((${!v} + W_REQS))"
	v=${p}_b
	printf -v "$v" '%s' "$(calc "${!v} + $W_BYTES")"
	v=${p}r
	printf -v "$v" '%s' "$(calc "${!v} + $W_RPS / $SLICES")"
	v=${p}m
	printf -v "$v" '%s' "$(calc "${!v} + $W_MBPS / $SLICES")"
}

for s in $SIZES; do
	name=${s%%:*}
	for c in $CONNS; do
		t=2
		[ "$c" -lt 2 ] && t=1
		# Large files at many connections take longer than wrk's 2 s
		# default timeout per response.
		args=(-t "$t" -c "$c" -d "$DUR" --timeout 60s --latency
			-s "$BENCH_DIR/wrk_get.lua")
		# A round is twelve slices in the order sluiced, nginx, nginx,
		# sluiced, three times (eighteen with libh2o: sluiced, nginx,
		# h2o, h2o, nginx, sluiced): every server samples the same
		# stretch of the machine's background load (the machine is a
		# virtual one; its rates move by a third from one minute to the
		# next with nothing else of ours running), and a load that rises
		# or falls through the round weighs on all alike. Six short
		# slices a server rather than two long ones: a burst of the
		# host's load lands on both servers' slices alike more often,
		# and a round's mean of six is steadier than one of four (which
		# left single rounds 0.87 to 1.07 apart at one connection). A
		# server's figure for the round is the mean of its slices; the
		# round's ratio is sluiced's (or libh2o's) / nginx's. Every
		# round is kept: the median is the figure, the spread is shown,
		# and the goal asks that no round's ratio falls below its floor.
		# One connection: each server on CPU 0, wrk on CPU 1. At one
		# connection each side is one thread; left to the scheduler,
		# some slices run both on one core (the loopback wake-up pulls
		# wrk to the sender's core) at about half the rate, for nginx
		# and sluiced alike, at random (1,190 to 1,440 MB/s against
		# 2,200 to 2,600 on 100 MB). In the field the client is
		# another machine.
		pin "$c"
		unit="sluiced nginx nginx sluiced"
		[ -n "$H2O_URL" ] && unit="sluiced nginx h2o h2o nginx sluiced"
		order=
		for ((i = 0; i < REPEAT; i++)); do order="$order $unit"; done
		SLICES=$((2 * REPEAT))
		s_r=() s_m=() n_r=() n_m=() q=() h_r=() h_m=() hq=()
		# Server CPU seconds and what they served, over all rounds: how
		# much work each does for the same bytes, a figure the other
		# load on the machine moves far less than the rates.
		s_cpu=0 s_n=0 s_b=0 n_cpu=0 n_n=0 n_b=0 h_cpu=0 h_n=0 h_b=0
		for ((r = 0; r < ROUNDS; r++)); do
			sr=0 sm=0 nr=0 nm=0 hr=0 hm=0
			for who in $order; do
				case $who in
				sluiced)
					wait_idle "$SL_PID" 30
					slice s sluiced "$SLUICED_URL" proc_cpu "$SL_PID"
					;;
				h2o) slice h libh2o "$H2O_URL" proc_cpu "$H2O_PID" ;;
				*) [ -z "$NGINX_URL" ] || slice n nginx "$NGINX_URL" nginx_cpu ;;
				esac
			done
			s_r+=("$sr") s_m+=("$sm")
			[ -n "$H2O_URL" ] && h_r+=("$hr") h_m+=("$hm")
			[ -n "$NGINX_URL" ] || continue
			n_r+=("$nr") n_m+=("$nm")
			q+=("$(calc "$sm / $nm")")
			log "round $((r + 1)): $name c=$c sluiced $sm MB/s, nginx $nm MB/s, ratio ${q[r]}"
			if [ -n "$H2O_URL" ]; then
				hq+=("$(calc "$hm / $nm")")
				log "round $((r + 1)): $name c=$c libh2o $hm MB/s, ratio to nginx ${hq[r]}"
			fi
		done
		med() { [ "$1" = - ] && echo - || cut -d' ' -f2 <<<"$1"; }
		# rows SERVER_LABEL SCENARIO CPU N BYTES: one server's rows
		# against nginx (uses the arrays R M Q of the caller's naming).
		rows() {
			local who=$1 scen=$2 cpu=$3 n=$4 b=$5 xm xr qs goal=- rs nm=- nr=- ncg=-
			xm=$(stats "${M[@]}") xr=$(stats "${R[@]}")
			rs="$who $(spread "$xm")"
			if [ -n "$NGINX_URL" ]; then
				nm=$(stats "${n_m[@]}") nr=$(stats "${n_r[@]}")
				qs=$(stats "${Q[@]}")
				goal=$(ratio_goal "$(cut -d' ' -f2 <<<"$qs")" \
					"$(cut -d' ' -f1 <<<"$qs")" 0.95 0.85)
				rs="$rs; nginx $(spread "$nm"); ratio $(spread "$qs")"
				ncg=$(calc "$n_cpu / ($n_b / 1073741824)")
			fi
			# Large files: MB/s is the figure (few 100 MB answers
			# complete in a round at many connections, so requests/s
			# is noise). The 50K requests/s ratio equals its MB/s
			# ratio (same bytes).
			[ "$name" = 50K ] &&
				row "$scen" "$name file, $c conn: requests/s" \
					"$(med "$xr")" "$(med "$nr")" - \
					"$who $(spread "$xr")${NGINX_URL:+; nginx $(spread "$nr")}"
			row "$scen" "$name file, $c conn: MB/s ($ROUNDS rounds)" \
				"$(med "$xm")" "$(med "$nm")" "$goal" "$rs"
			# CPU seconds per GiB served, all rounds (lower is
			# better).
			row "$scen" "$name file, $c conn: server CPU s per GiB served (all rounds)" \
				"$(calc "$cpu / ($b / 1073741824)")" "$ncg" - \
				"$who $n answers, $(calc "$cpu") s${NGINX_URL:+; nginx $n_n answers, $(calc "$n_cpu") s}"
		}
		R=("${s_r[@]}") M=("${s_m[@]}") Q=("${q[@]}")
		rows sluiced "1 content (vs nginx)" "$s_cpu" "$s_n" "$s_b"
		if [ -n "$H2O_URL" ]; then
			R=("${h_r[@]}") M=("${h_m[@]}") Q=("${hq[@]}")
			rows libh2o "1 content, libh2o (vs nginx)" "$h_cpu" "$h_n" "$h_b"
		fi
	done
done
stop_sluiced
