#!/usr/bin/env bash
# The termination message: --upgrade, task and serve mode write their one-line summary (and,
# after a failure, the first error) to $SLIPWAY_TERMINATION_LOG, or to /dev/termination-log when
# it exists; health does not touch it; an empty SLIPWAY_TERMINATION_LOG turns it off.
# No `set -e`: TAP assertions test exit statuses.
TEST_NAME=termination
. "$SRCDIR/tests/upgrade/lib.sh"

TERM_LOG=$TMP/termination-log
export SLIPWAY_TERMINATION_LOG=$TERM_LOG
msg() { cat "$TERM_LOG" 2>/dev/null; }

write_config '[task "seed"]' 'command = true' 'version = 1' \
    '[task "broken"]' "command = sh -c 'exit 3'" 'version = 1' 'required = false'
printf 'CREATE TABLE a (id int);\n' >"$MIG/0001_a.sql"
printf 'CREATE TABLE b (id int);\n' >"$MIG/0002_b.sql"

sw task seed
is "$RC" 0 "task seed runs"
like "$(msg)" "task 'seed' done in " "task: the summary is written (file created)"
like "$(msg)" ", version 1 recorded" "task: with the version"
is "$(wc -l <"$TERM_LOG")" 1 "one line"
sw task broken
is "$RC" 1 "task broken fails"
is "$(msg)" "task 'broken' failed: exited with status 3" "task: the failure"

sed -i '/broken/,$d' "$CONF"
sw --upgrade
is "$RC" 0 "upgrade"
like "$(msg)" "upgrade done: 2 migrations applied in " "upgrade: the summary"
like "$(msg)" "s, schema version 2" "upgrade: with the schema version"
sw --upgrade
is "$(msg)" "nothing to do: schema version 2" "a second upgrade: nothing to do"

printf 'CREATE TABLE c (id int);\n' >"$MIG/0003_c.sql"
printf 'CREATE TABLE d (id int);\nSELECT nope;\n' >"$MIG/0004_d.sql"
printf 'CREATE TABLE e (id int);\n' >"$MIG/0005_e.sql"
sw --upgrade
is "$RC" 1 "a failing migration: exit 1"
like "$(msg)" "upgrade failed at 0004_d.sql after 1 of 3 migrations in " "failure: where, how far"
like "$(msg)" "s, schema version 3, 2 pending: 0004_d.sql:2: " "failure: the figures, then the file and line"
like "$(msg)" 'column "nope" does not exist' "failure: the server's error"
is "$(wc -l <"$TERM_LOG")" 1 "still one line"

# health is a probe: it must not overwrite the message of the container's main process.
echo keep >"$TERM_LOG"
sw health
is "$(msg)" keep "health leaves the message alone"
SLIPWAY_TERMINATION_LOG= "$SLIPWAY" -c "$CONF" --upgrade >/dev/null 2>&1
is "$(msg)" keep "an empty SLIPWAY_TERMINATION_LOG writes nothing"

printf '[serve]\nbogus = 1\n' >"$TMP/bad.ini"
"$SLIPWAY" -c "$TMP/bad.ini" --upgrade 2>/dev/null
is "$?" 2 "a config error: exit 2"
is "$(msg)" "$TMP/bad.ini:2: unknown key 'bogus' in [serve]" "the config error is the message"

"$SLIPWAY" -c /dev/null -- sh -c 'exit 3' 2>/dev/null
is "$?" 3 "serve: the server's exit code"
is "$(msg)" "server exited with status 3: exit code 3" "serve: how the server ended"
"$SLIPWAY" -c /dev/null -- sh -c 'kill -9 $$' 2>/dev/null
is "$?" 137 "serve: killed"
is "$(msg)" "server killed by signal 9: exit code 137" "serve: the signal"
"$SLIPWAY" -c /dev/null -- /no/such/server 2>/dev/null
is "$?" 127 "serve: not found"
like "$(msg)" "exit code 127: cannot run '/no/such/server'" "serve: with the cause"

