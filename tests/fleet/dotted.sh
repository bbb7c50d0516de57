#!/usr/bin/env bash
# A contract migration in a Flyway project that slipway takes over from Flyway's own history:
# the adopting upgrade creates slipway_fleet and the contract_floor column with the rest;
# dotted versions (V1_2_1) as the replica's requirement, the default floor, the recorded
# floor and the health line.
TEST_NAME=fleet_dotted
. "$SRCDIR/tests/upgrade/lib.sh"

OLD=$TMP/old NEW=$TMP/new
mkdir -p "$OLD" "$NEW"
echo "CREATE TABLE t (a int, b int);" >"$OLD/V1_1__t.sql"
cp "$OLD/V1_1__t.sql" "$NEW/"
echo "ALTER TABLE t ADD COLUMN c int;" >"$NEW/V1_2__c.sql"
printf -- '-- the release before stopped reading b\n-- slipway:contract\nALTER TABLE t DROP COLUMN b;\n' \
    >"$NEW/V1_2_1__drop_b.sql"
conf() { # FILE IMAGE DIR
    {
        printf '[serve]\nheartbeat = 300ms\nimage = %s\n' "$2"
        printf '[database]\nurl = host=%s port=%s dbname=%s\nwait = 2s\n' "$PGHOST" "$PGPORT" "$DB"
        printf '[migrations]\ndir = %s\nfleet_ttl = 2s\n' "$3"
    } >"$1"
}
conf "$TMP/old.ini" v1.1 "$OLD"
conf "$TMP/new.ini" v1.2.1 "$NEW"
SERVER=
trap '[ -n "$SERVER" ] && kill -TERM "$SERVER" 2>/dev/null && wait "$SERVER"; cleanup_db' EXIT

# ---- check: a default floor on a migration that changes the schema is worth a warning ----------
"$SLIPWAY" -c "$TMP/new.ini" check >"$LOG" 2>&1
is "$?" 0 "check passes the contract migration"
grep -q "V1_2_1__drop_b.sql .* transaction, contract (floor 1.2)$" "$LOG"
ok $? "and lists it as one, with its floor"
like "$(cat "$LOG")" "warning: V1_2_1__drop_b.sql:2: contract floor 1.2 is V1_2__c.sql, which changes the schema" \
    "warning that the release that shipped V1.2 is not waited for"
mkdir "$TMP/recipe" "$TMP/explicit"
cp "$NEW"/* "$TMP/recipe/"
: >"$TMP/recipe/V1_2_0_1__stop_reading_b.sql"
SLIPWAY_MIGRATIONS_DIR=$TMP/recipe "$SLIPWAY" -c "$TMP/new.ini" check >"$LOG" 2>&1
is "$?/$(grep -c 'contract floor' "$LOG")" 0/0 "no warning after an empty migration (the recipe)"
cp "$NEW"/* "$TMP/explicit/"
sed -i 's/slipway:contract$/slipway:contract floor=1.2/' "$TMP/explicit/V1_2_1__drop_b.sql"
SLIPWAY_MIGRATIONS_DIR=$TMP/explicit "$SLIPWAY" -c "$TMP/new.ini" check >"$LOG" 2>&1
is "$?/$(grep -c 'contract floor' "$LOG")" 0/0 "nor with an explicit floor"

# Flyway applied V1.1 (its table as Flyway creates it on PostgreSQL).
q 'CREATE TABLE flyway_schema_history ("installed_rank" INT NOT NULL, "version" VARCHAR(50),
    "description" VARCHAR(200) NOT NULL, "type" VARCHAR(20) NOT NULL, "script" VARCHAR(1000) NOT NULL,
    "checksum" INTEGER, "installed_by" VARCHAR(100) NOT NULL, "installed_on" TIMESTAMP NOT NULL DEFAULT now(),
    "execution_time" INTEGER NOT NULL, "success" BOOLEAN NOT NULL,
    CONSTRAINT "flyway_schema_history_pk" PRIMARY KEY ("installed_rank"));
    INSERT INTO flyway_schema_history VALUES (1, $$1.1$$, $$t$$, $$SQL$$, $$V1_1__t.sql$$, 123, $$me$$, now(), 5, true);
    CREATE TABLE t (a int, b int)' >/dev/null

"$SLIPWAY" -c "$TMP/old.ini" --upgrade >"$LOG" 2>&1
is "$?" 0 "the old release's upgrade adopts Flyway's history"
like "$(cat "$LOG")" "flyway_schema_history" "saying so"
is "$(q "SELECT to_regclass('slipway_fleet') IS NOT NULL")" t "the adoption created slipway_fleet"
is "$(q "SELECT count(*) FROM information_schema.columns WHERE table_name = 'slipway_migrations' AND column_name = 'contract_floor'")" \
    1 "and the history's contract_floor column"

SLIPWAY_SERVE_HEALTH_SOCKET=$TMP/a.sock "$SLIPWAY" -c "$TMP/old.ini" -- sleep 1000 \
    >/dev/null 2>"$TMP/a.log" &
SERVER=$!
registered() { [ "$(q "SELECT requires::text FROM slipway_fleet WHERE image = 'v1.1'")" = "{1,1}" ]; }
wait_for 30 registered
ok $? "a replica of the old image registered, requiring 1.1 ({1,1})"

"$SLIPWAY" -c "$TMP/new.ini" --upgrade >"$LOG" 2>&1
is "$?" 6 "the contract migration waits for it: exit 6"
like "$(cat "$LOG")" "V1_2_1__drop_b.sql is a contract migration (floor 1.2) and 1 live replica" \
    "its default floor is the dotted version before it"
like "$(cat "$LOG")" "image v1.1, instance" "naming the replica"
like "$(cat "$LOG")" "requires 1.1, last seen" "and its dotted requirement"
is "$(q "SELECT array_to_string(max(version), '.') FROM slipway_migrations WHERE success")" 1.2 \
    "V1.2 was applied, V1.2.1 was not"

signal_and_wait "$SERVER" TERM >/dev/null
SERVER=
is "$(q "SELECT count(*) FROM slipway_fleet")" 0 "the replica stopped: its row is gone"
"$SLIPWAY" -c "$TMP/new.ini" --upgrade >"$LOG" 2>&1
is "$?" 0 "now the contract migration runs"
is "$(q "SELECT contract_floor::text FROM slipway_migrations WHERE version = '{1,2,1}'")" "{1,2}" \
    "its floor is recorded as numeric[]"

out=$(SLIPWAY_SERVE_HEALTH_SOCKET=$TMP/none.sock "$SLIPWAY" -c "$TMP/old.ini" health)
is "$?" 1 "the old image is unhealthy on the contracted schema"
is "$out" "database: contracted at 1.2.1 past this image (needs >= 1.2, this image requires 1.1)" \
    "in dotted versions"
SLIPWAY_SERVE_HEALTH_SOCKET=$TMP/none.sock "$SLIPWAY" -c "$TMP/new.ini" health >/dev/null
is "$?" 0 "the new image is healthy"

done_testing
