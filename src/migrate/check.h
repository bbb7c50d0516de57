/* `slipway check`: validate the config and the migrations directory offline. Returns the process
 * exit code. */
#ifndef SLIPWAY_MIGRATE_CHECK_H
#define SLIPWAY_MIGRATE_CHECK_H

#include "config/config.h"

int sw_check_main(const struct sw_config *cfg);

#endif
