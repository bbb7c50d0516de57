/* Flyway's placeholders: Flyway replaces ${name} in its SQL migrations before it runs them,
 * everywhere in the text (comments and strings too), and refuses a name it does not know.
 * slipway does the same for the files it read as Flyway's (V…__ names), with the names of
 * [placeholders] plus ${flyway:filename}; other tools' files are left as written. */
#ifndef SLIPWAY_MIGDIR_PLACEHOLDERS_H
#define SLIPWAY_MIGDIR_PLACEHOLDERS_H

#include "base/err.h"
#include "config/config.h"
#include "migdir/migration.h"

/* Replaces the placeholders in the sql of m when it is a Flyway migration (the checksum stays
 * the file's). -1 with err "NAME:LINE: unknown placeholder ${x} ...". */
int sw_placeholders_apply(struct sw_migration *m, const struct sw_placeholders *p, sw_err *err);

#endif
