#!/usr/bin/env bash
# Adoption (README "Adoption and baseline"): a database another tool migrated halfway is taken
# over without replaying anything, and slipway applies exactly the other half; the schema and
# data then equal a run of slipway alone. dbmate and node-pg-migrate are the real tools (npm);
# golang-migrate's and Flyway's tables are written as their own code writes them (neither
# tool installs here). Also: what cannot be taken over (dirty, failed, a version without its
# file, two histories) is exit 5 with nothing written; baseline; adopt = off; TOOL:TABLE;
# status before the first upgrade.
# No `set -e`: TAP assertions test exit statuses.
set -uo pipefail
. "$SRCDIR/tests/lib/tap.sh"
: "${PGHOST:?run under tests/run-all.sh (PGHOST/PGPORT from tests/lib/pg.sh)}"
export PGDATABASE=postgres
eval "$("$SRCDIR/tests/lib/npm-tools.sh")" || { echo "Bail out! cannot install dbmate and node-pg-migrate from npm"; exit 1; }

DBS=()
cleanup() {
    local db
    for db in "${DBS[@]}"; do dropdb --if-exists --force "$db" 2>/dev/null; done
    rm -rf "$TMP"
}
trap cleanup EXIT

n=0
newdb() { # -> DB: a fresh database (not in a subshell: DBS and n must keep their values)
    DB="t_adopt_$$_$((n += 1))"
    createdb "$DB" || { echo "Bail out! createdb failed"; exit 1; }
    DBS+=("$DB")
}
q() { psql -X -A -t -q -d "$1" -c "$2"; } # DB SQL
# conf DB DIR [LINES...] -> config file path
conf() {
    local f=$TMP/$1.ini db=$1 dir=$2
    shift 2
    {
        printf '[database]\nurl = host=%s port=%s dbname=%s\nwait = 2s\n' "$PGHOST" "$PGPORT" "$db"
        printf '[migrations]\ndir = %s\n' "$dir"
        printf '%s\n' "$@"
    } >"$f"
    echo "$f"
}
sw() { # CONF ARGS... -> RC, OUT
    OUT=$("$SLIPWAY" -c "$@" 2>&1)
    RC=$?
}
tool_tables=(-T schema_migrations -T deploy_history -T flyway_schema_history -T 'pgmigrations*' -T slipway_migrations -T slipway_tasks)
# pg_dump >= 15.14 brackets its output with \restrict lines of a random key: not schema.
dump() { pg_dump --no-owner "${tool_tables[@]}" "$1" | sed -e '/^\\restrict/d' -e '/^\\unrestrict/d'; } # DB
# The SQL of migration i: a table, a column added to the previous one, rows.
sql_of() {
    case $1 in
    1) echo "CREATE TABLE a1 (id int PRIMARY KEY); INSERT INTO a1 VALUES (1), (2);" ;;
    2) echo "ALTER TABLE a1 ADD COLUMN note text DEFAULT 'two'; CREATE TABLE a2 (id int);" ;;
    3) echo "INSERT INTO a2 SELECT id FROM a1; CREATE INDEX a2_id ON a2 (id);" ;;
    4) echo "CREATE VIEW v4 AS SELECT a1.id, note FROM a1 JOIN a2 USING (id);" ;;
    esac
}
# A reference database: all four applied by slipway alone, from the same files.
reference() { # DIR -> REF
    newdb
    REF=$DB
    "$SLIPWAY" -q -c "$(conf "$REF" "$1")" --upgrade >/dev/null 2>&1 || echo "# reference run failed"
}
# The adopted database matches the reference, and its history marks the first two as adopted.
check_adopted() { # TOOL DB REFDB SOURCE_FRAGMENT
    local tool=$1 db=$2 ref=$3
    is "$RC" 0 "$tool: the upgrade after adoption exits 0"
    like "$OUT" "adopted 2 migrations from $4" "$tool: one line says what was adopted"
    like "$OUT" "[1/2]" "$tool: then only the other half is applied"
    is "$(q "$db" "SELECT count(*) FILTER (WHERE applied_by LIKE '%adopted from%') || '/' || count(*) FROM slipway_migrations WHERE success")" "2/4" \
        "$tool: 4 rows in the history, 2 of them adopted"
    [ "$(dump "$db")" = "$(dump "$ref")" ]
    ok $? "$tool: schema and data equal a run of slipway alone"
    is "$(q "$db" "SELECT count(*) FROM a2")" 2 "$tool: migration 3 ran once (2 rows, not 4)"
}

# ---- golang-migrate: schema_migrations(version bigint, dirty boolean), one row ---------------
G=$TMP/golang G_HALF=$TMP/golang-half
mkdir -p "$G" "$G_HALF"
for i in 1 2 3 4; do
    sql_of $i >"$G/$i""_m$i.up.sql"
    echo "-- not run" >"$G/$i""_m$i.down.sql"
