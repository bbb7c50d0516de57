#!/usr/bin/env bash
# Apply, no-op, rerun; the four naming formats; plpgsql, DO blocks and dollar quotes;
# checksums; status --json.
TEST_NAME=basic
. "$SRCDIR/tests/upgrade/lib.sh"

cat >"$MIG/0001_init.sql" <<'SQL'
CREATE TABLE orders (id int PRIMARY KEY, note text);
CREATE FUNCTION add_order(n int) RETURNS int LANGUAGE plpgsql AS $body$
BEGIN
    -- a ; inside the body, and a quote ' in a comment
    INSERT INTO orders VALUES (n, $q$semi;colon 'quoted'$q$);
    RETURN n;
END
$body$;
SQL
cat >"$MIG/V2__flyway.sql" <<'SQL'
DO $$ BEGIN PERFORM add_order(2); END $$;
CREATE TABLE flyway_t (x int);
SQL
printf 'CREATE TABLE gomigrate_t (x int);\r\nSELECT add_order(3);\r\n' >"$MIG/3_gomigrate.up.sql"
printf 'DROP TABLE gomigrate_t;\n' >"$MIG/3_gomigrate.down.sql"
cat >"$MIG/20240101120000_dbmate.sql" <<'SQL'
-- migrate:up
CREATE TABLE dbmate_t (x int);
-- migrate:down
DROP TABLE dbmate_t;
SQL

sw --upgrade
is "$RC" 0 "first upgrade exits 0"
like "$OUT" "[1/4] 0001_init.sql applied in " "progress line for the first file"
like "$OUT" "[4/4] 20240101120000_dbmate.sql applied in " "progress line for the last file"
like "$OUT" "upgrade done: 4 migrations applied in " "summary line"
like "$OUT" "schema version 20240101120000" "summary names the schema version"
is "$(q "SELECT count(*) FROM slipway_migrations WHERE success")" 4 "four history rows"
is "$(q "SELECT string_agg(id || ':' || note, ',' ORDER BY id) FROM orders")" \
    "2:semi;colon 'quoted',3:semi;colon 'quoted'" "plpgsql with dollar quotes ran as written"
for t in flyway_t gomigrate_t dbmate_t; do
    is "$(q "SELECT to_regclass('$t') IS NOT NULL")" t "table $t created"
done
is "$(q "SELECT name FROM slipway_migrations WHERE version = '{3}'")" 3_gomigrate.up.sql \
    "golang-migrate .down.sql ignored, .up.sql recorded"
want=$(tr -d '\r' <"$MIG/3_gomigrate.up.sql" | sha256sum | cut -d' ' -f1)
is "$(q "SELECT checksum FROM slipway_migrations WHERE version = '{3}'")" "$want" \
    "checksum is the SHA-256 of the content with CRLF normalised"
is "$(q "SELECT count(*) FROM slipway_migrations WHERE applied_by LIKE '%slipway%' AND duration_ms >= 0")" \
    4 "applied_by and duration_ms recorded"

sw --upgrade
is "$RC" 0 "second upgrade exits 0"
like "$OUT" "nothing to do: schema version 20240101120000" "second upgrade is a no-op"
unlike "$OUT" "applied in" "nothing applied the second time"

cat >"$MIG/30000000000000_more.sql" <<'SQL'
CREATE TABLE more_t (x int);
SQL
sw --upgrade
is "$RC" 0 "upgrade with one new file exits 0"
like "$OUT" "[1/1] 30000000000000_more.sql applied in" "only the new file runs"

sw status
is "$RC" 0 "status exits 0"
like "$OUT" "schema version: 30000000000000" "status shows the schema version"
like "$OUT" "upgrade lock: free" "status shows the lock free"
"$SLIPWAY" -c "$CONF" status --json >"$TMP/status.json" 2>"$TMP/status.err"
is "$?" 0 "status --json exits 0"
python3 -m json.tool "$TMP/status.json" >/dev/null
is "$?" 0 "status --json is valid JSON"
is "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["schema_version"], len(d["migrations"]["applied"]), len(d["migrations"]["pending"]))' "$TMP/status.json")" \
    "30000000000000 5 0" "status --json content"

SLIPWAY_UPGRADE=1 "$SLIPWAY" -c "$CONF" >"$LOG" 2>&1
is "$?" 0 "SLIPWAY_UPGRADE=1 upgrades"
like "$(cat "$LOG")" "nothing to do" "SLIPWAY_UPGRADE=1 ran the upgrade"

done_testing
