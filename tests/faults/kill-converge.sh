#!/usr/bin/env bash
# Proves: SIGKILL of the upgrader at any moment never leaves a state that a plain rerun cannot
# finish, and the finished state is exactly the one of an uninterrupted run. There is no
# "dirty" flag to clear and no stale lock to remove (golang-migrate and Liquibase users know
# both): the lock is a session advisory lock that dies with the connection.
#
# A 50-migration set mixes transactional files (plain, non-repeatable DDL: run twice, they
# would fail) and `-- slipway:no-transaction` files written re-runnable as the README asks
# (IF NOT EXISTS, ON CONFLICT, CREATE INDEX CONCURRENTLY + REINDEX CONCURRENTLY). A reference
# database gets one uninterrupted upgrade. Then, round after round, a fresh database gets 1-4
# upgraders SIGKILLed at random moments (three ways to choose the moment: a random delay within
# the reference run time; right after the log shows a random number of migrations applied;
# while a no-transaction statement is running, seen in pg_stat_activity), each next upgrader
# started at once (the killed one's statement may still be running on the server, as when a
# replica waiting on the lock takes over), then one clean rerun. After each round: exit 0,
# `pg_dump --schema-only` (normalised), the history rows (version, name, checksum, success,
# statements_done) and the data are identical to the reference, and no advisory lock is left.
#
# CI: 30 kills that landed (the upgrader was still running); --long: 200.
TEST_NAME=killconv
. "$SRCDIR/tests/upgrade/lib.sh"
. "$SRCDIR/tests/faults/lib.sh"
KILLS=$(by_mode 30 200)

REF=$DB
RDB=${DB}_r
RCONF=$TMP/round.ini
DB=$RDB CONF=$RCONF write_config
cleanup_all() {
    [ -n "${UP:-}" ] && kill -KILL "$UP" 2>/dev/null
    dropdb --if-exists --force "$RDB" 2>/dev/null
    cleanup_db
}
trap cleanup_all EXIT

# ---- the migration set ------------------------------------------------------------------
sleep_for() { printf '0.%03d' $((10 + ($1 * 7) % 21)); } # 10-30 ms, fixed per version

cat >"$MIG/0001_base.sql" <<'SQL'
CREATE TABLE runs (version int PRIMARY KEY);
CREATE TABLE items (id int PRIMARY KEY, grp int NOT NULL, label text);
INSERT INTO items SELECT g, g % 10, 'item ' || g FROM generate_series(1, 1000) g;
SQL
for v in $(seq 2 50); do
    f=$MIG/$(printf %04d "$v")_step_$v.sql
    if [ $((v % 3)) = 0 ]; then
        {
            printf -- '-- slipway:no-transaction\n'
            printf 'CREATE TABLE IF NOT EXISTS nt_%d (id int PRIMARY KEY, val text);\n' "$v"
            printf 'SELECT pg_sleep(%s) AS notx_pause;\n' "$(sleep_for "$v")"
            if [ $((v % 12)) = 0 ]; then
                # A slow statement with an effect (10 rows, 25 ms each): a kill during it
                # leaves it running on the server while the next upgrader replays it.
                printf "INSERT INTO nt_%d /* notx_pause */ SELECT g, 'slow ' || g FROM generate_series(1001, 1010) g CROSS JOIN LATERAL (SELECT pg_sleep(0.025) WHERE g > 0) s ON CONFLICT DO NOTHING;\n" "$v"
            fi
            printf "INSERT INTO nt_%d SELECT g, 'row ' || g FROM generate_series(1, 200) g ON CONFLICT DO NOTHING;\n" "$v"
            printf 'ALTER TABLE items ADD COLUMN IF NOT EXISTS n_%d int;\n' "$v"
            printf 'UPDATE items SET n_%d = id %% 7 WHERE n_%d IS DISTINCT FROM id %% 7;\n' "$v" "$v"
            if [ $((v % 6)) = 0 ]; then
                # A killed CREATE INDEX CONCURRENTLY can leave an INVALID index that IF NOT
                # EXISTS then skips; REINDEX CONCURRENTLY makes it valid, and the DO block
                # drops what a killed REINDEX CONCURRENTLY leaves (invalid *_ccnew/_ccold).
                printf 'CREATE INDEX CONCURRENTLY IF NOT EXISTS items_n_%d ON items (n_%d);\n' "$v" "$v"
                printf 'REINDEX INDEX CONCURRENTLY items_n_%d;\n' "$v"
                printf '%s\n' "DO \$\$DECLARE r record; BEGIN
  FOR r IN SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
           WHERE NOT i.indisvalid AND c.relname ~ '^items_n_${v}_cc(new|old)[0-9]*\$' LOOP
    EXECUTE format('DROP INDEX %I', r.relname);
  END LOOP;
END\$\$;"
            fi
            printf 'SELECT pg_sleep(%s) AS notx_pause;\n' "$(sleep_for $((v + 1)))"
            printf 'INSERT INTO runs VALUES (%d) ON CONFLICT DO NOTHING;\n' "$v"
        } >"$f"
    else
        {
            printf 'INSERT INTO runs VALUES (%d);\n' "$v"
            case $((v % 4)) in
            0) printf "CREATE TABLE t_%d (id bigserial PRIMARY KEY, item int REFERENCES items, note text DEFAULT 'v%d');\n" "$v" "$v"
               printf 'INSERT INTO t_%d (item) SELECT id FROM items WHERE id %% 50 = %d ORDER BY id;\n' "$v" "$v" ;;
            1) printf 'ALTER TABLE items ADD COLUMN c_%d int DEFAULT %d;\n' "$v" "$v"
               printf 'CREATE INDEX items_c_%d ON items (c_%d);\n' "$v" "$v" ;;
            2) printf 'CREATE FUNCTION f_%d(x int) RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN x + %d; END; $$;\n' "$v" "$v"
               printf 'CREATE VIEW v_%d AS SELECT id, f_%d(id) AS f FROM items WHERE id < 10;\n' "$v" "$v" ;;
            3) printf "DO \$\$ BEGIN EXECUTE 'CREATE TABLE d_%d (x int, y text)'; END \$\$;\n" "$v"
               printf "COMMENT ON TABLE d_%d IS 'from %d; with a semicolon';\n" "$v" "$v" ;;
            esac
            [ $((v % 2)) = 0 ] && printf 'SELECT pg_sleep(%s);\n' "$(sleep_for "$v")"
        } >"$f"
    fi
