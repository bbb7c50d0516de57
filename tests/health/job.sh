#!/usr/bin/env bash
# health_listen during --upgrade and task (a Kubernetes Job): the run serves /healthz (200),
# /readyz (503, never a traffic target) and /metrics with its progress, on the loop it spins
# while it waits: for the upgrade lock (psql holds it: waiting 1, wait seconds growing) and on
# a migration statement (blocked on a row psql holds: lock held 1, the migration named). The
# port closes when the run ends; a port already taken is a warning, never a failure.
# No `set -e`: TAP assertions test exit statuses.
TEST_NAME=job
. "$SRCDIR/tests/upgrade/lib.sh"

command -v promtool >/dev/null || { echo "Bail out! promtool missing (tests/packages.txt)"; exit 1; }

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
PORT=$(free_port)
URL=http://127.0.0.1:$PORT
scrape() { curl -s -m 30 "$URL/metrics"; }
# metric NAME: its value in a fresh scrape
metric() { scrape | awk -v n="$1" '$1 == n { print $2 }'; }
status_of() { curl -s -m 30 -o "$TMP/body" -w '%{http_code}' "$URL$1"; }

printf 'CREATE TABLE gate (id int);\nINSERT INTO gate VALUES (1);\n' >"$MIG/0001_gate.sql"
sw --upgrade
is "$RC" 0 "schema version 1 applied (no health_listen)"
printf 'UPDATE gate SET id = 2;\n' >"$MIG/0002_blocked.sql"
printf 'CREATE TABLE after (id int);\n' >"$MIG/0003_after.sql"
write_config '[task "probe"]' \
    "command = sh -c 'curl -s -m 30 -o /dev/null -w %{http_code} $URL/readyz >$TMP/task-readyz'" \
    'version = 1' '[serve]' "health_listen = 127.0.0.1:$PORT"

# psql sessions named by PGAPPNAME, ended by name: the events this test controls.
holding() { q "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = '$1' AND state = 'active' AND query LIKE '%pg_sleep%'"; }
end_session() {
    q "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = '$1'" >/dev/null
}
PGAPPNAME=lockholder psql -X -q -d "$DB" \
    -c "SELECT pg_advisory_lock(1936484720, hashtext('slipway_migrations'))" \
    -c "SELECT pg_sleep(300)" >/dev/null 2>&1 &
LOCK_PID=$!
PGAPPNAME=rowholder psql -X -q -d "$DB" \
    -c "BEGIN; SELECT * FROM gate FOR UPDATE; SELECT pg_sleep(300);" >/dev/null 2>&1 &
ROW_PID=$!
trap 'kill "$LOCK_PID" "$ROW_PID" "$UP_PID" 2>/dev/null; wait; cleanup_db' EXIT
wait_for 30 eval '[ "$(holding lockholder)" = 1 ] && [ "$(holding rowholder)" = 1 ]'
ok $? "psql holds the upgrade lock, and another psql the row 0002 updates"

"$SLIPWAY" -c "$CONF" --log-format json --upgrade >"$TMP/up.log" 2>&1 &
UP_PID=$!
wait_for 60 grep -q '"event":"lock_waiting"' "$TMP/up.log"
ok $? "the upgrade waits for the lock"
is "$(status_of /healthz)" 200 "/healthz: 200 while it waits (alive)"
is "$(status_of /readyz)" 503 "/readyz: 503 (a Job is no traffic target)"
is "$(cat "$TMP/body")" "upgrade running" "/readyz says why"
scrape >"$TMP/waiting.prom"
like "$(cat "$TMP/waiting.prom")" 'slipway_upgrade_lock_waiting 1' "/metrics: waiting for the lock"
like "$(cat "$TMP/waiting.prom")" 'slipway_upgrade_lock_held 0' "/metrics: not held"
like "$(cat "$TMP/waiting.prom")" 'slipway_build_info{version="' "/metrics: the build info"
promtool check metrics <"$TMP/waiting.prom" >"$TMP/promtool.out" 2>&1
ok $? "promtool check metrics accepts it"
sed 's/^/# /' "$TMP/promtool.out"
w1=$(awk '$1 == "slipway_upgrade_lock_wait_seconds" { print $2 }' "$TMP/waiting.prom")
# The second report comes after ten 500 ms sleeps of the waiter: it has waited 5 s at least.
wait_for 60 grep -q '"event":"lock_waiting".*"waited_ms":5000' "$TMP/up.log"
ok $? "the upgrade reports 5 s of waiting"
w2=$(metric slipway_upgrade_lock_wait_seconds)
python3 -c "import sys; sys.exit(not ($w2 > $w1 and $w2 >= 5))"
ok $? "wait seconds grow while it waits: $w1, then $w2 (>= 5)"
is "$(metric slipway_upgrade_lock_waiting)" 1 "still waiting"

end_session lockholder
wait "$LOCK_PID" 2>/dev/null
blocked() { q "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'slipway upgrade%' AND wait_event_type = 'Lock' AND query LIKE '%UPDATE gate%'"; }
wait_for 60 eval '[ "$(blocked)" = 1 ]'
ok $? "the lock is the upgrade's: 0002 waits on the row psql holds"
scrape >"$TMP/held.prom"
like "$(cat "$TMP/held.prom")" 'slipway_upgrade_lock_held 1' "/metrics during the statement: lock held"
like "$(cat "$TMP/held.prom")" 'slipway_upgrade_lock_waiting 0' "no longer waiting"
w3=$(awk '$1 == "slipway_upgrade_lock_wait_seconds" { print $2 }' "$TMP/held.prom")
python3 -c "import sys; sys.exit(not $w3 >= $w2)"
ok $? "the wait's total stays: $w3"
like "$(cat "$TMP/held.prom")" 'slipway_upgrade_migration_running_info{migration="0002_blocked.sql"} 1' \
    "the migration running is named"
like "$(cat "$TMP/held.prom")" 'slipway_upgrade_migrations_applied 0' "none applied yet"
like "$(cat "$TMP/held.prom")" 'slipway_upgrade_migrations_pending 2' "two pending"
promtool check metrics <"$TMP/held.prom" >"$TMP/promtool.out" 2>&1
ok $? "promtool check metrics accepts it"

end_session rowholder
wait "$ROW_PID" 2>/dev/null
wait_exit "$UP_PID" 60
is "$RC" 0 "the upgrade completes once the row is free"
like "$(cat "$TMP/up.log")" '"event":"upgrade_done"' "upgrade done"
curl -s -m 30 "$URL/healthz" >/dev/null
is "$?" 7 "the port is closed once the upgrade exited (curl: connection refused)"

sw task probe
is "$RC" 0 "task probe runs with health_listen"
is "$(cat "$TMP/task-readyz")" 503 "the task's own command sees /readyz 503 while the task runs"

# A port already taken (a supervisor in the same container): a warning, and the upgrade goes on.
python3 -c "
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', $PORT)); s.listen(1)
open('$TMP/taken', 'w').close()
time.sleep(300)" &
TAKER=$!
wait_for 30 test -e "$TMP/taken"
ok $? "another process listens on the port"
printf 'CREATE TABLE more (id int);\n' >"$MIG/0004_more.sql"
sw --upgrade
kill "$TAKER"
wait "$TAKER" 2>/dev/null
is "$RC" 0 "the upgrade still succeeds"
is "$(grep -c "health_listen 127.0.0.1:$PORT: address already in use (going on without /metrics)" "$LOG")" 1 \
    "one warning says so"
is "$(q "SELECT count(*) FROM slipway_migrations WHERE success")" 4 "all four migrations applied"

done_testing
