/* `slipway --upgrade`: under the upgrade lock, validate the history against the files, apply
 * the pending migrations one by one, then run the tasks whose version is behind
 * (README "Migrations"). All of it on the session that holds the lock (pg/backend.h): if
 * that session dies, the work dies with it. The lock, history, plan and task machinery live
 * in their own files; this one is the sequence and its messages. */
#include "migrate/upgrade.h"
#include "base/exitcodes.h"
#include "base/log.h"
#include "base/loop.h"
#include "base/termlog.h"
#include "base/textpos.h"
#include "fleet/contract.h"
#include "lint/lint.h"
#include "migdir/sqlsplit.h"
#include "migrate/adopt.h"
#include "migrate/applied_part.h"
#include "migrate/plan.h"
#include "pg/backend.h"
#include "pg/dynlib.h"
#include "pg/history.h"
#include "pg/repeatables.h"
#include "pg/session.h"
#include "tasks/tasks.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bound on ROLLBACK after a stop: past it the connection is dropped, which rolls back too. */
#define CLEANUP_MS 500
/* A savepoint set before the file and released after it: a file that ended the migration's
 * transaction (COMMIT or ROLLBACK inside) took it along, and the RELEASE fails. */
#define SAVEPOINT "slipway_migration"
#define NO_TRANSACTION "25P01" /* RELEASE outside a transaction block */
#define NO_SAVEPOINT "3B001"   /* in a transaction the file opened itself */

struct upgrade {
    struct sw_session s;
    const struct sw_cli *cli;
    struct sw_migration_set set;
    struct sw_history history;
    struct sw_plan plan;
    struct sw_task_versions task_versions;
    struct sw_repeatable_rows repeatable_rows;
    size_t applied;
    size_t repeatables_run;
    size_t tasks_run;
};

/* ---- validation ------------------------------------------------------------------------ */

/* Task versions live in a bigint column: refuse what it cannot hold before touching
 * anything. */
static int check_bigint(const struct upgrade *u)
{
    for (size_t i = 0; i < u->s.cfg->n_tasks; i++) {
        if (u->s.cfg->tasks[i].version.value > INT64_MAX) {
            sw_error("%s: task version does not fit slipway_tasks (bigint)",
                     u->s.cfg->tasks[i].origin);
            return SW_EXIT_USAGE;
        }
    }
    return SW_EXIT_OK;
}

static int repair_checksums(struct upgrade *u)
{
    sw_err err;

    for (size_t i = 0; i < u->plan.n_drift; i++) {
        const struct sw_migration *m = &u->set.items[u->plan.drift[i]];
        if (sw_history_set_checksum(u->s.db, &u->s.tables, &m->version,
                                    u->plan.checksums[u->plan.drift[i]], &err) < 0) {
            sw_error("cannot repair the checksum of %s: %s", m->name, err.msg);
            return SW_EXIT_FAIL;
        }
        sw_info("%s: checksum repaired: now %s", m->name, u->plan.checksums[u->plan.drift[i]]);
    }
    return SW_EXIT_OK;
}

static bool report_drift(const struct upgrade *u)
{
    for (size_t i = 0; i < u->plan.n_drift; i++) {
        size_t k = u->plan.drift[i];
        const struct sw_history_row *row = sw_history_find(&u->history, &u->set.items[k].version);
        sw_event(SW_LOG_ERROR, "checksum_drift",
                 SW_FIELDS(SW_STR("migration", u->set.items[k].name),
                           SW_STR("version", sw_version_text(&u->set.items[k].version).s),
                           SW_STR("recorded_checksum", row->checksum),
                           SW_STR("file_checksum", u->plan.checksums[k])),
                 "%s: changed since it was applied: recorded checksum %s, file checksum %s "
                 "(restore the file, or run --upgrade --repair-checksums if the change is "
                 "intended)",
                 u->set.items[k].name, row->checksum, u->plan.checksums[k]);
    }
    return u->plan.n_drift > 0;
}

static bool report_early(const struct upgrade *u)
{
    bool allowed = u->s.cfg->migrations.out_of_order;

    for (size_t i = 0; i < u->plan.n_early; i++) {
        const char *name = u->set.items[u->plan.early[i]].name;
        if (allowed)
            sw_info("%s: older than schema version %s, applied out of order", name,
                    sw_version_text(&u->plan.schema_version).s);
        else
            sw_error("%s: pending but older than schema version %s (set [migrations] "
                     "out_of_order = true to apply it anyway)",
                     name, sw_version_text(&u->plan.schema_version).s);
    }
    return u->plan.n_early > 0 && !allowed;
}

