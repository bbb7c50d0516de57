/* `slipway wait [--timeout D]`: block until healthy. Returns the process exit code. */
#ifndef SLIPWAY_HEALTH_WAITCMD_H
#define SLIPWAY_HEALTH_WAITCMD_H

#include "config/cli.h"
#include "config/config.h"

int sw_wait_main(const struct sw_config *cfg, const struct sw_cli *cli);

#endif
