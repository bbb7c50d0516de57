/* `slipway check`: everything that can be validated without a database, so that CI can
 * reject a broken image before it is deployed. The config was already loaded by main. */
#include "migrate/check.h"
#include "base/exitcodes.h"
#include "base/log.h"
#include "lint/lint.h"
#include "migdir/migration.h"
#include "pid1/spawn.h"

#include <inttypes.h>
#include <stdio.h>

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
    if (sw_migrations_load(cfg->migrations.dir, &set, &err) < 0) {
        sw_error("%s", err.msg);
        return SW_EXIT_USAGE;
    }
    if (set.n > 0)
        printf("%s: %zu migrations, versions %" PRIu64 " to %" PRIu64 "\n", cfg->migrations.dir,
               set.n, set.items[0].version, set.items[set.n - 1].version);
    else
        printf("%s: no migrations\n", cfg->migrations.dir);
    rc = sw_lint_migrations(&set, NULL, 0, cfg->migrations.lint, SW_LINT_TO_STDOUT);
    printf("%s: OK (%zu task%s)\n", cfg->path ? cfg->path : "built-in defaults", cfg->n_tasks,
           cfg->n_tasks == 1 ? "" : "s");
    sw_migrations_free(&set);
    return rc;
}
