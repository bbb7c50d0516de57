/* A one-pass PostgreSQL tokenizer that only knows enough to find top-level ';'.
 * Every byte is looked at a bounded number of times, so a 16 MiB migration splits in
 * linear time. */
#include "migdir/sqlsplit.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Dollar-quote tags are unbounded; an error message shows at most this many bytes of one. */
#define TAG_SHOWN_MAX 64

/* Where the statement's leading words stand on the way to CREATE [OR REPLACE] FUNCTION or
 * PROCEDURE: only those statements can have a BEGIN ATOMIC body. */
enum head {
    HEAD_START,
    HEAD_CREATE,
    HEAD_OR,
    HEAD_REPLACE,
    HEAD_ROUTINE,
    HEAD_OTHER,
};

/* The previous token, as far as it decides what the next word means. */
enum prev {
    PREV_OTHER,
    PREV_AS,    /* `AS end`: a column label, not a keyword */
    PREV_DOT,   /* `t.end`: a column name, not a keyword */
    PREV_BEGIN, /* BEGIN at the top of a routine: ATOMIC would open a body */
};

/* The statement's first word, as far as it decides whether it can run in a transaction. */
enum verb {
    VERB_NONE, /* no word yet */
    VERB_CREATE_DROP,
    VERB_REINDEX,
    VERB_ALTER,
    VERB_COPY,
    VERB_OTHER,
};

struct splitter {
    const char *s;
    size_t len;
    size_t pos;
    int line;
    sw_err *err;

    struct sw_stmt *items;
    size_t n, cap;

    bool in_stmt; /* a token of the current statement has been seen */
    struct sw_stmt cur;

    int parens;
    int paren_line; /* line of the outermost open '(' */
    enum head head;
    enum prev prev;
    enum verb verb;
    int words; /* words of the statement so far */
    /* CREATE|DROP [UNIQUE] INDEX, or ALTER ... DETACH, seen; for COPY: the last word was FROM */
    bool before_concurrently;
    int atomic; /* depth of BEGIN ATOMIC / CASE ... END inside a routine body */
    int atomic_line;
    int begin_line;
};

static bool is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static bool is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

/* PostgreSQL treats every byte >= 0x80 as a letter. */
static bool is_ident_start(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
}

static bool is_tag_char(unsigned char c)
{
    return is_ident_start(c) || is_digit(c);
}

/* '$' continues an identifier, which is why a$b$ holds no dollar quote. */
static bool is_ident_char(unsigned char c)
{
    return is_tag_char(c) || c == '$';
}

/* ASCII-only: strncasecmp would follow the locale. */
static bool word_is(const char *w, size_t n, const char *kw)
{
    size_t i;
    for (i = 0; i < n && kw[i] != '\0'; i++) {
        char c = w[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != kw[i])
            return false;
    }
    return i == n && kw[i] == '\0';
}

/* Moves to `to`, counting the newlines passed over. */
static void advance_to(struct splitter *sp, size_t to)
{
    const char *p = sp->s + sp->pos;
    const char *end = sp->s + to;
    while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
        sp->line++;
        p++;
    }
    sp->pos = to;
}

/* At the opening quote of a '...' string, E'...' string or "..." identifier. A doubled quote
 * is an escape; a backslash escapes the next byte only in E'' strings. */
static int skip_quoted(struct splitter *sp, char quote, bool backslash, const char *what)
{
    size_t i = sp->pos + 1;
    while (i < sp->len) {
        char c = sp->s[i];
        if (backslash && c == '\\') {
            i += 2;
        } else if (c != quote) {
            i++;
        } else if (i + 1 < sp->len && sp->s[i + 1] == quote) {
            i += 2;
        } else {
            advance_to(sp, i + 1);
            return 0;
        }
    }
    sw_err_set(sp->err, "line %d: unterminated %s", sp->line, what);
    return -1;
}

/* Bytes of a delimiter to show, cut on a UTF-8 character boundary. */
static size_t shown_len(const char *s, size_t n)
{
    if (n <= TAG_SHOWN_MAX)
        return n;
    n = TAG_SHOWN_MAX;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    return n;
}

/* The first delim ('$', tag characters, '$') in [p, end), or NULL. Linear: the tag holds no
 * '$', so a partial match at one '$' never overlaps the next '$' worth trying. (Not memmem:
 * its cost is the C library's, and sanitizers check the whole haystack on every call.) */
