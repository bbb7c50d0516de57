/* Waiting until healthy, driven by NOTIFY rather than polling: the upgrade's NOTIFY slipway is
 * delivered at its COMMIT, and the waiter re-checks within milliseconds. LISTEN comes before
 * each check, so a commit between the check and the wait cannot be missed. */
#include "health/health.h"

#include "base/exitcodes.h"
#include "base/log.h"

#include <string.h>

/* A safety net for a lost notification (e.g. a NOTIFY from a tool other than slipway). */
#define RECHECK_MS 30000

struct waiter {
    uv_loop_t *loop;
    int *stop;
    const struct sw_config *cfg;
    const struct sw_requirements *req;
    int64_t timeout_ms;
    uint64_t start;
    sw_health_cb on_state;
    void *arg;
    struct sw_health last;
};

static int64_t remaining(const struct waiter *w)
{
    int64_t left;

    if (w->timeout_ms < 0)
        return -1;
    uv_update_time(w->loop);
    left = w->timeout_ms - (int64_t)(uv_now(w->loop) - w->start);
    return left > 0 ? left : 0;
}

static void report(struct waiter *w, const struct sw_health *h)
{
    if (strcmp(h->line, w->last.line) != 0 && !h->healthy)
        sw_event(
            SW_LOG_INFO, "dependency_waiting",
            SW_FIELDS(SW_STR("reason", h->line),
                      SW_STR("schema_version",
                             h->reachable && h->has_schema ? sw_version_text(&h->schema).s : NULL)),
            "waiting: %s", h->line);
    w->last = *h;
    if (w->on_state)
        w->on_state(h, w->arg);
}

enum round { ROUND_HEALTHY, ROUND_LOST, ROUND_TIMEOUT, ROUND_STOP };

/* Checks, then waits for NOTIFYs on one connection until healthy, timeout, stop or loss. */
static enum round listen_round(struct waiter *w, struct sw_db *db)
{
    struct sw_health h;
    sw_err err;

    if (sw_db_command(db, "LISTEN slipway", &err) < 0)
        goto lost;
    for (;;) {
        int64_t left = remaining(w), slice;
        if (sw_health_query(db, w->cfg, w->req, &h, &err) < 0)
            goto lost;
        report(w, &h);
        if (h.healthy)
            return ROUND_HEALTHY;
        if (left == 0)
            return ROUND_TIMEOUT;
        slice = left < 0 || left > RECHECK_MS ? RECHECK_MS : left;
        if (sw_db_wait_notify(db, slice, &err) < 0)
            goto lost;
    }
lost:
    if (sw_db_stopped(db))
        return ROUND_STOP;
    sw_warn("database connection lost while waiting (%s); reconnecting", err.msg);
    return ROUND_LOST;
}

int sw_health_wait(uv_loop_t *loop, int *stop, const struct sw_config *cfg,
                   const struct sw_requirements *req, int64_t timeout_ms, sw_health_cb on_state,
                   void *arg)
{
    struct waiter w = {loop, stop, cfg, req, timeout_ms, 0, on_state, arg, {0}};
    enum round r = ROUND_LOST;

    uv_update_time(loop);
    w.start = uv_now(loop);
    while (r == ROUND_LOST) {
        struct sw_db *db = NULL;
        sw_err err;
        enum sw_db_connect_result c = sw_db_connect(&db, loop, stop, &cfg->database, "wait", &err);
        if (c == SW_DB_STOP)
            return SW_EXIT_SIGNAL_BASE + *stop;
        if (c != SW_DB_CONNECTED) {
            sw_error("%s", err.msg);
            return sw_db_connect_exit_code(c);
        }
        r = listen_round(&w, db);
        sw_db_close(db);
        uv_run(loop, UV_RUN_NOWAIT); /* lets the closed connection's watcher go */
        if (r == ROUND_LOST && !sw_loop_sleep(loop, stop, 250))
            r = ROUND_STOP;
    }
    if (r == ROUND_STOP)
        return SW_EXIT_SIGNAL_BASE + *stop;
    if (r == ROUND_TIMEOUT) {
        sw_error("not healthy within %lld ms: %s", (long long)timeout_ms, w.last.line);
        return SW_EXIT_UNREACHABLE;
    }
    return SW_EXIT_OK;
}
