#include "pg/lock.h"

#include "base/log.h"
#include "pg/dynlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOCK_CLASS "1936484720" /* "slip" */
#define POLL_MS 500
#define REPORT_EVERY_MS 5000

static int try_lock(struct sw_db *db, const char *table, bool *got, sw_err *err)
{
    const char *params[] = {table};
    PGresult *r = sw_db_execp(db, "SELECT pg_try_advisory_lock(" LOCK_CLASS ", hashtext($1))", 1,
                              params, err);

    if (!r)
        return -1;
    *got = strcmp(sw_pq->PQgetvalue(r, 0, 0), "t") == 0;
    sw_pq->PQclear(r);
    return 0;
}

int sw_lock_holder(struct sw_db *db, const char *table, struct sw_lock_holder *h, sw_err *err)
{
    const char *params[] = {table};
    /* backend_start is NULL only when PostgreSQL hides the session's details from us */
    PGresult *r = sw_db_execp(
        db,
        "SELECT l.pid, coalesce(a.application_name, ''), a.backend_start IS NULL, current_user, "
        "coalesce(host(a.client_addr), 'local socket'), "
        "coalesce(to_char(a.backend_start, 'YYYY-MM-DD\"T\"HH24:MI:SSOF'), '') "
        "FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid "
        "WHERE l.locktype = 'advisory' AND l.granted AND l.database = "
        "(SELECT oid FROM pg_database WHERE datname = current_database()) "
        "AND l.classid = " LOCK_CLASS "::oid AND l.objid = hashtext($1)::oid AND l.objsubid = 2 "
        "LIMIT 1",
        1, params, err);

    memset(h, 0, sizeof *h);
    if (!r)
        return -1;
    if (sw_pq->PQntuples(r) == 1) {
        h->held = true;
        h->pid = atoi(sw_pq->PQgetvalue(r, 0, 0));
        snprintf(h->application_name, sizeof h->application_name, "%s", sw_pq->PQgetvalue(r, 0, 1));
        h->hidden = strcmp(sw_pq->PQgetvalue(r, 0, 2), "t") == 0;
        snprintf(h->viewer, sizeof h->viewer, "%s", sw_pq->PQgetvalue(r, 0, 3));
        if (!h->hidden) {
            snprintf(h->client, sizeof h->client, "%s", sw_pq->PQgetvalue(r, 0, 4));
            snprintf(h->since, sizeof h->since, "%s", sw_pq->PQgetvalue(r, 0, 5));
        }
    }
    sw_pq->PQclear(r);
    return 0;
}

void sw_lock_holder_describe(const struct sw_lock_holder *h, char *buf, size_t size)
{
    if (h->hidden)
        snprintf(buf, size,
                 "pid %d '%s', another role's session (its address and start time are hidden "
                 "from role %s: grant it pg_read_all_stats to see them)",
                 h->pid, h->application_name, h->viewer);
    else
        snprintf(buf, size, "pid %d '%s' from %s since %s", h->pid, h->application_name, h->client,
                 h->since);
}

static void report_holder(struct sw_db *db, const char *table, int64_t waited_ms)
{
    struct sw_lock_holder h;
    sw_err err;

    if (sw_lock_holder(db, table, &h, &err) < 0)
        sw_event(SW_LOG_WARN, "lock_waiting",
                 SW_FIELDS(SW_NUM("waited_ms", waited_ms), SW_STR("holder", NULL),
                           SW_STR("error", err.msg)),
                 "waiting for the upgrade lock (holder unknown: %s)", err.msg);
    else if (h.held) {
        char who[sizeof h.application_name + sizeof h.viewer + 256];
        sw_lock_holder_describe(&h, who, sizeof who);
        sw_event(SW_LOG_INFO, "lock_waiting",
                 SW_FIELDS(SW_NUM("waited_ms", waited_ms), SW_STR("holder", h.application_name),
                           SW_NUM("holder_pid", h.pid),
                           SW_STR("holder_client", h.hidden ? NULL : h.client),
                           SW_STR("holder_since", h.hidden ? NULL : h.since)),
                 "waiting for the upgrade lock for %lld s: held by %s",
                 (long long)(waited_ms / 1000), who);
    } else
        sw_event(SW_LOG_INFO, "lock_waiting",
                 SW_FIELDS(SW_NUM("waited_ms", waited_ms), SW_STR("holder", NULL)),
                 "waiting for the upgrade lock for %lld s", (long long)(waited_ms / 1000));
}

enum sw_lock_result sw_lock_acquire(struct sw_db *db, const char *table, int64_t wait_ms,
                                    struct sw_progress *p, sw_err *err)
{
    int64_t waited = 0, next_report = 0;

    for (;;) {
        bool got;
        if (try_lock(db, table, &got, err) < 0)
            return sw_db_stopped(db) ? SW_LOCK_STOP : SW_LOCK_ERROR;
        if (got)
            return SW_LOCK_HELD;
        sw_progress_lock_waiting(p);
        if (wait_ms >= 0 && waited >= wait_ms) {
            sw_err_set(err, "upgrade lock not obtained within %lld ms", (long long)wait_ms);
            return SW_LOCK_TIMEOUT;
        }
        if (waited >= next_report) {
            report_holder(db, table, waited);
            next_report += REPORT_EVERY_MS;
        }
        /* Counting sleeps, not wall time: the queries in between are short, and the bound is
         * the configured one to within one poll interval. */
        int64_t nap = wait_ms >= 0 && wait_ms - waited < POLL_MS ? wait_ms - waited : POLL_MS;
        if (!sw_db_sleep(db, nap))
            return SW_LOCK_STOP;
        waited += nap;
    }
}

int sw_lock_release(struct sw_db *db, const char *table, sw_err *err)
{
    const char *params[] = {table};
    return sw_db_commandp(db, "SELECT pg_advisory_unlock(" LOCK_CLASS ", hashtext($1))", 1, params,
                          err);
}
