/* Adoption and baseline (README "Adoption and baseline"): on a database where slipway has no
 * history yet, take over what another migration tool recorded as applied (golang-migrate,
 * dbmate, Flyway, node-pg-migrate), or what `[migrations] baseline` says, so that nothing is
 * replayed. The other tool's table is only read. */
#ifndef SLIPWAY_MIGRATE_ADOPT_H
#define SLIPWAY_MIGRATE_ADOPT_H

#include "config/config.h"
#include "migdir/migration.h"
#include "migrate/plan.h"
#include "pg/db.h"
#include "pg/history.h"

#include <stdbool.h>
#include <stddef.h>

struct sw_adoption {
    bool found;       /* a history to take over (or a baseline) was found */
    char source[320]; /* "golang-migrate's public.schema_migrations", "baseline 12" */
    char detail[96];  /* " (version 20)", or "" */
    size_t *applied;  /* indexes into the set of the migrations to record, ascending */
    size_t n;
};

enum sw_adopt_result {
    SW_ADOPT_NONE = 0,     /* nothing to take over: a new database */
    SW_ADOPT_FOUND = 1,    /* *a says what */
    SW_ADOPT_ERROR = -1,   /* the database failed us: err */
    SW_ADOPT_REFUSED = -2, /* the other history cannot be taken over as it is: err says why */
};

/* Looks for another tool's history table (cfg->migrations.adopt) or a baseline, reads it and
 * maps every version it applied to a file of set. Writes nothing. */
enum sw_adopt_result sw_adopt_find(struct sw_db *db, const struct sw_config *cfg,
                                   const struct sw_tables *t, const struct sw_migration_set *set,
                                   struct sw_adoption *a, sw_err *err);
/* Records a's migrations in the (new) history table with the checksums of their files, each
 * row marked as adopted. The caller holds the upgrade lock and wraps this in the transaction
 * that creates the table. */
int sw_adopt_record(struct sw_db *db, const struct sw_tables *t, const struct sw_adoption *a,
                    const struct sw_migration_set *set, const struct sw_plan *plan, sw_err *err);
/* The first upgrade of a database, under the lock, when the history table does not exist:
 * finds what to adopt, then creates slipway's tables and records it in one transaction
 * (NOTIFY included), and says so in one line. Returns the exit code: 0, 5 when the other
 * history cannot be taken over (nothing written), 1. */
int sw_adopt_first_upgrade(struct sw_db *db, const struct sw_config *cfg, const struct sw_tables *t,
                           const struct sw_migration_set *set, const struct sw_plan *plan);
void sw_adopt_free(struct sw_adoption *a);

#endif
