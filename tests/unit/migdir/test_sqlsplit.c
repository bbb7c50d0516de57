/* sw_sql_split: PostgreSQL lexical rules, statement bounds and lines, errors, and linear
 * time on 16 MiB inputs. */
#include "migdir/sqlsplit.h"
#include "tap.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct want {
    const char *text;
    int line;
};

/* A printable one-line copy for test descriptions (TAP output is line based). */
static const char *show(const char *s, size_t n)
{
    static char bufs[4][160];
    static int next;
    char *b = bufs[next++ % 4];
    size_t w = 0;
    for (size_t i = 0; i < n && w + 5 < sizeof bufs[0]; i++) {
        if (s[i] == '\n') {
            b[w++] = '\\';
            b[w++] = 'n';
        } else {
            b[w++] = s[i];
        }
    }
    b[w] = '\0';
    return b;
}

static void check(const char *sql, const struct want *want, size_t nwant)
{
    struct sw_stmt *st = NULL;
    size_t n = 0;
    sw_err err = {{0}};
    const char *what = show(sql, strlen(sql));

    int rc = sw_sql_split(sql, strlen(sql), &st, &n, &err);
    TAP_OK(rc == 0, "splits: %s %s", what, rc == 0 ? "" : err.msg);
    TAP_OK(n == nwant, "%zu statement(s), got %zu: %s", nwant, n, what);
    for (size_t i = 0; i < n && i < nwant; i++) {
        size_t wl = strlen(want[i].text);
        bool same = st[i].len == wl && memcmp(sql + st[i].off, want[i].text, wl) == 0;
        TAP_OK(same && st[i].line == want[i].line,
               "statement %zu is [%s] on line %d (got [%s] on %d)", i + 1, show(want[i].text, wl),
               want[i].line, show(sql + st[i].off, st[i].len), st[i].line);
    }
    free(st);
}

#define CHECK(sql, ...)                                                                            \
    do {                                                                                           \
        static const struct want w_[] = {__VA_ARGS__};                                             \
        check(sql, w_, sizeof w_ / sizeof w_[0]);                                                  \
    } while (0)

#define CHECK_NONE(sql) check(sql, NULL, 0)

static void check_error(const char *sql, const char *msg)
{
    struct sw_stmt *st = (struct sw_stmt *)&st; /* must be reset to NULL */
    size_t n = 42;
    sw_err err = {{0}};

    int rc = sw_sql_split(sql, strlen(sql), &st, &n, &err);
    TAP_OK(rc == -1 && st == NULL && n == 0, "fails, output empty: %s", show(sql, strlen(sql)));
    TAP_OK(strcmp(err.msg, msg) == 0, "message [%s], got [%s]", msg, err.msg);
    if (rc == 0)
        free(st);
}

static void test_basics(void)
{
    CHECK_NONE("");
    CHECK_NONE("  \n\t\r\n ");
    CHECK_NONE(";;;\n;");
    CHECK_NONE("-- only a comment\n/* and another */\n");
    CHECK_NONE("-- no newline at the end");
    CHECK("SELECT 1", {"SELECT 1", 1});
    CHECK("SELECT 1;", {"SELECT 1", 1});
    CHECK("SELECT 1; SELECT 2;", {"SELECT 1", 1}, {"SELECT 2", 1});
    CHECK("SELECT 1;\nSELECT 2", {"SELECT 1", 1}, {"SELECT 2", 2});
    CHECK("\n\n   SELECT\n  1 ;\n\n\n\tSELECT 2\n;\n", {"SELECT\n  1", 3}, {"SELECT 2", 7});
    CHECK("SELECT 1;\r\nSELECT 2;\r\n", {"SELECT 1", 1}, {"SELECT 2", 2});
    CHECK("\f\vSELECT 1\v;", {"SELECT 1", 1});
}

