/* `slipway task NAME [--rerun]`. Returns the process exit code. */
#ifndef SLIPWAY_TASKS_TASKCMD_H
#define SLIPWAY_TASKS_TASKCMD_H

#include "config/cli.h"
#include "config/config.h"

int sw_task_main(const struct sw_config *cfg, const struct sw_cli *cli);

#endif
