/* Migration files: strict content checks, markers (dbmate sections, no-transaction), psql's
 * parts of a script, and the sorted set that `check`, `status` and `--upgrade` share. Names
 * are name.c's. */
#include "migdir/migration.h"
#include "base/log.h"
#include "base/textpos.h"
#include "migdir/placeholders.h"
#include "migdir/scan.h"
#include "migdir/sqlsplit.h"
#include "migdir/utf8.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NO_TX_MARKER "slipway:no-transaction"
#define MORPH_NO_TX_MARKER "morph:nontransactional"
#define CONTRACT_MARKER "slipway:contract"

/* ---- file content ---- */

/* Reads the whole regular file, NUL-terminated, refusing more than the limit. */
static int read_file(int dirfd, const char *base, const char *name, char **out, size_t *out_len,
                     sw_err *err)
{
    /* O_NONBLOCK: opening a FIFO named like a migration must not hang `slipway check`. */
    int fd = openat(dirfd, base, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        sw_err_set(err, "%s: %s", name, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) < 0) {
        sw_err_set(err, "%s: %s", name, strerror(errno));
        close(fd);
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        sw_err_set(err, "%s: not a regular file", name);
        close(fd);
        return -1;
    }
    if (st.st_size > (off_t)SW_MIGRATION_MAX_BYTES) {
        sw_err_set(err, "%s: %jd bytes, larger than the %u MiB limit", name, (intmax_t)st.st_size,
                   SW_MIGRATION_MAX_BYTES >> 20);
        close(fd);
        return -1;
    }

    /* Room for one byte more than fstat said, so EOF is seen without growing; a file that
     * grows while we read is still read to its end (or refused), never cut short. */
    size_t cap = (size_t)st.st_size + 1, len = 0;
    char *buf = malloc(cap + 1);
    int rc = -1;
    if (buf == NULL) {
        sw_err_set(err, "%s: out of memory", name);
        goto out;
    }
    for (;;) {
        if (len == cap) {
            if (cap > SW_MIGRATION_MAX_BYTES) {
                sw_err_set(err, "%s: larger than the %u MiB limit", name,
                           SW_MIGRATION_MAX_BYTES >> 20);
                goto out;
            }
            cap = cap <= SW_MIGRATION_MAX_BYTES / 2 ? cap * 2 : SW_MIGRATION_MAX_BYTES + 1;
            char *grown = realloc(buf, cap + 1);
            if (grown == NULL) {
                sw_err_set(err, "%s: out of memory", name);
                goto out;
            }
            buf = grown;
        }
        ssize_t r = read(fd, buf + len, cap - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            sw_err_set(err, "%s: %s", name, strerror(errno));
            goto out;
        }
        if (r == 0)
            break;
        len += (size_t)r;
    }
    buf[len] = '\0';
    *out = buf;
    *out_len = len;
    buf = NULL;
    rc = 0;
out:
    free(buf);
    close(fd);
    return rc;
}

/* SQL text only: PostgreSQL would reject a NUL or invalid UTF-8 anyway, but later and with
 * a message that does not name the file. */
static int check_text(const char *name, const char *s, size_t len, sw_err *err)
{
    const char *nul = memchr(s, '\0', len);
    if (nul != NULL) {
        sw_err_set(err, "%s: binary file (NUL byte at offset %zu)", name, (size_t)(nul - s));
        return -1;
    }
    size_t valid = sw_utf8_valid_prefix((const unsigned char *)s, len);
    if (valid != len) {
        sw_err_set(err, "%s:%d: invalid UTF-8", name, sw_line_at(s, valid));
        return -1;
    }
    return 0;
}

/* In place; a lone CR is kept (it is content, not a line ending). */
static size_t crlf_to_lf(char *s, size_t len)
{
    char *cr = memchr(s, '\r', len);
    if (cr == NULL)
        return len;
    size_t w = (size_t)(cr - s);
    for (size_t r = w; r < len; r++) {
        if (s[r] == '\r' && r + 1 < len && s[r + 1] == '\n')
            continue;
        s[w++] = s[r];
    }
    s[w] = '\0';
    return w;
}

/* ---- dbmate sections and markers ---- */

struct marker {
    int line;           /* 0: absent */
    size_t start, next; /* offsets of the marker line and of the line after it */
    size_t rest, end;   /* what follows the marker word on its line */
};

