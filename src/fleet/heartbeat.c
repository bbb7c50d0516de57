#include "fleet/heartbeat.h"

#include "base/log.h"
#include "base/loop.h"
#include "fleet/instance.h"
#include "fleet/registry.h"
#include "pg/db.h"
#include "pg/dynlib.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum job { JOB_BEAT, JOB_LEAVE };

struct sw_heartbeat {
    uv_loop_t *loop;
    const struct sw_config *cfg;
    char instance[SW_INSTANCE_MAX];
    char table[300];
    bool has_requires;
    struct sw_version requires;
    long long started;
    uv_timer_t timer;
    uv_work_t work;
    enum job job;
    bool busy;       /* a job is on the thread pool */
    bool leaving;    /* sw_heartbeat_leave() was called */
    bool registered; /* a beat has succeeded: there may be a row to delete */
    bool failing;    /* the last beat failed; its warning was given */
    unsigned beats;
    struct sw_fleet view; /* the fleet at the last beat that read it (loop thread) */
    /* the job's outcome, written by the worker, read after it completed */
    struct sw_fleet next; /* read after a beat, when /metrics can show it */
    bool next_read;       /* next holds a fresh view */
    bool ok;
    sw_err err;
    char sqlstate[6];
};

/* ---- on the thread pool ------------------------------------------------------------------ */

static void note_sqlstate(struct sw_heartbeat *hb, struct sw_db *db)
{
    const PGresult *r = db ? sw_db_last_error(db) : NULL;
    const char *state = r ? sw_pq->PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;

    snprintf(hb->sqlstate, sizeof hb->sqlstate, "%s", state ? state : "");
}

/* After a beat, on its connection: the fleet for /metrics, which a scrape then never has to
 * read itself. Only with health_listen: nothing else shows it. */
static void read_view(struct sw_heartbeat *hb, struct sw_db *db)
{
    sw_err err;

    if (hb->job != JOB_BEAT || !hb->ok || !hb->cfg->serve.health_listen)
        return;
    hb->next_read =
        sw_fleet_read(db, hb->table, hb->cfg->migrations.fleet_ttl_ms, NULL, &hb->next, &err) == 0;
    if (!hb->next_read)
        sw_debug("fleet: cannot read the registry for /metrics: %s", err.msg);
}

/* One connection attempt and one statement (two with health_listen), within connect_timeout. */
static void run_job(uv_work_t *w)
{
    struct sw_heartbeat *hb = w->data;
    struct sw_database once = hb->cfg->database;
    struct sw_db *db = NULL;
    uv_loop_t loop;

    hb->ok = false;
    hb->sqlstate[0] = '\0';
    if (uv_loop_init(&loop) < 0) {
        sw_err_set(&hb->err, "cannot create an event loop");
        return;
    }
    once.wait_ms = 0; /* the next beat retries */
    if (sw_db_connect(&db, &loop, NULL, &once, "fleet", &hb->err) == SW_DB_CONNECTED) {
        sw_db_cleanup(db, once.connect_timeout_ms > 0 ? once.connect_timeout_ms : -1);
        hb->ok =
            (hb->job == JOB_BEAT
                 ? sw_fleet_beat(db, hb->table, hb->instance, hb->cfg->serve.image,
                                 hb->has_requires ? &hb->requires : NULL, hb->started, &hb->err)
                 : sw_fleet_leave(db, hb->table, hb->instance, &hb->err)) == 0;
        note_sqlstate(hb, db);
        read_view(hb, db);
    }
    sw_db_close(db);
    sw_loop_close(&loop);
}

/* ---- on the supervisor's loop ------------------------------------------------------------ */

static const char *hint(const struct sw_heartbeat *hb)
{
    if (strcmp(hb->sqlstate, "42501") == 0)
        return " (the role needs SELECT, INSERT, UPDATE and DELETE on slipway_fleet: README "
               "\"Fleet and contract migrations\")";
    if (strcmp(hb->sqlstate, "42P01") == 0)
        return " (--upgrade creates it)";
    return "";
}

static void report_beat(struct sw_heartbeat *hb)
{
    char v[SW_VERSION_TEXT_MAX];

    hb->beats++;
    sw_debug("fleet: beat %u %s", hb->beats, hb->ok ? "recorded" : hb->err.msg);
    if (hb->ok && !hb->registered)
        sw_info("fleet: registered as %s (image %s, requires %s)", hb->instance,
                hb->cfg->serve.image ? hb->cfg->serve.image : "unlabelled",
                hb->has_requires ? sw_version_format(&hb->requires, '.', v) : "nothing");
    else if (hb->ok && hb->failing)
        sw_info("fleet: registered again as %s", hb->instance);
    else if (!hb->ok && !hb->failing)
        sw_warn("fleet: cannot register this replica in %s: %s%s; serving on unregistered",
                hb->table, hb->err.msg, hint(hb));
    hb->failing = !hb->ok;
    hb->registered |= hb->ok;
}

