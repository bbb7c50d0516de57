/* `slipway status [--json]`: what an upgrade would find, read-only: schema version, applied
 * and pending migrations, drift, tasks (recorded against configured), the lock holder and
 * the live fleet. Creates nothing and takes no lock. */
#include "migrate/status.h"
#include "base/exitcodes.h"
#include "base/log.h"
#include "fleet/registry.h"
#include "migrate/adopt.h"
#include "migrate/plan.h"
#include "pg/dynlib.h"
#include "pg/history.h"
#include "pg/lock.h"
#include "pg/session.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

struct status {
    const struct sw_config *cfg;
    struct sw_migration_set set;
    struct sw_history history;
    struct sw_plan plan;
    struct sw_task_versions tasks;
    struct sw_repeatable_rows repeatables;
    struct sw_lock_holder holder;
    char database[512];
    /* No history yet: what the first upgrade would adopt, or why it would refuse. */
    enum sw_adopt_result adoption;
    struct sw_adoption adopt;
    char adopt_refused[sizeof(sw_err)];
    struct sw_fleet fleet;
    char fleet_unknown[sizeof(sw_err)]; /* why the registry could not be read, or "" */
};

/* ---- JSON ------------------------------------------------------------------------------- */

static void json_str(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c < 0x20)
            printf("\\u%04x", c);
        else
            putchar(c);
    }
    putchar('"');
}

static void json_key(const char *key, bool first)
{
    printf("%s", first ? "" : ",");
    json_str(key);
    putchar(':');
}

/* ,"key":"s" or ,"key":null */
static void json_opt_str(const char *key, const char *s)
{
    json_key(key, false);
    if (s)
        json_str(s);
    else
        printf("null");
}

/* A version is a string ("1.12.22"): dotted versions are not JSON numbers. */
static void json_version(const struct sw_version *v)
{
    char text[SW_VERSION_TEXT_MAX];
    json_str(sw_version_format(v, '.', text));
}

/* `{"version":"V","name":"NAME"` without the closing brace. */
static void json_entry(const struct sw_version *v, const char *name, bool first)
{
    printf("%s{\"version\":", first ? "" : ",");
    json_version(v);
    printf(",\"name\":");
    json_str(name);
}

static void json_migration(const struct sw_migration *m, bool first)
{
    json_entry(&m->version, m->name, first);
    putchar('}');
}

static void json_list(const char *key, const struct status *st, const size_t *idx, size_t n)
{
    json_key(key, false);
    putchar('[');
    for (size_t i = 0; i < n; i++)
        json_migration(&st->set.items[idx[i]], i == 0);
    putchar(']');
}

/* Drift entries carry both checksums, as the upgrade's error message does. */
static void json_drift(const struct status *st)
{
    json_key("drift", false);
    putchar('[');
    for (size_t i = 0; i < st->plan.n_drift; i++) {
        size_t k = st->plan.drift[i];
        const struct sw_history_row *r = sw_history_find(&st->history, &st->set.items[k].version);
        json_entry(&st->set.items[k].version, st->set.items[k].name, i == 0);
        printf(",\"recorded\":");
        json_str(r->checksum);
        printf(",\"file\":");
        json_str(st->plan.checksums[k]);
        putchar('}');
    }
    putchar(']');
}

static void json_migrations(const struct status *st)
{
    bool first = true;

    json_key("migrations", false);
    printf("{\"applied\":[");
    for (size_t i = 0; i < st->history.n; i++) {
        const struct sw_history_row *r = &st->history.rows[i];
        if (!r->success)
            continue;
        json_entry(&r->version, r->name, first);
        putchar('}');
        first = false;
    }
    putchar(']');
    json_list("pending", st, st->plan.pending, st->plan.n_pending);
    json_drift(st);
    json_list("out_of_order", st, st->plan.early, st->plan.n_early);
    json_key("repeatable", false);
    putchar('[');
    for (size_t i = 0; i < st->plan.n_repeat_pending; i++) {
        printf("%s{\"name\":", i ? "," : "");
        json_str(st->set.repeatables[st->plan.repeat_pending[i]].name);
        putchar('}');
    }
    putchar(']');
    json_key("unknown", false);
    putchar('[');
    for (size_t i = 0; i < st->plan.n_unknown; i++) {
        json_entry(&st->plan.unknown[i]->version, st->plan.unknown[i]->name, i == 0);
        putchar('}');
    }
    printf("]}");
}

static void json_tasks(const struct status *st)
{
    json_key("tasks", false);
    putchar('[');
    for (size_t i = 0; i < st->cfg->n_tasks; i++) {
        const struct sw_task *t = &st->cfg->tasks[i];
        uint64_t rec;
        bool has = sw_task_versions_find(&st->tasks, t->name, &rec);
        printf("%s{\"name\":", i ? "," : "");
        json_str(t->name);
        printf(",\"configured\":%" PRIu64 ",\"recorded\":", t->version.value);
        if (has)
            printf("%" PRIu64, rec);
        else
            printf("null");
        printf(",\"required\":%s,\"behind\":%s}", t->required ? "true" : "false",
               !has || rec < t->version.value ? "true" : "false");
    }
    putchar(']');
}

