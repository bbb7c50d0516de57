/* What upgrade, task and status share: an event loop whose signal watchers (TERM, INT, QUIT,
 * HUP) turn a signal into a stop request, the connection, the quoted table names, and for
 * upgrade and task the upgrade lock held on that connection, which then does all the work
 * (pg/backend.h). */
#ifndef SLIPWAY_PG_SESSION_H
#define SLIPWAY_PG_SESSION_H

#include "config/config.h"
#include "pg/backend.h"
#include "pg/db.h"
#include "pg/history.h"
#include "pg/progress.h"

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#define SW_SESSION_SIGNALS 4

struct sw_session;

/* Someone to tell when the session's loop is up (before it connects) and when it is about to be
 * torn down: main.c serves an upgrade's /metrics on that loop (health/jobhealth.h), which
 * turns whenever the session waits, on the database or on the lock. */
struct sw_session_watch {
    void (*opened)(struct sw_session *s, void *arg);
    void (*closing)(void *arg);
    void *arg;
};

struct sw_session {
    const struct sw_config *cfg;
    const char *purpose; /* names the connections: "slipway PURPOSE (HOSTNAME)" */
    uv_loop_t loop;
    uv_signal_t signals[SW_SESSION_SIGNALS];
    int stop;         /* the first stop signal received, 0 before */
    struct sw_db *db; /* the connection: lock, migrations, history, tasks, status */
    struct sw_backend backend;
    struct sw_tables tables;
    bool locked;
    int64_t lock_wait_ms;        /* how long the upgrade lock was waited for (0: it was free) */
    struct sw_progress progress; /* the lock, and what the upgrade writes of its own */
    const struct sw_session_watch *watch; /* NULL: none */
    bool loop_ready;
    bool history_missing; /* SW_SESSION_UPGRADE: no history table yet, none created */
};

enum sw_session_kind {
    SW_SESSION_LOOP, /* wait: the loop and stop signals only; it connects on its own */
    SW_SESSION_READ, /* status: connect, nothing else */
    SW_SESSION_LOCK, /* task: refuse a standby or a transaction pooler, take the upgrade lock,
                        create the tables */
    /* upgrade: the same, but create the tables only when the history table exists (to convert
     * it or add slipway_tasks), else leave them to the upgrade, which may adopt another tool's
     * history in the transaction that creates them */
    SW_SESSION_UPGRADE,
};

/* Returns SW_EXIT_OK, or the exit code to end with (the reason logged); call
 * sw_session_close() either way. purpose names the connection: "slipway PURPOSE (HOSTNAME)".
 * watch, when not NULL, must outlive the session. meanwhile (may be NULL): work done while the
 * connection starts (pg/db.h), always done unless a stop came first, s->cfg set; its failure
 * (an exit code, logged by it) is what this returns then. */
int sw_session_open(struct sw_session *s, const struct sw_config *cfg, const char *purpose,
                    enum sw_session_kind kind, const struct sw_session_watch *watch,
                    struct sw_db_meanwhile *meanwhile);
/* Releases the lock, closes the connection, tears the loop down. When the connection was
 * abandoned mid-statement (a stop whose cancel did not land in time), its backend is
 * terminated from a second short connection first, bounded: the statement is gone when
 * slipway is. */
void sw_session_close(struct sw_session *s);
/* 128 + the stop signal. */
int sw_session_stop_code(const struct sw_session *s);

#endif
