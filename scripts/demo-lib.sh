# Shared by the demo scripts (source it; bash): the binaries of a build,
# step headings, and a sluiced on a catalog origin on a free loopback port.
#
#   demo_init BUILD RUN   set sluice/sluiced/agent, make RUN anew
#   step TEXT             print a step heading
#   demo_server MODE      start sluiced on file://$run/catalog/public (key
#                         $key), storage MODE, data $run/server; exports
#                         SLUICE_SERVER and SLUICE_TOKEN; stopped on exit

demo_init() {
	sluice="$1/src/cli/sluice"
	sluiced="$1/src/server/sluiced"
	agent="$1/src/agent/sluice-agent"
	run=$2
	rm -rf "$run"
	mkdir -p "$run"
	trap demo_cleanup EXIT
}

step() { printf '\n== %s\n' "$*"; }

server_pid=
demo_cleanup() {
	if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
		kill -TERM "$server_pid"
		wait "$server_pid" 2>/dev/null || true
	fi
}

demo_server() {
	local mode=$1 port
	port=$("$(dirname "${BASH_SOURCE[0]}")/free-port")
	cat >"$run/sluiced.conf" <<CONF
[server]
listen = 127.0.0.1:$port
data = $run/server
# the demos run as root on a development machine without a sluice
# account: stay root explicitly (a real server drops to user sluice)
user = root
[upstream]
url = file://$run/catalog/public
trusted_keys = $key
syncs_per_day = 0
[storage]
mode = $mode
CONF
	"$sluiced" --config "$run/sluiced.conf" 2>"$run/sluiced.log" &
	server_pid=$!
	for _ in $(seq 100); do
		[ -s "$run/server/admin.token" ] && (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
		sleep 0.1
	done
	export SLUICE_SERVER="http://127.0.0.1:$port" SLUICE_TOKEN=$(cat "$run/server/admin.token")
	echo "sluiced listening on $SLUICE_SERVER (log: $run/sluiced.log)"
}
