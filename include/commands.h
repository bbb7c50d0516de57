/* The subcommands, one file each; every one returns the process exit code. */
#ifndef SLIPWAY_COMMANDS_H
#define SLIPWAY_COMMANDS_H

#include "cli.h"
#include "config.h"

int sw_check_main(const struct sw_config *cfg);
int sw_health_main(const struct sw_config *cfg);
int sw_wait_main(const struct sw_config *cfg, const struct sw_cli *cli);
int sw_upgrade_main(const struct sw_config *cfg, const struct sw_cli *cli);
int sw_status_main(const struct sw_config *cfg, const struct sw_cli *cli);
int sw_task_main(const struct sw_config *cfg, const struct sw_cli *cli);

#endif
