#!/usr/bin/env bash
# The version model end to end: a history table an older slipway wrote (version bigint) is
# converted in place under the lock and read before that by health and status; version 0
# is a version ("none" is no version); dotted versions in `requires` compare part by part.
TEST_NAME=versions
. "$SRCDIR/tests/upgrade/lib.sh"

for v in 1 2 3; do printf 'CREATE TABLE t%d (id int);\n' "$v" >"$MIG/000${v}_t$v.sql"; done
sum() { sha256sum "$MIG/$1" | cut -d' ' -f1; }
# The history exactly as slipway 0.1 created it, with 1 and 2 applied.
q "CREATE TABLE slipway_migrations (version bigint PRIMARY KEY, name text NOT NULL, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now(), duration_ms integer NOT NULL DEFAULT 0, applied_by text, statements_done integer NOT NULL DEFAULT 0, success boolean NOT NULL);
   CREATE TABLE slipway_tasks (name text PRIMARY KEY, version bigint NOT NULL, updated_at timestamptz NOT NULL DEFAULT now());
   CREATE TABLE t1 (id int); CREATE TABLE t2 (id int);
   INSERT INTO slipway_migrations (version, name, checksum, applied_by, success) VALUES
     (1, '0001_t1.sql', '$(sum 0001_t1.sql)', 'old slipway', true),
     (2, '0002_t2.sql', '$(sum 0002_t2.sql)', 'old slipway', true)" >/dev/null
write_config '[serve]' "health_socket = $TMP/none.sock"

sw health
is "$OUT" "database: schema version 2 is behind, this image needs 3" \
    "health reads a bigint history (a new image's probe before its upgrade)"
printf '[database]\nrequires = 1\nmax_ahead = 0\n' >"$TMP/ahead.ini"
out=$(SLIPWAY_DATABASE_URL="host=$PGHOST port=$PGPORT dbname=$DB" SLIPWAY_SERVE_HEALTH_SOCKET=$TMP/none.sock \
    "$SLIPWAY" -c "$TMP/ahead.ini" health)
is "$out" "database: schema version 2 is more than 0 migrations ahead of 1 (max_ahead)" \
    "max_ahead counts migrations on a bigint history too"
sw status
like "$OUT" "schema version: 2" "status reads a bigint history"
like "$OUT" "pending      0003_t3.sql" "and finds the pending file"

sw --upgrade
is "$RC" 0 "upgrade on a bigint history exits 0"
like "$OUT" "[1/1] 0003_t3.sql applied" "only the new file runs"
is "$(q "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'slipway_migrations'::regclass AND attname = 'version'")" \
    "numeric[]" "the version column is converted to numeric[]"
is "$(q "SELECT string_agg(array_to_string(version, '.') || ':' || applied_by, ',' ORDER BY version) FROM slipway_migrations WHERE version < '{3}'")" \
    "1:old slipway,2:old slipway" "the old rows are kept as they were"
sw health
is "$RC" 0 "healthy after the upgrade"
is "$(q "SELECT array_to_string(max(version), '.') FROM slipway_migrations WHERE success")" 3 \
    "the README's schema version query"

# Version 0: nothing applied is "none", not 0.
dropdb --force "$DB" && createdb "$DB"
rm -f "$MIG"/*
printf 'CREATE TABLE zero (id int);\n' >"$MIG/0_initial.up.sql"
printf 'DROP TABLE zero;\n' >"$MIG/0_initial.down.sql"
sw health
is "$OUT" "database: schema version none is behind, this image needs 0" \
    "version 0 required, nothing applied: behind"
sw status --json
like "$OUT" '"schema_version":null' "status --json: no schema version"
sw --upgrade
like "$OUT" "upgrade done: 1 migration applied" "version 0 applied"
like "$OUT" "schema version 0" "the schema version is 0"
sw health
is "$RC/$OUT" "0/healthy: schema version 0 (this image needs 0)" "healthy at version 0"
sw status --json
like "$OUT" '"schema_version":"0"' "status --json: schema version \"0\""

# Dotted versions: requires compares part by part (1.10 > 1.9).
dropdb --force "$DB" && createdb "$DB"
rm -f "$MIG"/*
printf 'CREATE TABLE a (id int);\n' >"$MIG/V1_9__a.sql"
write_config '[serve]' "health_socket = $TMP/none.sock"
sw --upgrade
like "$OUT" "schema version 1.9" "schema version 1.9"
write_config '[serve]' "health_socket = $TMP/none.sock" '[database]' 'requires = 1.10'
sw health
is "$OUT" "database: schema version 1.9 is behind, this image needs 1.10" \
    "requires = 1.10 is above 1.9"
write_config '[serve]' "health_socket = $TMP/none.sock" '[database]' 'requires = 1.9.0'
sw health
is "$RC" 0 "requires = 1.9.0 is 1.9"
write_config '[serve]' "health_socket = $TMP/none.sock" '[database]' 'requires = 1.x'
sw check
is "$RC" 2 "a bad requires is a configuration error"
like "$OUT" "bad value '1.x' for requires (expected a version such as 42 or 1.12.22)" \
    "and says what is expected"

done_testing
