#!/usr/bin/env bash
# Run every libFuzzer harness of tests/fuzz for SECONDS each (make fuzz).
# usage: tests/fuzz/run.sh BUILD_DIR SECONDS [NAME...]
# The corpus of each starts from tests/fuzz/seeds/NAME and
# tests/fuzz/crashes/NAME and grows in BUILD_DIR/corpus/NAME; a crash,
# leak, timeout or sanitizer report leaves its input in
# BUILD_DIR/crashes/NAME/ and makes this script fail.
set -euo pipefail
build=$1
secs=$2
shift 2
src=$(cd "$(dirname "$0")" && pwd)
names=("$@")
[ "${#names[@]}" -gt 0 ] || names=(update rules catalog_index deb822 release dpkg_status advisory config request content_head)
targets=()
for n in "${names[@]}"; do targets+=("tests/fuzz/fuzz_$n"); done
ninja -C "$build" "${targets[@]}" >/dev/null
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
bad=0
for n in "${names[@]}"; do
	corpus=$build/corpus/$n
	crashes=$build/crashes/$n
	mkdir -p "$corpus" "$crashes"
	log=$build/fuzz-$n.log
	rc=0
	"$build/tests/fuzz/fuzz_$n" -max_total_time="$secs" -timeout=20 \
		-rss_limit_mb=3072 -max_len=65536 -print_final_stats=1 \
		-artifact_prefix="$crashes/" "$corpus" "$src/seeds/$n" \
		$( [ -d "$src/crashes/$n" ] && echo "$src/crashes/$n") >"$log" 2>&1 || rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	if [ "$rc" -ne 0 ]; then
		echo "fuzz $n: FAILED after ${runs:-?} runs (log $log, input in $crashes/)"
		grep -m 3 -E "ERROR|runtime error|SUMMARY" "$log" || true
		bad=1
	else
		echo "fuzz $n: ${runs:-?} runs in ${secs}s, no crash"
	fi
done
exit "$bad"
