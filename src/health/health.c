#include "health/health.h"

#include "base/exitcodes.h"
#include "base/loop.h"
#include "migdir/migration.h"
#include "pg/dynlib.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int add_shipped(struct sw_requirements *req, uint64_t v, size_t *cap, sw_err *err)
{
    if (req->n_shipped == *cap) {
        size_t n = *cap ? *cap * 2 : 64;
        uint64_t *more = realloc(req->shipped, n * sizeof *more);
        if (!more) {
            sw_err_set(err, "out of memory");
            return -1;
        }
        req->shipped = more;
        *cap = n;
    }
    req->shipped[req->n_shipped++] = v;
    return 0;
}

/* The versions among the file names of dir, and the highest; a missing dir ships nothing. */
static int read_shipped(struct sw_requirements *req, const char *dir, uint64_t *highest,
                        sw_err *err)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    size_t cap = 0;
    int rc = 0;

    *highest = 0;
    if (!d) {
        if (errno == ENOENT)
            return 0;
        sw_err_set(err, "migrations dir '%s': %s", dir, strerror(errno));
        return -1;
    }
    while (rc == 0 && (e = readdir(d))) {
        uint64_t v;
        enum sw_name_result r = sw_migration_parse_name(e->d_name, &v, err);
        if (r == SW_NAME_INVALID)
            rc = -1;
        else if (r == SW_NAME_MIGRATION)
            rc = add_shipped(req, v, &cap, err);
        if (rc == 0 && r == SW_NAME_MIGRATION && v > *highest)
            *highest = v;
    }
    closedir(d);
    return rc;
}

static bool named(char *const *only, const char *name)
{
    for (; *only; only++)
        if (strcmp(*only, name) == 0)
            return true;
    return false;
}

