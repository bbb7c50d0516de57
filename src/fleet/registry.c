#include "fleet/registry.h"

#include "pg/dynlib.h"
#include "pg/history.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TABLE "slipway_fleet"

void sw_fleet_table(const struct sw_config *cfg, char *buf, size_t size)
{
    const char *table = cfg->migrations.table, *dot = strchr(table, '.');

    /* The config validated the name as plain identifiers: quoting each part is enough. */
    if (dot)
        snprintf(buf, size, "\"%.*s\".\"" TABLE "\"", (int)(dot - table), table);
    else
        snprintf(buf, size, "\"" TABLE "\"");
}

/* "{1,12}" for a numeric[] parameter. */
static void array_text(const struct sw_version *v, char *buf)
{
    buf[0] = '{';
    sw_version_format(v, ',', buf + 1);
    strcat(buf, "}");
}

int sw_fleet_beat(struct sw_db *db, const char *table, const char *instance, const char *image,
                  const struct sw_version *requires, long long started, sw_err *err)
{
    char req[SW_VERSION_TEXT_MAX + 2], since[24], *sql;
    const char *params[] = {instance, image, requires ? req : NULL, since};
    int rc;

    if (requires)
        array_text(requires, req);
    snprintf(since, sizeof since, "%lld", started);
    /* One statement, one round trip: a new replica, a refreshed one, or one whose row expired
     * or was lost (the server restarted, someone cleaned the table) all end up the same. */
    if (asprintf(&sql,
                 "INSERT INTO %s AS f (instance, image, requires, started, last_seen) VALUES "
                 "($1, $2, $3::numeric[], to_timestamp($4::float8), now()) ON CONFLICT "
                 "(instance) DO UPDATE SET image = excluded.image, requires = excluded.requires, "
                 "started = excluded.started, last_seen = excluded.last_seen",
                 table) < 0) {
        sw_err_set(err, "out of memory");
        return -1;
    }
    rc = sw_db_commandp(db, sql, 4, params, err);
    free(sql);
    return rc;
}

int sw_fleet_leave(struct sw_db *db, const char *table, const char *instance, sw_err *err)
{
    const char *params[] = {instance};
    char *sql;
    int rc;

    if (asprintf(&sql,
                 "WITH gone AS (DELETE FROM %s WHERE instance = $1 RETURNING instance) "
                 "SELECT pg_notify('" SW_FLEET_CHANNEL "', instance) FROM gone",
                 table) < 0) {
        sw_err_set(err, "out of memory");
        return -1;
    }
    rc = sw_db_commandp(db, sql, 1, params, err);
    free(sql);
    return rc;
}

static int fill_replica(const PGresult *r, int i, struct sw_replica *rep, sw_err *err)
{
    rep->instance = strdup(sw_pq->PQgetvalue(r, i, 0));
    rep->image = strdup(sw_pq->PQgetvalue(r, i, 1));
    rep->seen_ago_s = strtod(sw_pq->PQgetvalue(r, i, 3), NULL);
    if (!rep->instance || !rep->image) {
        sw_err_set(err, "out of memory");
        return -1;
    }
    rep->has_requires = !sw_pq->PQgetisnull(r, i, 2);
    return rep->has_requires
               ? sw_history_parse_version(sw_pq->PQgetvalue(r, i, 2), &rep->requires, err)
               : 0;
}

static int fill_fleet(const PGresult *r, struct sw_fleet *f, sw_err *err)
{
    int n = sw_pq->PQntuples(r);

    f->items = n ? calloc((size_t)n, sizeof *f->items) : NULL;
    if (n && !f->items) {
        sw_err_set(err, "out of memory");
        return -1;
    }
    /* counted before it is filled: a half-filled replica is freed with the rest */
    for (int i = 0; i < n; i++)
        if (fill_replica(r, i, &f->items[f->n++], err) < 0)
            return -1;
    return 0;
}

int sw_fleet_read(struct sw_db *db, const char *table, int64_t ttl_ms,
                  const struct sw_version *below, struct sw_fleet *out, sw_err *err)
{
    char ttl[32], floor[SW_VERSION_TEXT_MAX + 2], *sql;
    const char *params[] = {ttl, below ? floor : NULL};
    PGresult *r;
    int rc;

    memset(out, 0, sizeof *out);
    snprintf(ttl, sizeof ttl, "%lld milliseconds", (long long)ttl_ms);
    if (below)
        array_text(below, floor);
    /* $2 NULL: no filter (requires < NULL is NULL, hence the OR). */
    if (asprintf(&sql,
                 "SELECT instance, coalesce(image, ''), requires::text, "
                 "extract(epoch FROM now() - last_seen)::float8 FROM %s WHERE last_seen > "
                 "now() - $1::interval AND ($2::numeric[] IS NULL OR requires < $2::numeric[]) "
                 "ORDER BY requires, image, instance",
                 table) < 0) {
        sw_err_set(err, "out of memory");
        return -1;
    }
    r = sw_db_execp(db, sql, 2, params, err);
    free(sql);
    if (!r)
        return -1;
    rc = fill_fleet(r, out, err);
    sw_pq->PQclear(r);
    if (rc < 0)
        sw_fleet_free(out);
    return rc;
}

void sw_fleet_free(struct sw_fleet *f)
{
    for (size_t i = 0; i < f->n; i++) {
        free(f->items[i].instance);
        free(f->items[i].image);
    }
    free(f->items);
    memset(f, 0, sizeof *f);
}

static bool same_group(const struct sw_replica *a, const struct sw_replica *b)
{
    return strcmp(a->image, b->image) == 0 && a->has_requires == b->has_requires &&
           (!a->has_requires || sw_version_cmp(&a->requires, &b->requires) == 0);
}

size_t sw_fleet_group_end(const struct sw_fleet *f, size_t i)
{
    size_t end = i + 1;

    while (end < f->n && same_group(&f->items[i], &f->items[end]))
        end++;
    return end;
}
