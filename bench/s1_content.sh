#!/usr/bin/env bash
# Scenario 1, content serving: the same small and large files served by
# sluiced (GET /content/<sha256> from DATA/content/<aa>/<sha256>) and by
# nginx (sendfile on, its own minimal configuration, a foreground child),
# each under wrk at several connection counts, in alternating rounds (best
# round of each kept). Both run with their shipped
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
	DUR=5s ROUNDS=2
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
	NPORT=$(free_port)
	cat >"$D/nginx/nginx.conf" <<EOF
worker_processes auto;
daemon off;
user root;
pid $D/nginx/nginx.pid;
error_log $D/nginx/error.log warn;
events { worker_connections 4096; }
http {
	access_log off;
	sendfile on;
	tcp_nopush on;
	keepalive_requests 1000000;
	default_type application/octet-stream;
	client_body_temp_path $D/nginx/tmp/body;
	proxy_temp_path $D/nginx/tmp/proxy;
	fastcgi_temp_path $D/nginx/tmp/fastcgi;
	uwsgi_temp_path $D/nginx/tmp/uwsgi;
	scgi_temp_path $D/nginx/tmp/scgi;
	server {
		listen 127.0.0.1:$NPORT;
		root $D/www;
	}
}
EOF
	nginx -p "$D/nginx" -c "$D/nginx/nginx.conf" -e "$D/nginx/error.log" \
		>>"$D/nginx/out.log" 2>&1 &
	track_child $!
	wait_port "$NPORT"
	NGINX_URL="http://127.0.0.1:$NPORT"
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
		# Rounds alternate sluiced and nginx; each keeps its best round,
		# so a burst of other work on the machine does not decide.
		s_rps=0 s_mbps=0 n_rps=- n_mbps=-
		for ((r = 0; r < ROUNDS; r++)); do
			wait_idle "$SL_PID" 30
			W_LABEL="(sluiced)" run_wrk "${args[@]}" \
				"$SLUICED_URL/content/${SHA[$name]}"
			[ "$W_ERRS" -eq 0 ] ||
				die "sluiced $name c=$c: errors: $W_ERR_TEXT"
			if [ "$(calc "$W_MBPS > $s_mbps")" = 1 ]; then
				s_rps=$W_RPS s_mbps=$W_MBPS
			fi
			[ -n "$NGINX_URL" ] || continue
			W_LABEL="(nginx)" run_wrk "${args[@]}" \
				"$NGINX_URL/content/${SHA[$name]}"
			[ "$W_ERRS" -eq 0 ] ||
				die "nginx $name c=$c: errors: $W_ERR_TEXT"
			if [ "$n_mbps" = - ] ||
				[ "$(calc "$W_MBPS > $n_mbps")" = 1 ]; then
				n_rps=$W_RPS n_mbps=$W_MBPS
			fi
		done
		# Large files: MB/s is the figure (few 100 MB answers complete
		# in a round at many connections, so requests/s is noise).
		[ "$name" = 50K ] &&
			row "1 content (vs nginx)" "$name file, $c conn: requests/s" \
				"$s_rps" "$n_rps" "ratio>=0.9"
		row "1 content (vs nginx)" "$name file, $c conn: MB/s" \
			"$s_mbps" "$n_mbps" "ratio>=0.9"
	done
done
stop_sluiced
