/* health_listen for `--upgrade` and `task` (a Kubernetes Job, often): while the run lasts, its
 * session's loop serves /healthz, /readyz (never ready) and /metrics with the run's progress
 * (pg/progress.h), so a Job's pod can be scraped while it waits for the lock or migrates. The
 * upgrade knows nothing of it: main.c hands it this watch (pg/session.h). */
#ifndef SLIPWAY_HEALTH_JOBHEALTH_H
#define SLIPWAY_HEALTH_JOBHEALTH_H

#include "config/config.h"
#include "health/health.h"
#include "health/healthsrv.h"
#include "pg/session.h"

struct sw_job_health {
    const struct sw_config *cfg;
    const char *doing; /* the /readyz answer */
    struct sw_requirements req;
    struct sw_health_server *srv;
    struct sw_session_watch watch;
};

/* The watch to hand the run, or NULL when health_listen is not set. doing: "upgrade running". */
const struct sw_session_watch *sw_job_health_watch(struct sw_job_health *j,
                                                   const struct sw_config *cfg, const char *doing);
/* After the run (its session closed): frees what the server left. */
void sw_job_health_free(struct sw_job_health *j);

#endif
