#!/usr/bin/env bash
# `slipway health` without a supervisor: checks the database directly. 0 healthy, 1 with one
# line naming the dependency that is behind or ahead; never any other code.
TEST_NAME=health
. "$SRCDIR/tests/upgrade/lib.sh"

printf 'CREATE TABLE a (id int);\n' >"$MIG/0001_a.sql"
printf 'CREATE TABLE b (id int);\n' >"$MIG/0002_b.sql"
# No supervisor here: the socket path leads nowhere, so health asks the database.
write_config '[serve]' "health_socket = $TMP/none.sock"

sw health
is "$RC" 1 "fresh database: unhealthy"
is "$OUT" "database: schema version none is behind, this image needs 2" "one line: which dependency, have vs need"
sw --upgrade
sw health
is "$RC" 0 "after the upgrade: healthy"
like "$OUT" "schema version 2" "healthy line names the version"

# The previous release (one migration less) stays healthy on the newer schema: rollback works.
mkdir -p "$TMP/old"
cp "$MIG/0001_a.sql" "$TMP/old/"
sed "s|^dir = .*|dir = $TMP/old|" "$CONF" >"$TMP/old.ini"
"$SLIPWAY" -c "$TMP/old.ini" health >/dev/null
is "$?" 0 "older image (needs 1) is healthy on schema 2"
printf '[database]\nrequires = 1\nmax_ahead = 0\n' >"$TMP/ahead.ini"
out=$(SLIPWAY_DATABASE_URL="host=$PGHOST port=$PGPORT dbname=$DB" SLIPWAY_SERVE_HEALTH_SOCKET=$TMP/none.sock \
    "$SLIPWAY" -c "$TMP/ahead.ini" health)
is "$?" 1 "max_ahead = 0: a schema ahead of requires is unhealthy"
like "$out" "schema version 2 is more than 0 migrations ahead of 1" "max_ahead message"
printf '[database]\nrequires = 3\n' >"$TMP/newer.ini"
out=$(SLIPWAY_DATABASE_URL="host=$PGHOST port=$PGPORT dbname=$DB" SLIPWAY_SERVE_HEALTH_SOCKET=$TMP/none.sock \
    "$SLIPWAY" -c "$TMP/newer.ini" health)
is "$?" 1 "requires = 3 overrides the shipped version"
like "$out" "needs 3" "requires shown"

# Tasks: a required task behind makes it unhealthy; a task with required = false does not.
write_config '[serve]' "health_socket = $TMP/none.sock" '[task "seed"]' "command = true" "version = 2" \
    '[task "optional"]' "command = true" "version = 5" "required = false"
q "CREATE TABLE IF NOT EXISTS slipway_tasks (name text primary key, version bigint, updated_at timestamptz)" >/dev/null
q "INSERT INTO slipway_tasks VALUES ('seed', 1, now())" >/dev/null
sw health
is "$RC" 1 "required task behind: unhealthy"
is "$OUT" "task seed: version 1 is behind, this image needs 2" "task named, have vs need"
q "UPDATE slipway_tasks SET version = 2 WHERE name = 'seed'" >/dev/null
sw health
is "$RC" 0 "required task at its version; optional task never run: healthy"

# Unreachable database: unhealthy (1, not 3), with the reason, promptly.
start=$(now_ms)
out=$(SLIPWAY_DATABASE_URL="host=127.0.0.1 port=1 dbname=x" "$SLIPWAY" -c "$CONF" health)
rc=$?
is "$rc" 1 "unreachable database: 1"
like "$out" "unreachable: " "says it is unreachable (one attempt: no duration)"
like "$out" "Connection refused" "and why"
[ $(($(now_ms) - start)) -lt 3000 ]
ok $? "health does not retry for [database] wait"
out=$("$SLIPWAY" -c /nonexistent.ini health 2>&1)
is "$?" 1 "config error: health exits 1, not 2"

done_testing
