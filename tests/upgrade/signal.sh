#!/usr/bin/env bash
# SIGTERM during a migration: the statement is cancelled, the transaction rolled back, the
# lock released, exit 128+15 within a second. SIGINT the same during a no-transaction file.
TEST_NAME=signal
. "$SRCDIR/tests/upgrade/lib.sh"

printf 'CREATE TABLE half (x int);\nSELECT pg_sleep(30);\n' >"$MIG/0001_slow.sql"

"$SLIPWAY" -c "$CONF" --upgrade >"$LOG" 2>&1 &
pid=$!
wait_running '%pg_sleep(30)%'
ok $? "the migration is running"
signal_and_wait "$pid" TERM
is "$RC" 143 "exit 128+SIGTERM"
[ "$ELAPSED" -lt 1000 ]
ok $? "exited within a second of SIGTERM (${ELAPSED} ms)"
is "$(q "SELECT to_regclass('half') IS NULL")" t "nothing was committed"
is "$(q "SELECT count(*) FROM slipway_migrations")" 0 "no history row"
is "$(advisory_locks)" 0 "the lock is free"
is "$(running '%pg_sleep(30)%')" 0 "the statement was cancelled"

printf -- '-- slipway:no-transaction\nCREATE TABLE nt (x int);\nSELECT pg_sleep(30);\n' \
    >"$MIG/0001_slow.sql"
"$SLIPWAY" -c "$CONF" --upgrade >"$LOG" 2>&1 &
pid=$!
wait_running '%pg_sleep(30)%'
ok $? "the no-transaction migration is running"
signal_and_wait "$pid" INT
is "$RC" 130 "exit 128+SIGINT"
is "$(q "SELECT statements_done || ' ' || success FROM slipway_migrations WHERE version = '{1}'")" \
    "1 false" "the first statement is recorded, the cancelled one is not"
is "$(advisory_locks)" 0 "the lock is free"

printf -- '-- slipway:no-transaction\nCREATE TABLE nt (x int);\nSELECT 1;\n' >"$MIG/0001_slow.sql"
sw --upgrade
is "$RC" 0 "the rerun converges"
like "$OUT" "resuming at statement 2 of 2" "resuming after the interrupted statement"

done_testing
