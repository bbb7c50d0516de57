#!/usr/bin/env bash
# Ten upgraders started together: each migration applied exactly once, all exit 0.
TEST_NAME=concurrent
. "$SRCDIR/tests/upgrade/lib.sh"

printf 'CREATE TABLE runs (version int, pid int DEFAULT pg_backend_pid());\n' >"$MIG/0001_runs.sql"
for v in $(seq 2 20); do
    printf 'INSERT INTO runs (version) VALUES (%d);\nSELECT pg_sleep(0.02);\n' "$v" \
        >"$MIG/$(printf %04d "$v")_m.sql"
done

pids=()
for i in $(seq 1 10); do
    "$SLIPWAY" -c "$CONF" --upgrade >"$TMP/up$i.log" 2>&1 &
    pids+=($!)
done
fails=0
for p in "${pids[@]}"; do
    wait "$p" || fails=$((fails + 1))
done
is "$fails" 0 "all ten upgraders exit 0"
is "$(q "SELECT count(*) || ' ' || count(DISTINCT version) FROM runs")" "19 19" \
    "each migration ran exactly once"
is "$(q "SELECT count(*) FROM slipway_migrations WHERE success")" 20 "twenty history rows"
is "$(cat "$TMP"/up*.log | grep -c 'upgrade done: 20 migrations applied')" 1 \
    "exactly one upgrader applied them"
is "$(cat "$TMP"/up*.log | grep -c 'nothing to do: schema version 20')" 9 \
    "the nine others found nothing to do"
is "$(advisory_locks)" 0 "the lock is free"

done_testing