struct layout {
    struct marker up, down;
    int code_line; /* first line before "-- migrate:up" that is not blank or a comment */
};

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* "[ \t]*--[ \t]*WORD" followed by the end of the line or a blank: what follows WORD, or
 * NULL. Indented too: a SQL formatter indents "-- migrate:down", and missing it would run
 * the down part with the up part. */
static const char *marker_rest(const char *p, const char *end, const char *word)
{
    size_t n = strlen(word);
    while (p < end && is_blank(*p))
        p++;
    if (end - p < 2 || p[0] != '-' || p[1] != '-')
        return NULL;
    for (p += 2; p < end && is_blank(*p); p++)
        ;
    if ((size_t)(end - p) < n || memcmp(p, word, n) != 0)
        return NULL;
    p += n;
    return p == end || is_blank(*p) ? p : NULL;
}

static bool is_blank_or_comment(const char *p, const char *end)
{
    while (p < end && (is_blank(*p) || *p == '\r' || *p == '\f' || *p == '\v'))
        p++;
    return p == end || (end - p >= 2 && p[0] == '-' && p[1] == '-');
}

static int scan_layout(const char *name, const char *text, size_t len, struct layout *lay,
                       sw_err *err)
{
    int line = 1;
    for (size_t pos = 0; pos < len; line++) {
        const char *p = text + pos;
        const char *nl = memchr(p, '\n', len - pos);
        const char *end = nl != NULL ? nl : text + len;
        size_t next = nl != NULL ? (size_t)(nl - text) + 1 : len;
        const char *rest;

        if ((rest = marker_rest(p, end, "migrate:up")) != NULL) {
            if (lay->up.line != 0) {
                sw_err_set(err, "%s:%d: a second '-- migrate:up' (the first is on line %d)", name,
                           line, lay->up.line);
                return -1;
            }
            lay->up = (struct marker){line, pos, next, (size_t)(rest - text), (size_t)(end - text)};
        } else if (lay->down.line == 0 && (rest = marker_rest(p, end, "migrate:down")) != NULL) {
            lay->down =
                (struct marker){line, pos, next, (size_t)(rest - text), (size_t)(end - text)};
        } else if (lay->up.line == 0 && lay->code_line == 0 && !is_blank_or_comment(p, end)) {
            lay->code_line = line;
        }
        pos = next;
    }
    return 0;
}

static bool span_is(const char *p, size_t n, const char *s)
{
    return strlen(s) == n && memcmp(p, s, n) == 0;
}

/* dbmate's options after "-- migrate:up": only transaction:true|false exists. A typo must
 * not silently run CREATE INDEX CONCURRENTLY in a transaction. */
static int parse_dbmate_options(struct sw_migration *m, const char *text, const struct marker *up,
                                sw_err *err)
{
    const char *p = text + up->rest, *end = text + up->end;
    for (;;) {
        while (p < end && is_blank(*p))
            p++;
        if (p == end)
            return 0;
        const char *word = p;
        while (p < end && !is_blank(*p))
            p++;
        size_t n = (size_t)(p - word);
        if (span_is(word, n, "transaction:false")) {
            m->no_transaction = true;
        } else if (!span_is(word, n, "transaction:true")) {
            sw_err_set(err,
                       "%s:%d: unknown option '%.*s' after '-- migrate:up' (expected "
                       "transaction:false)",
                       m->name, up->line, (int)n, word);
            return -1;
        }
    }
}

/* The up section of a dbmate file: everything else would never run, so it must be empty. */
static int check_dbmate_layout(const char *name, const struct layout *lay, sw_err *err)
{
    if (lay->down.line != 0 && lay->down.line < lay->up.line) {
        sw_err_set(err, "%s:%d: '-- migrate:down' comes before '-- migrate:up' (line %d)", name,
                   lay->down.line, lay->up.line);
        return -1;
    }
    if (lay->code_line != 0) {
        sw_err_set(err, "%s:%d: SQL before '-- migrate:up' would never run", name, lay->code_line);
        return -1;
    }
    return 0;
}

/* Whether the "--" comment p..end is exactly a no-transaction marker (blanks around it):
 * slipway's own, or Mattermost's morph one. */
