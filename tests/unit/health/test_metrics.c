/* sw_metrics_render: the exposition text of /metrics from a health answer — label escaping,
 * what is left out when the database was not read, the server's exit, an upgrade run's
 * progress in place of the supervisor's figures, and the render time
 * (measured and reported: a scrape renders once). promtool checks the live output
 * (tests/health/metrics.sh). */
#include "health/metrics.h"
#include "tap.h"
#include "version.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static const struct sw_task reindex = {.name = "re\"index", .version = {true, 3}};
static const struct sw_task *tasks[] = {&reindex};
static const struct sw_requirements req = {
    .database = true, .has_schema = true, .schema = {{42}, 1}, .tasks = tasks, .n_tasks = 1};

static char *render(const struct sw_metrics *m)
{
    size_t len;
    char *text = sw_metrics_render(m, &len);
    TAP_OK(text && strlen(text) == len, "renders (%zu bytes)", text ? len : 0);
    return text;
}

static void has(const char *text, const char *line, bool want)
{
    bool found = false;
    size_t n = strlen(line);
    for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
        found |= strncmp(p, line, n) == 0 && (p[n] == '\n' || p[n] == '\0');
    TAP_OK(found == want, "%s: %s", want ? "has" : "has not", line);
}

static void reachable(void)
{
    struct sw_health h = {.healthy = false,
                          .reachable = true,
                          .checked_at = 1700000000.5,
                          .has_schema = true,
                          .schema = {{41}, 1},
                          .pending = 1,
                          .pending_known = true,
                          .n_deps = 2};
    struct sw_metrics m = {.image = "shop:2\\x\n", .req = &req, .health = &h, .child_up = true};
    char *text;

    h.deps[0] = (struct sw_dep_seen){"database", true, {{41}, 1}, false};
    h.deps[1] = (struct sw_dep_seen){reindex.name, true, {{3}, 1}, true};
    text = render(&m);
    has(text,
        "slipway_build_info{version=\"" SLIPWAY_VERSION
        "\",image=\"shop:2\\\\x\\n\",requires=\"42\"} 1",
        true);
    has(text, "slipway_schema_version{version=\"41\"} 41", true);
    has(text, "slipway_migrations_pending 1", true);
    has(text, "slipway_dependency_up{name=\"database\"} 1", true);
    has(text, "slipway_dependency_compatible{name=\"database\"} 0", true);
    has(text, "slipway_dependency_compatible{name=\"re\\\"index\"} 1", true);
    has(text, "slipway_last_check_timestamp_seconds 1700000000.500", true);
    has(text, "slipway_healthy 0", true);
    has(text, "slipway_child_up 1", true);
    has(text, "slipway_child_exits_total 0", true);
    has(text, "# TYPE slipway_child_exits_total counter", true);
    has(text, "slipway_child_exit_code 0", false);
    free(text);
}

static void unreachable(void)
{
    struct sw_health h = {.n_deps = 1};
    struct sw_metrics m = {.req = &req, .health = &h, .child_exits = 1, .child_exit_code = 143};
    char *text;

    h.deps[0] = (struct sw_dep_seen){.name = "database"};
    text = render(&m);
    has(text, "slipway_build_info{version=\"" SLIPWAY_VERSION "\",image=\"\",requires=\"42\"} 1",
        true);
    has(text, "# TYPE slipway_schema_version gauge", true);
    has(text, "slipway_schema_version{version=\"0\"} 0", false);
    has(text, "slipway_migrations_pending 0", false);
    has(text, "slipway_dependency_up{name=\"database\"} 0", true);
    has(text, "slipway_last_check_timestamp_seconds 0.000", true);
    has(text, "slipway_child_exits_total 1", true);
    has(text, "slipway_child_exit_code 143", true);
    free(text);
}

/* A dotted version has no single number: its text in the label, NaN as the value. */
static void dotted(void)
{
    struct sw_health h = {.reachable = true, .has_schema = true, .schema = {{1, 12, 22}, 3}};
    struct sw_metrics m = {.req = &req, .health = &h};
    char *text = render(&m);

    has(text, "slipway_schema_version{version=\"1.12.22\"} NaN", true);
    free(text);
}

