#!/usr/bin/env bash
# The benchmarks in smoke mode (tiny sizes, about 20 s): every scenario of
# bench/run.sh must run to the end, so the benchmarks cannot rot. Figures
# are printed, never asserted. A reference peer (nginx, reprepro, apt-get)
# that is not installed is skipped with a message; wrk is needed.
set -euo pipefail
BUILD_DIR=${BUILD_DIR:-$PWD/build}
SOURCE_ROOT=${SOURCE_ROOT:-$PWD}
exec "$SOURCE_ROOT/bench/run.sh" --smoke "$BUILD_DIR"
