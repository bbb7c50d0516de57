#include "pg/progress.h"

#include <stdio.h>
#include <uv.h>

/* Total so far, plus the part still going on. */
static uint64_t live_ns(bool going, uint64_t since, uint64_t over)
{
    return over + (going ? uv_hrtime() - since : 0);
}

void sw_progress_lock_waiting(struct sw_progress *p)
{
    if (p->lock_waiting)
        return;
    p->lock_waiting = true;
    p->wait_since_ns = uv_hrtime();
}

void sw_progress_lock_wait_over(struct sw_progress *p, bool held)
{
    uint64_t now = uv_hrtime();

    if (p->lock_waiting)
        p->waited_ns += now - p->wait_since_ns;
    p->lock_waiting = false;
    p->lock_held = held;
    p->held_since_ns = now;
}

void sw_progress_lock_released(struct sw_progress *p)
{
    p->held_ns = live_ns(p->lock_held, p->held_since_ns, p->held_ns);
    p->lock_held = false;
}

double sw_progress_lock_wait_seconds(const struct sw_progress *p)
{
    return (double)live_ns(p->lock_waiting, p->wait_since_ns, p->waited_ns) / 1e9;
}

double sw_progress_lock_held_seconds(const struct sw_progress *p)
{
    return (double)live_ns(p->lock_held, p->held_since_ns, p->held_ns) / 1e9;
}

int64_t sw_progress_lock_waited_ms(const struct sw_progress *p)
{
    return (int64_t)(live_ns(p->lock_waiting, p->wait_since_ns, p->waited_ns) / 1000000);
}

void sw_progress_plan(struct sw_progress *p, size_t pending)
{
    p->plan_known = true;
    p->applied = 0;
    p->pending = pending;
}

void sw_progress_running(struct sw_progress *p, const char *name)
{
    snprintf(p->running, sizeof p->running, "%s", name ? name : "");
}

void sw_progress_applied(struct sw_progress *p)
{
    p->applied++;
    if (p->pending > 0)
        p->pending--;
    p->running[0] = '\0';
}
