#!/bin/sh
# Demo installer: write the new version under the agent's root.
set -e
root="${SLUICE_ROOT:-/}"
mkdir -p "$root/opt/hello-sluice"
printf '%s\n' "$1" > "$root/opt/hello-sluice/VERSION.new"
mv "$root/opt/hello-sluice/VERSION.new" "$root/opt/hello-sluice/VERSION"
echo "hello-sluice updated to $1"
