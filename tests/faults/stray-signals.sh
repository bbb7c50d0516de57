#!/usr/bin/env bash
# Signals that do not mean "stop" (USR1, USR2, ALRM, PIPE, ...) sent to --upgrade and wait
# while they work: ignored, the work goes on and ends as it would have.
TEST_NAME=strays
. "$SRCDIR/tests/upgrade/lib.sh"
. "$SRCDIR/tests/faults/lib.sh"

STRAYS="USR1 USR2 ALRM PIPE VTALRM PROF IO XFSZ PWR STKFLT RTMIN RTMAX"
send_strays() { for sig in $STRAYS; do kill -$sig "$1" || return 1; done; }

# The migration waits for an advisory lock this test holds, so that it is surely running
# when the signals arrive.
echo "SELECT pg_advisory_xact_lock(4242);" >"$MIG/0001_blocked.sql"
write_config "lock_timeout = 0" # the migration must wait for the test, not give up
coproc HOLDER { psql -X -q -A -t -d "$DB" 2>&1; }
echo "SELECT pg_advisory_lock(4242); SELECT 'held';" >&"${HOLDER[1]}"
while read -r -t 30 line <&"${HOLDER[0]}" && [ "$line" != held ]; do :; done
is "$line" held "the test holds advisory lock 4242"

"$SLIPWAY" -c "$CONF" wait --timeout 120s >"$TMP/wait.log" 2>&1 &
WAITER=$!
"$SLIPWAY" -c "$CONF" --upgrade >"$LOG" 2>&1 &
UPGRADER=$!
wait_running '%pg_advisory_xact_lock(4242)%'
ok $? "the migration is running (blocked on the test's lock)"
send_strays "$UPGRADER" && send_strays "$WAITER"
ok $? "sent $STRAYS to --upgrade and to wait"
kill -0 "$UPGRADER" && kill -0 "$WAITER"
ok $? "both still alive after the signals"
echo "SELECT pg_advisory_unlock(4242); \\q" >&"${HOLDER[1]}"
wait "$UPGRADER"
RC=$?; [ $RC = 0 ] || sed "s/^/# /" "$LOG"; (exit $RC)
is $? 0 "--upgrade finished with exit 0"
is "$(q "SELECT count(*) FROM slipway_migrations WHERE success")" 1 "the migration was applied"
wait "$WAITER"
is $? 0 "wait saw the schema become ready: exit 0"

done_testing
