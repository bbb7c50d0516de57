#include "health/metrics.h"

#include "version.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

static void header(FILE *f, const char *name, const char *type, const char *help)
{
    fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A metric without labels, its name written once: the header, then its sample when there is
 * one to show (a figure not known yet is left out, not shown as 0). */
static void integer(FILE *f, const char *name, const char *type, const char *help, bool present,
                    uint64_t value)
{
    header(f, name, type, help);
    if (present)
        fprintf(f, "%s %" PRIu64 "\n", name, value);
}

static void seconds(FILE *f, const char *name, const char *help, double value)
{
    header(f, name, "gauge", help);
    fprintf(f, "%s %.3f\n", name, value);
}

/* A label value: backslash, double quote and newline escaped, as the format requires. */
static void label_value(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        if (*s == '\\' || *s == '"')
            fprintf(f, "\\%c", *s);
        else if (*s == '\n')
            fputs("\\n", f);
        else
            fputc(*s, f);
    }
}

/* Every version is rendered here, and only here: its text goes in a label, and its value is
 * the number for a plain integer version. A dotted version (1.12.22) has no single number: its
 * value will be NaN, its label says which it is. */
static void version_label(FILE *f, const struct sw_version *v)
{
    fputs(sw_version_text(v).s, f);
}

static void version_value(FILE *f, const struct sw_version *v)
{
    if (v->n == 1)
        fprintf(f, "%" PRIu64, v->part[0]);
    else
        fputs("NaN", f);
}

static void build_info(FILE *f, const struct sw_metrics *m)
{
    header(f, "slipway_build_info", "gauge",
           "slipway's version, this image's label and the schema version it requires.");
    fputs("slipway_build_info{version=\"", f);
    label_value(f, SLIPWAY_VERSION);
    fputs("\",image=\"", f);
    label_value(f, m->image);
    fputs("\",requires=\"", f);
    if (m->req->has_schema)
        version_label(f, &m->req->schema);
    fputs("\"} 1\n", f);
}

/* What the last check saw; the database's figures only when it answered. */
static void seen(FILE *f, const struct sw_metrics *m)
{
    const struct sw_health *h = m->health;

    integer(f, "slipway_healthy", "gauge",
            "1 when every dependency is at the version this image requires (slipway health).", true,
            h->healthy);
    seconds(f, "slipway_last_check_timestamp_seconds",
            "When the dependencies were last checked (0: not yet).", h->checked_at);
    header(f, "slipway_schema_version", "gauge",
           "Schema version seen at the last check: label version, value the version when it is "
           "a plain integer.");
    if (h->reachable && h->has_schema) {
        fputs("slipway_schema_version{version=\"", f);
        version_label(f, &h->schema);
        fputs("\"} ", f);
        version_value(f, &h->schema);
        fputc('\n', f);
    }
    integer(f, "slipway_migrations_pending", "gauge",
            "Migrations shipped in this image newer than the schema version seen.",
            h->reachable && h->pending_known, h->pending);
}

static void dependencies(FILE *f, const struct sw_health *h)
{
    header(f, "slipway_dependency_up", "gauge",
           "1 when the dependency's version could be read at the last check.");
    for (size_t i = 0; i < h->n_deps; i++) {
        fputs("slipway_dependency_up{name=\"", f);
        label_value(f, h->deps[i].name);
        fprintf(f, "\"} %d\n", h->reachable);
    }
    header(f, "slipway_dependency_compatible", "gauge",
           "1 when the dependency is at the version this image requires (and within max_ahead).");
    for (size_t i = 0; i < h->n_deps; i++) {
        fputs("slipway_dependency_compatible{name=\"", f);
        label_value(f, h->deps[i].name);
        fprintf(f, "\"} %d\n", h->reachable && h->deps[i].compatible);
    }
}

static void child(FILE *f, const struct sw_metrics *m)
{
    integer(f, "slipway_child_up", "gauge", "1 while the server runs.", true, m->child_up);
    integer(f, "slipway_child_exits_total", "counter",
            "Times the server exited (slipway does not restart it: at most 1).", true,
            m->child_exits);
    integer(f, "slipway_child_exit_code", "gauge", "The server's exit code, once it exited.",
            m->child_exits != 0, (uint64_t)m->child_exit_code);
}

/* The fleet as this replica's heartbeat last read it, by image and requirement. */
static void fleet(FILE *f, const struct sw_fleet *fl)
{
    header(f, "slipway_fleet_replicas", "gauge",
           "Live replicas in slipway_fleet by image and the schema version it requires, as of "
           "this replica's last heartbeat.");
    for (size_t i = 0, end; fl && i < fl->n; i = end) {
        end = sw_fleet_group_end(fl, i);
        fputs("slipway_fleet_replicas{image=\"", f);
        label_value(f, fl->items[i].image);
        fputs("\",requires=\"", f);
        if (fl->items[i].has_requires)
            version_label(f, &fl->items[i].requires);
        fprintf(f, "\"} %zu\n", end - i);
    }
}

/* An upgrade or task run as it goes: a wait for the lock shows while it lasts (the alert
 * "waiting for 10 minutes" needs no end to it). */
static void run(FILE *f, const struct sw_progress *p)
{
    integer(f, "slipway_upgrade_lock_waiting", "gauge",
            "1 while this run waits for the upgrade lock.", true, p->lock_waiting);
    seconds(f, "slipway_upgrade_lock_wait_seconds",
            "How long this run has waited for the upgrade lock: growing while it waits, then the "
            "total.",
            sw_progress_lock_wait_seconds(p));
    integer(f, "slipway_upgrade_lock_held", "gauge", "1 while this run holds the upgrade lock.",
            true, p->lock_held);
    seconds(f, "slipway_upgrade_lock_held_seconds", "How long this run has held the upgrade lock.",
            sw_progress_lock_held_seconds(p));
    integer(f, "slipway_upgrade_migrations_applied", "gauge",
            "Migrations this run applied so far (once it read the history under the lock).",
            p->plan_known, p->applied);
    integer(f, "slipway_upgrade_migrations_pending", "gauge",
            "Migrations this run has still to apply (once it read the history under the lock).",
            p->plan_known, p->pending);
    header(f, "slipway_upgrade_migration_running_info", "gauge",
           "The migration this run applies now, as label migration.");
    if (p->running[0]) {
        fputs("slipway_upgrade_migration_running_info{migration=\"", f);
        label_value(f, p->running);
        fputs("\"} 1\n", f);
    }
}

char *sw_metrics_render(const struct sw_metrics *m, size_t *len)
{
    char *text = NULL;
    FILE *f = open_memstream(&text, len);

    if (!f)
        return NULL;
    build_info(f, m);
    if (m->run) {
        run(f, m->run);
    } else {
        seen(f, m);
        dependencies(f, m->health);
        child(f, m);
        fleet(f, m->fleet);
    }
    bool failed = ferror(f); /* out of memory on the way */
    if (fclose(f) != 0 || failed) {
        free(text);
        return NULL;
    }
    return text;
}
