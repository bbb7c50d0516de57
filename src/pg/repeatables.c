#include "pg/repeatables.h"

#include "pg/dynlib.h"
#include "version.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int sw_repeatables_create(struct sw_db *db, const struct sw_tables *t, sw_err *err)
{
    char *sql;
    int rc;

    if (asprintf(&sql,
                 "CREATE TABLE IF NOT EXISTS %s.\"" SW_REPEATABLES_TABLE "\" (name text PRIMARY "
                 "KEY, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now(), "
                 "duration_ms integer NOT NULL DEFAULT 0, applied_by text)",
                 t->schema) < 0) {
        sw_err_set(err, "out of memory");
        return -1;
    }
    rc = sw_db_command(db, sql, err);
    free(sql);
    return rc;
}

static int fill(const PGresult *r, struct sw_repeatable_rows *rows, sw_err *err)
{
    int n = sw_pq->PQntuples(r);

    rows->items = n ? calloc((size_t)n, sizeof *rows->items) : NULL;
    if (n && !rows->items) {
        sw_err_set(err, "out of memory");
        return -1;
    }
    for (int i = 0; i < n; i++, rows->n++) {
        rows->items[i].name = strdup(sw_pq->PQgetvalue(r, i, 0));
        rows->items[i].checksum = strdup(sw_pq->PQgetvalue(r, i, 1));
        if (!rows->items[i].name || !rows->items[i].checksum) {
            rows->n++;
            sw_err_set(err, "out of memory");
            return -1;
        }
    }
    return 0;
}

int sw_repeatables_read(struct sw_db *db, const struct sw_tables *t,
                        struct sw_repeatable_rows *rows, sw_err *err)
{
    char *table = NULL, *sql = NULL;
    const char *params[1];
    PGresult *r = NULL;
    int rc = -1;

    memset(rows, 0, sizeof *rows);
    if (asprintf(&table, "%s.\"" SW_REPEATABLES_TABLE "\"", t->schema) < 0)
        table = NULL;
    if (!table || asprintf(&sql, "SELECT name, checksum FROM %s", table) < 0) {
        sql = NULL;
        sw_err_set(err, "out of memory");
        goto out;
    }
    params[0] = table;
    r = sw_db_execp(db, "SELECT to_regclass($1) IS NOT NULL", 1, params, err);
    if (!r)
        goto out;
    bool exists = strcmp(sw_pq->PQgetvalue(r, 0, 0), "t") == 0;
    sw_pq->PQclear(r);
    r = NULL;
    if (!exists) {
        rc = 0;
        goto out;
    }
    r = sw_db_exec(db, sql, err);
    if (r)
        rc = fill(r, rows, err);
out:
    if (r)
        sw_pq->PQclear(r);
    if (rc < 0)
        sw_repeatables_free(rows);
    free(table);
    free(sql);
    return rc;
}

void sw_repeatables_free(struct sw_repeatable_rows *rows)
{
    for (size_t i = 0; i < rows->n; i++) {
        free(rows->items[i].name);
        free(rows->items[i].checksum);
    }
    free(rows->items);
    memset(rows, 0, sizeof *rows);
}

const char *sw_repeatables_checksum(const struct sw_repeatable_rows *rows,
                                    const struct sw_migration *m)
{
    for (size_t i = 0; i < rows->n; i++)
        if (strcmp(rows->items[i].name, sw_repeatable_key(m)) == 0)
            return rows->items[i].checksum;
    return NULL;
}

char *sw_repeatable_commit_sql(struct sw_db *db, const struct sw_tables *t,
                               const struct sw_migration *m, const char *checksum,
                               int64_t duration_ms, const char *then, sw_err *err)
{
    char *name = sw_db_quote_literal(db, sw_repeatable_key(m), err);
    char *sum = name ? sw_db_quote_literal(db, checksum, err) : NULL;
    char *by = sum ? sw_db_quote_literal(db, " (slipway " SLIPWAY_VERSION ", ", err) : NULL;
    char *sql = NULL;

    if (by &&
        asprintf(&sql,
                 "INSERT INTO %s.\"" SW_REPEATABLES_TABLE "\" (name, checksum, applied_at, "
                 "duration_ms, applied_by) VALUES (%s, %s, now(), %" PRId64 ", current_user || "
                 "%s || current_setting('application_name') || ')') ON CONFLICT (name) DO UPDATE "
                 "SET checksum = excluded.checksum, applied_at = excluded.applied_at, "
                 "duration_ms = excluded.duration_ms, applied_by = excluded.applied_by; %s",
                 t->schema, name, sum, duration_ms > INT32_MAX ? (int64_t)INT32_MAX : duration_ms,
                 by, then) < 0) {
        sql = NULL;
        sw_err_set(err, "out of memory");
    }
    free(name);
    free(sum);
    free(by);
    return sql;
}