done
reference "$G"; ref=$REF
golang_half() { # DB [DIRTY] : migrations 1-2 applied as golang-migrate does, its table as it writes it
    local i
    for i in 1 2; do psql -X -q -1 -v ON_ERROR_STOP=1 -d "$1" -f "$G/$i""_m$i.up.sql" || return 1; done
    q "$1" "CREATE TABLE IF NOT EXISTS schema_migrations (version bigint NOT NULL, dirty boolean NOT NULL, PRIMARY KEY (version)); INSERT INTO schema_migrations VALUES (2, ${2:-false})"
}
newdb; db=$DB
golang_half "$db"
c=$(conf "$db" "$G")
sw "$c" status
like "$OUT" "the first upgrade adopts 2 migrations from golang-migrate's public.schema_migrations (version 2)" \
    "golang-migrate: status says what the first upgrade will adopt"
is "$(q "$db" "SELECT to_regclass('slipway_migrations') IS NULL")" t "golang-migrate: status created nothing"
sw "$c" --upgrade
check_adopted golang-migrate "$db" "$ref" "golang-migrate's public.schema_migrations (version 2)"
is "$(q "$db" "SELECT version || ' ' || dirty FROM schema_migrations")" "2 false" "golang-migrate: its table is left as it was"
sw "$c" --upgrade
like "$OUT" "nothing to do" "golang-migrate: adoption runs once; afterwards slipway's history is the truth"

newdb; db=$DB
golang_half "$db" true
sw "$(conf "$db" "$G")" --upgrade
is "$RC" 5 "golang-migrate dirty: exit 5"
like "$OUT" "public.schema_migrations is dirty at version 2" "golang-migrate dirty: says which version"
like "$OUT" "migrate force" "golang-migrate dirty: says what to do"
is "$(q "$db" "SELECT to_regclass('slipway_migrations') IS NULL AND to_regclass('slipway_tasks') IS NULL")" t \
    "golang-migrate dirty: nothing written (no slipway table)"

newdb; db=$DB
golang_half "$db"
q "$db" "UPDATE schema_migrations SET version = 7"
sw "$(conf "$db" "$G")" --upgrade
is "$RC" 5 "a recorded version without its file: exit 5"
like "$OUT" "records version 7 as applied, but no file in $G has that version" "... naming the version and the directory"

# ---- dbmate, the real tool: schema_migrations(version varchar), one row per version --------
D=$TMP/dbmate D_HALF=$TMP/dbmate-half
mkdir -p "$D" "$D_HALF"
for i in 1 2 3 4; do
    f=2024010112000$i"_m$i.sql"
    printf -- '-- migrate:up\n%s\n\n-- migrate:down\nSELECT 1;\n' "$(sql_of $i)" >"$D/$f"
    [ "$i" -le 2 ] && cp "$D/$f" "$D_HALF/"
done
reference "$D"; ref=$REF
newdb; db=$DB
"$DBMATE" --url "postgres://postgres@127.0.0.1:$PGPORT/$db?sslmode=disable" -d "$D_HALF" --no-dump-schema migrate >"$TMP/dbmate.log" 2>&1
ok $? "dbmate applied the first half"
sw "$(conf "$db" "$D")" --upgrade
check_adopted dbmate "$db" "$ref" "dbmate's public.schema_migrations"

# named: adopt = dbmate:TABLE, for a table dbmate was told to call otherwise
newdb; db=$DB
"$DBMATE" --url "postgres://postgres@127.0.0.1:$PGPORT/$db?sslmode=disable" -d "$D_HALF" \
    --migrations-table deploy_history --no-dump-schema migrate >"$TMP/dbmate.log" 2>&1
ok $? "dbmate applied the first half into deploy_history"
sw "$(conf "$db" "$D" "adopt = dbmate:deploy_history")" --upgrade
check_adopted "dbmate (adopt = dbmate:deploy_history)" "$db" "$ref" "dbmate's public.deploy_history"

# ---- node-pg-migrate, the real tool: pgmigrations(id, name, run_on), by file name ----------
N=$TMP/npm N_HALF=$TMP/npm-half
mkdir -p "$N" "$N_HALF"
for i in 1 2 3 4; do
    f=170406720000$i"_m$i.sql"
    sql_of $i >"$N/$f"
    [ "$i" -le 2 ] && cp "$N/$f" "$N_HALF/"
done
reference "$N"; ref=$REF
newdb; db=$DB
(cd "$TMP" && DATABASE_URL="postgres://postgres@127.0.0.1:$PGPORT/$db" node "$NODE_PG_MIGRATE" up \
    -m "$N_HALF" --no-single-transaction --no-verbose) >"$TMP/npm.log" 2>&1
ok $? "node-pg-migrate applied the first half"
sw "$(conf "$db" "$N")" --upgrade
check_adopted node-pg-migrate "$db" "$ref" "node-pg-migrate's public.pgmigrations"

