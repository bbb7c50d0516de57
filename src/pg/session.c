#include "pg/session.h"

#include "base/exitcodes.h"
#include "base/log.h"
#include "base/loop.h"
#include "pg/lock.h"

#include <signal.h>
#include <string.h>

/* Bound on the clean-up queries after a stop (unlock), so the exit stays prompt. */
#define CLEANUP_MS 500

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

int sw_session_connect(struct sw_session *s, struct sw_db **out, const char *purpose)
{
    sw_err err;
    enum sw_db_connect_result r =
        sw_db_connect(out, &s->loop, &s->stop, &s->cfg->database, purpose, &err);

    if (r == SW_DB_CONNECTED)
        return SW_EXIT_OK;
    if (r != SW_DB_STOP) {
        sw_error("%s", err.msg);
        return sw_db_connect_exit_code(r);
    }
    sw_info("stopped by signal %d while connecting", s->stop);
    return sw_session_stop_code(s);
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
    return sw_session_connect(s, &s->db, s->purpose);
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

static int take_lock(struct sw_session *s)
{
    const struct sw_migrations_conf *mc = &s->cfg->migrations;
    uint64_t start;
    enum sw_lock_result r;
    sw_err err;
    int code;

    uv_update_time(&s->loop);
    start = uv_now(&s->loop);
    while ((r = sw_lock_acquire(s->db, mc->table, lock_wait_left(s, start), &err)) ==
               SW_LOCK_ERROR &&
           !sw_db_last_error(s->db) && !sw_db_stopped(s->db)) {
        if ((code = reconnect(s, &err)) != SW_EXIT_OK)
            return code;
    }
    switch (r) {
    case SW_LOCK_HELD:
        s->locked = true;
        if (sw_history_create(s->db, &s->tables, &err) < 0) {
            sw_error("cannot create the slipway tables: %s", err.msg);
            return SW_EXIT_FAIL;
        }
        return SW_EXIT_OK;
    case SW_LOCK_TIMEOUT:
        sw_error("%s", err.msg);
        return SW_EXIT_LOCK;
    case SW_LOCK_ERROR:
        sw_error("upgrade lock: %s", err.msg);
        return SW_EXIT_FAIL;
    case SW_LOCK_STOP:
        break;
    }
    sw_info("stopped by signal %d while waiting for the upgrade lock", s->stop);
    return sw_session_stop_code(s);
}

int sw_session_open(struct sw_session *s, const struct sw_config *cfg, const char *purpose,
                    enum sw_session_kind kind)
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
    if (kind == SW_SESSION_LOOP)
        return SW_EXIT_OK;
    r = sw_session_connect(s, &s->db, purpose);
    if (r != SW_EXIT_OK)
        return r;
    if (sw_tables_init(&s->tables, s->db, cfg->migrations.table, &err) < 0) {
        sw_error("[migrations] table: %s", err.msg);
        return SW_EXIT_USAGE;
    }
    return kind == SW_SESSION_LOCK ? take_lock(s) : SW_EXIT_OK;
}

void sw_session_close(struct sw_session *s)
{
    sw_err err;

    if (s->locked) {
        sw_db_cleanup(s->db, CLEANUP_MS);
        if (sw_lock_release(s->db, s->cfg->migrations.table, &err) < 0)
            sw_warn("cannot release the upgrade lock (the server drops it as we disconnect): "
                    "%s",
                    err.msg);
    }
    sw_db_close(s->db);
    sw_tables_free(&s->tables);
    if (s->loop_ready)
        sw_loop_close(&s->loop);
    memset(s, 0, sizeof *s);
}
