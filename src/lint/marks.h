/* The comments lint reads in a migration: `-- slipway:allow RULE...` on the line before a
 * statement, and the `-- slipway:contract` marker in the file's leading comment block
 * (README "Fleet and contract migrations"). */
#ifndef SLIPWAY_LINT_MARKS_H
#define SLIPWAY_LINT_MARKS_H

#include "lint/rules.h"

#include <stdbool.h>
#include <stddef.h>

/* True when the line before the one holding sql[off] is `-- slipway:allow` followed by the
 * rule's name or its group's name (several may be listed, separated by blanks or commas). */
bool sw_lint_allowed(const char *sql, size_t off, enum sw_lint_rule rule);

/* True when the leading comment block of content (blank lines and `--` comments) holds
 * `-- slipway:contract`, alone or followed by options such as floor=N. */
bool sw_lint_is_contract(const char *content, size_t len);

#endif
