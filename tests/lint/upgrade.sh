#!/usr/bin/env bash
# Lint at the start of --upgrade, against a real PostgreSQL: lint = error stops with exit 5
# before any migration runs; lint = warn logs and applies; only pending files are linted;
# what cannot run is exit 5 even with lint = warn. Serve mode never maps libpg_query, while
# check does.
TEST_NAME=lint
. "$SRCDIR/tests/upgrade/lib.sh"

printf 'CREATE TABLE users (id bigint PRIMARY KEY, email text);\n' >"$MIG/0001_users.sql"
printf 'ALTER TABLE users ADD COLUMN name text;\nALTER TABLE users DROP COLUMN email;\n' \
    >"$MIG/0002_drop.sql"
applied() { q "SELECT count(*) FROM slipway_migrations WHERE success"; }

write_config "lint = error"
sw --upgrade
is "$RC" 5 "lint = error: a breaking change stops the upgrade with exit 5"
like "$OUT" "0002_drop.sql:2: drop-column: drops column users.email" "naming the file, line and rule"
like "$OUT" "lint: 2 files, 1 finding (1 error): drop-column 1" "with the summary"
is "$(q "SELECT to_regclass('users') IS NULL")" t "nothing ran, not even the clean file before it"
is "$(q "SELECT count(*) FROM slipway_migrations")" 0 "nothing was recorded"
is "$(advisory_locks)" 0 "the lock is released"

write_config "lint = warn"
sw --upgrade
is "$RC" 0 "lint = warn: the upgrade goes on"
like "$OUT" "warning: 0002_drop.sql:2: drop-column" "after logging the finding as a warning"
is "$(applied)" 2 "both migrations applied"
is "$(q "SELECT count(*) FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'email'")" 0 \
    "the column is gone"

printf 'CREATE INDEX users_name ON users (name);\n' >"$MIG/0003_index.sql"
sw --upgrade
is "$RC" 0 "the next upgrade"
unlike "$OUT" "drop-column" "does not lint applied files again"
like "$OUT" "0003_index.sql:1: index-not-concurrent" "but lints the pending one"
like "$OUT" "lint: 1 file, 1 finding (0 errors)" "its summary counts the pending file only"

printf 'INSERT INTO users (id) VALUES (1);\nCOMMIT;\n' >"$MIG/0004_commit.sql"
sw --upgrade
is "$RC" 5 "lint = warn: COMMIT in a transactional file still stops the upgrade (exit 5)"
like "$OUT" "0004_commit.sql:2: transaction-control" "naming the line"
is "$(q "SELECT count(*) FROM users")" 0 "before any of it ran"
is "$(applied)" 3 "and without recording it"

rm "$MIG/0004_commit.sql"
sw --upgrade
is "$RC" 0 "nothing pending"
unlike "$OUT" "lint" "lint has nothing to say when nothing is pending"

# The libraries a process maps: check loads libpg_query (so the negative check below can
# fail), a gated supervisor loads libpq but not libpg_query.
LD_DEBUG=libs "$SLIPWAY" -c "$CONF" check >"$TMP/ld.log" 2>&1
grep -q "calling init: .*libpg_query" "$TMP/ld.log"
ok $? "check loads libpg_query"
SLIPWAY_SERVE_WAIT_FOR=database SLIPWAY_SERVE_HEALTH_SOCKET=$TMP/s.sock \
    "$SLIPWAY" -c "$CONF" -- sh -c "touch '$TMP/started'; exec sleep 60" 2>/dev/null &
sup=$!
for _ in $(seq 200); do [ -e "$TMP/started" ] && break; sleep 0.05; done
[ -e "$TMP/started" ]
ok $? "a gated supervisor started its server"
grep -q libpq "/proc/$sup/maps"
ok $? "it loaded libpq for the gate"
grep -q libpg_query "/proc/$sup/maps"
ok $((!$?)) "but not libpg_query"
kill -TERM "$sup"
wait "$sup"

done_testing