static void test_comments(void)
{
    CHECK("-- a ; comment\nSELECT 1; /* ; */ SELECT 2;", {"SELECT 1", 2}, {"SELECT 2", 2});
    CHECK("/* a\n;\n*/\n-- b\nSELECT 1 -- trailing ;\n/* trailing */;\n", {"SELECT 1", 5});
    CHECK("SELECT 1 /* inside */ + 2;", {"SELECT 1 /* inside */ + 2", 1});
    /* Nested: a non-nesting lexer ends the comment at the first close and splits. */
    CHECK("/* a /* b */ ; still a comment */ SELECT 1;", {"SELECT 1", 1});
    CHECK("/*/ x */ SELECT 1;", {"SELECT 1", 1});
    CHECK("/* ** / * */SELECT 1;", {"SELECT 1", 1});
    CHECK("/* it's \" $$ */ SELECT 1; SELECT 2;", {"SELECT 1", 1}, {"SELECT 2", 1});
    CHECK("-- it's \" $$ /*\nSELECT 1; SELECT 2;", {"SELECT 1", 2}, {"SELECT 2", 2});
    CHECK("SELECT 2-1; SELECT 2 - -1;", {"SELECT 2-1", 1}, {"SELECT 2 - -1", 1});
    CHECK("SELECT 1--1;\n;SELECT 2", {"SELECT 1", 1}, {"SELECT 2", 2});
    CHECK("SELECT 4/*2*/;", {"SELECT 4", 1});
    CHECK_NONE("/**/");
    CHECK("SELECT 1/* c */", {"SELECT 1", 1});
}

static void test_strings(void)
{
    CHECK("SELECT 'a;b'; SELECT 2", {"SELECT 'a;b'", 1}, {"SELECT 2", 1});
    CHECK("SELECT 'it''s;'; SELECT 2", {"SELECT 'it''s;'", 1}, {"SELECT 2", 1});
    CHECK("SELECT '';SELECT ''''", {"SELECT ''", 1}, {"SELECT ''''", 1});
    /* standard_conforming_strings: a backslash in '' is literal, the quote ends the string */
    CHECK("SELECT 'a\\'; SELECT 2;", {"SELECT 'a\\'", 1}, {"SELECT 2", 1});
    CHECK("SELECT '--', '/*'; SELECT 2", {"SELECT '--', '/*'", 1}, {"SELECT 2", 1});
    CHECK("SELECT 'a\n;\nb';\nSELECT 2", {"SELECT 'a\n;\nb'", 1}, {"SELECT 2", 4});
    CHECK("SELECT E'a\\';b'; SELECT 2", {"SELECT E'a\\';b'", 1}, {"SELECT 2", 1});
    CHECK("SELECT e'\\''; SELECT 2", {"SELECT e'\\''", 1}, {"SELECT 2", 1});
    CHECK("SELECT E'\\\\'; SELECT 2", {"SELECT E'\\\\'", 1}, {"SELECT 2", 1});
    CHECK("SELECT E'a''b;'; SELECT 2", {"SELECT E'a''b;'", 1}, {"SELECT 2", 1});
    /* '' inside an E'' string is an escape, not the end of one string and a plain other */
    CHECK("SELECT E'x''\\';'; SELECT 2", {"SELECT E'x''\\';'", 1}, {"SELECT 2", 1});
    CHECK("SELECT E'\\\n;'; SELECT 2", {"SELECT E'\\\n;'", 1}, {"SELECT 2", 2});
    CHECK("SELECT x.e'\\';'", {"SELECT x.e'\\';'", 1});
    /* An E that ends a longer word starts a plain string: the backslash is literal. */
    CHECK("SELECT type'\\'; SELECT 2;", {"SELECT type'\\'", 1}, {"SELECT 2", 1});
    CHECK("SELECT ee'\\'; SELECT 2;", {"SELECT ee'\\'", 1}, {"SELECT 2", 1});
    CHECK("SELECT _e'\\'; SELECT 2;", {"SELECT _e'\\'", 1}, {"SELECT 2", 1});
    CHECK("SELECT B'01', X'1F', N'x;'; SELECT 2", {"SELECT B'01', X'1F', N'x;'", 1},
          {"SELECT 2", 1});
    CHECK("SELECT U&'\\0041;'; SELECT 2", {"SELECT U&'\\0041;'", 1}, {"SELECT 2", 1});
    CHECK("SELECT 'a'\n'b;'; SELECT 2", {"SELECT 'a'\n'b;'", 1}, {"SELECT 2", 2});
}

static void test_identifiers(void)
{
    CHECK("SELECT 1 AS \"a;\"\"b\"; SELECT 2", {"SELECT 1 AS \"a;\"\"b\"", 1}, {"SELECT 2", 1});
    CHECK("SELECT \"a\\\"; SELECT 2;", {"SELECT \"a\\\"", 1}, {"SELECT 2", 1});
    CHECK("SELECT \"it's\"; SELECT 2", {"SELECT \"it's\"", 1}, {"SELECT 2", 1});
    CHECK("SELECT U&\"d;\"; SELECT 2", {"SELECT U&\"d;\"", 1}, {"SELECT 2", 1});
    CHECK("SELECT café, 'é;' FROM t; SELECT 2", {"SELECT café, 'é;' FROM t", 1}, {"SELECT 2", 1});
}

