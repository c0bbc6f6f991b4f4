#!/usr/bin/env bash
# pg-cluster.sh start DIR | stop DIR
#
# A throwaway PostgreSQL server for the tests, make bench and make
# demo-team: initdb into DIR/data (as the postgres user when run as root,
# since PostgreSQL refuses to run as root), listening on a free 127.0.0.1
# port and a socket in DIR, with fsync off. TCP connections need a
# password (scram-sha-256; the superuser's is in DIR/password, mode 0600);
# the socket trusts. start prints the superuser's URL without the
# password: give it with PGPASSWORD or ~/.pgpass. stop ends the server by
# the PID it wrote. Needs Debian's postgresql (any version's binaries).
set -euo pipefail
cmd=${1:-} dir=${2:-}
if [ -z "$cmd" ] || [ -z "$dir" ]; then
	echo "usage: $0 start DIR | stop DIR" >&2
	exit 2
fi

bindir() {
	local d
	if command -v pg_config >/dev/null && d=$(pg_config --bindir) && [ -x "$d/initdb" ]; then
		echo "$d"
		return
	fi
	d=$(find /usr/lib/postgresql -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -1)
	if [ -z "$d" ] || [ ! -x "$d/initdb" ]; then
		echo "$0: PostgreSQL's initdb not found; apt-get install postgresql" >&2
		exit 1
	fi
	echo "$d"
}

# as_owner runs a PostgreSQL program as the user that owns DIR.
as_owner() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 20000))
		(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
	done
}

stop() {
	local pid
	[ -s "$dir/data/postmaster.pid" ] || return 0
	pid=$(head -1 "$dir/data/postmaster.pid")
	kill -INT "$pid" 2>/dev/null || return 0 # fast shutdown
	for _ in $(seq 100); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
}

case "$cmd" in
start)
	bin=$(bindir)
	mkdir -p "$dir"
	dir=$(cd "$dir" && pwd)
	[ "$(id -u)" = 0 ] && chown postgres: "$dir"
	umask 077
	head -c 18 /dev/urandom | base64 | tr -d '/+=' >"$dir/password"
	[ "$(id -u)" = 0 ] && chown postgres: "$dir/password"
	as_owner "$bin/initdb" -D "$dir/data" -U postgres --pwfile="$dir/password" \
		--auth-local=trust --auth-host=scram-sha-256 -E UTF8 --no-sync >"$dir/initdb.log" 2>&1 ||
		{ cat "$dir/initdb.log" >&2; exit 1; }
	port=$(free_port)
	as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
		-o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
		start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
	echo "$port" >"$dir/port"
	echo "postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
	;;
stop)
	stop
	;;
*)
	echo "usage: $0 start DIR | stop DIR" >&2
	exit 2
	;;
esac
