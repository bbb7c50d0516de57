/* The subcommands, one file each; every one returns the process exit code. */
#ifndef SLIPWAY_COMMANDS_H
#define SLIPWAY_COMMANDS_H

#include "cli.h"
#include "config.h"

int sw_check_main(const struct sw_config *cfg);

#endif
