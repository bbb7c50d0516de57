#!/usr/bin/env bash
# Serve-mode readiness: wait_for gates the server until the upgrade's NOTIFY; the supervisor
# answers health over its socket (no database connection) and over HTTP; wait --timeout.
TEST_NAME=gate
. "$SRCDIR/tests/upgrade/lib.sh"

printf 'CREATE TABLE a (id int);\n' >"$MIG/0001_a.sql"
printf 'CREATE TABLE b (id int);\n' >"$MIG/0002_b.sql"
write_config '[serve]' 'wait_for = database'

# start_gated N: a supervisor whose server records when it started.
start_gated() {
    mkdir -p "$TMP/s$1"
    SLIPWAY_SERVE_HEALTH_SOCKET=$TMP/s$1/health.sock "$SLIPWAY" -c "$CONF" -- \
        sh -c "date +%s%3N >'$TMP/s$1/started'; exec sleep 60" 2>"$TMP/s$1/log" &
    echo $! >"$TMP/s$1/pid"
}

# Gated supervisors (and `slipway wait`) hold one connection each while they wait.
waiting() {
    q "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'slipway wait%'"
}
waiting_is() { [ "$(waiting)" = "$1" ]; }
started() { ls "$TMP"/s*/started 2>/dev/null | wc -l; }
started_is() { [ "$(started)" = "$1" ]; }
# stop_gated N...: SIGTERM to each supervisor; sets BAD to those that did not exit 143.
stop_gated() {
    local i
    BAD=
    for i in "$@"; do kill -TERM "$(cat "$TMP/s$i/pid")"; done
    for i in "$@"; do
        wait_exit "$(cat "$TMP/s$i/pid")" 30
        [ "$RC" = 143 ] || BAD="$BAD s$i:$RC"
    done
}

for i in $(seq 1 10); do start_gated "$i"; done
wait_for 30 waiting_is 10
ok $? "10 gated supervisors connected and waiting"
is "$(started)" 0 "10 gated supervisors: no server started before the upgrade"
out=$(SLIPWAY_SERVE_HEALTH_SOCKET=$TMP/s1/health.sock "$SLIPWAY" -c "$CONF" health)
is "$?" 1 "health through the socket while gated: 1"
like "$out" "schema version none is behind" "the supervisor's live answer"
is "$(waiting)" 10 "each gated supervisor holds one connection"

upgrade_start=$(now_ms)
sw --upgrade
upgrade_end=$(now_ms)
is "$RC" 0 "one upgrade"
wait_for 10 started_is 10
is "$(started)" 10 "all 10 servers started"
last=$(cat "$TMP"/s*/started | sort -n | tail -n 1)
first=$(cat "$TMP"/s*/started | sort -n | head -n 1)
[ "$first" -ge "$upgrade_start" ]
ok $? "no server started before the upgrade began"
latency=$((last - upgrade_end))
# The servers start on the NOTIFY that goes out at the upgrade's COMMIT, which comes before the
# upgrade process has exited: a negative latency is a server that started before it had.
echo "# slowest server start: $((last - upgrade_start)) ms after the upgrade process began," \
    "$latency ms relative to its exit (negative: before it; the upgrade took $((upgrade_end - upgrade_start)) ms)"
[ "$latency" -lt 1000 ]
ok $? "slowest of 10 servers started within 1 s of the upgrade's end ($latency ms)"
wait_for 10 waiting_is 0
# Not counted: a fleet heartbeat's connection, which each replica opens 0.25-1.25 s after its
# server started and closes once its row is written (tests/fleet/fleet.sh): it may be open at
# this instant, and is not held.
is "$(q "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'slipway%' AND application_name NOT LIKE 'slipway fleet%'")" 0 \
    "satisfied supervisors hold no connection"

# health through the socket answers from the supervisor: a database URL that points nowhere
# does not matter, and no backend is started for it.
out=$(SLIPWAY_DATABASE_URL="host=127.0.0.1 port=1 dbname=nowhere" SLIPWAY_SERVE_HEALTH_SOCKET=$TMP/s1/health.sock \
    "$SLIPWAY" -c "$CONF" health)