static int validate(struct upgrade *u)
{
    bool failed;

    for (size_t i = 0; i < u->plan.n_unknown; i++)
        sw_warn("applied migration %s (%s) is not in %s: a newer release's?",
                sw_version_text(&u->plan.unknown[i]->version).s, u->plan.unknown[i]->name,
                u->s.cfg->migrations.dir);
    if (u->cli->repair_checksums && repair_checksums(u) != SW_EXIT_OK)
        return SW_EXIT_FAIL;
    failed = !u->cli->repair_checksums && report_drift(u);
    failed |= report_early(u);
    return failed ? SW_EXIT_VALIDATION : SW_EXIT_OK;
}

/* ---- failures ---------------------------------------------------------------------------- */

/* Characters of sql, as the server counts them (UTF-8). */
static long chars(const char *sql)
{
    long n = 0;

    for (const unsigned char *p = (const unsigned char *)sql; *p; p++)
        n += (*p & 0xC0) != 0x80;
    return n;
}

/* Statements in sql[0..len): ours before the file (ASCII, no quotes to get wrong). */
static size_t statements_in(const char *sql, size_t len)
{
    size_t n = 0;

    for (size_t i = 0; i < len; i++)
        n += sql[i] == ';';
    return n;
}

/* The file's line of the statement a query string failed at when the server gave no position
 * (a runtime error: a constraint, a division by zero): the query completed one statement per
 * result before it, those before the file's first skip characters ours. 0 when that cannot be
 * known. */
static int failed_statement_line(struct upgrade *u, const struct sw_migration *m, const char *text,
                                 size_t skip)
{
    size_t completed = sw_db_completed(u->s.db), head = statements_in(text, skip), n, seen = 0;
    struct sw_stmt *st;
    sw_err ignored;
    int line = 0;

    if (completed < head || sw_sql_split(m->sql, m->sql_len, &st, &n, &ignored) < 0)
        return 0;
    for (size_t i = 0; i < n && line == 0; i++)
        if (!st[i].meta && seen++ == completed - head)
            line = m->sql_line + st[i].line - 1;
    free(st);
    return line;
}

/* "NAME:LINE: message" when the server pointed into text past its first skip characters
 * (ours, before the file's; first_line: the file's line where the rest starts) or text is
 * one statement, else "NAME: message". */
static void report_failure(struct upgrade *u, const struct sw_migration *m, const char *text,
                           size_t skip, int first_line, bool one_statement, const sw_err *err)
{
    const PGresult *r = sw_db_last_error(u->s.db);
    const char *pos = r ? sw_pq->PQresultErrorField(r, PG_DIAG_STATEMENT_POSITION) : NULL;
    long in_file = pos ? atol(pos) - (long)skip : 0;
    const char *rest = text + skip;
    char at[16] = "";
    int line;

    if (in_file > chars(m->sql))
        in_file = 0; /* in what we sent after the file */
    line = in_file > 0     ? first_line + sw_line_at(rest, sw_char_offset(rest, in_file)) - 1
           : one_statement ? first_line
           : r             ? failed_statement_line(u, m, text, skip)
                           : 0;

    if (line > 0)
        snprintf(at, sizeof at, ":%d", line);
    sw_event(SW_LOG_ERROR, "migration_failed",
             SW_FIELDS(SW_STR("migration", m->name),
                       SW_STR("version", sw_version_text(&m->version).s), SW_NUM("line", line),
                       SW_STR("error", err->msg)),
             "%s%s: %s", m->name, at, err->msg);
}

/* After a failed statement: the stop code when it failed because of a stop, else 1. */
static int failure_code(struct upgrade *u)
{
    if (u->s.stop) {
        sw_info("stopped by signal %d: rolled back, releasing the upgrade lock", u->s.stop);
        return sw_session_stop_code(&u->s);
    }
    return SW_EXIT_FAIL;
}

static void rollback(struct upgrade *u)
{
    sw_err err;

    if (u->s.stop)
        sw_db_cleanup(u->s.db, CLEANUP_MS);
    if (sw_db_command(u->s.db, "ROLLBACK", &err) < 0)
        sw_debug("ROLLBACK: %s (the connection is dropped, which rolls back too)", err.msg);
}

/* ---- applying ---------------------------------------------------------------------------- */

/* The NOTIFY payload of a migration: "migration 1.12.22", "repeatable R__views.sql". */
static void migration_what(const struct sw_migration *m, char *buf, size_t size)
{
    if (m->repeatable)
        snprintf(buf, size, "repeatable %s", sw_repeatable_key(m));
    else
        snprintf(buf, size, "migration %s", sw_version_text(&m->version).s);
}

/* Sends sql with its COPY FROM STDIN statements fed m's inline data blocks first..first+n. */
static int command_with_copies(struct upgrade *u, const struct sw_migration *m, size_t first,
                               size_t n, const char *sql, sw_err *err)
{
    struct sw_copy_in in = {0};
    int rc;

    if (n > 0) /* copy_off and copy_len are NULL in a file without COPY data */
        in = (struct sw_copy_in){m->copy_data, m->copy_off + first, m->copy_len + first, n, 0};
    sw_db_set_copy_in(u->s.db, n > 0 ? &in : NULL);
    rc = sw_db_command(u->s.db, sql, err);
    sw_db_set_copy_in(u->s.db, NULL);
    return rc;
}

