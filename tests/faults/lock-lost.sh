#!/usr/bin/env bash
# Proves: the upgrade lock and the work share one database session, so the lock cannot be lost
# while the work goes on. The lock session is terminated (pg_terminate_backend) during a slow
# no-transaction statement and during a 5 s task, with a second upgrader waiting; and a
# server-side idle_session_timeout of 2 s is set on the database while two upgraders race
# through a slow no-transaction migration. Every time: each statement and each task ran once
# (a task never overlaps with the next upgrader's), the upgrader that lost its session exits 1
# saying so, and the final schema dump, history and data equal an uninterrupted run's.
TEST_NAME=locklost
. "$SRCDIR/tests/upgrade/lib.sh"
. "$SRCDIR/tests/faults/lib.sh"
PIDS=()
REF=${DB}_ref
cleanup_all() {
    for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
    dropdb --if-exists --force "$REF" 2>/dev/null
    cleanup_db
}
trap cleanup_all EXIT

# The task: holds an flock for its whole life (sleep inherits the descriptor), so a second
# copy that starts while the first still runs finds the lock taken and says so.
TASK=$TMP/task.sh
cat >"$TASK" <<EOF
#!/bin/sh
exec 9>>"$TMP/task.lock"
flock -n 9 || echo overlap >>"$TMP/overlaps"
echo "# \$\$ \$(date +%T.%N) start" >>"$TMP/trace"
echo start >>"$TMP/starts"
sleep 5
echo done >>"$TMP/dones"
EOF
chmod +x "$TASK"

printf 'CREATE TABLE runs (id serial PRIMARY KEY, version int);\n' >"$MIG/0001_runs.sql"
printf -- '-- slipway:no-transaction\nSELECT pg_sleep(4) AS slow_notx;\nINSERT INTO runs (version) VALUES (2);\n' \
    >"$MIG/0002_slow.sql"
write_config "[task \"slow\"]" "command = $TASK" "version = 1"
cp "$CONF" "$TMP/db.ini"

# reference STATE_DB: one uninterrupted upgrade of the same set (the task included).
createdb "$REF" || { echo "Bail out! createdb $REF"; exit 1; }
DB=$REF CONF=$TMP/ref.ini write_config "[task \"slow\"]" "command = $TASK" "version = 1"
CONF=$TMP/ref.ini sw --upgrade
is "$RC" 0 "reference: an uninterrupted upgrade exits 0"
rm -f "$TMP/starts" "$TMP/dones"

# The flock check is alive: two copies at once report an overlap.
"$TASK" & t1=$!
wait_until 10000 test -s "$TMP/starts"
"$TASK" & t2=$!
wait "$t1" "$t2"
is "$(cat "$TMP/overlaps" 2>/dev/null)" overlap "the task's overlap check sees two copies at once"
rm -f "$TMP/overlaps" "$TMP/starts" "$TMP/dones"

# start_upgrader NAME: in the background, log in $TMP/NAME.log, pid in $UPID.
start_upgrader() {
    "$SLIPWAY" -c "$CONF" --upgrade >"$TMP/$1.log" 2>&1 &
    UPID=$!
    PIDS+=("$UPID")
}
waiting() { grep -q 'waiting for the upgrade lock' "$TMP/$1.log"; }
lock_holder_pid() {
    q "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
}
active() { [ "$(q "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND state = 'active' AND query LIKE '%$1%' AND pid <> pg_backend_pid()")" -gt 0 ]; }
terminate_lock_holder() {
    local pid
    pid=$(lock_holder_pid)
    echo "# $(date +%T.%N) terminating $pid" >>"$TMP/trace"
    [ -n "$pid" ] && [ "$(q "SELECT pg_terminate_backend($pid)")" = t ]
}
# finish NAME PID: waits for it; sets RC_<NAME>.
finish() {
    wait "$2"
    printf -v "RC_$1" %s "$?"
}

# ---- 1. the lock session terminated during a no-transaction statement ----------------------
start_upgrader a
A=$UPID
wait_until 20000 active slow_notx
ok $? "first upgrader: the slow no-transaction statement runs"
start_upgrader b
B=$UPID
wait_until 20000 waiting b
ok $? "second upgrader waits for the lock"
terminate_lock_holder
ok $? "the lock holder's session is terminated"
finish a "$A"
finish b "$B"
is "$RC_a" 1 "the upgrader that lost its session exits 1"
like "$(cat "$TMP/a.log")" "statements applied" "and says how far it got"
is "$RC_b" 0 "the second upgrader takes over and exits 0"
is "$(q "SELECT count(*) FROM runs WHERE version = 2")" 1 "the statement after the pause ran once"
same_state "$REF" "$DB" "terminated lock session: same state as an uninterrupted run"
is "$(cat "$TMP/overlaps" 2>/dev/null)" "" "the task never overlapped"

# ---- 2. the lock session terminated while a task runs --------------------------------------
dropdb --force "$DB" && createdb "$DB" || { echo "Bail out! recreate $DB"; exit 1; }
rm -f "$TMP/starts" "$TMP/dones" "$TMP/overlaps"
start_upgrader c
C=$UPID
wait_until 30000 test -s "$TMP/starts"
ok $? "first upgrader: the task runs"
start_upgrader d
D=$UPID
wait_until 20000 waiting d
ok $? "second upgrader waits for the lock"
terminate_lock_holder
ok $? "the lock holder's session is terminated during the task"
finish c "$C"
finish d "$D"
is "$RC_c" 1 "the upgrader whose lock was lost exits 1"
like "$(cat "$TMP/c.log")" "upgrade lock was lost" "and says the lock was lost"
is "$RC_d" 0 "the second upgrader runs the task and exits 0"
is "$(cat "$TMP/overlaps" 2>/dev/null)" "" "the two tasks never overlapped"
[ -s "$TMP/overlaps" ] && { cat "$TMP/trace"; sed 's/^/# c: /' "$TMP/c.log"; sed 's/^/# d: /' "$TMP/d.log"; }
is "$(wc -l <"$TMP/starts") $(wc -l <"$TMP/dones")" "2 1" "started twice, finished once"
same_state "$REF" "$DB" "lock lost during a task: same state as an uninterrupted run"

# ---- 3. idle_session_timeout on the database, two racing upgraders -------------------------
dropdb --force "$DB" && createdb "$DB" || { echo "Bail out! recreate $DB"; exit 1; }
q "ALTER DATABASE \"$DB\" SET idle_session_timeout = '2s'"
rm -f "$TMP/starts" "$TMP/dones" "$TMP/overlaps"
start_upgrader e
E=$UPID
wait_until 20000 active slow_notx
ok $? "first upgrader: the slow statement runs"
start_upgrader f
F=$UPID
finish e "$E"
finish f "$F"
is "$RC_e $RC_f" "0 0" "both upgraders exit 0"
is "$(q "SELECT count(*) FROM runs WHERE version = 2")" 1 "idle_session_timeout: one row, not two"
is "$(cat "$TMP/overlaps" 2>/dev/null)" "" "the task never overlapped"
q "ALTER DATABASE \"$DB\" RESET idle_session_timeout"
same_state "$REF" "$DB" "idle_session_timeout: same state as an uninterrupted run"

done_testing
