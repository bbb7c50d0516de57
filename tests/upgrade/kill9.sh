#!/usr/bin/env bash
# SIGKILL at random moments, then a rerun converges: every migration applied exactly once,
# no-transaction progress resumed, the lock never left behind (the server drops it with the
# session). No-transaction statements are written to be re-runnable, as they must be: a kill
# between a statement and its progress row replays that statement.
TEST_NAME=kill9
. "$SRCDIR/tests/upgrade/lib.sh"

printf 'CREATE TABLE runs (version int PRIMARY KEY);\n' >"$MIG/0001_runs.sql"
for v in $(seq 2 30); do
    f=$MIG/$(printf %04d "$v")_m.sql
    if [ $((v % 5)) = 0 ]; then
        printf -- '-- slipway:no-transaction\nCREATE TABLE IF NOT EXISTS nt%d (x int);\nSELECT pg_sleep(0.05);\nINSERT INTO runs VALUES (%d) ON CONFLICT DO NOTHING;\n' "$v" "$v" >"$f"
    else
        printf 'INSERT INTO runs VALUES (%d);\nSELECT pg_sleep(0.05);\n' "$v" >"$f"
    fi
done

# The kill lands at a random moment (that is the point); each upgrader either died of it (137)
# or had finished before it came (0).
killed=0 odd=
for i in $(seq 1 8); do
    "$SLIPWAY" -c "$CONF" --upgrade >"$TMP/k$i.log" 2>&1 &
    pid=$!
    sleep "0.$((RANDOM % 4 + 1))"
    kill -KILL "$pid" 2>/dev/null && killed=$((killed + 1))
    { wait "$pid"; } 2>/dev/null
    rc=$?
    [ "$rc" = 137 ] || [ "$rc" = 0 ] || odd="$odd k$i:$rc"
done
[ "$killed" -gt 0 ]
ok $? "$killed of 8 upgraders were killed midway"
is "$odd" "" "each upgrader was killed (137) or had finished (0)"

sw --upgrade
is "$RC" 0 "the rerun after the kills exits 0"
is "$(q "SELECT count(*) FROM runs")" 29 "every migration's effect is there once"
is "$(q "SELECT count(*) FROM slipway_migrations WHERE success")" 30 "all thirty recorded as applied"
is "$(q "SELECT count(*) FROM slipway_migrations WHERE NOT success")" 0 "none left half-done"
sw --upgrade
like "$OUT" "nothing to do: schema version 30" "and a further run has nothing to do"

# SIGKILL while the server runs a migration, the next upgrader straight after: the killed
# upgrader's lock goes with its process at once, its transaction must die with it too. Were
# the COMMIT sent along with the file, the orphaned server session would commit it on its own
# after the new upgrader had read the history: the migration would run twice.
printf 'CREATE TABLE ledger (version int);\n' >"$MIG/0031_ledger.sql"
printf 'INSERT INTO ledger VALUES (32);\nSELECT pg_sleep(1);\n' >"$MIG/0032_slow.sql"
"$SLIPWAY" -c "$CONF" --upgrade >"$TMP/orphan.log" 2>&1 &
pid=$!
wait_running '%pg_sleep(1)%'
ok $? "the slow migration is running"
kill -KILL "$pid"
{ wait "$pid"; } 2>/dev/null
is "$?" 137 "the upgrader died of the SIGKILL"
sw --upgrade
is "$RC" 0 "the upgrader after the kill exits 0"
wait_for 10 eval '[ "$(running "%pg_sleep(1)%")" = 0 ]'
is "$(running '%pg_sleep(1)%')" 0 "the killed upgrader's session has ended"
is "$(q "SELECT count(*) FROM ledger")" 1 "the migration ran once"
is "$(q "SELECT count(*) FROM slipway_migrations WHERE success")" 32 "and is recorded once"

# race V SQL WHO: migration V waits until it sees a success row for its version; once it runs,
# SQL commits one from psql (applied_by WHO). The upgrader's own commit must then fail and roll
# the migration back, never apply it a second time.
race() {
    local v=$1 sql=$2 who=$3 pid
    printf '%s\n' "INSERT INTO ledger VALUES ($v);" \
        "DO \$\$BEGIN FOR i IN 1..1200 LOOP EXIT WHEN EXISTS (SELECT 1 FROM slipway_migrations WHERE version = ARRAY[$v]::numeric[] AND success); PERFORM pg_sleep(0.05); END LOOP; END\$\$ /* race_wait_$v */;" \
        >"$MIG/00${v}_race.sql"
    "$SLIPWAY" -c "$CONF" --upgrade >"$TMP/race$v.log" 2>&1 &
    pid=$!
    wait_running "%race_wait_$v%"
    ok $? "$v: the migration is running"
    q "$sql" >/dev/null
    wait "$pid"
    is "$?" 1 "$v: the upgrader whose version was committed meanwhile fails (1)"
    like "$(cat "$TMP/race$v.log")" "00${v}_race.sql: cannot record it" "$v: and says so"
    is "$(q "SELECT count(*) FROM ledger WHERE version = $v")" 0 "$v: its run of the migration was rolled back"
    is "$(q "SELECT applied_by FROM slipway_migrations WHERE version = '{$v}'")" "$who" "$v: the other record stands"
}

# The other half of that race: a version recorded by someone else after this upgrader read the
# history (with the lock on the working session this cannot happen through slipway; the plain
# INSERT stays as a second line of defence).
race 33 "INSERT INTO slipway_migrations (version, name, checksum, applied_at, duration_ms, applied_by, statements_done, success) VALUES ('{33}', '0033_race.sql', 'x', now(), 0, 'the killed upgrader', 0, true)" \
    "the killed upgrader"

# The same race over an unfinished row of the version (a no-transaction run that stopped
# midway, the file transactional since): the DELETE that clears that row before the new one is
# written may take an unfinished row only. A success row committed meanwhile stays. (Row 33
# gets its file's checksum first: it is history now.)
q "UPDATE slipway_migrations SET checksum = '$(sha256sum <"$MIG/0033_race.sql" | cut -d' ' -f1)' WHERE version = '{33}'" >/dev/null
q "INSERT INTO slipway_migrations (version, name, checksum, statements_done, success) VALUES ('{34}', '0034_race.sql', 'x', 1, false)" >/dev/null
race 34 "UPDATE slipway_migrations SET success = true, applied_by = 'the other upgrader' WHERE version = '{34}'" \
    "the other upgrader"

done_testing