/* before + SET [LOCAL] lock_timeout/statement_timeout from the config (0 and infinity
 * disable them), in one round trip; malloc'd, NULL when out of memory. */
static char *timeouts_sql(const struct upgrade *u, const char *before, const char *scope)
{
    int64_t lock = u->s.cfg->migrations.lock_timeout_ms;
    int64_t stmt = u->s.cfg->migrations.statement_timeout_ms;
    char *sql;

    if (asprintf(&sql, "%sSET %s lock_timeout = %lld; SET %s statement_timeout = %lld", before,
                 scope, (long long)(lock > 0 ? lock : 0), scope,
                 (long long)(stmt > 0 ? stmt : 0)) < 0)
        return NULL;
    return sql;
}

/* The failure of a transactional migration: of its own, at its recording, or of the RELEASE
 * that shows it ended its own transaction. */
static void report_migration_failure(struct upgrade *u, const struct sw_migration *m,
                                     const char *sql, size_t skip, const sw_err *err)
{
    const PGresult *r = sw_db_last_error(u->s.db);
    const char *state = r ? sw_pq->PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    const char *table = r ? sw_pq->PQresultErrorField(r, PG_DIAG_TABLE_NAME) : NULL;
    const char *msg = r ? sw_pq->PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    sw_err why;

    /* outside any transaction block, the file has ended ours, whichever statement noticed */
    if (state && (strcmp(state, NO_TRANSACTION) == 0 ||
                  (strcmp(state, NO_SAVEPOINT) == 0 && msg && strstr(msg, SAVEPOINT))))
        sw_err_set(&why, "the migration ended its own transaction (COMMIT/ROLLBACK inside the "
                         "file); nothing recorded");
    else if (state && strcmp(state, "23505") == 0 && table &&
             sw_tables_is_history(&u->s.tables, table))
        sw_err_set(&why, "cannot record it: %s", err->msg);
    else {
        report_failure(u, m, sql, skip, m->sql_line, false, err);
        return;
    }
    report_failure(u, m, sql, strlen(sql), m->sql_line, false, &why); /* no line: not the file's */
}

/* What goes around the file: before it the session reset, BEGIN, the timeouts and the
 * savepoint; after it its RELEASE, the history row, the NOTIFY and the COMMIT. */
struct wrap {
    char *before;
    char *after;
};

static void wrap_free(struct wrap *w)
{
    free(w->before);
    free(w->after);
}

static int wrap_build(struct upgrade *u, const struct sw_migration *m, const char *checksum,
                      struct wrap *w, sw_err *err)
{
    char *head = timeouts_sql(u, "BEGIN; ", "LOCAL"), *notify = NULL, *then = NULL, *commit = NULL;
    char what[512];

    memset(w, 0, sizeof *w);
    migration_what(m, what, sizeof what);
    if (head && asprintf(&w->before, "%s%s; SAVEPOINT " SAVEPOINT ";\n",
                         sw_backend_reset_sql(&u->s.backend), head) < 0)
        w->before = NULL;
    if (w->before)
        notify = sw_history_notify_sql(u->s.db, what, "COMMIT", err);
    if (notify && m->repeatable)
        commit = sw_repeatable_commit_sql(u->s.db, &u->s.tables, m, checksum, 0, notify, err);
    else if (notify && (then = sw_history_floor_sql(&u->s.tables, m, notify, err)) != NULL)
        commit =
            sw_history_commit_sql(u->s.db, &u->s.tables, m, checksum,
                                  sw_history_find(&u->history, &m->version) != NULL, then, err);
    if (commit && asprintf(&w->after, "RELEASE SAVEPOINT " SAVEPOINT "; %s", commit) < 0)
        w->after = NULL;
    if (!w->before || (commit && !w->after))
        sw_err_set(err, "out of memory");
    free(head);
    free(notify);
    free(then);
    free(commit);
    if (w->after)
        return 0;
    wrap_free(w);
    return -1;
}

/* Whether what follows the file is read as ours: the file ends outside any quote, comment or
 * parenthesis (the splitter's verdict). */
static bool ends_clean(const struct sw_migration *m)
{
    struct sw_stmt *stmts;
    size_t n;
    sw_err err;

    if (sw_sql_split(m->sql, m->sql_len, &stmts, &n, &err) < 0)
        return false;
    free(stmts);
    return true;
}

/* Sends sql, with m's COPY data when it holds the file; on failure reports it (skip: the
 * characters before the file) and rolls back. */
