/* Migration files on disk: name formats, loading, ordering (README "Migrations").
 * Pure file-system work: no database, so `slipway check` can use it offline. */
#ifndef SLIPWAY_MIGDIR_MIGRATION_H
#define SLIPWAY_MIGDIR_MIGRATION_H

#include "base/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Files larger than this are refused: a migration is reviewed SQL, not a data load. */
#define SW_MIGRATION_MAX_BYTES (16u * 1024u * 1024u)

enum sw_name_result {
    SW_NAME_MIGRATION = 0, /* a migration: version filled in */
    SW_NAME_IGNORED = 1,   /* not a migration (README, .down.sql, dotfile): skip silently */
    SW_NAME_INVALID = -1,  /* looks like a migration but cannot be parsed: err filled in */
};

/* sql and content are NUL-terminated (PQsendQuery takes a C string) and valid UTF-8. */
struct sw_migration {
    uint64_t version;
    char *name; /* file name, e.g. "0042_add_orders.sql" */
    char *sql;  /* the SQL to run: CRLF normalised to LF, no UTF-8 BOM; for dbmate only
                   the lines between "-- migrate:up" and "-- migrate:down" */
    size_t sql_len;
    int sql_line;  /* 1-based line of the file where sql starts: add sql_line - 1 to a
                      sw_stmt line to get the file's line (> 1 only for dbmate) */
    char *content; /* whole file, CRLF normalised to LF: what the checksum covers */
    size_t content_len;
    bool no_transaction; /* first line "-- slipway:no-transaction" (or dbmate transaction:false) */
};

struct sw_migration_set {
    struct sw_migration *items; /* sorted by version, ascending, no duplicates */
    size_t n;
};

/* Classifies a directory entry's name; *version is set only for SW_NAME_MIGRATION. */
enum sw_name_result sw_migration_parse_name(const char *name, uint64_t *version, sw_err *err);
/* Loads every migration of dir into *out (overwritten, not freed first). Returns 0, or -1 with
 * *out empty and err set to one line: "NAME: ..." or "NAME:LINE: ..." for a file, else
 * "migrations dir 'DIR': ..." or "duplicate version 42: A and B". Sub-directories and names
 * that are not migrations are skipped. Every migration must hold a statement, and a
 * no-transaction one must split with sw_sql_split (a transactional one is sent whole, so
 * the server reports its syntax errors). */
int sw_migrations_load(const char *dir, struct sw_migration_set *out, sw_err *err);
/* Frees everything and leaves *set empty; safe on an empty set. */
void sw_migrations_free(struct sw_migration_set *set);
/* Index of the migration with this version, or -1. */
long sw_migrations_find(const struct sw_migration_set *set, uint64_t version);

#endif
