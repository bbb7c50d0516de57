/* Migration files on disk: loading, content, ordering (README "Migrations").
 * Pure file-system work: no database, so `slipway check` can use it offline. */
#ifndef SLIPWAY_MIGDIR_MIGRATION_H
#define SLIPWAY_MIGDIR_MIGRATION_H

#include "base/err.h"
#include "base/version.h"
#include "config/config.h"
#include "migdir/name.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Files larger than this are refused: a migration is reviewed SQL, not a data load. */
#define SW_MIGRATION_MAX_BYTES (16u * 1024u * 1024u)

/* Room for a file's checksum: SHA-256 in hex and a NUL (migrate/checksum.h computes it). */
#define SW_MIGRATION_SUM_MAX 65
/* The checksum of a file's content, from the layer that can hash (migdir reads, but does not
 * load libcrypto): 0, or -1 with err set. */
typedef int (*sw_migration_sum_fn)(const char *content, size_t len, char sum[SW_MIGRATION_SUM_MAX],
                                   sw_err *err);

/* What the set keeps of a file is what the steps after loading need: its name, version, how
 * it runs, its checksum. Its body (sql, COPY data) is read again, one file at a time, by
 * sw_migration_load_body, so memory follows the largest file, not the directory.
 * sql is NUL-terminated (PQsendQuery takes a C string) and valid UTF-8. */
struct sw_migration {
    struct sw_version version;
    enum sw_format format;
    char *name; /* path below dir, e.g. "0042_add_orders.sql" or "v2/V2__orders.sql" */
    char *sql;  /* the SQL to run, NULL but between sw_migration_load_body and _drop_body:
                   CRLF normalised to LF, no UTF-8 BOM, [placeholders] replaced in Flyway's;
                   for dbmate only the lines between "-- migrate:up" and "-- migrate:down" */
    size_t sql_len;
    int sql_line; /* 1-based line of the file where sql starts: add sql_line - 1 to a
                     sw_stmt line to get the file's line (> 1 only for dbmate) */
    /* The checksum of the whole file, CRLF normalised to LF (with the set's sum function;
     * "" without one). */
    char checksum[SW_MIGRATION_SUM_MAX];
    bool no_transaction; /* runs statement by statement, outside a transaction block */
    /* Why: > 0, the line of a statement that cannot run in a transaction block (CREATE INDEX
     * CONCURRENTLY...), found without a marker; 0 with no_transaction, a marker in the
     * leading comment block ("-- slipway:no-transaction", "-- morph:nontransactional",
     * "-- migrate:up transaction:false"). */
    int no_transaction_line;
    /* pg_dump's COPY ... FROM stdin data, out of sql (where only its newlines stay, so lines
     * keep their numbers): block i, for the i-th such COPY, is copy_data[copy_off[i]..+len].
     * Part of the body, as sql is. */
    char *copy_data;
    size_t *copy_off, *copy_len;
    size_t n_copies;
    bool empty;      /* no statement, only comments or nothing: recorded, nothing sent */
    bool repeatable; /* Flyway's R__name.sql: in set->repeatables, version unused */
    /* "-- slipway:contract [floor=N]" in the leading comment block (README "Fleet and
     * contract migrations"): it removes what releases requiring less than floor still use.
     * floor defaults to the version of the migration before it (0 for the first). */
    int contract_line; /* 0: not a contract migration */
    bool floor_given;  /* floor=N was written */
    struct sw_version floor;
};

struct sw_migration_set {
    struct sw_migration *items; /* sorted by version, ascending, no duplicates */
    size_t n;
    /* Flyway's R__ files (version 0, format flyway), sorted by file name, without the
     * folder: run after the versioned ones whenever their checksum changed. */
    struct sw_migration *repeatables;
    size_t n_repeatables;
    /* How the files were read, to read a body again the same way. */
    char *dir;
    int dirfd; /* dir, opened once for every body read again; -1 if it could not be */
    const struct sw_placeholders *placeholders; /* the config's; NULL: none replaced */
    sw_migration_sum_fn sum;                    /* NULL: no checksums */
};

/* Whether m is a contract migration: lint's breaks-previous-release rule is silent in it. */
static inline bool sw_migration_is_contract(const struct sw_migration *m)
{
    return m->contract_line > 0;
}

/* Loads every migration of dir into *out (overwritten, not freed first), one file at a time:
 * each is checked whole (as it will run: placeholders replaced when p is not NULL, Flyway's
 * files only), checksummed with sum (when not NULL), and its body dropped. p must outlive the
 * set. Returns 0, or -1 with *out empty and err set to one line: "NAME: ..." or "NAME:LINE: ..."
 * for a file (an unknown placeholder too: "NAME:LINE: unknown placeholder ..."), else
 * "migrations dir 'DIR': ..." or "duplicate version 42: A and B". Sub-directories are
 * scanned as Flyway does (sw_scan_dir); names that are not migrations are passed over, a
 * SW_NAME_SKIPPED one with a warning. A no-transaction migration must split with
 * sw_sql_split (a transactional one is sent whole, so the server reports its syntax
 * errors). */
int sw_migrations_load(const char *dir, const struct sw_placeholders *p, sw_migration_sum_fn sum,
                       struct sw_migration_set *out, sw_err *err);
/* sw_migration_load_body: SW_MIGRATION_CHANGED when the file's checksum is no longer m's. */
#define SW_MIGRATION_CHANGED (-2)
/* Reads m's body again, as sw_migrations_load read it: sql, and its COPY data with copies
 * (only what runs needs it: without, a pg_dump file costs half the memory); the rest of m
 * stays as loaded. 0; -1 with err as sw_migrations_load sets it (the file became unreadable or
 * invalid); or SW_MIGRATION_CHANGED with err "NAME: changed since it was read: checksum A,
 * now B" (with a sum function): nothing is kept then. Free it with sw_migration_drop_body. */
int sw_migration_load_body(const struct sw_migration_set *set, struct sw_migration *m, bool copies,
                           sw_err *err);
/* Frees m's body; safe when it has none. */
void sw_migration_drop_body(struct sw_migration *m);
/* The versions of the names below dir, in no order, reading no file (health must be cheap):
 * none when dir does not exist. *out is malloc'd (NULL when none). */
int sw_migrations_versions(const char *dir, struct sw_version **out, size_t *n, sw_err *err);
/* The name a repeatable is known by in the history: its file name without the folder. */
const char *sw_repeatable_key(const struct sw_migration *m);

/* How m runs, in the words `check` and the upgrade's log share: "transaction",
 * "no transaction: marker", "no transaction: line N cannot run in a transaction block" or
 * "empty: recorded, nothing to run", then ", contract (floor N)" for a contract migration.
 * Written into buf, which it returns. */
#define SW_MIGRATION_HOW_MAX (96 + SW_VERSION_TEXT_MAX)
const char *sw_migration_how(const struct sw_migration *m, char *buf, size_t size);
/* Frees everything and leaves *set empty; safe on an empty set. */
void sw_migrations_free(struct sw_migration_set *set);
/* Index of the migration with this version, or -1. */
long sw_migrations_find(const struct sw_migration_set *set, const struct sw_version *version);

#endif
