#!/usr/bin/env bash
# Start a throwaway PostgreSQL (Debian's postgresql package, no Docker) in a temporary folder,
# listening on 127.0.0.1 with a free port; stop it and delete everything on exit.
#   scripts/pg-test.sh                  # print the DSN, keep running until Ctrl-C
#   scripts/pg-test.sh CMD [ARGS...]    # run CMD with PG_DSN set, then stop
# Example: scripts/pg-test.sh sh -c 'bin/sohoa-central --data /tmp/c --db "$PG_DSN"'
# (The Go tests do the same by themselves, via sync/store/pgtest.)
set -euo pipefail
bin=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
	echo "pg-test: PostgreSQL server binaries not found: run 'make setup' (Debian package postgresql) or set PG_BIN" >&2
	exit 1
fi
dir=$(mktemp -d /tmp/sohoa-pg-XXXXXX)
as=()
user=$(id -un)
if [ "$(id -u)" = 0 ]; then # PostgreSQL refuses to run as root
	chown postgres:postgres "$dir"
	as=(setpriv --reuid=postgres --regid=postgres --init-groups --)
	user=postgres
fi
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cleanup() {
	"${as[@]}" "$bin/pg_ctl" stop -D "$dir/data" -m fast -w >/dev/null 2>&1 || true
	rm -rf "$dir"
}
trap cleanup EXIT
"${as[@]}" "$bin/initdb" -D "$dir/data" -U "$user" --auth=trust -E UTF8 --locale=C.UTF-8 --no-sync >"$dir/initdb.log" 2>&1 ||
	{ cat "$dir/initdb.log" >&2; exit 1; }
"${as[@]}" "$bin/pg_ctl" start -D "$dir/data" -l "$dir/postgres.log" -w \
	-o "-k $dir -h 127.0.0.1 -p $port -c fsync=off -c synchronous_commit=off" >/dev/null ||
	{ cat "$dir/postgres.log" >&2; exit 1; }
"${as[@]}" "$bin/createdb" -h 127.0.0.1 -p "$port" -U "$user" sohoa
export PG_DSN="postgres://$user@127.0.0.1:$port/sohoa?sslmode=disable"
if [ $# -eq 0 ]; then
	echo "$PG_DSN"
	echo "pg-test: running; Ctrl-C stops it and deletes $dir" >&2
	trap 'exit 0' INT TERM
	while sleep 3600; do :; done
else
	"$@"
fi
