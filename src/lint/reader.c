#include "lint/reader.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* No position: the parser's error did not say where. */
#define NOWHERE SIZE_MAX

struct reader {
    char *buf; /* a copy of the SQL: meta-command lines are blanked out as they are found */
    size_t len;
    struct sw_lint_read *out;
};

/* What the parser said when it refused a range. */
struct refusal {
    size_t at; /* byte offset in buf, or NOWHERE */
    char msg[256];
};

/* ---- positions ------------------------------------------------------------------------- */

/* PostgreSQL reports error positions in characters from 1; offsets here are bytes. */
static size_t char_to_byte(const char *s, size_t limit, int cursorpos)
{
    size_t i = 0;

    if (cursorpos <= 0)
        return NOWHERE;
    for (int chars = cursorpos - 1; i < limit; i++) {
        if (((unsigned char)s[i] & 0xC0) != 0x80 && chars-- == 0)
            break;
    }
    return i;
}

/* The first byte of [from, to) that is not whitespace or a comment (block comments nest). */
static size_t skip_blank(const char *s, size_t from, size_t to)
{
    size_t i = from;

    while (i < to) {
        if (s[i] == ' ' || (s[i] >= '\t' && s[i] <= '\r')) { /* \t \n \v \f \r */
            i++;
        } else if (s[i] == '-' && i + 1 < to && s[i + 1] == '-') {
            const char *nl = memchr(s + i, '\n', to - i);
            i = nl ? (size_t)(nl - s) : to;
        } else if (s[i] == '/' && i + 1 < to && s[i + 1] == '*') {
            int depth = 0;
            do {
                if (s[i] == '/' && i + 1 < to && s[i + 1] == '*')
                    depth++, i += 2;
                else if (s[i] == '*' && i + 1 < to && s[i + 1] == '/')
                    depth--, i += 2;
                else
                    i++;
            } while (depth > 0 && i < to);
        } else {
            break;
        }
    }
    return i < to ? i : to;
}

static size_t line_end(const char *s, size_t from, size_t len)
{
    const char *nl = memchr(s + from, '\n', len - from);
    return nl ? (size_t)(nl - s) : len;
}

/* ---- the output -------------------------------------------------------------------------- */

static int add_item(struct reader *rd, enum sw_lint_item_kind kind, size_t off, size_t end,
                    const PgQuery__Node *node, const char *text, size_t text_len)
{
    struct sw_lint_read *out = rd->out;

    if (out->n == out->cap) {
        size_t cap = out->cap ? out->cap * 2 : 32;
        struct sw_lint_item *items = reallocarray(out->items, cap, sizeof *items);
        if (!items)
            return -1;
        out->items = items;
        out->cap = cap;
    }
    struct sw_lint_item *it = &out->items[out->n];
    *it = (struct sw_lint_item){.kind = kind, .off = off, .end = end, .node = node};
    if (text && !(it->text = strndup(text, text_len)))
        return -1;
    out->n++;
    return 0;
}

static int add_tree(struct reader *rd, PgQuery__ParseResult *tree)
{
    struct sw_lint_read *out = rd->out;

    if (out->n_trees == out->cap_trees) {
        size_t cap = out->cap_trees ? out->cap_trees * 2 : 4;
        PgQuery__ParseResult **trees = reallocarray(out->trees, cap, sizeof *trees);
        if (!trees)
            return -1;
        out->trees = trees;
        out->cap_trees = cap;
    }
    out->trees[out->n_trees++] = tree;
    return 0;
}

/* ---- libpg_query on a range ---------------------------------------------------------------- */

/* Runs fn on buf[from..to), NUL-terminated for the call. */
#define ON_RANGE(rd, from, to, call)                                                               \
    do {                                                                                           \
        char saved_ = (rd)->buf[to];                                                               \
        (rd)->buf[to] = '\0';                                                                      \
        call;                                                                                      \
        (rd)->buf[to] = saved_;                                                                    \
    } while (0)

static int add_statements(struct reader *rd, size_t from, size_t to, PgQuery__ParseResult *tree)
{
    if (add_tree(rd, tree) < 0) {
        sw_pgq->pg_query__parse_result__free_unpacked(tree, NULL);
        return -1;
    }
    for (size_t i = 0; i < tree->n_stmts; i++) {
        const PgQuery__RawStmt *raw = tree->stmts[i];
        size_t off = from + (size_t)raw->stmt_location;
        size_t end = raw->stmt_len ? off + (size_t)raw->stmt_len : to;
        if (raw->stmt &&
            add_item(rd, SW_ITEM_STMT, skip_blank(rd->buf, off, end), end, raw->stmt, NULL, 0) < 0)
            return -1;
    }
    return 0;
}

/* 1: buf[from..to) parsed and its statements added; 0: the parser refused it (*why set);
 * -1: out of memory. */
