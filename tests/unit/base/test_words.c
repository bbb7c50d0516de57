/* sw_words_split: shell-like word splitting for `command =` values (quotes, backslashes,
 * separators, error messages) and sw_words_free. */
#include "base/words.h"
#include "tap.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* A printable one-line copy for test descriptions (TAP output is line based). */
static const char *show(const char *s)
{
    static char bufs[4][200];
    static int next;
    char *b = bufs[next++ % 4];
    size_t w = 0;
    for (size_t i = 0; s[i] && w + 5 < sizeof bufs[0]; i++) {
        if (s[i] == '\n' || s[i] == '\t' || s[i] == '\r') {
            b[w++] = '\\';
            b[w++] = s[i] == '\n' ? 'n' : s[i] == '\t' ? 't' : 'r';
        } else {
            b[w++] = s[i];
        }
    }
    b[w] = '\0';
    return b;
}

/* want: the expected words, NULL-terminated. */
static void check_split(const char *in, const char *const *want)
{
    sw_err err = {{0}};
    char **got = sw_words_split(in, &err);
    size_t nwant = 0, ngot = 0;
    bool same = true;

    TAP_OK(got != NULL, "[%s] splits (%s)", show(in), got ? "ok" : err.msg);
    if (!got)
        return;
    while (want[nwant])
        nwant++;
    while (got[ngot])
        ngot++;
    TAP_OK(ngot == nwant, "[%s] gives %zu words (got %zu)", show(in), nwant, ngot);
    for (size_t i = 0; i < nwant && i < ngot; i++) {
        if (strcmp(got[i], want[i]) != 0) {
            same = false;
            printf("#   word %zu is [%s], want [%s]\n", i, show(got[i]), show(want[i]));
        }
    }
    TAP_OK(same, "[%s] words are exact", show(in));
    sw_words_free(got);
}

#define SPLIT(in, ...) check_split(in, (const char *const[]){__VA_ARGS__, NULL})

static void check_error(const char *in, const char *want)
{
    sw_err err = {{0}};
    char **got = sw_words_split(in, &err);

    TAP_OK(got == NULL, "[%s] is refused", show(in));
    TAP_OK(strcmp(err.msg, want) == 0, "[%s] error is \"%s\" (got \"%s\")", show(in), want,
           err.msg);
    sw_words_free(got);
}

static void empty_inputs(void)
{
    static const char *const blanks[] = {"", " ", "   ", "\t", "\n", " \t\r\n "};

    for (size_t i = 0; i < sizeof blanks / sizeof blanks[0]; i++) {
        sw_err err = {{0}};
        char **got = sw_words_split(blanks[i], &err);
        TAP_OK(got != NULL && got[0] == NULL, "[%s] gives zero words", show(blanks[i]));
        sw_words_free(got);
    }
}

static void separators(void)
{
    SPLIT("echo", "echo");
    SPLIT("a b c", "a", "b", "c");
    SPLIT("  a   b  ", "a", "b");
    SPLIT("a\tb", "a", "b");
    SPLIT("a\nb", "a", "b");
    SPLIT("a\r\nb", "a", "b");
    SPLIT("\ta \t\n b\t", "a", "b");
    SPLIT("nginx -g \"daemon off;\"", "nginx", "-g", "daemon off;");
    SPLIT("/app/bin/reindex --all", "/app/bin/reindex", "--all");
    SPLIT("a;b", "a;b");
    SPLIT("a|b > c &", "a|b", ">", "c", "&");
    SPLIT("$HOME ${X} *", "$HOME", "${X}", "*");
}

static void quotes(void)
{
    SPLIT("'a b'", "a b");
    SPLIT("\"a b\"", "a b");
    SPLIT("a'b c'd", "ab cd");
    SPLIT("a\"b c\"d", "ab cd");
    SPLIT("'a'\"b\"c", "abc");
    SPLIT("''", "");
    SPLIT("\"\"", "");
    SPLIT("\"\" x ''", "", "x", "");
    SPLIT("x\"\"", "x");
    SPLIT("''''", "");
    SPLIT("\"it's\"", "it's");
    SPLIT("'say \"hi\"'", "say \"hi\"");
    SPLIT("'it'\\''s'", "it's");
    SPLIT("it\\'s", "it's");
    SPLIT("'a\tb\nc'", "a\tb\nc");
    SPLIT("\"  spaced  \"", "  spaced  ");
}

