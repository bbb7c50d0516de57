#!/usr/bin/env bash
# Proves: when slipway has exited after a stop signal, the statement it was running is gone
# from the server, not left running on an orphaned backend while the next upgrader starts.
# SIGTERM during `SELECT pg_sleep(30)`; SIGTERM during a statement that swallows the cancel
# (a PL/pgSQL loop catching query_canceled: only terminating its backend stops it); SIGKILL
# of slipway during a long statement (the backend notices the dead client by itself,
# client_connection_check_interval). Checked the moment slipway's exit is seen, no sleeps:
# no backend runs the statement, nothing was committed, no lock is left; a rerun then ends in
# the same state as an uninterrupted run.
TEST_NAME=stopgone
. "$SRCDIR/tests/upgrade/lib.sh"
. "$SRCDIR/tests/faults/lib.sh"
REF=${DB}_ref
UP=
cleanup_all() {
    [ -n "$UP" ] && kill -KILL "$UP" 2>/dev/null
    dropdb --if-exists --force "$REF" 2>/dev/null
    cleanup_db
}
trap cleanup_all EXIT

active() { q "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND state = 'active' AND query LIKE '%$1%' AND pid <> pg_backend_pid()"; }
is_active() { [ "$(active "$1")" -gt 0 ]; }
gone() { [ "$(active "$1")" = 0 ]; }

printf 'CREATE TABLE done (version int);\n' >"$MIG/0001_done.sql"
FINAL=$TMP/0002_final.sql
printf 'INSERT INTO done VALUES (2);\n' >"$FINAL"

# stop_during NAME SQL SIGNAL: runs a set whose second file is SQL, sends SIGNAL once the
# statement marked NAME is active on the server; sets RC to slipway's exit code.
stop_during() {
    printf '%s\n' "$2" >"$MIG/0002_final.sql"
    "$SLIPWAY" -c "$CONF" --upgrade >"$LOG" 2>&1 &
    UP=$!
    wait_until 20000 is_active "$1"
    ok $? "$1: the statement runs"
    kill -"$3" "$UP"
    wait "$UP"
    RC=$?
    UP=
}

stop_during sleep30 'INSERT INTO done VALUES (2); SELECT pg_sleep(30) AS sleep30;' TERM
is "$(active sleep30)" 0 "SIGTERM during pg_sleep: when slipway has exited, the statement is gone"
is "$RC" 143 "exit 128+SIGTERM"
is "$(q "SELECT count(*) FROM done")" 0 "nothing of the file committed"
is "$(advisory_locks)" 0 "no lock left"

stop_during swallow "INSERT INTO done VALUES (2); DO \$\$ BEGIN LOOP BEGIN PERFORM pg_sleep(30); EXCEPTION WHEN query_canceled THEN RAISE NOTICE 'swallow'; END; END LOOP; END \$\$;" TERM
is "$(active swallow)" 0 "SIGTERM during a statement that ignores the cancel: when slipway has exited, it is gone"
is "$RC" 143 "exit 128+SIGTERM"
is "$(q "SELECT count(*) FROM done")" 0 "nothing of the file committed"
is "$(advisory_locks)" 0 "no lock left"

stop_during sleep120 'INSERT INTO done VALUES (2); SELECT pg_sleep(120) AS sleep120;' KILL
is "$RC" 137 "SIGKILL"
wait_until 20000 gone sleep120
ok $? "SIGKILL during pg_sleep(120): the backend notices its client is gone and stops"
is "$(q "SELECT count(*) FROM done")" 0 "nothing of the file committed"
is "$(advisory_locks)" 0 "no lock left"

cp "$FINAL" "$MIG/0002_final.sql"
sw --upgrade
is "$RC" 0 "the rerun applies the set"
createdb "$REF" || { echo "Bail out! createdb $REF"; exit 1; }
DB=$REF CONF=$TMP/ref.ini write_config
CONF=$TMP/ref.ini sw --upgrade
is "$RC" 0 "reference: an uninterrupted upgrade"
same_state "$REF" "$DB" "stopped runs and a rerun: same state as an uninterrupted run"

done_testing
