#!/usr/bin/env bash
# Scenario 1, content serving: the same small and large files served by
# sluiced (GET /content/<sha256> from DATA/content/<aa>/<sha256>) and by
# nginx (sendfile on, its own minimal configuration, a foreground child),
# each under wrk at several connection counts, in alternating rounds
# (median and spread of the rounds reported). Both run with their shipped
# defaults: sluiced's 4 worker threads, nginx's one worker per core.
SCEN=s1
. "$(dirname "$0")/lib.sh"

if [ "$SMOKE" = 1 ]; then
	SIZES="50K:51200 1M:1048576"
	CONNS="1 8"
	DUR=1s ROUNDS=1
else
	SIZES="50K:51200 100M:104857600"
	CONNS="1 64 512"
	DUR=5s ROUNDS=3
fi

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

start_sluiced "$D/data" "[storage]
mode = full
[upstream]
syncs_per_day = 0"
SLUICED_URL=$SL_URL
for s in $SIZES; do
	name=${s%%:*}
	code=$(curl -s -o /dev/null -w '%{http_code}' \
		"$SLUICED_URL/content/${SHA[$name]}")
	[ "$code" = 200 ] || die "sluiced GET /content/${SHA[$name]}: HTTP $code"
done

NGINX_URL=
if have nginx; then
	start_nginx "$D/nginx" "$D/www"
	NGINX_URL=$NG_URL
else
	log "nginx is not installed: the reference column stays empty"
fi

for s in $SIZES; do
	name=${s%%:*}
	for c in $CONNS; do
		t=2
		[ "$c" -lt 2 ] && t=1
		# Large files at many connections take longer than wrk's 2 s
		# default timeout per response.
		args=(-t "$t" -c "$c" -d "$DUR" --timeout 60s --latency
			-s "$BENCH_DIR/wrk_get.lua")
		# Rounds alternate sluiced and nginx; every round is kept: the
		# median is the figure, the spread is shown, and the goal asks
		# that no round's ratio (sluiced's round / nginx's next) falls
		# below its floor.
		s_r=() s_m=() n_r=() n_m=() q=()
		for ((r = 0; r < ROUNDS; r++)); do
			wait_idle "$SL_PID" 30
			W_LABEL="(sluiced)" run_wrk "${args[@]}" \
				"$SLUICED_URL/content/${SHA[$name]}"
			[ "$W_ERRS" -eq 0 ] ||
				die "sluiced $name c=$c: errors: $W_ERR_TEXT"
			s_r+=("$W_RPS") s_m+=("$W_MBPS")
			[ -n "$NGINX_URL" ] || continue
			W_LABEL="(nginx)" run_wrk "${args[@]}" \
				"$NGINX_URL/content/${SHA[$name]}"
			[ "$W_ERRS" -eq 0 ] ||
				die "nginx $name c=$c: errors: $W_ERR_TEXT"
			n_r+=("$W_RPS") n_m+=("$W_MBPS")
			q+=("$(calc "${s_m[r]} / $W_MBPS")")
		done
		sm=$(stats "${s_m[@]}") sr=$(stats "${s_r[@]}")
		nm=- nr=- goal=- rs="sluiced $(spread "$sm")"
		if [ -n "$NGINX_URL" ]; then
			nm=$(stats "${n_m[@]}") nr=$(stats "${n_r[@]}")
			qs=$(stats "${q[@]}")
			goal=$(ratio_goal "$(cut -d' ' -f2 <<<"$qs")" \
				"$(cut -d' ' -f1 <<<"$qs")" 0.95 0.85)
			rs="$rs; nginx $(spread "$nm"); ratio $(spread "$qs")"
		fi
		med() { [ "$1" = - ] && echo - || cut -d' ' -f2 <<<"$1"; }
		# Large files: MB/s is the figure (few 100 MB answers complete
		# in a round at many connections, so requests/s is noise). The
		# 50K requests/s ratio equals its MB/s ratio (same bytes).
		[ "$name" = 50K ] &&
			row "1 content (vs nginx)" "$name file, $c conn: requests/s" \
				"$(med "$sr")" "$(med "$nr")" - \
				"sluiced $(spread "$sr")${NGINX_URL:+; nginx $(spread "$nr")}"
		row "1 content (vs nginx)" "$name file, $c conn: MB/s ($ROUNDS rounds)" \
			"$(med "$sm")" "$(med "$nm")" "$goal" "$rs"
	done
done
stop_sluiced
