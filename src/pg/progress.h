/* How far an upgrade (or task) run has come: the upgrade lock waited for and held, the
 * migrations applied and pending, the one running now. The run writes it as it goes; a health
 * server on the run's loop reads it for /metrics (health/jobhealth.h), so a scrape never asks
 * the database. Times are on the monotonic clock: a wait is measured as it goes on. */
#ifndef SLIPWAY_PG_PROGRESS_H
#define SLIPWAY_PG_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SW_PROGRESS_NAME_MAX 256

struct sw_progress {
    bool lock_waiting;      /* a poll found the lock taken, and it is not ours yet */
    uint64_t wait_since_ns; /* when this wait began */
    uint64_t waited_ns;     /* waits that are over */
    bool lock_held;
    uint64_t held_since_ns;
    uint64_t held_ns; /* holds that are over */
    bool plan_known;  /* the history was read under the lock: the counts below mean something */
    size_t applied, pending;
    char running[SW_PROGRESS_NAME_MAX]; /* the migration running now, "" between them */
};

/* A poll found the lock taken (again): the wait starts at the first one. */
void sw_progress_lock_waiting(struct sw_progress *p);
/* The wait is over; held: with the lock ours. */
void sw_progress_lock_wait_over(struct sw_progress *p, bool held);
void sw_progress_lock_released(struct sw_progress *p);
/* Live figures: a wait or hold still going on counts up to now. */
double sw_progress_lock_wait_seconds(const struct sw_progress *p);
double sw_progress_lock_held_seconds(const struct sw_progress *p);
int64_t sw_progress_lock_waited_ms(const struct sw_progress *p);

/* The plan is known: pending migrations to apply. */
void sw_progress_plan(struct sw_progress *p, size_t pending);
/* name starts running; NULL: the one running is done (applied: it counts as applied). */
void sw_progress_running(struct sw_progress *p, const char *name);
void sw_progress_applied(struct sw_progress *p);

#endif
