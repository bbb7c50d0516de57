#include "health/health.h"

#include "base/exitcodes.h"
#include "base/loop.h"
#include "fleet/floor.h"
#include "migdir/migration.h"
#include "pg/dynlib.h"
#include "pg/history.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static bool named(char *const *only, const char *name)
{
    for (; *only; only++)
        if (strcmp(*only, name) == 0)
            return true;
    return false;
}

/* The dependencies named in only (all that health checks when NULL), at schema. */
static int select_dependencies(struct sw_requirements *req, const struct sw_config *cfg,
                               const struct sw_version *schema, bool has_schema, char *const *only,
                               sw_err *err)
{
    req->schema = *schema;
    req->has_schema = has_schema;
    req->database = only ? named(only, "database") : has_schema;
    req->tasks = calloc(cfg->n_tasks + 1, sizeof *req->tasks);
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

/* The versions shipped (their highest is the default requirement), to count the pending ones.
 * With `requires` set an unreadable directory costs that count, not the health check. */
int sw_requirements_load(struct sw_requirements *req, const struct sw_config *cfg, sw_err *err)
{
    struct sw_version schema = cfg->database.requires.value;
    bool has = cfg->database.requires.set;

    memset(req, 0, sizeof *req);
    req->shipped_known =
        sw_migrations_versions(cfg->migrations.dir, &req->shipped, &req->n_shipped, err) == 0;
    if (!req->shipped_known && !has)
        return -1;
    for (size_t i = 0; !cfg->database.requires.set && i < req->n_shipped; i++) {
        if (!has || sw_version_cmp(&req->shipped[i], &schema) > 0)
            schema = req->shipped[i];
        has = true;
    }
    if (select_dependencies(req, cfg, &schema, has, NULL, err) < 0) {
        sw_requirements_free(req);
        return -1;
    }
    return 0;
}

int sw_requirements_narrow(struct sw_requirements *req, const struct sw_requirements *all,
                           const struct sw_config *cfg, char *const *only, sw_err *err)
{
    memset(req, 0, sizeof *req);
    if (all->n_shipped) {
        req->shipped = malloc(all->n_shipped * sizeof *req->shipped);
        if (!req->shipped) {
            sw_err_set(err, "out of memory");
            return -1;
        }
        memcpy(req->shipped, all->shipped, all->n_shipped * sizeof *req->shipped);
    }
    req->n_shipped = all->n_shipped;
    req->shipped_known = all->shipped_known;
    if (select_dependencies(req, cfg, &all->schema, all->has_schema, only, err) < 0) {
        sw_requirements_free(req);
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

/* The rows of the health query: "" the schema version, " ahead" how many applied
 * migrations are newer than the requirement (with max_ahead), then one per task. A task
 * name never starts with a space. */
#define SCHEMA_ROW ""
#define AHEAD_ROW " ahead"
#define FLOOR_ROW " contract"

/* Newer than the requirement, whatever type the version column has: numeric[] or the
 * bigint of a table an older slipway wrote and no upgrade converted yet (a newer image's
 * probe runs before its upgrade). */
#define AS_ARRAY "string_to_array(trim(both '{}' from version::text), ',')::numeric[]"

/* The table names were validated as plain identifiers ([A-Za-z0-9_], optionally
 * schema-qualified) when the config was loaded, so quoting each part is enough. The tasks
 * table lives in the same schema as the history table. */
static char *health_sql(const struct sw_config *cfg, const struct sw_requirements *req)
{
    const char *table = cfg->migrations.table, *dot = strchr(table, '.');
    int schema_len = dot ? (int)(dot - table) : 0;
    const char *name = dot ? dot + 1 : table;
    char v[SW_VERSION_TEXT_MAX], ahead[1024] = "", q[512];
    char *sql = NULL, *floor;

    if (dot)
        snprintf(q, sizeof q, "\"%.*s\".\"%s\"", schema_len, table, name);
    else
        snprintf(q, sizeof q, "\"%s\"", name);
    if (cfg->database.max_ahead.set)
        snprintf(ahead, sizeof ahead,
                 " UNION ALL SELECT '" AHEAD_ROW "', count(*)::text FROM %s WHERE success "
                 "AND " AS_ARRAY " > '{%s}'",
                 q, sw_version_format(&req->schema, ',', v));
    floor = sw_floor_sql(FLOOR_ROW, q);
    if (!floor ||
        asprintf(&sql,
                 "SELECT '" SCHEMA_ROW "', max(version)::text FROM %s WHERE success%s "
                 "UNION ALL %s UNION ALL SELECT name, version::text FROM %s%.*s%sslipway_tasks",
                 q, ahead, floor, dot ? "\"" : "", schema_len, table, dot ? "\"." : "") < 0)
        sql = NULL;
    free(floor);
    return sql;
}

/* The value of row name, or NULL when absent or NULL. */
static const char *row_value(const PGresult *r, const char *name)
{
    for (int i = 0; r && i < sw_pq->PQntuples(r); i++)
        if (strcmp(sw_pq->PQgetvalue(r, i, 0), name) == 0)
            return sw_pq->PQgetisnull(r, i, 1) ? NULL : sw_pq->PQgetvalue(r, i, 1);
    return NULL;
}

static uint64_t recorded(const PGresult *r, const char *name)
{
    const char *v = row_value(r, name);
    return v ? strtoull(v, NULL, 10) : 0;
}

/* The schema version: false when no migration was applied (or no history table). */
static bool schema_version(const PGresult *r, struct sw_version *have)
{
    const char *v = row_value(r, SCHEMA_ROW);
    sw_err ignored;
    return v && sw_history_parse_version(v, have, &ignored) == 0;
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

static size_t count_pending(const struct sw_requirements *req, const struct sw_health *h)
{
    size_t n = 0;
    for (size_t i = 0; i < req->n_shipped; i++)
        n += !h->has_schema || sw_version_cmp(&req->shipped[i], &h->schema) > 0;
    return n;
}

static bool schema_compatible(const PGresult *r, const struct sw_config *cfg,
                              const struct sw_requirements *req, const struct sw_health *h)
{
    const struct sw_opt_u64 *ahead = &cfg->database.max_ahead;

    if (!h->has_schema || sw_version_cmp(&h->schema, &req->schema) < 0)
        return false;
    return !ahead->set || recorded(r, AHEAD_ROW) <= ahead->value;
}

/* What the database recorded, per dependency, whatever the verdict. */
static void record_seen(const PGresult *r, const struct sw_config *cfg,
                        const struct sw_requirements *req, struct sw_health *h)
{
    size_t k = 0;

    h->reachable = true;
    h->has_schema = schema_version(r, &h->schema);
    h->pending = count_pending(req, h);
    h->pending_known = req->shipped_known;
    if (req->database) {
        h->deps[k].has_version = h->has_schema;
        h->deps[k].version = h->schema;
        h->deps[k++].compatible = schema_compatible(r, cfg, req, h);
    }
    for (size_t i = 0; k < h->n_deps; i++, k++) {
        uint64_t v = recorded(r, req->tasks[i]->name);
        h->deps[k].has_version = row_value(r, req->tasks[i]->name) != NULL;
        h->deps[k].version = sw_version_of(v);
        h->deps[k].compatible = v >= req->tasks[i]->version.value;
    }
}

static bool judge_schema(const PGresult *r, const struct sw_config *cfg,
                         const struct sw_requirements *req, struct sw_health *h)
{
    const struct sw_opt_u64 *ahead = &cfg->database.max_ahead;
    char need[SW_VERSION_TEXT_MAX], got[SW_VERSION_TEXT_MAX] = "none";

    sw_version_format(&req->schema, '.', need);
    if (h->has_schema)
        sw_version_format(&h->schema, '.', got);
    if (req->database && (!h->has_schema || sw_version_cmp(&h->schema, &req->schema) < 0)) {
        snprintf(h->line, sizeof h->line,
                 "database: schema version %s is behind, this image needs %s", got, need);
        return false;
    }
    if (req->database && req->has_schema &&
        sw_floor_breaks(row_value(r, FLOOR_ROW), &req->schema, h->line, sizeof h->line))
        return false;
    if (req->database && ahead->set && recorded(r, AHEAD_ROW) > ahead->value) {
        snprintf(h->line, sizeof h->line,
                 "database: schema version %s is more than %" PRIu64
                 " migrations ahead of %s (max_ahead)",
                 got, ahead->value, need);
        return false;
    }
    snprintf(h->line, sizeof h->line, "healthy: schema version %s (this image needs %s)", got,
             req->has_schema ? need : "none");
    return true;
}

static void judge(const PGresult *r, const struct sw_config *cfg, const struct sw_requirements *req,
                  struct sw_health *h)
{
    begin_answer(h, req);
    record_seen(r, cfg, req, h);
    if (!judge_schema(r, cfg, req, h))
        return;
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
    char *sql = health_sql(cfg, req);
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

/* Messages of libpq may be long: cut to the line, which is what a probe shows. */
static void unhealthy(struct sw_health *h, const char *fmt, ...)
{
    va_list ap;

    h->healthy = false;
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