done
is "$(ls "$MIG" | wc -l) $(grep -l '^-- slipway:no-transaction' "$MIG"/* | wc -l)" "50 16" \
    "50 migrations, 16 of them no-transaction"

# ---- snapshots (snapshot: tests/faults/lib.sh) --------------------------------------------
locks_in() {
    psql -X -A -t -q -d "$1" -c "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
}
sessions_in() { # slipway connections to DB other than ours
    psql -X -A -t -q -d "$1" -c "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND application_name LIKE 'slipway%'"
}

# ---- the reference -----------------------------------------------------------------------
t0=$(now_ms)
sw --upgrade
REF_MS=$(($(now_ms) - t0))
is "$RC" 0 "reference: one uninterrupted upgrade exits 0 ($REF_MS ms)"
like "$OUT" "upgrade done: 50 migrations applied" "reference: all 50 applied"
snapshot "$REF" "$TMP/ref.snap"
is "$(q "SELECT count(*) FROM slipway_migrations WHERE success")" 50 "reference: 50 history rows"
[ "$(grep -c '^CREATE' "$TMP/ref.snap")" -gt 60 ]
ok $? "reference: the schema dump is substantial ($(grep -c '^CREATE' "$TMP/ref.snap") CREATE statements)"
is "$(psql -X -A -t -q -d "$REF" -c "SELECT count(*) FROM pg_index WHERE NOT indisvalid")" 0 \
    "reference: no invalid index"
[ "$REF_MS" -lt 200 ] && REF_MS=200

# ---- kill rounds -------------------------------------------------------------------------
rq() { psql -X -A -t -q -d "$RDB" -c "$1"; }
notx_running() {
    [ "$(rq "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND state = 'active' AND query LIKE '%notx_pause%' AND pid <> pg_backend_pid()")" -gt 0 ] ||
        ! kill -0 "$UP" 2>/dev/null
}
no_locks() { [ "$(locks_in "$RDB")" = 0 ]; }
progress_at() { # the log shows N migrations applied, or the upgrader is gone
    [ "$(grep -c ' applied in ' "$KLOG" 2>/dev/null)" -ge "$1" ] || ! kill -0 "$UP" 2>/dev/null
}

