/* `slipway wait [--timeout D]`: blocks until `health` would say healthy, woken by the
 * upgrade's NOTIFY (for init containers and `docker compose run`). */
#include "health/waitcmd.h"

#include "base/exitcodes.h"
#include "base/log.h"
#include "health/health.h"
#include "pg/session.h"

int sw_wait_main(const struct sw_config *cfg, const struct sw_cli *cli)
{
    struct sw_session s;
    struct sw_requirements req;
    sw_err err;
    int code;

    if (sw_requirements_load(&req, cfg, &err) < 0) {
        sw_error("%s", err.msg);
        return SW_EXIT_USAGE;
    }
    code = sw_session_open(&s, cfg, "wait", SW_SESSION_LOOP, NULL, NULL);
    if (code == SW_EXIT_OK && sw_requirements_any(&req))
        code = sw_health_wait(&s.loop, &s.stop, cfg, &req,
                              cli->has_timeout ? cli->timeout_ms : cfg->serve.wait_timeout_ms, NULL,
                              NULL);
    if (code == SW_EXIT_OK)
        sw_info("healthy");
    sw_session_close(&s);
    sw_requirements_free(&req);
    return code;
}
