/* Splits SQL text into top-level statements for `-- slipway:no-transaction` migrations,
 * which must run one statement at a time (CREATE INDEX CONCURRENTLY refuses a transaction).
 *
 * Lexical rules are PostgreSQL's with standard_conforming_strings on: '' strings (backslash
 * is literal), E'' strings (backslash escapes), "" identifiers, $$ and $tag$ dollar quotes
 * ($1 is a parameter; a $ inside an identifier such as a$b$ is part of the identifier),
 * -- line comments and nested block comments. Like psql, a ';' does not end a statement
 * inside parentheses (CREATE RULE ... DO (a; b)) or inside the BEGIN ATOMIC ... END body of
 * CREATE [OR REPLACE] FUNCTION|PROCEDURE, where CASE ... END nesting is tracked.
 *
 * Limitation: inside a BEGIN ATOMIC body, END used as a bare column label (`SELECT 1 end`)
 * is taken for the end of a block; `AS end` and `t.end` are understood. Rather than split
 * wrongly, input that leaves a BEGIN ATOMIC body or a parenthesis open is an error.
 *
 * psql's script syntax too: a backslash outside quotes starts a meta-command that runs to
 * the end of its line, and COPY ... FROM STDIN is followed by its data (see sw_stmt).
 *
 * Runs in linear time. */
#ifndef SLIPWAY_MIGDIR_SQLSPLIT_H
#define SLIPWAY_MIGDIR_SQLSPLIT_H

#include "base/err.h"

#include <stdbool.h>
#include <stddef.h>

/* A statement is trimmed to its tokens: leading and trailing whitespace and comments are
 * not part of it, nor is the terminating ';'. A statement of only whitespace and comments
 * (or an empty one, ";;") is dropped; a last statement without ';' counts. */
struct sw_stmt {
    size_t off; /* byte offset of the statement's first token in the input */
    size_t len; /* up to the end of its last token */
    int line;   /* 1-based line of the statement's first token */
    /* PostgreSQL refuses it inside a transaction block: CREATE|DROP INDEX CONCURRENTLY,
     * REINDEX ... CONCURRENTLY, ALTER TABLE ... DETACH PARTITION ... CONCURRENTLY,
     * CREATE|DROP DATABASE|TABLESPACE, ALTER SYSTEM, VACUUM. */
    bool no_tx;
    /* A psql meta-command ("\restrict KEY", "\connect db"...): off/len is its line from the
     * backslash on; PostgreSQL would not understand it. */
    bool meta;
    /* COPY ... FROM STDIN. Its inline data, as psql reads it, is the lines after the one the
     * statement ends on, up to a line "\." (excluded): data_off/data_len (0 without such a
     * line: then the statement has no inline data). */
    bool copy_from_stdin;
    size_t data_off, data_len;
};

/* Fills *out (malloc'd, caller frees; NULL when *n is 0) with the statements of sql.
 * Returns 0, or -1 with *out NULL, *n 0 and err set to one line that always starts with
 * "line N: " where N is the line the faulty construct starts on, e.g.
 * "line 3: unterminated dollar quote $tag$". */
int sw_sql_split(const char *sql, size_t len, struct sw_stmt **out, size_t *n, sw_err *err);

#endif
