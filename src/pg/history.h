/* The tables slipway keeps in the database (README "Migrations"): the migration history
 * (name from [migrations] table, possibly schema-qualified) and slipway_tasks, which lives in
 * the same schema. Reading, creating and writing them; no policy. */
#ifndef SLIPWAY_PG_HISTORY_H
#define SLIPWAY_PG_HISTORY_H

#include "base/err.h"
#include "migdir/migration.h"
#include "pg/db.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The two table names, each part quoted as an identifier, ready to splice into SQL. */
struct sw_tables {
    char *schema;           /* quoted schema: configured, or resolved on the server */
    bool configured_schema; /* the config named it: create it when missing */
    char *migrations;       /* e.g. "app"."slipway_migrations" */
    char *tasks;            /* e.g. "app"."slipway_tasks" */
    char *fleet; /* e.g. "app"."slipway_fleet" (README "Fleet and contract migrations") */
};

struct sw_history_row {
    struct sw_version version;
    char *name;
    char *checksum;
    bool success; /* false: a no-transaction migration stopped after statements_done */
    int statements_done;
};

struct sw_history {
    struct sw_history_row *rows; /* ascending version */
    size_t n;
};

struct sw_task_version {
    char *name;
    uint64_t version;
};

struct sw_task_versions {
    struct sw_task_version *items;
    size_t n;
};

/* configured: "table" or "schema.table" (split at the first dot); an unqualified name is
 * pinned to the schema where it is, or would be created through search_path. */
int sw_tables_init(struct sw_tables *t, struct sw_db *db, const char *configured, sw_err *err);
void sw_tables_free(struct sw_tables *t);
/* Whether table, a name the server reported (PG_DIAG_TABLE_NAME), is the history table. */
bool sw_tables_is_history(const struct sw_tables *t, const char *table);

/* Creates the schema and the tables when missing, converts a history table written by
 * slipway 0.1 (version bigint) to the version numeric[] that holds dotted versions, and adds
 * the contract_floor column to a history written before it. Call it under the upgrade lock:
 * concurrent CREATE ... IF NOT EXISTS can still fail on the catalog's unique indexes, and
 * the conversion rewrites the table. */
int sw_history_create(struct sw_db *db, const struct sw_tables *t, sw_err *err);
/* Whether the history table exists (status must not create anything). */
int sw_history_exists(struct sw_db *db, const struct sw_tables *t, bool *exists, sw_err *err);

int sw_history_read(struct sw_db *db, const struct sw_tables *t, struct sw_history *h, sw_err *err);
void sw_history_free(struct sw_history *h);
const struct sw_history_row *sw_history_find(const struct sw_history *h,
                                             const struct sw_version *version);
/* A version as PostgreSQL prints the history column: "{1,12,22}" (numeric[]) or "42"
 * (bigint, a table slipway 0.1 wrote and an upgrade has not converted yet). */
int sw_history_parse_version(const char *text, struct sw_version *v, sw_err *err);

/* Inserts or updates m's row (no-transaction progress); duration and applied_at are measured
 * up to now. */
int sw_history_record(struct sw_db *db, const struct sw_tables *t, const struct sw_migration *m,
                      const char *checksum, int64_t duration_ms, int statements_done, bool success,
                      sw_err *err);
/* The successful row of a transactional migration as SQL text with the values quoted in,
 * followed by "; then": to send in one round trip with the migration itself, its NOTIFY and
 * COMMIT; duration_ms is measured by the server from the transaction's start. It fails
 * (unique violation) when the version is recorded already. replace: the history read under
 * the lock holds a row for m (an unfinished one): it is deleted first. malloc'd; NULL with
 * err on failure. */
char *sw_history_commit_sql(struct sw_db *db, const struct sw_tables *t,
                            const struct sw_migration *m, const char *checksum, bool replace,
                            const char *then, sw_err *err);
/* m's row as applied by another tool or a baseline: note says which, in applied_by
 * ("adopted from dbmate's public.schema_migrations"). No NOTIFY, no transaction of its own. */
int sw_history_record_adopted(struct sw_db *db, const struct sw_tables *t,
                              const struct sw_migration *m, const char *checksum, const char *note,
                              sw_err *err);
/* For a contract migration, "UPDATE history SET contract_floor ...; then" (its floor, for
 * the health of older images); for any other, a copy of then. then may be NULL (nothing
 * after). malloc'd; NULL with err. */
char *sw_history_floor_sql(const struct sw_tables *t, const struct sw_migration *m,
                           const char *then, sw_err *err);
int sw_history_set_checksum(struct sw_db *db, const struct sw_tables *t,
                            const struct sw_version *version, const char *checksum, sw_err *err);

int sw_task_versions_read(struct sw_db *db, const struct sw_tables *t, struct sw_task_versions *v,
                          sw_err *err);
void sw_task_versions_free(struct sw_task_versions *v);
/* The recorded version of name, or false when none. */
bool sw_task_versions_find(const struct sw_task_versions *v, const char *name, uint64_t *version);
int sw_task_version_record(struct sw_db *db, const struct sw_tables *t, const char *name,
                           uint64_t version, sw_err *err);

/* The NOTIFY that wakes waiting supervisors: what is e.g. "migration 42" or "task reindex".
 * Inside a transaction it is delivered at COMMIT. */
int sw_history_notify(struct sw_db *db, const char *what, sw_err *err);
/* The SQL of that NOTIFY, to send in one round trip with a COMMIT; malloc'd. */
char *sw_history_notify_sql(struct sw_db *db, const char *what, const char *then, sw_err *err);

#endif
