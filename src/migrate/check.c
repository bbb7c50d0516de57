/* `slipway check`: everything that can be validated without a database, so that CI can
 * reject a broken image before it is deployed. The config was already loaded by main. */
#include "migrate/check.h"
#include "base/exitcodes.h"
#include "base/log.h"
#include "lint/lint.h"
#include "migdir/migration.h"
#include "pid1/spawn.h"

#include <stdio.h>
#include <string.h>

/* One line per file: its version, the format it was read as, how it runs. */
static void print_set(const char *dir, const struct sw_migration_set *set)
{
    char first[SW_VERSION_TEXT_MAX], last[SW_VERSION_TEXT_MAX], v[SW_VERSION_TEXT_MAX];

    for (size_t i = 0; i < set->n; i++) {
        const struct sw_migration *m = &set->items[i];
        char how[SW_MIGRATION_HOW_MAX];
        printf("  %-10s %-40s %-14s %s\n", sw_version_format(&m->version, '.', v), m->name,
               sw_format_name(m->format), sw_migration_how(m, how, sizeof how));
    }
    for (size_t i = 0; i < set->n_repeatables; i++)
        printf("  %-10s %-40s %-14s %s\n", "R", set->repeatables[i].name, "flyway",
               "transaction, runs again when it changes");
    printf("%s: %zu migrations, versions %s to %s\n", dir, set->n,
           sw_version_format(&set->items[0].version, '.', first),
           sw_version_format(&set->items[set->n - 1].version, '.', last));
}

/* README "Which release a contract breaks": a default floor is the migration just before, and
 * replicas requiring it are not waited for. When that migration changes the schema, the release
 * that shipped it may still use what the contract removes, and a later release that stopped
 * using it without a migration of its own requires the same version: the floor cannot tell
 * them apart. An empty migration before it (the recipe) or an explicit floor says it can. */
static void warn_floors(const struct sw_migration_set *set)
{
    char v[SW_VERSION_TEXT_MAX];

    for (size_t i = 1; i < set->n; i++) {
        const struct sw_migration *m = &set->items[i], *before = &set->items[i - 1];
        if (!sw_migration_is_contract(m) || m->floor_given || before->empty ||
            sw_migration_is_contract(before))
            continue;
        sw_warn("%s:%d: contract floor %s is %s, which changes the schema: replicas of the "
                "release that shipped it are not waited for; if that release still uses what "
                "this removes, ship an empty migration with the release that stops using it and "
                "put this after it, or write floor=VERSION",
                m->name, m->contract_line, sw_version_format(&m->floor, '.', v), before->name);
    }
}

int sw_check_main(const struct sw_config *cfg)
{
    struct sw_migration_set set;
    struct sw_user user;
    sw_err err;
    int rc;

    if (cfg->serve.user) {
        if (sw_user_lookup(cfg->serve.user, &user, &err) < 0) {
            sw_error("[serve] %s", err.msg);
            return SW_EXIT_USAGE;
        }
        sw_user_free(&user);
    }
    if (sw_migrations_load(cfg->migrations.dir, &cfg->placeholders, NULL, &set, &err) < 0) {
        sw_error("%s", err.msg);
        return SW_EXIT_USAGE;
    }
    if (set.n > 0)
        print_set(cfg->migrations.dir, &set);
    else
        printf("%s: no migrations\n", cfg->migrations.dir);
    warn_floors(&set);
    rc = sw_lint_migrations(&set, NULL, 0, cfg->migrations.lint, SW_LINT_TO_STDOUT);
    printf("%s: OK (%zu task%s)\n", cfg->path ? cfg->path : "built-in defaults", cfg->n_tasks,
           cfg->n_tasks == 1 ? "" : "s");
    sw_migrations_free(&set);
    return rc;
}
