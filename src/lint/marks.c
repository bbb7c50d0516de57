#include "lint/marks.h"

#include <string.h>

#define ALLOW_MARKER "slipway:allow"

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

/* In [p, end): "--", blanks, marker, then a blank or the end. What follows, or NULL. */
static const char *after_marker(const char *p, const char *end, const char *marker)
{
    size_t n = strlen(marker);

    while (p < end && is_blank(*p))
        p++;
    if (end - p < 2 || p[0] != '-' || p[1] != '-')
        return NULL;
    for (p += 2; p < end && is_blank(*p); p++)
        ;
    if ((size_t)(end - p) < n || memcmp(p, marker, n) != 0)
        return NULL;
    p += n;
    return p == end || is_blank(*p) ? p : NULL;
}

static bool word_is(const char *w, size_t n, const char *name)
{
    return strlen(name) == n && memcmp(w, name, n) == 0;
}

bool sw_lint_allowed(const char *sql, size_t off, enum sw_lint_rule rule)
{
    const char *line = sql + off, *prev, *p;

    while (line > sql && line[-1] != '\n')
        line--;
    if (line == sql)
        return false; /* the statement is on the first line */
    for (prev = line - 1; prev > sql && prev[-1] != '\n'; prev--)
        ;
    p = after_marker(prev, line - 1, ALLOW_MARKER);
    while (p && p < line - 1) {
        const char *w = p;
        while (p < line - 1 && !is_blank(*p) && *p != ',')
            p++;
        size_t n = (size_t)(p - w);
        if (n && (word_is(w, n, sw_lint_rules[rule].name) ||
                  word_is(w, n, sw_lint_group_names[sw_lint_rules[rule].group])))
            return true;
        if (p < line - 1)
            p++;
    }
    return false;
}