static void test_dollar_quotes(void)
{
    CHECK(
        "CREATE FUNCTION f() RETURNS int AS $$\nBEGIN\n  RETURN 1;\nEND\n$$ LANGUAGE plpgsql;\n"
        "SELECT f();",
        {"CREATE FUNCTION f() RETURNS int AS $$\nBEGIN\n  RETURN 1;\nEND\n$$ LANGUAGE plpgsql", 1},
        {"SELECT f()", 6});
    CHECK("DO $body$ BEGIN PERFORM $$;$$; END $body$; SELECT 2",
          {"DO $body$ BEGIN PERFORM $$;$$; END $body$", 1}, {"SELECT 2", 1});
    CHECK("SELECT $a$ $b$ ; $ab$ ; $A$ ; $a$; SELECT 2", {"SELECT $a$ $b$ ; $ab$ ; $A$ ; $a$", 1},
          {"SELECT 2", 1});
    CHECK("SELECT $_1$;$_1$; SELECT $é$;$é$;", {"SELECT $_1$;$_1$", 1}, {"SELECT $é$;$é$", 1});
    CHECK("SELECT $$it's \"--/*$$; SELECT 2", {"SELECT $$it's \"--/*$$", 1}, {"SELECT 2", 1});
    CHECK("SELECT $$a$$$$b$$; SELECT 2", {"SELECT $$a$$$$b$$", 1}, {"SELECT 2", 1});
    CHECK("SELECT $x$\n\n;$x$;\nSELECT 2", {"SELECT $x$\n\n;$x$", 1}, {"SELECT 2", 4});
    /* A near miss ends where the real delimiter starts: it must not be skipped. */
    CHECK("SELECT $a$x$$a$; SELECT 2", {"SELECT $a$x$$a$", 1}, {"SELECT 2", 1});
    CHECK("SELECT $ab$;$a$ab$; SELECT 2", {"SELECT $ab$;$a$ab$", 1}, {"SELECT 2", 1});
    CHECK("SELECT $ab$;$a$$ab$; SELECT 2", {"SELECT $ab$;$a$$ab$", 1}, {"SELECT 2", 1});
    /* Parameters are not dollar quotes: a lexer that opened one would swallow the rest. */
    CHECK("PREPARE p AS SELECT $1, $23; SELECT $2;", {"PREPARE p AS SELECT $1, $23", 1},
          {"SELECT $2", 1});
    /* A '$' inside an identifier belongs to it: no dollar quote starts at a$b$. */
    CHECK("SELECT a$b$c; SELECT 2; SELECT $b$x$b$;", {"SELECT a$b$c", 1}, {"SELECT 2", 1},
          {"SELECT $b$x$b$", 1});
    CHECK("SELECT x$$; SELECT 2", {"SELECT x$$", 1}, {"SELECT 2", 1});
    /* A tag cannot start with a digit; "$a" with no closing '$' is a lone '$'. */
    CHECK("SELECT $1a$; SELECT 2", {"SELECT $1a$", 1}, {"SELECT 2", 1});
    CHECK("SELECT $ a; SELECT $a ;SELECT 2", {"SELECT $ a", 1}, {"SELECT $a", 1}, {"SELECT 2", 1});
    CHECK("SELECT 1 $", {"SELECT 1 $", 1});
    CHECK("SELECT 1e'\\''; SELECT 2", {"SELECT 1e'\\''", 1}, {"SELECT 2", 1});
}

static void test_parentheses(void)
{
    CHECK("CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); "
          "INSERT INTO b VALUES (2)); SELECT 1;",
          {"CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); "
           "INSERT INTO b VALUES (2))",
           1},
          {"SELECT 1", 1});
    CHECK("SELECT ')', \"(\", $$($$, E'\\(' /* ( */; SELECT 2 -- (\n;",
          {"SELECT ')', \"(\", $$($$, E'\\('", 1}, {"SELECT 2", 1});
    /* An extra ')' is the server's error to report; splitting goes on. */
    CHECK("SELECT 1); SELECT 2", {"SELECT 1)", 1}, {"SELECT 2", 1});
}

