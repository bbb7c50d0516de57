#!/usr/bin/env bash
# Real projects' migration directories (tests/projects/TOOL/migrations, written the way
# Flyway, dbmate and golang-migrate projects write them) run unchanged: slipway's result,
# schema and data, equals applying the same files with psql in that tool's order (the
# hand-written tests/projects/TOOL/order: `psql -1 -f`, or `psql -f` for what the tool runs
# outside a transaction; dbmate's up section only).
TEST_NAME=projects
. "$SRCDIR/tests/upgrade/lib.sh"

REF="${DB}_ref"
trap 'dropdb --if-exists --force "$REF" 2>/dev/null; cleanup_db' EXIT

# dbmate's up section: the lines after "-- migrate:up" up to "-- migrate:down", indented or not.
up_section() {
    awk '/^[ \t]*--[ \t]*migrate:down/ { exit } up { print } /^[ \t]*--[ \t]*migrate:up/ { up = 1 }' "$1"
}

# reference DIR: applies DIR/order with psql into a fresh $REF.
reference() {
    local dir=$1 file mode
    dropdb --if-exists --force "$REF" 2>/dev/null && createdb "$REF" || return 1
    while read -r file mode; do
        case "$file" in '#'* | '') continue ;; esac
        case "$mode" in
        tx) psql -X -q -o /dev/null -v ON_ERROR_STOP=1 -d "$REF" -1 -f "$dir/migrations/$file" ;;
        notx) psql -X -q -o /dev/null -v ON_ERROR_STOP=1 -d "$REF" -f "$dir/migrations/$file" ;;
        dbmate-tx) up_section "$dir/migrations/$file" | psql -X -q -o /dev/null -v ON_ERROR_STOP=1 -d "$REF" -1 ;;
        dbmate-notx) up_section "$dir/migrations/$file" | psql -X -q -o /dev/null -v ON_ERROR_STOP=1 -d "$REF" ;;
        *) echo "# bad mode '$mode' in $dir/order"; return 1 ;;
        esac || { echo "# psql failed on $file"; return 1; }
    done <"$dir/order"
}

# dump DB: schema and data, without slipway's tables (checked apart) and pg_dump's comments and \restrict keys.
dump() {
    pg_dump --no-owner --no-privileges -T slipway_migrations -T slipway_tasks -T slipway_repeatables -T slipway_fleet -d "$1" |
        grep -v -e '^--' -e '^\\restrict' -e '^\\unrestrict' -e '^$'
}

# project NAME: slipway on a fresh $DB, psql on $REF; compares them.
project() {
    local name=$1 dir="$SRCDIR/tests/projects/$1"
    dropdb --force "$DB" && createdb "$DB" || return 1
    printf '[database]\nurl = host=%s port=%s dbname=%s\n[migrations]\ndir = %s\n' \
        "$PGHOST" "$PGPORT" "$DB" "$dir/migrations" >"$CONF"
    sw --upgrade
    is "$RC" 0 "$name: upgrade exits 0"
    [ "$RC" = 0 ] || echo "$OUT" | sed 's/^/#   /'
    reference "$dir"
    is "$?" 0 "$name: psql applies the same files in $name's order"
    dump "$DB" >"$TMP/$name.slipway.sql"
    dump "$REF" >"$TMP/$name.psql.sql"
    [ -s "$TMP/$name.psql.sql" ] && cmp -s "$TMP/$name.slipway.sql" "$TMP/$name.psql.sql"
    ok $? "$name: same schema and data as psql"
    diff "$TMP/$name.psql.sql" "$TMP/$name.slipway.sql" | head -20 | sed 's/^/#   /'
    is "$(q "SELECT count(*) FROM slipway_migrations WHERE success")" \
        "$(grep -v -e '^#' -e '^$' "$dir/order" | grep -cv 'R__')" \
        "$name: every versioned file of the order recorded"
    UPGRADE_OUT=$OUT
    "$SLIPWAY" -c "$CONF" health >"$LOG" 2>&1
    is "$?" 0 "$name: health is healthy"
    sw --upgrade
    like "$OUT" "nothing to do" "$name: a second upgrade has nothing to do"
}

# The two silent defects first: exit 0 and healthy, with a different schema.
project flyway-subfolders
is "$(q "SELECT balance FROM accounts")" 100 "flyway-subfolders: V2 and V3 in a sub-folder applied"
project dbmate-formatted
is "$(q "SELECT count(*) FROM information_schema.columns WHERE table_name = 'notes' AND column_name = 'title'")" \
    1 "dbmate-formatted: an indented '-- migrate:down' is not run with the up part"

