#!/usr/bin/env bash
# Proves: a database that cannot be used at start is reported with a clear message and the
# spec's exit code, never a crash, a hang or a half-done upgrade, and never with the password
# in the output. Cases: PostgreSQL down (nothing listens on the port), a name that does not
# resolve, a wrong password (scram over TCP), a missing database, a missing role, TLS required
# but the server has ssl off.
#
# What slipway does (asserted below): every one of them is retried with backoff for `wait`
# (the database, the role or the password may be created by another job a moment later), then
# `--upgrade` exits 3 ("a dependency was unreachable within wait") with the last libpq error on
# one line, naming host, port, database and user; `health` answers 1 at once (Docker knows
# only 0 and 1) and `status` exits 3 like --upgrade.
TEST_NAME=connect
. "$SRCDIR/tests/upgrade/lib.sh"
. "$SRCDIR/tests/faults/lib.sh"

ROLE=faults_connect_$$
PW="Right-pw-$$-x"
BAD_PW="Wr0ng-Secret-$$-zz"
psql -X -q -c "CREATE ROLE $ROLE LOGIN PASSWORD '$PW'" ||
    { echo "Bail out! cannot create role $ROLE"; exit 1; }
cleanup_all() {
    cleanup_db
    psql -X -q -c "DROP ROLE IF EXISTS $ROLE" 2>/dev/null
}
trap cleanup_all EXIT
psql -X -q -c "GRANT ALL ON DATABASE $DB TO $ROLE; ALTER DATABASE $DB OWNER TO $ROLE"
printf 'CREATE TABLE applied_marker (x int);\n' >"$MIG/0001_marker.sql"

DEAD_PORT=$(free_port)

# attempt NAME URL: `--upgrade -q` with wait = 1s against URL; sets RC, OUT, MS.
attempt() {
    {
        printf '[database]\nurl = %s\nwait = 1s\nconnect_timeout = 2s\n' "$2"
        printf '[migrations]\ndir = %s\n' "$MIG"
    } >"$TMP/$1.ini"
    local t0
    t0=$(now_ms)
    "$SLIPWAY" -q -c "$TMP/$1.ini" --upgrade >"$TMP/$1.log" 2>&1
    RC=$?
    MS=$(($(now_ms) - t0))
    OUT=$(cat "$TMP/$1.log")
    echo "$OUT" | sed "s/^/#   $1 | /"
}

# check NAME WANT_RC FRAGMENT: the common assertions of one case.
check() {
    is "$RC" "$2" "$1: exit $2"
    [ "$MS" -ge 900 ] && [ "$MS" -lt 15000 ]
    ok $? "$1: gave up after wait = 1s (${MS} ms)"
    like "$(head -n 1 <<<"$OUT")" "$3" "$1: the first line says why"
    is "$(stray_lines "$OUT")" 0 "$1: every line is one of slipway's one-line messages"
    [ "$(wc -l <<<"$OUT")" -le 3 ]
    ok $? "$1: short: $(wc -l <<<"$OUT") lines with -q"
    unlike "$OUT" "$BAD_PW" "$1: the password is not shown"
    unlike "$OUT" "$PW" "$1: nor the right one"
}

nothing_applied() {
    is "$(q "SELECT to_regclass('applied_marker') IS NULL AND to_regclass('slipway_migrations') IS NULL")" t \
        "$1: nothing was applied, no history table created"
}

# ---- PostgreSQL down ---------------------------------------------------------------------
attempt down "host=127.0.0.1 port=$DEAD_PORT dbname=$DB user=$ROLE password=$BAD_PW"
check down 3 "Connection refused"
like "$OUT" "host=127.0.0.1 port=$DEAD_PORT" "down: the message names host and port"
like "$OUT" "unreachable for" "down: and says it stayed unreachable"
"$SLIPWAY" -c "$TMP/down.ini" health >"$TMP/h.log" 2>&1
rc=$?
is "$rc" 1 "down: health says 1 (unhealthy), never 3"
unlike "$(cat "$TMP/h.log")" "$BAD_PW" "down: health does not show the password"
t0=$(now_ms)
"$SLIPWAY" -q -c "$TMP/down.ini" status >"$TMP/s.log" 2>&1
is "$?" 3 "down: status exits 3 after wait ($(($(now_ms) - t0)) ms)"