static bool is_no_tx_marker(const char *p, const char *end, void *arg)
{
    const char *rest = marker_rest(p, end, NO_TX_MARKER);

    (void)arg;
    if (rest == NULL)
        rest = marker_rest(p, end, MORPH_NO_TX_MARKER);
    while (rest != NULL && rest < end && is_blank(*rest))
        rest++;
    return rest == end;
}

/* The first "--" comment of the leading comment block (the "--" and block comments before
 * the first statement) for which wanted() is true: its line number, or 0 when none is. */
static int leading_comment(const char *text, size_t len,
                           bool (*wanted)(const char *p, const char *eol, void *arg), void *arg)
{
    const char *p = text, *end = text + len;
    int line = 1;

    while (p < end) {
        if (*p == '\n') {
            line++;
            p++;
        } else if (is_blank(*p) || *p == '\r' || *p == '\f' || *p == '\v') {
            p++;
        } else if (end - p >= 2 && p[0] == '/' && p[1] == '*') {
            const char *close = memmem(p + 2, (size_t)(end - p - 2), "*/", 2);
            if (close == NULL)
                return 0;
            for (; p < close; p++)
                line += *p == '\n';
            p = close + 2;
        } else if (end - p >= 2 && p[0] == '-' && p[1] == '-') {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            const char *eol = nl != NULL ? nl : end;
            if (wanted(p, eol, arg))
                return line;
            p = eol;
        } else {
            return 0;
        }
    }
    return 0;
}

/* A no-transaction marker anywhere in the leading comment block. dbmate's
 * "transaction:false" is an option of its "-- migrate:up" line (parse_dbmate_options). */
static bool leading_no_tx_marker(const char *text, size_t len)
{
    return leading_comment(text, len, is_no_tx_marker, NULL) > 0;
}

/* The contract marker's line: what follows the word (kept in *rest) up to *eol. */
struct contract_line {
    const char *rest, *eol;
};

static bool is_contract_marker(const char *p, const char *end, void *arg)
{
    struct contract_line *c = arg;

    c->rest = marker_rest(p, end, CONTRACT_MARKER);
    c->eol = end;
    return c->rest != NULL;
}

static const char *skip_blanks(const char *p, const char *end)
{
    while (p < end && is_blank(*p))
        p++;
    return p;
}

/* "-- slipway:contract" or "-- slipway:contract floor=N": anything else after the marker
 * is refused, so that a typo cannot leave the floor at its default unnoticed. */
static int parse_contract_marker(struct sw_migration *m, const char *text, size_t len, sw_err *err)
{
    struct contract_line c = {0};
    const char *rest, *value, *end, *why;

    m->contract_line = leading_comment(text, len, is_contract_marker, &c);
    if (m->contract_line == 0)
        return 0;
    rest = skip_blanks(c.rest, c.eol);
    if (rest == c.eol)
        return 0;
    for (end = rest; end < c.eol && !is_blank(*end); end++)
        ;
    if (end - rest <= 6 || memcmp(rest, "floor=", 6) != 0 || skip_blanks(end, c.eol) != c.eol) {
        sw_err_set(err,
                   "%s:%d: unknown option '%.*s' after '-- " CONTRACT_MARKER
                   "' (expected floor=VERSION)",
                   m->name, m->contract_line, (int)(c.eol - rest), rest);
        return -1;
    }
    value = rest + 6;
    if (sw_version_parse(value, (size_t)(end - value), ".", &m->floor, &why) < 0) {
        sw_err_set(err, "%s:%d: floor '%.*s': %s", m->name, m->contract_line, (int)(end - value),
                   value, why);
        return -1;
    }
    m->floor_given = true;
    return 0;
}

/* Sets sql, sql_line and no_transaction from content[0..content_len), which sql takes over
 * (cut in place: one file's worth of memory, not two). */
