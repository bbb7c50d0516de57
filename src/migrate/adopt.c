/* Taking over another migration tool's history, or a baseline. Each tool's table is read the
 * way that tool writes it:
 *   golang-migrate  schema_migrations(version bigint, dirty boolean): one row, everything up
 *                   to version is applied; dirty means its last migration failed halfway.
 *   dbmate          schema_migrations(version varchar): one row per applied version.
 *   Flyway          flyway_schema_history(installed_rank, version, type, script, success...):
 *                   one row per run, in installed_rank order; BASELINE marks everything up to
 *                   its version as applied, DELETE and UNDO_* rows take a version back, rows
 *                   without a version are repeatable migrations (re-run by their checksum).
 *   node-pg-migrate pgmigrations(id, name, run_on): one row per applied file, by name.
 * The two schema_migrations are told apart by golang-migrate's dirty column. */
#include "migrate/adopt.h"

#include "base/exitcodes.h"
#include "base/log.h"
#include "pg/dynlib.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What the reading of one tool's table found. */
struct reading {
    const struct sw_migration_set *set;
    const char *dir;
    const char *source; /* "dbmate's public.schema_migrations" */
    bool *applied;      /* one per migration of the set */
    sw_err *err;
};

static const char *default_table(enum sw_adopt_tool tool)
{
    switch (tool) {
    case SW_ADOPT_FLYWAY:
        return "flyway_schema_history";
    case SW_ADOPT_NODE_PG_MIGRATE:
        return "pgmigrations";
    default:
        return "schema_migrations"; /* golang-migrate's and dbmate's */
    }
}

static const char *tool_title(enum sw_adopt_tool tool)
{
    return tool == SW_ADOPT_FLYWAY ? "Flyway" : sw_adopt_tool_name(tool);
}

/* Runs a one-parameter query; NULL with err on failure. */
static PGresult *query1(struct sw_db *db, const char *sql, const char *param, sw_err *err)
{
    const char *params[] = {param};
    return sw_db_execp(db, sql, param ? 1 : 0, params, err);
}

/* The table name resolves (as to_regclass does: unqualified through search_path) to a table:
 * *shown gets its schema-qualified, quoted name, *dirty whether it has golang-migrate's
 * column. 1 found, 0 no such table, -1 error. */
static int lookup(struct sw_db *db, const char *name, char *shown, size_t size, bool *dirty,
                  sw_err *err)
{
    PGresult *r = query1(db,
                         "SELECT format('%I.%I', n.nspname, c.relname), EXISTS (SELECT FROM "
                         "pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'dirty' AND "
                         "a.attnum > 0 AND NOT a.attisdropped) FROM pg_class c JOIN "
                         "pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = to_regclass($1)",
                         name, err);
    int found;

    if (!r)
        return -1;
    found = sw_pq->PQntuples(r) == 1;
    if (found) {
        snprintf(shown, size, "%s", sw_pq->PQgetvalue(r, 0, 0));
        *dirty = strcmp(sw_pq->PQgetvalue(r, 0, 1), "t") == 0;
    }
    sw_pq->PQclear(r);
    return found;
}