static int send_part(struct upgrade *u, const struct sw_migration *m, const char *sql, size_t skip,
                     bool file)
{
    sw_err err;

    if (command_with_copies(u, m, 0, file ? m->n_copies : 0, sql, &err) == 0)
        return SW_EXIT_OK;
    report_migration_failure(u, m, sql, skip, &err);
    rollback(u);
    return failure_code(u);
}

/* One round trip: before, the file on lines of its own (a last `--` comment or statement
 * without ';' stays the file's), after. This is safe because the lock lives on this same
 * session: a query string runs to its end even when its client is gone, so a SIGKILLed
 * upgrader's COMMIT may still land on the server; but the lock goes only when that session
 * ends, after the COMMIT or the rollback, and the next upgrader reads a history that already
 * says which. (With the lock on a connection of its own, it went at once, and the next
 * upgrader could apply the file a second time: tests/upgrade/kill9.sh.)
 *
 * A file that ends inside a quote or comment would swallow what follows: it goes alone, so
 * the server reports its end as it is, and the rest follows in a second round trip. */
static int apply_transactional(struct upgrade *u, const struct sw_migration *m,
                               const char *checksum)
{
    bool whole = ends_clean(m);
    struct wrap w;
    sw_err err;
    char *sql;
    int rc;

    if (wrap_build(u, m, checksum, &w, &err) < 0) {
        sw_error("%s: %s", m->name, err.msg);
        return SW_EXIT_FAIL;
    }
    if (asprintf(&sql, "%s%s%s%s", w.before, m->sql, whole ? "\n;\n" : "", whole ? w.after : "") <
        0) {
        sw_error("%s: out of memory", m->name);
        wrap_free(&w);
        return SW_EXIT_FAIL;
    }
    rc = send_part(u, m, sql, strlen(w.before), true);
    if (rc == SW_EXIT_OK && !whole)
        rc = send_part(u, m, w.after, strlen(w.after), false);
    free(sql);
    wrap_free(&w);
    return rc;
}

/* Statement k of a no-transaction migration, then its progress row, with the checksum of
 * the part applied so far until the last one, the file's then; copy: the index of its inline
 * data block when it is a COPY FROM STDIN. */
static int apply_statement(struct upgrade *u, const struct sw_migration *m, const char *checksum,
                           struct sw_applied_part *part, size_t copy)
{
    const struct sw_stmt *st = &part->stmts[part->added];
    size_t k = part->added, n = part->n_stmts;
    char *sql = strndup(m->sql + st->off, st->len), part_sum[SW_CHECKSUM_HEX_LEN + 1];
    int64_t start = sw_loop_now_ms(&u->s.loop);
    sw_err err;
    int rc;

    if (!sql || sw_applied_part_next(part, part_sum, &err) < 0) {
        sw_error("%s: %s", m->name, sql ? err.msg : "out of memory");
        free(sql);
        return SW_EXIT_FAIL;
    }
    rc = command_with_copies(u, m, copy, st->copy_from_stdin && copy < m->n_copies ? 1 : 0, sql,
                             &err);
    if (rc < 0)
        report_failure(u, m, sql, 0, m->sql_line + st->line - 1, true, &err);
    free(sql);
    if (rc < 0)
        return failure_code(u);
    if (sw_history_record(u->s.db, &u->s.tables, m, k + 1 == n ? checksum : part_sum,
                          sw_loop_now_ms(&u->s.loop) - start, (int)(k + 1), k + 1 == n, &err) < 0) {
        sw_error("%s: statement %zu done but not recorded: %s", m->name, k + 1, err.msg);
        return failure_code(u);
    }
    return SW_EXIT_OK;
}

/* A no-transaction contract migration's floor, once its last statement is recorded. */
static int record_floor(struct upgrade *u, const struct sw_migration *m)
{
    char *sql;
    sw_err err;
    int rc;

    if (!sw_migration_is_contract(m))
        return SW_EXIT_OK;
    sql = sw_history_floor_sql(&u->s.tables, m, NULL, &err);
    rc = sql ? sw_db_command(u->s.db, sql, &err) : -1;
    free(sql);
    if (rc < 0)
        sw_error("%s: applied, but its contract floor was not recorded: %s", m->name, err.msg);
    return rc < 0 ? SW_EXIT_FAIL : SW_EXIT_OK;
}

static int run_statements(struct upgrade *u, const struct sw_migration *m, const char *checksum,
                          struct sw_applied_part *part)
{
    const struct sw_stmt *stmts = part->stmts;
    size_t n = part->n_stmts;
    char what[512];
    size_t copy = 0; /* COPY FROM STDIN statements before k: the index of k's data */
    sw_err err;

