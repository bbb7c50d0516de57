/* The checksum of the applied part of a no-transaction migration (README "Migrations"). A
 * half-done one records it instead of the whole file's, so that the run that resumes it can
 * tell an edit of a statement not applied yet (the usual fix of the one that failed), which
 * it takes, from an edit of one that was, which it refuses. The part of statements 1..k is
 * the file's SQL from its start to the end of statement k, each statement followed by its
 * COPY data. */
#ifndef SLIPWAY_MIGRATE_APPLIED_PART_H
#define SLIPWAY_MIGRATE_APPLIED_PART_H

#include "base/err.h"
#include "migdir/migration.h"
#include "migdir/sqlsplit.h"
#include "migrate/checksum.h"

struct sw_applied_part {
    struct sw_checksum_stream *stream;
    const struct sw_migration *m;
    const struct sw_stmt *stmts; /* m's statements, from sw_sql_split */
    size_t n_stmts, added;       /* statements in the part */
    size_t end;                  /* bytes of m->sql in the part */
    size_t copies;               /* COPY data blocks in the part */
};

int sw_applied_part_open(struct sw_applied_part *p, const struct sw_migration *m,
                         const struct sw_stmt *stmts, size_t n_stmts, sw_err *err);
/* Adds the next statement: hex is then the checksum of the part up to it. */
int sw_applied_part_next(struct sw_applied_part *p, char hex[SW_CHECKSUM_HEX_LEN + 1], sw_err *err);
void sw_applied_part_close(struct sw_applied_part *p);

#endif
