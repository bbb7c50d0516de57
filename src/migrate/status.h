/* `slipway status [--json]`. Returns the process exit code. */
#ifndef SLIPWAY_MIGRATE_STATUS_H
#define SLIPWAY_MIGRATE_STATUS_H

#include "config/cli.h"
#include "config/config.h"

int sw_status_main(const struct sw_config *cfg, const struct sw_cli *cli);

#endif