    for (size_t k = 0; k < part->added; k++)
        copy += stmts[k].copy_from_stdin;
    for (size_t k = part->added; k < n; k++) {
        int rc =
            u->s.stop ? sw_session_stop_code(&u->s) : apply_statement(u, m, checksum, part, copy);
        copy += stmts[k].copy_from_stdin;
        if (rc != SW_EXIT_OK) {
            sw_event(SW_LOG_ERROR, "migration_incomplete",
                     SW_FIELDS(SW_STR("migration", m->name), SW_NUM("statement", k + 1)),
                     "%s: %zu of %zu statements applied; the next upgrade resumes at "
                     "statement %zu",
                     m->name, k, n, k + 1);
            return rc;
        }
    }
    if (record_floor(u, m) != SW_EXIT_OK)
        return SW_EXIT_FAIL;
    migration_what(m, what, sizeof what);
    if (sw_history_notify(u->s.db, what, &err) < 0)
        sw_warn("%s: applied, but NOTIFY failed: %s", m->name, err.msg);
    return SW_EXIT_OK;
}

/* A resumed migration: the statements it applied must still be those of the file. Its row
 * holds the checksum of that part (or, recorded before parts were, the whole file's, which
 * then must not have changed); an edit of the statements not applied yet is taken. */
static int check_applied_part(const struct upgrade *u, const struct sw_migration *m,
                              const char *recorded, const char *checksum,
                              struct sw_applied_part *part, size_t done)
{
    char now[SW_CHECKSUM_HEX_LEN + 1];
    sw_err err;

    while (part->added < done)
        if (sw_applied_part_next(part, now, &err) < 0) {
            sw_error("%s", err.msg);
            return SW_EXIT_FAIL;
        }
    if (strcmp(recorded, now) == 0 || strcmp(recorded, checksum) == 0)
        return SW_EXIT_OK;
    if (u->cli->repair_checksums) {
        sw_info("%s: statements 1 to %zu changed since they were applied: taken as they are "
                "(--repair-checksums)",
                m->name, done);
        return SW_EXIT_OK;
    }
    sw_event(SW_LOG_ERROR, "checksum_drift",
             SW_FIELDS(SW_STR("migration", m->name),
                       SW_STR("version", sw_version_text(&m->version).s),
                       SW_STR("recorded_checksum", recorded), SW_STR("file_checksum", now)),
             "%s: statements 1 to %zu were applied, and have changed since: recorded checksum "
             "%s, file checksum %s of that part (restore them: statement %zu on may be edited; "
             "or run --upgrade --repair-checksums if the change is intended)",
             m->name, done, recorded, now, done + 1);
    return SW_EXIT_VALIDATION;
}

/* Outside a transaction, statement by statement, progress recorded after each: a failed or
 * killed run resumes at the statement that did not complete. */
static int apply_no_transaction(struct upgrade *u, const struct sw_migration *m,
                                const char *checksum)
{
    const struct sw_history_row *row = sw_history_find(&u->history, &m->version);
    size_t done = row ? (size_t)row->statements_done : 0, n;
    struct sw_applied_part part = {0};
    struct sw_stmt *stmts;
    char *set = NULL;
    sw_err err;
    int rc;

    if (sw_sql_split(m->sql, m->sql_len, &stmts, &n, &err) < 0) {
        sw_error("%s: %s", m->name, err.msg);
        return SW_EXIT_USAGE;
    }
    if (done > n) {
        sw_error("%s: %zu statements were applied but the file now has %zu", m->name, done, n);
        free(stmts);
        return SW_EXIT_VALIDATION;
    }
    if (sw_applied_part_open(&part, m, stmts, n, &err) < 0) {
        sw_error("%s: %s", m->name, err.msg);
        rc = SW_EXIT_FAIL;
    } else {
        rc = done > 0 ? check_applied_part(u, m, row->checksum, checksum, &part, done) : SW_EXIT_OK;
    }
    if (rc == SW_EXIT_OK && done > 0)
        sw_event(SW_LOG_INFO, "migration_resumed",
                 SW_FIELDS(SW_STR("migration", m->name), SW_NUM("statement", done + 1)),
                 "%s: resuming at statement %zu of %zu", m->name, done + 1, n);
    if (rc == SW_EXIT_OK) {
        set = timeouts_sql(u, sw_backend_reset_sql(&u->s.backend), "SESSION");
        rc = set && sw_db_command(u->s.db, set, &err) == 0 ? SW_EXIT_OK : SW_EXIT_FAIL;
        if (rc != SW_EXIT_OK)
            sw_error("%s: %s", m->name, set ? err.msg : "out of memory");
    }
    if (rc == SW_EXIT_OK)
        rc = run_statements(u, m, checksum, &part);
    sw_applied_part_close(&part);
    free(set);
    free(stmts);
    return rc;
}

/* The schema version as an event field: null before any migration was applied. */
static const char *schema_field(const struct upgrade *u, struct sw_version_text *buf)
{
    *buf = sw_version_text(&u->plan.schema_version);
    return u->plan.has_version ? buf->s : NULL;
}

