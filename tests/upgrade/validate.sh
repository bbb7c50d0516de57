#!/usr/bin/env bash
# Validation before anything runs: checksum drift (exit 5, both checksums shown) and
# --repair-checksums; out-of-order (exit 5) and out_of_order = true; an applied migration
# missing from the directory is only a warning.
TEST_NAME=validate
. "$SRCDIR/tests/upgrade/lib.sh"

printf 'CREATE TABLE v1 (x int);\n' >"$MIG/0001_one.sql"
printf 'CREATE TABLE v3 (x int);\n' >"$MIG/0003_three.sql"
sw --upgrade
is "$RC" 0 "initial upgrade"
old=$(sha256sum <"$MIG/0001_one.sql" | cut -d' ' -f1)

printf 'CREATE TABLE v1 (x int, y int);\n' >"$MIG/0001_one.sql"
new=$(sha256sum <"$MIG/0001_one.sql" | cut -d' ' -f1)
printf 'CREATE TABLE v4 (x int);\n' >"$MIG/0004_four.sql"
sw --upgrade
is "$RC" 5 "a changed applied file exits 5"
like "$OUT" "0001_one.sql: changed since it was applied" "drift names the file"
like "$OUT" "recorded checksum $old" "drift shows the recorded checksum"
like "$OUT" "file checksum $new" "drift shows the file's checksum"
is "$(q "SELECT to_regclass('v4') IS NULL")" t "nothing ran after drift was found"

sw status --json
like "$OUT" "\"drift\":[{\"version\":\"1\",\"name\":\"0001_one.sql\",\"recorded\":\"$old\",\"file\":\"$new\"}]" \
    "status --json lists the drift with both checksums"

sw --upgrade --repair-checksums
is "$RC" 0 "--repair-checksums exits 0"
like "$OUT" "0001_one.sql: checksum repaired" "repair is logged"
is "$(q "SELECT checksum FROM slipway_migrations WHERE version = '{1}'")" "$new" "checksum updated"
is "$(q "SELECT to_regclass('v4') IS NOT NULL")" t "pending migrations ran after the repair"

printf 'CREATE TABLE v2 (x int);\n' >"$MIG/0002_two.sql"
sw --upgrade
is "$RC" 5 "a pending migration older than the schema version exits 5"
like "$OUT" "0002_two.sql: pending but older than schema version 4" "out-of-order is named"
is "$(q "SELECT to_regclass('v2') IS NULL")" t "it did not run"

write_config "out_of_order = true"
sw --upgrade
is "$RC" 0 "out_of_order = true applies it"
like "$OUT" "[1/1] 0002_two.sql applied in" "the older migration ran"
is "$(q "SELECT array_to_string(max(version), '.') FROM slipway_migrations")" 4 "schema version unchanged"

rm "$MIG/0004_four.sql"
sw --upgrade
is "$RC" 0 "an applied migration missing from the directory is not an error"
like "$OUT" "warning: applied migration 4 (0004_four.sql) is not in" "but a warning"
like "$OUT" "nothing to do: schema version 4" "and nothing is done"

printf 'not a migration name\n' >"$MIG/0005_x.txt"
printf 'SELECT 1;\n' >"$MIG/V5__dup.sql"
printf 'SELECT 1;\n' >"$MIG/0005_dup.sql"
sw --upgrade
is "$RC" 2 "a duplicate version is a configuration error"
like "$OUT" "duplicate version 5" "duplicate named"

# The files are read while the connection starts; when it cannot start (nothing listens on
# port 1), they are read after the first failed attempt, before any retry: the bad file is the
# one error, at once, for upgrade and status alike.
write_config
sed -i 's/^url = .*/url = host=127.0.0.1 port=1 dbname=nowhere/; s/^wait = .*/wait = 3s/' "$CONF"
for cmd in --upgrade status; do
    sw $cmd
    is "$RC" 2 "$cmd: a duplicate version with the database unreachable exits 2"
    like "$OUT" "duplicate version 5" "$cmd: the bad file is the error"
    unlike "$OUT" "retrying" "$cmd: no retry of the connection came first"
done

done_testing