static int parse_range(struct reader *rd, size_t from, size_t to, struct refusal *why)
{
    PgQueryProtobufParseResult r;
    PgQuery__ParseResult *tree = NULL;

    ON_RANGE(rd, from, to, r = sw_pgq->pg_query_parse_protobuf(rd->buf + from));
    if (r.error) {
        why->at = char_to_byte(rd->buf + from, to - from, r.error->cursorpos);
        why->at = why->at == NOWHERE ? NOWHERE : from + why->at;
        snprintf(why->msg, sizeof why->msg, "%s", r.error->message);
        sw_pgq->pg_query_free_protobuf_parse_result(r);
        return 0;
    }
    tree = sw_pgq->pg_query__parse_result__unpack(NULL, r.parse_tree.len,
                                                  (const uint8_t *)r.parse_tree.data);
    sw_pgq->pg_query_free_protobuf_parse_result(r);
    if (!tree)
        return -1;
    return add_statements(rd, from, to, tree) < 0 ? -1 : 1;
}

/* Where the statement holding offset at starts: after the last top-level ';' before at, as
 * libpg_query's scanner splits buf[from..at) (which the parser already read without fault). */
static size_t statement_start(struct reader *rd, size_t from, size_t at)
{
    PgQuerySplitResult sp;
    size_t start = from;

    ON_RANGE(rd, from, at, sp = sw_pgq->pg_query_split_with_scanner(rd->buf + from));
    if (!sp.error && sp.n_stmts > 0) {
        const PgQuerySplitStmt *last = sp.stmts[sp.n_stmts - 1];
        size_t end = from + (size_t)last->stmt_location + (size_t)last->stmt_len;
        const char *semi = memchr(rd->buf + end, ';', at - end);
        start = semi ? (size_t)(semi - rd->buf) + 1 : from + (size_t)last->stmt_location;
    }
    sw_pgq->pg_query_free_split_result(sp);
    return start;
}

/* Just past the ';' that ends the statement starting at from, or the end of the text when the
 * scanner cannot tell. */
static size_t statement_end(struct reader *rd, size_t from)
{
    PgQuerySplitResult sp = sw_pgq->pg_query_split_with_scanner(rd->buf + from);
    size_t end = rd->len;

    if (!sp.error && sp.n_stmts > 0) {
        size_t piece = from + (size_t)sp.stmts[0]->stmt_location + (size_t)sp.stmts[0]->stmt_len;
        const char *semi = memchr(rd->buf + piece, ';', rd->len - piece);
        if (piece > from)
            end = semi ? (size_t)(semi - rd->buf) + 1 : rd->len;
    }
    sw_pgq->pg_query_free_split_result(sp);
    return end;
}

/* ---- what the parser cannot read --------------------------------------------------------- */

static bool is_copy_from_stdin(const struct sw_lint_item *it)
{
    const PgQuery__CopyStmt *c;

    if (it->kind != SW_ITEM_STMT || it->node->node_case != PG_QUERY__NODE__NODE_COPY_STMT)
        return false;
    c = it->node->copy_stmt;
    return c->is_from && !c->is_program && (!c->filename || !*c->filename);
}

/* After COPY ... FROM STDIN ending at from: its data runs from the next line to the line "\."
 * (or the end, as psql reads it). */
static size_t skip_copy_data(const struct reader *rd, size_t from)
{
    size_t pos = line_end(rd->buf, from, rd->len);

    while (pos < rd->len) {
        size_t start = pos + 1, end = line_end(rd->buf, start, rd->len);
        if (end - start == 2 && memcmp(rd->buf + start, "\\.", 2) == 0)
            return end;
        pos = end;
    }
    return rd->len;
}

/* When a COPY ... FROM STDIN is among the items added since index first, what the parser made
 * of its data (an error, or rows that happen to read as SQL) is dropped and *pos moves past
 * the data. */
static bool skipped_copy_data(struct reader *rd, size_t first, size_t *pos)
{
    for (size_t i = first; i < rd->out->n; i++) {
        if (is_copy_from_stdin(&rd->out->items[i])) {
            rd->out->n = i + 1; /* statements only: nothing of theirs to free */
            *pos = skip_copy_data(rd, rd->out->items[i].end);
            return true;
        }
    }
    return false;
}

/* pg_dump >= 17.6 and 16.10 frame its output with these; the upgrade skips them. */
static bool is_dump_framing(const char *word, size_t n)
{
    return (n == 9 && memcmp(word, "\\restrict", 9) == 0) ||
           (n == 11 && memcmp(word, "\\unrestrict", 11) == 0);
}

/* At a backslash outside quotes: psql would run the rest of the line as its own command. It
 * becomes a ';' followed by blanks, so the statement before it ends there (\g, \gset). */
static int take_meta_command(struct reader *rd, size_t at)
{
    size_t end = line_end(rd->buf, at, rd->len), n = 1;

    while (at + n < end && strchr(" \t\r\\", rd->buf[at + n]) == NULL)
        n++;
    if (!is_dump_framing(rd->buf + at, n) &&
        add_item(rd, SW_ITEM_META, at, at, NULL, rd->buf + at, n) < 0)
        return -1;
    rd->buf[at] = ';';
    memset(rd->buf + at + 1, ' ', end - at - 1);
    return 0;
}

