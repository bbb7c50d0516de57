/* The upgrade lock: one upgrade (or task run) at a time per database and history table.
 *
 * A session-level advisory lock held by a dedicated connection, keyed
 * (1936484720, hashtext(TABLE)) where 1936484720 is "slip" in ASCII and TABLE the configured
 * [migrations] table string; from psql: SELECT pg_advisory_lock(1936484720,
 * hashtext('slipway_migrations')). It is polled with pg_try_advisory_lock: a blocked
 * pg_advisory_lock would hold a snapshot that makes CREATE INDEX CONCURRENTLY on the work
 * connection wait for it forever. The server drops it when the session ends, so a killed
 * upgrader never leaves it behind. */
#ifndef SLIPWAY_PG_LOCK_H
#define SLIPWAY_PG_LOCK_H

#include "base/err.h"
#include "pg/db.h"
#include "pg/progress.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum sw_lock_result { SW_LOCK_HELD = 0, SW_LOCK_ERROR, SW_LOCK_TIMEOUT, SW_LOCK_STOP };

/* Polls every 500 ms for up to wait_ms (-1: forever), logging the holder every 5 s. Marks p
 * waiting when a poll found the lock taken (never ends the wait: the caller does, so a wait
 * is one across reconnections). */
enum sw_lock_result sw_lock_acquire(struct sw_db *db, const char *table, int64_t wait_ms,
                                    struct sw_progress *p, sw_err *err);
int sw_lock_release(struct sw_db *db, const char *table, sw_err *err);

struct sw_lock_holder {
    bool held;
    int pid;
    char application_name[128];
    /* PostgreSQL shows another role's sessions without their address and start time unless
     * the viewing role has pg_read_all_stats: then client and since are empty. */
    bool hidden;
    char viewer[64]; /* current_user, who could not see them */
    char client[64]; /* client address, or "local socket" */
    char since[64];  /* backend_start */
};

/* Who holds the lock now, if anyone. */
int sw_lock_holder(struct sw_db *db, const char *table, struct sw_lock_holder *h, sw_err *err);
/* "pid 42 'slipway upgrade (web-1)' from 10.0.0.5 since 2026-…", or, when hidden, what is
 * known and why the rest is not. */
void sw_lock_holder_describe(const struct sw_lock_holder *h, char *buf, size_t size);

#endif
