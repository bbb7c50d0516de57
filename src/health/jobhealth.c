#include "health/jobhealth.h"

#include "base/log.h"

#include <string.h>

/* The requirements only label slipway_build_info: a directory that cannot be read leaves the
 * label empty, and the upgrade says what is wrong with it. */
static void opened(struct sw_session *s, void *arg)
{
    struct sw_job_health *j = arg;
    sw_err err;

    if (sw_requirements_load(&j->req, j->cfg, &err) < 0) {
        sw_debug("/metrics without the required version: %s", err.msg);
        memset(&j->req, 0, sizeof j->req);
    }
    j->srv = sw_health_server_start_run(&s->loop, j->cfg, &j->req, &s->progress, j->doing);
}

/* Before the session's loop is torn down, which then finishes closing the server's handles. */
static void closing(void *arg)
{
    struct sw_job_health *j = arg;
    sw_health_server_close(j->srv);
}

const struct sw_session_watch *sw_job_health_watch(struct sw_job_health *j,
                                                   const struct sw_config *cfg, const char *doing)
{
    memset(j, 0, sizeof *j);
    if (!cfg->serve.health_listen)
        return NULL;
    j->cfg = cfg;
    j->doing = doing;
    j->watch = (struct sw_session_watch){.opened = opened, .closing = closing, .arg = j};
    return &j->watch;
}

void sw_job_health_free(struct sw_job_health *j)
{
    sw_health_server_free(j->srv);
    sw_requirements_free(&j->req);
}
