#include "pg/session.h"

#include "base/exitcodes.h"
#include "base/log.h"
#include "base/loop.h"
#include "base/termlog.h"
#include "pg/lock.h"

#include <signal.h>
#include <string.h>

/* Bound on the clean-up queries after a stop (unlock), so the exit stays prompt. */
#define CLEANUP_MS 500
/* Bound on ending an abandoned statement from a second connection (connect + terminate). */
#define TERMINATE_MS 1500

static const int stop_signals[SW_SESSION_SIGNALS] = {SIGTERM, SIGINT, SIGQUIT, SIGHUP};

static void on_signal(uv_signal_t *h, int signum)
{
    struct sw_session *s = h->data;
    if (!s->stop)
        s->stop = signum;
}

static int start_signals(struct sw_session *s)
{
    for (size_t i = 0; i < SW_SESSION_SIGNALS; i++) {
        int r = uv_signal_init(&s->loop, &s->signals[i]);
        if (r == 0) {
            s->signals[i].data = s;
            r = uv_signal_start(&s->signals[i], on_signal, stop_signals[i]);
        }
        if (r < 0) {
            sw_error("cannot watch signal %d: %s", stop_signals[i], uv_strerror(r));
            return -1;
        }
    }
    return 0;
}

int sw_session_stop_code(const struct sw_session *s)
{
    return SW_EXIT_SIGNAL_BASE + s->stop;
}

/* mw: the caller's work, done while the first attempt waits for the server; done here when
 * the connection failed before any attempt or never waited, so that its failure, which it
 * logged, is the one reported (a bad migration file comes before a bad url, as it did when
 * the files were read first). */
static int connect_db(struct sw_session *s, struct sw_db_meanwhile *mw)
{
    sw_err err;
    enum sw_db_connect_result r = sw_db_connect_meanwhile(&s->db, &s->loop, &s->stop,
                                                          &s->cfg->database, s->purpose, mw, &err);

    if (mw && r != SW_DB_STOP && sw_db_meanwhile_run(mw) != SW_EXIT_OK)
        return mw->rc;
    if (r == SW_DB_CONNECTED) {
        if (sw_backend_setup(s->db, &s->backend, &err) == 0)
            return SW_EXIT_OK;
        if (s->stop)
            return sw_session_stop_code(s);
        sw_error("cannot set up the database session: %s", err.msg);
        return SW_EXIT_FAIL;
    }
    if (r != SW_DB_STOP) {
        sw_error("%s", err.msg);
        return sw_db_connect_exit_code(r);
    }
    sw_info("stopped by signal %d while connecting", s->stop);
    return sw_session_stop_code(s);
}

/* A second, short connection to the same database: one attempt within timeout_ms, no stop
 * honoured (it serves the clean-up after one). NULL when it failed (logged). */
static struct sw_db *connect_aux(struct sw_session *s, const char *purpose, int64_t timeout_ms)
{
    struct sw_database quick = s->cfg->database;
    struct sw_db *aux;
    sw_err err;

    quick.wait_ms = 0;
    if (quick.connect_timeout_ms <= 0 || quick.connect_timeout_ms > timeout_ms)
        quick.connect_timeout_ms = timeout_ms;
    if (sw_db_connect(&aux, &s->loop, NULL, &quick, purpose, &err) != SW_DB_CONNECTED) {
        sw_warn("%s", err.msg);
        return NULL;
    }
    sw_db_cleanup(aux, timeout_ms);
    return aux;
}

/* A waiter that loses its connection (the server restarted) reconnects and waits on, within
 * what is left of lock_wait: nothing failed, so exit 1 would be the wrong answer. */
static int reconnect(struct sw_session *s, const sw_err *why)
{
    sw_warn("lost the database connection while waiting for the upgrade lock (%s); "
            "reconnecting",
            why->msg);
    sw_db_close(s->db);
    s->db = NULL;
    return connect_db(s, NULL);
}

