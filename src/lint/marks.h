/* The comments lint reads in a migration: `-- slipway:allow RULE...` on the line before a
 * statement. (The `-- slipway:contract` marker is migdir's: sw_migration_is_contract.) */
#ifndef SLIPWAY_LINT_MARKS_H
#define SLIPWAY_LINT_MARKS_H

#include "lint/rules.h"

#include <stdbool.h>
#include <stddef.h>

/* True when the line before the one holding sql[off] is `-- slipway:allow` followed by the
 * rule's name or its group's name (several may be listed, separated by blanks or commas). */
bool sw_lint_allowed(const char *sql, size_t off, enum sw_lint_rule rule);

#endif
