#!/usr/bin/env bash
# Lint in `slipway check` (README "Lint"), offline: every rule of the README's table fires on
# a statement written to trip it, at the statement's line, and `-- slipway:allow RULE` (or
# its group) on the line before silences it; the contract marker exempts what breaks the
# release before but not what locks; statements lint must leave alone stay silent; exit
# codes for lint = warn | error | off; a missing libpg_query is a warning, or exit 5 with
# lint = error.
. "$SRCDIR/tests/lib/tap.sh"

MIG=$TMP/mig
CONF=$TMP/slipway.ini
mkdir -p "$MIG"
printf '[migrations]\ndir = %s\n' "$MIG" >"$CONF"
# An existing table for the statements to change: created by an earlier file, so not "new".
printf 'CREATE TABLE users (id bigint PRIMARY KEY, email text);\n' >"$MIG/0001_base.sql"

# check [ENV...]: runs `slipway check`; RC, OUT (stdout + stderr).
check() {
    OUT=$(env "$@" "$SLIPWAY" -c "$CONF" check 2>&1)
    RC=$?
}

# mig HEADER SQL: the file under test, 0002_case.sql; HEADER is its first line (a marker or a
# comment), so the statement is on line 2.
mig() { printf '%s\n%s\n' "$1" "$2" >"$MIG/0002_case.sql"; }

declare -A fired=()
# fires RULE SQL [HEADER]: the rule fires on line 2, and allowing it on line 1 silences it.
fires() {
    local rule=$1 sql=$2 header=${3:--- a migration}
    mig "$header" "$sql"
    check
    like "$OUT" "0002_case.sql:2: $rule: " "$rule fires on: $sql"
    case "$OUT" in *"0002_case.sql:2: $rule: "*) fired[$rule]=1 ;; esac
    printf '%s\n-- slipway:allow %s\n%s\n' "$header" "$rule" "$sql" >"$MIG/0002_case.sql"
    check
    unlike "$OUT" ": $rule: " "-- slipway:allow $rule silences it"
}

# silent WHAT SQL [HEADER]: no finding at all.
silent() {
    mig "${3:--- a migration}" "$2"
    check
    like "$OUT" "lint: 2 files, no findings" "no finding: $1"
}

NOTX='-- slipway:no-transaction'

# ---- cannot run where it stands -------------------------------------------------------------
# A psql meta-command is refused as soon as the directory is read, before lint (exit 2).
mig '-- a migration' '\set ON_ERROR_STOP on'
check
is "$RC" 2 "psql-meta-command: refused when the directory is read (exit 2)"
like "$OUT" "0002_case.sql:2: psql meta-command '\\set' cannot run in a migration" "psql-meta-command: at its line"
case "$OUT" in *"0002_case.sql:2: psql meta-command"*) fired[psql-meta-command]=1 ;; esac
# What PostgreSQL refuses in a transaction block makes its file run without one (README
# "Migrations"): no finding. REINDEX of a schema, database or system is not detected there,
# and lint says so.
for sql in 'CREATE INDEX CONCURRENTLY users_email ON users (email);' 'DROP INDEX CONCURRENTLY users_email;' \
    'REINDEX TABLE CONCURRENTLY users;' 'VACUUM users;' "ALTER SYSTEM SET work_mem = '8MB';"; do
    mig '-- a migration' "$sql"
    check
    like "$OUT" "0002_case.sql                            slipway        no transaction: line 2 cannot run in a transaction block" \
        "runs without a transaction: $sql"
    unlike "$OUT" "needs-no-transaction" "... and lint has nothing to say: $sql"
done
fires needs-no-transaction 'REINDEX SCHEMA public;'
fires transaction-control 'COMMIT;'
fires transaction-control 'BEGIN;'
fires transaction-control 'ROLLBACK;'

# ---- breaks the release before ----------------------------------------------------------------
fires drop-table 'DROP TABLE users;'
fires drop-column 'ALTER TABLE users DROP COLUMN email;'
fires rename 'ALTER TABLE users RENAME COLUMN email TO mail;'
fires rename 'ALTER TABLE users RENAME TO people;'
fires column-type 'ALTER TABLE users ALTER COLUMN email TYPE varchar(100);'
fires set-not-null 'ALTER TABLE users ALTER COLUMN email SET NOT NULL;'
fires add-not-null-column 'ALTER TABLE users ADD COLUMN age int NOT NULL;'
fires drop-default 'ALTER TABLE users ALTER COLUMN email DROP DEFAULT;'
fires drop-view 'DROP VIEW user_emails;'
fires drop-function 'DROP FUNCTION normalize_email(text);'

