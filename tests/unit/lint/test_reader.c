/* The lint reader (lint/reader.h): what it makes of psql meta-commands, COPY data, statements
 * the parser refuses, and lines; and, over every SQL file of the tests (fuzz corpus, bad-input
 * cases, the image's migrations), that its statements start exactly where sw_sql_split's do
 * wherever PostgreSQL's parser reads the whole file: lint and the no-transaction runner see
 * the same statements. (Where the parser refuses a file they differ by design: README "Lint".) */
#include "lint/reader.h"
#include "migdir/sqlsplit.h"
#include "tap.h"

#include <ftw.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct want {
    enum sw_lint_item_kind kind;
    int line;
    const char *text; /* the start of the statement, or the item's text */
};

/* The first bytes of s on one line (TAP output is line based); two buffers in turn. */
static const char *brief(const char *s)
{
    static char bufs[2][48];
    static int next;
    char *b = bufs[next++ % 2];
    size_t i;

    for (i = 0; s[i] && i + 1 < sizeof bufs[0]; i++)
        b[i] = s[i] == '\n' ? '|' : s[i];
    b[i] = '\0';
    return b;
}

static void check(const char *sql, const struct want *want, size_t nwant)
{
    struct sw_lint_read r;
    sw_err err;

    TAP_OK(sw_lint_read(sql, strlen(sql), &r, &err) == 0, "reads [%s]", brief(sql));
    TAP_OK(r.n == nwant, "%zu items, got %zu: [%s]", nwant, r.n, brief(sql));
    for (size_t i = 0; i < r.n && i < nwant; i++) {
        const struct sw_lint_item *it = &r.items[i];
        bool text = it->kind == SW_ITEM_STMT
                        ? strncmp(sql + it->off, want[i].text, strlen(want[i].text)) == 0
                        : strstr(it->text, want[i].text) != NULL;
        TAP_OK(it->kind == want[i].kind && it->line == want[i].line && text,
               "item %zu: kind %d line %d [%s] (got kind %d line %d [%s])", i + 1, want[i].kind,
               want[i].line, brief(want[i].text), it->kind, it->line,
               brief(it->kind == SW_ITEM_STMT ? sql + it->off : it->text));
    }
    sw_lint_read_free(&r);
}

#define CHECK(sql, ...)                                                                            \
    do {                                                                                           \
        static const struct want w_[] = {__VA_ARGS__};                                             \
        check(sql, w_, sizeof w_ / sizeof w_[0]);                                                  \
    } while (0)

#define S SW_ITEM_STMT
#define M SW_ITEM_META
#define U SW_ITEM_UNKNOWN

static void test_items(void)
{
    CHECK("-- c\nSELECT 1;\n/* d */ SELECT 2", {S, 2, "SELECT 1"}, {S, 3, "SELECT 2"});
    CHECK("SELECT 1;\n\\connect db\nSELECT 2;", {S, 1, "SELECT 1"}, {M, 2, "\\connect"},
          {S, 3, "SELECT 2"});
    /* a meta-command ends a statement's line but not the statement */
    CHECK("SELECT 1 \\gset\nSELECT 2;", {S, 1, "SELECT 1"}, {M, 1, "\\gset"}, {S, 2, "SELECT 2"});
    CHECK("SELECT '\\x', E'\\\\';\n", {S, 1, "SELECT '\\x'"});
    CHECK("COPY t FROM stdin;\n1\t\\N\n\\.\nSELECT 1;", {S, 1, "COPY t"}, {S, 4, "SELECT 1"});
    CHECK("COPY t FROM stdin;\nselect\n", {S, 1, "COPY t"});
    CHECK("\\restrict k\nSELECT 1;\n\\unrestrict k\n", {S, 2, "SELECT 1"});
    CHECK("SELECT 1;\nMERGE INTO t USING s ON true WHEN MATCHED THEN DO NOTHING RETURNING *;\n"
          "SELECT 3;",
          {S, 1, "SELECT 1"}, {U, 2, "syntax error at or near \"RETURNING\""}, {S, 3, "SELECT 3"});
    CHECK("SELECT 'é' FROM x WHERE;\nSELECT 2;", {U, 1, "syntax error"}, {S, 2, "SELECT 2"});
    CHECK("SELECT 1;\nSELECT 'unterminated;\nSELECT 3;", {S, 1, "SELECT 1"},
          {U, 2, "unterminated quoted string"});
    CHECK("CREATE RULE r AS ON INSERT TO t DO ALSO (SELECT 1; SELECT 2); SELECT 3",
          {S, 1, "CREATE RULE"}, {S, 1, "SELECT 3"});
    check("", NULL, 0);
    check("-- only a comment\n", NULL, 0);
}

/* ---- agreement with sw_sql_split ----------------------------------------------------------- */

static size_t n_compared, n_refused;

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long size;

    if (f && fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (buf = malloc((size_t)size + 1)) && fread(buf, 1, (size_t)size, f) == (size_t)size) {
        buf[size] = '\0';
        *len = (size_t)size;
    } else {
        free(buf);
        buf = NULL;
    }
    if (f)
        fclose(f);
    return buf;
}

static void compare(const char *path, const char *sql, size_t len)
{
    struct sw_lint_read r;
    struct sw_stmt *st;
    size_t n;
    sw_err err;
    bool whole = true, same;

    if (sw_lint_read(sql, len, &r, &err) < 0)
        return;
    for (size_t i = 0; i < r.n; i++)
        whole &= r.items[i].kind == SW_ITEM_STMT;
    if (!whole || sw_sql_split(sql, len, &st, &n, &err) < 0) {
        n_refused++;
        sw_lint_read_free(&r);
        return;
    }
    same = n == r.n;
    for (size_t i = 0; same && i < n; i++)
        same = st[i].off == r.items[i].off && st[i].line == r.items[i].line;
    TAP_OK(same, "%s: %zu statements, same starts as sw_sql_split (%zu)", path, r.n, n);
    n_compared++;
    free(st);
    sw_lint_read_free(&r);
}

static int visit(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
    size_t len;
    char *sql;

    (void)sb;
    (void)ftw;
    if (type != FTW_F || strstr(path, ".sql") == NULL || !(sql = slurp(path, &len)))
        return 0;
    if (strlen(sql) == len) /* a NUL byte: refused before lint */
        compare(path, sql, len);
    free(sql);
    return 0;
}

static void test_agreement(void)
{
    static const char *const dirs[] = {"fuzz/corpus/fuzz_sqlsplit",
                                       "fuzz/corpus/fuzz_migration_file", "bad-input/cases",
                                       "../entrypoint/migrations"};
    for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++) {
        int walked = nftw(dirs[i], visit, 16, FTW_PHYS); /* its checks come first */
        TAP_OK(walked == 0, "walked %s", dirs[i]);
    }
    TAP_OK(n_compared >= 30, "compared %zu files (%zu not read whole by the parser)", n_compared,
           n_refused);
}

int main(void)
{
    sw_err err;

    int loaded = sw_pgquery_load(&err);

    TAP_OK(loaded == 0, "libpg_query loads%s%s", loaded ? ": " : "", loaded ? err.msg : "");
    if (loaded == 0) {
        test_items();
        test_agreement();
    }
    return tap_done();
}