is "$?" 0 "health via the socket with a database URL pointing nowhere: 0"
like "$out" "healthy" "answered by the supervisor"

stop_gated $(seq 1 10)
is "$BAD" "" "10 servers stopped by SIGTERM: each supervisor exits 143"
bad=0
for i in $(seq 1 10); do [ -e "$TMP/s$i/health.sock" ] && bad=$((bad + 1)); done
is "$bad" 0 "supervisors remove their sockets on exit"

# The gate is woken by NOTIFY, not by polling: a schema change without a NOTIFY (here a
# newer image's version faked into the history) leaves the waiter asleep, with no query run
# on its connection; the NOTIFY alone wakes it. (A poll every second would start the server
# within the window.)
printf 'CREATE TABLE c (id int);\n' >"$MIG/0003_c.sql"
start_gated 30
wait_for 30 waiting_is 1 && wait_for 30 test -S "$TMP/s30/health.sock"
ok $? "a supervisor gated on schema 3 is waiting"
wait_query() {
    q "SELECT query_start FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'slipway wait%'"
}
before=$(wait_query)
q "UPDATE slipway_migrations SET version = '{3}' WHERE version = '{2}'" >/dev/null
sleep 2 # the window a poller would use; nothing is synchronised on it
alive "$(cat "$TMP/s30/pid")" && [ ! -e "$TMP/s30/started" ]
ok $? "without a NOTIFY the waiter does not notice the change"
is "$(wait_query)" "$before" "no query ran on its connection meanwhile (it waits for a NOTIFY, it does not poll)"
q "NOTIFY slipway" >/dev/null
wait_for 10 test -e "$TMP/s30/started"
ok $? "NOTIFY slipway wakes it: the server starts"

# A database ahead of the image (a newer release migrated it) satisfies the gate at once.
rm "$MIG/0003_c.sql"
start_gated 31
wait_for 10 test -e "$TMP/s31/started"
ok $? "schema 3 satisfies an image that needs 2: the server starts"
stop_gated 30 31
is "$BAD" "" "both stopped by SIGTERM: 143"

# A stop signal while gated ends the wait: 128+15, the server never started.
dropdb --force "$DB" && createdb "$DB"
start_gated 20
wait_for 30 waiting_is 1
ok $? "a gated supervisor is waiting"
signal_and_wait "$(cat "$TMP/s20/pid")" TERM
is "$RC" 143 "SIGTERM while gated: 143"
[ "$ELAPSED" -lt 2000 ]
ok $? "promptly ($ELAPSED ms)"
[ ! -e "$TMP/s20/health.sock" ]
ok $? "slipway ended the wait itself (it removed its socket), it was not killed by the signal"
[ ! -e "$TMP/s20/started" ]
ok $? "the server was never started"

# wait_timeout: exit 3 when the upgrade does not come.
start=$(now_ms)
SLIPWAY_SERVE_WAIT_TIMEOUT=700ms SLIPWAY_SERVE_HEALTH_SOCKET=$TMP/wt.sock "$SLIPWAY" -c "$CONF" -- true 2>"$TMP/wt.log"
rc=$?
elapsed=$(($(now_ms) - start))
is "$rc" 3 "wait_timeout expired: 3"
[ "$elapsed" -ge 600 ] && [ "$elapsed" -lt 3000 ]
ok $? "after about wait_timeout ($elapsed ms)"
like "$(cat "$TMP/wt.log")" "schema version none is behind" "says what it waited for"

# slipway wait: LISTEN-driven.
start=$(now_ms)
sw wait --timeout 500ms
is "$RC" 3 "wait --timeout 500ms without an upgrade: 3"
"$SLIPWAY" -c "$CONF" wait --timeout 30s >"$TMP/wait.log" 2>&1 &
waiter=$!
wait_for 30 waiting_is 1
ok $? "slipway wait is connected and waiting"
sw --upgrade
done_at=$(now_ms)
wait_exit "$waiter" 30
is "$RC" 0 "wait returns 0 once the upgrade committed"
[ $(($(now_ms) - done_at)) -lt 1000 ]
ok $? "within a second of the upgrade"

