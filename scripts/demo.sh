#!/usr/bin/env bash
# The README's main job, on loopback: a catalog origin -> sluiced on
# embedded SQLite -> an approval -> sluice-agent installs the update into a
# demo root -> the server shows it installed. Usage: scripts/demo.sh BUILD
set -euo pipefail
build=${1:-build-release}
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/demo-lib.sh"
demo_init "$build" "$top/demo-run"
ex="$top/examples/demo"
FIX=5e1a1d3c-7f0b-4c2e-9a4d-1b2c3d4e5f60

step "1. a catalog origin (the upstream, as Microsoft Update is for WSUS)"
"$sluice" catalog init "$run/catalog"
"$sluice" catalog add "$run/catalog" "$ex/hello-fix.json" "$ex/install-hello.sh"
"$sluice" catalog add "$run/catalog" "$ex/tools-feature.json" "$ex/install-tools.sh"
"$sluice" catalog verify "$run/catalog"
"$sluice" catalog list "$run/catalog"
key=$(ls "$run"/catalog/public/keys/*.pub | head -n 1)

step "2. sluiced on embedded SQLite, storing files at sync (storage mode full)"
demo_server full
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