static void test_begin_atomic(void)
{
    CHECK("CREATE FUNCTION f(a int) RETURNS int LANGUAGE sql\n"
          "BEGIN ATOMIC\n"
          "  SELECT CASE WHEN a > 0 THEN 1 ELSE CASE WHEN a < 0 THEN -1 END END;\n"
          "  SELECT a + 1;\n"
          "END;\n"
          "SELECT 2;",
          {"CREATE FUNCTION f(a int) RETURNS int LANGUAGE sql\n"
           "BEGIN ATOMIC\n"
           "  SELECT CASE WHEN a > 0 THEN 1 ELSE CASE WHEN a < 0 THEN -1 END END;\n"
           "  SELECT a + 1;\n"
           "END",
           1},
          {"SELECT 2", 6});
    CHECK("create or replace procedure p() begin atomic insert into t values (1); end; call p()",
          {"create or replace procedure p() begin atomic insert into t values (1); end", 1},
          {"call p()", 1});
    CHECK(
        "CREATE OR REPLACE FUNCTION f() RETURNS int\n  /* c */ BEGIN -- c\n ATOMIC SELECT 1; END;",
        {"CREATE OR REPLACE FUNCTION f() RETURNS int\n  /* c */ BEGIN -- c\n ATOMIC SELECT 1; "
         "END",
         1});
    /* `AS end` and `t.end` are names, not the end of the body. */
    CHECK("CREATE FUNCTION f() RETURNS int BEGIN ATOMIC SELECT 1 AS end; SELECT t.end FROM t; "
          "END; SELECT 2",
          {"CREATE FUNCTION f() RETURNS int BEGIN ATOMIC SELECT 1 AS end; SELECT t.end FROM t; "
           "END",
           1},
          {"SELECT 2", 1});
    CHECK("CREATE FUNCTION f() RETURNS int BEGIN ATOMIC SELECT (CASE WHEN true THEN 1 END); END;"
          "SELECT 2",
          {"CREATE FUNCTION f() RETURNS int BEGIN ATOMIC SELECT (CASE WHEN true THEN 1 END); "
           "END",
           1},
          {"SELECT 2", 1});
    /* Outside such a body, BEGIN, CASE and END are ordinary. */
    CHECK("BEGIN; SELECT 1; END;", {"BEGIN", 1}, {"SELECT 1", 1}, {"END", 1});
    CHECK("SELECT CASE WHEN true THEN 1 END; SELECT 2", {"SELECT CASE WHEN true THEN 1 END", 1},
          {"SELECT 2", 1});
    CHECK("CREATE TABLE t (begin int); SELECT begin FROM t;", {"CREATE TABLE t (begin int)", 1},
          {"SELECT begin FROM t", 1});
    CHECK("CREATE FUNCTION f(begin int) RETURNS int AS $$ BEGIN ATOMIC $$ LANGUAGE sql; SELECT 2",
          {"CREATE FUNCTION f(begin int) RETURNS int AS $$ BEGIN ATOMIC $$ LANGUAGE sql", 1},
          {"SELECT 2", 1});
    /* A parameter named begin, of a type named atomic. */
    CHECK("CREATE FUNCTION f(begin atomic) RETURNS int AS 'SELECT 1' LANGUAGE sql; SELECT 2",
          {"CREATE FUNCTION f(begin atomic) RETURNS int AS 'SELECT 1' LANGUAGE sql", 1},
          {"SELECT 2", 1});
    CHECK("CREATE INDEX begin ON t (x); CREATE \"function\" begin atomic; SELECT 2",
          {"CREATE INDEX begin ON t (x)", 1}, {"CREATE \"function\" begin atomic", 1},
          {"SELECT 2", 1});
    /* Only when those are the leading words, nothing between them. */
    CHECK("CREATE \"x\" FUNCTION f() BEGIN ATOMIC SELECT 1; SELECT 2",
          {"CREATE \"x\" FUNCTION f() BEGIN ATOMIC SELECT 1", 1}, {"SELECT 2", 1});
    CHECK("SELECT 1 CREATE FUNCTION f() BEGIN ATOMIC SELECT 1; SELECT 2",
          {"SELECT 1 CREATE FUNCTION f() BEGIN ATOMIC SELECT 1", 1}, {"SELECT 2", 1});
    /* The state does not leak into the next statement. */
    CHECK("CREATE FUNCTION f() RETURNS int BEGIN ATOMIC SELECT 1; END; SELECT CASE WHEN true "
          "THEN 1 END; SELECT 3",
          {"CREATE FUNCTION f() RETURNS int BEGIN ATOMIC SELECT 1; END", 1},
          {"SELECT CASE WHEN true THEN 1 END", 1}, {"SELECT 3", 1});
}

