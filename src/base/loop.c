#include "base/loop.h"

#include "base/log.h"

int64_t sw_loop_now_ms(uv_loop_t *loop)
{
    uv_update_time(loop);
    return (int64_t)uv_now(loop);
}

static void close_handle(uv_handle_t *h, void *arg)
{
    (void)arg;
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

void sw_loop_abandon(uv_loop_t *loop)
{
    uv_walk(loop, close_handle, NULL);
    uv_run(loop, UV_RUN_NOWAIT); /* close callbacks run in this iteration */
}

void sw_loop_close(uv_loop_t *loop)
{
    uv_walk(loop, close_handle, NULL);
    uv_run(loop, UV_RUN_DEFAULT);
    if (uv_loop_close(loop) < 0)
        sw_debug("event loop still busy at exit");
}
