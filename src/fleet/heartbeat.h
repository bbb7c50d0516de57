/* A serving supervisor's registration in slipway_fleet (README "Fleet and contract migrations"): a
 * first beat once the server runs, one every [serve] heartbeat, the row deleted on the way out.
 * Each beat is one short connection on libuv's thread pool (its own loop, connect_timeout bounding
 * the connection and the query), so the supervisor's loop never blocks on the database and its
 * signals are never delayed; no connection is held between beats. A failing beat is a
 * warning once (no rights on the table, no table yet, no server), and serving goes on. */
#ifndef SLIPWAY_FLEET_HEARTBEAT_H
#define SLIPWAY_FLEET_HEARTBEAT_H

#include "base/version.h"
#include "config/config.h"

#include <uv.h>

struct sw_heartbeat;

/* requires: the schema version this image requires, or NULL. NULL when it cannot start (out
 * of memory, no timer), after a warning: the replica then serves unregistered. */
struct sw_heartbeat *sw_heartbeat_start(uv_loop_t *loop, const struct sw_config *cfg,
                                        const struct sw_version *requires);
/* Stops beating and deletes the row (after a beat in flight). The loop must then run until
 * its handles and work are done, before sw_heartbeat_free(), which leaves a job still in
 * flight its memory (an abandoned loop: the process is exiting). Both accept NULL. */
void sw_heartbeat_leave(struct sw_heartbeat *hb);
/* The live fleet as the last beat read it (with [serve] health_listen set: for /metrics),
 * updated on the loop; empty before. Stable until sw_heartbeat_free(). NULL for NULL. */
const struct sw_fleet *sw_heartbeat_fleet(const struct sw_heartbeat *hb);
void sw_heartbeat_free(struct sw_heartbeat *hb);

#endif
