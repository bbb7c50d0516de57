/* The readiness gate of serve mode: `wait_for` dependencies must be healthy before the server
 * starts (README "Health and readiness"). */
#ifndef SLIPWAY_HEALTH_GATE_H
#define SLIPWAY_HEALTH_GATE_H

#include "config/config.h"
#include "health/healthsrv.h"

#include <uv.h>

/* Runs the loop until every wait_for dependency is healthy, feeding each answer to hs (may be
 * NULL; its answer stays fresh afterwards when the gate covered all that `health` checks). Returns
 * 0; 3 when wait_timeout expired or the database stayed unreachable; 128+N as soon as *stop becomes
 * N (set by the caller's signal watcher). Without wait_for it returns 0 at once and loads no
 * database library. */
int sw_gate_wait(uv_loop_t *loop, const struct sw_config *cfg, int *stop,
                 struct sw_health_server *hs, const struct sw_requirements *health);

#endif
