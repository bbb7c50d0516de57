#include "base/expand.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Appends the value of the ${...} reference whose body is body[0..len) to out. */
static int expand_ref(FILE *out, const char *body, size_t len, sw_err *err)
{
    const char *sep = memchr(body, ':', len);
    size_t name_len = sep ? (size_t)(sep - body) : len;
    char name[256];
    const char *value;

    if (name_len == 0 || name_len >= sizeof name) {
        sw_err_set(err, "bad variable reference '${%.*s}'", (int)len, body);
        return -1;
    }
    if (sep && (sep + 1 >= body + len || sep[1] != '-')) {
        sw_err_set(err, "bad variable reference '${%.*s}' (only ${VAR:-default} is supported)",
                   (int)len, body);
        return -1;
    }
    memcpy(name, body, name_len);
    name[name_len] = '\0';
    value = getenv(name);
    if (sep && (!value || !*value)) {
        const char *def = sep + 2;
        fwrite(def, 1, (size_t)(body + len - def), out);
        return 0;
    }
    if (!value) {
        sw_err_set(err, "${%s} is not set", name);
        return -1;
    }
    fputs(value, out);
    return 0;
}

static int expand_into(FILE *out, const char *p, sw_err *err)
{
    while (*p) {
        if (p[0] == '$' && p[1] == '$') {
            fputc('$', out);
            p += 2;
        } else if (p[0] == '$' && p[1] == '{') {
            const char *end = strchr(p + 2, '}');
            if (!end) {
                sw_err_set(err, "unterminated '${' in '%s'", p);
                return -1;
            }
            if (expand_ref(out, p + 2, (size_t)(end - p - 2), err) < 0)
                return -1;
            p = end + 1;
        } else {
            fputc(*p++, out);
        }
    }
    return 0;
}

char *sw_expand(const char *value, sw_err *err)
{
    char *buf = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&buf, &size);
    int rc;

    if (!out) {
        sw_err_set(err, "out of memory");
        return NULL;
    }
    rc = expand_into(out, value, err);
    if (fclose(out) != 0 && rc == 0) {
        sw_err_set(err, "out of memory");
        rc = -1;
    }
    if (rc < 0) {
        free(buf);
        return NULL;
    }
    return buf;
}
