#include "base/words.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* The splitter writes words into one copy of the input (every word is at most as long as its
 * source text), so the only allocations are that buffer and the pointer array. */
struct splitter {
    const char *in;
    char *out;
    char **argv;
    size_t argc;
};

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Copies one word starting at in[*i] into out; returns -1 on an unterminated quote. */
static int split_word(struct splitter *s, size_t *i, sw_err *err)
{
    const char *in = s->in;
    char quote = 0;
    size_t qstart = 0;

    for (; in[*i] && (quote || !is_space(in[*i])); (*i)++) {
        char c = in[*i];
        if (!quote && (c == '\'' || c == '"')) {
            quote = c;
            qstart = *i;
        } else if (quote && c == quote) {
            quote = 0;
        } else if (c == '\\' && quote != '\'' && in[*i + 1]) {
            /* Inside double quotes a backslash only escapes what the shell would escape. */
            char next = in[*i + 1];
            if (quote == '"' && !strchr("\"\\$`", next)) {
                *s->out++ = c; /* kept; the next character is copied on its own turn */
            } else {
                (*i)++;
                *s->out++ = in[*i];
            }
        } else {
            *s->out++ = c;
        }
    }
    if (quote) {
        sw_err_set(err, "unterminated %s quote at column %zu in '%s'",
                   quote == '"' ? "double" : "single", qstart + 1, in);
        return -1;
    }
    *s->out++ = '\0';
    return 0;
}

char **sw_words_split(const char *in, sw_err *err)
{
    size_t n = strlen(in), i = 0;
    struct splitter s = {.in = in};
    char *buf = malloc(n + 1);
    /* At most one word per two characters, plus the terminator and the buffer slot. */
    char **argv = calloc(n / 2 + 3, sizeof *argv);

    if (!buf || !argv) {
        free(buf);
        free(argv);
        sw_err_set(err, "out of memory");
        return NULL;
    }
    /* argv[0] keeps the buffer so that sw_words_free can release it even for zero words. */
    argv[0] = buf;
    s.out = buf;
    s.argv = argv + 1;
    while (in[i]) {
        if (is_space(in[i])) {
            i++;
            continue;
        }
        s.argv[s.argc++] = s.out;
        if (split_word(&s, &i, err) < 0) {
            free(buf);
            free(argv);
            return NULL;
        }
    }
    return argv + 1;
}

void sw_words_free(char **argv)
{
    if (!argv)
        return;
    free(argv[-1]);
    free(argv - 1);
}
