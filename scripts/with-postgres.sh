#!/usr/bin/env bash
# Runs a command next to a private, throwaway PostgreSQL server (Debian's
# postgresql package): a temporary data directory, loopback on a free port,
# trust auth for the one local user. The command finds the server in
# BACKSTAGE_TEST_POSTGRES_URL; the server is stopped and deleted afterwards.
set -euo pipefail

bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
[ -x "$bin/initdb" ] || { echo "PostgreSQL is not installed (scripts/setup.sh installs it)" >&2; exit 1; }
dir=$(mktemp -d /tmp/backstage-pg.XXXXXX)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
as_owner=()
if [ "$(id -u)" = 0 ]; then
  # PostgreSQL refuses to run as root.
  chown postgres "$dir"
  as_owner=(runuser -u postgres --)
fi

stop() {
  "${as_owner[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap stop EXIT

# UTF-8 with the C library's Unicode case mapping, whatever the caller's LANG:
# there lower('İ') = 'i' (Rust's full mapping gives "i̇"), and the tests check
# that this gives no second spelling of a login name.
"${as_owner[@]}" "$bin/initdb" -D "$dir/data" -U backstage --auth=trust --no-sync \
  --encoding=UTF8 --locale=C.UTF-8 >/dev/null
"${as_owner[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
  -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300" start >/dev/null

export BACKSTAGE_TEST_POSTGRES_URL="postgres://backstage@127.0.0.1:$port/postgres"
"$@"