static enum sw_adopt_result refuse(sw_err *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static enum sw_adopt_result refuse(sw_err *err, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return SW_ADOPT_REFUSED;
}

/* ---- finding the table --------------------------------------------------------------------- */

struct found {
    enum sw_adopt_tool tool;
    char table[256]; /* schema-qualified, quoted */
};

/* The named table of [migrations] adopt = TOOL:TABLE. 1 found, 0 absent (a new database), or
 * an error / refusal code. */
static int find_named(struct sw_db *db, const struct sw_adopt_conf *c, struct found *f, sw_err *err)
{
    bool dirty;
    int r = lookup(db, c->table, f->table, sizeof f->table, &dirty, err);

    if (r <= 0)
        return r < 0 ? SW_ADOPT_ERROR : 0;
    f->tool = c->tool;
    if (c->tool == SW_ADOPT_GOLANG_MIGRATE && !dirty)
        return refuse(err,
                      "[migrations] adopt = %s:%s: %s has no dirty column: not a "
                      "golang-migrate history",
                      sw_adopt_tool_name(c->tool), c->table, f->table);
    return 1;
}

/* auto: each tool's default name in the history table's schema. Two at once is a question
 * only the user can answer. */
static int find_default(struct sw_db *db, const struct sw_tables *t, struct found *f, sw_err *err)
{
    static const enum sw_adopt_tool tools[] = {SW_ADOPT_GOLANG_MIGRATE, SW_ADOPT_FLYWAY,
                                               SW_ADOPT_NODE_PG_MIGRATE};
    char name[300], first[256] = "";
    int n = 0;

    for (size_t i = 0; i < sizeof tools / sizeof *tools; i++) {
        struct found here;
        bool dirty;
        snprintf(name, sizeof name, "%s.%s", t->schema, default_table(tools[i]));
        int r = lookup(db, name, here.table, sizeof here.table, &dirty, err);
        if (r < 0)
            return SW_ADOPT_ERROR;
        if (r == 0)
            continue;
        here.tool = tools[i] == SW_ADOPT_GOLANG_MIGRATE && !dirty ? SW_ADOPT_DBMATE : tools[i];
        if (n++ == 0) {
            *f = here;
            snprintf(first, sizeof first, "%s", here.table);
        } else {
            return refuse(err,
                          "found two migration histories, %s (%s) and %s (%s): name the "
                          "one to adopt with [migrations] adopt = TOOL:TABLE",
                          first, tool_title(f->tool), here.table, tool_title(here.tool));
        }
    }
    return n;
}

/* ---- reading it ------------------------------------------------------------------------------ */

/* Marks the migration of version text (as the tool wrote it) applied; a version with no file
 * cannot be taken over: slipway could neither check nor re-create it. */
static int mark_version(struct reading *rd, const char *text)
{
    struct sw_version v;
    const char *why;
    long i = -1;

    if (sw_version_parse(text, strlen(text), ".", &v, &why) == 0)
        i = sw_migrations_find(rd->set, &v);
    if (i < 0) {
        refuse(rd->err,
               "%s records version %s as applied, but no file in %s has that version: "
               "restore the file, then upgrade again",
               rd->source, text, rd->dir);
        return -1;
    }
    rd->applied[i] = true;
    return 0;
}

/* Everything up to version text (golang-migrate's one row, a Flyway BASELINE, a baseline). */
static int mark_up_to(struct reading *rd, const char *text, bool need_file)
{
    struct sw_version v;
    const char *why;

    if (sw_version_parse(text, strlen(text), ".", &v, &why) < 0) {
        refuse(rd->err, "%s: unexpected version '%s': %s", rd->source, text, why);
        return -1;
    }
    if (need_file && mark_version(rd, text) < 0)
        return -1;
    for (size_t i = 0; i < rd->set->n; i++)
        if (sw_version_cmp(&rd->set->items[i].version, &v) <= 0)
            rd->applied[i] = true;
    return 0;
}

static int unmark_version(struct reading *rd, const char *text)
{
    struct sw_version v;
    const char *why;
    long i;

    if (sw_version_parse(text, strlen(text), ".", &v, &why) == 0 &&
        (i = sw_migrations_find(rd->set, &v)) >= 0)
        rd->applied[i] = false;
    return 0;
}

static int read_golang(struct reading *rd, PGresult *r, char *detail, size_t size)
{
    const char *version;

    if (sw_pq->PQntuples(r) == 0)
        return 0; /* migrated all the way down, or never up */
    if (sw_pq->PQntuples(r) > 1) {
        refuse(rd->err, "%s has %d rows, golang-migrate keeps one: repair it, then upgrade again",
               rd->source, sw_pq->PQntuples(r));
        return -1;
    }
    version = sw_pq->PQgetvalue(r, 0, 0);
    if (strcmp(sw_pq->PQgetvalue(r, 0, 1), "t") == 0) {
        refuse(rd->err,
               "%s is dirty at version %s: that migration failed halfway; repair the "
               "database, run `migrate force VERSION` with the last version that is complete, "
               "then upgrade again",
               rd->source, version);
        return -1;
    }
    snprintf(detail, size, " (version %s)", version);
    return mark_up_to(rd, version, true);
}

static int read_dbmate(struct reading *rd, PGresult *r)
{
    for (int i = 0; i < sw_pq->PQntuples(r); i++)
        if (mark_version(rd, sw_pq->PQgetvalue(r, i, 0)) < 0)
            return -1;
    return 0;
}

static int read_flyway(struct reading *rd, PGresult *r)
{
    for (int i = 0; i < sw_pq->PQntuples(r); i++) {
        const char *version = sw_pq->PQgetvalue(r, i, 0), *type = sw_pq->PQgetvalue(r, i, 1);
        const char *script = sw_pq->PQgetvalue(r, i, 2);
        int rc = 0;
        if (strcmp(sw_pq->PQgetvalue(r, i, 3), "t") != 0) {
            refuse(rd->err,
                   "%s records a failed migration: %s%s%s; repair the database and run "
                   "`flyway repair`, then upgrade again",
                   rd->source, *version ? "version " : "", *version ? version : "",
                   *version ? "" : script);
            return -1;
        }
        if (!*version || strcmp(type, "SCHEMA") == 0)
            continue; /* a repeatable migration, or the schema Flyway created */
        if (strcmp(type, "BASELINE") == 0)
            rc = mark_up_to(rd, version, false);
        else if (strcmp(type, "DELETE") == 0 || strncmp(type, "UNDO_", 5) == 0)
            rc = unmark_version(rd, version);
        else
            rc = mark_version(rd, version);
        if (rc < 0)
            return -1;
    }
    return 0;
}

/* node-pg-migrate records the file name without its extension. */
static int read_node(struct reading *rd, PGresult *r)
{
    for (int i = 0; i < sw_pq->PQntuples(r); i++) {
        const char *name = sw_pq->PQgetvalue(r, i, 0);
        size_t len = strlen(name);
        size_t k = 0;
        while (k < rd->set->n && !(strncmp(rd->set->items[k].name, name, len) == 0 &&
                                   strcmp(rd->set->items[k].name + len, ".sql") == 0))
            k++;
        if (k == rd->set->n) {
            refuse(rd->err,
                   "%s records %s as applied, but %s has no %s.sql: restore the file, "
                   "then upgrade again",
                   rd->source, name, rd->dir, name);
            return -1;
        }
        rd->applied[k] = true;
    }
    return 0;
}

static const char *read_sql(enum sw_adopt_tool tool)
{
    switch (tool) {
    case SW_ADOPT_GOLANG_MIGRATE:
        return "SELECT version::text, dirty FROM %s";
    case SW_ADOPT_DBMATE:
        return "SELECT version::text FROM %s ORDER BY version";
    case SW_ADOPT_FLYWAY:
        return "SELECT coalesce(version, ''), type, script, success FROM %s "
               "ORDER BY installed_rank";
    default:
        return "SELECT name FROM %s ORDER BY run_on, id";
    }
}

static int read_history(struct sw_db *db, const struct found *f, struct reading *rd,
                        struct sw_adoption *a)
{
    char sql[512];
    PGresult *r;
    int rc;

    snprintf(sql, sizeof sql, read_sql(f->tool), f->table);
    r = sw_db_exec(db, sql, rd->err);
    if (!r) {
        sw_err why = *rd->err;
        sw_err_set(rd->err, "cannot read %s: %s", rd->source, why.msg);
        return SW_ADOPT_ERROR;
    }
    switch (f->tool) {
    case SW_ADOPT_GOLANG_MIGRATE:
        rc = read_golang(rd, r, a->detail, sizeof a->detail);
        break;
    case SW_ADOPT_DBMATE:
        rc = read_dbmate(rd, r);
        break;
    case SW_ADOPT_FLYWAY:
        rc = read_flyway(rd, r);
        break;
    default:
        rc = read_node(rd, r);
        break;
    }
    sw_pq->PQclear(r);
    return rc < 0 ? SW_ADOPT_REFUSED : SW_ADOPT_FOUND;
}

/* ---- the whole ---------------------------------------------------------------------------------
 */

static int collect(struct sw_adoption *a, const bool *applied, size_t n, sw_err *err)
{
    a->applied = calloc(n ? n : 1, sizeof *a->applied);
    if (!a->applied) {
        sw_err_set(err, "out of memory");
        return SW_ADOPT_ERROR;
    }
    for (size_t i = 0; i < n; i++)
        if (applied[i])
            a->applied[a->n++] = i;
    a->found = true;
    return SW_ADOPT_FOUND;
}

static int find_tool(struct sw_db *db, const struct sw_config *cfg, const struct sw_tables *t,
                     struct found *f, sw_err *err)
{
    const struct sw_adopt_conf *c = &cfg->migrations.adopt;

    if (c->off)
        return 0;
    if (c->table) {
        int r = find_named(db, c, f, err);
        if (r == 0)
            sw_info("[migrations] adopt names %s, which does not exist: nothing to adopt",
                    c->table);
        return r;
    }
    return find_default(db, t, f, err);
}

enum sw_adopt_result sw_adopt_find(struct sw_db *db, const struct sw_config *cfg,
                                   const struct sw_tables *t, const struct sw_migration_set *set,
                                   struct sw_adoption *a, sw_err *err)
{
    struct reading rd = {.set = set, .dir = cfg->migrations.dir, .source = a->source, .err = err};
    struct found f;
    int r;

    memset(a, 0, sizeof *a);
    r = find_tool(db, cfg, t, &f, err);
    if (r < 0)
        return r;
    if (r == 0 && !cfg->migrations.baseline.set)
        return SW_ADOPT_NONE;
    rd.applied = calloc(set->n ? set->n : 1, sizeof *rd.applied);
    if (!rd.applied) {
        sw_err_set(err, "out of memory");
        return SW_ADOPT_ERROR;
    }
    if (r > 0) {
        snprintf(a->source, sizeof a->source, "%s's %s", tool_title(f.tool), f.table);
        r = read_history(db, &f, &rd, a);
    } else {
        char v[SW_VERSION_TEXT_MAX];
        sw_version_format(&cfg->migrations.baseline.value, '.', v);
        snprintf(a->source, sizeof a->source, "baseline %s", v);
        r = mark_up_to(&rd, v, false) < 0 ? SW_ADOPT_REFUSED : SW_ADOPT_FOUND;
    }
    if (r == SW_ADOPT_FOUND)
        r = collect(a, rd.applied, set->n, err);
    free(rd.applied);
    return r;
}

int sw_adopt_record(struct sw_db *db, const struct sw_tables *t, const struct sw_adoption *a,
                    const struct sw_migration_set *set, const struct sw_plan *plan, sw_err *err)
{
    char note[sizeof a->source + 16];

    snprintf(note, sizeof note, "%s%s", strncmp(a->source, "baseline", 8) ? "adopted from " : "",
             a->source);
    for (size_t i = 0; i < a->n; i++) {
        size_t k = a->applied[i];
        if (sw_history_record_adopted(db, t, &set->items[k], plan->checksums[k], note, err) < 0)
            return -1;
    }
    return 0;
}

/* Creating the tables and recording the adopted rows is one transaction: should it fail or be
 * stopped, the next upgrade finds no history again and adopts again, never an empty table
 * that would make it replay everything. */
static int create_and_record(struct sw_db *db, const struct sw_tables *t,
                             const struct sw_adoption *a, const struct sw_migration_set *set,
                             const struct sw_plan *plan, sw_err *err)
{
    sw_err ignored;

    if (sw_db_command(db, "BEGIN", err) < 0)
        return -1;
    if (sw_history_create(db, t, err) < 0 || sw_adopt_record(db, t, a, set, plan, err) < 0 ||
        sw_history_notify(db, "adoption", err) < 0 || sw_db_command(db, "COMMIT", err) < 0) {
        sw_db_command(db, "ROLLBACK", &ignored); /* or the server does, as we disconnect */
        return -1;
    }
    return 0;
}

int sw_adopt_first_upgrade(struct sw_db *db, const struct sw_config *cfg, const struct sw_tables *t,
                           const struct sw_migration_set *set, const struct sw_plan *plan)
{
    struct sw_adoption a;
    sw_err err;
    enum sw_adopt_result r = sw_adopt_find(db, cfg, t, set, &a, &err);
    int rc = SW_EXIT_OK;

    if (r == SW_ADOPT_REFUSED) {
        sw_error("%s (nothing was written)", err.msg);
        return SW_EXIT_VALIDATION;
    }
    if (r == SW_ADOPT_ERROR) {
        sw_error("%s", err.msg);
        return SW_EXIT_FAIL;
    }
    if ((r == SW_ADOPT_NONE ? sw_history_create(db, t, &err)
                            : create_and_record(db, t, &a, set, plan, &err)) < 0) {
        sw_error("cannot create the slipway tables: %s", err.msg);
        rc = SW_EXIT_FAIL;
    } else if (r == SW_ADOPT_FOUND) {
        sw_info("%s %zu migration%s from %s%s", a.source[0] == 'b' ? "recorded" : "adopted", a.n,
                a.n == 1 ? "" : "s", a.source, a.detail);
    }
    sw_adopt_free(&a);
    return rc;
}

void sw_adopt_free(struct sw_adoption *a)
{
    free(a->applied);
    memset(a, 0, sizeof *a);
}
