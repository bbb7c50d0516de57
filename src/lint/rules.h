/* The lint rules (README "Lint"): what each statement of a migration is checked for, by
 * name, with the reason and the way out a finding prints. Pure functions of the parse tree
 * and what the file did before the statement: no database. */
#ifndef SLIPWAY_LINT_RULES_H
#define SLIPWAY_LINT_RULES_H

#include "lint/reader.h"

#include <stdbool.h>
#include <stddef.h>

enum sw_lint_group {
    SW_GROUP_CANNOT_RUN, /* the server or the runner would refuse it: always an error */
    SW_GROUP_BREAKS,     /* breaks the release before: outside a contract migration only */
    SW_GROUP_LOCKS,      /* blocks live traffic while it runs */
    SW_GROUP_NOTICE,     /* lint could not check it: never an error */
    SW_GROUP_COUNT,
};

enum sw_lint_rule {
    SW_RULE_PSQL_META,
    SW_RULE_NEEDS_NO_TRANSACTION,
    SW_RULE_TRANSACTION_CONTROL,
    SW_RULE_DROP_TABLE,
    SW_RULE_DROP_COLUMN,
    SW_RULE_RENAME,
    SW_RULE_COLUMN_TYPE,
    SW_RULE_SET_NOT_NULL,
    SW_RULE_ADD_NOT_NULL_COLUMN,
    SW_RULE_DROP_DEFAULT,
    SW_RULE_DROP_VIEW,
    SW_RULE_DROP_FUNCTION,
    SW_RULE_INDEX_NOT_CONCURRENT,
    SW_RULE_CONSTRAINT_NOT_VALID,
    SW_RULE_TABLE_REWRITE,
    SW_RULE_LOCK_TABLE,
    SW_RULE_VACUUM_FULL,
    SW_RULE_CLUSTER,
    SW_RULE_UNKNOWN_SYNTAX,
    SW_RULE_COUNT,
};

struct sw_lint_rule_def {
    const char *name; /* what findings show and `-- slipway:allow` names */
    enum sw_lint_group group;
    const char *hint;
};

extern const struct sw_lint_rule_def sw_lint_rules[SW_RULE_COUNT];
/* "cannot-run-here", "breaks-previous-release"...: `-- slipway:allow` also takes these. */
extern const char *const sw_lint_group_names[SW_GROUP_COUNT];

/* What a file is, and what it created so far (a table created in the same file has no live
 * readers yet: changing it locks or breaks nothing). */
struct sw_lint_file {
    bool transactional;
    bool contract;
    const PgQuery__RangeVar **created; /* point into the file's parse trees */
    size_t n_created, cap_created;
};

typedef void sw_lint_found_fn(void *ctx, const struct sw_lint_item *it, enum sw_lint_rule rule,
                              const char *message);

/* Checks one item of the file in file order, calling found for each finding. -1 when out of
 * memory. */
int sw_lint_rules_check(struct sw_lint_file *f, const struct sw_lint_item *it,
                        sw_lint_found_fn *found, void *ctx);
void sw_lint_file_free(struct sw_lint_file *f);

#endif