static int extract_sql(struct sw_migration *m, char *content, size_t content_len, sw_err *err)
{
    /* An editor's UTF-8 byte order mark stays in content (the checksum covers the file) but
     * not in sql: PostgreSQL would take it for part of the first keyword. */
    size_t bom = content_len >= 3 && memcmp(content, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
    char *text = content + bom;
    size_t len = content_len - bom;
    struct layout lay = {0};
    size_t from = 0, to = len;

    if (scan_layout(m->name, text, len, &lay, err) < 0)
        return -1;
    m->no_transaction = leading_no_tx_marker(text, len);
    if (parse_contract_marker(m, text, len, err) < 0)
        return -1;
    m->sql_line = 1;
    if (lay.up.line != 0) {
        if (check_dbmate_layout(m->name, &lay, err) < 0 ||
            parse_dbmate_options(m, text, &lay.up, err) < 0)
            return -1;
        m->format = SW_FORMAT_DBMATE;
        from = lay.up.next;
        to = lay.down.line != 0 ? lay.down.start : len;
        m->sql_line = lay.up.line + 1;
    } else if (lay.down.line != 0) {
        sw_err_set(err, "%s: has '-- migrate:down' but no '-- migrate:up'", m->name);
        return -1;
    }

    m->sql_len = to - from;
    memmove(content, text + from, m->sql_len);
    content[m->sql_len] = '\0';
    m->sql = content;
    return 0;
}

/* sw_sql_split errors start "line N: " (sqlsplit.h), N counted from the start of sql. */
static void set_split_error(const struct sw_migration *m, const sw_err *split, sw_err *err)
{
    int line, used = 0;
    if (sscanf(split->msg, "line %d: %n", &line, &used) == 1 && used > 0)
        sw_err_set(err, "%s:%d: %s", m->name, line + m->sql_line - 1, split->msg + used);
    else
        sw_err_set(err, "%s: %s", m->name, split->msg);
}

/* pg_dump writes "\restrict KEY" / "\unrestrict KEY" (since 17.6, 16.10...) around its
 * output: psql's business, nothing for the server. */
static bool is_skipped_meta(const char *p, size_t n)
{
    static const char *const skipped[] = {"\\restrict", "\\unrestrict"};
    for (size_t i = 0; i < 2; i++) {
        size_t k = strlen(skipped[i]);
        if (n >= k && memcmp(p, skipped[i], k) == 0 && (n == k || is_blank(p[k])))
            return true;
    }
    return false;
}

/* Notes where the COPY data of st lies in copy_data (the file's text, kept as it was read). */
static int keep_copy(struct sw_migration *m, const struct sw_stmt *st)
{
    size_t k = m->n_copies;
    size_t *off = reallocarray(m->copy_off, k + 1, sizeof *off);
    size_t *len = off ? reallocarray(m->copy_len, k + 1, sizeof *len) : NULL;

    if (off)
        m->copy_off = off;
    if (len)
        m->copy_len = len;
    if (!off || !len)
        return -1;
    m->copy_off[k] = st->data_off;
    m->copy_len[k] = st->data_len;
    m->n_copies++;
    return 0;
}

/* Copies src[*r..from) to out at *w, then of src[from..to) only its newlines (the server's line
 * numbers stay the file's). out may be src itself: the copy only ever moves text left. */
static void blank(char *out, const char *src, size_t from, size_t to, size_t *w, size_t *r)
{
    memmove(out + *w, src + *r, from - *r);
    *w += from - *r;
    for (size_t i = from; i < to; i++)
        if (src[i] == '\n')
            out[(*w)++] = '\n';
    *r = to;
}

/* The part of the text st's psql parts take: a meta-command, or COPY data with its "\\.". */
static bool psql_part(const struct sw_stmt *st, size_t *from, size_t *to)
{
    *from = st->meta ? st->off : st->data_off;
    *to = st->meta ? st->off + st->len : st->data_off + st->data_len + 2;
    return st->meta || st->copy_from_stdin;
}

/* The length of sql once psql_part()s are blanked (their newlines stay); 0 when there is no
 * COPY data, which take_psql_parts then leaves in place. */
static size_t sql_without_copies(const struct sw_migration *m, const struct sw_stmt *stmts,
                                 size_t n)
{
    size_t len = m->sql_len, from, to;
    bool copies = false;

    for (size_t i = 0; i < n; i++) {
        if (!psql_part(&stmts[i], &from, &to))
            continue;
        copies = copies || stmts[i].copy_from_stdin;
        len -= to - from;
        for (size_t k = from; k < to; k++)
            len += m->sql[k] == '\n';
    }
    return copies ? len : 0;
}

/* psql's parts of a script, which the server would not understand: pg_dump's \restrict lines
 * go, COPY FROM stdin data leaves sql, any other meta-command is an error (before anything
 * runs). With copies, the data stays where it was read, as copy_data, and the rest of the text
 * goes to a new sql buffer of its own size: a pg_dump file costs its size once, not twice.
 * Without, sql is compacted in place. */
static int take_psql_parts(struct sw_migration *m, const struct sw_stmt *stmts, size_t n,
                           bool copies, sw_err *err)
{
    size_t w = 0, r = 0, from, to, rest = copies ? sql_without_copies(m, stmts, n) : 0;
    char *out = rest ? malloc(rest + 1) : m->sql;

    if (!out) {
        sw_err_set(err, "%s: out of memory", m->name);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        const struct sw_stmt *st = &stmts[i];
        int line = m->sql_line + st->line - 1;
        if (st->meta && !is_skipped_meta(m->sql + st->off, st->len)) {
            size_t word = 1;
            while (word < st->len && !is_blank(m->sql[st->off + word]))
                word++;
            sw_err_set(err, "%s:%d: psql meta-command '%.*s' cannot run in a migration", m->name,
                       line, (int)(word > 40 ? 40 : word), m->sql + st->off);
            goto fail;
        }
        if (st->copy_from_stdin && st->data_len == 0 && st->data_off == 0) {
            sw_err_set(err, "%s:%d: COPY ... FROM stdin without its data (lines ending with \\.)",
                       m->name, line);
            goto fail;
        }
        if (!psql_part(st, &from, &to))
            continue;
        if (st->copy_from_stdin && out != m->sql && keep_copy(m, st) < 0) {
            sw_err_set(err, "%s: out of memory", m->name);
            goto fail;
        }
        blank(out, m->sql, from, to, &w, &r);
    }
    if (w == r && out == m->sql)
        return 0;
    memmove(out + w, m->sql + r, m->sql_len - r);
    m->sql_len = w + (m->sql_len - r);
    out[m->sql_len] = '\0';
    if (out != m->sql) {
        m->copy_data = m->sql;
        m->sql = out;
        return 0;
    }
    /* in place, a pg_dump file's sql keeps a newline per line of its COPY data: give the rest
     * back (on failure, the larger buffer serves as well) */
    char *shrunk = realloc(m->sql, m->sql_len + 1);
    if (shrunk != NULL)
        m->sql = shrunk;
    return 0;
fail:
    if (out != m->sql)
        free(out);
    m->n_copies = 0;
    return -1;
}

/* Empty or comment-only: recorded, nothing sent, as Flyway and golang-migrate do. A file
 * that cannot run in a transaction block runs as no-transaction, as golang-migrate and psql
 * without -1 run a lone CREATE INDEX CONCURRENTLY. */
static int check_statements(struct sw_migration *m, bool copies, sw_err *err)
{
    struct sw_stmt *stmts;
    size_t n;
    sw_err split;

    if (sw_sql_split(m->sql, m->sql_len, &stmts, &n, &split) < 0) {
        if (m->no_transaction) {
            set_split_error(m, &split, err);
            return -1;
        }
        /* Sent whole in one query: an unterminated quote is content, and the server reports
         * it in context. Refusing here would add our splitter's guesses to a file that
         * never needs splitting. */
        return 0;
    }
    if (take_psql_parts(m, stmts, n, copies, err) < 0) {
        free(stmts);
        return -1;
    }
    size_t sql_stmts = 0;
    for (size_t i = 0; i < n; i++)
        sql_stmts += !stmts[i].meta;
    m->empty = sql_stmts == 0;
    if (m->empty)
        m->no_transaction = false; /* nothing to run: one transaction records it */
    for (size_t i = 0; i < n && !m->no_transaction; i++) {
        if (stmts[i].no_tx) {
            m->no_transaction = true;
            m->no_transaction_line = m->sql_line + stmts[i].line - 1;
        }
    }
    free(stmts);
    return 0;
}

/* How a body is read: its checksum into sum, compared with was when not NULL; its COPY data
 * only with copies (a body read to be checked and dropped needs none: the memory of a pg_dump
 * file twice over). */
struct body_read {
    char sum[SW_MIGRATION_SUM_MAX];
    const char *was;
    bool copies;
};

/* A file changed since its checksum was taken: nothing else of it counts. */
static int changed(const struct sw_migration *m, const struct body_read *b, sw_err *err)
{
    sw_err_set(err, "%s: changed since it was read: checksum %s, now %s", m->name, b->was, b->sum);
    return SW_MIGRATION_CHANGED;
}

/* m's body from its file (base in dirfd), with the set's sum function and placeholders. On
 * failure m may hold part of a body (sw_migration_drop_body frees it). */
static int read_body(const struct sw_migration_set *set, int dirfd, const char *base,
                     struct sw_migration *m, struct body_read *b, sw_err *err)
{
    char *content;
    size_t len;
    int rc = -1;

    if (read_file(dirfd, base, m->name, &content, &len, err) < 0)
        return -1;
    if (check_text(m->name, content, len, err) < 0)
        goto fail;
    len = crlf_to_lf(content, len);
    if (set->sum && set->sum(content, len, b->sum, err) < 0)
        goto fail;
    if (b->was && strcmp(b->was, b->sum) != 0) {
        rc = changed(m, b, err);
        goto fail;
    }
    if (extract_sql(m, content, len, err) < 0)
        goto fail; /* extract_sql takes content only when it succeeds */
    if (check_statements(m, b->copies, err) < 0)
        return -1;
    return set->placeholders ? sw_placeholders_apply(m, set->placeholders, err) : 0;
fail:
    free(content);
    return rc;
}

/* ---- the set ---- */

void sw_migration_drop_body(struct sw_migration *m)
{
    free(m->sql);
    free(m->copy_data);
    free(m->copy_off);
    free(m->copy_len);
    m->sql = m->copy_data = NULL;
    m->copy_off = m->copy_len = NULL;
    m->sql_len = m->n_copies = 0;
}

static void free_migration(struct sw_migration *m)
{
    free(m->name);
    sw_migration_drop_body(m);
}

void sw_migrations_free(struct sw_migration_set *set)
{
    for (size_t i = 0; i < set->n; i++)
        free_migration(&set->items[i]);
    for (size_t i = 0; i < set->n_repeatables; i++)
        free_migration(&set->repeatables[i]);
    free(set->items);
    free(set->repeatables);
    if (set->dir && set->dirfd >= 0)
        close(set->dirfd);
    free(set->dir);
    memset(set, 0, sizeof *set);
}

const char *sw_migration_how(const struct sw_migration *m, char *buf, size_t size)
{
    if (m->empty)
        snprintf(buf, size, "empty: recorded, nothing to run");
    else if (m->no_transaction_line > 0)
        snprintf(buf, size, "no transaction: line %d cannot run in a transaction block",
                 m->no_transaction_line);
    else
        snprintf(buf, size, m->no_transaction ? "no transaction: marker" : "transaction");
    if (sw_migration_is_contract(m)) {
        char floor[SW_VERSION_TEXT_MAX];
        size_t used = strlen(buf);
        snprintf(buf + used, size - used, ", contract (floor %s)",
                 sw_version_format(&m->floor, '.', floor));
    }
    return buf;
}

const char *sw_repeatable_key(const struct sw_migration *m)
{
    const char *slash = strrchr(m->name, '/');
    return slash ? slash + 1 : m->name;
}

/* A name's message ("NAME: ...") about a file in a sub-folder names its path. */
static void prefix_folder(sw_err *err, const char *path, const char *base)
{
    size_t folder = strlen(path) - strlen(base);
    sw_err copy = *err;

    if (folder > 0)
        sw_err_set(err, "%.*s%s", (int)folder, path, copy.msg);
}

/* A growing array of migrations. */
struct list {
    struct sw_migration **items;
    size_t *n;
    size_t cap;
};

struct loading {
    const struct sw_migration_set *set;
    struct list versioned, repeatable;
};

static struct sw_migration *list_add(struct list *l, const char *path, sw_err *err)
{
    if (*l->n == l->cap) {
        size_t grown = l->cap != 0 ? l->cap * 2 : 32;
        struct sw_migration *items = reallocarray(*l->items, grown, sizeof *items);
        if (items == NULL) {
            sw_err_set(err, "%s: out of memory", path);
            return NULL;
        }
        *l->items = items;
        l->cap = grown;
    }
    return &(*l->items)[*l->n];
}

static int add_file(int dirfd, const char *base, const char *path, void *arg, sw_err *err)
{
    struct loading *l = arg;
    struct list *to = &l->versioned;
    struct sw_name parsed;

    switch (sw_migration_parse_name(base, &parsed, err)) {
    case SW_NAME_IGNORED:
        return 0;
    case SW_NAME_SKIPPED:
        prefix_folder(err, path, base);
        sw_warn("%s", err->msg);
        return 0;
    case SW_NAME_INVALID:
        prefix_folder(err, path, base);
        return -1;
    case SW_NAME_REPEATABLE:
        to = &l->repeatable;
        break;
    case SW_NAME_MIGRATION:
        break;
    }
    struct sw_migration *m = list_add(to, path, err);
    if (m == NULL)
        return -1;
    *m = (struct sw_migration){.version = parsed.version,
                               .format = parsed.format,
                               .repeatable = to == &l->repeatable,
                               .name = strdup(path)};
    if (m->name == NULL) {
        sw_err_set(err, "%s: out of memory", path);
        return -1;
    }
    /* checked whole now, so that a bad file stops everything before anything runs */
    struct body_read b = {.copies = false};
    if (read_body(l->set, dirfd, base, m, &b, err) < 0) {
        free_migration(m);
        return -1;
    }
    memcpy(m->checksum, b.sum, sizeof m->checksum);
    sw_migration_drop_body(m);
    if (to == &l->repeatable && m->no_transaction) {
        sw_err_set(err, "%s: a repeatable migration runs in a transaction (no-transaction %s)",
                   path, m->no_transaction_line ? "statement" : "marker");
        free_migration(m);
        return -1;
    }
    (*to->n)++;
    return 0;
}

/* Version, then name: the order of a duplicate's two names must not depend on readdir. */
static int compare_migrations(const void *a, const void *b)
{
    const struct sw_migration *x = a, *y = b;
    int c = sw_version_cmp(&x->version, &y->version);
    return c != 0 ? c : strcmp(x->name, y->name);
}

/* A contract migration's default floor is the version before it; a floor above its own
 * version would wait for replicas of the very release that ships it. */
static int set_floor(struct sw_migration_set *set, size_t i, sw_err *err)
{
    struct sw_migration *m = &set->items[i];
    char v[SW_VERSION_TEXT_MAX];

    if (!sw_migration_is_contract(m))
        return 0;
    if (!m->floor_given)
        m->floor = i > 0 ? set->items[i - 1].version : sw_version_of(0);
    if (sw_version_cmp(&m->floor, &m->version) > 0) {
        sw_err_set(err, "%s:%d: floor %s is above the migration's own version", m->name,
                   m->contract_line, sw_version_format(&m->floor, '.', v));
        return -1;
    }
    return 0;
}

/* Repeatables by file name (as Flyway orders them by description), folder ignored. */
static int compare_repeatables(const void *a, const void *b)
{
    const struct sw_migration *x = a, *y = b;
    int c = strcmp(sw_repeatable_key(x), sw_repeatable_key(y));
    return c != 0 ? c : strcmp(x->name, y->name);
}

static int sort_and_check(struct sw_migration_set *set, sw_err *err)
{
    char v[SW_VERSION_TEXT_MAX];

    if (set->n > 1)
        qsort(set->items, set->n, sizeof *set->items, compare_migrations);
    for (size_t i = 0; i < set->n; i++) {
        const struct sw_migration *a = i > 0 ? &set->items[i - 1] : NULL, *b = &set->items[i];
        if (a && sw_version_cmp(&a->version, &b->version) == 0) {
            sw_err_set(err, "duplicate version %s: %s and %s",
                       sw_version_format(&a->version, '.', v), a->name, b->name);
            return -1;
        }
        if (set_floor(set, i, err) < 0)
            return -1;
    }
    if (set->n_repeatables > 1)
        qsort(set->repeatables, set->n_repeatables, sizeof *set->repeatables, compare_repeatables);
    for (size_t i = 1; i < set->n_repeatables; i++) {
        const struct sw_migration *a = &set->repeatables[i - 1], *b = &set->repeatables[i];
        if (strcmp(sw_repeatable_key(a), sw_repeatable_key(b)) == 0) {
            sw_err_set(err, "duplicate repeatable migration %s: %s and %s", sw_repeatable_key(a),
                       a->name, b->name);
            return -1;
        }
    }
    return 0;
}

int sw_migrations_load(const char *dir, const struct sw_placeholders *p, sw_migration_sum_fn sum,
                       struct sw_migration_set *out, sw_err *err)
{
    struct sw_migration_set set = {.dir = strdup(dir), .dirfd = -1, .placeholders = p, .sum = sum};
    struct loading l = {.set = &set,
                        .versioned = {&set.items, &set.n, 0},
                        .repeatable = {&set.repeatables, &set.n_repeatables, 0}};

    memset(out, 0, sizeof *out);
    if (set.dir == NULL) {
        sw_err_set(err, "migrations dir '%s': out of memory", dir);
        return -1;
    }
    int rc = sw_scan_dir(dir, add_file, &l, err);
    if (rc == 0)
        rc = sort_and_check(&set, err);
    if (rc != 0) {
        sw_migrations_free(&set);
        return -1;
    }
    /* Kept for the bodies read again (lint, then the upgrade itself: two per pending file),
     * which then cost an openat each rather than an open of the dir, the openat and a close.
     * Not an error here: sw_migration_load_body tries again, and reports why it cannot. */
    set.dirfd = open(set.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    *out = set;
    return 0;
}

int sw_migration_load_body(const struct sw_migration_set *set, struct sw_migration *m, bool copies,
                           sw_err *err)
{
    /* read into a copy: what the load set from m's neighbours (a contract's default floor)
     * stays, and so does how m runs when the set has no sum function to notice a change */
    struct sw_migration body = {
        .version = m->version, .format = m->format, .name = m->name, .repeatable = m->repeatable};
    struct body_read b = {.was = m->checksum, .copies = copies};
    int dirfd = set->dirfd >= 0 ? set->dirfd : open(set->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    sw_migration_drop_body(m);
    if (dirfd < 0) {
        sw_err_set(err, "migrations dir '%s': %s", set->dir, strerror(errno));
        return -1;
    }
    int rc = read_body(set, dirfd, m->name, &body, &b, err);
    if (dirfd != set->dirfd)
        close(dirfd);
    if (rc != 0) {
        sw_migration_drop_body(&body);
        return rc;
    }
    m->sql = body.sql;
    m->sql_len = body.sql_len;
    m->copy_data = body.copy_data;
    m->copy_off = body.copy_off;
    m->copy_len = body.copy_len;
    m->n_copies = body.n_copies;
    return 0;
}

struct versions {
    struct sw_version *v;
    size_t n, cap;
};

static int note_version(int dirfd, const char *base, const char *path, void *arg, sw_err *err)
{
    struct versions *vs = arg;
    struct sw_name parsed;

    (void)dirfd;
    (void)path;
    switch (sw_migration_parse_name(base, &parsed, err)) {
    case SW_NAME_INVALID:
        return -1;
    case SW_NAME_MIGRATION:
        break;
    default:
        return 0; /* not a versioned migration */
    }
    if (vs->n == vs->cap) {
        size_t cap = vs->cap ? vs->cap * 2 : 64;
        struct sw_version *more = realloc(vs->v, cap * sizeof *more);
        if (!more) {
            sw_err_set(err, "out of memory");
            return -1;
        }
        vs->v = more;
        vs->cap = cap;
    }
    vs->v[vs->n++] = parsed.version;
    return 0;
}

int sw_migrations_versions(const char *dir, struct sw_version **out, size_t *n, sw_err *err)
{
    struct versions vs = {0};

    /* An image without migrations is the common case of serve mode: asked first, it costs no
     * formatted error (vfprintf and strerror's tables, 64 KiB windows of libc made resident). */
    if (access(dir, F_OK) < 0 && errno == ENOENT) {
        *out = NULL;
        *n = 0;
        return 0;
    }
    if (sw_scan_dir(dir, note_version, &vs, err) == 0 || (errno == ENOENT && vs.n == 0)) {
        *out = vs.v; /* a missing dir ships nothing */
        *n = vs.n;
        return 0;
    }
    free(vs.v);
    return -1;
}

long sw_migrations_find(const struct sw_migration_set *set, const struct sw_version *version)
{
    size_t lo = 0, hi = set->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = sw_version_cmp(&set->items[mid].version, version);
        if (c == 0)
            return (long)mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}
