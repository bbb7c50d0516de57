/* What an upgrade would do, from the files on disk and the history in the database: the
 * pending migrations and the validation findings (README "Migrations"). Shared by
 * --upgrade, which acts on it, and status, which shows it. */
#ifndef SLIPWAY_MIGRATE_PLAN_H
#define SLIPWAY_MIGRATE_PLAN_H

#include "migdir/migration.h"
#include "migrate/checksum.h"
#include "pg/history.h"
#include "pg/repeatables.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sw_plan {
    char (*checksums)[SW_CHECKSUM_HEX_LEN + 1]; /* one per migration of the set */
    size_t *pending; /* indexes into the set, ascending: not applied, or stopped midway */
    size_t n_pending;
    size_t *drift; /* applied migrations whose file changed since */
    size_t n_drift;
    size_t *early; /* pending migrations older than the schema version (out of order) */
    size_t n_early;
    const struct sw_history_row **unknown; /* applied, but no such file: a newer release's */
    size_t n_unknown;
    size_t n_applied;
    /* repeatables: checksums, and those that never ran or changed since (indexes, in order) */
    char (*repeat_checksums)[SW_CHECKSUM_HEX_LEN + 1];
    size_t *repeat_pending;
    size_t n_repeat_pending;
    bool has_version;
    struct sw_version schema_version; /* highest successfully applied version (0 is one) */
};

/* The checksums of every file, of a set loaded with sw_checksum as its sum function (they
 * outlive the history: build once per set). */
int sw_plan_checksums(struct sw_plan *p, const struct sw_migration_set *set, sw_err *err);
/* Compares the set with h; p keeps pointers into h, which must outlive it. Resets the
 * findings of an earlier call, keeps the checksums. */
int sw_plan_build(struct sw_plan *p, const struct sw_migration_set *set, const struct sw_history *h,
                  sw_err *err);
/* The repeatables to run: those whose checksum differs from r's (or absent from it). */
int sw_plan_repeatables(struct sw_plan *p, const struct sw_migration_set *set,
                        const struct sw_repeatable_rows *r, sw_err *err);
void sw_plan_free(struct sw_plan *p);

#endif