static void version_text(const struct upgrade *u, char *buf, size_t size)
{
    if (u->plan.has_version)
        snprintf(buf, size, "schema version %s", sw_version_text(&u->plan.schema_version).s);
    else
        snprintf(buf, size, "no migration applied");
}

/* A Job has no /metrics: its summary says how long it waited for the lock, when it did. */
static void lock_wait_text(const struct upgrade *u, char *buf, size_t size)
{
    if (u->s.lock_wait_ms > 0)
        snprintf(buf, size, ", waited %.1f s for the lock", (double)u->s.lock_wait_ms / 1000.0);
    else
        buf[0] = '\0';
}

/* The summary of a failed or stopped run: where, and the figures a Job's metrics would show. */
/* rc: the exit code; SW_EXIT_CONTRACT is a pause (everything before m was applied). */
static void failure_summary(struct upgrade *u, const struct sw_migration *m, int64_t t0, int rc)
{
    const char *how = rc == SW_EXIT_CONTRACT ? "paused" : u->s.stop ? "stopped" : "failed";
    size_t pending = u->plan.n_pending - u->applied;
    int64_t ms = sw_loop_now_ms(&u->s.loop) - t0;
    struct sw_version_text schema;
    char event[32], version[SW_VERSION_TEXT_MAX + 16], wait[64];

    snprintf(event, sizeof event, "upgrade_%s", how);
    version_text(u, version, sizeof version);
    lock_wait_text(u, wait, sizeof wait);
    sw_summary(SW_LOG_ERROR, event,
               SW_FIELDS(SW_STR("migration", m->name), SW_NUM("applied", u->applied),
                         SW_NUM("pending", pending), SW_NUM("duration_ms", ms),
                         SW_STR("schema_version", schema_field(u, &schema)),
                         SW_NUM("lock_wait_ms", u->s.lock_wait_ms)),
               "upgrade %s at %s after %zu of %zu migrations in %.1f s, %s, %zu pending%s", how,
               m->name, u->applied, u->plan.n_pending, (double)ms / 1000.0, version, pending, wait);
}

/* After each migration: the schema version is the highest applied (pending ascends, but an
 * out-of-order one may be lower). */
static void applied(struct upgrade *u, const struct sw_migration *m)
{
    u->applied++;
    sw_progress_applied(&u->s.progress);
    if (!u->plan.has_version || sw_version_cmp(&m->version, &u->plan.schema_version) > 0)
        u->plan.schema_version = m->version;
    u->plan.has_version = true;
}

/* After the last migration, the tasks' bookkeeping runs as the session started, not as the
 * last file left it (SET ROLE, search_path...). */
static int reset_session(struct upgrade *u)
{
    sw_err err;

    if (sw_db_command(u->s.db, sw_backend_reset_sql(&u->s.backend), &err) < 0) {
        sw_error("cannot reset the session after the migrations: %s", err.msg);
        return failure_code(u);
    }
    return SW_EXIT_OK;
}

/* "[3/17] 0042_x.sql applied in 120 ms", saying when the file ran outside a transaction
 * without asking for it, and when there was nothing to send. */
static void log_applied(const struct upgrade *u, const struct sw_migration *m, size_t i, int64_t ms)
{
    char how[SW_MIGRATION_HOW_MAX], why[SW_MIGRATION_HOW_MAX + 3] = "";

    /* only what the file does not say itself: a marker or a plain transaction goes unsaid */
    if (m->empty || m->no_transaction_line > 0)
        snprintf(why, sizeof why, " (%s)", sw_migration_how(m, how, sizeof how));
    sw_event(SW_LOG_INFO, "migration_applied",
             SW_FIELDS(SW_STR("migration", m->name),
                       SW_STR("version", sw_version_text(&m->version).s), SW_NUM("duration_ms", ms),
                       SW_NUM("index", i + 1), SW_NUM("total", u->plan.n_pending)),
             "[%zu/%zu] %s applied in %lld ms%s", i + 1, u->plan.n_pending, m->name, (long long)ms,
             why);
}

/* The file's body, read again right before it runs and dropped right after: memory follows
 * the largest file. The plan was made from the checksum read at the start: a file changed
 * since is refused as drift is, before any of it runs. */
static int apply_file(struct upgrade *u, struct sw_migration *m, const char *checksum)
{
    sw_err err;
    int rc = sw_migration_load_body(&u->set, m, true, &err);

    if (rc < 0) {
        sw_error("%s", err.msg);
        return rc == SW_MIGRATION_CHANGED ? SW_EXIT_VALIDATION : SW_EXIT_USAGE;
    }
    rc = m->no_transaction ? apply_no_transaction(u, m, checksum)
                           : apply_transactional(u, m, checksum);
    sw_migration_drop_body(m);
    return rc;
}

