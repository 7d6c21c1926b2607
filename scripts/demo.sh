#!/usr/bin/env bash
# The README's main job, on loopback: a catalog origin -> sluiced on
# embedded SQLite -> an approval -> sluice-agent installs the update into a
# demo root -> the server shows it installed. Usage: scripts/demo.sh BUILD
set -euo pipefail
build=${1:-build-release}
top=$(cd "$(dirname "$0")/.." && pwd)
sluice="$build/src/cli/sluice"
sluiced="$build/src/server/sluiced"
agent="$build/src/agent/sluice-agent"
run="$top/demo-run"
ex="$top/examples/demo"
FIX=5e1a1d3c-7f0b-4c2e-9a4d-1b2c3d4e5f60

step() { printf '\n== %s\n' "$*"; }
server_pid=
cleanup() {
	if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
		kill -TERM "$server_pid"
		wait "$server_pid" 2>/dev/null || true
	fi
}
trap cleanup EXIT

rm -rf "$run"
mkdir -p "$run"

step "1. a catalog origin (the upstream, as Microsoft Update is for WSUS)"
"$sluice" catalog init "$run/catalog"
"$sluice" catalog add "$run/catalog" "$ex/hello-fix.json" "$ex/install-hello.sh"
"$sluice" catalog add "$run/catalog" "$ex/tools-feature.json" "$ex/install-tools.sh"
"$sluice" catalog verify "$run/catalog"
"$sluice" catalog list "$run/catalog"
key=$(ls "$run"/catalog/public/keys/*.pub | head -n 1)

step "2. sluiced on embedded SQLite, storing files at sync (storage mode full)"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$run/sluiced.conf" <<CONF
[server]
listen = 127.0.0.1:$port
data = $run/server
# make demo runs as root on a development machine without a sluice
# account: stay root explicitly (a real server drops to user sluice)
user = root
[upstream]
url = file://$run/catalog/public
trusted_keys = $key
syncs_per_day = 0
[storage]
mode = full
CONF
"$sluiced" --config "$run/sluiced.conf" 2>"$run/sluiced.log" &
server_pid=$!
for _ in $(seq 100); do
	[ -s "$run/server/admin.token" ] && (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
	sleep 0.1
done
export SLUICE_SERVER="http://127.0.0.1:$port" SLUICE_TOKEN=$(cat "$run/server/admin.token")
echo "sluiced listening on $SLUICE_SERVER (log: $run/sluiced.log)"
"$sluice" sync
"$sluice" updates
"$sluice" groups create demo

step "3. a managed computer: a demo root with hello-sluice 1.0, and its agent"
mkdir -p "$run/root/etc" "$run/root/opt/hello-sluice"
printf 'ID=debian\nVERSION_ID="12"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n' >"$run/root/etc/os-release"
echo 1.0 >"$run/root/opt/hello-sluice/VERSION"
# registration needs an enrollment key; this one pins the group demo
enroll=$("$sluice" enrollment create --group demo --uses 1 --expires 1h)
cat >"$run/agent.conf" <<CONF
[agent]
server = $SLUICE_SERVER
state_dir = $run/agent
root = $run/root
trusted_keys = $key
groups = demo
enrollment_key = $enroll
CONF
"$agent" detect --config "$run/agent.conf"
computer=$("$sluice" --json computers | jq -r '.computers[0].id')
echo "registered as computer $computer (group demo)"

step "4. the administrator approves the security fix for group demo"
"$sluice" approve "$FIX" demo --action install

step "5. the agent detects, downloads, verifies and installs it"
"$agent" install --config "$run/agent.conf"
"$agent" status --config "$run/agent.conf"
echo "hello-sluice version in the demo root: $(cat "$run/root/opt/hello-sluice/VERSION")"

step "6. the server shows what the computer reported"
"$sluice" computers status "$computer"

printf '\ndemo finished: everything is in %s\n' "$run"
