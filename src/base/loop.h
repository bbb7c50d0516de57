/* Tearing down an event loop: every mode ends the same way. */
#ifndef SLIPWAY_BASE_LOOP_H
#define SLIPWAY_BASE_LOOP_H

#include <uv.h>

/* Closes every handle still open on loop (signal watchers, timers, sockets, what connections
 * left closing), runs the loop until their close callbacks are done, and closes it. */
void sw_loop_close(uv_loop_t *loop);

#endif
