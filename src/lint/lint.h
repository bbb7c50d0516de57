/* Lint of migrations with PostgreSQL's own parser (README "Lint"): one line
 * per finding, "FILE:LINE: rule: message (hint: ...)", then a summary with counts per rule.
 * Offline: no database. libpg_query is loaded here, on the first call, and only here. */
#ifndef SLIPWAY_LINT_LINT_H
#define SLIPWAY_LINT_LINT_H

#include "config/config.h"
#include "migdir/migration.h"

#include <stddef.h>

enum sw_lint_sink {
    SW_LINT_TO_STDOUT, /* `check`: the findings are its output */
    SW_LINT_TO_LOG,    /* `--upgrade`: warnings and errors of the log */
};

/* Lints the migrations of set at the indexes only[0..n_only), or all of them when only is
 * NULL, reading each body again (sw_migration_load_body), and dropping it after. Returns
 * SW_EXIT_OK, or SW_EXIT_VALIDATION when a finding is an error: always for what cannot run where it
 * stands, for the other rules with lint = error, and with lint = error when libpg_query cannot be
 * loaded (lint = warn then says so once and goes on). A statement the parser does not know is never
 * an error. lint = off: does nothing. A file that cannot be read again: SW_EXIT_USAGE; changed
 * since it was loaded: SW_EXIT_VALIDATION. */
int sw_lint_migrations(struct sw_migration_set *set, const size_t *only, size_t n_only,
                       enum sw_lint_level level, enum sw_lint_sink sink);

#endif
