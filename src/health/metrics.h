/* GET /metrics: the supervisor's view (or an upgrade run's) in Prometheus' text exposition format
 * 0.0.4, rendered from what it already knows (the last health answer, the server's state): a scrape
 * never opens a database connection. Written by hand: Debian packages no C client library (only
 * prometheus-cpp, C++ with an HTTP server of its own), and the format is a few lines of text. */
#ifndef SLIPWAY_HEALTH_METRICS_H
#define SLIPWAY_HEALTH_METRICS_H

#include "fleet/registry.h"
#include "health/health.h"
#include "pg/progress.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SW_METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

struct sw_metrics {
    const char *image;                 /* [serve] image, may be NULL */
    const struct sw_requirements *req; /* what this image requires */
    const struct sw_health *health;    /* the last answer */
    bool child_up;                     /* the server runs */
    uint64_t child_exits;              /* times the server exited */
    int child_exit_code;               /* its last exit code, once it exited */
    const struct sw_fleet *fleet;      /* the live fleet at the last heartbeat, or NULL */
    /* An upgrade or task run: its progress, shown instead of the supervisor's figures (health,
     * server, fleet), which it does not have. NULL: a supervisor. */
    const struct sw_progress *run;
};

/* The exposition text (malloc'ed, *len bytes), or NULL when out of memory. */
char *sw_metrics_render(const struct sw_metrics *m, size_t *len);

#endif
