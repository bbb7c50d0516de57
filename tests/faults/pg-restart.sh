#!/usr/bin/env bash
# Proves: PostgreSQL restarted (`pg_ctl restart -m fast`, which terminates every session) in
# the middle of a migration is a clean failure, never a half-applied one: slipway exits 1
# with one clear line naming the migration and the lost connection; a transactional migration
# leaves no history row and no side effect; a no-transaction migration's statements_done
# matches exactly the statements that ran; the next run converges (and resumes the
# no-transaction file at the interrupted statement). A second upgrader waiting on the lock at
# that moment ends cleanly too (or takes over), and never half-applies. A PostgreSQL of its own: restarting the
# shared one would break the tests running next to this one. (A restart while a supervisor
# waits on wait_for is tests/health/restart.sh.)
. "$SRCDIR/tests/lib/tap.sh"
. "$SRCDIR/tests/faults/lib.sh"

port=$(free_port)
pgdir=$TMP/pg
chmod 755 "$TMP"
UP='' WAITER=''
cleanup() {
    [ -n "$UP" ] && kill -KILL "$UP" 2>/dev/null
    [ -n "$WAITER" ] && kill -KILL "$WAITER" 2>/dev/null
    "$SRCDIR/tests/lib/pg.sh" stop "$pgdir" 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT
eval "$("$SRCDIR/tests/lib/pg.sh" start "$pgdir" "$port")" || { echo "Bail out! cannot start PostgreSQL"; exit 1; }

MIG=$TMP/mig
mkdir -p "$MIG"
CONF=$TMP/slipway.ini
cat >"$CONF" <<INI
[database]
url = host=$pgdir port=$port dbname=postgres user=postgres
wait = 5s
[migrations]
dir = $MIG
INI
q() { psql -X -A -t -q -d postgres -c "$1"; }

# sleeping: a session of slipway's is in pg_sleep(3).
sleeping() { [ "$(q "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE '%pg_sleep(3)%' AND application_name LIKE 'slipway%'")" = 1 ]; }

# restart_during: starts the upgrade, restarts PostgreSQL once a migration sleeps in
# pg_sleep(3); sets RC, OUT, MS (from the restart to slipway's exit).
restart_during() {
    "$SLIPWAY" -q -c "$CONF" --upgrade >"$TMP/up.log" 2>&1 &
    UP=$!
    wait_until 20000 sleeping
    ok $? "$1: slipway is in the middle of the sleeping migration"
    local t0
    t0=$(now_ms)
    "$SRCDIR/tests/lib/pg.sh" restart "$pgdir"
    ok $? "$1: PostgreSQL restarted (pg_ctl restart -m fast)"
    for _ in $(seq 3000); do kill -0 "$UP" 2>/dev/null || break; sleep 0.01; done
    wait "$UP"
    RC=$?
    UP=
    MS=$(($(now_ms) - t0))
    OUT=$(cat "$TMP/up.log")
}

# ---- a transactional migration ---------------------------------------------------------
cat >"$MIG/0001_side.sql" <<'SQL'
CREATE TABLE side (version int, note text);
SQL
cat >"$MIG/0002_slow.sql" <<'SQL'
INSERT INTO side VALUES (2, 'before the sleep');
CREATE TABLE t2 (x int);
SELECT pg_sleep(3);
INSERT INTO side VALUES (2, 'after the sleep');
SQL

restart_during "transactional"
is "$RC" 1 "transactional: the lost connection is a failed migration, exit 1"
[ "$MS" -lt 15000 ]
ok $? "transactional: slipway gave up promptly after the restart (${MS} ms)"
like "$OUT" "0002_slow.sql" "transactional: the message names the migration"
like "$OUT" "upgrade failed at 0002_slow.sql" "transactional: and says the upgrade failed there"
is "$(stray_lines "$OUT")" 0 "transactional: every output line is one of slipway's one-line messages"
echo "$OUT" | sed 's/^/#   | /'
is "$(q "SELECT string_agg(array_to_string(version, '.') || ':' || success, ',' ORDER BY version) FROM slipway_migrations")" "1:true" \
    "transactional: no history row for the interrupted migration"
is "$(q "SELECT count(*) FROM side") $(q "SELECT to_regclass('t2') IS NULL")" "0 t" \
    "transactional: and none of its effects"
is "$(q "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")" 0 "transactional: no advisory lock survives"

"$SLIPWAY" -q -c "$CONF" --upgrade >"$TMP/re.log" 2>&1
is "$?" 0 "transactional: the rerun exits 0"
is "$(q "SELECT string_agg(array_to_string(version, '.') || ':' || success, ',' ORDER BY version) FROM slipway_migrations") $(q "SELECT count(*) FROM side WHERE version = 2")" \
    "1:true,2:true 2" "transactional: the rerun applied it, once"

# ---- a no-transaction migration, interrupted half-way -----------------------------------
cat >"$MIG/0003_notx.sql" <<'SQL'
-- slipway:no-transaction
CREATE TABLE IF NOT EXISTS nt3 (x int PRIMARY KEY);
INSERT INTO nt3 VALUES (1) ON CONFLICT DO NOTHING;
CREATE INDEX CONCURRENTLY IF NOT EXISTS nt3_x ON nt3 (x);
SELECT pg_sleep(3);
INSERT INTO nt3 VALUES (5) ON CONFLICT DO NOTHING;
SQL

restart_during "no-transaction"
is "$RC" 1 "no-transaction: the lost connection is a failed migration, exit 1"
[ "$MS" -lt 15000 ]
ok $? "no-transaction: slipway gave up promptly after the restart (${MS} ms)"
like "$OUT" "0003_notx.sql: 3 of 5 statements applied; the next upgrade resumes at statement 4" \
    "no-transaction: the message says how far it got and where the rerun resumes"
is "$(stray_lines "$OUT")" 0 "no-transaction: every output line is one of slipway's one-line messages"
echo "$OUT" | sed 's/^/#   | /'
is "$(q "SELECT statements_done || ':' || success FROM slipway_migrations WHERE version = '{3}'")" "3:false" \
    "no-transaction: history says 3 statements done, not successful"
is "$(q "SELECT string_agg(x::text, ',' ORDER BY x) FROM nt3")" "1" \
    "no-transaction: exactly the effects of those 3 statements"
is "$(q "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")" 0 "no-transaction: no advisory lock survives"

"$SLIPWAY" -c "$CONF" --upgrade >"$TMP/re.log" 2>&1
is "$?" 0 "no-transaction: the rerun exits 0"
like "$(cat "$TMP/re.log")" "0003_notx.sql: resuming at statement 4 of 5" "no-transaction: and resumes at statement 4"
is "$(q "SELECT statements_done || ':' || success FROM slipway_migrations WHERE version = '{3}'") $(q "SELECT string_agg(x::text, ',' ORDER BY x) FROM nt3")" \
    "5:true 1,5" "no-transaction: converged: 5 of 5 done, all effects there"
"$SLIPWAY" -c "$CONF" --upgrade >"$TMP/re.log" 2>&1
like "$(cat "$TMP/re.log")" "nothing to do: schema version 3" "a further run has nothing to do"

# ---- a second upgrader waiting on the lock when the server restarts ----------------------
# The holder fails as above. The waiter's lock connection is cut too: nothing failed for it,
# so it reconnects, takes the lock and applies the migration itself (exit 0), once.
cat >"$MIG/0004_slow.sql" <<'SQL'
INSERT INTO side VALUES (4, 'before the sleep');
SELECT pg_sleep(3);
SQL
"$SLIPWAY" -c "$CONF" --upgrade >"$TMP/holder.log" 2>&1 &
UP=$!
wait_until 20000 sleeping
ok $? "waiter: the holder is in the middle of the sleeping migration"
"$SLIPWAY" -c "$CONF" --upgrade >"$TMP/waiter.log" 2>&1 &
WAITER=$!
waiting() { grep -q 'waiting for the upgrade lock' "$TMP/waiter.log"; }
wait_until 20000 waiting
ok $? "waiter: a second upgrader waits for the lock"
t0=$(now_ms)
"$SRCDIR/tests/lib/pg.sh" restart "$pgdir"
ok $? "waiter: PostgreSQL restarted"
wait "$UP"
is "$?" 1 "waiter: the holder exits 1"
UP=$WAITER
for _ in $(seq 2000); do kill -0 "$WAITER" 2>/dev/null || break; sleep 0.01; done
wait "$WAITER"
wrc=$?
UP='' WAITER=''
MS=$(($(now_ms) - t0))
OUT=$(grep -v 'waiting for the upgrade lock' "$TMP/waiter.log")
echo "$OUT" | sed 's/^/#   waiter | /'
is "$wrc" 0 "waiter: reconnected, took over and finished (${MS} ms)"
like "$(cat "$TMP/waiter.log")" "reconnecting" "waiter: said it lost the connection and reconnected"
is "$(q "SELECT success FROM slipway_migrations WHERE version = '{4}'") $(q "SELECT count(*) FROM side WHERE version = 4")" \
    "t 1" "waiter: applied the migration, once"
is "$(stray_lines "$OUT")" 0 "waiter: every output line is one of slipway's one-line messages"
"$SLIPWAY" -q -c "$CONF" --upgrade >"$TMP/re.log" 2>&1
is "$?" 0 "waiter: a rerun exits 0"
is "$(q "SELECT count(*) FILTER (WHERE success) FROM slipway_migrations") $(q "SELECT count(*) FROM side WHERE version = 4")" \
    "4 1" "waiter: converged: 4 migrations, the last applied once"
is "$(q "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")" 0 "no advisory lock survives"

done_testing
