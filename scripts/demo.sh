#!/usr/bin/env bash
# The README's main job, on loopback: a catalog origin with two updates,
# verified and listed. Usage: scripts/demo.sh BUILD_DIR
set -euo pipefail
build=${1:-build-release}
top=$(cd "$(dirname "$0")/.." && pwd)
sluice="$build/src/cli/sluice"
run="$top/demo-run"
ex="$top/examples/demo"

step() { printf '\n== %s\n' "$*"; }

rm -rf "$run"
mkdir -p "$run"

step "1. a catalog origin (the upstream, like Microsoft Update for WSUS)"
"$sluice" catalog init "$run/catalog"
"$sluice" catalog add "$run/catalog" "$ex/hello-fix.json" "$ex/install-hello.sh"
"$sluice" catalog add "$run/catalog" "$ex/tools-feature.json" "$ex/install-tools.sh"
"$sluice" catalog verify "$run/catalog"
"$sluice" catalog list "$run/catalog"

printf '\ndemo finished: everything is in %s\n' "$run"