static const char *find_delim(const char *p, const char *end, const char *delim, size_t n)
{
    while ((size_t)(end - p) >= n) {
        p = memchr(p, '$', (size_t)(end - p) - n + 1);
        if (p == NULL)
            return NULL;
        size_t k = 1;
        while (k < n && p[k] == delim[k])
            k++;
        if (k == n)
            return p;
        p += k;
    }
    return NULL;
}

/* At '$': a dollar quote ($$...$$ or $tag$...$tag$), or else a lone '$'. A tag cannot start
 * with a digit, so a parameter ($1) is a lone '$' and a number, which splits the same. */
static int skip_dollar(struct splitter *sp)
{
    const char *s = sp->s;
    size_t i = sp->pos + 1;

    if (i < sp->len && is_ident_start((unsigned char)s[i])) {
        while (i < sp->len && is_tag_char((unsigned char)s[i]))
            i++;
    }
    if (i >= sp->len || s[i] != '$') {
        sp->pos++; /* as PostgreSQL does: "$tag" without a closing '$' is just '$' */
        return 0;
    }

    const char *delim = s + sp->pos;
    size_t delim_len = i + 1 - sp->pos;
    const char *body = delim + delim_len;
    const char *close = find_delim(body, s + sp->len, delim, delim_len);
    if (close == NULL) {
        size_t shown = shown_len(delim, delim_len);
        sw_err_set(sp->err, "line %d: unterminated dollar quote %.*s%s", sp->line, (int)shown,
                   delim, shown < delim_len ? "..." : "");
        return -1;
    }
    advance_to(sp, (size_t)(close - s) + delim_len);
    return 0;
}

/* At the opening slash-star of a block comment. PostgreSQL block comments nest. */
static int skip_block_comment(struct splitter *sp)
{
    const char *s = sp->s;
    size_t i = sp->pos + 2;
    size_t depth = 1;
    while (i + 1 < sp->len) {
        if (s[i] == '/' && s[i + 1] == '*') {
            depth++;
            i += 2;
        } else if (s[i] == '*' && s[i + 1] == '/') {
            i += 2;
            if (--depth == 0) {
                advance_to(sp, i);
                return 0;
            }
        } else {
            i++;
        }
    }
    sw_err_set(sp->err, "line %d: unterminated /* comment", sp->line);
    return -1;
}

/* At "--": up to, not including, the newline (the main loop counts it). */
static void skip_line_comment(struct splitter *sp)
{
    const char *nl = memchr(sp->s + sp->pos, '\n', sp->len - sp->pos);
    sp->pos = nl != NULL ? (size_t)(nl - sp->s) : sp->len;
}

/* Any token but a word: it ends the CREATE FUNCTION prefix unless that was complete. */
static void note_other(struct splitter *sp, enum prev prev)
{
    if (sp->head != HEAD_ROUTINE)
        sp->head = HEAD_OTHER;
    sp->prev = prev;
}

static bool is_routine_word(const char *w, size_t n)
{
    return word_is(w, n, "function") || word_is(w, n, "procedure");
}

/* Follows CREATE [OR REPLACE] FUNCTION|PROCEDURE, then BEGIN ATOMIC ... END nesting inside
 * it. CASE and END are reserved words, so outside of `AS end` / `t.end` they always pair. */
static void note_word(struct splitter *sp, const char *w, size_t n, int line)
{
    enum prev prev = sp->prev;
    bool keyword = prev != PREV_AS && prev != PREV_DOT;

    sp->prev = word_is(w, n, "as") ? PREV_AS : PREV_OTHER;
    switch (sp->head) {
    case HEAD_START:
        sp->head = word_is(w, n, "create") ? HEAD_CREATE : HEAD_OTHER;
        return;
    case HEAD_CREATE:
        sp->head = word_is(w, n, "or")     ? HEAD_OR
                   : is_routine_word(w, n) ? HEAD_ROUTINE
                                           : HEAD_OTHER;
        return;
    case HEAD_OR:
        sp->head = word_is(w, n, "replace") ? HEAD_REPLACE : HEAD_OTHER;
        return;
    case HEAD_REPLACE:
        sp->head = is_routine_word(w, n) ? HEAD_ROUTINE : HEAD_OTHER;
        return;
    case HEAD_OTHER:
        return;
    case HEAD_ROUTINE:
        break;
    }
    if (!keyword)
        return;
    if (prev == PREV_BEGIN && word_is(w, n, "atomic")) {
        if (sp->atomic++ == 0)
            sp->atomic_line = sp->begin_line;
    } else if (sp->parens == 0 && word_is(w, n, "begin")) {
        sp->prev = PREV_BEGIN;
        sp->begin_line = line;
    } else if (sp->atomic > 0 && word_is(w, n, "case")) {
        sp->atomic++;
    } else if (sp->atomic > 0 && word_is(w, n, "end")) {
        sp->atomic--;
    }
}

