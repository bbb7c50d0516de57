#include "gate.h"

#include "exitcodes.h"
#include "log.h"

int sw_gate_wait(uv_loop_t *loop, const struct sw_config *cfg, const int *stop_signal)
{
    (void)loop;
    (void)stop_signal;
    if (!sw_config_serve_needs_database(cfg))
        return SW_EXIT_OK;
    sw_error("wait_for needs the database layer");
    return SW_EXIT_USAGE;
}