static int64_t lock_wait_left(struct sw_session *s, uint64_t start)
{
    int64_t wait = s->cfg->migrations.lock_wait_ms, spent;

    if (wait < 0)
        return wait;
    uv_update_time(&s->loop);
    spent = (int64_t)(uv_now(&s->loop) - start);
    return spent < wait ? wait - spent : 0;
}

static int create_tables(struct sw_session *s)
{
    sw_err err;

    if (sw_history_create(s->db, &s->tables, &err) < 0) {
        sw_error("cannot create the slipway tables: %s", err.msg);
        return SW_EXIT_FAIL;
    }
    return SW_EXIT_OK;
}

static int note_history(struct sw_session *s)
{
    bool exists;
    sw_err err;

    if (sw_history_exists(s->db, &s->tables, &exists, &err) < 0) {
        sw_error("cannot read the upgrade history: %s", err.msg);
        return SW_EXIT_FAIL;
    }
    s->history_missing = !exists;
    return exists ? create_tables(s) : SW_EXIT_OK;
}

static int take_lock(struct sw_session *s, enum sw_session_kind kind)
{
    const struct sw_migrations_conf *mc = &s->cfg->migrations;
    uint64_t start;
    enum sw_lock_result r;
    sw_err err;
    int code;

    uv_update_time(&s->loop);
    start = uv_now(&s->loop);
    while ((r = sw_lock_acquire(s->db, mc->table, lock_wait_left(s, start), &s->progress, &err)) ==
               SW_LOCK_ERROR &&
           !sw_db_last_error(s->db) && !sw_db_stopped(s->db)) {
        if ((code = reconnect(s, &err)) != SW_EXIT_OK) {
            sw_progress_lock_wait_over(&s->progress, false);
            return code;
        }
    }
    sw_progress_lock_wait_over(&s->progress, r == SW_LOCK_HELD);
    /* for the run's summary and events: 0 when the lock was free */
    s->lock_wait_ms = sw_progress_lock_waited_ms(&s->progress);
    switch (r) {
    case SW_LOCK_HELD:
        s->locked = true;
        return kind == SW_SESSION_UPGRADE ? note_history(s) : create_tables(s);
    case SW_LOCK_TIMEOUT:
        sw_summary(SW_LOG_ERROR, "lock_timeout", SW_FIELDS(SW_NUM("waited_ms", s->lock_wait_ms)),
                   "%s", err.msg);
        return SW_EXIT_LOCK;
    case SW_LOCK_ERROR:
        sw_error("upgrade lock: %s", err.msg);
        return SW_EXIT_FAIL;
    case SW_LOCK_STOP:
        break;
    }
    sw_summary(SW_LOG_INFO, "lock_wait_stopped",
               SW_FIELDS(SW_NUM("waited_ms", s->lock_wait_ms), SW_NUM("signal", s->stop)),
               "stopped by signal %d after waiting %.1f s for the upgrade lock", s->stop,
               (double)s->lock_wait_ms / 1000.0);
    return sw_session_stop_code(s);
}

/* The lock must be the session's own: on a hot standby nothing can be written, and behind a
 * transaction pooler each statement may run in another server session. Either is said at
 * once, before anything runs: exit 3, as for a database that cannot be reached. */
