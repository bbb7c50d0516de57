/* PostgreSQL connections driven asynchronously on a libuv loop.
 *
 * Design: libpq runs in non-blocking mode (PQconnectStartParams/PQconnectPoll, PQsendQuery,
 * PQconsumeInput/PQisBusy/PQgetResult) and its socket is watched with a uv_poll_t. The calls
 * below are nevertheless straight-line: each sends its request, then spins
 * uv_run(UV_RUN_ONCE) until the answer is in. While it spins, every other handle of the loop
 * is served: the caller's uv_signal_t watchers and timers. A signal watcher stops work by
 * storing the signal number into the int the connection was given (`stop`): a query in
 * flight is then cancelled with PQcancel, its results drained (so the connection stays
 * usable, e.g. for ROLLBACK), and the call fails with sw_db_stopped() true; so does every
 * later call, until sw_db_cleanup() switches the connection to clean-up (ROLLBACK, unlock):
 * stops ignored, every wait bounded.
 *
 * Secrets: every libpq message that reaches err passes through a filter that blanks the
 * connection's secrets (pg/secrets.h: its password, whatever its source, and any value that
 * holds a connection string of its own), and connection strings are only ever shown through
 * sw_db_describe(), which rebuilds them from PQconninfoParse() with the same secrets hidden.
 * libpq is loaded with dlopen (dynlib.h). */
#ifndef SLIPWAY_PG_DB_H
#define SLIPWAY_PG_DB_H

#include "base/err.h"
#include "config/config.h"

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

struct sw_db;

enum sw_db_connect_result {
    SW_DB_CONNECTED = 0,
    SW_DB_BAD_CONFIG,  /* the url cannot be parsed: exit 2 */
    SW_DB_UNREACHABLE, /* every attempt failed for database.wait: exit 3 */
    SW_DB_STOP,        /* *stop was set while connecting */
    SW_DB_NOLIB,       /* libpq.so.5 could not be loaded */
    SW_DB_ABANDONED,   /* the work done meanwhile failed (its rc says how) */
};

/* Work that needs no database, done while the first connection attempt waits for the server
 * (a backend forking and reading its catalogs, authentication: ~10-20 ms here) rather than
 * before it: fn(arg) runs once, at the attempt's first wait for an answer, or right after the
 * attempt failed, before any retry and its log line. rc is what it returned: 0 goes on, any
 * other value abandons the connection (SW_DB_ABANDONED). The attempt's connect_timeout does
 * not count the time fn took. */
struct sw_db_meanwhile {
    int (*fn)(void *arg);
    void *arg;
    int rc;
    bool done;
};
/* Runs mw's work unless it ran already; its rc either way. */
int sw_db_meanwhile_run(struct sw_db_meanwhile *mw);

/* Connects with cfg's url (NULL: libpq's PG* defaults), application_name
 * "slipway PURPOSE (HOSTNAME)", each attempt bounded by connect_timeout, retried with
 * exponential backoff (250 ms doubling to 5 s) for database.wait while logging host, port and
 * reason. stop: see above; may be NULL. */
enum sw_db_connect_result sw_db_connect(struct sw_db **out, uv_loop_t *loop, int *stop,
                                        const struct sw_database *cfg, const char *purpose,
                                        sw_err *err);
/* The same, with work to do meanwhile; mw may be NULL. When the connection fails before its
 * first attempt (bad config, no libpq), mw has not run. */
enum sw_db_connect_result sw_db_connect_meanwhile(struct sw_db **out, uv_loop_t *loop, int *stop,
                                                  const struct sw_database *cfg,
                                                  const char *purpose, struct sw_db_meanwhile *mw,
                                                  sw_err *err);
/* The exit code of a failed connection: 2 bad config, 3 unreachable, 1 no libpq (STOP: the
 * caller's 128+N). */
int sw_db_connect_exit_code(enum sw_db_connect_result r);
/* Closes the connection (the server rolls back and releases session locks). NULL is fine.
 * The loop must run once more afterwards (uv_run NOWAIT) to free the watcher handles. */
void sw_db_close(struct sw_db *db);

/* Runs sql (one or more statements, simple query protocol) or, with n_params > 0, one
 * statement with text parameters. Returns the last result, caller PQclear()s it, or NULL with
 * err set to the server's message ("ERROR: ... (SQLSTATE xxxxx)" plus detail, hint and
 * context); the failed result stays available through sw_db_last_error() until the next
 * call. */