/* Whether the statement can run inside a transaction block, from its words (quoted text
 * and comments never reach here). CONCURRENTLY is looked for where the grammar puts it:
 * right after CREATE [UNIQUE] INDEX / DROP INDEX, anywhere in REINDEX (its options too),
 * after DETACH in ALTER TABLE; a table or column named "concurrently" does not count. */
static void note_verb(struct splitter *sp, const char *w, size_t n)
{
    bool concurrently = word_is(w, n, "concurrently");

    switch (sp->words++ == 0 ? VERB_NONE : sp->verb) {
    case VERB_NONE:
        sp->verb = word_is(w, n, "create") || word_is(w, n, "drop") ? VERB_CREATE_DROP
                   : word_is(w, n, "reindex")                       ? VERB_REINDEX
                   : word_is(w, n, "alter")                         ? VERB_ALTER
                   : word_is(w, n, "copy")                          ? VERB_COPY
                                                                    : VERB_OTHER;
        sp->cur.no_tx = word_is(w, n, "vacuum");
        return;
    case VERB_CREATE_DROP:
        if (sp->words == 2 && (word_is(w, n, "database") || word_is(w, n, "tablespace")))
            sp->cur.no_tx = true;
        sp->before_concurrently |= sp->words <= 3 && word_is(w, n, "index");
        sp->cur.no_tx |= sp->before_concurrently && sp->words <= 4 && concurrently;
        return;
    case VERB_REINDEX:
        sp->cur.no_tx |= concurrently;
        return;
    case VERB_ALTER:
        if (sp->words == 2 && word_is(w, n, "system"))
            sp->cur.no_tx = true;
        sp->before_concurrently |= word_is(w, n, "detach");
        sp->cur.no_tx |= sp->before_concurrently && concurrently;
        return;
    case VERB_COPY:
        sp->cur.copy_from_stdin |= sp->before_concurrently && word_is(w, n, "stdin");
        sp->before_concurrently = word_is(w, n, "from");
        return;
    case VERB_OTHER:
        return;
    }
}

/* An identifier or keyword, or an E'...' string when the word is a lone E. */
static int scan_word(struct splitter *sp)
{
    const char *w = sp->s + sp->pos;
    int line = sp->line;
    size_t start = sp->pos;

    while (sp->pos < sp->len && is_ident_char((unsigned char)sp->s[sp->pos]))
        sp->pos++;
    size_t n = sp->pos - start;
    if (n == 1 && (w[0] == 'e' || w[0] == 'E') && sp->pos < sp->len && sp->s[sp->pos] == '\'') {
        if (skip_quoted(sp, '\'', true, "escape string E'...'") < 0)
            return -1;
        note_other(sp, PREV_OTHER);
        return 0;
    }
    note_verb(sp, w, n);
    note_word(sp, w, n, line);
    return 0;
}

/* One token that is not whitespace, a comment or a terminating ';'. */
static int scan_token(struct splitter *sp)
{
    unsigned char c = (unsigned char)sp->s[sp->pos];
    int rc = 0;

    if (is_ident_start(c))
        return scan_word(sp);
    switch (c) {
    case '\'':
        rc = skip_quoted(sp, '\'', false, "quoted string");
        break;
    case '"':
        rc = skip_quoted(sp, '"', false, "quoted identifier");
        break;
    case '$':
        rc = skip_dollar(sp);
        break;
    case '(':
        if (sp->parens++ == 0)
            sp->paren_line = sp->line;
        sp->pos++;
        break;
    case ')':
        if (sp->parens > 0) /* an extra ')' is the server's syntax error to report */
            sp->parens--;
        sp->pos++;
        break;
    default: /* an operator, punctuation or digit: one byte is enough to split right */
        sp->pos++;
        break;
    }
    if (rc == 0)
        note_other(sp, c == '.' ? PREV_DOT : PREV_OTHER);
    return rc;
}

static int end_statement(struct splitter *sp)
{
    if (sp->in_stmt) {
        if (sp->n == sp->cap) {
            size_t cap = sp->cap != 0 ? sp->cap * 2 : 16;
            struct sw_stmt *items = reallocarray(sp->items, cap, sizeof *items);
            if (items == NULL) {
                sw_err_set(sp->err, "line %d: out of memory", sp->cur.line);
                return -1;
            }
            sp->items = items;
            sp->cap = cap;
        }
        sp->items[sp->n++] = sp->cur;
    }
    sp->in_stmt = false;
    sp->cur.no_tx = false;
    sp->cur.meta = false;
    sp->cur.copy_from_stdin = false;
    sp->cur.data_off = sp->cur.data_len = 0;
    sp->words = 0;
    sp->before_concurrently = false;
    sp->head = HEAD_START; /* prev needs no reset: it matters only after the head's words */
    return 0;
}

