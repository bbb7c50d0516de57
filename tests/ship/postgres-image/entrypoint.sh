#!/bin/sh
# The official postgres image's entrypoint, reduced to what the examples use: on the first
# start initialise $PGDATA with POSTGRES_USER as superuser, its password (POSTGRES_PASSWORD or
# the file POSTGRES_PASSWORD_FILE) required over TCP, and POSTGRES_DB; then run postgres as
# the postgres user, in the foreground, with the given arguments.
set -eu
[ "${1:-}" = postgres ] || exec "$@"
user=${POSTGRES_USER:-postgres}
db=${POSTGRES_DB:-$user}
if [ -n "${POSTGRES_PASSWORD_FILE:-}" ]; then
    POSTGRES_PASSWORD=$(cat "$POSTGRES_PASSWORD_FILE")
fi
: "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD or POSTGRES_PASSWORD_FILE must be set}"
as_postgres() { setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"; }

chown postgres:postgres "$PGDATA" /run/postgresql
chmod 0700 "$PGDATA"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
    pwfile=$(mktemp)
    printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
    chown postgres "$pwfile"
    as_postgres initdb -D "$PGDATA" -U "$user" --pwfile="$pwfile" -E UTF8 \
        --auth-local=trust --auth-host=scram-sha-256 >/dev/null
    rm -f "$pwfile"
    echo "listen_addresses = '*'" >>"$PGDATA/postgresql.conf"
    echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
    if [ "$db" != postgres ]; then
        echo "CREATE DATABASE \"$db\" OWNER \"$user\"" |
            as_postgres postgres --single -D "$PGDATA" -j postgres >/dev/null
    fi
    echo "docker-entrypoint.sh: initialised $PGDATA (user $user, database $db)"
fi
shift
exec setpriv --reuid=postgres --regid=postgres --init-groups -- postgres -D "$PGDATA" "$@"