# A wait for the upgrade lock is in the summary: a Job has no /metrics to show it. psql holds
# the lock; the waiter's second lock_waiting report (waited_ms 5000, after ten 500 ms polls)
# is the event that proves it waited at least 5 s; then the holder's session is ended.
hold_lock() {
    psql -X -q -d "$DB" -c "SELECT pg_advisory_lock(1936484720, hashtext('slipway_migrations'))" \
        -c "SELECT pg_sleep(60)" >/dev/null 2>&1 &
    HOLDER=$!
    wait_for 10 eval '[ "$(advisory_locks)" = 1 ]'
    ok $? "psql holds the upgrade lock"
}
end_holder() {
    q "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'psql' AND pid <> pg_backend_pid()" >/dev/null
    wait "$HOLDER" 2>/dev/null
}
# json_field FILE EVENT FIELD: FIELD of the last EVENT line in FILE (JSON log).
json_field() {
    python3 -c 'import json, sys
v = [json.loads(l) for l in open(sys.argv[1])]
print([e for e in v if e["event"] == sys.argv[2]][-1].get(sys.argv[3], "absent"))' "$@"
}
printf 'CREATE TABLE d (id int);\n' >"$MIG/0004_d.sql"
hold_lock
"$SLIPWAY" -c "$CONF" --log-format json --upgrade 2>"$TMP/waiter.log" &
waiter=$!
wait_for 60 grep -q '"event":"lock_waiting".*"waited_ms":5000' "$TMP/waiter.log"
ok $? "the upgrader reports 5 s of waiting for the lock"
end_holder
wait_exit "$waiter" 30
is "$RC" 0 "it upgrades once the holder is gone"
like "$(msg)" "upgrade done: 2 migrations applied in " "the summary after a wait"
waited=$(sed -n 's/.*, waited \([0-9.]*\) s for the lock$/\1/p' "$TERM_LOG")
awk -v w="$waited" 'BEGIN { exit !(w != "" && w >= 5.0) }'
ok $? "the summary names the wait: at least 5 s (${waited:-none})"
ms=$(json_field "$TMP/waiter.log" upgrade_done lock_wait_ms)
[ "$ms" -ge 5000 ] 2>/dev/null
ok $? "upgrade_done carries lock_wait_ms >= 5000 ($ms)"
sw --log-format json --upgrade
is "$(json_field "$LOG" upgrade_nothing_to_do lock_wait_ms)" 0 "no wait: lock_wait_ms 0"
unlike "$(msg)" "for the lock" "no wait: the summary does not mention the lock"

# Stopped while waiting: the summary says how long it waited.
printf 'CREATE TABLE g (id int);\n' >"$MIG/0006_g.sql"
hold_lock
"$SLIPWAY" -c "$CONF" --log-format json --upgrade 2>"$TMP/waiter.log" &
waiter=$!
wait_for 30 grep -q '"event":"lock_waiting"' "$TMP/waiter.log"
ok $? "a second upgrader waits"
signal_and_wait "$waiter" TERM
is "$RC" 143 "SIGTERM while waiting: exit 143"
like "$(msg)" "stopped by signal 15 after waiting " "the summary: stopped while waiting"
like "$(msg)" " s for the upgrade lock" "the summary: how long"
is "$(json_field "$TMP/waiter.log" lock_wait_stopped signal)" 15 "event lock_wait_stopped: the signal"
ms=$(json_field "$TMP/waiter.log" lock_wait_stopped waited_ms)
[ "$ms" -ge 0 ] 2>/dev/null
ok $? "event lock_wait_stopped: waited_ms is a number ($ms)"
end_holder

# The default path, when it exists: a /dev of our own in a private mount namespace (root).
unset SLIPWAY_TERMINATION_LOG
if [ ! -e /dev/termination-log ]; then
    out=$("$SLIPWAY" -c "$CONF" task seed 2>&1)
    unlike "$out" "termination" "no /dev/termination-log: nothing written, nothing said"
fi
if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null; then
    mkdir "$TMP/dev"
    cp -a /dev/null /dev/urandom "$TMP/dev/"
    : >"$TMP/dev/termination-log"
    unshare --mount --propagation private sh -c \
        'mount --bind "$1/dev" /dev && "$2" -c "$3" task seed' sh "$TMP" "$SLIPWAY" "$CONF" >/dev/null 2>&1
    is "$?" 0 "task seed with a /dev/termination-log"
    like "$(cat "$TMP/dev/termination-log")" "task 'seed' is at version 1 already: nothing to do" \
        "written to /dev/termination-log"
fi

done_testing
