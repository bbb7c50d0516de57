/* `slipway task NAME [--rerun]`. Returns the process exit code. watch (NULL: none) hears of
 * the session (pg/session.h). */
#ifndef SLIPWAY_TASKS_TASKCMD_H
#define SLIPWAY_TASKS_TASKCMD_H

#include "config/cli.h"
#include "config/config.h"
#include "pg/session.h"

int sw_task_main(const struct sw_config *cfg, const struct sw_cli *cli,
                 const struct sw_session_watch *watch);

#endif
