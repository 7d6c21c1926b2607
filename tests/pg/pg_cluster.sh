#!/usr/bin/env bash
# A throw-away PostgreSQL cluster for the tests: Debian's initdb + pg_ctl
# run as an unprivileged system user, data and Unix socket in a temporary
# directory, listening on 127.0.0.1 on a free port, trust authentication,
# fsync off. No PostgreSQL service of the machine is used or touched.
#
#   pg_cluster.sh start DIR    create a cluster in DIR (made if missing,
#                              e.g. DIR=$(mktemp -d)) with a database
#                              "sluice", start it and print its URL; a DIR
#                              holding a halted cluster is started again
#                              (same port, same data)
#   pg_cluster.sh url DIR      print the database's URL again
#   pg_cluster.sh halt DIR     stop the server (pg_ctl stop -m fast), keep
#                              the data: "start DIR" brings it back
#   pg_cluster.sh stop DIR     stop the server and remove DIR
#
# PG_BIN overrides /usr/lib/postgresql/15/bin; PG_USER the system user
# (default sluicetest, created when missing) when run as root.
set -euo pipefail

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PG_USER=${PG_USER:-sluicetest}

die() {
	echo "pg_cluster: $*" >&2
	exit 1
}

# Run a command as the cluster's owner (initdb refuses root).
as_owner() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u "$PG_USER" -- "$@"
	else
		"$@"
	fi
}

ensure_user() {
	[ "$(id -u)" -eq 0 ] || return 0
	id "$PG_USER" >/dev/null 2>&1 && return 0
	useradd --system --no-create-home --home-dir /nonexistent \
		--shell /usr/sbin/nologin "$PG_USER" 2>/dev/null ||
		id "$PG_USER" >/dev/null 2>&1 || die "cannot create user $PG_USER"
}

free_port() {
	"$(dirname "${BASH_SOURCE[0]}")/../../scripts/free-port"
}

# Start the server of DIR on its port; fails (log on stderr) if it does not.
pg_ctl_start() {
	local dir=$1 port
	port=$(cat "$dir/port")
	as_owner "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
		-o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
		start >/dev/null && return 0
	tail -n 5 "$dir/server.log" >&2 || true
	return 1
}

cmd_start() {
	local dir=${1:?usage: pg_cluster.sh start DIR} port i
	[ -x "$PG_BIN/initdb" ] || die "$PG_BIN/initdb not found (apt-get install postgresql)"
	ensure_user
	if [ -f "$dir/port" ]; then
		as_owner "$PG_BIN/pg_ctl" -D "$dir/data" status >/dev/null ||
			pg_ctl_start "$dir" || die "server in $dir did not start"
		cmd_url "$dir"
		return
	fi
	mkdir -p "$dir"
	[ -z "$(ls -A "$dir")" ] || die "$dir is neither empty nor a cluster"
	dir=$(cd "$dir" && pwd)
	chmod 0755 "$dir"
	[ "$(id -u)" -eq 0 ] && chown "$PG_USER" "$dir"
	as_owner "$PG_BIN/initdb" -D "$dir/data" -U postgres -A trust \
		-E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 || {
		cat "$dir/initdb.log" >&2
		die "initdb failed in $dir"
	}
	# A free port may be taken before the server binds it: try again.
	for i in 1 2 3; do
		port=$(free_port)
		echo "$port" >"$dir/port"
		pg_ctl_start "$dir" && break
		[ "$i" -lt 3 ] || die "server in $dir did not start"
	done
	as_owner "$PG_BIN/createdb" -h 127.0.0.1 -p "$port" -U postgres sluice ||
		die "createdb failed"
	cmd_url "$dir"
}

cmd_url() {
	local dir=${1:?usage: pg_cluster.sh url DIR}
	[ -f "$dir/port" ] || die "$dir: no cluster"
	echo "postgresql://postgres@127.0.0.1:$(cat "$dir/port")/sluice"
}

cmd_halt() {
	local dir=${1:?usage: pg_cluster.sh halt DIR}
	[ -f "$dir/port" ] || die "$dir: no cluster"
	as_owner "$PG_BIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
}

cmd_stop() {
	local dir=${1:?usage: pg_cluster.sh stop DIR}
	[ -f "$dir/port" ] || die "$dir: no cluster"
	if [ -f "$dir/data/postmaster.pid" ]; then
		as_owner "$PG_BIN/pg_ctl" -D "$dir/data" -m fast -w stop \
			>/dev/null || true
	fi
	rm -rf "$dir"
}

case "${1:-}" in
start) cmd_start "${2:-}" ;;
url) cmd_url "${2:-}" ;;
halt) cmd_halt "${2:-}" ;;
stop) cmd_stop "${2:-}" ;;
*)
	echo "usage: pg_cluster.sh start DIR | url DIR | halt DIR | stop DIR" >&2
	exit 2
	;;
esac
