#!/usr/bin/env bash
# A health check stuck on the database (slipway_migrations locked ACCESS EXCLUSIVE by someone):
# `health` gives up within its bounds (connect_timeout) instead of waiting for the lock, and a
# supervisor stopped while its re-check is stuck exits without waiting for it.
TEST_NAME=stuck
. "$SRCDIR/tests/upgrade/lib.sh"

printf 'CREATE TABLE a (id int);\n' >"$MIG/0001_a.sql"
sw --upgrade
is "$RC" 0 "schema upgraded"
write_config '[serve]' "health_socket = $TMP/health.sock" "stop_timeout = 2s"
sed -i "s/^wait = 2s/wait = 2s\nconnect_timeout = 2s/" "$CONF"

coproc HOLDER { psql -X -q -A -t -d "$DB" 2>&1; }
echo "BEGIN; LOCK slipway_migrations IN ACCESS EXCLUSIVE MODE; SELECT 'held';" >&"${HOLDER[1]}"
while read -r -t 30 line <&"${HOLDER[0]}" && [ "$line" != held ]; do :; done
is "$line" held "the test holds slipway_migrations ACCESS EXCLUSIVE"

# Direct health (no supervisor): bounded by connect_timeout, answers 1 while the lock is held.
"$SLIPWAY" -c "$CONF" health >"$LOG" 2>&1 </dev/null
RC=$?
is "$RC" 1 "health against a locked history table: 1 (gives up, does not wait for the lock)"
is "$(q "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE c.relname = 'slipway_migrations' AND l.mode = 'AccessExclusiveLock' AND l.granted")" 1 \
    "the lock was still held when health answered"
like "$(cat "$LOG")" "timeout" "health says it timed out"

# A supervisor without a gate re-checks on the first probe; the re-check gets stuck (for up to
# connect_timeout, 60 s here); TERM must end the supervisor at once, not after the worker.
sed -i "s/^connect_timeout = 2s/connect_timeout = 60s/" "$CONF"
"$SLIPWAY" -c "$CONF" -- sh -c "touch \"$TMP/up\"; exec sleep 1000" 2>"$TMP/sup.log" &
SUP=$!
for _ in $(seq 3000); do [ -f "$TMP/up" ] && [ -S "$TMP/health.sock" ] && break; sleep 0.01; done
ok $? "supervisor up"
"$SLIPWAY" -c "$CONF" health >/dev/null 2>&1 &
PROBE=$!
wait_running '%slipway_migrations%'
ok $? "the supervisor's re-check is blocked on the lock"
signal_and_wait "$SUP" TERM
is "$RC" 143 "TERM: the supervisor exits with the server's 143"
# The re-check cannot finish before the lock is released or its 60 s bound expires.
[ "$ELAPSED" -lt 30000 ]
ok $? "it exited without waiting for the stuck re-check (${ELAPSED} ms after TERM; the re-check's bound is 60 s)"
wait "$PROBE"

echo "ROLLBACK; \\q" >&"${HOLDER[1]}"
done_testing