# HTTP probes: /healthz alive, /readyz ready once the server runs.
port=$((20000 + $$ % 8000)) # below the ephemeral range (32768+)
SLIPWAY_SERVE_HEALTH_LISTEN=127.0.0.1:$port SLIPWAY_SERVE_HEALTH_SOCKET=$TMP/http.sock \
    "$SLIPWAY" -c "$CONF" -- sleep 60 2>/dev/null &
sup=$!
http_code() { curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port$1"; }
answers() { [ "$(http_code "$1")" = "$2" ]; }
wait_for 30 answers /healthz 200
ok $? "GET /healthz: 200"
# The health server listens before the gate's check and the server's start: ready comes after.
wait_for 30 answers /readyz 200
ok $? "GET /readyz: 200 once healthy and serving"
pgrep -P "$sup" >/dev/null
ok $? "and the server was started"
is "$(http_code /nope)" 404 "unknown path: 404"
grep -q libpq "/proc/$sup/maps"
ok $? "a supervisor with database features loaded libpq"
signal_and_wait "$sup" TERM
is "$RC" 143 "stopped by SIGTERM: 143"

# Without wait_for the supervisor still answers health: the first probe has it check the
# database once (on a worker thread), later probes within 60 s get that answer without a query.
# (fleet = false: a registered replica loads libpq for its heartbeat, tests/fleet/fleet.sh.)
SLIPWAY_SERVE_FLEET=false SLIPWAY_SERVE_WAIT_FOR= SLIPWAY_SERVE_HEALTH_SOCKET=$TMP/nogate.sock "$SLIPWAY" -c "$CONF" -- sleep 60 2>/dev/null &
sup=$!
wait_for 30 test -S "$TMP/nogate.sock"
ok $? "no gate: the supervisor listens on its socket"
alive "$sup" && grep -q . "/proc/$sup/maps" && ! grep -q libpq "/proc/$sup/maps"
ok $? "no gate: libpq not loaded before a probe asks"
out=$(SLIPWAY_SERVE_HEALTH_SOCKET=$TMP/nogate.sock "$SLIPWAY" -c "$CONF" health)
is "$?" 0 "no gate: the first probe is answered after one check"
like "$out" "schema version 2" "with the database's answer"
q "UPDATE slipway_migrations SET success = false" >/dev/null
SLIPWAY_SERVE_HEALTH_SOCKET=$TMP/nogate.sock "$SLIPWAY" -c "$CONF" health >/dev/null
is "$?" 0 "a probe within 60 s gets the cached answer (no query)"
SLIPWAY_SERVE_HEALTH_SOCKET=$TMP/none.sock "$SLIPWAY" -c "$CONF" health >/dev/null
is "$?" 1 "while a direct check sees the change"
q "UPDATE slipway_migrations SET success = true" >/dev/null
signal_and_wait "$sup" TERM
is "$RC" 143 "no gate: stopped by SIGTERM: 143"

# A plain supervisor loads no libpq and opens no socket.
SLIPWAY_SERVE_HEALTH_SOCKET=$TMP/plain.sock "$SLIPWAY" -c /dev/null -- \
    sh -c "touch '$TMP/plain.started'; exec sleep 60" &
sup=$!
wait_for 30 test -e "$TMP/plain.started"
ok $? "plain serve mode: the server runs (slipway's setup is done)"
alive "$sup" && grep -q . "/proc/$sup/maps" && ! grep -q libpq "/proc/$sup/maps"
ok $? "plain serve mode does not load libpq"
[ ! -e "$TMP/plain.sock" ]
ok $? "plain serve mode opens no health socket"
signal_and_wait "$sup" TERM
is "$RC" 143 "plain serve mode: stopped by SIGTERM: 143"

done_testing