/* After a COPY ... FROM STDIN statement: its data starts on the next line and ends before a
 * line "\." (psql's rule); the statement gets it and the scan resumes after that line.
 * Without such a line there is no inline data and nothing is skipped. */
static void take_copy_data(struct splitter *sp, struct sw_stmt *st)
{
    const char *s = sp->s, *end = s + sp->len;
    const char *nl = memchr(s + sp->pos, '\n', sp->len - sp->pos);

    if (nl == NULL)
        return;
    for (const char *line = nl + 1; line < end;) {
        const char *eol = memchr(line, '\n', (size_t)(end - line));
        const char *stop = eol != NULL ? eol : end;
        if (stop - line >= 2 && line[0] == '\\' && line[1] == '.' &&
            (stop - line == 2 || (stop - line == 3 && line[2] == '\r'))) {
            st->data_off = (size_t)(nl + 1 - s);
            st->data_len = (size_t)(line - (nl + 1));
            advance_to(sp, (size_t)(stop - s));
            return;
        }
        if (eol == NULL)
            return;
        line = eol + 1;
    }
}

/* A backslash outside quotes: a psql meta-command, to the end of the line. It ends the
 * statement before it, as it does in psql. */
static int meta_command(struct splitter *sp)
{
    const char *nl = memchr(sp->s + sp->pos, '\n', sp->len - sp->pos);
    size_t end = nl != NULL ? (size_t)(nl - sp->s) : sp->len, last = end;

    if (end_statement(sp) < 0)
        return -1;
    while (last > sp->pos + 1 && is_space((unsigned char)sp->s[last - 1]))
        last--;
    sp->cur =
        (struct sw_stmt){.off = sp->pos, .len = last - sp->pos, .line = sp->line, .meta = true};
    sp->in_stmt = true;
    sp->pos = end;
    return end_statement(sp);
}

static int step(struct splitter *sp)
{
    char c = sp->s[sp->pos];
    char next = sp->pos + 1 < sp->len ? sp->s[sp->pos + 1] : '\0';

    if (is_space((unsigned char)c)) {
        if (c == '\n')
            sp->line++;
        sp->pos++;
        return 0;
    }
    if (c == '-' && next == '-') {
        skip_line_comment(sp);
        return 0;
    }
    if (c == '/' && next == '*')
        return skip_block_comment(sp);
    if (c == ';' && sp->parens == 0 && sp->atomic == 0) {
        bool copy = sp->in_stmt && sp->cur.copy_from_stdin;
        sp->pos++;
        if (end_statement(sp) < 0)
            return -1;
        if (copy)
            take_copy_data(sp, &sp->items[sp->n - 1]);
        return 0;
    }
    if (c == '\\' && sp->parens == 0 && sp->atomic == 0)
        return meta_command(sp);

    size_t start = sp->pos;
    int line = sp->line;
    if (scan_token(sp) < 0)
        return -1;
    if (!sp->in_stmt) {
        sp->in_stmt = true;
        sp->cur.off = start;
        sp->cur.line = line;
    }
    sp->cur.len = sp->pos - sp->cur.off;
    return 0;
}

/* At the end of input nothing may be left open: splitting anyway could be wrong. */
static int finish(struct splitter *sp)
{
    if (sp->atomic > 0) {
        sw_err_set(sp->err, "line %d: BEGIN ATOMIC body has no matching END", sp->atomic_line);
        return -1;
    }
    if (sp->parens > 0) {
        sw_err_set(sp->err, "line %d: unclosed parenthesis", sp->paren_line);
        return -1;
    }
    return end_statement(sp);
}

int sw_sql_split(const char *sql, size_t len, struct sw_stmt **out, size_t *n, sw_err *err)
{
    struct splitter sp = {.s = sql, .len = len, .line = 1, .err = err};

    *out = NULL;
    *n = 0;
    while (sp.pos < len) {
        if (step(&sp) < 0) {
            free(sp.items);
            return -1;
        }
    }
    if (finish(&sp) < 0) {
        free(sp.items);
        return -1;
    }
    *out = sp.items;
    *n = sp.n;
    return 0;
}
