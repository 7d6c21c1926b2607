#!/bin/sh
set -e
root="${SLUICE_ROOT:-/}"
mkdir -p "$root/opt/hello-sluice"
echo "tools" > "$root/opt/hello-sluice/tools"