static void test_errors(void)
{
    check_error("SELECT 1;\nSELECT 'abc", "line 2: unterminated quoted string");
    check_error("SELECT 'a\\';'", "line 1: unterminated quoted string");
    check_error("\n\nSELECT E'abc\\'", "line 3: unterminated escape string E'...'");
    check_error("SELECT e'\\", "line 1: unterminated escape string E'...'");
    check_error("SELECT \"abc\n\n", "line 1: unterminated quoted identifier");
    check_error("SELECT 1;\n\n$tag$ abc $ta$ $TAG$ $tag",
                "line 3: unterminated dollar quote $tag$");
    check_error("SELECT $$;\n", "line 1: unterminated dollar quote $$");
    check_error("SELECT $$$", "line 1: unterminated dollar quote $$");
    check_error("SELECT 1;\n/* /* */ SELECT 2;", "line 2: unterminated /* comment");
    check_error("/*/", "line 1: unterminated /* comment");
    check_error("SELECT 1;\nSELECT (1,\n(2);\nSELECT 3;", "line 2: unclosed parenthesis");
    check_error("CREATE FUNCTION f() RETURNS int\nBEGIN ATOMIC SELECT 1; SELECT 2;",
                "line 2: BEGIN ATOMIC body has no matching END");
    check_error("CREATE FUNCTION f() RETURNS int BEGIN ATOMIC\nSELECT CASE WHEN true THEN 1;\nEND;",
                "line 1: BEGIN ATOMIC body has no matching END");
    /* A long tag is shortened on a character boundary. */
    char a61[62], sql[200], msg[200];
    memset(a61, 'a', 61);
    a61[61] = '\0';
    snprintf(sql, sizeof sql, "SELECT $%séé$", a61);
    snprintf(msg, sizeof msg, "line 1: unterminated dollar quote $%sé...", a61);
    check_error(sql, msg);
    /* cut inside the second é: backs off to the boundary before it */
    snprintf(sql, sizeof sql, "SELECT $%séé$", a61 + 1);
    snprintf(msg, sizeof msg, "line 1: unterminated dollar quote $%sé...", a61 + 1);
    check_error(sql, msg);
}

/* Property test: whatever the input, a successful split yields trimmed, ordered,
 * non-overlapping statements with correct lines, and each statement split on its own gives
 * back exactly itself; a failure always says "line N: " with N within the input. */
static const char *const pieces[] = {
    "'",       "\"",        "$$",     "$a$",     "$1",    "$",    "/*", "*/", "--", "\n",
    ";",       " ",         "e'",     "E",       "\\",    "a",    "(",  ")",  "x.", "as ",
    "CREATE ", "FUNCTION ", "begin ", "atomic ", "case ", "end ", "é",  "-",  "/",  "*",
};

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static int count_lines(const char *s, size_t n)
{
    int line = 1;
    for (size_t i = 0; i < n; i++)
        line += s[i] == '\n';
    return line;
}

static bool stmt_ok(const char *sql, size_t len, size_t prev_end, const struct sw_stmt *st)
{
    const char *s = sql + st->off;
    struct sw_stmt *again;
    size_t n;
    sw_err err;

    if (st->off < prev_end || st->len == 0 || st->off + st->len > len)
        return false;
    if (is_space(s[0]) || is_space(s[st->len - 1]) ||
        (st->len >= 2 && (memcmp(s, "--", 2) == 0 || memcmp(s, "/*", 2) == 0)))
        return false;
    if (st->line != count_lines(sql, st->off))
        return false;
    if (sw_sql_split(s, st->len, &again, &n, &err) != 0)
        return false;
    bool same = n == 1 && again[0].off == 0 && again[0].len == st->len && again[0].line == 1;
    free(again);
    return same;
}

