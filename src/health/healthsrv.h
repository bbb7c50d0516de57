/* The supervisor's side of `slipway health` (unix socket) and of HTTP probes (health_listen). */
#ifndef SLIPWAY_HEALTH_HEALTHSRV_H
#define SLIPWAY_HEALTH_HEALTHSRV_H

#include "config/config.h"
#include "fleet/registry.h"
#include "health/health.h"
#include "pg/progress.h"

#include <stdbool.h>
#include <uv.h>

struct sw_health_server;

/* Listens on health_socket (a failure is a warning: health then checks the database itself)
 * and health_listen (a failure is an error: -1). gating: the gate will feed live answers
 * through sw_health_server_update() until sw_health_server_gate_done(). *out is set even on
 * failure; release it with sw_health_server_close() + sw_health_server_free(). */
int sw_health_server_start(struct sw_health_server **out, uv_loop_t *loop,
                           const struct sw_config *cfg, const struct sw_requirements *req,
                           bool gating);
/* An upgrade's or task's server, on the run's loop: health_listen only; /healthz 200, /readyz
 * 503 with doing ("upgrade running": a Job is no traffic target), /metrics from run (which,
 * like doing, must outlive it). A port that cannot be bound is a warning: the run goes on
 * without it. NULL when out of memory. Release it like the supervisor's. */
struct sw_health_server *sw_health_server_start_run(uv_loop_t *loop, const struct sw_config *cfg,
                                                    const struct sw_requirements *req,
                                                    const struct sw_progress *run,
                                                    const char *doing);
void sw_health_server_update(struct sw_health_server *s, const struct sw_health *h);
/* keep_answer: the gate's last answer also answers `health` (else the next probe re-checks). */
void sw_health_server_gate_done(struct sw_health_server *s, bool keep_answer);
void sw_health_server_set_running(struct sw_health_server *s, bool running);
/* The server exited with code (as the supervisor will exit): counted for /metrics. */
void sw_health_server_child_exited(struct sw_health_server *s, int code);
/* The fleet /metrics shows (the heartbeat's last view, which it keeps up to date); the
 * pointer must outlive s. */
void sw_health_server_set_fleet(struct sw_health_server *s, const struct sw_fleet *fleet);
/* Closes the listeners and open probes, removes the socket file. The loop must then run until
 * the handles are closed before sw_health_server_free(). Both accept NULL. */
void sw_health_server_close(struct sw_health_server *s);
/* True while a re-check runs on the thread pool: exit must not wait for it (sw_loop_abandon). */
bool sw_health_server_busy(const struct sw_health_server *s);
/* Frees s, unless a re-check still uses it: then it is left to the exiting process. */
void sw_health_server_free(struct sw_health_server *s);

#endif
