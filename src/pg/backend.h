/* The server session behind slipway's lock connection: the one session that holds the upgrade
 * lock and does all the work (README "Migrations", concurrency), so that if it dies, the work
 * dies with it.
 *
 * Its settings: a server-side idle_session_timeout or idle_in_transaction_session_timeout
 * must not end it (it is idle while a task runs), and client_connection_check_interval
 * (PostgreSQL 14+) makes its backend notice a dead slipway during a long statement, so a
 * SIGKILLed upgrader's statement, transaction and lock end within a second. RESET ALL, which
 * starts every migration from the same state, would undo them: they are part of the reset.
 * Never DISCARD ALL or pg_advisory_unlock_all: they would release the lock. */
#ifndef SLIPWAY_PG_BACKEND_H
#define SLIPWAY_PG_BACKEND_H

#include "base/err.h"
#include "pg/db.h"

#include <stdbool.h>

struct sw_backend {
    int pid;          /* pg_backend_pid(): the server's, whatever a pooler told libpq */
    int version;      /* PQserverVersion() */
    bool in_recovery; /* a hot standby */
    char reset_sql[320];
};

/* Applies the settings and learns pid and recovery state, in one round trip. */
int sw_backend_setup(struct sw_db *db, struct sw_backend *b, sw_err *err);

/* SQL that puts the session back as sw_backend_setup() left it (settings, role, session
 * authorization, search_path) without touching its locks; ends with "; ". */
const char *sw_backend_reset_sql(const struct sw_backend *b);

/* Whether db reaches PostgreSQL through a pooler that hands its statements to different
 * server sessions (PgBouncer's transaction or statement pooling), where a session advisory
 * lock means nothing. A pooler shows itself by the made-up process id it gives libpq; then
 * aux, a second connection to the same url, tells the modes apart: in transaction pooling
 * the idle server session db just used is handed to aux next (PgBouncer reuses the most
 * recent one), or db's next statement lands on another. 1: pooled, 0: one session is ours. */
int sw_backend_pooled(struct sw_db *db, const struct sw_backend *b, struct sw_db *aux, sw_err *err);

/* Terminates b's backend from aux, waiting for it to be gone (up to 1 s on PostgreSQL 14+):
 * its statement, its transaction and the lock end with it. */
int sw_backend_terminate(struct sw_db *aux, const struct sw_backend *b, sw_err *err);

#endif