/* The dependencies named in only (all that health checks when NULL), at schema. */
static int select_dependencies(struct sw_requirements *req, const struct sw_config *cfg,
                               uint64_t schema, char *const *only, sw_err *err)
{
    req->schema = schema;
    req->database = only ? named(only, "database") : schema > 0;
    req->tasks = calloc(cfg->n_tasks + 1, sizeof *req->tasks);
    req->n_tasks = 0;
    if (!req->tasks) {
        sw_err_set(err, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < cfg->n_tasks; i++) {
        const struct sw_task *t = &cfg->tasks[i];
        if (only ? named(only, t->name) : t->required)
            req->tasks[req->n_tasks++] = t;
    }
    return 0;
}

/* With `requires` set the file names only count the pending migrations: a directory that
 * cannot be read costs that count, not the health check. */
int sw_requirements_load(struct sw_requirements *req, const struct sw_config *cfg, sw_err *err)
{
    const struct sw_opt_u64 *requires = &cfg->database.requires;
    uint64_t highest;

    memset(req, 0, sizeof *req);
    req->shipped_known = read_shipped(req, cfg->migrations.dir, &highest, err) == 0;
    if (!req->shipped_known && !requires->set) {
        free(req->shipped);
        return -1;
    }
    if (!req->shipped_known)
        req->n_shipped = 0;
    if (select_dependencies(req, cfg, requires->set ? requires->value : highest, NULL, err) < 0) {
        free(req->shipped);
        return -1;
    }
    return 0;
}

int sw_requirements_narrow(struct sw_requirements *req, const struct sw_requirements *all,
                           const struct sw_config *cfg, char *const *only, sw_err *err)
{
    memset(req, 0, sizeof *req);
    req->shipped = all->n_shipped ? malloc(all->n_shipped * sizeof *req->shipped) : NULL;
    if (all->n_shipped && !req->shipped) {
        sw_err_set(err, "out of memory");
        return -1;
    }
    if (all->n_shipped)
        memcpy(req->shipped, all->shipped, all->n_shipped * sizeof *req->shipped);
    req->n_shipped = all->n_shipped;
    req->shipped_known = all->shipped_known;
    if (select_dependencies(req, cfg, all->schema, only, err) < 0) {
        free(req->shipped);
        return -1;
    }
    return 0;
}

void sw_requirements_free(struct sw_requirements *req)
{
    free(req->tasks);
    free(req->shipped);
    memset(req, 0, sizeof *req);
}

bool sw_requirements_any(const struct sw_requirements *req)
{
    return req->database || req->n_tasks > 0;
}

/* ---- the query ---------------------------------------------------------------------------- */

/* The table names were validated as plain identifiers ([A-Za-z0-9_], optionally
 * schema-qualified) when the config was loaded, so quoting each part is enough. The tasks
 * table lives in the same schema as the history table. */
static char *health_sql(const char *table)
{
    const char *dot = strchr(table, '.');
    char *sql = NULL;
    int n;

    if (dot)
        n = asprintf(&sql,
                     "SELECT '', coalesce(max(version), 0) FROM \"%.*s\".\"%s\" WHERE success "
                     "UNION ALL SELECT name, version FROM \"%.*s\".slipway_tasks",
                     (int)(dot - table), table, dot + 1, (int)(dot - table), table);
    else
        n = asprintf(&sql,
                     "SELECT '', coalesce(max(version), 0) FROM \"%s\" WHERE success "
                     "UNION ALL SELECT name, version FROM slipway_tasks",
                     table);
    return n < 0 ? NULL : sql;
}

static uint64_t recorded(const PGresult *r, const char *name)
{
    for (int i = 0; r && i < sw_pq->PQntuples(r); i++)
        if (strcmp(sw_pq->PQgetvalue(r, i, 0), name) == 0)
            return strtoull(sw_pq->PQgetvalue(r, i, 1), NULL, 10);
    return 0;
}

static double wall_clock(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Starts an answer: no dependency seen yet. */
static void begin_answer(struct sw_health *h, const struct sw_requirements *req)
{
    memset(h, 0, sizeof *h);
    h->checked_at = wall_clock();
    if (req->database)
        h->deps[h->n_deps++] = (struct sw_dep_seen){.name = "database"};
    for (size_t i = 0; i < req->n_tasks && h->n_deps < SW_HEALTH_DEPS_MAX; i++)
        h->deps[h->n_deps++] = (struct sw_dep_seen){.name = req->tasks[i]->name};
}

static size_t count_pending(const struct sw_requirements *req, uint64_t schema)
{
    size_t n = 0;
    for (size_t i = 0; i < req->n_shipped; i++)
        n += req->shipped[i] > schema;
    return n;
}

/* What the database recorded, per dependency, whatever the verdict. */
static void record_seen(const PGresult *r, const struct sw_config *cfg,
                        const struct sw_requirements *req, struct sw_health *h)
{
    const struct sw_opt_u64 *ahead = &cfg->database.max_ahead;
    size_t k = 0;

    h->reachable = true;
    h->schema = recorded(r, "");
    h->pending = count_pending(req, h->schema);
    h->pending_known = req->shipped_known;
    if (req->database) {
        h->deps[k].version = h->schema;
        h->deps[k++].compatible =
            h->schema >= req->schema && (!ahead->set || h->schema - req->schema <= ahead->value);
    }
    for (size_t i = 0; k < h->n_deps; i++, k++) {
        h->deps[k].version = recorded(r, req->tasks[i]->name);
        h->deps[k].compatible = h->deps[k].version >= req->tasks[i]->version.value;
    }
}

static void judge(const PGresult *r, const struct sw_config *cfg, const struct sw_requirements *req,
                  struct sw_health *h)
{
    uint64_t have = recorded(r, "");
    const struct sw_opt_u64 *ahead = &cfg->database.max_ahead;

    begin_answer(h, req);
    record_seen(r, cfg, req, h);
    if (req->database && have < req->schema) {
        snprintf(h->line, sizeof h->line,
                 "database: schema version %" PRIu64 " is behind, this image needs %" PRIu64, have,
                 req->schema);
        return;
    }
    if (req->database && ahead->set && have - req->schema > ahead->value) {
        snprintf(h->line, sizeof h->line,
                 "database: schema version %" PRIu64 " is more than %" PRIu64 " ahead of %" PRIu64
                 " (max_ahead)",
                 have, ahead->value, req->schema);
        return;
    }
    for (size_t i = 0; i < req->n_tasks; i++) {
        const struct sw_task *t = req->tasks[i];
        uint64_t v = recorded(r, t->name);
        if (v < t->version.value) {
            snprintf(h->line, sizeof h->line,
                     "task %s: version %" PRIu64 " is behind, this image needs %" PRIu64, t->name,
                     v, t->version.value);
            return;
        }
    }
    h->healthy = true;
    snprintf(h->line, sizeof h->line,
             "healthy: schema version %" PRIu64 " (this image needs %" PRIu64 ")", have,
             req->schema);
}

/* A database the upgrade never touched has no history table: that is version 0, not an
 * error. */
static bool undefined_table(struct sw_db *db)
{
    const PGresult *r = sw_db_last_error(db);
    const char *state = r ? sw_pq->PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    return state && strcmp(state, "42P01") == 0;
}

int sw_health_query(struct sw_db *db, const struct sw_config *cfg,
                    const struct sw_requirements *req, struct sw_health *h, sw_err *err)
{
    char *sql = health_sql(cfg->migrations.table);
    PGresult *r;

    if (!sql) {
        sw_err_set(err, "out of memory");
        return -1;
    }
    r = sw_db_exec(db, sql, err);
    free(sql);
    if (!r && !undefined_table(db))
        return -1;
    judge(r, cfg, req, h);
    if (r)
        sw_pq->PQclear(r);
    return 0;
}

static void unhealthy(struct sw_health *h, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* An answer without the database's: h->reachable stays false. */

/* Messages of libpq may be long: cut to the line, which is what a probe shows. */
static void unhealthy(struct sw_health *h, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(h->line, sizeof h->line, fmt, ap);
    va_end(ap);
}

/* A probe must answer within its own bounds, whatever the database does: a statement waiting
 * on a lock (a migration holding slipway_migrations ACCESS EXCLUSIVE) or running long gives
 * up after connect_timeout, as the connection attempt does. */
static int bound_queries(struct sw_db *db, const struct sw_config *cfg, sw_err *err)
{
    long long ms = cfg->database.connect_timeout_ms > 0 ? cfg->database.connect_timeout_ms : 5000;
    char sql[128];

    snprintf(sql, sizeof sql, "SET statement_timeout = %lld; SET lock_timeout = %lld", ms, ms);
    return sw_db_command(db, sql, err);
}

void sw_health_check_direct(const struct sw_config *cfg, const struct sw_requirements *req,
                            struct sw_health *h)
{
    struct sw_database once = cfg->database;
    struct sw_db *db = NULL;
    uv_loop_t loop;
    sw_err err;

    begin_answer(h, req);
    if (!sw_requirements_any(req)) {
        h->healthy = true;
        snprintf(h->line, sizeof h->line, "healthy: no dependency to check");
        return;
    }
    if (uv_loop_init(&loop) < 0) {
        unhealthy(h, "health: cannot create an event loop");
        return;
    }
    once.wait_ms = 0; /* a probe answers now; the next probe retries */
    if (sw_db_connect(&db, &loop, NULL, &once, "health", &err) != SW_DB_CONNECTED)
        unhealthy(h, "%s", err.msg); /* names the database and why it is unreachable */
    else if (bound_queries(db, cfg, &err) < 0 || sw_health_query(db, cfg, req, h, &err) < 0) {
        begin_answer(h, req); /* what a failed query left is not an answer */
        unhealthy(h, "database: %s", err.msg);
    }
    sw_db_close(db);
    sw_loop_close(&loop);
}