static int take_unknown(struct reader *rd, size_t start, const struct refusal *why, size_t *next)
{
    *next = statement_end(rd, start);
    size_t at = skip_blank(rd->buf, start, *next);
    return add_item(rd, SW_ITEM_UNKNOWN, at, at, NULL, why->msg, strlen(why->msg));
}

/* Without a position to go by: each statement the scanner finds, parsed on its own. */
static int read_piecewise(struct reader *rd, size_t from, size_t to)
{
    PgQuerySplitResult sp;
    struct refusal why;
    int rc = 0;

    ON_RANGE(rd, from, to, sp = sw_pgq->pg_query_split_with_scanner(rd->buf + from));
    if (sp.error) {
        size_t at = skip_blank(rd->buf, from, to);
        snprintf(why.msg, sizeof why.msg, "%s", sp.error->message);
        rc = add_item(rd, SW_ITEM_UNKNOWN, at, at, NULL, why.msg, strlen(why.msg));
    }
    for (int i = 0; !sp.error && rc == 0 && i < sp.n_stmts; i++) {
        size_t a = from + (size_t)sp.stmts[i]->stmt_location;
        size_t b = a + (size_t)sp.stmts[i]->stmt_len;
        size_t at = skip_blank(rd->buf, a, b);
        int parsed = parse_range(rd, a, b, &why);
        rc = parsed < 0 ? -1
             : parsed   ? 0
                        : add_item(rd, SW_ITEM_UNKNOWN, at, at, NULL, why.msg, strlen(why.msg));
    }
    sw_pgq->pg_query_free_split_result(sp);
    return rc;
}

/* The parser refused buf[*pos..len) at why->at: the statements before the one it stopped in
 * are added, then what stopped it is taken, and *pos moves to where parsing resumes. Each
 * call moves *pos forward or blanks out a backslash, so the loop ends. */
static int read_around(struct reader *rd, size_t *pos, const struct refusal *why)
{
    size_t start = statement_start(rd, *pos, why->at), before = rd->out->n;
    struct refusal inner;

    if (start > *pos) {
        int parsed = parse_range(rd, *pos, start, &inner);
        if (parsed < 0 || (parsed == 0 && read_piecewise(rd, *pos, start) < 0))
            return -1;
    }
    if (skipped_copy_data(rd, before, pos))
        return 0;
    if (rd->buf[why->at] == '\\') {
        *pos = start;
        return take_meta_command(rd, why->at);
    }
    return take_unknown(rd, start, why, pos);
}

static int read_all(struct reader *rd)
{
    size_t pos = 0;

    while (pos < rd->len) {
        struct refusal why;
        size_t before = rd->out->n;
        int parsed = parse_range(rd, pos, rd->len, &why);
        if (parsed < 0)
            return -1;
        if (parsed > 0) {
            if (!skipped_copy_data(rd, before, &pos))
                return 0;
            continue;
        }
        if (why.at == NOWHERE || why.at > rd->len)
            return read_piecewise(rd, pos, rd->len);
        if (read_around(rd, &pos, &why) < 0)
            return -1;
    }
    return 0;
}

/* ---- entry points ---------------------------------------------------------------------------- */

static int by_offset(const void *a, const void *b)
{
    const struct sw_lint_item *x = a, *y = b;
    return (x->off > y->off) - (x->off < y->off);
}

/* Items come out of order (a statement before a meta-command is parsed after it): sort, then
 * count lines in one pass. */
static void number_lines(struct sw_lint_read *r, const char *sql)
{
    size_t pos = 0;
    int line = 1;

    if (r->n > 1) /* items is NULL when empty, and qsort's base must not be */
        qsort(r->items, r->n, sizeof *r->items, by_offset);
    for (size_t i = 0; i < r->n; i++) {
        for (; pos < r->items[i].off; pos++)
            line += sql[pos] == '\n';
        r->items[i].line = line;
    }
}

int sw_lint_read(const char *sql, size_t len, struct sw_lint_read *out, sw_err *err)
{
    struct reader rd = {.buf = malloc(len + 1), .len = len, .out = out};

    *out = (struct sw_lint_read){0};
    if (!rd.buf || (memcpy(rd.buf, sql, len + 1), read_all(&rd) < 0)) {
        free(rd.buf);
        sw_lint_read_free(out);
        sw_err_set(err, "out of memory");
        return -1;
    }
    free(rd.buf);
    number_lines(out, sql);
    return 0;
}

void sw_lint_read_free(struct sw_lint_read *r)
{
    for (size_t i = 0; i < r->n; i++)
        free(r->items[i].text);
    for (size_t i = 0; i < r->n_trees; i++)
        sw_pgq->pg_query__parse_result__free_unpacked(r->trees[i], NULL);
    free(r->items);
    free(r->trees);
    *r = (struct sw_lint_read){0};
}
