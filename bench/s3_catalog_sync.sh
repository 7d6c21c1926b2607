#!/usr/bin/env bash
# Scenario 3, catalog sync: a generated catalog origin of REVISIONS update
# revisions (one per update) synced by a fresh sluiced from file://
# (metadata only, storage mode none), then the origin gets 1% new
# revisions and is synced again. Measured on the sluiced process: wall time
# from POST /v1/admin/sync to the history row's success, CPU time (user +
# system from /proc/PID/stat, before and after) and peak RSS (VmHWM, reset
# through /proc/PID/clear_refs before each sync).
#
# Reference: reprepro mirroring ("update") a Debian repository of the same
# number of packages from file://, then the same repository with 1% of the
# packages at a new version. Like the sluice sync it verifies what it
# fetches (sizes and SHA-256 of the package files against the Packages
# index) and records everything in its database; unlike it, it copies the
# package files into its pool (a few bytes each here) and has no
# per-package signature to check (one signed Release covers the index;
# this run uses VerifyRelease: blindtrust since the repository is local).
SCEN=s3
. "$(dirname "$0")/lib.sh"

if [ "$SMOKE" = 1 ]; then
	REVISIONS=200
else
	REVISIONS=100000
fi
CHANGED=$((REVISIONS / 100))
D=$WORK/s3
mkdir -p "$D"

t0=$(now_s)
KEY=$(gen_origin "$D/origin" "$REVISIONS" 0 1)
log "generated $REVISIONS revisions in $(calc "$(now_s) - $t0") s"
start_sluiced "$D/data" "[upstream]
url = file://$D/origin/public
trusted_keys = $KEY
syncs_per_day = 0
[storage]
mode = none"

# measure_sync LABEL: one sync, three rows.
S_WALL=() S_CPU=() S_RSS=()
measure_sync() {
	local c0 c1
	proc_hwm_reset "$SL_PID"
	c0=$(proc_cpu "$SL_PID")
	sync_and_wait
	c1=$(proc_cpu "$SL_PID")
	S_WALL+=("$SYNC_WALL")
	S_CPU+=("$(calc "$c1 - $c0")")
	S_RSS+=("$(calc "$(proc_hwm "$SL_PID") / 1024")")
	log "sync: wall $SYNC_WALL s, CPU $(calc "$c1 - $c0") s, peak RSS ${S_RSS[-1]} MB"
}
measure_sync
n=$(sqlite3 "$D/data/sluice.db" 'SELECT count(*) FROM updates')
[ "$n" = "$REVISIONS" ] || die "the server holds $n revisions, not $REVISIONS"
# Once the sync has ended (the history row is written just before its
# memory is freed and handed back), what the process still holds.
wait_idle "$SL_PID" 10
HELD=$(awk '/^VmRSS:/ { printf "%.1f", $2 / 1024 }' "/proc/$SL_PID/status")
log "sluiced holds $HELD MB after the sync"
t0=$(now_s)
gen_origin "$D/origin" "$REVISIONS" "$CHANGED" 2 >/dev/null
log "added $CHANGED revisions in $(calc "$(now_s) - $t0") s"
# A fresh process, so the peak is this sync's and not memory the first
# one left allocated.
stop_sluiced
start_sluiced "$D/data" "[upstream]
url = file://$D/origin/public
trusted_keys = $KEY
syncs_per_day = 0
[storage]
mode = none"
measure_sync
n=$(sqlite3 "$D/data/sluice.db" 'SELECT count(*) FROM updates WHERE revision = 2')
[ "$n" = "$CHANGED" ] || die "the server holds $n new revisions, not $CHANGED"
stop_sluiced

R_WALL=(- -) R_CPU=(- -) R_RSS=(- -)
if have reprepro && [ -x /usr/bin/time ]; then
	"$GEN" --deb-repo "$D/debs" --updates "$REVISIONS" ||
		die "generating the Debian repository failed"
	mkdir -p "$D/mirror/conf"
	cat >"$D/mirror/conf/distributions" <<EOF
Codename: bench
Architectures: amd64
Components: main
Update: upstream
EOF
	cat >"$D/mirror/conf/updates" <<EOF
Name: upstream
Method: file://$D/debs
Suite: bench
Components: main
Architectures: amd64
VerifyRelease: blindtrust
EOF
	for k in 0 1; do
		if [ "$k" = 1 ]; then
			"$GEN" --deb-repo "$D/debs" --updates "$REVISIONS" \
				--revised "$CHANGED" || die "generating failed"
		fi
		/usr/bin/time -f '%e %U %S %M' -o "$D/rr.time" \
			reprepro -b "$D/mirror" --noskipold update \
			>"$D/rr.log" 2>&1 ||
			die "reprepro update failed: $(tail -n 2 "$D/rr.log")"
		read -r w u s m <"$D/rr.time"
		R_WALL[k]=$w
		R_CPU[k]=$(calc "$u + $s")
		R_RSS[k]=$(calc "$m / 1024")
		log "reprepro: wall $w s, CPU ${R_CPU[k]} s, peak RSS ${R_RSS[k]} MB"
	done
	n=$(reprepro -b "$D/mirror" list bench | grep -c ' 1\.0\.2-1$' || true)
	[ "$n" = "$CHANGED" ] || die "reprepro holds $n new versions, not $CHANGED"
else
	log "reprepro or /usr/bin/time is not installed: no reference"
fi

L="3 catalog sync (vs reprepro)"
for k in 0 1; do
	if [ "$k" = 0 ]; then
		what="from scratch, $REVISIONS revisions"
	else
		what="+1% ($CHANGED new revisions)"
	fi
	# Goals: from scratch under 10 s and 100 MB; +1% no slower than
	# reprepro on the same change.
	g_wall=ratio\<=1 g_rss=-
	[ "$k" = 0 ] && g_wall=sluice\<10 g_rss=sluice\<100
	row "$L" "$what: wall s" "${S_WALL[k]}" "${R_WALL[k]}" "$g_wall"
	row "$L" "$what: CPU s" "${S_CPU[k]}" "${R_CPU[k]}" -
	row "$L" "$what: peak RSS MB" "${S_RSS[k]}" "${R_RSS[k]}" "$g_rss"
	if [ "$k" = 0 ]; then
		row "$L" "$what: sluiced RSS still held after it, MB" "$HELD" - -
	fi
done