static void backslashes(void)
{
    /* Outside quotes a backslash escapes any character. */
    SPLIT("a\\ b", "a b");
    SPLIT("\\'", "'");
    SPLIT("\\\"", "\"");
    SPLIT("\\\\", "\\");
    SPLIT("a\\\"b", "a\"b");
    SPLIT("\\n", "n");
    SPLIT("a\\", "a\\");
    SPLIT("\\ \\ ", "  ");
    /* Inside single quotes it is literal. */
    SPLIT("'a\\b'", "a\\b");
    SPLIT("'\\'", "\\");
    SPLIT("'a\\\\b'", "a\\\\b");
    /* Inside double quotes only \" \\ \$ \` are escapes; anything else keeps the backslash. */
    SPLIT("\"a\\\"b\"", "a\"b");
    SPLIT("\"a\\\\b\"", "a\\b");
    SPLIT("\"\\$x\"", "$x");
    SPLIT("\"\\`\"", "`");
    SPLIT("\"a\\nb\"", "a\\nb");
    SPLIT("\"\\'\"", "\\'");
    SPLIT("\"\\ \"", "\\ ");
    SPLIT("\"a\\\\\" b", "a\\", "b");
}

static void errors(void)
{
    check_error("echo \"abc", "unterminated double quote at column 6 in 'echo \"abc'");
    check_error("echo 'abc", "unterminated single quote at column 6 in 'echo 'abc'");
    check_error("\"", "unterminated double quote at column 1 in '\"'");
    check_error("'", "unterminated single quote at column 1 in '''");
    check_error("a \"b\" 'c", "unterminated single quote at column 7 in 'a \"b\" 'c'");
    check_error("\"a'", "unterminated double quote at column 1 in '\"a''");
    check_error("'a\"", "unterminated single quote at column 1 in ''a\"'");
    check_error("\"a\\\"", "unterminated double quote at column 1 in '\"a\\\"'");
    check_error("ok \"x\\\\\" \"y", "unterminated double quote at column 10 in 'ok \"x\\\\\" \"y'");
    check_error("'\\''", "unterminated single quote at column 4 in ''\\'''");
    check_error("nginx -g \"daemon off;",
                "unterminated double quote at column 10 in 'nginx -g \"daemon off;'");
}

/* The densest inputs (one-character words, empty quoted words) must fit the arrays the
 * splitter sizes from the input length; ASan checks the bounds. */
static void dense(void)
{
    char in[2001];
    sw_err err = {{0}};
    char **got;
    size_t n = 0;
    bool ok = true;

    for (size_t i = 0; i < 1000; i++) {
        in[2 * i] = (char)('a' + i % 26);
        in[2 * i + 1] = ' ';
    }
    in[1999] = '\0';
    got = sw_words_split(in, &err);
    for (; got && got[n]; n++)
        ok = ok && got[n][0] == (char)('a' + n % 26) && got[n][1] == '\0';
    TAP_OK(got && n == 1000 && ok, "1000 one-letter words (got %zu)", n);
    sw_words_free(got);

    for (size_t i = 0; i < 666; i++)
        memcpy(in + 3 * i, "'' ", 3);
    in[3 * 666 - 1] = '\0';
    n = 0;
    got = sw_words_split(in, &err);
    ok = true;
    for (; got && got[n]; n++)
        ok = ok && got[n][0] == '\0';
    TAP_OK(got && n == 666 && ok, "666 empty quoted words (got %zu)", n);
    sw_words_free(got);

    /* A kept backslash costs one output byte per input byte, like any other character. */
    in[0] = '"';
    for (size_t i = 0; i < 999; i++)
        memcpy(in + 1 + 2 * i, "\\a", 2);
    memcpy(in + 1999, "\"", 2);
    got = sw_words_split(in, &err);
    ok = got && got[0] && strlen(got[0]) == 1998 && !got[1];
    for (size_t i = 0; ok && i < 1998; i++)
        ok = got[0][i] == (i % 2 ? 'a' : '\\');
    TAP_OK(ok, "999 kept backslashes inside double quotes");
    sw_words_free(got);

    memset(in, 'x', 2000);
    in[2000] = '\0';
    got = sw_words_split(in, &err);
    TAP_OK(got && got[0] && strlen(got[0]) == 2000 && !got[1], "one 2000-character word");
    sw_words_free(got);
}

int main(void)
{
    empty_inputs();
    separators();
    quotes();
    backslashes();
    errors();
    dense();
    sw_words_free(NULL); /* a no-op: a crash here fails the test */
    return tap_done();
}
