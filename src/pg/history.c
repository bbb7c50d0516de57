#include "pg/history.h"

#include "pg/dynlib.h"
#include "version.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TASKS_TABLE "slipway_tasks"
#define FLEET_TABLE "slipway_fleet"
#define NOTIFY_CHANNEL "slipway"

/* SQL around the quoted table names; NULL with err when out of memory. */
static char *sqlf(sw_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static char *sqlf(sw_err *err, const char *fmt, ...)
{
    va_list ap;
    char *s;
    int r;

    va_start(ap, fmt);
    r = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (r < 0) {
        sw_err_set(err, "out of memory");
        return NULL;
    }
    return s;
}

static int run_sqlf_result(int r, char *sql)
{
    free(sql);
    return r;
}

/* ---- names ------------------------------------------------------------------------------- */

/* The schema of an unqualified table name, quoted: where it already is, else where CREATE
 * TABLE would put it. Pinned once, so that a migration changing search_path cannot send
 * the history rows elsewhere. */
static char *resolve_schema(struct sw_db *db, const char *qtable, sw_err *err)
{
    const char *params[] = {qtable};
    PGresult *r = sw_db_execp(db,
                              "SELECT coalesce((SELECT relnamespace::regnamespace::text FROM "
                              "pg_class WHERE oid = to_regclass($1)), "
                              "quote_ident(current_schema()))",
                              1, params, err);
    char *schema = NULL;

    if (!r)
        return NULL;
    if (sw_pq->PQgetisnull(r, 0, 0))
        sw_err_set(err, "search_path names no schema to keep it in: qualify it (schema.table)");
    else if (!(schema = strdup(sw_pq->PQgetvalue(r, 0, 0))))
        sw_err_set(err, "out of memory");
    sw_pq->PQclear(r);
    return schema;
}

int sw_tables_init(struct sw_tables *t, struct sw_db *db, const char *configured, sw_err *err)
{
    const char *dot = strchr(configured, '.');
    const char *table = dot ? dot + 1 : configured;
    char *qtable = sw_db_quote_ident(db, table, strlen(table), err);

    memset(t, 0, sizeof *t);
    t->configured_schema = dot != NULL;
    if (qtable)
        t->schema = dot ? sw_db_quote_ident(db, configured, (size_t)(dot - configured), err)
                        : resolve_schema(db, qtable, err);
    if (t->schema) {
        t->migrations = sqlf(err, "%s.%s", t->schema, qtable);
        t->tasks = sqlf(err, "%s.\"" TASKS_TABLE "\"", t->schema);
        t->fleet = sqlf(err, "%s.\"" FLEET_TABLE "\"", t->schema);
    }
    free(qtable);
    if (!t->migrations || !t->tasks || !t->fleet) {
        sw_tables_free(t);
        return -1;
    }
    return 0;
}

bool sw_tables_is_history(const struct sw_tables *t, const char *table)
{
    /* t->migrations ends in ."table" with any " doubled: compare backwards */
    const char *q = t->migrations + strlen(t->migrations);
    size_t n = strlen(table);

    if (q == t->migrations || *--q != '"')
        return false;
    while (n > 0) {
        if (q == t->migrations || *--q != table[--n])
            return false;
        if (table[n] == '"' && (q == t->migrations || *--q != '"'))
            return false;
    }
    return q - t->migrations >= 2 && q[-1] == '"' && q[-2] == '.';
}

void sw_tables_free(struct sw_tables *t)
{
    free(t->schema);
    free(t->migrations);
    free(t->tasks);
    free(t->fleet);
    memset(t, 0, sizeof *t);
}

/* ---- creating ---------------------------------------------------------------------------- */

/* CREATE SCHEMA IF NOT EXISTS needs the CREATE privilege on the database even when the
 * schema exists: only a configured schema that is missing is created. */
static int create_schema(struct sw_db *db, const struct sw_tables *t, sw_err *err)
{
    const char *params[] = {t->schema};
    PGresult *r;
    bool missing;
    char *sql;

    if (!t->configured_schema)
        return 0;
    r = sw_db_execp(db, "SELECT to_regnamespace($1) IS NULL", 1, params, err);
    if (!r)
        return -1;
    missing = strcmp(sw_pq->PQgetvalue(r, 0, 0), "t") == 0;
    sw_pq->PQclear(r);
    if (!missing)
        return 0;
    sql = sqlf(err, "CREATE SCHEMA IF NOT EXISTS %s", t->schema);
    return sql ? run_sqlf_result(sw_db_command(db, sql, err), sql) : -1;
}

/* slipway 0.1 kept versions in a bigint column. numeric[] holds Flyway's dotted versions
 * and sorts them part by part; a single-part array sorts as the integer did, so ORDER BY
 * version and max(version) keep their meaning. Done once, in place, in one statement. */
static int convert_bigint_versions(struct sw_db *db, const struct sw_tables *t, sw_err *err)
{
    const char *params[] = {t->migrations};
    PGresult *r = sw_db_execp(db,
                              "SELECT atttypid = 'bigint'::regtype FROM pg_attribute WHERE "
                              "attrelid = to_regclass($1) AND attname = 'version'",
                              1, params, err);
    bool old;
    char *sql;

    if (!r)
        return -1;
    old = sw_pq->PQntuples(r) == 1 && strcmp(sw_pq->PQgetvalue(r, 0, 0), "t") == 0;
    sw_pq->PQclear(r);
    if (!old)
        return 0;
    sql = sqlf(err, "ALTER TABLE %s ALTER COLUMN version TYPE numeric[] USING ARRAY[version]",
               t->migrations);
    return sql ? run_sqlf_result(sw_db_command(db, sql, err), sql) : -1;
}

/* The floor of each contract migration (NULL for the others), which the health of an older
 * image reads. Looked up first: ALTER TABLE takes an exclusive lock even when the column is
 * there, and health probes read this table. */
static int add_floor_column(struct sw_db *db, const struct sw_tables *t, sw_err *err)
{
    const char *params[] = {t->migrations};
    PGresult *r = sw_db_execp(db,
                              "SELECT count(*) FROM pg_attribute WHERE attrelid = "
                              "to_regclass($1) AND attname = 'contract_floor' AND NOT attisdropped",
                              1, params, err);
    bool missing;
    char *sql;

    if (!r)
        return -1;
    missing = strcmp(sw_pq->PQgetvalue(r, 0, 0), "0") == 0;
    sw_pq->PQclear(r);
    if (!missing)
        return 0;
    sql = sqlf(err, "ALTER TABLE %s ADD COLUMN IF NOT EXISTS contract_floor numeric[]",
               t->migrations);
    return sql ? run_sqlf_result(sw_db_command(db, sql, err), sql) : -1;
}

/* The replicas' registry (README "Fleet and contract migrations"): serving supervisors write it,
 * --upgrade reads it before a contract migration. */
static int create_fleet_table(struct sw_db *db, const struct sw_tables *t, sw_err *err)
{
    char *sql = sqlf(err,
                     "CREATE TABLE IF NOT EXISTS %s (instance text PRIMARY KEY, image text, "
                     "requires numeric[], started timestamptz NOT NULL DEFAULT now(), "
                     "last_seen timestamptz NOT NULL DEFAULT now())",
                     t->fleet);

    return sql ? run_sqlf_result(sw_db_command(db, sql, err), sql) : -1;
}

int sw_history_create(struct sw_db *db, const struct sw_tables *t, sw_err *err)
{
    char *sql;

    if (create_schema(db, t, err) < 0)
        return -1;
    sql = sqlf(err,
               "CREATE TABLE IF NOT EXISTS %s (version numeric[] PRIMARY KEY, name text NOT NULL, "
               "checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now(), "
               "duration_ms integer NOT NULL DEFAULT 0, applied_by text, statements_done "
               "integer NOT NULL DEFAULT 0, success boolean NOT NULL); "
               "CREATE TABLE IF NOT EXISTS %s (name text PRIMARY KEY, version bigint NOT NULL, "
               "updated_at timestamptz NOT NULL DEFAULT now())",
               t->migrations, t->tasks);
    if (!sql || run_sqlf_result(sw_db_command(db, sql, err), sql) < 0 ||
        convert_bigint_versions(db, t, err) < 0 || add_floor_column(db, t, err) < 0)
        return -1;
    return create_fleet_table(db, t, err);
}

int sw_history_exists(struct sw_db *db, const struct sw_tables *t, bool *exists, sw_err *err)
{
    const char *params[] = {t->migrations};
    PGresult *r = sw_db_execp(db, "SELECT to_regclass($1) IS NOT NULL", 1, params, err);

    if (!r)
        return -1;
    *exists = strcmp(sw_pq->PQgetvalue(r, 0, 0), "t") == 0;
    sw_pq->PQclear(r);
    return 0;
}

/* ---- reading ----------------------------------------------------------------------------- */

static int parse_u64(const char *s, uint64_t *out, sw_err *err)
{
    char *end;
    long long v = strtoll(s, &end, 10);

    if (*s == '\0' || *end != '\0' || v < 0) {
        sw_err_set(err, "unexpected version '%s' in a slipway table", s);
        return -1;
    }
    *out = (uint64_t)v;
    return 0;
}

int sw_history_parse_version(const char *text, struct sw_version *v, sw_err *err)
{
    size_t len = strlen(text);
    const char *why;

    if (len >= 2 && text[0] == '{' && text[len - 1] == '}') {
        text++;
        len -= 2;
    }
    if (sw_version_parse(text, len, ",", v, &why) < 0) {
        sw_err_set(err, "unexpected version '%s' in a slipway table: %s", text, why);
        return -1;
    }
    return 0;
}

static int fill_row(const PGresult *r, int i, struct sw_history_row *row, sw_err *err)
{
    if (sw_history_parse_version(sw_pq->PQgetvalue(r, i, 0), &row->version, err) < 0)
        return -1;
    row->name = strdup(sw_pq->PQgetvalue(r, i, 1));
    row->checksum = strdup(sw_pq->PQgetvalue(r, i, 2));
    row->success = strcmp(sw_pq->PQgetvalue(r, i, 3), "t") == 0;
    row->statements_done = atoi(sw_pq->PQgetvalue(r, i, 4));
    if (!row->name || !row->checksum) {
        sw_err_set(err, "out of memory");
        return -1;
    }
    return 0;
}

int sw_history_read(struct sw_db *db, const struct sw_tables *t, struct sw_history *h, sw_err *err)
{
    char *sql = sqlf(err,
                     /* h.version: a bare "version" would name the text column */
                     "SELECT version::text, name, checksum, success, statements_done FROM %s "
                     "AS h ORDER BY h.version",
                     t->migrations);
    PGresult *r = sql ? sw_db_exec(db, sql, err) : NULL;
    int n = r ? sw_pq->PQntuples(r) : 0, rc = 0;

    free(sql);
    memset(h, 0, sizeof *h);
    if (!r)
        return -1;
    h->rows = n ? calloc((size_t)n, sizeof *h->rows) : NULL;
    if (n && !h->rows) {
        sw_err_set(err, "out of memory");
        rc = -1;
    }
    for (int i = 0; rc == 0 && i < n; i++, h->n++)
        rc = fill_row(r, i, &h->rows[i], err);
    sw_pq->PQclear(r);
    if (rc < 0)
        sw_history_free(h);
    return rc;
}

void sw_history_free(struct sw_history *h)
{
    for (size_t i = 0; i < h->n; i++) {
        free(h->rows[i].name);
        free(h->rows[i].checksum);
    }
    free(h->rows);
    memset(h, 0, sizeof *h);
}

const struct sw_history_row *sw_history_find(const struct sw_history *h,
                                             const struct sw_version *version)
{
    size_t lo = 0, hi = h->n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = sw_version_cmp(&h->rows[mid].version, version);
        if (c == 0)
            return &h->rows[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* ---- writing ----------------------------------------------------------------------------- */

/* "INSERT INTO history ... VALUES (...)" for m's row. Values are quoted into the text, not
 * passed as parameters: parameters allow one statement per query, and the transactional path
 * sends this with its NOTIFY and COMMIT. */
static char *insert_sql(struct sw_db *db, const struct sw_tables *t, const struct sw_migration *m,
                        const char *checksum, const char *duration_ms, int statements_done,
                        bool success, const char *note, sw_err *err)
{
    char *name = sw_db_quote_literal(db, m->name, err);
    char *sum = name ? sw_db_quote_literal(db, checksum, err) : NULL;
    char by_text[256];
    char *by;

    /* applied_by: "alice (slipway 0.2.0, slipway upgrade (host))", or for an adopted row
     * "alice (slipway 0.2.0, adopted from dbmate's public.schema_migrations, ...)" */
    snprintf(by_text, sizeof by_text, " (slipway " SLIPWAY_VERSION ", %s%s", note ? note : "",
             note ? ", " : "");
    by = sum ? sw_db_quote_literal(db, by_text, err) : NULL;
    char version[SW_VERSION_TEXT_MAX];
    char *sql = NULL;

    if (by)
        sql = sqlf(err,
                   "INSERT INTO %s AS h (version, name, checksum, applied_at, duration_ms, "
                   "applied_by, statements_done, success) VALUES ('{%s}', %s, %s, now(), "
                   "%s, current_user || %s || current_setting('application_name') || ')', "
                   "%d, %s)",
                   t->migrations, sw_version_format(&m->version, ',', version), name, sum,
                   duration_ms, by, statements_done, success ? "true" : "false");
    free(name);
    free(sum);
    free(by);
    return sql;
}

/* A plain INSERT, no upsert: should this version be recorded already, however that came to
 * be, the primary key makes the transaction fail and roll back instead of applying the file
 * twice. Only an unfinished no-transaction row of an earlier run is replaced, and the DELETE
 * is sent only when the history showed one: nobody else writes rows while the lock is held,
 * and after the file's DDL even a DELETE of nothing costs the server ~0.05 ms, a quarter of a
 * bare CREATE TABLE migration (README, "Benchmarks"). The duration is the server's, from the
 * transaction's start to the row. */
char *sw_history_commit_sql(struct sw_db *db, const struct sw_tables *t,
                            const struct sw_migration *m, const char *checksum, bool replace,
                            const char *then, sw_err *err)
{
    char *insert = insert_sql(db, t, m, checksum,
                              "least(extract(epoch FROM clock_timestamp() - now()) * 1000, "
                              "2147483647)::integer",
                              0, true, NULL, err);
    char version[SW_VERSION_TEXT_MAX];
    char *sql = NULL;

    if (insert && replace)
        sql = sqlf(err, "DELETE FROM %s WHERE version = '{%s}' AND NOT success; %s; %s",
                   t->migrations, sw_version_format(&m->version, ',', version), insert, then);
    else if (insert)
        sql = sqlf(err, "%s; %s", insert, then);
    free(insert);
    return sql;
}

int sw_history_record(struct sw_db *db, const struct sw_tables *t, const struct sw_migration *m,
                      const char *checksum, int64_t duration_ms, int statements_done, bool success,
                      sw_err *err)
{
    char duration[24];
    char *insert;

    snprintf(duration, sizeof duration, "%" PRId64,
             duration_ms > INT32_MAX ? (int64_t)INT32_MAX : duration_ms);
    insert = insert_sql(db, t, m, checksum, duration, statements_done, success, NULL, err);
    char *sql = insert ? sqlf(err,
                              "%s ON CONFLICT (version) DO UPDATE SET name = excluded.name, "
                              "checksum = excluded.checksum, applied_at = excluded.applied_at, "
                              "duration_ms = h.duration_ms + excluded.duration_ms, applied_by = "
                              "excluded.applied_by, statements_done = excluded.statements_done, "
                              "success = excluded.success",
                              insert)
                       : NULL;

    free(insert);
    return sql ? run_sqlf_result(sw_db_command(db, sql, err), sql) : -1;
}

int sw_history_record_adopted(struct sw_db *db, const struct sw_tables *t,
                              const struct sw_migration *m, const char *checksum, const char *note,
                              sw_err *err)
{
    char *sql = insert_sql(db, t, m, checksum, "0", 0, true, note, err);

    return sql ? run_sqlf_result(sw_db_command(db, sql, err), sql) : -1;
}

char *sw_history_floor_sql(const struct sw_tables *t, const struct sw_migration *m,
                           const char *then, sw_err *err)
{
    char version[SW_VERSION_TEXT_MAX], floor[SW_VERSION_TEXT_MAX];

    if (!sw_migration_is_contract(m))
        return sqlf(err, "%s", then ? then : "");
    return sqlf(err, "UPDATE %s SET contract_floor = '{%s}' WHERE version = '{%s}'%s%s",
                t->migrations, sw_version_format(&m->floor, ',', floor),
                sw_version_format(&m->version, ',', version), then ? "; " : "", then ? then : "");
}

int sw_history_set_checksum(struct sw_db *db, const struct sw_tables *t,
                            const struct sw_version *version, const char *checksum, sw_err *err)
{
    char v[SW_VERSION_TEXT_MAX + 2];
    const char *params[] = {v, checksum};
    char *sql = sqlf(err, "UPDATE %s SET checksum = $2 WHERE version = $1", t->migrations);

    if (!sql)
        return -1;
    v[0] = '{';
    sw_version_format(version, ',', v + 1);
    strcat(v, "}");
    return run_sqlf_result(sw_db_commandp(db, sql, 2, params, err), sql);
}

int sw_task_versions_read(struct sw_db *db, const struct sw_tables *t, struct sw_task_versions *v,
                          sw_err *err)
{
    char *sql = sqlf(err, "SELECT name, version FROM %s ORDER BY name", t->tasks);
    PGresult *r = sql ? sw_db_exec(db, sql, err) : NULL;
    int n = r ? sw_pq->PQntuples(r) : 0, rc = 0;

    free(sql);
    memset(v, 0, sizeof *v);
    if (!r)
        return -1;
    v->items = n ? calloc((size_t)n, sizeof *v->items) : NULL;
    if (n && !v->items) {
        sw_err_set(err, "out of memory");
        rc = -1;
    }
    for (int i = 0; rc == 0 && i < n; i++, v->n++) {
        v->items[i].name = strdup(sw_pq->PQgetvalue(r, i, 0));
        if (!v->items[i].name) {
            sw_err_set(err, "out of memory");
            rc = -1;
        } else {
            rc = parse_u64(sw_pq->PQgetvalue(r, i, 1), &v->items[i].version, err);
        }
    }
    sw_pq->PQclear(r);
    if (rc < 0)
        sw_task_versions_free(v);
    return rc;
}

void sw_task_versions_free(struct sw_task_versions *v)
{
    for (size_t i = 0; i < v->n; i++)
        free(v->items[i].name);
    free(v->items);
    memset(v, 0, sizeof *v);
}

bool sw_task_versions_find(const struct sw_task_versions *v, const char *name, uint64_t *version)
{
    for (size_t i = 0; i < v->n; i++) {
        if (strcmp(v->items[i].name, name) == 0) {
            *version = v->items[i].version;
            return true;
        }
    }
    return false;
}

int sw_task_version_record(struct sw_db *db, const struct sw_tables *t, const char *name,
                           uint64_t version, sw_err *err)
{
    char v[24];
    const char *params[] = {name, v};
    char *sql = sqlf(err,
                     "INSERT INTO %s (name, version, updated_at) VALUES ($1, $2, now()) "
                     "ON CONFLICT (name) DO UPDATE SET version = excluded.version, "
                     "updated_at = excluded.updated_at",
                     t->tasks);

    if (!sql)
        return -1;
    snprintf(v, sizeof v, "%" PRIu64, version);
    return run_sqlf_result(sw_db_commandp(db, sql, 2, params, err), sql);
}

char *sw_history_notify_sql(struct sw_db *db, const char *what, const char *then, sw_err *err)
{
    char *payload = sw_db_quote_literal(db, what, err);
    char *sql = payload ? sqlf(err, "NOTIFY " NOTIFY_CHANNEL ", %s%s%s", payload, then ? "; " : "",
                               then ? then : "")
                        : NULL;

    free(payload);
    return sql;
}

int sw_history_notify(struct sw_db *db, const char *what, sw_err *err)
{
    char *sql = sw_history_notify_sql(db, what, NULL, err);
    return sql ? run_sqlf_result(sw_db_command(db, sql, err), sql) : -1;
}