static void json_adoption(const struct status *st)
{
    json_key("adoption", false);
    if (st->adoption == SW_ADOPT_FOUND) {
        printf("{\"source\":");
        json_str(st->adopt.source);
        printf(",\"migrations\":%zu}", st->adopt.n);
    } else if (st->adoption == SW_ADOPT_REFUSED) {
        printf("{\"refused\":");
        json_str(st->adopt_refused);
        putchar('}');
    } else {
        printf("null");
    }
}

static void json_replica_group(const struct sw_fleet *f, size_t from, size_t to)
{
    const struct sw_replica *r = &f->items[from];

    printf("%s{\"image\":", from ? "," : "");
    json_str(r->image);
    printf(",\"requires\":");
    if (r->has_requires)
        json_version(&r->requires);
    else
        printf("null");
    printf(",\"instances\":[");
    for (size_t i = from; i < to; i++) {
        printf("%s{\"instance\":", i > from ? "," : "");
        json_str(f->items[i].instance);
        printf(",\"last_seen_s\":%.1f}", f->items[i].seen_ago_s);
    }
    printf("]}");
}

/* null with "fleet_error" when the registry cannot be read (no table yet, no rights). */
static void json_fleet(const struct status *st)
{
    json_key("fleet", false);
    if (st->fleet_unknown[0]) {
        printf("null");
        json_key("fleet_error", false);
        json_str(st->fleet_unknown);
        return;
    }
    putchar('[');
    for (size_t i = 0, end; i < st->fleet.n; i = end) {
        end = sw_fleet_group_end(&st->fleet, i);
        json_replica_group(&st->fleet, i, end);
    }
    putchar(']');
}

static void print_json(const struct status *st)
{
    putchar('{');
    json_key("database", true);
    json_str(st->database);
    json_key("schema_version", false);
    if (st->plan.has_version)
        json_version(&st->plan.schema_version);
    else
        printf("null");
    json_migrations(st);
    json_adoption(st);
    json_tasks(st);
    json_key("lock", false);
    printf("{\"held\":%s", st->holder.held ? "true" : "false");
    if (st->holder.held) {
        printf(",\"pid\":%d,\"application_name\":", st->holder.pid);
        json_str(st->holder.application_name);
        json_opt_str("client", st->holder.hidden ? NULL : st->holder.client);
        json_opt_str("since", st->holder.hidden ? NULL : st->holder.since);
        printf(",\"hidden\":%s", st->holder.hidden ? "true" : "false");
    }
    putchar('}');
    json_fleet(st);
    printf("}\n");
}

/* ---- text -------------------------------------------------------------------------------- */

static void text_list(const char *label, const struct status *st, const size_t *idx, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const struct sw_migration *m = &st->set.items[idx[i]];
        const struct sw_history_row *r = sw_history_find(&st->history, &m->version);
        printf("  %-12s %s", label, m->name);
        if (r && !r->success)
            printf(" (stopped after statement %d)", r->statements_done);
        putchar('\n');
    }
}

static void text_fleet(const struct status *st)
{
    char v[SW_VERSION_TEXT_MAX];

    if (st->fleet_unknown[0]) {
        printf("fleet: unknown (%s)\n", st->fleet_unknown);
        return;
    }
    printf("fleet: %zu live replica%s\n", st->fleet.n, st->fleet.n == 1 ? "" : "s");
    for (size_t i = 0, end; i < st->fleet.n; i = end) {
        const struct sw_replica *r = &st->fleet.items[i];
        end = sw_fleet_group_end(&st->fleet, i);
        printf("  image %s, requires %s: %zu replica%s:", r->image[0] ? r->image : "(unlabelled)",
               r->has_requires ? sw_version_format(&r->requires, '.', v) : "nothing", end - i,
               end - i == 1 ? "" : "s");
        for (size_t k = i; k < end; k++)
            printf(" %s", st->fleet.items[k].instance);
        putchar('\n');
    }
}

