#include "lint/lint.h"
#include "base/exitcodes.h"
#include "base/log.h"
#include "lint/marks.h"
#include "lint/pgquery.h"
#include "lint/reader.h"
#include "lint/rules.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

struct run {
    enum sw_lint_level level;
    enum sw_lint_sink sink;
    const struct sw_migration *m; /* the file being linted */
    size_t counts[SW_RULE_COUNT];
    size_t errors, findings, files;
};

static void emit(const struct run *r, bool error, const char *line)
{
    if (r->sink == SW_LINT_TO_STDOUT)
        printf("%s\n", line);
    else if (error)
        sw_error("%s", line);
    else
        sw_warn("%s", line);
}

static bool is_error(const struct run *r, enum sw_lint_rule rule)
{
    switch (sw_lint_rules[rule].group) {
    case SW_GROUP_CANNOT_RUN:
        return true;
    case SW_GROUP_NOTICE:
        return false;
    default:
        return r->level == SW_LINT_ERROR;
    }
}

static void found(void *ctx, const struct sw_lint_item *it, enum sw_lint_rule rule,
                  const char *message)
{
    struct run *r = ctx;
    char line[1024];

    if (sw_lint_allowed(r->m->sql, it->off, rule))
        return;
    r->counts[rule]++;
    r->findings++;
    r->errors += is_error(r, rule);
    snprintf(line, sizeof line, "%s:%d: %s: %s (hint: %s)", r->m->name,
             r->m->sql_line + it->line - 1, sw_lint_rules[rule].name, message,
             sw_lint_rules[rule].hint);
    emit(r, is_error(r, rule), line);
}

static int lint_file(struct run *r, const struct sw_migration *m)
{
    struct sw_lint_file f = {
        .transactional = !m->no_transaction,
        .contract = sw_migration_is_contract(m), /* the marker as migdir read it */
    };
    struct sw_lint_read read;
    sw_err err;
    int rc = 0;

    if (sw_lint_read(m->sql, m->sql_len, &read, &err) < 0) {
        sw_error("%s: lint: %s", m->name, err.msg);
        return -1;
    }
    r->m = m;
    r->files++;
    for (size_t i = 0; i < read.n && rc == 0; i++)
        rc = sw_lint_rules_check(&f, &read.items[i], found, r);
    if (rc < 0)
        sw_error("%s: lint: out of memory", m->name);
    sw_lint_file_free(&f);
    sw_lint_read_free(&read);
    return rc;
}

/* "lint: 1000 files, 3 findings (1 error): drop-column 2, transaction-control 1". */
static void summarize(const struct run *r)
{
    char line[2048];
    size_t len;

    len = (size_t)snprintf(line, sizeof line, "lint: %zu file%s, ", r->files,
                           r->files == 1 ? "" : "s");
    if (r->findings == 0) {
        snprintf(line + len, sizeof line - len, "no findings");
    } else {
        len += (size_t)snprintf(line + len, sizeof line - len,
                                "%zu finding%s (%zu error%s):", r->findings,
                                r->findings == 1 ? "" : "s", r->errors, r->errors == 1 ? "" : "s");
        for (size_t k = 0, first = 1; k < SW_RULE_COUNT && len < sizeof line; k++) {
            if (r->counts[k] == 0)
                continue;
            len += (size_t)snprintf(line + len, sizeof line - len, "%s %s %zu", first ? "" : ",",
                                    sw_lint_rules[k].name, r->counts[k]);
            first = 0;
        }
    }
    if (r->sink == SW_LINT_TO_STDOUT)
        printf("%s\n", line);
    else if (r->findings > 0)
        emit(r, r->errors > 0, line);
}

/* The library is optional at run time. Without it, lint = warn says so and goes on (*rc 0);
 * lint = error cannot vouch for the files and stops (*rc 5). */
static bool load_parser(enum sw_lint_level level, int *rc)
{
    sw_err err;

    *rc = SW_EXIT_OK;
    if (sw_pgquery_load(&err) == 0)
        return true;
    if (level == SW_LINT_ERROR) {
        sw_error("lint = error, but lint cannot run: %s", err.msg);
        *rc = SW_EXIT_VALIDATION;
    } else {
        sw_warn("lint skipped: %s", err.msg);
    }
    return false;
}

/* One file at a time, its body read for the time it is linted: memory follows the largest
 * file. A file changed since the set was loaded is the drift it is. */
static int lint_body(struct run *r, const struct sw_migration_set *set, struct sw_migration *m)
{
    sw_err err;
    int rc = sw_migration_load_body(set, m, false, &err); /* lint reads no COPY data */

    if (rc < 0) {
        sw_error("%s", err.msg);
        return rc == SW_MIGRATION_CHANGED ? SW_EXIT_VALIDATION : SW_EXIT_USAGE;
    }
    rc = lint_file(r, m);
    sw_migration_drop_body(m);
    return rc < 0 ? SW_EXIT_FAIL : SW_EXIT_OK;
}

int sw_lint_migrations(struct sw_migration_set *set, const size_t *only, size_t n_only,
                       enum sw_lint_level level, enum sw_lint_sink sink)
{
    struct run r = {.level = level, .sink = sink};
    size_t n = only ? n_only : set->n;
    int rc = SW_EXIT_OK;

    if (level == SW_LINT_OFF || !load_parser(level, &rc))
        return rc;
    for (size_t i = 0; i < n && rc == SW_EXIT_OK; i++)
        rc = lint_body(&r, set, &set->items[only ? only[i] : i]);
    if (rc != SW_EXIT_OK)
        return rc;
    summarize(&r);
    return r.errors > 0 ? SW_EXIT_VALIDATION : SW_EXIT_OK;
}