landed=0 missed=0 overlap=0 rounds=0 bad_rc="" partial=0 notx_half=0 resumed=0 converged=0
strategy_names=(delay progress no-tx)
declare -A by_strategy=([delay]=0 [progress]=0 [no-tx]=0)
start_all=$(now_ms)
while [ "$landed" -lt "$KILLS" ]; do
    rounds=$((rounds + 1))
    rt0=$(now_ms)
    dropdb --if-exists --force "$RDB" 2>/dev/null && createdb "$RDB" || { echo "Bail out! createdb $RDB"; exit 1; }
    k=$(rand_ms 1 4)
    [ $((KILLS - landed)) -lt "$k" ] && k=$((KILLS - landed))
    how="" n_how=0
    for j in $(seq "$k"); do
        applied=$(rq "SELECT count(*) FILTER (WHERE success) FROM slipway_migrations" 2>/dev/null || echo 0)
        s=$((RANDOM % 3))
        [ "$s" = 1 ] && [ $((50 - applied)) -lt 2 ] && s=0
        KLOG=$TMP/kill-$rounds-$j.log
        "$SLIPWAY" -c "$RCONF" --upgrade >"$KLOG" 2>&1 &
        UP=$!
        case $s in
        0) sleep_ms "$(rand_ms 0 $((REF_MS * (50 - applied) * 9 / 500 + 50)))" ;;
        1) wait_until 60000 progress_at "$(rand_ms 1 $((50 - applied - 1)))"
           sleep_ms "$(rand_ms 0 15)" ;;
        2) wait_until 60000 notx_running ;;
        esac
        kill -KILL "$UP" 2>/dev/null
        { wait "$UP"; } 2>/dev/null
        rc=$?
        UP=
        case $rc in
        137) landed=$((landed + 1))
             by_strategy[${strategy_names[$s]}]=$((by_strategy[${strategy_names[$s]}] + 1))
             how="$how ${strategy_names[$s]}"
             n_how=$((n_how + 1))
             # The next upgrader starts at once, as a replica polling the lock would: the
             # killed client's backend may still be running the statement it was sent, and
             # holds the lock until it ends.
             [ "$(sessions_in "$RDB")" -gt 0 ] && overlap=$((overlap + 1))
             st=$(rq "SELECT count(*) FILTER (WHERE success) || ' ' || count(*) FILTER (WHERE NOT success) FROM slipway_migrations" 2>/dev/null || echo "0 0")
             set -- $st
             [ "$1" -gt 0 ] && [ "$1" -lt 50 ] && partial=$((partial + 1))
             [ "$2" -gt 0 ] && notx_half=$((notx_half + 1)) ;;
        0) missed=$((missed + 1))
           break ;; # it finished: the rest of this round would have nothing to kill
        *) bad_rc="$bad_rc round$rounds/kill$j:rc=$rc"
           echo "# unexpected exit $rc before the kill; its log:"; sed 's/^/#   /' "$KLOG" ;;
        esac
    done
    CONF=$RCONF sw --upgrade
    grep -q 'resuming at statement' "$LOG" && resumed=$((resumed + 1))
    snapshot "$RDB" "$TMP/round.snap"
    wait_until 10000 no_locks
    locks=$(locks_in "$RDB")
    if [ "$RC" = 0 ] && cmp -s "$TMP/ref.snap" "$TMP/round.snap" && [ "$locks" = 0 ]; then
        converged=$((converged + 1))
        ok 0 "round $rounds: ${n_how} kill(s) [${how# }], rerun converged to the reference ($(($(now_ms) - rt0)) ms)"
    else
        ok 1 "round $rounds: ${n_how} kill(s) [${how# }], rerun converged to the reference"
        echo "#   rerun exit $RC, advisory locks left: $locks; rerun log:"
        sed 's/^/#   /' "$LOG"
        diff "$TMP/ref.snap" "$TMP/round.snap" | head -n 40 | sed 's/^/#   /'
    fi
done
elapsed=$(($(now_ms) - start_all))

is "$landed" "$KILLS" "$KILLS SIGKILLs landed on a running upgrader ($missed more arrived after it had finished)"
is "${bad_rc# }" "" "no upgrader exited non-zero on its own"
is "$converged" "$rounds" "all $rounds rounds converged to the reference state"
[ "$partial" -ge $((KILLS / 3)) ]
ok $? "kills spread across the set: $partial of $landed left it partly applied"
[ "$notx_half" -ge 1 ]
ok $? "$notx_half kills left a no-transaction migration half done; $resumed reruns resumed one"
echo "# $overlap kills left a statement running on the server as the next upgrader started"
echo "# kills by moment: delay ${by_strategy[delay]}, after progress ${by_strategy[progress]}, during a no-transaction statement ${by_strategy[no-tx]}; ${elapsed} ms"
is "$(sessions_in "$RDB") $(locks_in "$RDB")" "0 0" "no slipway session and no advisory lock left"

done_testing