static int apply_pending(struct upgrade *u, int64_t t0)
{
    for (size_t i = 0; i < u->plan.n_pending; i++) {
        size_t k = u->plan.pending[i];
        struct sw_migration *m = &u->set.items[k];
        int64_t start;
        int rc;

        if (u->s.stop)
            return failure_code(u);
        rc = sw_contract_wait(&u->s, m, u->cli->force_contract);
        start = sw_loop_now_ms(&u->s.loop); /* the wait is not the migration's time */
        sw_progress_running(&u->s.progress, m->name);
        if (rc == SW_EXIT_OK)
            rc = apply_file(u, m, u->plan.checksums[k]);
        if (rc != SW_EXIT_OK) {
            failure_summary(u, m, t0, rc);
            return rc;
        }
        applied(u, m);
        log_applied(u, m, i, sw_loop_now_ms(&u->s.loop) - start);
    }
    return SW_EXIT_OK;
}

/* Flyway's order: the repeatables that never ran or changed since, after the versioned
 * migrations, in name order, each in its own transaction with its row. */
static int apply_repeatables(struct upgrade *u, int64_t t0)
{
    sw_err err;

    if (u->plan.n_repeat_pending > 0 && sw_repeatables_create(u->s.db, &u->s.tables, &err) < 0) {
        sw_error("cannot create " SW_REPEATABLES_TABLE ": %s", err.msg);
        return SW_EXIT_FAIL;
    }
    for (size_t i = 0; i < u->plan.n_repeat_pending; i++) {
        size_t k = u->plan.repeat_pending[i];
        struct sw_migration *m = &u->set.repeatables[k];
        int64_t start = sw_loop_now_ms(&u->s.loop);
        int rc;

        sw_progress_running(&u->s.progress, m->name);
        rc = u->s.stop ? failure_code(u) : apply_file(u, m, u->plan.repeat_checksums[k]);
        sw_progress_running(&u->s.progress, NULL);

        if (rc != SW_EXIT_OK) {
            sw_error("upgrade %s at %s in %.1f s", u->s.stop ? "stopped" : "failed", m->name,
                     (double)(sw_loop_now_ms(&u->s.loop) - t0) / 1000.0);
            return rc;
        }
        u->repeatables_run++;
        sw_info("[repeatable %zu/%zu] %s applied in %lld ms", i + 1, u->plan.n_repeat_pending,
                m->name, (long long)(sw_loop_now_ms(&u->s.loop) - start));
    }
    return SW_EXIT_OK;
}

/* ---- tasks ------------------------------------------------------------------------------- */

static bool task_behind(const struct upgrade *u, const struct sw_task *t)
{
    uint64_t recorded;
    return !sw_task_versions_find(&u->task_versions, t->name, &recorded) ||
           recorded < t->version.value;
}

static size_t tasks_behind(const struct upgrade *u)
{
    size_t n = 0;
    for (size_t i = 0; i < u->s.cfg->n_tasks; i++)
        n += task_behind(u, &u->s.cfg->tasks[i]);
    return n;
}

static int run_tasks(struct upgrade *u)
{
    for (size_t i = 0; i < u->s.cfg->n_tasks; i++) {
        const struct sw_task *t = &u->s.cfg->tasks[i];
        int rc;
        if (u->s.stop)
            return sw_session_stop_code(&u->s);
        if (!task_behind(u, t))
            continue;
        rc = sw_task_apply(&u->s, t, false);
        if (rc != SW_EXIT_OK)
            return rc;
        u->tasks_run++;
    }
    return SW_EXIT_OK;
}

/* ---- the sequence ------------------------------------------------------------------------ */

static void log_summary(struct upgrade *u, int64_t t0)
{
    char version[SW_VERSION_TEXT_MAX + 16], tasks[64] = "", repeatables[64] = "", wait[64];
    int64_t ms = sw_loop_now_ms(&u->s.loop) - t0;
    struct sw_version_text schema;

    version_text(u, version, sizeof version);
    lock_wait_text(u, wait, sizeof wait);
    if (u->repeatables_run)
        snprintf(repeatables, sizeof repeatables, ", %zu repeatable%s run", u->repeatables_run,
                 u->repeatables_run == 1 ? "" : "s");
    if (u->tasks_run)
        snprintf(tasks, sizeof tasks, ", %zu task%s run", u->tasks_run,
                 u->tasks_run == 1 ? "" : "s");
    sw_summary(SW_LOG_INFO, "upgrade_done",
               SW_FIELDS(SW_NUM("applied", u->applied), SW_NUM("pending", 0),
                         SW_NUM("duration_ms", ms), SW_NUM("tasks_run", u->tasks_run),
                         SW_STR("schema_version", schema_field(u, &schema)),
                         SW_NUM("lock_wait_ms", u->s.lock_wait_ms)),
               "upgrade done: %zu migration%s applied in %.1f s, %s%s%s%s", u->applied,
               u->applied == 1 ? "" : "s", (double)ms / 1000.0, version, repeatables, tasks, wait);
}

