#!/usr/bin/env bash
# Sluice's benchmarks: the scenarios below, each measured side by side with a
# reference peer in the same run, printed as one table.
#
#   bench/run.sh BUILD_DIR           full sizes (make bench): installs the
#                                    reference tools, writes
#                                    docs/performance.md
#   bench/run.sh --smoke BUILD_DIR   tiny sizes, well under a minute (make
#                                    test runs it): fails when a scenario
#                                    fails to run, never because of speed
#   ONLY=s10_fleet bench/run.sh ...  that scenario alone (its table on
#                                    stdout; docs/performance.md untouched);
#                                    ONLY=a,b: those scenarios;
#                                    LIMIT=SECONDS replaces its time limit
#   BENCH_THREADS=N bench/run.sh ...  every sluiced with N worker threads
#                                    (A/B runs of the default)
#
# Each scenario is its own script (bench/s<N>_*.sh, sourcing bench/lib.sh)
# run in its own process with a time limit; a scenario that cannot run
# leaves a "not run: <reason>" row and the others go on. Scenarios 4 and 5
# reuse the server data scenario 2 built (20,000 updates approved for
# 10,000 computers). Everything listens on 127.0.0.1 only.
set -euo pipefail

SMOKE=0
if [ "${1:-}" = --smoke ]; then
	SMOKE=1
	shift
fi
[ $# -eq 1 ] || {
	echo "usage: bench/run.sh [--smoke] BUILD_DIR" >&2
	exit 2
}
BUILD_DIR=$(cd "$1" && pwd)
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
SOURCE_ROOT=$(dirname "$BENCH_DIR")

if [ "$SMOKE" = 0 ]; then
	"$SOURCE_ROOT/scripts/deps.sh" nginx-light wrk hyperfine reprepro time \
		haproxy postgresql
fi
for b in src/server/sluiced src/agent/sluice-agent src/cli/sluice \
	bench/gen_catalog bench/gen_aptrepo bench/bench_client bench/bench_pages; do
	[ -x "$BUILD_DIR/$b" ] || {
		echo "bench: $BUILD_DIR/$b is missing (build first)" >&2
		exit 1
	}
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/sluice-bench.XXXXXX")
RESULTS=$WORK/results.tsv
: >"$RESULTS"
export BUILD_DIR BENCH_DIR SOURCE_ROOT WORK RESULTS SMOKE
cleanup() {
	if [ -n "${KEEP_WORK:-}" ]; then
		echo "bench: kept $WORK" >&2
	else
		rm -rf "$WORK"
	fi
}
trap cleanup EXIT

# name:label:time limit in seconds (full run)
SCENARIOS="s1_content:1 content (vs nginx):900
s2_agent_sync:2 agent sync:420
s7_agent_pages:8 first sync (pages):300
s4_detect:4 agent detection (vs apt-get):240
s5_report:5 status ingestion:600
s3_catalog_sync:3 catalog sync (vs reprepro):600
s6_apt_import:6 apt import:900
s7_cleanup:9 cleanup under load:900
s7_engines:10 engines (SQLite vs PostgreSQL):900
s8_scale:11 large database:900
s9_state:12 compact state:900
s10_fleet:13 fleet capacity:1500"

t_start=$(date +%s)
failed=()
while IFS=: read -r name label limit; do
	# ONLY: one scenario, or several separated by commas (run in this
	# file's order: s2_agent_sync,s7_engines for scenario 10's data).
	case ",${ONLY:-$name}," in
	*",$name,"*) ;;
	*) continue ;;
	esac
	[ "$SMOKE" = 1 ] && limit=120
	[ -n "${LIMIT:-}" ] && limit=$LIMIT
	echo "bench: == $label ==" >&2
	t0=$(date +%s)
	rc=0
	SCEN=${name%%_*} timeout --signal=TERM "$limit" \
		bash "$BENCH_DIR/$name.sh" || rc=$?
	if [ "$rc" -ne 0 ]; then
		reason="exited with status $rc"
		[ "$rc" -eq 124 ] && reason="took longer than ${limit}s"
		[ -s "$WORK/${name%%_*}.reason" ] &&
			reason=$(head -c 300 "$WORK/${name%%_*}.reason")
		printf '%s\t%s\t%s\t%s\t%s\n' "$label" "(scenario)" \
			"not run: $reason" "-" "-" >>"$RESULTS"
		failed+=("$name")
	fi
	echo "bench: $label: $(($(date +%s) - t0)) s" >&2
done <<<"$SCENARIOS"
elapsed=$(($(date +%s) - t_start))