PGresult *sw_db_exec(struct sw_db *db, const char *sql, sw_err *err);
PGresult *sw_db_execp(struct sw_db *db, const char *sql, int n_params, const char *const *params,
                      sw_err *err);
/* sw_db_exec() for statements whose rows do not matter: 0 or -1. */
/* The inline data of the COPY ... FROM STDIN statements of the next query, in order: block
 * i is buf[off[i]..off[i] + len[i]). A COPY beyond the last block fails, as COPY FROM STDIN
 * always does without one. The caller keeps it alive until the query is done. */
struct sw_copy_in {
    const char *buf;
    const size_t *off, *len;
    size_t n;
    size_t next; /* the block the next COPY gets */
};
/* Feeds in to the next queries' COPY FROM STDIN (NULL: none, the default). */
void sw_db_set_copy_in(struct sw_db *db, struct sw_copy_in *in);
int sw_db_command(struct sw_db *db, const char *sql, sw_err *err);
/* How many statements of the last query completed: a failed query string of several
 * statements failed at the next one (the server does not say which). */
size_t sw_db_completed(const struct sw_db *db);
int sw_db_commandp(struct sw_db *db, const char *sql, int n_params, const char *const *params,
                   sw_err *err);

/* The error result of the last failed call (NULL when it failed without one, e.g. a lost
 * connection or a stop). */
const PGresult *sw_db_last_error(const struct sw_db *db);
/* True when the last failed call failed because *stop was set. */
bool sw_db_stopped(const struct sw_db *db);
/* True once the connection was abandoned mid-protocol (a stop whose cancel did not land in
 * time, a deadline passed) or found dead by sw_db_watch(): the server may still be running
 * its last statement. */
bool sw_db_broken(const struct sw_db *db);
/* Broken, but the server never closed it: what it last ran may still be running. */
bool sw_db_abandoned(const struct sw_db *db);
/* PQserverVersion(), e.g. 150004. */
int sw_db_server_version(const struct sw_db *db);
/* The process id libpq was given at connection start: the backend's own, unless a pooler in
 * between made one up (compare with SELECT pg_backend_pid()). */
int sw_db_client_pid(const struct sw_db *db);
/* SELECT 1 within timeout_ms: -1 with err when the session did not answer in time (then
 * sw_db_broken()) or failed. */
int sw_db_ping(struct sw_db *db, int64_t timeout_ms, sw_err *err);
/* Watches the idle connection for its end: on_lost(arg) is called from the loop once the
 * server closed it (a terminated backend, a restart); at once when it is broken already.
 * Between queries only: sw_db_unwatch() before the next call. */
int sw_db_watch(struct sw_db *db, void (*on_lost)(void *arg), void *arg);
void sw_db_unwatch(struct sw_db *db);
/* Clean-up mode: later calls run despite a stop request, all of them together bounded to
 * timeout_ms from now (-1: no bound), so ROLLBACK and unlock cannot hang on a dead server. */
void sw_db_cleanup(struct sw_db *db, int64_t timeout_ms);

/* Waits for a NOTIFY on a channel this session LISTENs to. 1: one arrived (all queued
 * notifications are consumed), 0: timeout_ms passed (-1: wait forever), -1: error or stop
 * (then sw_db_stopped() is true). */
int sw_db_wait_notify(struct sw_db *db, int64_t timeout_ms, sw_err *err);

/* Sleeps ms on the connection's loop, serving other handles; false when *stop was set. */
bool sw_db_sleep(struct sw_db *db, int64_t ms);
/* The same without a connection (stop may be NULL). */
bool sw_loop_sleep(uv_loop_t *loop, int *stop, int64_t ms);

/* "host=H port=P dbname=D user=U" for log lines, from url (NULL: libpq defaults). Never the
 * password: the string is rebuilt from the parsed fields, not edited. */
void sw_db_describe(const char *url, char *buf, size_t size);

/* name[0..len) quoted as an SQL identifier, malloc'd; NULL with err on failure. */
char *sw_db_quote_ident(struct sw_db *db, const char *name, size_t len, sw_err *err);
/* s quoted as an SQL string literal ('...' or E'...'), malloc'd; NULL with err on failure. */
char *sw_db_quote_literal(struct sw_db *db, const char *s, sw_err *err);

#endif
