#include "migdir/placeholders.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BUILTIN_FILENAME "flyway:filename"

/* A growing output buffer. */
struct out {
    char *s;
    size_t len, cap;
};

static int append(struct out *o, const char *s, size_t n)
{
    if (o->len + n + 1 > o->cap) {
        size_t cap = o->cap ? o->cap : 256;
        while (cap < o->len + n + 1)
            cap *= 2;
        char *grown = realloc(o->s, cap);
        if (!grown)
            return -1;
        o->s = grown;
        o->cap = cap;
    }
    memcpy(o->s + o->len, s, n);
    o->len += n;
    o->s[o->len] = '\0';
    return 0;
}

/* The value of placeholder name[0..n), or NULL when it is unknown. */
static const char *lookup(const struct sw_migration *m, const struct sw_placeholders *p,
                          const char *name, size_t n)
{
    const char *base = strrchr(m->name, '/');

    if (n == strlen(BUILTIN_FILENAME) && memcmp(name, BUILTIN_FILENAME, n) == 0)
        return base ? base + 1 : m->name;
    for (size_t i = 0; i < p->n; i++)
        if (strlen(p->items[i].name) == n && memcmp(p->items[i].name, name, n) == 0)
            return p->items[i].value;
    return NULL;
}

static int line_of(const struct sw_migration *m, const char *at)
{
    int line = m->sql_line;
    for (const char *s = m->sql; s < at; s++)
        line += *s == '\n';
    return line;
}

static int substitute(struct sw_migration *m, const struct sw_placeholders *p, sw_err *err)
{
    struct out o = {0};
    const char *s = m->sql, *end = m->sql + m->sql_len, *open;

    if (!memmem(s, m->sql_len, "${", 2))
        return 0;
    while ((open = memmem(s, (size_t)(end - s), "${", 2)) != NULL) {
        const char *name = open + 2;
        const char *close = memchr(name, '}', (size_t)(end - name));
        const char *value = close ? lookup(m, p, name, (size_t)(close - name)) : NULL;
        if (!value) {
            int shown = close ? (int)(close - name) : 0;
            sw_err_set(err, "%s:%d: unknown placeholder ${%.*s} (define it in [placeholders])",
                       m->name, line_of(m, open), shown > 64 ? 64 : shown, name);
            free(o.s);
            return -1;
        }
        if (append(&o, s, (size_t)(open - s)) < 0 || append(&o, value, strlen(value)) < 0)
            goto oom;
        s = close + 1;
    }
    if (append(&o, s, (size_t)(end - s)) < 0)
        goto oom;
    free(m->sql);
    m->sql = o.s;
    m->sql_len = o.len;
    return 0;
oom:
    free(o.s);
    sw_err_set(err, "%s: out of memory", m->name);
    return -1;
}

int sw_placeholders_apply(struct sw_migration *m, const struct sw_placeholders *p, sw_err *err)
{
    return m->format == SW_FORMAT_FLYWAY || m->repeatable ? substitute(m, p, err) : 0;
}
