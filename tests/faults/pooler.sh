#!/usr/bin/env bash
# Proves: an upgrade through a connection pooler or against a hot standby either works or is
# refused before anything runs. A real PgBouncer (started here, in a temp dir, its own port)
# in front of the test PostgreSQL: in session pooling the upgrade works and ends in the state of
# a direct run; in transaction pooling a session advisory lock means nothing, so --upgrade
# exits 3 with one line saying to use a direct connection, and nothing was applied. A hot
# standby (pg_basebackup -R of the test server, started on another port): --upgrade exits 3 at
# once naming pg_is_in_recovery and target_session_attrs=read-write; health still reads there.
TEST_NAME=pooler
. "$SRCDIR/tests/upgrade/lib.sh"
. "$SRCDIR/tests/faults/lib.sh"
REF=${DB}_ref
PGB=$TMP/pgbouncer
STANDBY=$TMP/standby
BINDIR=${SLIPWAY_TEST_PGBIN:-$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)}
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup_all() {
    [ -f "$PGB/pgbouncer.pid" ] && kill "$(cat "$PGB/pgbouncer.pid")" 2>/dev/null
    [ -d "$STANDBY/data" ] && as_pg "$BINDIR/pg_ctl" -D "$STANDBY/data" -m immediate -w stop >/dev/null 2>&1
    dropdb --if-exists --force "$REF" 2>/dev/null
    cleanup_db
}
trap cleanup_all EXIT
chmod 755 "$TMP"
command -v pgbouncer >/dev/null || { echo "Bail out! pgbouncer not installed (tests/packages.txt)"; exit 1; }

printf 'CREATE TABLE runs (version int);\nINSERT INTO runs VALUES (1);\n' >"$MIG/0001_runs.sql"
printf -- '-- slipway:no-transaction\nCREATE TABLE IF NOT EXISTS nt (x int);\nINSERT INTO runs VALUES (2);\n' >"$MIG/0002_nt.sql"
printf 'CREATE TABLE t3 (x int);\nINSERT INTO runs VALUES (3);\n' >"$MIG/0003_t3.sql"

createdb "$REF" || { echo "Bail out! createdb $REF"; exit 1; }
DB=$REF CONF=$TMP/ref.ini write_config
CONF=$TMP/ref.ini sw --upgrade
is "$RC" 0 "reference: a direct upgrade"

# pgbouncer_start MODE: (re)starts PgBouncer in pool mode MODE on its own port, as postgres.
PGB_PORT=$(free_port)
pgbouncer_start() {
    [ -f "$PGB/pgbouncer.pid" ] && kill "$(cat "$PGB/pgbouncer.pid")" 2>/dev/null &&
        wait_until 10000 test ! -e "$PGB/pgbouncer.pid"
    mkdir -p "$PGB"
    printf '"postgres" ""\n' >"$PGB/users.txt"
    cat >"$PGB/pgbouncer.ini" <<INI
[databases]
* = host=$PGHOST port=$PGPORT
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $PGB_PORT
unix_socket_dir =
auth_type = trust
auth_file = $PGB/users.txt
pool_mode = $1
logfile = $PGB/pgbouncer.log
pidfile = $PGB/pgbouncer.pid
INI
    [ "$(id -u)" = 0 ] && chown -R postgres: "$PGB"
    as_pg pgbouncer -d "$PGB/pgbouncer.ini" >/dev/null 2>&1 &&
        wait_until 10000 psql -X -q -h 127.0.0.1 -p "$PGB_PORT" -d "$DB" -c 'select 1' -o /dev/null
}
POOL_CONF=$TMP/pool.ini
cat >"$POOL_CONF" <<INI
[database]
url = host=127.0.0.1 port=$PGB_PORT dbname=$DB user=postgres sslmode=disable
wait = 2s
[migrations]
dir = $MIG
INI

pgbouncer_start transaction
ok $? "PgBouncer runs in transaction mode"
CONF=$POOL_CONF sw --upgrade
is "$RC" 3 "transaction pooling: exit 3"
like "$OUT" "direct connection" "one line says to point --upgrade at a direct connection"
is "$(stray_lines "$OUT")" 0 "only slipway's own one-line messages"
is "$(q "SELECT to_regclass('runs') IS NULL")" t "nothing was applied"

pgbouncer_start session
ok $? "PgBouncer runs in session mode"
CONF=$POOL_CONF sw --upgrade
is "$RC" 0 "session pooling: the upgrade works"
same_state "$REF" "$DB" "through PgBouncer in session mode: same state as a direct run"
CONF=$POOL_CONF sw --upgrade
like "$OUT" "nothing to do" "and a second run through it has nothing to do"

# ---- hot standby -----------------------------------------------------------------------------
SB_PORT=$(free_port)
mkdir -p "$STANDBY"
[ "$(id -u)" = 0 ] && chown postgres: "$STANDBY"
if ! grep -q '^local replication' "$SLIPWAY_TEST_PGDATA/pg_hba.conf" 2>/dev/null; then
    as_pg sh -c "echo 'local replication all trust' >>'$SLIPWAY_TEST_PGDATA/pg_hba.conf'" &&
        psql -X -q -c 'SELECT pg_reload_conf()' -o /dev/null
fi
as_pg "$BINDIR/pg_basebackup" -h "$PGHOST" -p "$PGPORT" -U postgres -D "$STANDBY/data" -R -X stream >"$STANDBY/basebackup.log" 2>&1
ok $? "pg_basebackup -R of the test server"
printf "port = %s\nunix_socket_directories = '%s'\nlisten_addresses = ''\n" "$SB_PORT" "$STANDBY" |
    as_pg sh -c "cat >>'$STANDBY/data/postgresql.conf'"
as_pg "$BINDIR/pg_ctl" -D "$STANDBY/data" -l "$STANDBY/server.log" -w -t 60 start >/dev/null
ok $? "the standby runs"
is "$(psql -X -A -t -q -h "$STANDBY" -p "$SB_PORT" -d "$DB" -c 'SELECT pg_is_in_recovery()')" t \
    "it is in recovery"
wait_until 30000 test "$(psql -X -A -t -q -h "$STANDBY" -p "$SB_PORT" -d "$DB" -c "SELECT count(*) FROM slipway_migrations" 2>/dev/null)" = 3
ok $? "the standby has replayed the upgrade"
SB_CONF=$TMP/standby.ini
sed "s|^url = .*|url = host=$STANDBY port=$SB_PORT dbname=$DB user=postgres|" "$TMP/ref.ini" >"$SB_CONF"
printf 'CREATE TABLE t4 (x int);\n' >"$MIG/0004_t4.sql"
CONF=$SB_CONF sw --upgrade
is "$RC" 3 "an upgrade against the standby: exit 3"
like "$OUT" "target_session_attrs=read-write" "the line suggests target_session_attrs=read-write"
like "$OUT" "pg_is_in_recovery" "and says how it knows"
rm "$MIG/0004_t4.sql"
CONF=$SB_CONF sw health
is "$RC" 0 "health reads from the standby"

done_testing
