/* `slipway --upgrade`: migrations and tasks, once. Returns the process exit code. */
#ifndef SLIPWAY_MIGRATE_UPGRADE_H
#define SLIPWAY_MIGRATE_UPGRADE_H

#include "config/cli.h"
#include "config/config.h"

int sw_upgrade_main(const struct sw_config *cfg, const struct sw_cli *cli);

#endif
