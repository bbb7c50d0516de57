#include "pg/secrets.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* libpq's own test (conninfo_uri_parse's prefixes, or an '='), widened to any "scheme://":
 * a name like "POSTGRES://u:pw@h" is no connection string to libpq but holds a password all
 * the same. */
static bool holds_connection_string(const char *v)
{
    return strchr(v, '=') || strstr(v, "://");
}

static int add_secret(struct sw_secrets *s, const char *v, bool whole_value)
{
    struct sw_secret *grown = realloc(s->item, (s->n + 1) * sizeof *s->item);

    if (!grown)
        return -1;
    s->item = grown;
    s->item[s->n].text = strdup(v);
    if (!s->item[s->n].text)
        return -1;
    s->item[s->n++].whole_value = whole_value;
    return 0;
}

int sw_secrets_add(struct sw_secrets *s, const PQconninfoOption *opts)
{
    for (; opts && opts->keyword; opts++) {
        const char *v = opts->val;
        if (!v || !*v)
            continue;
        /* libpq marks its secrets "*" (password, sslpassword): "hide value" */
        if (opts->dispchar && strchr(opts->dispchar, '*')) {
            if (add_secret(s, v, false) < 0)
                return -1;
        } else if (holds_connection_string(v) && add_secret(s, v, true) < 0) {
            return -1;
        }
    }
    return 0;
}

void sw_secrets_free(struct sw_secrets *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->item[i].text);
    free(s->item);
    s->item = NULL;
    s->n = 0;
}

/* A cut connection string is recognised by this many of its first bytes (fewer when it is
 * shorter): enough to tell it from ordinary text, well under the server's 63. */
#define CUT_MIN 16

/* How many bytes of p the secret covers: all of a password or nothing; of a connection
 * string, as much of its start as p repeats, when that is CUT_MIN bytes or all of it. */
static size_t covered(const struct sw_secret *sec, const char *p)
{
    size_t len = strlen(sec->text), same = 0;

    if (!sec->whole_value)
        return strncmp(p, sec->text, len) == 0 ? len : 0;
    while (same < len && p[same] == sec->text[same])
        same++;
    return same == len || same >= CUT_MIN ? same : 0;
}

/* The most that any secret covers at p, 0 for none: a password inside a hidden connection
 * string must not leave the rest of that string showing. */
static size_t secret_at(const struct sw_secrets *s, const char *p)
{
    size_t best = 0;

    for (size_t i = 0; s && i < s->n; i++) {
        size_t len = covered(&s->item[i], p);
        if (len > best)
            best = len;
    }
    return best;
}

/* libpq puts its sentences on lines of their own ("Connection refused\n\tIs the server
 * running"): a line that ends without punctuation gets a full stop before the next one. */
void sw_redact(sw_err *err, const char *prefix, const char *msg, const struct sw_secrets *s)
{
    size_t n = (size_t)snprintf(err->msg, sizeof err->msg, "%s", prefix);

    for (const char *p = msg; *p && n + 4 < sizeof err->msg;) {
        size_t hidden = secret_at(s, p);
        if (hidden) {
            memcpy(err->msg + n, "***", 3);
            n += 3;
            p += hidden;
            continue;
        }
        if (*p == '\n' && n > 0 && p[1] && !strchr(" .:;?!", err->msg[n - 1])) {
            err->msg[n++] = '.';
            err->msg[n++] = ' ';
        } else if (*p == '\n' || *p == '\t' || *p == '\r' || *p == ' ') {
            if (n > 0 && err->msg[n - 1] != ' ')
                err->msg[n++] = ' ';
        } else {
            err->msg[n++] = *p;
        }
        p++;
    }
    while (n > 0 && err->msg[n - 1] == ' ')
        n--;
    err->msg[n] = '\0';
}