static int check_primary_session(struct sw_session *s)
{
    struct sw_db *aux;
    sw_err err;
    int pooled;

    if (s->backend.in_recovery) {
        sw_error("the database server is a hot standby (pg_is_in_recovery() is true): slipway %s "
                 "writes, so it needs the primary; list the hosts in the url with "
                 "target_session_attrs=read-write",
                 s->purpose);
        return SW_EXIT_UNREACHABLE;
    }
    if (sw_db_client_pid(s->db) == s->backend.pid)
        return SW_EXIT_OK; /* libpq talks to the backend itself */
    aux = connect_aux(s, "pooler check",
                      s->cfg->database.connect_timeout_ms > 0 ? s->cfg->database.connect_timeout_ms
                                                              : 5000);
    if (!aux)
        return SW_EXIT_UNREACHABLE;
    pooled = sw_backend_pooled(s->db, &s->backend, aux, &err);
    sw_db_close(aux);
    if (pooled < 0) {
        sw_error("cannot check the connection pooler: %s", err.msg);
        return s->stop ? sw_session_stop_code(s) : SW_EXIT_FAIL;
    }
    if (pooled) {
        sw_error("the database url leads to a connection pooler in transaction mode (the server "
                 "session changes between statements), where the upgrade lock means nothing: "
                 "point slipway %s at a direct connection to PostgreSQL (or a session-mode pool)",
                 s->purpose);
        return SW_EXIT_UNREACHABLE;
    }
    sw_debug("connected through a pooler in session mode");
    return SW_EXIT_OK;
}

static bool takes_lock(enum sw_session_kind kind)
{
    return kind == SW_SESSION_LOCK || kind == SW_SESSION_UPGRADE;
}

int sw_session_open(struct sw_session *s, const struct sw_config *cfg, const char *purpose,
                    enum sw_session_kind kind, const struct sw_session_watch *watch,
                    struct sw_db_meanwhile *meanwhile)
{
    sw_err err;
    int r;

    memset(s, 0, sizeof *s);
    s->cfg = cfg;
    s->purpose = purpose;
    r = uv_loop_init(&s->loop);
    if (r < 0) {
        sw_error("cannot create the event loop: %s", uv_strerror(r));
        return SW_EXIT_FAIL;
    }
    s->loop_ready = true;
    if (start_signals(s) < 0)
        return SW_EXIT_FAIL;
    s->watch = watch;
    if (watch)
        watch->opened(s, watch->arg);
    if (kind == SW_SESSION_LOOP)
        return SW_EXIT_OK;
    r = connect_db(s, meanwhile);
    if (r == SW_EXIT_OK && takes_lock(kind))
        r = check_primary_session(s);
    if (r != SW_EXIT_OK)
        return r;
    if (sw_tables_init(&s->tables, s->db, cfg->migrations.table, &err) < 0) {
        sw_error("[migrations] table: %s", err.msg);
        return SW_EXIT_USAGE;
    }
    return takes_lock(kind) ? take_lock(s, kind) : SW_EXIT_OK;
}

/* The connection was abandoned mid-statement: its backend may still run that statement, and
 * holds the lock while it does. Gone before we are, within TERMINATE_MS. */
static void terminate_own_backend(struct sw_session *s)
{
    struct sw_db *aux = connect_aux(s, "clean-up", TERMINATE_MS);
    sw_err err;

    if (!aux || sw_backend_terminate(aux, &s->backend, &err) < 0)
        sw_warn("cannot end our abandoned statement on the server (pid %d)%s%s; it ends when "
                "the server notices we are gone",
                s->backend.pid, aux ? ": " : "", aux ? err.msg : "");
    else
        sw_info("ended our abandoned statement on the server (pid %d)", s->backend.pid);
    sw_db_close(aux);
}

void sw_session_close(struct sw_session *s)
{
    sw_err err;

    if (s->locked && !sw_db_broken(s->db)) {
        sw_db_cleanup(s->db, CLEANUP_MS);
        if (sw_lock_release(s->db, s->cfg->migrations.table, &err) < 0 && !sw_db_broken(s->db))
            sw_warn("cannot release the upgrade lock (the server drops it as we disconnect): "
                    "%s",
                    err.msg);
    }
    sw_progress_lock_released(&s->progress);
    if (s->locked && sw_db_abandoned(s->db))
        terminate_own_backend(s);
    sw_db_close(s->db);
    sw_tables_free(&s->tables);
    if (s->watch)
        s->watch->closing(s->watch->arg);
    if (s->loop_ready)
        sw_loop_close(&s->loop);
    memset(s, 0, sizeof *s);
}