static void job_done(uv_work_t *w, int status);

static void start_job(struct sw_heartbeat *hb, enum job job)
{
    hb->job = job;
    hb->work.data = hb;
    if (uv_queue_work(hb->loop, &hb->work, run_job, job_done) == 0)
        hb->busy = true;
    else
        sw_warn("fleet: cannot queue the %s", job == JOB_BEAT ? "heartbeat" : "deregistration");
}

static void job_done(uv_work_t *w, int status)
{
    struct sw_heartbeat *hb = w->data;

    hb->busy = false;
    if (hb->job == JOB_LEAVE) {
        if (status < 0 || !hb->ok)
            sw_warn("fleet: cannot remove %s from %s: %s (it expires after fleet_ttl)",
                    hb->instance, hb->table, status < 0 ? "cancelled" : hb->err.msg);
        else
            sw_debug("fleet: %s removed", hb->instance);
        return;
    }
    if (status == 0)
        report_beat(hb);
    if (hb->next_read) { /* else the last known view stays */
        sw_fleet_free(&hb->view);
        hb->view = hb->next;
        memset(&hb->next, 0, sizeof hb->next);
        hb->next_read = false;
    }
    if (hb->leaving && hb->registered)
        start_job(hb, JOB_LEAVE);
}

/* A beat still in flight is not doubled: a slow server gets one connection at a time. */
static void on_tick(uv_timer_t *t)
{
    struct sw_heartbeat *hb = t->data;

    if (!hb->busy)
        start_job(hb, JOB_BEAT);
}

/* The first beat waits 0.25-1.25 s, spread by the instance name: it is a connection, the
 * libuv thread pool's threads and a backend forked by PostgreSQL, and at once it took that CPU
 * from the server's own start (10 gated supervisors on 2 CPUs, COMMIT to server started: 257 ms
 * median with it, 160 without). Spread, a rollout of many replicas does not open all their
 * connections in the same instant. A contract migration re-checks the fleet every second. */
static uint64_t first_beat_ms(const struct sw_heartbeat *hb)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    uint64_t ms;

    for (const char *c = hb->instance; *c; c++)
        h = (h ^ (unsigned char)*c) * 16777619u;
    ms = 250 + h % 1000;
    return ms < (uint64_t)hb->cfg->serve.heartbeat_ms ? ms : (uint64_t)hb->cfg->serve.heartbeat_ms;
}

struct sw_heartbeat *sw_heartbeat_start(uv_loop_t *loop, const struct sw_config *cfg,
                                        const struct sw_version *requires)
{
    struct sw_heartbeat *hb = calloc(1, sizeof *hb);

    if (!hb) {
        sw_warn("fleet: out of memory: serving unregistered");
        return NULL;
    }
    hb->loop = loop;
    hb->cfg = cfg;
    hb->started = (long long)time(NULL);
    hb->has_requires = requires != NULL;
    if (requires)
    hb->requires = *requires;
    sw_instance_id(hb->instance, sizeof hb->instance);
    sw_fleet_table(cfg, hb->table, sizeof hb->table);
    hb->timer.data = hb;
    if (uv_timer_init(loop, &hb->timer) < 0) {
        sw_warn("fleet: cannot create the heartbeat timer: serving unregistered");
        free(hb);
        return NULL;
    }
    if (uv_timer_start(&hb->timer, on_tick, first_beat_ms(hb), (uint64_t)cfg->serve.heartbeat_ms) <
        0) {
        sw_warn("fleet: cannot start the heartbeat timer: serving unregistered");
        hb->leaving = true;
        uv_close((uv_handle_t *)&hb->timer, NULL);
    }
    return hb;
}

void sw_heartbeat_leave(struct sw_heartbeat *hb)
{
    if (!hb || hb->leaving)
        return;
    hb->leaving = true;
    uv_close((uv_handle_t *)&hb->timer, NULL);
    if (!hb->busy && hb->registered)
        start_job(hb, JOB_LEAVE);
}

void sw_heartbeat_free(struct sw_heartbeat *hb)
{
    /* A job still on the thread pool (the loop was abandoned, the process exits) uses hb. */
    if (!hb || hb->busy)
        return;
    sw_fleet_free(&hb->view);
    sw_fleet_free(&hb->next);
    free(hb);
}

const struct sw_fleet *sw_heartbeat_fleet(const struct sw_heartbeat *hb)
{
    return hb ? &hb->view : NULL;
}
