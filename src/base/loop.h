/* The event loop: its clock, and its teardown (every mode ends the same way). */
#ifndef SLIPWAY_BASE_LOOP_H
#define SLIPWAY_BASE_LOOP_H

#include <stdint.h>
#include <uv.h>

/* The loop's clock in milliseconds, brought up to date first (uv_now alone is the time the
 * current iteration started). */
int64_t sw_loop_now_ms(uv_loop_t *loop);

/* Closes every handle still open on loop (signal watchers, timers, sockets, what connections
 * left closing), runs the loop until their close callbacks are done, and closes it. */
void sw_loop_close(uv_loop_t *loop);

/* The same for a process about to exit while thread-pool work may still run (a health
 * re-check stuck on the database): closes every handle and finishes their close callbacks,
 * but does not wait for that work nor close the loop, which the work still belongs to. */
void sw_loop_abandon(uv_loop_t *loop);

#endif