# ---- locks live traffic -----------------------------------------------------------------------
fires index-not-concurrent 'CREATE INDEX users_email ON users (email);'
fires constraint-not-valid 'ALTER TABLE users ADD CONSTRAINT users_fk FOREIGN KEY (id) REFERENCES accounts (id);'
fires constraint-not-valid 'ALTER TABLE users ADD CONSTRAINT users_id CHECK (id > 0);'
fires table-rewrite 'ALTER TABLE users ADD COLUMN token uuid DEFAULT gen_random_uuid();'
fires table-rewrite 'ALTER TABLE users ADD COLUMN n bigserial;'
fires table-rewrite 'ALTER TABLE users ALTER COLUMN id TYPE numeric;'
fires lock-table 'LOCK TABLE users IN ACCESS EXCLUSIVE MODE;'
fires vacuum-full 'VACUUM FULL users;' "$NOTX"
fires cluster 'CLUSTER users USING users_pkey;'
fires unknown-syntax 'MERGE INTO users u USING users s ON u.id = s.id WHEN MATCHED THEN DO NOTHING RETURNING u.id;'

# Every rule the README documents was made to fire above.
mapfile -t documented < <(sed -n '/^## Lint/,/^## /s/^| `\([a-z-]*\)` .*/\1/p' "$SRCDIR/README.md")
((${#documented[@]} >= 19))
ok $? "README's Lint section lists the rules (${#documented[@]})"
missing=''
for r in "${documented[@]}"; do [ -n "${fired[$r]:-}" ] || missing+=" $r"; done
[ -z "$missing" ]
ok $? "every documented rule was made to fire${missing:+ (not:$missing)}"

# ---- what lint leaves alone -------------------------------------------------------------------
silent 'changes to a table the same file created' \
    'CREATE TABLE t (x int); CREATE INDEX t_x ON t (x); ALTER TABLE t ADD CONSTRAINT t_c CHECK (x > 0); ALTER TABLE t DROP COLUMN x; DROP TABLE t;'
silent 'CREATE INDEX CONCURRENTLY in a no-transaction file' \
    'CREATE INDEX CONCURRENTLY users_email ON users (email);' "$NOTX"
silent 'BEGIN/COMMIT and VACUUM in a no-transaction file' 'BEGIN; SELECT 1; COMMIT; VACUUM users;' "$NOTX"
silent 'a constraint added NOT VALID' 'ALTER TABLE users ADD CONSTRAINT users_id CHECK (id > 0) NOT VALID;'
silent 'NOT NULL with a default; a stable default (now())' \
    'ALTER TABLE users ADD COLUMN age int NOT NULL DEFAULT 0, ADD COLUMN seen timestamptz DEFAULT now();'
silent 'SET DEFAULT, SAVEPOINT, RELEASE, ANALYZE in a transactional file' \
    "ALTER TABLE users ALTER COLUMN email SET DEFAULT 'x'; SAVEPOINT a; RELEASE a; ANALYZE users;"
silent 'COPY FROM stdin data (\N, SQL words) up to \.' \
    "$(printf 'COPY users (id, email) FROM stdin;\n1\t\\N\n2\tselect\n\\.\nSELECT 1;')"
silent "pg_dump's \\restrict and \\unrestrict" "$(printf '\\restrict abc\nSELECT 1;\n\\unrestrict abc')"

# Group names are accepted by allow, and several names on one line.
printf -- '-- a migration\n-- slipway:allow breaks-previous-release, locks-live-traffic\nALTER TABLE users ALTER COLUMN id TYPE numeric;\n' >"$MIG/0002_case.sql"
check
like "$OUT" "lint: 2 files, no findings" "allow takes group names, comma-separated"
printf -- '-- slipway:allow drop-column\n\nALTER TABLE users DROP COLUMN email;\n' >"$MIG/0002_case.sql"
check
like "$OUT" "0002_case.sql:3: drop-column" "allow holds for the very next line only"

# The contract marker anywhere in the leading comment block exempts breaking changes only.
printf -- '-- drop what 1.4 used\n-- slipway:contract floor=1\nALTER TABLE users DROP COLUMN email;\nCREATE INDEX users_id2 ON users (id);\n' >"$MIG/0002_case.sql"
check
unlike "$OUT" "drop-column" "a contract migration may drop a column"
like "$OUT" "0002_case.sql:4: index-not-concurrent" "but its locks are still reported"
printf 'SELECT 1;\n-- slipway:contract\nALTER TABLE users DROP COLUMN email;\n' >"$MIG/0002_case.sql"
check
like "$OUT" "drop-column" "the marker after the first statement does not count"

# ---- output and exit codes --------------------------------------------------------------------
printf 'ALTER TABLE users DROP COLUMN email;\nCREATE INDEX i1 ON users (email);\nCREATE INDEX i2 ON users (id);\n' >"$MIG/0002_case.sql"
check
is "$RC" 0 "lint = warn: findings do not fail check"
like "$OUT" "0002_case.sql:1: drop-column: drops column users.email, which the release before still reads (hint: " \
    "FILE:LINE: rule: message (hint: ...)"
like "$OUT" "lint: 2 files, 3 findings (0 errors): drop-column 1, index-not-concurrent 2" \
    "a summary line with counts per rule"
check SLIPWAY_MIGRATIONS_LINT=error
is "$RC" 5 "lint = error: check exits 5"
like "$OUT" "3 findings (3 errors)" "every finding counts as an error"
check SLIPWAY_MIGRATIONS_LINT=off
is "$RC" 0 "lint = off: exit 0"
unlike "$OUT" "lint" "lint = off: no lint output"
check SLIPWAY_MIGRATIONS_LINT=maybe
is "$RC" 2 "a bad lint value is a configuration error"
like "$OUT" "bad value 'maybe' for lint (expected warn, error or off)" "naming the expected values"

printf 'SELECT 1;\nCOMMIT;\n' >"$MIG/0002_case.sql"
check
is "$RC" 5 "what cannot run is an error even with lint = warn"
printf 'MERGE INTO users u USING users s ON u.id = s.id WHEN MATCHED THEN DO NOTHING RETURNING u.id;\n' >"$MIG/0002_case.sql"
check SLIPWAY_MIGRATIONS_LINT=error
is "$RC" 0 "a statement the parser does not know is never an error"

# Lines count from the file's first line, in dbmate files too, and past unknown statements
# and meta-commands (the parser is resumed after them).
printf 'MERGE INTO users u USING users s ON u.id = s.id WHEN MATCHED THEN DO NOTHING RETURNING u.id;\nSELECT 1;\n\nALTER TABLE users\n  DROP COLUMN email;\n' >"$MIG/0002_case.sql"
check
like "$OUT" "0002_case.sql:4: drop-column" "parsing resumes after them"
rm "$MIG/0002_case.sql"
printf -- '-- migrate:up\nCREATE TABLE t (x int);\n\nALTER TABLE users DROP COLUMN email;\n-- migrate:down\nDROP TABLE t;\n' >"$MIG/20240101000000_dbmate.sql"
check
like "$OUT" "20240101000000_dbmate.sql:4: drop-column" "dbmate: lines count from the first line of the file"
unlike "$OUT" "drop-table" "dbmate: the down part is not linted"
rm "$MIG/20240101000000_dbmate.sql"

# ---- without libpg_query ----------------------------------------------------------------------
lib=$(readlink -f "$(ldconfig -p | sed -n 's/.*libpg_query\.so\.[0-9.]* .*=> //p' | head -1)")
printf 'ALTER TABLE users DROP COLUMN email;\n' >"$MIG/0002_case.sql"
hidden() { # hidden ENV...: check with the library replaced by an empty file
    OUT=$(env "$@" unshare --mount sh -c 'mount --bind /dev/null "$1" && shift && exec "$@"' - \
        "$lib" "$SLIPWAY" -c "$CONF" check 2>&1)
    RC=$?
}
[ -f "$lib" ]
ok $? "libpg_query found ($lib)"
hidden
is "$RC" 0 "without libpg_query, lint = warn goes on"
like "$OUT" "warning: lint skipped: cannot load libpg_query.so" "and says why, once"
unlike "$OUT" "drop-column" "nothing is linted"
hidden SLIPWAY_MIGRATIONS_LINT=error
is "$RC" 5 "without libpg_query, lint = error exits 5"
like "$OUT" "lint = error, but lint cannot run" "saying why"

done_testing
