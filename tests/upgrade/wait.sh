#!/usr/bin/env bash
# Waiting, bounded: an unreachable database (exit 3 after [database] wait, each attempt
# logged) and the upgrade lock held by someone else (exit 4 after lock_wait, holder logged).
TEST_NAME=wait
. "$SRCDIR/tests/upgrade/lib.sh"

printf 'CREATE TABLE w (x int);\n' >"$MIG/0001_w.sql"

# A port nobody listens on: bind one, note it, let it go.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$CONF" <<INI
[database]
url = postgresql://nobody@127.0.0.1:$port/$DB
wait = 1s
connect_timeout = 1s
[migrations]
dir = $MIG
INI
t0=$(now_ms)
sw --upgrade
elapsed=$(($(now_ms) - t0))
is "$RC" 3 "an unreachable database exits 3"
[ "$elapsed" -ge 1000 ] && [ "$elapsed" -lt 3000 ]
ok $? "after about [database] wait = 1s (${elapsed} ms)"
like "$OUT" "host=127.0.0.1 port=$port" "attempts name host and port"
like "$OUT" "retrying in 250 ms" "attempts are retried with backoff"
like "$OUT" "Connection refused" "attempts give the reason"
sw status
is "$RC" 3 "status exits 3 too"

write_config "lock_wait = 1s"
# Hold the upgrade lock from psql, as another upgrader would.
psql -X -q -d "$DB" -c "SELECT pg_advisory_lock(1936484720, hashtext('slipway_migrations'))" \
    -c "SELECT pg_sleep(20)" >/dev/null 2>&1 &
holder=$!
wait_for 10 eval '[ "$(advisory_locks)" = 1 ]'
is "$(advisory_locks)" 1 "psql holds the lock"
t0=$(now_ms)
sw --upgrade
elapsed=$(($(now_ms) - t0))
is "$RC" 4 "the lock not obtained within lock_wait exits 4"
[ "$elapsed" -ge 1000 ] && [ "$elapsed" -lt 3000 ]
ok $? "after about lock_wait = 1s (${elapsed} ms)"
like "$OUT" "held by pid" "the holder is logged"
like "$OUT" "'psql' from local socket since" "with its application_name, address and start"

# Seen from a role without pg_read_all_stats, PostgreSQL hides another role's client address
# and start time: the waiter says so and how to see them, not "from local socket since ?".
ROLE=u_${DB}
trap 'cleanup_db; psql -X -q -d postgres -c "DROP ROLE IF EXISTS $ROLE" 2>/dev/null' EXIT
q "CREATE ROLE $ROLE LOGIN"
PGUSER=$ROLE sw --upgrade
is "$RC" 4 "an unprivileged role waits for the lock too, and gives up after lock_wait"
like "$OUT" "held by pid" "it logs the holder"
like "$OUT" "'psql', another role's session (its address and start time are hidden from role $ROLE: grant it pg_read_all_stats to see them)" \
    "with what it can see and why the rest is hidden"
unlike "$OUT" "local socket" "it does not call a hidden address a local socket"
PGUSER=$ROLE sw status --json
like "$OUT" '"client":null,"since":null,"hidden":true' "status --json: no address, no start, hidden"
q "GRANT pg_read_all_stats TO $ROLE"
PGUSER=$ROLE sw --upgrade
like "$OUT" "'psql' from local socket since" "granted pg_read_all_stats, the same role sees them"
PGUSER=$ROLE sw status
like "$OUT" "upgrade lock: held by pid" "status names the holder"
like "$OUT" "'psql' from local socket since" "with its address and start"
is "$(q "SELECT to_regclass('w') IS NULL")" t "nothing ran"
sw status --json
like "$OUT" '"lock":{"held":true,' "status shows the lock held"
like "$OUT" '"application_name":"psql"' "status names the holder"

# lock_wait = infinity: the waiter gets the lock once the holder is gone, and proceeds.
write_config "lock_wait = infinity"
"$SLIPWAY" -c "$CONF" --upgrade >"$LOG" 2>&1 &
waiter=$!
wait_for 30 grep -q "waiting for the upgrade lock" "$LOG"
ok $? "the upgrader waits for the lock"
kill "$holder"
wait "$holder"
is "$?" 143 "the psql holding the lock is stopped"
psql -X -q -d "$DB" -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'psql' AND pid <> pg_backend_pid()" >/dev/null
wait_exit "$waiter" 30
is "$RC" 0 "a waiting upgrader proceeds once the lock is free"
is "$(q "SELECT to_regclass('w') IS NOT NULL")" t "and applies the migrations"

done_testing