# ---- Flyway: flyway_schema_history as Flyway creates it on PostgreSQL -----------------------
F=$TMP/flyway
mkdir -p "$F"
fly_names=(V1__one.sql V1_1__two.sql V2__three.sql V2_0_1__four.sql)
for i in 1 2 3 4; do sql_of $i >"$F/${fly_names[$((i - 1))]}"; done
reference "$F"; ref=$REF
flyway_table() { # DB
    q "$1" 'CREATE TABLE flyway_schema_history ("installed_rank" INT NOT NULL, "version" VARCHAR(50),
        "description" VARCHAR(200) NOT NULL, "type" VARCHAR(20) NOT NULL, "script" VARCHAR(1000) NOT NULL,
        "checksum" INTEGER, "installed_by" VARCHAR(100) NOT NULL, "installed_on" TIMESTAMP NOT NULL DEFAULT now(),
        "execution_time" INTEGER NOT NULL, "success" BOOLEAN NOT NULL,
        CONSTRAINT "flyway_schema_history_pk" PRIMARY KEY ("installed_rank"));
        CREATE INDEX "flyway_schema_history_s_idx" ON flyway_schema_history ("success")'
}
flyway_row() { # DB RANK VERSION TYPE SCRIPT SUCCESS
    q "$1" "INSERT INTO flyway_schema_history VALUES ($2, $3, 'd', '$4', '$5', 123, 'me', now(), 5, $6)"
}
newdb; db=$DB
flyway_table "$db"
for i in 1 2; do psql -X -q -1 -v ON_ERROR_STOP=1 -d "$db" -f "$F/${fly_names[$((i - 1))]}"; done
flyway_row "$db" 1 "'1'" SQL V1__one.sql true
flyway_row "$db" 2 "'1.1'" SQL V1_1__two.sql true
flyway_row "$db" 3 NULL SQL R__views.sql true # a repeatable: re-run by its checksum, not adopted
sw "$(conf "$db" "$F")" --upgrade
check_adopted Flyway "$db" "$ref" "Flyway's public.flyway_schema_history"

newdb; db=$DB
flyway_table "$db"
psql -X -q -1 -v ON_ERROR_STOP=1 -d "$db" -f "$F/V1__one.sql"
psql -X -q -1 -v ON_ERROR_STOP=1 -d "$db" -f "$F/V1_1__two.sql"
flyway_row "$db" 1 "'1.1'" BASELINE '<< Flyway Baseline >>' true
sw "$(conf "$db" "$F")" --upgrade
check_adopted "Flyway baseline" "$db" "$ref" "Flyway's public.flyway_schema_history"

newdb; db=$DB
flyway_table "$db"
flyway_row "$db" 1 "'1'" SQL V1__one.sql false
sw "$(conf "$db" "$F")" --upgrade
is "$RC" 5 "a failed Flyway migration: exit 5"
like "$OUT" "records a failed migration: version 1" "... naming it"
like "$OUT" "flyway repair" "... and what to do"
is "$(q "$db" "SELECT to_regclass('slipway_migrations') IS NULL")" t "... nothing written"

# ---- two histories, adopt = off, baseline --------------------------------------------------
newdb; db=$DB
golang_half "$db"
flyway_table "$db"
sw "$(conf "$db" "$G")" --upgrade
is "$RC" 5 "two histories: exit 5"
like "$OUT" "found two migration histories, public.schema_migrations (golang-migrate) and public.flyway_schema_history (Flyway)" \
    "... naming both"
like "$OUT" "adopt = TOOL:TABLE" "... and how to choose"

newdb; db=$DB
golang_half "$db"
sw "$(conf "$db" "$G" "adopt = off")" --upgrade
is "$RC" 1 "adopt = off: the other history is ignored, migration 1 runs again and fails"
unlike "$OUT" "adopted" "adopt = off: nothing adopted"

newdb; db=$DB
for i in 1 2; do psql -X -q -1 -v ON_ERROR_STOP=1 -d "$db" -f "$G/$i""_m$i.up.sql"; done
sw "$(conf "$db" "$G" "baseline = 2")" --upgrade
is "$RC" 0 "baseline = 2 on a database built by hand: exit 0"
like "$OUT" "recorded 2 migrations from baseline 2" "baseline: one line says so"
is "$(q "$db" "SELECT count(*) FILTER (WHERE applied_by LIKE '%baseline 2%') || '/' || count(*) FROM slipway_migrations")" 2/4 \
    "baseline: versions <= 2 recorded, not run; 3 and 4 applied"
reference "$G"
[ "$(dump "$db")" = "$(dump "$REF")" ]
ok $? "baseline: schema and data equal a run of slipway alone"

newdb; db=$DB
sw "$(conf "$db" "$G" "adopt = dbmate:")" check
is "$RC" 2 "adopt = dbmate: (no table) is a configuration error"
like "$OUT" "bad value 'dbmate:' for adopt" "... naming the value"

done_testing
