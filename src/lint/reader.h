/* A migration's SQL as PostgreSQL's parser reads it: the statements with their parse trees,
 * in file order, and what the parser cannot read, each at its line.
 *
 * The file is parsed whole (one call for the common case). Where the parser stops, the
 * statement it stopped in is found with libpg_query's scanner and read around:
 *  - a backslash outside quotes is a psql meta-command up to the end of its line, and ends
 *    the statement before it (as \g and \gset do);
 *  - after COPY ... FROM STDIN, the inline data up to the line "\." (pg_dump output), even
 *    when it happens to parse as SQL;
 *  - anything else is a statement this parser does not know (newer PostgreSQL syntax, or
 *    an error the server will report): noted, skipped up to its ';', and the rest parsed.
 * Needs sw_pgquery_load() to have succeeded. */
#ifndef SLIPWAY_LINT_READER_H
#define SLIPWAY_LINT_READER_H

#include "base/err.h"
#include "lint/pgquery.h"

#include <stddef.h>

enum sw_lint_item_kind {
    SW_ITEM_STMT,    /* a parsed statement: node */
    SW_ITEM_META,    /* a psql meta-command: text is its name, e.g. "\connect" */
    SW_ITEM_UNKNOWN, /* a statement the parser refused: text is the parser's message */
};

struct sw_lint_item {
    enum sw_lint_item_kind kind;
    size_t off; /* of its first token in the SQL */
    size_t end; /* SW_ITEM_STMT: where its text ends (before the ';') */
    int line;   /* 1-based line of off in the SQL */
    const PgQuery__Node *node;
    char *text;
};

struct sw_lint_read {
    struct sw_lint_item *items; /* ascending off */
    size_t n, cap;
    PgQuery__ParseResult **trees; /* the nodes point into these */
    size_t n_trees, cap_trees;
};

/* Fills *out (overwritten, not freed first) from sql[0..len), which is NUL-terminated at len.
 * -1 only when out of memory (err set), with *out empty. */
int sw_lint_read(const char *sql, size_t len, struct sw_lint_read *out, sw_err *err);
void sw_lint_read_free(struct sw_lint_read *r);

#endif
