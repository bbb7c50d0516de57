#ifndef SLIPWAY_SERVE_SERVE_H
#define SLIPWAY_SERVE_SERVE_H

#include "config/config.h"

/* Runs the server (cmdline, else [serve] command) under supervision; returns the exit code. */
int sw_serve(const struct sw_config *cfg, char **cmdline);

#endif