static void test_random(void)
{
    char sql[512];
    unsigned seed = 12345;
    int bad = 0, ok = 0, failed = 0;
    const int rounds = 50000;

    for (int r = 0; r < rounds; r++) {
        size_t len = 0;
        int pieces_n = 1 + (int)(rand_r(&seed) % 40);
        for (int i = 0; i < pieces_n; i++) {
            const char *p = pieces[rand_r(&seed) % (sizeof pieces / sizeof pieces[0])];
            size_t pl = strlen(p);
            memcpy(sql + len, p, pl);
            len += pl;
        }
        struct sw_stmt *st;
        size_t n;
        sw_err err;
        if (sw_sql_split(sql, len, &st, &n, &err) == 0) {
            ok++;
            size_t end = 0;
            for (size_t i = 0; i < n; i++) {
                if (!stmt_ok(sql, len, end, &st[i])) {
                    if (bad++ < 3)
                        printf("# bad statement %zu of [%s]\n", i, show(sql, len));
                    break;
                }
                end = st[i].off + st[i].len;
            }
            free(st);
        } else {
            int line;
            failed++;
            if (sscanf(err.msg, "line %d: ", &line) != 1 || line < 1 ||
                line > count_lines(sql, len)) {
                if (bad++ < 3)
                    printf("# bad error [%s] for [%s]\n", err.msg, show(sql, len));
            }
        }
    }
    TAP_OK(bad == 0, "random inputs: %d bad out of %d (%d split, %d errors)", bad, rounds, ok,
           failed);
    TAP_OK(ok > rounds / 10 && failed > rounds / 10, "random inputs exercise both outcomes");
}

/* Builds `times` copies of unit between head and tail. */
static char *repeat(const char *head, const char *unit, size_t times, const char *tail, size_t *len)
{
    size_t hl = strlen(head), ul = strlen(unit), tl = strlen(tail);
    char *s = malloc(hl + ul * times + tl + 1);
    if (s == NULL)
        abort();
    memcpy(s, head, hl);
    for (size_t i = 0; i < times; i++)
        memcpy(s + hl + i * ul, unit, ul);
    memcpy(s + hl + ul * times, tail, tl + 1);
    *len = hl + ul * times + tl;
    return s;
}

#define MiB16 (16u * 1024u * 1024u)

static void check_big(const char *what, char *sql, size_t len, int rc_want, size_t n_want)
{
    struct sw_stmt *st;
    size_t n;
    sw_err err = {{0}};
    int rc = sw_sql_split(sql, len, &st, &n, &err);
    TAP_OK(rc == rc_want && n == n_want, "16 MiB %s: rc %d, %zu statements (got %d, %zu) %s", what,
           rc_want, n_want, rc, n, rc == 0 ? "" : err.msg);
    if (rc == 0)
        free(st);
    free(sql);
}

static void test_big(void)
{
    const char *unit = "INSERT INTO t VALUES (1, 'a;b', $$x;y$$, E'\\';'); -- c;\n";
    size_t times = MiB16 / strlen(unit), len;
    char *sql = repeat("", unit, times, "", &len);

    struct sw_stmt *st;
    size_t n;
    sw_err err;
    int rc = sw_sql_split(sql, len, &st, &n, &err);
    TAP_OK(rc == 0 && n == times, "16 MiB of statements: %zu statements", times);
    TAP_OK(rc == 0 && n == times && st[n - 1].line == (int)times &&
               memcmp(sql + st[n - 1].off, unit, st[n - 1].len) == 0 &&
               st[n - 1].len == strlen(unit) - strlen("; -- c;\n"),
           "16 MiB: last statement bounds and line");
    if (rc == 0)
        free(st);
    free(sql);

    /* Inputs that would be quadratic for a lexer that rescans. */
    sql = repeat("SELECT $$", "$a $b$ ; '\" /* ", MiB16 / 15, "$$", &len);
    check_big("dollar body", sql, len, 0, 1);
    sql = repeat("SELECT $y$ ", "$x", MiB16 / 2, "", &len);
    check_big("unterminated dollar quote", sql, len, -1, 0);
    /* A long tag and a body of near misses: quadratic for a search that restarts. */
    char tag[1003], miss[1001];
    tag[0] = '$';
    memset(tag + 1, 'a', 1000);
    strcpy(tag + 1001, "$");
    miss[0] = '$';
    memset(miss + 1, 'a', 999);
    miss[1000] = '\0';
    char *body = repeat(tag, miss, MiB16 / 1000, "", &len);
    sql = repeat(body, "", 0, tag, &len);
    free(body);
    check_big("long dollar tag", sql, len, 0, 1);
    sql = repeat("SELECT '", "''", MiB16 / 2, "'", &len);
    check_big("doubled quotes", sql, len, 0, 1);
    sql = repeat("SELECT 1 ", "/*", MiB16 / 4, "", &len);
    check_big("unterminated nested comments", sql, len, -1, 0);
    sql = repeat("SELECT ", "(", MiB16 / 2, "", &len);
    check_big("open parentheses", sql, len, -1, 0);
    sql = repeat("", ";", MiB16, "", &len);
    check_big("semicolons", sql, len, 0, 0);
    sql = repeat("CREATE FUNCTION f() BEGIN ATOMIC ", "CASE ", MiB16 / 5, "", &len);
    check_big("open CASE", sql, len, -1, 0);

    /* Deep but closed nesting. */
    size_t half = MiB16 / 4, k;
    sql = malloc(4 * half + 9);
    if (sql == NULL)
        abort();
    for (k = 0; k < half; k++)
        memcpy(sql + 2 * k, "/*", 2);
    for (k = 0; k < half; k++)
        memcpy(sql + 2 * half + 2 * k, "*/", 2);
    memcpy(sql + 4 * half, "SELECT 1", 9);
    check_big("nested comments", sql, 4 * half + 8, 0, 1);
}

