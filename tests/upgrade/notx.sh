#!/usr/bin/env bash
# -- slipway:no-transaction: statement by statement, progress recorded, a failed run resumes
# at the failed statement. A failing transactional migration commits nothing, and its error
# names the line of the file.
TEST_NAME=notx
. "$SRCDIR/tests/upgrade/lib.sh"

cat >"$MIG/0001_table.sql" <<'SQL'
CREATE TABLE items (id int, label text);
SQL
cat >"$MIG/0002_index.sql" <<'SQL'
-- slipway:no-transaction
CREATE UNIQUE INDEX CONCURRENTLY items_id ON items (id);
INSERT INTO items VALUES (1, 'one; with a semicolon');
/* the failure: a duplicate of row 1 */
INSERT INTO items VALUES
    (1, 'duplicate');
INSERT INTO items VALUES (2, 'two');
SQL

sw --upgrade
is "$RC" 1 "a failing no-transaction statement exits 1"
like "$OUT" "0002_index.sql:5: ERROR: duplicate key value" "error names the file and its line"
like "$OUT" "SQLSTATE 23505" "error carries the SQLSTATE"
like "$OUT" "resumes at statement 3" "says where the next run resumes"
is "$(q "SELECT statements_done || ' ' || success FROM slipway_migrations WHERE version = '{2}'")" \
    "2 false" "progress recorded: 2 statements done, not successful"
is "$(q "SELECT count(*) FROM items")" 1 "statements before the failure stay applied"
is "$(q "SELECT indisvalid FROM pg_index WHERE indexrelid = 'items_id'::regclass")" t \
    "CREATE INDEX CONCURRENTLY ran outside a transaction"

sw status
like "$OUT" "stopped after statement 2" "status shows the half-applied migration"

# The statements applied are checked when it resumes: an edit of one of them is refused (the
# half-done row holds the checksum of the applied part), an edit of the rest is the fix.
cp "$MIG/0002_index.sql" "$TMP/0002_index.sql"
is "$(q "SELECT checksum <> '$(sha256sum <"$MIG/0002_index.sql" | cut -d' ' -f1)' FROM slipway_migrations WHERE version = '{2}'")" \
    t "the half-done row's checksum is its applied part's, not the whole file's"
sed -i 's/one; with a semicolon/uno/' "$MIG/0002_index.sql"
sw --upgrade
is "$RC" 5 "an applied statement edited before the resume: exit 5"
like "$OUT" "0002_index.sql: statements 1 to 2 were applied, and have changed since" \
    "it names the file and the part that changed"
like "$OUT" "statement 3 on may be edited" "and says what may be edited"
is "$(q "SELECT (SELECT statements_done FROM slipway_migrations WHERE version = '{2}') || ' ' || (SELECT count(*) FROM items)")" \
    "2 1" "nothing more ran"
cp "$TMP/0002_index.sql" "$MIG/0002_index.sql"

sed -i 's/(1, .duplicate.)/(3, $$three$$)/' "$MIG/0002_index.sql"
sw --upgrade
is "$RC" 0 "the fixed file completes"
like "$OUT" "0002_index.sql: resuming at statement 3 of 4" "resumes at the failed statement"
like "$OUT" "[1/1] 0002_index.sql applied in" "progress line for the resumed file"
is "$(q "SELECT string_agg(id::text, ',' ORDER BY id) FROM items")" "1,2,3" \
    "earlier statements were not run twice"
is "$(q "SELECT statements_done || ' ' || success FROM slipway_migrations WHERE version = '{2}'")" \
    "4 true" "history row complete"
want=$(sha256sum <"$MIG/0002_index.sql" | cut -d' ' -f1)
is "$(q "SELECT checksum FROM slipway_migrations WHERE version = '{2}'")" "$want" \
    "checksum of the fixed file recorded"

cat >"$MIG/0003_broken.sql" <<'SQL'
CREATE TABLE broken_t (x int);
INSERT INTO broken_t VALUES (1);

SELECT * FROM no_such_table;
SQL
sw --upgrade
is "$RC" 1 "a failing transactional migration exits 1"
like "$OUT" "0003_broken.sql:4: ERROR: relation \"no_such_table\" does not exist" \
    "server error with file and line"