/* The fleet by image and requirement, dotted versions and unlabelled images included; none
 * read yet: the header alone. */
static void fleet(void)
{
    struct sw_replica r[] = {{"a", "v1", true, {{1, 2, 3}, 3}, 1.0},
                             {"b", "v1", true, {{1, 2, 3}, 3}, 2.0},
                             {"c", "", false, {{0}, 0}, 3.0},
                             {"d", "v\"2", true, {{7}, 1}, 4.0}};
    struct sw_fleet f = {r, 4};
    struct sw_health h = {0};
    struct sw_metrics m = {.req = &req, .health = &h, .fleet = &f};
    char *text = render(&m);

    has(text, "slipway_fleet_replicas{image=\"v1\",requires=\"1.2.3\"} 2", true);
    has(text, "slipway_fleet_replicas{image=\"\",requires=\"\"} 1", true);
    has(text, "slipway_fleet_replicas{image=\"v\\\"2\",requires=\"7\"} 1", true);
    free(text);
    m.fleet = NULL;
    text = render(&m);
    has(text, "# TYPE slipway_fleet_replicas gauge", true);
    has(text, "slipway_fleet_replicas{image=\"v1\",requires=\"1.2.3\"} 2", false);
    free(text);
}

/* An upgrade run: the lock's figures as it waits and holds, no supervisor figures, the plan's
 * counts once known, the running migration as a label. */
static void upgrade_run(void)
{
    struct sw_progress p = {0};
    struct sw_metrics m = {.req = &req, .run = &p};
    char *text;

    sw_progress_lock_waiting(&p);
    text = render(&m);
    has(text, "slipway_upgrade_lock_waiting 1", true);
    has(text, "slipway_upgrade_lock_held 0", true);
    has(text, "# TYPE slipway_upgrade_migrations_pending gauge", true);
    has(text, "slipway_upgrade_migrations_pending 0", false);
    has(text, "# TYPE slipway_healthy gauge", false);
    has(text, "# TYPE slipway_child_up gauge", false);
    has(text, "slipway_build_info{version=\"" SLIPWAY_VERSION "\",image=\"\",requires=\"42\"} 1",
        true);
    free(text);
    sw_progress_lock_wait_over(&p, true);
    sw_progress_plan(&p, 2);
    sw_progress_running(&p, "0002_\"x\".sql");
    text = render(&m);
    has(text, "slipway_upgrade_lock_waiting 0", true);
    has(text, "slipway_upgrade_lock_held 1", true);
    has(text, "slipway_upgrade_migrations_applied 0", true);
    has(text, "slipway_upgrade_migrations_pending 2", true);
    has(text, "slipway_upgrade_migration_running_info{migration=\"0002_\\\"x\\\".sql\"} 1", true);
    free(text);
    sw_progress_applied(&p);
    sw_progress_lock_released(&p);
    text = render(&m);
    has(text, "slipway_upgrade_lock_held 0", true);
    has(text, "slipway_upgrade_migrations_applied 1", true);
    has(text, "slipway_upgrade_migrations_pending 1", true);
    has(text, "# TYPE slipway_upgrade_migration_running_info gauge", true);
    has(text, "slipway_upgrade_migration_running_info{migration=\"0002_\\\"x\\\".sql\"} 1", false);
    free(text);
    TAP_OK(sw_progress_lock_wait_seconds(&p) > 0 && sw_progress_lock_held_seconds(&p) > 0,
           "the wait and the hold are timed");
}

static void timing(void)
{
    struct sw_health h = {.reachable = true, .has_schema = true, .schema = {{42}, 1}, .n_deps = 1};
    struct sw_metrics m = {.req = &req, .health = &h};
    struct timespec t0, t1;
    int n = 10000;

    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < n; i++) {
        size_t len;
        free(sw_metrics_render(&m, &len));
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("# render: %.1f us each (mean of %d)\n",
           ((double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec)) / n / 1e3,
           n);
}

int main(void)
{
    reachable();
    unreachable();
    dotted();
    fleet();
    upgrade_run();
    timing();
    return tap_done();
}
