/* What a connection's options must never show, and the filter that blanks it out.
 *
 * The password is one secret, whatever its source (URL, key=value, PGPASSWORD, passfile), and
 * so is anything else libpq marks as one (sslpassword). A value that itself holds a
 * connection string is another, whole: libpq expands only the url, so
 * `dbname='postgresql://u:pw@h/db'` is sent to the server as a database name and comes back
 * verbatim in libpq's and the server's messages, its password percent-encoded or not, perhaps
 * more than once (`u:pw1@h?password=pw2`): only hiding the whole value is sure. The server
 * cuts a database name to 63 bytes (NAMEDATALEN) before quoting it, so the start of such a
 * value is hidden as well as the whole. */
#ifndef SLIPWAY_PG_SECRETS_H
#define SLIPWAY_PG_SECRETS_H

#include "base/err.h"

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>

struct sw_secret {
    char *text;
    bool whole_value; /* a connection string: its first bytes are hidden too */
};

struct sw_secrets {
    struct sw_secret *item;
    size_t n;
};

/* Adds the secrets among opts (a PQconninfoOption array, or NULL). -1: out of memory. */
int sw_secrets_add(struct sw_secrets *s, const PQconninfoOption *opts);
void sw_secrets_free(struct sw_secrets *s);

/* Copies msg into err after prefix, one line: runs of newlines, tabs and spaces become one
 * space, trailing space goes, and every secret of s (NULL: none) becomes "***". */
void sw_redact(sw_err *err, const char *prefix, const char *msg, const struct sw_secrets *s);

#endif
