/* sw_sql_split on arbitrary bytes. Beyond "no crash", it checks what the upgrade relies on
 * when it runs a no-transaction file statement by statement and records its progress:
 * statements are in order, do not overlap, stay within the input, are trimmed, are separated
 * by a ';', carry the right line number, and each one split again on its own is exactly one
 * statement (so a resumed run sends the same text). */
#include "fuzz.h"
#include "migdir/sqlsplit.h"

#include <string.h>

static int line_of(const char *s, size_t off)
{
    int line = 1;
    for (size_t i = 0; i < off; i++)
        line += s[i] == '\n';
    return line;
}

static int is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static void check_error(const char *sql, size_t len, const sw_err *err)
{
    int line = 0, used = 0;

    FUZZ_ASSERT(memchr(err->msg, '\0', sizeof err->msg) != NULL, "message not terminated");
    FUZZ_ASSERT(sscanf(err->msg, "line %d: %n", &line, &used) == 1 && used > 0,
                "message does not start with 'line N: ': %s", err->msg);
    FUZZ_ASSERT(line >= 1 && line <= line_of(sql, len), "line %d out of range: %s", line, err->msg);
}

static void check_alone(const char *stmt, size_t len)
{
    struct sw_stmt *again;
    size_t n;
    sw_err err;

    FUZZ_ASSERT(sw_sql_split(stmt, len, &again, &n, &err) == 0, "re-split fails: %s", err.msg);
    FUZZ_ASSERT(n == 1 && again[0].off == 0 && again[0].len == len && again[0].line == 1,
                "re-split of a %zu-byte statement gives %zu statement(s)", len, n);
    free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* A private copy without a terminator, so ASan catches any read past len. */
    char *sql = malloc(size ? size : 1);
    struct sw_stmt *st;
    size_t n, prev_end = 0, counted = 0;
    int line = 1; /* line of byte `counted`, advanced incrementally: O(size) in all */
    sw_err err;

    if (!sql)
        return 0;
    memcpy(sql, data, size);
    if (sw_sql_split(sql, size, &st, &n, &err) < 0) {
        FUZZ_ASSERT(st == NULL && n == 0, "output not reset on error");
        check_error(sql, size, &err);
        free(sql);
        return 0;
    }
    FUZZ_ASSERT((n == 0) == (st == NULL), "n %zu with items %p", n, (void *)st);
    for (size_t i = 0; i < n; i++) {
        const struct sw_stmt *s = &st[i];
        FUZZ_ASSERT(s->len > 0 && s->off <= size && s->len <= size - s->off,
                    "statement %zu [%zu, +%zu) outside [0, %zu)", i, s->off, s->len, size);
        FUZZ_ASSERT(s->off >= prev_end, "statement %zu at %zu overlaps or precedes %zu", i, s->off,
                    prev_end);
        /* a psql meta-command ends at its line's end, and starts wherever its backslash is */
        FUZZ_ASSERT(i == 0 || s->meta || st[i - 1].meta ||
                        memchr(sql + prev_end, ';', s->off - prev_end) != NULL,
                    "statement %zu not separated from the previous one by ';'", i);
        /* a meta-command is its whole line from the backslash, as psql reads it */
        FUZZ_ASSERT(s->meta ? sql[s->off] == '\\'
                            : !is_ws(sql[s->off]) && !is_ws(sql[s->off + s->len - 1]) &&
                                  sql[s->off + s->len - 1] != ';',
                    "statement %zu not trimmed", i);
        for (; counted < s->off; counted++)
            line += sql[counted] == '\n';
        FUZZ_ASSERT(s->line == line, "statement %zu on line %d, not %d", i, s->line, line);
        check_alone(sql + s->off, s->len);
        prev_end = s->off + s->len;
    }
    free(st);
    free(sql);
    return 0;
}