is "$(q "SELECT to_regclass('broken_t') IS NULL")" t "nothing of it was committed"
is "$(q "SELECT count(*) FROM slipway_migrations WHERE version = '{3}'")" 0 "no history row"

# The line is the file's whatever slipway sends before it in the same query: the server
# counts characters, not bytes, and a dbmate file's lines count from the top of the file.
rm "$MIG/0003_broken.sql"
cat >"$MIG/0003_lines.sql" <<'SQL'
CREATE TABLE lines_t (note text);
-- ünïcödé, 日本語
INSERT INTO lines_t VALUES ('ééé');

/* a comment
   on two lines */ SELECT 'ü' AS
    x FROM no_such_table_7;
SQL
sw --upgrade
like "$OUT" "0003_lines.sql:7: ERROR: relation \"no_such_table_7\" does not exist" \
    "an error on line 7 after multibyte text names line 7"
rm "$MIG/0003_lines.sql"
cat >"$MIG/20240101000000_dbmate.sql" <<'SQL'
-- migrate:up
CREATE TABLE dbmate_t (x int);

SELECT * FROM no_such_table_dbmate;
-- migrate:down
DROP TABLE dbmate_t;
SQL
sw --upgrade
like "$OUT" "20240101000000_dbmate.sql:4: ERROR: relation \"no_such_table_dbmate\"" \
    "an error in a dbmate file names the file's line"
rm "$MIG/20240101000000_dbmate.sql"
printf "SELECT 1;\nSELECT 'unterminated;\nSELECT 2;\n" >"$MIG/0003_quote.sql"
sw --upgrade
like "$OUT" "0003_quote.sql:2: ERROR: unterminated quoted string at or near \"'unterminated; SELECT 2; \"" \
    "an unterminated quote is reported as the server sees the file alone"
rm "$MIG/0003_quote.sql"

# The file's end is its own: a last statement without ';', a last comment without newline.
printf 'CREATE TABLE tail_t (x int)\n-- no newline after this comment' >"$MIG/0003_tail.sql"
sw --upgrade
is "$RC" 0 "a file ending without ';' in a comment without newline applies"
is "$(q "SELECT count(*) FROM slipway_migrations WHERE version = '{3}' AND success")" 1 \
    "and is recorded"

# The history's DELETE (which clears an unfinished row before the new row is written) is sent
# only when the history holds such a row for the version: after the file's DDL even a DELETE
# of nothing costs the server ~0.05 ms (README, "Benchmarks"). A statement trigger counts the
# DELETE statements on the history, even those that delete nothing.
q "CREATE TABLE history_deletes (n int); INSERT INTO history_deletes VALUES (0);
   CREATE FUNCTION count_delete() RETURNS trigger LANGUAGE plpgsql AS \$\$BEGIN UPDATE history_deletes SET n = n + 1; RETURN NULL; END\$\$;
   CREATE TRIGGER count_delete AFTER DELETE ON slipway_migrations FOR EACH STATEMENT EXECUTE FUNCTION count_delete()" >/dev/null
q "DELETE FROM slipway_migrations WHERE false" >/dev/null
is "$(q "SELECT n FROM history_deletes")" 1 "the trigger counts a DELETE that deletes nothing"
q "UPDATE history_deletes SET n = 0" >/dev/null
printf 'CREATE TABLE fresh_t (x int);\n' >"$MIG/0004_fresh.sql"
printf -- '-- slipway:no-transaction\nCREATE TABLE later_t (x int);\nSELECT * FROM no_such_table_5;\n' >"$MIG/0005_later.sql"
sw --upgrade
is "$RC" 1 "a fresh transactional migration applies, the no-transaction one after it fails"
is "$(q "SELECT statements_done || ' ' || success FROM slipway_migrations WHERE version = '{5}'")" \
    "1 false" "and leaves an unfinished row"
is "$(q "SELECT n FROM history_deletes")" 0 "no DELETE was sent for a version the history did not hold"
printf 'CREATE TABLE IF NOT EXISTS later_t (x int);\n' >"$MIG/0005_later.sql"
sw --upgrade
is "$RC" 0 "the file made transactional applies over its unfinished row"
is "$(q "SELECT statements_done || ' ' || success FROM slipway_migrations WHERE version = '{5}'")" \
    "0 true" "the row says applied"
is "$(q "SELECT n FROM history_deletes")" 1 "one DELETE, for the unfinished row"

done_testing
