#!/usr/bin/env bash
# make demo-debian: the real Debian feed on this machine. Imports the
# security suite of the running Debian release from the machine's
# configured apt sources (verified with the distribution's keyring), syncs a
# sluiced in storage mode `none` from it, and lets an agent detect against
# this machine's own dpkg database (detection only: nothing is installed).
# Then prints the packages the agent's needed updates name beside what
# `apt list --upgradable` shows from that suite.
# Usage: scripts/demo-debian.sh BUILD
set -euo pipefail
build=${1:-build-release}
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/demo-lib.sh"

. /etc/os-release
codename=${VERSION_CODENAME:?no VERSION_CODENAME in /etc/os-release}
suite=$codename-security
arch=$(dpkg --print-architecture)

# The machine's apt source for the security suite: deb822 .sources files
# first, then one-line sources.list entries.
find_source() {
	local f
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		awk -v suite="$suite" '
			BEGIN { RS = ""; FS = "\n" }
			{
				uri = ""; suites = ""; key = ""
				for (i = 1; i <= NF; i++) {
					if ($i ~ /^URIs:/) { uri = $i; sub(/^URIs:[ \t]*/, "", uri); sub(/[ \t].*/, "", uri) }
					if ($i ~ /^Suites:/) { suites = " " $i " " }
					if ($i ~ /^Signed-By:/) { key = $i; sub(/^Signed-By:[ \t]*/, "", key) }
				}
				if (uri != "" && index(suites, " " suite " ") > 0) { print uri, key; exit }
			}' "$f"
	done
	grep -hE "^deb[[:space:]]" /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
		sed 's/\[[^]]*\]//' | awk -v suite="$suite" '$3 == suite { print $2; exit }'
}
read -r archive keyring < <(find_source | head -n 1) || true
[ -n "${archive:-}" ] || { echo "demo-debian: no apt source for $suite in /etc/apt" >&2; exit 1; }
keyring=${keyring:-/usr/share/keyrings/debian-archive-keyring.gpg}

demo_init "$build" "$top/demo-debian-run"

step "1. import $suite from $archive (keyring $keyring)"
"$sluice" catalog init "$run/catalog" >/dev/null
/usr/bin/time -f "import: %e s, peak RSS %M KiB" \
	"$sluice" catalog import-apt "$run/catalog" --archive "$archive" \
	--suite "$suite" --arch "$arch" --keyring "$keyring"
"$sluice" catalog verify "$run/catalog"
key=$(ls "$run"/catalog/public/keys/*.pub | head -n 1)

step "2. sluiced on embedded SQLite, metadata only (storage mode none)"
demo_server none
"$sluice" sync >/dev/null
echo "$("$sluice" --json updates | jq '.updates | length') updates synced"
"$sluice" groups create this-machine >/dev/null
# Agents receive the approved updates: approve every security update for
# the group, so that the agent evaluates all of them (detection only).
"$sluice" rules add all-security --classification security --group this-machine >/dev/null
"$sluice" rules run >/dev/null

step "3. the agent detects against this machine's dpkg database (root /)"
enroll=$("$sluice" enrollment create --group this-machine --uses 1 --expires 1h 2>/dev/null)
cat >"$run/agent.conf" <<CONF
[agent]
server = $SLUICE_SERVER
state_dir = $run/agent
root = /
trusted_keys = $key
groups = this-machine
enrollment_key = $enroll
CONF
"$agent" detect --config "$run/agent.conf"
computer=$("$sluice" --json computers | jq -r '.computers[0].id')

step "4. needed updates (Sluice) beside apt list --upgradable ($suite)"
# The binaries each needed update would upgrade on this machine.
"$sluice" --json computers status "$computer" |
	jq -r '.updates[] | select(.state == "needed") | .id' >"$run/needed-ids.txt"
: >"$run/sluice.txt"
while read -r id; do
	doc=$(ls "$run"/catalog/public/updates/"$id"/*.json | sort -V | tail -n 1)
	jq -r '.signed.files[] | .deb | select(. != null) |
		"\(.package) \(.architecture) \(.version)"' "$doc"
done <"$run/needed-ids.txt" | while read -r p a v; do
	if [ "$a" = all ]; then q=$p; else q=$p:$a; fi
	have=$(dpkg-query -W -f='${Version}' "$q" 2>/dev/null || true)
	[ -n "$have" ] && dpkg --compare-versions "$have" lt "$v" && echo "$p"
done | sort -u >"$run/sluice.txt"
apt-get update -qq >/dev/null 2>&1 || echo "(apt-get update failed: comparing against the lists apt already has)"
apt list --upgradable 2>/dev/null | grep -- "-security" | cut -d/ -f1 | sort -u >"$run/apt.txt"
printf '%-40s %s\n' "Sluice: needed (by binary package)" "apt list --upgradable ($suite)"
diff --side-by-side --width=84 "$run/sluice.txt" "$run/apt.txt" || true
if cmp -s "$run/sluice.txt" "$run/apt.txt"; then
	echo "== the same $(wc -l <"$run/apt.txt") packages"
else
	echo "== the lists differ in these packages; what apt says of each:"
	# A package apt upgrades from another suite (a point release newer
	# than the security fix) is needed by the security update all the
	# same, but apt lists it under that other suite.
	comm -3 "$run/sluice.txt" "$run/apt.txt" | tr -d '\t' | while read -r p; do
		printf '  %-28s %s\n' "$p" \
			"$(apt list --upgradable 2>/dev/null | grep "^$p/" | head -n 1 || true)"
	done
fi
printf '\ndemo-debian finished: everything is in %s\n' "$run"