static void log_nothing_to_do(struct upgrade *u)
{
    char version[SW_VERSION_TEXT_MAX + 16], wait[64];
    struct sw_version_text schema;

    version_text(u, version, sizeof version);
    lock_wait_text(u, wait, sizeof wait);
    sw_summary(SW_LOG_INFO, "upgrade_nothing_to_do",
               SW_FIELDS(SW_NUM("applied", 0), SW_NUM("pending", 0),
                         SW_STR("schema_version", schema_field(u, &schema)),
                         SW_NUM("lock_wait_ms", u->s.lock_wait_ms)),
               "nothing to do: %s%s", version, wait);
}

/* Reads the state under the lock: history, plan, task versions. */
static int read_state(struct upgrade *u)
{
    sw_err err;

    if (sw_history_read(u->s.db, &u->s.tables, &u->history, &err) < 0 ||
        sw_plan_build(&u->plan, &u->set, &u->history, &err) < 0 ||
        sw_task_versions_read(u->s.db, &u->s.tables, &u->task_versions, &err) < 0 ||
        sw_repeatables_read(u->s.db, &u->s.tables, &u->repeatable_rows, &err) < 0 ||
        sw_plan_repeatables(&u->plan, &u->set, &u->repeatable_rows, &err) < 0) {
        sw_error("cannot read the upgrade history: %s", err.msg);
        return SW_EXIT_FAIL;
    }
    sw_progress_plan(&u->s.progress, u->plan.n_pending);
    return SW_EXIT_OK;
}

static int upgrade(struct upgrade *u)
{
    int64_t t0 = sw_loop_now_ms(&u->s.loop);
    int rc = u->s.history_missing
                 ? sw_adopt_first_upgrade(u->s.db, u->s.cfg, &u->s.tables, &u->set, &u->plan)
                 : SW_EXIT_OK;

    if (rc == SW_EXIT_OK)
        rc = read_state(u);

    if (rc == SW_EXIT_OK)
        rc = validate(u);
    /* the pending files only: an applied one cannot change (drift) to satisfy lint */
    if (rc == SW_EXIT_OK && u->plan.n_pending > 0)
        rc = sw_lint_migrations(&u->set, u->plan.pending, u->plan.n_pending,
                                u->s.cfg->migrations.lint, SW_LINT_TO_LOG);
    if (rc != SW_EXIT_OK)
        return rc;
    if (u->plan.n_pending == 0 && u->plan.n_repeat_pending == 0 && tasks_behind(u) == 0) {
        log_nothing_to_do(u);
        return SW_EXIT_OK;
    }
    if (u->plan.n_pending > 0 || u->plan.n_repeat_pending > 0) {
        rc = apply_pending(u, t0);
        if (rc == SW_EXIT_OK)
            rc = apply_repeatables(u, t0);
        if (rc == SW_EXIT_OK)
            rc = reset_session(u);
        if (rc != SW_EXIT_OK)
            return rc;
    }
    rc = run_tasks(u);
    if (rc == SW_EXIT_OK)
        log_summary(u, t0);
    return rc;
}

/* The files and their checksums, read while the connection starts (sw_db_meanwhile): a
 * no-op upgrade of 1,000 files spends ~10 ms on them, as long as the server takes to start a
 * session here. */
static int prepare(void *arg)
{
    struct upgrade *u = arg;
    const struct sw_config *cfg = u->s.cfg;
    sw_err err;

    if (sw_migrations_load(cfg->migrations.dir, &cfg->placeholders, sw_checksum, &u->set, &err) <
        0) {
        sw_error("%s", err.msg);
        return SW_EXIT_USAGE;
    }
    if (sw_plan_checksums(&u->plan, &u->set, &err) < 0) {
        sw_error("%s", err.msg);
        return SW_EXIT_FAIL;
    }
    return check_bigint(u);
}

int sw_upgrade_main(const struct sw_config *cfg, const struct sw_cli *cli,
                    const struct sw_session_watch *watch)
{
    struct upgrade u = {.cli = cli};
    struct sw_db_meanwhile read_files = {.fn = prepare, .arg = &u};
    int rc = sw_session_open(&u.s, cfg, "upgrade", SW_SESSION_UPGRADE, watch, &read_files);

    if (rc == SW_EXIT_OK)
        rc = upgrade(&u);
    /* whatever failed after a stop request failed because of it */
    if (rc != SW_EXIT_OK && u.s.stop)
        rc = sw_session_stop_code(&u.s);
    sw_session_close(&u.s);
    sw_task_versions_free(&u.task_versions);
    sw_repeatables_free(&u.repeatable_rows);
    sw_plan_free(&u.plan);
    sw_history_free(&u.history);
    sw_migrations_free(&u.set);
    return rc;
}
