#!/usr/bin/env bash
# Throwaway signed apt archives for the apt unit tests and the s6
# benchmark: a key in a private GNUPGHOME, compressed indexes, a Release
# listing their SHA-256 and an InRelease (or Release.gpg) signed by gpg.
#
#   apt_fixture.sh key HOME NAME KEYRING       new key; binary keyring out
#   apt_fixture.sh compress FILE...            FILE.xz and FILE.gz beside
#   apt_fixture.sh release ROOT SUITE ARCHS COMPONENTS [EXTRA-LINE]...
#                                              (Date: $APT_FIXTURE_DATE or now)
#   apt_fixture.sh sign ROOT SUITE HOME inline|detached
#   apt_fixture.sh stop HOME                   stop HOME's gpg-agent
set -euo pipefail
cmd=$1
shift
case $cmd in
key)
	home=$1 name=$2 out=$3
	mkdir -p -m 700 "$home"
	GNUPGHOME=$home gpg --batch --quiet --passphrase '' \
		--quick-gen-key "$name <apt-test@example.invalid>" ed25519 sign never \
		2>/dev/null
	GNUPGHOME=$home gpg --batch --quiet --export >"$out"
	;;
compress)
	for f in "$@"; do
		xz -kf -T1 "$f"
		gzip -kf -n "$f"
	done
	;;
release)
	root=$1 suite=$2 archs=$3 comps=$4
	shift 4
	d=$root/dists/$suite
	{
		echo "Origin: Test"
		echo "Label: Test"
		echo "Suite: $suite"
		echo "Codename: ${suite%%-*}"
		echo "Version: 12"
		echo "Date: ${APT_FIXTURE_DATE:-$(LC_ALL=C date -u '+%a, %d %b %Y %H:%M:%S UTC')}"
		for x in "$@"; do echo "$x"; done
		echo "Architectures: $archs"
		echo "Components: $comps"
		echo "Description: test archive"
		echo "SHA256:"
		(cd "$d" && find . -type f ! -name 'Release*' ! -name InRelease |
			sed 's|^\./||' | sort | while read -r f; do
			printf ' %s %16s %s\n' "$(sha256sum <"$f" | cut -d' ' -f1)" \
				"$(stat -c %s "$f")" "$f"
		done)
	} >"$d/Release"
	rm -f "$d/InRelease" "$d/Release.gpg"
	;;
sign)
	root=$1 suite=$2 home=$3 mode=$4
	d=$root/dists/$suite
	if [ "$mode" = inline ]; then
		GNUPGHOME=$home gpg --batch --quiet --yes --clearsign \
			-o "$d/InRelease" "$d/Release"
	else
		GNUPGHOME=$home gpg --batch --quiet --yes -abs \
			-o "$d/Release.gpg" "$d/Release"
	fi
	;;
stop)
	GNUPGHOME=$1 gpgconf --kill gpg-agent 2>/dev/null || true
	;;
*)
	echo "apt_fixture.sh: unknown command $cmd" >&2
	exit 2
	;;
esac
