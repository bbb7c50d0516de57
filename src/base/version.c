#include "base/version.h"

#include <inttypes.h>
#include <stdio.h>

static bool is_sep(char c, const char *seps)
{
    for (; *seps; seps++)
        if (c == *seps)
            return true;
    return false;
}

static void normalise(struct sw_version *v)
{
    while (v->n > 1 && v->part[v->n - 1] == 0)
        v->n--;
}

int sw_version_parse(const char *s, size_t len, const char *seps, struct sw_version *v,
                     const char **why)
{
    struct sw_version out = {.n = 0};
    size_t i = 0;

    for (;;) {
        size_t start = i;
        uint64_t part = 0;
        for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
            unsigned d = (unsigned)(s[i] - '0');
            if (part > (UINT64_MAX - d) / 10) {
                *why = "a part is larger than 18446744073709551615";
                return -1;
            }
            part = part * 10 + d;
        }
        if (i == start) {
            /* "1." or "1..2" has an empty part; "x" or "" is no version at all */
            *why =
                len > 0 && (i == len || is_sep(s[i], seps)) ? "a part is empty" : "not a version";
            return -1;
        }
        if (out.n == SW_VERSION_MAX_PARTS) {
            *why = "more than 8 parts";
            return -1;
        }
        out.part[out.n++] = part;
        if (i == len)
            break;
        if (!is_sep(s[i], seps)) {
            *why = "not a version";
            return -1;
        }
        i++;
    }
    normalise(&out);
    *v = out;
    return 0;
}

struct sw_version sw_version_of(uint64_t n)
{
    return (struct sw_version){.part = {n}, .n = 1};
}

int sw_version_cmp(const struct sw_version *a, const struct sw_version *b)
{
    unsigned n = a->n > b->n ? a->n : b->n;

    for (unsigned i = 0; i < n; i++) {
        uint64_t x = i < a->n ? a->part[i] : 0, y = i < b->n ? b->part[i] : 0;
        if (x != y)
            return x < y ? -1 : 1;
    }
    return 0;
}

char *sw_version_format(const struct sw_version *v, char sep, char *buf)
{
    size_t w = 0;

    for (unsigned i = 0; i < v->n; i++) {
        if (i > 0)
            buf[w++] = sep;
        w += (size_t)snprintf(buf + w, SW_VERSION_TEXT_MAX - w, "%" PRIu64, v->part[i]);
    }
    buf[w] = '\0';
    return buf;
}

struct sw_version_text sw_version_text(const struct sw_version *v)
{
    struct sw_version_text t;
    sw_version_format(v, '.', t.s);
    return t;
}
