/* A host name resolved on a thread of its own, reported to an event loop.
 *
 * Why not uv_getaddrinfo: a lookup that hangs (a resolver that never answers) cannot be
 * cancelled once it runs. On libuv's thread pool it would hold one of its four threads (the
 * health re-checks queue there too), keep the loop it was started on from closing, and make
 * exit wait for it (libuv joins its pool at exit). Here the thread is detached and shares
 * nothing with the loop but an eventfd: the caller can give a lookup up at any time, and the
 * thread frees what is left whenever getaddrinfo() returns, or dies with the process. */
#ifndef SLIPWAY_BASE_LOOKUP_H
#define SLIPWAY_BASE_LOOKUP_H

#include "base/err.h"

#include <netdb.h>
#include <stdbool.h>
#include <uv.h>

struct sw_lookup;

/* Starts resolving name (any address family, for TCP); on_done(arg) is called from loop once
 * the answer is in. -1 with err when no thread could be started. */
int sw_lookup_start(struct sw_lookup **out, uv_loop_t *loop, const char *name,
                    void (*on_done)(void *arg), void *arg, sw_err *err);
/* Once on_done was called: the addresses, or NULL and getaddrinfo()'s error code in *gai_error. */
const struct addrinfo *sw_lookup_result(const struct sw_lookup *l, int *gai_error);
/* Ends the caller's interest, answered or not (NULL is fine). The loop must run once more
 * (uv_run NOWAIT) to free the watcher. */
void sw_lookup_end(struct sw_lookup *l);

#endif