attempt dns "host=slipway-no-such-host.invalid port=5432 dbname=$DB user=$ROLE password=$BAD_PW"
check dns 3 "slipway-no-such-host.invalid"
like "$OUT" "could not translate host name" "dns: says the name does not resolve"

# ---- wrong password (scram over TCP; URI form too) ---------------------------------------
attempt password "host=127.0.0.1 port=$PGPORT dbname=$DB user=$ROLE password=$BAD_PW"
check password 3 "password authentication failed for user \"$ROLE\""
like "$OUT" "host=127.0.0.1 port=$PGPORT dbname=$DB user=$ROLE" "password: names host, port, database and user"
nothing_applied password
attempt password-uri "postgresql://$ROLE:$BAD_PW@127.0.0.1:$PGPORT/$DB"
check password-uri 3 "password authentication failed"
nothing_applied password-uri

# The right password, to show the role and pg_hba really work (so the cases above failed for
# the reason they say): the upgrade applies.
attempt right "host=127.0.0.1 port=$PGPORT dbname=$DB user=$ROLE password=$PW"
is "$RC" 0 "right password: the upgrade succeeds"
is "$(q "SELECT to_regclass('applied_marker') IS NOT NULL")" t "right password: and applied the migration"
unlike "$OUT" "$PW" "right password: not shown either"
dropdb --force "$DB" && createdb -O "$ROLE" "$DB"

# ---- database or role missing ------------------------------------------------------------
attempt nodb "host=127.0.0.1 port=$PGPORT dbname=nope_$$ user=postgres"
check nodb 3 "database \"nope_$$\" does not exist"
nothing_applied nodb
attempt norole "host=$PGHOST port=$PGPORT dbname=$DB user=nobody_$$"
check norole 3 "role \"nobody_$$\" does not exist"
nothing_applied norole

# ---- TLS required, server without TLS ----------------------------------------------------
attempt tls "host=127.0.0.1 port=$PGPORT dbname=$DB user=$ROLE password=$PW sslmode=require"
check tls 3 "server does not support SSL, but SSL was required"
nothing_applied tls

# ---- host names: slipway looks them up, libpq gets the addresses beside the names ---------
# libpq still sees the name: a passfile line for host "localhost" supplies the password.
printf 'localhost:%s:%s:%s:%s\n' "$PGPORT" "$DB" "$ROLE" "$PW" >"$TMP/pgpass"
chmod 600 "$TMP/pgpass"
PGPASSFILE=$TMP/pgpass attempt passfile "host=localhost port=$PGPORT dbname=$DB user=$ROLE"
is "$RC" 0 "passfile: its line for host name localhost authenticates (libpq still sees the name)"
printf 'otherhost:%s:%s:%s:%s\n' "$PGPORT" "$DB" "$ROLE" "$PW" >"$TMP/pgpass"
PGPASSFILE=$TMP/pgpass attempt passfile-other "host=localhost port=$PGPORT dbname=$DB user=$ROLE"
is "$RC" 3 "passfile: a line for another host name does not (the password came from the file)"
# A host of a list that does not resolve is left out; the next one is tried.
attempt list "host=slipway-no-such-host.invalid,localhost port=$PGPORT dbname=$DB user=$ROLE password=$PW"
is "$RC" 0 "list: the unresolvable first host is skipped, localhost connects"
attempt list-down "host=slipway-no-such-host.invalid,127.0.0.1 port=$DEAD_PORT dbname=$DB user=$ROLE password=$BAD_PW"
check list-down 3 'could not translate host name "slipway-no-such-host.invalid" to address'
like "$OUT" "\"127.0.0.1\", port $DEAD_PORT failed: Connection refused" "list-down: and why the other host failed"

done_testing
