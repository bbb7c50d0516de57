#include "health/gate.h"

#include "base/exitcodes.h"
#include "base/log.h"
#include "health/health.h"

static void feed(const struct sw_health *h, void *arg)
{
    sw_health_server_update(arg, h);
}

/* Whether the gate's healthy answer also answers `health` (which may check more, e.g. a
 * required task the server was not told to wait for). */
static bool covers(const struct sw_requirements *gate, const struct sw_requirements *health)
{
    if (health->database && (!gate->database || sw_version_cmp(&gate->schema, &health->schema) < 0))
        return false;
    for (size_t i = 0; i < health->n_tasks; i++) {
        size_t j = 0;
        while (j < gate->n_tasks && gate->tasks[j] != health->tasks[i])
            j++;
        if (j == gate->n_tasks)
            return false;
    }
    return true;
}

int sw_gate_wait(uv_loop_t *loop, const struct sw_config *cfg, int *stop,
                 struct sw_health_server *hs, const struct sw_requirements *health)
{
    struct sw_requirements req;
    sw_err err;
    int code;

    if (!sw_config_serve_needs_database(cfg))
        return SW_EXIT_OK;
    if (sw_requirements_narrow(&req, health, cfg, cfg->serve.wait_for, &err) < 0) {
        sw_error("%s", err.msg);
        return SW_EXIT_USAGE;
    }
    code = sw_health_wait(loop, stop, cfg, &req, cfg->serve.wait_timeout_ms, hs ? feed : NULL, hs);
    if (code == SW_EXIT_OK)
        sw_event(SW_LOG_INFO, "dependencies_ready", NULL,
                 "dependencies ready: starting the server");
    if (code == SW_EXIT_OK && hs)
        sw_health_server_gate_done(hs, covers(&req, health));
    sw_requirements_free(&req);
    return code;
}
