#!/usr/bin/env bash
# Proves: however many replicas run `--upgrade` at the same moment, every migration is applied
# exactly once and every one of them exits 0 (no Flyway-style lock retry failures, no second
# run of a migration). 20 upgraders released together by a start barrier, round after round,
# each round on a fresh database with the same 20-file set (transactional files whose side
# effect would be duplicated by a second run, and no-transaction files): a side-effect table
# gets exactly one row per migration, all written by one session; 20 success rows in the
# history; one upgrader applied everything, the others found nothing to do; no lock left.
#
# CI: 3 rounds; --long: 10.
TEST_NAME=race
. "$SRCDIR/tests/upgrade/lib.sh"
. "$SRCDIR/tests/faults/lib.sh"
ROUNDS=$(by_mode 3 10)
N=20
PIDS=()
cleanup_all() {
    for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
    cleanup_db
}
trap cleanup_all EXIT

printf 'CREATE TABLE runs (version int, pid int DEFAULT pg_backend_pid(), at timestamptz DEFAULT clock_timestamp());\n' \
    >"$MIG/0001_runs.sql"
for v in $(seq 2 20); do
    f=$MIG/$(printf %04d "$v")_m$v.sql
    if [ $((v % 5)) = 0 ]; then
        # Re-runnable, as no-transaction statements must be; the run count still shows a
        # second application (a plain INSERT, which a correct lock never repeats).
        printf -- '-- slipway:no-transaction\nCREATE TABLE IF NOT EXISTS nt%d (x int);\nSELECT pg_sleep(0.02);\nINSERT INTO runs (version) VALUES (%d);\n' \
            "$v" "$v" >"$f"
    else
        printf 'INSERT INTO runs (version) VALUES (%d);\nCREATE TABLE t%d (x int);\nSELECT pg_sleep(0.01);\n' \
            "$v" "$v" >"$f"
    fi
done

t_all=$(now_ms)
for r in $(seq "$ROUNDS"); do
    dropdb --force "$DB" && createdb "$DB" || { echo "Bail out! recreate $DB"; exit 1; }
    rm -f "$TMP/go" "$TMP"/up*.log "$TMP"/ready*
    PIDS=()
    for i in $(seq "$N"); do
        # Each one says it is at the barrier, waits there, then execs slipway: all start
        # within milliseconds.
        sh -c 'touch "$1"; while [ ! -e "$2" ]; do sleep 0.01; done; shift 2; exec "$@"' sh \
            "$TMP/ready$i" "$TMP/go" "$SLIPWAY" -c "$CONF" --upgrade >"$TMP/up$i.log" 2>&1 &
        PIDS+=($!)
    done
    all_ready() { [ "$(find "$TMP" -maxdepth 1 -name 'ready*' | wc -l)" = "$N" ]; }
    wait_until 60000 all_ready
    ok $? "round $r: all $N upgraders wait at the barrier"
    t0=$(now_ms)
    touch "$TMP/go"
    codes=""
    for p in "${PIDS[@]}"; do
        wait "$p"
        codes="$codes $?"
    done
    PIDS=()
    ms=$(($(now_ms) - t0))
    is "$(echo $codes | tr ' ' '\n' | sort | uniq -c | awk '{printf "%s×%s ", $1, $2}')" "20×0 " \
        "round $r: all $N upgraders exit 0 (${ms} ms)"
    is "$(q "SELECT count(*) || ' ' || count(DISTINCT version) || ' ' || count(DISTINCT pid) FROM runs")" \
        "19 19 1" "round $r: each migration's side effect is there exactly once, from one session"
    is "$(q "SELECT count(*) FILTER (WHERE success) || ' ' || count(*) FROM slipway_migrations")" "20 20" \
        "round $r: 20 history rows, all successful"
    is "$(cat "$TMP"/up*.log | grep -c 'upgrade done: 20 migrations applied')/$(cat "$TMP"/up*.log | grep -c 'nothing to do: schema version 20')" \
        "1/19" "round $r: one upgrader applied everything, 19 found nothing to do"
    is "$(advisory_locks)" 0 "round $r: the lock is free"
    if [ "$TAP_FAILED" -gt 0 ]; then
        for i in $(seq "$N"); do sed "s/^/#   up$i: /" "$TMP/up$i.log"; done | head -n 60
        break
    fi
done
echo "# $ROUNDS rounds of $N racing upgraders in $(($(now_ms) - t_all)) ms"

done_testing
