/* `slipway health`: exits 0 healthy, 1 unhealthy, nothing else. Returns the process exit code. */
#ifndef SLIPWAY_HEALTH_HEALTHCMD_H
#define SLIPWAY_HEALTH_HEALTHCMD_H

#include "config/config.h"

int sw_health_main(const struct sw_config *cfg);

#endif
