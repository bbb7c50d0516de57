/* `slipway task NAME [--rerun]`: one task now, under the upgrade lock, e.g. from a
 * maintenance shell or `kubectl exec`; its version is recorded on success like --upgrade's. */
#include "tasks/taskcmd.h"
#include "base/exitcodes.h"
#include "base/log.h"
#include "base/termlog.h"
#include "pg/session.h"
#include "tasks/tasks.h"

#include <inttypes.h>

/* Whether the task must run: --rerun, or its recorded version is behind. */
static int is_due(struct sw_session *s, const struct sw_task *t, bool rerun, bool *due)
{
    struct sw_task_versions v;
    uint64_t recorded;
    sw_err err;

    *due = true;
    if (rerun)
        return 0;
    if (sw_task_versions_read(s->db, &s->tables, &v, &err) < 0) {
        sw_error("cannot read the task versions: %s", err.msg);
        return -1;
    }
    if (sw_task_versions_find(&v, t->name, &recorded) && recorded >= t->version.value) {
        sw_summary(SW_LOG_INFO, "task_nothing_to_do",
                   SW_FIELDS(SW_STR("task", t->name), SW_STR("version", sw_u64_text(recorded).s)),
                   "task '%s' is at version %" PRIu64 " already: nothing to do (--rerun runs "
                   "it anyway)",
                   t->name, recorded);
        *due = false;
    }
    sw_task_versions_free(&v);
    return 0;
}

int sw_task_main(const struct sw_config *cfg, const struct sw_cli *cli,
                 const struct sw_session_watch *watch)
{
    const struct sw_task *t = sw_config_task(cfg, cli->task);
    struct sw_session s;
    bool due;
    int rc;

    if (!t) {
        sw_error("no [task \"%s\"] in %s", cli->task, cfg->path ? cfg->path : "the config");
        return SW_EXIT_USAGE;
    }
    rc = sw_session_open(&s, cfg, "task", SW_SESSION_LOCK, watch, NULL);
    if (rc == SW_EXIT_OK)
        rc = is_due(&s, t, cli->rerun, &due) < 0 ? SW_EXIT_FAIL : SW_EXIT_OK;
    if (rc == SW_EXIT_OK && due)
        rc = sw_task_apply(&s, t, sw_task_pid1_is_slipway());
    if (rc != SW_EXIT_OK && s.stop)
        rc = sw_session_stop_code(&s);
    sw_session_close(&s);
    return rc;
}