# The table, as Markdown: ratio = sluice / reference (of the medians when
# a row has rounds); the goal column says whether the goal is met
# ("yes"/"NO") when both figures are numbers; the last column is the spread
# of the rounds, never hidden behind the best one.
table() {
	awk -F'\t' '
	function isnum(x) { return x ~ /^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$/ }
	function fmt(x) {
		if (!isnum(x)) return x
		x += 0
		if (x == int(x)) return sprintf("%d", x)
		if (x >= 100 || x <= -100) return sprintf("%.0f", x)
		if (x >= 10 || x <= -10) return sprintf("%.1f", x)
		return sprintf("%.3g", x)
	}
	BEGIN {
		print "| Scenario | Metric | Sluice | Reference | Ratio | Goal | Rounds: min–max |"
		print "|---|---|---|---|---|---|---|"
	}
	{
		s = $3; r = $4; g = $5; ratio = "-"; goal = "-"
		if (isnum(s) && isnum(r) && r + 0 != 0)
			ratio = sprintf("%.2f", s / r)
		if (g ~ /^(ratio|sluice)(>=|<=|<|>)/) {
			match(g, /(>=|<=|<|>)/)
			what = substr(g, 1, RSTART - 1)
			op = substr(g, RSTART, RLENGTH)
			lim = substr(g, RSTART + RLENGTH) + 0
			v = (what == "ratio") ? ratio : s
			goal = (what == "ratio" ? "ratio " : "") op " " lim
			if (isnum(v)) {
				v += 0
				ok = (op == ">=" && v >= lim) || (op == "<=" && v <= lim) ||
				     (op == "<" && v < lim) || (op == ">" && v > lim)
				goal = goal (ok ? ": yes" : ": **NO**")
			}
		} else if (g != "-")
			goal = g
		rounds = ($6 == "") ? "-" : $6
		printf "| %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, fmt(s), fmt(r), ratio, goal, rounds
	}' <(sort -t "$(printf '\t')" -k1,1 -s "$RESULTS")
}

machine() {
	local mem cpu os
	cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
	mem=$(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
	os=$(. /etc/os-release && echo "$PRETTY_NAME")
	echo "- CPU: ${cpu:-unknown}, $(nproc) cores (nproc)"
	echo "- Memory: $mem"
	echo "- Kernel: $(uname -sr) ($(uname -m)); OS: $os"
	echo "- Sluice $(git -C "$SOURCE_ROOT" describe --always --dirty 2>/dev/null || echo '?'), build \`$(basename "$BUILD_DIR")\` ($(meson introspect --buildoptions "$BUILD_DIR" 2>/dev/null | jq -r '.[] | select(.name == "buildtype") | .value' 2>/dev/null || echo '?'))"
	echo "- Peers: $(nginx -v 2>&1 | sed 's/^nginx version: //' || true), $(wrk -v 2>&1 | head -n 1 | awk '{ print "wrk " $2 }' || true), apt $(apt-get --version 2>/dev/null | awk 'NR == 1 { print $2 }'), reprepro $(reprepro --version 2>&1 | awk '{ print $NF; exit }' || true)"
}

TABLE=$(table)
echo
[ "$SMOKE" = 1 ] &&
	echo "(smoke mode: tiny sizes, the figures mean nothing; make bench measures)"
echo "$TABLE"
echo
echo "bench: total $elapsed s${failed[*]:+; not run: ${failed[*]}}" >&2

if [ "$SMOKE" = 0 ] && [ -z "${ONLY:-}" ]; then
	{
		echo "# Performance"
		echo
		echo "Generated by \`make bench\` (\`bench/run.sh\`) on $(date -u +%Y-%m-%d) in $((elapsed / 60)) min $((elapsed % 60)) s."
		echo "The table is rewritten by every run; the text after it is"
		echo "\`bench/notes.md\`, written by hand from the run it follows."
		echo
		echo "## Machine"
		echo
		machine
		echo
		echo "## Results"
		echo
		echo "Ratio = Sluice / reference. For rates (requests/s, MB/s,"
		echo "events/s) higher is better; for times and memory lower is"
		echo "better. Every figure of a row is measured in the same run, on the"
		echo "same machine, on 127.0.0.1, with the load generator sharing the"
		echo "cores with the server under test."
		echo
		echo "$TABLE"
		echo
		cat "$BENCH_DIR/notes.md"
	} >"$SOURCE_ROOT/docs/performance.md"
	echo "bench: wrote docs/performance.md" >&2
fi
[ "${#failed[@]}" -eq 0 ] || exit 1