/* psql's script syntax: meta-commands and COPY ... FROM STDIN with inline data. */
static void test_psql_script(void)
{
    const char *dump = "\\restrict abc123\n"
                       "SET x = 1;\n"
                       "COPY public.t (id, note) FROM stdin;\n"
                       "1\t'quote; -- not sql\n"
                       "2\t\\N\n"
                       "\\.\n"
                       "SELECT 2;\n"
                       "\\unrestrict abc123\n";
    struct sw_stmt *st;
    size_t n;
    sw_err err;
    int rc = sw_sql_split(dump, strlen(dump), &st, &n, &err);
    TAP_OK(rc == 0 && n == 5, "pg_dump script: 5 items (rc %d, n %zu) %s", rc, n,
           rc ? err.msg : "");
    if (rc == 0 && n == 5) {
        TAP_OK(st[0].meta && st[0].len == strlen("\\restrict abc123") && st[0].line == 1,
               "\\restrict is a meta-command on line 1");
        TAP_OK(!st[1].meta && !st[1].copy_from_stdin, "SET is a statement");
        TAP_OK(st[2].copy_from_stdin && st[2].line == 3 &&
                   st[2].data_len == strlen("1\t'quote; -- not sql\n2\t\\N\n") &&
                   memcmp(dump + st[2].data_off, "1\t'quote", 8) == 0,
               "COPY FROM stdin carries its data up to \\.");
        TAP_OK(st[3].line == 7 && st[3].len == strlen("SELECT 2"),
               "the statement after it, line 7");
        TAP_OK(st[4].meta && st[4].line == 8, "\\unrestrict on line 8");
    }
    free(st);

    const char *no_end = "COPY t FROM STDIN;\nSELECT 1;\n";
    rc = sw_sql_split(no_end, strlen(no_end), &st, &n, &err);
    TAP_OK(rc == 0 && n == 2 && st[0].copy_from_stdin && st[0].data_len == 0,
           "COPY FROM STDIN without a \\. line has no inline data");
    free(st);
    const char *other = "COPY t FROM '/tmp/x';\nCOPY t TO STDOUT;\nSELECT 'COPY x FROM stdin';";
    rc = sw_sql_split(other, strlen(other), &st, &n, &err);
    TAP_OK(rc == 0 && n == 3 && !st[0].copy_from_stdin && !st[1].copy_from_stdin &&
               !st[2].copy_from_stdin,
           "COPY from a file or to stdout, and a string, are no COPY FROM STDIN");
    free(st);
    const char *mid = "SELECT 1 \\gset\nSELECT 2;";
    rc = sw_sql_split(mid, strlen(mid), &st, &n, &err);
    TAP_OK(rc == 0 && n == 3 && !st[0].meta && st[1].meta && st[1].line == 1 && !st[2].meta,
           "a backslash mid-statement is a meta-command too");
    free(st);
}

int main(void)
{
    test_basics();
    test_comments();
    test_strings();
    test_identifiers();
    test_dollar_quotes();
    test_parentheses();
    test_begin_atomic();
    test_errors();
    test_psql_script();
    test_random();
    test_big();
    return tap_done();
}
