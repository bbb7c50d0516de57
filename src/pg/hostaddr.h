/* A connection's host names resolved off the event loop.
 *
 * libpq resolves a host name with a blocking getaddrinfo() inside PQconnectStartParams and
 * PQconnectPoll: a resolver that does not answer would freeze the loop, and with it PID 1's
 * signals, reaping and health server. So the names are looked up first (base/lookup.h), and
 * libpq gets their addresses as `hostaddr` beside the names as `host`: it connects to the
 * addresses, and still uses the names for TLS (verify-full, SNI), Kerberos and the passfile.
 * A name with several addresses becomes one host entry per address, in the resolver's order,
 * which is the order libpq tries them in itself. Socket paths and IP addresses need no lookup;
 * a url (or PGHOSTADDR) that sets hostaddr already, or names a service, is left alone. */
#ifndef SLIPWAY_PG_HOSTADDR_H
#define SLIPWAY_PG_HOSTADDR_H

#include "base/err.h"

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

/* What libpq gets after the url (which they override): comma-separated lists, all three
 * NULL when there is nothing to add. */
struct sw_hostaddr {
    char *host, *hostaddr, *port;
    /* why hosts were left out (libpq's words: "could not translate host name …; "), said if
     * no other one connects */
    char skipped[512];
};

struct sw_resolving;

/* Starts looking up the host names of url (NULL: libpq's PG* defaults); *done becomes true on
 * loop once every answer is in (at once when there is nothing to look up). */
int sw_resolve_start(struct sw_resolving **out, uv_loop_t *loop, const char *url, bool *done,
                     sw_err *err);
/* The lists, from the answers in so far (a host not answered yet is left out): -1 with err
 * when no host is left. */
int sw_resolve_finish(struct sw_resolving *r, struct sw_hostaddr *out, sw_err *err);
/* Gives up the lookups still running; NULL is fine. The loop must run once more (uv_run NOWAIT)
 * to free their watchers. */
void sw_resolve_free(struct sw_resolving *r);
void sw_hostaddr_free(struct sw_hostaddr *h);

/* libpq names a server it was given by address by that address alone ("connection to server
 * at "10.0.0.5", port 5432 failed"): msg copied to out with the name put back as libpq writes
 * it when it looks a name up itself (at "db" (10.0.0.5), port 5432). */
void sw_hostaddr_explain(const struct sw_hostaddr *h, const char *msg, char *out, size_t size);

/* The value of key in libpq's option array (NULL: absent or no array). */
const char *sw_conninfo_get(const PQconninfoOption *opts, const char *key);

#endif
