#!/usr/bin/env bash
# Scenario 4, agent detection: `sluice-agent detect` on a computer of the
# scenario-2 server (every generated update approved for it) inside a test
# root whose dpkg status file lists PACKAGES packages. The first detect
# registers and makes the full sync; the measured runs come after it, with
# the agent's state already synced, so each one is: a no-change sync
# request, loading the approved view from agent.db, verifying every
# update's signature, evaluating every rule tree against the root (dpkg
# status, os-release, files, kernel), storing the states and sending the
# report. Reference: `apt-get -s upgrade` over a dpkg status file of the
# same packages with a Packages list in which every fourth package has a
# newer version (apt's own lists and cache in a temporary directory).
SCEN=s4
. "$(dirname "$0")/lib.sh"

if [ "$SMOKE" = 1 ]; then
	PACKAGES=20 RUNS=2
else
	PACKAGES=2000 RUNS=10
fi
F=$WORK/fleet
[ -s "$F/anchor" ] || die "needs the server data of scenario 2, which did not run"
UPDATES=$(jq '.updates | length' "$F/full.json")
D=$WORK/s4
mkdir -p "$D"

start_sluiced "$F/data" "[upstream]
syncs_per_day = 0"
"$GEN" --system "$D/root" --packages "$PACKAGES" --apt-repo "$D/repo" ||
	die "generating the test root failed"
cat >"$D/agent.conf" <<EOF
[agent]
server = $SL_URL
state_dir = $D/state
root = $D/root
trusted_keys = $(cat "$F/trusted_key")
groups = All Computers
EOF
AG=("$AGENT" --config "$D/agent.conf")

# Wall time of a command over RUNS runs (median, ms): hyperfine when
# installed, else a loop around date. Peak RSS (KB) from GNU time.
median_ms() {
	local out="$D/hf.json" t0 i
	if have hyperfine; then
		hyperfine -N --style none --warmup 1 --runs "$RUNS" \
			--export-json "$out" -- "$*" >/dev/null 2>&1 ||
			die "hyperfine: $* failed"
		jq '.results[0].median * 1000' "$out"
	else
		for ((i = 0; i < RUNS; i++)); do
			t0=$(now_s)
			"$@" >/dev/null 2>&1 || die "$* failed"
			calc "($(now_s) - $t0) * 1000"
			echo
		done | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'
	fi
}
peak_kb() {
	if [ -x /usr/bin/time ]; then
		/usr/bin/time -f '%M' -o "$D/time.out" "$@" >/dev/null 2>&1 ||
			die "$* failed: $(tail -n 2 "$D/time.out")"
		tail -n 1 "$D/time.out"
	else
		echo "-"
	fi
}

t0=$(now_s)
"${AG[@]}" detect >"$D/first.log" 2>&1 ||
	die "first sluice-agent detect failed: $(tail -n 2 "$D/first.log")"
first_ms=$(calc "($(now_s) - $t0) * 1000")
grep -q "detection: $UPDATES update" "$D/first.log" ||
	die "first detect did not see $UPDATES updates: $(grep detection: "$D/first.log" | tail -n 1)"
log "$(grep 'detection:' "$D/first.log" | tail -n 1)"
"${AG[@]}" detect >"$D/second.log" 2>&1 ||
	die "sluice-agent detect failed: $(tail -n 2 "$D/second.log")"

ag_ms=$(median_ms "${AG[@]}" detect)
ag_kb=$(peak_kb "${AG[@]}" detect)
floor_kb=$(peak_kb "$AGENT" --version)

# apt: its own lists, cache and sources in $D/apt.
A=$D/apt
mkdir -p "$A/lists/partial" "$A/cache/archives/partial" "$A/empty"
echo "deb [trusted=yes] file:$D/repo ./" >"$A/sources.list"
APT=(apt-get -o "Dir::State::status=$D/root/var/lib/dpkg/status"
	-o "Dir::State::Lists=$A/lists" -o "Dir::Cache=$A/cache"
	-o "Dir::Etc::SourceList=$A/sources.list"
	-o "Dir::Etc::SourceParts=$A/empty"
	-o "Dir::Etc::PreferencesParts=$A/empty"
	-o "Dir::Etc::Preferences=$A/empty/none"
	-o Debug::NoLocking=1 -o APT::Architecture=amd64)
apt_ms=- apt_kb=-
if have apt-get; then
	"${APT[@]}" update >"$D/apt-update.log" 2>&1 ||
		die "apt-get update (local file: repository) failed: $(tail -n 2 "$D/apt-update.log")"
	n=$("${APT[@]}" -s upgrade 2>/dev/null | grep -c '^Inst ' || true)
	log "apt-get -s upgrade: $n package(s) to upgrade"
	apt_ms=$(median_ms "${APT[@]}" -s upgrade)
	apt_kb=$(peak_kb "${APT[@]}" -s upgrade)
else
	log "apt-get is not installed: no reference"
fi

row "4 agent detection (vs apt-get)" \
	"detect wall ms ($UPDATES updates, $PACKAGES packages; median of $RUNS)" \
	"$ag_ms" "$apt_ms" "ratio<=0.5"
row "4 agent detection (vs apt-get)" "detect peak RSS MB" \
	"$(calc "$ag_kb / 1024")" \
	"$([ "$apt_kb" = - ] && echo - || calc "$apt_kb / 1024")" "ratio<=1"
row "4 agent detection (vs apt-get)" \
	"peak RSS MB of \`sluice-agent --version\` / \`apt-get --version\` (libraries alone)" \
	"$(calc "$floor_kb / 1024")" \
	"$(have apt-get && calc "$(peak_kb apt-get --version) / 1024" || echo -)" -
row "4 agent detection (vs apt-get)" "first detect ms (register + full sync)" \
	"$first_ms" - -
stop_sluiced
