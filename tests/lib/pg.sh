#!/usr/bin/env bash
# A private PostgreSQL for tests and the demo: initdb + pg_ctl in a temp dir as the postgres
# user, no system service. Usage:
#   eval "$(tests/lib/pg.sh start DIR [PORT])"   # prints PGHOST/PGPORT/PGUSER exports
#   tests/lib/pg.sh stop DIR
# The server runs with fsync off (tests need no durability); SLIPWAY_PG_DURABLE=1 starts it
# with fsync, synchronous_commit and full_page_writes on, as users run PostgreSQL (benchmarks).
set -euo pipefail
cmd=${1:?start|stop|restart} dir=${2:?DIR} port=${3:-25432}
bindir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

case "$cmd" in
start)
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres: "$dir"
    as_pg "$bindir/initdb" -D "$dir/data" -U postgres -A trust --no-sync -E UTF8 >"$dir/initdb.log"
    # Sockets in the temp dir; TCP on loopback with passwords, for the auth tests.
    cat >>"$dir/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
CONF
    if [ "${SLIPWAY_PG_DURABLE:-}" = 1 ]; then # later lines of postgresql.conf win
        printf 'fsync = on\nsynchronous_commit = on\nfull_page_writes = on\n' >>"$dir/data/postgresql.conf"
    fi
    cat >"$dir/data/pg_hba.conf" <<HBA
local all all trust
host all postgres 127.0.0.1/32 trust
host all all 127.0.0.1/32 scram-sha-256
HBA
    as_pg "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null
    echo "export PGHOST='$dir' PGPORT=$port PGUSER=postgres PGDATABASE=postgres SLIPWAY_TEST_PGDATA='$dir/data' SLIPWAY_TEST_PGBIN='$bindir'"
    ;;
stop)
    as_pg "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || true
    ;;
restart)
    as_pg "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -m fast -w restart >/dev/null
    ;;
esac