project flyway
OUT=$UPGRADE_OUT
like "$OUT" "[9/9] release-3/nested/V3__audit.sql applied" "flyway: sub-folders scanned, in version order"
like "$OUT" "V2_1__orders_customer_idx.sql applied in" "flyway: the CONCURRENTLY file applied"
like "$OUT" "(no transaction: line 1 cannot run in a transaction block)" \
    "flyway: the upgrade line says it ran outside a transaction"
like "$OUT" "release-3/V2_5__reserved.sql applied in" "flyway: a comment-only file is recorded"
like "$OUT" "beforeMigrate.sql: a Flyway callback: slipway does not run callbacks, skipped" \
    "flyway: the callback is skipped with a warning"
like "$OUT" "schema version 3" "flyway: schema version 3"
unlike "$OUT" "U2__orders" "flyway: the undo file is ignored"
is "$(q "SELECT string_agg(array_to_string(version, '.'), ' ' ORDER BY version) FROM slipway_migrations")" \
    "1 1.1 1.2 1.9 1.10 2 2.1 2.5 3" "flyway: dotted versions recorded, ordered part by part"
is "$(q "SELECT string_agg(status, ',') FROM customer")" "seeded+backfilled,seeded+backfilled" \
    "flyway: 1.10 ran after 1.9"
like "$OUT" "[repeatable 1/2] R__audit_view.sql applied" "flyway: repeatables after the versioned ones"
like "$OUT" "[repeatable 2/2] release-3/R__customer_summary.sql applied" "flyway: in file name order"
sw status
like "$OUT" "schema version: 3" "flyway: status shows the schema version"

sw check
like "$OUT" "release-2/V2_1__orders_customer_idx.sql  flyway         no transaction: line 1 cannot run in a transaction block" \
    "flyway: check shows the format and that a file runs outside a transaction"
like "$OUT" "release-3/V2_5__reserved.sql             flyway         empty: recorded, nothing to run" \
    "flyway: check shows an empty file"

# A repeatable runs again when it changed, and only then.
cp -r "$SRCDIR/tests/projects/flyway/migrations" "$TMP/fw"
sed -i "s|^dir = .*|dir = $TMP/fw|" "$CONF"
printf '\n-- reviewed\n' >>"$TMP/fw/release-3/R__customer_summary.sql"
sw status
like "$OUT" "repeatable   release-3/R__customer_summary.sql" "flyway: status lists a changed repeatable"
unlike "$OUT" "R__audit_view.sql" "flyway: and not an unchanged one"
sw --upgrade
like "$OUT" "[repeatable 1/1] release-3/R__customer_summary.sql applied" "flyway: a changed repeatable runs again"
like "$OUT" "upgrade done: 0 migrations applied" "flyway: with no versioned migration"
is "$(q "SELECT count(*) FROM slipway_repeatables")" 2 "flyway: one row per repeatable"
sw --upgrade
like "$OUT" "nothing to do" "flyway: unchanged repeatables do not run"

project dbmate
OUT=$UPGRADE_OUT
is "$(q "SELECT count(*) FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'email'")" \
    1 "dbmate: the indented '-- migrate:down' ends the up part: the column stays"
like "$OUT" "README.sql: no version in the name: not a migration, skipped" \
    "dbmate: README.sql is skipped with a warning"
is "$(q "SELECT min(array_to_string(version, '.')) FROM slipway_migrations")" 0 \
    "dbmate: version 0 (00000000000000-initial-schema.sql) recorded"

project golang-migrate
OUT=$UPGRADE_OUT
like "$OUT" "[1/7] 0_initial.up.sql applied" "golang-migrate: version 0 applied first"
like "$OUT" "2_items_name_idx.up.sql applied in" "golang-migrate: a lone CREATE INDEX CONCURRENTLY runs"
like "$OUT" "3_noop.up.sql applied in" "golang-migrate: a comment-only file is recorded"
is "$(q "SELECT statements_done FROM slipway_migrations WHERE version = '{4}'")" 3 \
    "golang-migrate: -- morph:nontransactional after a header comment: statement by statement"
is "$(q "SELECT kind FROM items WHERE name = 'washer'")" spare \
    "golang-migrate: -- slipway:no-transaction after a block comment is honoured"

project pg_dump
OUT=$UPGRADE_OUT
is "$(q "SELECT count(*) || ' ' || string_agg(coalesce(note, 'NULL'), '|' ORDER BY id) FROM shop.product")" \
    "$(printf "4 tab\tinside|back\\\\slash and 'quote'|NULL|line\nbreak")" \
    "pg_dump: COPY FROM stdin loaded the rows, tabs, backslashes, quotes, NULL and newlines intact"
is "$(q "SELECT body FROM shop.review ORDER BY id")" "$(printf 'good; -- really\n\\.')" \
    "pg_dump: data that looks like SQL or like the end marker"
