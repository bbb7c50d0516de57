#!/usr/bin/env bash
# Proves: every migration starts from the same session state, as with a fresh psql per file.
# A file that moves search_path (SET search_path = app; pg_dump's set_config('search_path',
# '', false) in a no-transaction file) does not change where the next file's tables land: the
# set applied in one run and file by file, one run each, end in the same state, every later
# table in public. And a transactional file that ends its own transaction (ROLLBACK or COMMIT
# inside), which lint refuses, fails with one line and is not recorded with lint off too.
TEST_NAME=sessstate
. "$SRCDIR/tests/upgrade/lib.sh"
. "$SRCDIR/tests/faults/lib.sh"
STEP=${DB}_step
cleanup_all() {
    dropdb --if-exists --force "$STEP" 2>/dev/null
    cleanup_db
}
trap cleanup_all EXIT

SET=$TMP/set
mkdir -p "$SET"
printf 'CREATE SCHEMA app;\nSET search_path = app;\nCREATE TABLE app_1 (id int);\n' >"$SET/0001_app.sql"
printf 'CREATE TABLE t2 (id int);\n' >"$SET/0002_t2.sql"
printf -- "-- slipway:no-transaction\nSELECT pg_catalog.set_config('search_path', '', false);\nCREATE TABLE public.t3 (id int);\n" \
    >"$SET/0003_dump.sql"
printf 'CREATE TABLE t4 (id int);\n' >"$SET/0004_t4.sql"
printf "SET work_mem = '77kB';\nSET search_path = app, public;\nCREATE TABLE app_5 (id int);\n" >"$SET/0005_app.sql"
printf 'CREATE TABLE t6 (id int);\nSELECT 1 / (current_setting($$work_mem$$) <> $$77kB$$)::int;\n' >"$SET/0006_t6.sql"

# All pending in one run.
cp "$SET"/* "$MIG/"
sw --upgrade
is "$RC" 0 "all six in one run: exit 0"
is "$(q "SELECT string_agg(relnamespace::regnamespace || '.' || relname, ' ' ORDER BY relname) FROM pg_class WHERE relname ~ '^(t|app_)[0-9]' AND relkind = 'r'")" \
    "app.app_1 app.app_5 public.t2 public.t3 public.t4 public.t6" \
    "each table where its own file puts it"

# One file per run.
createdb "$STEP" || { echo "Bail out! createdb $STEP"; exit 1; }
rm -f "$MIG"/*
STEP_CONF=$TMP/step.ini
DB=$STEP CONF=$STEP_CONF write_config
for f in "$SET"/*; do
    cp "$f" "$MIG/"
    CONF=$STEP_CONF sw --upgrade
    [ "$RC" = 0 ] || { echo "# $(basename "$f"): exit $RC"; sed 's/^/#   /' "$LOG"; }
done
is "$(psql -X -A -t -q -d "$STEP" -c "SELECT count(*) FROM slipway_migrations WHERE success")" 6 \
    "one file per run: all six applied"
same_state "$DB" "$STEP" "one run and one run per file end in the same state"

# ---- a file that ends its own transaction ----------------------------------------------------
# Lint refuses it before anything runs (exit 5); with lint off, the run itself still does.
rm -f "$MIG"/*
dropdb --force "$DB" && createdb "$DB" || { echo "Bail out! recreate $DB"; exit 1; }
printf 'CREATE TABLE x1 (id int);\nROLLBACK;\n' >"$MIG/0001_x1.sql"
sw --upgrade
is "$RC" 5 "lint on: ROLLBACK inside a transactional file is refused before anything runs"
write_config "lint = off"
sw --upgrade
is "$RC" 1 "ROLLBACK inside a transactional file: exit 1"
like "$OUT" "0001_x1.sql: the migration ended its own transaction (COMMIT/ROLLBACK inside the file); nothing recorded" \
    "one line names the file and the cause"
is "$(q "SELECT count(*) FROM slipway_migrations")" 0 "nothing recorded"
is "$(q "SELECT to_regclass('x1') IS NULL")" t "and no table"

printf 'CREATE TABLE x2 (id int);\nCOMMIT;\nCREATE TABLE x3 (id int);\n' >"$MIG/0001_x1.sql"
sw --upgrade
is "$RC" 1 "COMMIT inside a transactional file: exit 1"
like "$OUT" "0001_x1.sql: the migration ended its own transaction" "named the same way"
is "$(q "SELECT count(*) FROM slipway_migrations")" 0 "nothing recorded"
is "$(q "SELECT to_regclass('x3') IS NULL")" t "nothing after its COMMIT stays"

printf 'CREATE TABLE x4 (id int);\nCOMMIT;\nBEGIN;\nCREATE TABLE x5 (id int);\n' >"$MIG/0001_x1.sql"
sw --upgrade
is "$RC" 1 "COMMIT; BEGIN; inside a transactional file: exit 1"
like "$OUT" "0001_x1.sql: the migration ended its own transaction" "named the same way"
is "$(q "SELECT count(*) FROM slipway_migrations")" 0 "nothing recorded"
is "$(q "SELECT to_regclass('x5') IS NULL")" t "nothing after its BEGIN stays"

printf 'CREATE TABLE ok1 (id int);\n' >"$MIG/0001_x1.sql"
sw --upgrade
is "$RC" 0 "fixed, the file applies"

done_testing