static void print_text(const struct status *st)
{
    char v[SW_VERSION_TEXT_MAX];

    printf("database: %s\n", st->database);
    if (st->plan.has_version)
        printf("schema version: %s\n", sw_version_format(&st->plan.schema_version, '.', v));
    else
        printf("schema version: none\n");
    printf("migrations: %zu applied, %zu pending, %zu changed since applied, %zu unknown\n",
           st->plan.n_applied, st->plan.n_pending, st->plan.n_drift, st->plan.n_unknown);
    if (st->adoption == SW_ADOPT_FOUND)
        printf("  no history yet: the first upgrade adopts %zu migration%s from %s%s\n",
               st->adopt.n, st->adopt.n == 1 ? "" : "s", st->adopt.source, st->adopt.detail);
    else if (st->adoption == SW_ADOPT_REFUSED)
        printf("  no history yet, and the first upgrade would stop: %s\n", st->adopt_refused);
    text_list("pending", st, st->plan.pending, st->plan.n_pending);
    text_list("changed", st, st->plan.drift, st->plan.n_drift);
    text_list("out-of-order", st, st->plan.early, st->plan.n_early);
    for (size_t i = 0; i < st->plan.n_repeat_pending; i++)
        printf("  %-12s %s\n", "repeatable", st->set.repeatables[st->plan.repeat_pending[i]].name);
    for (size_t i = 0; i < st->plan.n_unknown; i++)
        printf("  %-12s %s %s\n", "unknown",
               sw_version_format(&st->plan.unknown[i]->version, '.', v), st->plan.unknown[i]->name);
    for (size_t i = 0; i < st->cfg->n_tasks; i++) {
        const struct sw_task *t = &st->cfg->tasks[i];
        uint64_t rec;
        bool has = sw_task_versions_find(&st->tasks, t->name, &rec);
        printf("task %s: configured %" PRIu64 ", recorded ", t->name, t->version.value);
        if (has)
            printf("%" PRIu64 "%s\n", rec, rec < t->version.value ? " (behind)" : "");
        else
            printf("none (behind)\n");
    }
    if (st->holder.held) {
        char who[512];
        sw_lock_holder_describe(&st->holder, who, sizeof who);
        printf("upgrade lock: held by %s\n", who);
    } else
        printf("upgrade lock: free\n");
    text_fleet(st);
}

/* ---- reading ----------------------------------------------------------------------------- */

static int read_adoption(struct status *st, struct sw_session *s, sw_err *err)
{
    st->adoption = sw_adopt_find(s->db, st->cfg, &s->tables, &st->set, &st->adopt, err);
    if (st->adoption == SW_ADOPT_REFUSED)
        snprintf(st->adopt_refused, sizeof st->adopt_refused, "%s", err->msg);
    return st->adoption == SW_ADOPT_ERROR ? -1 : 0;
}

/* The fleet is a report, not the upgrade's state: a registry that cannot be read (none yet,
 * no rights) is shown as unknown, not an error. */
static void read_fleet(struct status *st, struct sw_session *s)
{
    sw_err err;

    if (sw_fleet_read(s->db, s->tables.fleet, st->cfg->migrations.fleet_ttl_ms, NULL, &st->fleet,
                      &err) == 0)
        return;
    const PGresult *r = sw_db_last_error(s->db);
    const char *state = r ? sw_pq->PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    snprintf(st->fleet_unknown, sizeof st->fleet_unknown, "%s",
             state && strcmp(state, "42P01") == 0 ? "no registry yet: --upgrade creates it"
                                                  : err.msg);
}

static int read_database(struct status *st, struct sw_session *s)
{
    bool exists;
    sw_err err;

    if (sw_history_exists(s->db, &s->tables, &exists, &err) < 0 ||
        (!exists && read_adoption(st, s, &err) < 0) ||
        (exists && sw_history_read(s->db, &s->tables, &st->history, &err) < 0) ||
        (exists && sw_task_versions_read(s->db, &s->tables, &st->tasks, &err) < 0) ||
        sw_repeatables_read(s->db, &s->tables, &st->repeatables, &err) < 0 ||
        sw_plan_build(&st->plan, &st->set, &st->history, &err) < 0 ||
        sw_plan_repeatables(&st->plan, &st->set, &st->repeatables, &err) < 0 ||
        sw_lock_holder(s->db, st->cfg->migrations.table, &st->holder, &err) < 0) {
        sw_error("cannot read the upgrade state: %s", err.msg);
        return SW_EXIT_FAIL;
    }
    read_fleet(st, s);
    return SW_EXIT_OK;
}

/* The files and their checksums, read while the connection starts (sw_db_meanwhile). */
static int read_files(void *arg)
{
    struct status *st = arg;
    sw_err err;

    if (sw_migrations_load(st->cfg->migrations.dir, NULL, sw_checksum, &st->set, &err) < 0) {
        sw_error("%s", err.msg);
        return SW_EXIT_USAGE;
    }
    if (sw_plan_checksums(&st->plan, &st->set, &err) < 0) {
        sw_error("%s", err.msg);
        return SW_EXIT_FAIL;
    }
    return SW_EXIT_OK;
}

int sw_status_main(const struct sw_config *cfg, const struct sw_cli *cli)
{
    struct status st = {.cfg = cfg};
    struct sw_db_meanwhile files = {.fn = read_files, .arg = &st};
    struct sw_session s;
    int rc = sw_session_open(&s, cfg, "status", SW_SESSION_READ, NULL, &files);

    if (rc == SW_EXIT_OK)
        rc = read_database(&st, &s);
    sw_session_close(&s);
    if (rc == SW_EXIT_OK) {
        sw_db_describe(cfg->database.url, st.database, sizeof st.database);
        if (cli->json)
            print_json(&st);
        else
            print_text(&st);
    }
    sw_fleet_free(&st.fleet);
    sw_adopt_free(&st.adopt);
    sw_task_versions_free(&st.tasks);
    sw_repeatables_free(&st.repeatables);
    sw_history_free(&st.history);
    sw_plan_free(&st.plan);
    sw_migrations_free(&st.set);
    return rc;
}
