#!/usr/bin/env bash
# The history table's schema: a configured schema.table (created when missing, slipway_tasks
# beside it, the lock keyed on that name), and an unqualified name pinned to its schema so a
# migration that changes search_path cannot move the history rows. lock_timeout applies.
TEST_NAME=schema
. "$SRCDIR/tests/upgrade/lib.sh"

cat >"$MIG/0001_app.sql" <<'SQL'
CREATE SCHEMA app;
SET search_path = app;
SQL
printf 'CREATE TABLE things (x int);\n' >"$MIG/0002_things.sql"

write_config "table = meta.history" '[task "noop"]' 'command = true' 'version = 1'
sw --upgrade
is "$RC" 0 "upgrade with a schema-qualified history table"
is "$(q "SELECT count(*) FROM meta.history WHERE success")" 2 "history in the configured schema"
is "$(q "SELECT version FROM meta.slipway_tasks WHERE name = 'noop'")" 1 \
    "slipway_tasks beside it"
is "$(q "SELECT to_regclass('public.things') IS NOT NULL")" t \
    "search_path set by a migration ends with it: the next starts afresh, as psql per file"
sw status --json
like "$OUT" '"schema_version":2' "status reads the configured table"

psql -X -q -d "$DB" -c "SELECT pg_advisory_lock(1936484720, hashtext('meta.history'))" \
    -c "SELECT pg_sleep(20)" >/dev/null 2>&1 &
holder=$!
for _ in $(seq 100); do [ "$(advisory_locks)" = 1 ] && break; sleep 0.1; done
write_config "table = meta.history" "lock_wait = 500ms"
sw --upgrade
is "$RC" 4 "the lock key is derived from the configured table name"
kill "$holder"
wait "$holder" 2>/dev/null

dropdb --force "$DB" && createdb "$DB"
write_config
sw --upgrade
is "$RC" 0 "upgrade with the default, unqualified table"
is "$(q "SELECT count(*) FROM public.slipway_migrations")" 2 \
    "history rows stay in public although a migration set search_path"
is "$(q "SELECT to_regclass('app.slipway_migrations') IS NULL")" t "nothing went to app"

printf 'CREATE TABLE locked (x int);\n' >"$MIG/0003_locked.sql"
printf 'LOCK TABLE locked;\n' >>"$MIG/0003_locked.sql"
printf 'ALTER TABLE things ADD COLUMN y int;\n' >"$MIG/0004_alter.sql"
write_config "lock_timeout = 300ms"
psql -X -q -d "$DB" -c "BEGIN" -c "LOCK TABLE things" -c "SELECT pg_sleep(20)" \
    >/dev/null 2>&1 &
blocker=$!
for _ in $(seq 100); do
    [ "$(q "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE c.relname = 'things' AND l.mode = 'AccessExclusiveLock'")" = 1 ] && break
    sleep 0.1
done
t0=$(now_ms)
sw --upgrade
elapsed=$(($(now_ms) - t0))
is "$RC" 1 "a migration blocked longer than lock_timeout fails"
like "$OUT" "lock timeout" "with the server's lock timeout error"
[ "$elapsed" -lt 3000 ]
ok $? "promptly (${elapsed} ms)"
is "$(q "SELECT max(version) FROM slipway_migrations WHERE success")" 3 \
    "the migrations before it were applied"
kill "$blocker"
wait "$blocker" 2>/dev/null

done_testing
