#!/usr/bin/env bash
# Install the Debian packages Sluice needs to build, test and demo.
# Idempotent and quick when everything is already there: apt-get runs
# (update first, then install) only when a package is missing.
set -euo pipefail

PKGS=(build-essential meson ninja-build pkg-config
      libmicrohttpd-dev libgnutls28-dev libcurl4-openssl-dev libsqlite3-dev libpq-dev
      libjansson-dev libsodium-dev nettle-dev libinih-dev libcmocka-dev
      liblzma-dev zlib1g-dev gpgv gnupg xz-utils
      curl jq sqlite3 dpkg-dev fakeroot python3
      wrk nginx-light reprepro time apt-utils
      libsystemd-dev openssl clang libseccomp-dev python3-aiosmtpd
      postgresql # postgresql: initdb/pg_ctl for tests/pg (no service used)
      haproxy # haproxy: the load balancer of tests/e2e/cluster_*.sh (no service)
      libh2o-evloop-dev) # libh2o: bench/h2o_content, scenario 1's third server
[ "$#" -gt 0 ] && PKGS+=("$@")

missing=()
for p in "${PKGS[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done
[ "${#missing[@]}" -eq 0 ] && exit 0

SUDO=
[ "$(id -u)" -ne 0 ] && SUDO=sudo
echo "deps: installing ${missing[*]}" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