is "$(q "SELECT count(*) FROM stock_log")" 4 "pg_dump: the next migration runs with the default search_path"

# COPY FROM stdin in a no-transaction file; any other psql meta-command is refused up front.
dropdb --force "$DB" && createdb "$DB"
mkdir -p "$TMP/copy"
printf -- '-- slipway:no-transaction\nCREATE TABLE c (a int, b text);\nCOPY c (a, b) FROM stdin;\n1\tone\n2\t\\N\n\\.\nCREATE INDEX CONCURRENTLY c_a ON c (a);\nCOPY c FROM stdin;\n3\tthree\n\\.\n' \
    >"$TMP/copy/0001_copy.sql"
printf '[database]\nurl = host=%s port=%s dbname=%s\n[migrations]\ndir = %s\n' \
    "$PGHOST" "$PGPORT" "$DB" "$TMP/copy" >"$CONF"
sw --upgrade
is "$RC" 0 "copy: a no-transaction file with two COPY FROM stdin runs"
is "$(q "SELECT string_agg(a || ':' || coalesce(b, 'NULL'), ',' ORDER BY a) FROM c")" "1:one,2:NULL,3:three" \
    "copy: each COPY gets its own data"
is "$(q "SELECT statements_done FROM slipway_migrations")" 4 "copy: four statements recorded"
printf 'CREATE TABLE d (a int);\n\\connect other\nCREATE TABLE e (a int);\n' >"$TMP/copy/0002_meta.sql"
sw --upgrade
is "$RC" 2 "meta: a psql meta-command is a configuration error (2)"
like "$OUT" "0002_meta.sql:2: psql meta-command '\\connect' cannot run in a migration" \
    "meta: the message names the file, line and command"
is "$(q "SELECT to_regclass('d') IS NULL")" t "meta: nothing ran"
printf 'CREATE TABLE d (a int);\nCOPY d FROM stdin;\n' >"$TMP/copy/0002_meta.sql"
sw check
like "$OUT" "0002_meta.sql:2: COPY ... FROM stdin without its data (lines ending with \\.)" \
    "copy: COPY FROM stdin without its data is refused up front"

# A runtime error has no position: the message still names the failed statement's line.
dropdb --force "$DB" && createdb "$DB"
mkdir -p "$TMP/rt"
printf 'CREATE TABLE r (x int PRIMARY KEY);\nINSERT INTO r VALUES (1);\n\n-- again:\nINSERT INTO r\n    VALUES (1);\n' \
    >"$TMP/rt/0001_dup.sql"
printf '[database]\nurl = host=%s port=%s dbname=%s\n[migrations]\ndir = %s\n' \
    "$PGHOST" "$PGPORT" "$DB" "$TMP/rt" >"$CONF"
sw --upgrade
like "$OUT" "0001_dup.sql:5: ERROR: duplicate key value" "a failing statement without a position: file and the statement's first line"

# Flyway's ${placeholders}: replaced in Flyway's files from [placeholders], an unknown one
# refused before anything runs; other tools' files are left as written.
dropdb --force "$DB" && createdb "$DB"
mkdir -p "$TMP/ph"
printf 'CREATE TABLE ${table_name} (id int);\nCOMMENT ON TABLE ${table_name} IS $$from ${flyway:filename}$$;\n' \
    >"$TMP/ph/V1__placeholders.sql"
printf 'CREATE TABLE dollar (note text);\nINSERT INTO dollar VALUES ($$${kept}$$);\n' >"$TMP/ph/0002_dollar.sql"
printf '[database]\nurl = host=%s port=%s dbname=%s\n[migrations]\ndir = %s\n' \
    "$PGHOST" "$PGPORT" "$DB" "$TMP/ph" >"$CONF"
sw check
is "$RC" 2 "placeholders: an unknown one fails check (2)"
like "$OUT" "V1__placeholders.sql:1: unknown placeholder \${table_name} (define it in [placeholders])" \
    "placeholders: the message names the file, line and placeholder"
sw --upgrade
is "$RC/$(q "SELECT to_regclass('slipway_migrations') IS NULL AND to_regclass('dollar') IS NULL")" \
    "2/t" "placeholders: and --upgrade, before anything runs"
printf '[placeholders]\ntable_name = widgets\n' >>"$CONF"
sw --upgrade
is "$RC" 0 "placeholders: defined in [placeholders], the upgrade runs"
is "$(q "SELECT obj_description('widgets'::regclass)")" "from V1__placeholders.sql" \
    "placeholders: \${table_name} and \${flyway:filename} replaced"
is "$(q "SELECT note FROM dollar")" '${kept}' "placeholders: a slipway-format file is left as written"

done_testing
