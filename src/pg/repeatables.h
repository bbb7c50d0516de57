/* Flyway's repeatable migrations (R__name.sql) in the database: slipway_repeatables, in the
 * schema of the history table, holds the checksum each one last ran with. Kept apart from
 * the history: a repeatable has no version, and the schema version ignores them. */
#ifndef SLIPWAY_PG_REPEATABLES_H
#define SLIPWAY_PG_REPEATABLES_H

#include "base/err.h"
#include "migdir/migration.h"
#include "pg/db.h"
#include "pg/history.h"

#define SW_REPEATABLES_TABLE "slipway_repeatables"

struct sw_repeatable_row {
    char *name; /* sw_repeatable_key: the file name without its folder */
    char *checksum;
};

struct sw_repeatable_rows {
    struct sw_repeatable_row *items;
    size_t n;
};

/* Creates the table when missing: under the upgrade lock, and only once a repeatable is to
 * run, so that a database without any has no such table. */
int sw_repeatables_create(struct sw_db *db, const struct sw_tables *t, sw_err *err);
/* Reads the rows; none when the table does not exist yet (status creates nothing). */
int sw_repeatables_read(struct sw_db *db, const struct sw_tables *t, struct sw_repeatable_rows *r,
                        sw_err *err);
void sw_repeatables_free(struct sw_repeatable_rows *r);
/* The recorded checksum of the repeatable m, or NULL when it never ran. */
const char *sw_repeatables_checksum(const struct sw_repeatable_rows *r,
                                    const struct sw_migration *m);
/* Its row (inserted or updated) as SQL followed by "; then", to commit with the file in one
 * round trip; malloc'd, NULL with err. */
char *sw_repeatable_commit_sql(struct sw_db *db, const struct sw_tables *t,
                               const struct sw_migration *m, const char *checksum,
                               int64_t duration_ms, const char *then, sw_err *err);

#endif
