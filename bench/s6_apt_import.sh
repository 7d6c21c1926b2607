#!/usr/bin/env bash
# Scenario 6, apt import: `sluice catalog import-apt` of a synthetic signed
# apt archive (bench/gen_aptrepo, signed by tests/unit/apt_fixture.sh with
# a throwaway key) into a fresh catalog, files by URL, then a re-run with
# no change in the archive. Two sizes: the Debian 12 security suite
# (~3,000 binary packages from ~340 sources, amd64 + all) and the full
# bookworm main (~63,000 binaries from ~34,000 sources). Measured on the
# sluice process with /usr/bin/time: wall time (min / median / max over
# ROUNDS) and peak RSS (the largest over the rounds).
SCEN=s6
. "$(dirname "$0")/lib.sh"

GENA=$BUILD_DIR/bench/gen_aptrepo
FIX=$SOURCE_ROOT/tests/unit/apt_fixture.sh
SLUICE=$BUILD_DIR/src/cli/sluice
[ -x "$GENA" ] || die "$GENA is missing (build first)"
[ -x /usr/bin/time ] || die "/usr/bin/time is missing (apt-get install time)"
have gpg && have gpgv && have xz || die "gpg, gpgv and xz are needed"

if [ "$SMOKE" = 1 ]; then
	SIZES="smoke:20:60"
	ROUNDS=1
else
	SIZES="security:340:3000 main:34000:63000"
	ROUNDS=3
fi
D=$WORK/s6
mkdir -p "$D"
"$FIX" key "$D/gnupg" Bench "$D/keyring.gpg" || die "gpg key generation failed"
trap '"$FIX" stop "$D/gnupg"; _bench_cleanup' EXIT

# median MIN MEDIAN MAX of the numbers given
stats() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { printf "%s %s %s", v[1], v[int((NR + 1) / 2)], v[NR] }'; }

# timed OUT_VAR_PREFIX CATALOG SUITE: one import; sets T_WALL T_RSS T_OUT
timed() {
	/usr/bin/time -f '%e %M' -o "$D/time" "$SLUICE" catalog import-apt "$1" \
		--archive "file://$D/repo" --suite "$2" --arch amd64 \
		--keyring "$D/keyring.gpg" >"$D/out" 2>"$D/err" ||
		die "import-apt failed: $(tail -n 2 "$D/err")"
	read -r T_WALL T_RSS <"$D/time"
	T_RSS=$(calc "$T_RSS / 1024")
	T_OUT=$(cat "$D/out")
}

L="6 apt import"
for size in $SIZES; do
	IFS=: read -r name nsrc nbin <<<"$size"
	suite=bookworm-$name
	t0=$(now_s)
	rm -rf "$D/repo"
	"$GENA" --root "$D/repo" --suite "$suite" --sources "$nsrc" \
		--binaries "$nbin" || die "gen_aptrepo failed"
	XZ_OPT=-1 "$FIX" compress "$D/repo/dists/$suite/main/binary-amd64/Packages" \
		"$D/repo/dists/$suite/main/binary-all/Packages" || die "compress failed"
	"$FIX" release "$D/repo" "$suite" "amd64" main &&
		"$FIX" sign "$D/repo" "$suite" "$D/gnupg" inline || die "signing failed"
	psize=$(stat -c %s "$D/repo/dists/$suite/main/binary-amd64/Packages")
	log "$name: $nbin binaries from $nsrc sources, Packages $((psize / 1048576)) MB, generated in $(calc "$(now_s) - $t0") s"
	W1=() W2=() R1=0 R2=0
	for ((k = 0; k < ROUNDS; k++)); do
		rm -rf "$D/cat"
		"$SLUICE" catalog init "$D/cat" >/dev/null || die "catalog init failed"
		timed "$D/cat" "$suite"
		W1+=("$T_WALL")
		R1=$(calc "$T_RSS > $R1 ? $T_RSS : $R1")
		[ "$T_OUT" = "import-apt: $nsrc new, 0 unchanged, 0 superseded" ] ||
			die "unexpected summary: $T_OUT"
		log "$name from scratch: $T_WALL s, peak RSS $T_RSS MB"
		timed "$D/cat" "$suite"
		W2+=("$T_WALL")
		R2=$(calc "$T_RSS > $R2 ? $T_RSS : $R2")
		[ "$T_OUT" = "import-apt: 0 new, $nsrc unchanged, 0 superseded" ] ||
			die "unexpected re-run summary: $T_OUT"
		log "$name re-run: $T_WALL s, peak RSS $T_RSS MB"
	done
	read -r a1 m1 z1 <<<"$(stats "${W1[@]}")"
	read -r a2 m2 z2 <<<"$(stats "${W2[@]}")"
	if [ "$name" = main ]; then goal="sluice<60"; else goal="sluice<10"; fi
	what="$name ($nbin binaries, $nsrc sources)"
	row "$L" "$what: from scratch, median wall s (min $a1, max $z1)" "$m1" - "$goal"
	row "$L" "$what: from scratch, peak RSS MB" "$R1" - -
	row "$L" "$what: re-run, no change, median wall s (min $a2, max $z2)" "$m2" - "$goal"
	row "$L" "$what: re-run, peak RSS MB" "$R2" - -
done
