#!/usr/bin/env bash
# Every option printed by --print-config-template (the binaries' option
# tables) is described in the matching .conf(5) page, under its section.
set -euo pipefail
man_dir=$1
BUILD_DIR=${BUILD_DIR:-$PWD/build}
bad=0

check() {
	local bin=$1 page=$2 section='' line name
	while IFS= read -r line; do
		case $line in
		'['*']') section=${line#[}; section=${section%]} ;;
		'#'[a-z]*' ='*)
			name=${line#\#}; name=${name%% =*}
			# the page's "# SECTION [s]" block holds "*name* = "
			if ! awk -v s="# SECTION [$section]" -v n="*$name* = " '
				index($0, "# SECTION [") == 1 { in_s = ($0 == s) }
				in_s && index($0, n) == 1 { found = 1 }
				END { exit !found }' "$man_dir/$page"; then
				echo "FAIL: $page: option $section.$name is not described" >&2
				bad=1
			fi ;;
		esac
	done < <("$bin" --print-config-template)
}

check "$BUILD_DIR/src/server/sluiced" sluiced.conf.5.scd
check "$BUILD_DIR/src/agent/sluice-agent" sluice-agent.conf.5.scd
[ "$bad" -eq 0 ] && echo "every option is in the .conf(5) pages"
exit "$bad"
