#include "pg/db.h"

#include "base/exitcodes.h"
#include "base/log.h"
#include "pg/dynlib.h"
#include "pg/hostaddr.h"
#include "pg/secrets.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BACKOFF_FIRST_MS 250
#define BACKOFF_MAX_MS 5000
/* After PQcancel the server answers within milliseconds; past this the connection is given
 * up (closing it rolls back too), so a stop never waits on a hung server. */
#define CANCEL_DRAIN_MS 500
#define NO_DEADLINE UINT64_MAX

struct sw_db {
    PGconn *conn;
    uv_loop_t *loop;
    int *stop;
    uv_poll_t *poll; /* on PQsocket(conn), started only while waiting */
    int poll_fd;
    bool ready;        /* set by the poll callback */
    uint64_t deadline; /* uv_now() bound of every wait, NO_DEADLINE for none */
    bool broken;       /* a wait was abandoned mid-protocol: only PQfinish is left */
    bool cleanup;      /* sw_db_cleanup() was called: stop requests are no longer honoured */
    bool stopped;
    PGresult *last_error;
    struct sw_secrets secrets;  /* what sw_redact() blanks out of libpq's messages */
    struct sw_copy_in *copy;    /* data for COPY FROM STDIN, or NULL */
    size_t completed;           /* statements of the last query that completed (one result each) */
    void (*on_lost)(void *arg); /* sw_db_watch() */
    void *on_lost_arg;
    struct sw_db_meanwhile *meanwhile; /* while connecting; NULL: none */
};

enum wake { WAKE_READY, WAKE_TIMEOUT, WAKE_STOP, WAKE_ERROR };

/* ---- waiting on the loop ----------------------------------------------------------------- */

static void free_handle(uv_handle_t *h)
{
    free(h);
}

static void on_timer(uv_timer_t *t)
{
    *(bool *)t->data = true;
}

static void on_poll(uv_poll_t *h, int status, int events)
{
    struct sw_db *db = h->data;
    (void)status; /* an error shows up in libpq's next read or write */
    (void)events;
    db->ready = true;
}

/* Runs the loop until *done, a stop (when stop is not NULL) or timeout_ms (-1: none). */
static enum wake spin(uv_loop_t *loop, int *stop, bool *done, int64_t timeout_ms)
{
    uv_timer_t *timer = NULL;
    bool expired = false;

    if (timeout_ms >= 0) {
        timer = malloc(sizeof *timer);
        if (!timer || uv_timer_init(loop, timer) < 0) {
            free(timer);
            return WAKE_ERROR;
        }
        timer->data = &expired;
        if (uv_timer_start(timer, on_timer, (uint64_t)timeout_ms, 0) < 0) {
            uv_close((uv_handle_t *)timer, free_handle);
            return WAKE_ERROR;
        }
    }
    while (!*done && !expired && !(stop && *stop))
        uv_run(loop, UV_RUN_ONCE);
    if (timer)
        uv_close((uv_handle_t *)timer, free_handle); /* also stops it: &expired goes away */
    if (*done)
        return WAKE_READY;
    return expired ? WAKE_TIMEOUT : WAKE_STOP;
}

bool sw_loop_sleep(uv_loop_t *loop, int *stop, int64_t ms)
{
    bool never = false;
    return spin(loop, stop, &never, ms) == WAKE_TIMEOUT;
}

bool sw_db_sleep(struct sw_db *db, int64_t ms)
{
    return sw_loop_sleep(db->loop, db->stop, ms);
}

static void close_poll(struct sw_db *db)
{
    if (db->poll)
        uv_close((uv_handle_t *)db->poll, free_handle);
    db->poll = NULL;
    db->poll_fd = -1;
}

static int open_poll(struct sw_db *db, int fd)
{
    if (db->poll && db->poll_fd == fd)
        return 0;
    close_poll(db);
    db->poll = malloc(sizeof *db->poll);
    if (!db->poll)
        return -1;
    if (uv_poll_init_socket(db->loop, db->poll, fd) < 0) {
        free(db->poll);
        db->poll = NULL;
        return -1;
    }
    db->poll->data = db;
    db->poll_fd = fd;
    return 0;
}

/* The smaller of timeout_ms (-1: none) and what is left before the connection's deadline. */
static int64_t bounded(const struct sw_db *db, int64_t timeout_ms)
{
    uint64_t now;
    int64_t left;

    if (db->deadline == NO_DEADLINE)
        return timeout_ms;
    uv_update_time(db->loop);
    now = uv_now(db->loop);
    left = db->deadline > now ? (int64_t)(db->deadline - now) : 0;
    return timeout_ms < 0 || left < timeout_ms ? left : timeout_ms;
}

/* Waits until the socket is ready for events (UV_READABLE/UV_WRITABLE). */
static enum wake wait_socket(struct sw_db *db, int events, bool honour_stop, int64_t timeout_ms)
{
    int fd = sw_pq->PQsocket(db->conn);
    enum wake w;

    if (fd < 0 || open_poll(db, fd) < 0)
        return WAKE_ERROR;
    db->ready = false;
    if (uv_poll_start(db->poll, events, on_poll) < 0)
        return WAKE_ERROR;
    w = spin(db->loop, honour_stop ? db->stop : NULL, &db->ready, bounded(db, timeout_ms));
    uv_poll_stop(db->poll);
    return w;
}

static void set_deadline(struct sw_db *db, int64_t timeout_ms)
{
    uv_update_time(db->loop);
    db->deadline = timeout_ms < 0 ? NO_DEADLINE : uv_now(db->loop) + (uint64_t)timeout_ms;
}

void sw_db_cleanup(struct sw_db *db, int64_t timeout_ms)
{
    db->cleanup = true;
    set_deadline(db, timeout_ms);
}

/* ---- messages without secrets ------------------------------------------------------------ */

/* libpq's conninfo parse errors quote the offending text, which may be part of a password:
 * everything between double quotes is left out. */
static void set_parse_error(sw_err *err, const char *msg)
{
    size_t n = (size_t)snprintf(err->msg, sizeof err->msg, "database url: ");
    bool quoted = false;

    for (const char *p = msg; *p && *p != '\n' && n + 4 < sizeof err->msg; p++) {
        if (*p == '"') {
            quoted = !quoted;
            memcpy(err->msg + n, quoted ? "\"..." : "\"", quoted ? 4 : 1);
            n += quoted ? 4 : 1;
        } else if (!quoted) {
            err->msg[n++] = *p;
        }
    }
    err->msg[n] = '\0';
}

/* The connection's secrets, from every source libpq used: the url, the environment, the
 * passfile. */
static int connection_secrets(struct sw_db *db, sw_err *err)
{
    PQconninfoOption *opts = sw_pq->PQconninfo(db->conn);
    int r = opts ? sw_secrets_add(&db->secrets, opts) : -1;

    sw_pq->PQconninfoFree(opts);
    if (r < 0)
        sw_err_set(err, "out of memory");
    return r;
}

/* Each value is redacted on its own, before buf can cut it short. */
static void describe_options(const PQconninfoOption *parsed, const PQconninfoOption *defaults,
                             char *buf, size_t size)
{
    static const char *const keys[] = {"host", "hostaddr", "port", "dbname", "user"};
    struct sw_secrets secrets = {0};
    size_t n = 0;
    sw_err value;

    if (sw_secrets_add(&secrets, parsed) < 0 || sw_secrets_add(&secrets, defaults) < 0) {
        sw_secrets_free(&secrets);
        snprintf(buf, size, "(out of memory)");
        return;
    }
    for (size_t i = 0; i < sizeof keys / sizeof *keys && n < size; i++) {
        const char *v = sw_conninfo_get(parsed, keys[i]);
        if (!v || !*v)
            v = sw_conninfo_get(defaults, keys[i]);
        if (!v || !*v)
            continue;
        sw_redact(&value, "", v, &secrets);
        n += (size_t)snprintf(buf + n, size - n, "%s%s=%s", n ? " " : "", keys[i], value.msg);
    }
    sw_secrets_free(&secrets);
}

void sw_db_describe(const char *url, char *buf, size_t size)
{
    PQconninfoOption *parsed = NULL, *defaults;
    char *errmsg = NULL;
    sw_err err;

    buf[0] = '\0';
    if (sw_libpq_load(&err) < 0) {
        snprintf(buf, size, "(%s)", err.msg);
        return;
    }
    if (url && *url) {
        parsed = sw_pq->PQconninfoParse(url, &errmsg);
        sw_pq->PQfreemem(errmsg);
        if (!parsed) {
            snprintf(buf, size, "(unparseable database url)");
            return;
        }
    }
    defaults = sw_pq->PQconndefaults();
    describe_options(parsed, defaults, buf, size);
    sw_pq->PQconninfoFree(parsed);
    sw_pq->PQconninfoFree(defaults);
}

/* "slipway PURPOSE (HOSTNAME)": which replica holds the lock, in pg_stat_activity. */
static void application_name(const char *purpose, char *buf, size_t size)
{
    char host[256];

    if (gethostname(host, sizeof host) < 0)
        snprintf(host, sizeof host, "unknown host");
    host[sizeof host - 1] = '\0';
    snprintf(buf, size, "slipway %s (%s)", purpose, host);
}

/* ---- connecting -------------------------------------------------------------------------- */

static void on_notice(void *arg, const char *message)
{
    const struct sw_db *db = arg;
    sw_err line;

    sw_redact(&line, "server: ", message, &db->secrets);
    sw_debug("%s", line.msg);
}

/* The keyword/value pairs of one attempt: the caller's, then the resolved hosts. */
#define MAX_PARAMS 12

/* Looks up url's host names on the loop, within the attempt's deadline (see pg/hostaddr.h).
 * 0: *out is set (maybe to nothing); -1: no host resolved, err says why; 1: stopped. */
static int resolve_hosts(struct sw_db *db, const char *url, struct sw_hostaddr *out,
                         int64_t timeout_ms, sw_err *err)
{
    struct sw_resolving *r;
    bool done;
    enum wake w;
    int rc;

    memset(out, 0, sizeof *out);
    if (sw_resolve_start(&r, db->loop, url, &done, err) < 0)
        return -1;
    w = done ? WAKE_READY : spin(db->loop, db->stop, &done, bounded(db, -1));
    if (w == WAKE_STOP || w == WAKE_ERROR) {
        sw_resolve_free(r);
        if (w == WAKE_STOP)
            return 1;
        sw_err_set(err, "cannot wait for the host name lookup");
        return -1;
    }
    rc = sw_resolve_finish(r, out, err); /* on a timeout: with the answers in so far */
    sw_resolve_free(r);
    if (rc < 0 && w == WAKE_TIMEOUT) {
        sw_err reason = *err;
        sw_err_set(err, "timeout expired after %lld ms: %s", (long long)timeout_ms, reason.msg);
    }
    return rc;
}

/* k, v: keys, values and the resolved hosts, after the url (which they override). */
static void add_hosts(const char *const *keys, const char *const *values,
                      const struct sw_hostaddr *hosts, const char **k, const char **v)
{
    size_t n = 0;

    for (; keys[n]; n++)
        k[n] = keys[n], v[n] = values[n];
    if (hosts->host) {
        k[n] = "host", v[n++] = hosts->host;
        k[n] = "hostaddr", v[n++] = hosts->hostaddr;
        k[n] = "port", v[n++] = hosts->port;
    }
    k[n] = v[n] = NULL;
}

int sw_db_meanwhile_run(struct sw_db_meanwhile *mw)
{
    if (!mw->done) {
        mw->done = true;
        mw->rc = mw->fn(mw->arg);
    }
    return mw->rc;
}

/* The work to do while connecting; false when it asks to abandon the connection. The
 * attempt's deadline moves by the time the work took, which was not the server's. */
static bool run_meanwhile(struct sw_db *db)
{
    uint64_t before;
    int rc;

    if (!db->meanwhile)
        return true;
    uv_update_time(db->loop);
    before = uv_now(db->loop);
    rc = sw_db_meanwhile_run(db->meanwhile);
    uv_update_time(db->loop);
    if (db->deadline != NO_DEADLINE)
        db->deadline += uv_now(db->loop) - before;
    return rc == 0;
}

/* One attempt, bounded by timeout_ms. 0: connected; -1: failed, err holds the reason;
 * 1: stopped; 2: abandoned by the work done meanwhile. */
static int connect_once(struct sw_db *db, const char *url, const char *const *keys,
                        const char *const *values, int64_t timeout_ms, sw_err *err)
{
    PostgresPollingStatusType st = PGRES_POLLING_WRITING; /* libpq's documented first step */
    const char *k[MAX_PARAMS], *v[MAX_PARAMS];
    struct sw_hostaddr hosts;
    enum wake w = WAKE_READY;
    int rc;

    set_deadline(db, timeout_ms);
    if ((rc = resolve_hosts(db, url, &hosts, timeout_ms, err)) != 0) {
        db->deadline = NO_DEADLINE;
        return rc;
    }
    add_hosts(keys, values, &hosts, k, v);
    db->conn = sw_pq->PQconnectStartParams(k, v, 1);
    if (!db->conn) {
        sw_hostaddr_free(&hosts);
        db->deadline = NO_DEADLINE;
        sw_err_set(err, "out of memory");
        return -1;
    }
    sw_secrets_free(&db->secrets);
    if (connection_secrets(db, err) < 0) {
        sw_hostaddr_free(&hosts);
        return -1;
    }
    if (sw_pq->PQstatus(db->conn) == CONNECTION_BAD)
        st = PGRES_POLLING_FAILED;
    while (st != PGRES_POLLING_OK && st != PGRES_POLLING_FAILED) {
        /* after the startup packet: not while SSL or GSS encryption is still being agreed on,
         * which the server answers at once */
        if (st == PGRES_POLLING_READING &&
            sw_pq->PQstatus(db->conn) == CONNECTION_AWAITING_RESPONSE && !run_meanwhile(db)) {
            sw_hostaddr_free(&hosts);
            db->deadline = NO_DEADLINE;
            return 2;
        }
        w = wait_socket(db, st == PGRES_POLLING_READING ? UV_READABLE : UV_WRITABLE, true, -1);
        /* libpq may close and reopen its socket inside PQconnectPoll: never keep a watcher */
        close_poll(db);
        if (w != WAKE_READY)
            break;
        st = sw_pq->PQconnectPoll(db->conn);
    }
    db->deadline = NO_DEADLINE;
    if (st == PGRES_POLLING_OK || w == WAKE_STOP) {
        sw_hostaddr_free(&hosts);
        return st == PGRES_POLLING_OK ? 0 : 1;
    }
    if (w == WAKE_TIMEOUT) {
        sw_err_set(err, "%stimeout expired after %lld ms", hosts.skipped, (long long)timeout_ms);
    } else { /* the hosts left out come first: libpq's message is only about the others */
        char named[sizeof err->msg];
        sw_hostaddr_explain(&hosts, sw_pq->PQerrorMessage(db->conn), named, sizeof named);
        sw_redact(err, hosts.skipped, named, &db->secrets);
    }
    sw_hostaddr_free(&hosts);
    return -1;
}

/* Only the retries are logged here: the last attempt's reason is the caller's one line. */
static void log_attempt(const char *desc, const sw_err *reason, int64_t retry_ms)
{
    if (retry_ms >= 0)
        sw_warn("cannot connect to database %s: %s; retrying in %lld ms", desc, reason->msg,
                (long long)retry_ms);
}

static int64_t elapsed_ms(uv_loop_t *loop, uint64_t since)
{
    uv_update_time(loop);
    return (int64_t)(uv_now(loop) - since);
}

static enum sw_db_connect_result connect_retrying(struct sw_db *db, const char *const *keys,
                                                  const char *const *values,
                                                  const struct sw_database *cfg, sw_err *err)
{
    int64_t backoff = BACKOFF_FIRST_MS, timeout = cfg->connect_timeout_ms;
    char desc[512];
    uint64_t start;

    sw_db_describe(cfg->url, desc, sizeof desc);
    uv_update_time(db->loop);
    start = uv_now(db->loop);
    for (;;) {
        int64_t left;
        int r = connect_once(db, cfg->url, keys, values, timeout > 0 ? timeout : -1, err);
        if (r == 0)
            return SW_DB_CONNECTED;
        if (r == 1)
            return SW_DB_STOP;
        if (r == 2 || !run_meanwhile(db))
            return SW_DB_ABANDONED;
        left = cfg->wait_ms < 0 ? INT64_MAX : cfg->wait_ms - elapsed_ms(db->loop, start);
        log_attempt(desc, err, left > 0 ? (backoff < left ? backoff : left) : -1);
        sw_pq->PQfinish(db->conn);
        db->conn = NULL;
        if (left <= 0) {
            sw_err reason = *err;  /* the last attempt's, already free of the password */
            if (cfg->wait_ms == 0) /* one attempt, no waiting to speak of */
                sw_err_set(err, "database %s unreachable: %s", desc, reason.msg);
            else
                sw_err_set(err, "database %s unreachable for %lld ms: %s", desc,
                           (long long)elapsed_ms(db->loop, start), reason.msg);
            return SW_DB_UNREACHABLE;
        }
        if (!sw_loop_sleep(db->loop, db->stop, backoff < left ? backoff : left))
            return SW_DB_STOP;
        backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
    }
}

/* Our url is checked with libpq's own parser first, so that a bad one is a configuration
 * error (and its message cannot echo a password from libpq's connection attempt). */
static int check_url(const char *url, sw_err *err)
{
    char *errmsg = NULL;
    PQconninfoOption *opts;

    if (!url || !*url)
        return 0;
    opts = sw_pq->PQconninfoParse(url, &errmsg);
    if (!opts) {
        set_parse_error(err, errmsg ? errmsg : "out of memory");
        sw_pq->PQfreemem(errmsg);
        return -1;
    }
    sw_pq->PQconninfoFree(opts);
    return 0;
}

enum sw_db_connect_result sw_db_connect(struct sw_db **out, uv_loop_t *loop, int *stop,
                                        const struct sw_database *cfg, const char *purpose,
                                        sw_err *err)
{
    return sw_db_connect_meanwhile(out, loop, stop, cfg, purpose, NULL, err);
}

enum sw_db_connect_result sw_db_connect_meanwhile(struct sw_db **out, uv_loop_t *loop, int *stop,
                                                  const struct sw_database *cfg,
                                                  const char *purpose, struct sw_db_meanwhile *mw,
                                                  sw_err *err)
{
    char app[300];
    /* TCP keepalives (ignored on a Unix socket): a server gone from the network is noticed
     * within ~25 s, even while a long statement runs. They come before the url, which
     * overrides them; the application_name after it wins. */
    const char *keys[] = {"keepalives_idle",
                          "keepalives_interval",
                          "keepalives_count",
                          "application_name",
                          NULL,
                          NULL};
    const char *values[] = {"10", "5", "3", app, NULL, NULL};
    enum sw_db_connect_result r;
    struct sw_db *db;

    *out = NULL;
    if (sw_libpq_load(err) < 0)
        return SW_DB_NOLIB;
    if (check_url(cfg->url, err) < 0)
        return SW_DB_BAD_CONFIG;
    application_name(purpose, app, sizeof app);
    if (cfg->url && *cfg->url) {
        keys[3] = "dbname", values[3] = cfg->url; /* expand_dbname */
        keys[4] = "application_name", values[4] = app;
    }
    db = calloc(1, sizeof *db);
    if (!db) {
        sw_err_set(err, "out of memory");
        return SW_DB_BAD_CONFIG;
    }
    db->loop = loop;
    db->stop = stop;
    db->poll_fd = -1;
    db->deadline = NO_DEADLINE;
    db->meanwhile = mw;
    r = connect_retrying(db, keys, values, cfg, err);
    db->meanwhile = NULL;
    if (r == SW_DB_CONNECTED && sw_pq->PQsetnonblocking(db->conn, 1) < 0) {
        sw_redact(err, "cannot make the connection non-blocking: ", sw_pq->PQerrorMessage(db->conn),
                  &db->secrets);
        r = SW_DB_UNREACHABLE;
    }
    if (r != SW_DB_CONNECTED) {
        if (r == SW_DB_STOP)
            sw_err_set(err, "stopped while connecting");
        else if (r == SW_DB_ABANDONED)
            sw_err_set(err, "connection abandoned: the work done meanwhile failed");
        sw_db_close(db);
        return r;
    }
    sw_pq->PQsetNoticeProcessor(db->conn, on_notice, db);
    *out = db;
    return SW_DB_CONNECTED;
}

int sw_db_connect_exit_code(enum sw_db_connect_result r)
{
    switch (r) {
    case SW_DB_CONNECTED:
        return SW_EXIT_OK;
    case SW_DB_BAD_CONFIG:
        return SW_EXIT_USAGE;
    case SW_DB_UNREACHABLE:
        return SW_EXIT_UNREACHABLE;
    default:
        return SW_EXIT_FAIL;
    }
}

void sw_db_close(struct sw_db *db)
{
    if (!db)
        return;
    close_poll(db);
    if (db->conn)
        sw_pq->PQfinish(db->conn);
    sw_pq->PQclear(db->last_error);
    sw_secrets_free(&db->secrets);
    free(db);
}

/* ---- queries ----------------------------------------------------------------------------- */

static void set_conn_error(struct sw_db *db, sw_err *err, const char *what)
{
    sw_redact(err, what, sw_pq->PQerrorMessage(db->conn), &db->secrets);
}

/* "ERROR: primary (SQLSTATE x); detail: ...; hint: ...; context: ..." */
static void set_result_error(struct sw_db *db, const PGresult *r, sw_err *err)
{
    static const struct {
        int field;
        const char *label;
    } extra[] = {{PG_DIAG_MESSAGE_DETAIL, "; detail: "},
                 {PG_DIAG_MESSAGE_HINT, "; hint: "},
                 {PG_DIAG_CONTEXT, "; context: "}};
    const char *sev = sw_pq->PQresultErrorField(r, PG_DIAG_SEVERITY);
    const char *primary = sw_pq->PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
    const char *state = sw_pq->PQresultErrorField(r, PG_DIAG_SQLSTATE);
    char msg[sizeof err->msg];
    size_t n;

    if (!primary) {
        set_conn_error(db, err, "");
        return;
    }
    n = (size_t)snprintf(msg, sizeof msg, "%s: %s (SQLSTATE %s)", sev ? sev : "ERROR", primary,
                         state ? state : "?");
    for (size_t i = 0; i < sizeof extra / sizeof *extra && n < sizeof msg; i++) {
        const char *v = sw_pq->PQresultErrorField(r, extra[i].field);
        if (v)
            n += (size_t)snprintf(msg + n, sizeof msg - n, "%s%s", extra[i].label, v);
    }
    sw_redact(err, "", msg, &db->secrets);
}

/* Sends the cancel request; the server then fails the running statement, which the caller
 * drains like any other result. */
static void cancel(struct sw_db *db)
{
    PGcancel *c = sw_pq->PQgetCancel(db->conn);
    char buf[256];

    if (!c || !sw_pq->PQcancel(c, buf, sizeof buf))
        sw_warn("cannot cancel the running statement: %s", c ? buf : "out of memory");
    sw_pq->PQfreeCancel(c);
}

/* Pushes the query out; PQflush() is 1 while libpq still holds unsent data. */
static enum wake flush(struct sw_db *db, bool honour_stop)
{
    int r;

    while ((r = sw_pq->PQflush(db->conn)) == 1) {
        enum wake w = wait_socket(db, UV_READABLE | UV_WRITABLE, honour_stop, -1);
        if (w != WAKE_READY)
            return w;
        if (!sw_pq->PQconsumeInput(db->conn))
            return WAKE_ERROR;
    }
    return r == 0 ? WAKE_READY : WAKE_ERROR;
}

void sw_db_set_copy_in(struct sw_db *db, struct sw_copy_in *in)
{
    db->copy = in;
}

/* Sends the next block of inline data and ends the COPY. Each chunk is flushed before the
 * next is queued: libpq grows its output buffer rather than refuse data, so queuing a COPY
 * faster than the server reads it would hold a second copy of the data in libpq. Nonblocking:
 * PQputCopyData() says 0 when even that buffer cannot grow, and flushing it makes room. */
static bool send_copy_data(struct sw_db *db)
{
    struct sw_copy_in *in = db->copy;
    const char *p = in->buf + in->off[in->next];
    size_t left = in->len[in->next];

    in->next++;
    while (left > 0) {
        int chunk = left > 65536 ? 65536 : (int)left;
        int r = sw_pq->PQputCopyData(db->conn, p, chunk);
        if (r < 0 || flush(db, false) != WAKE_READY)
            return false;
        if (r == 0)
            continue;
        p += chunk;
        left -= (size_t)chunk;
    }
    while (sw_pq->PQputCopyEnd(db->conn, NULL) == 0)
        if (flush(db, false) != WAKE_READY)
            return false;
    return flush(db, false) == WAKE_READY;
}

/* COPY FROM STDIN gets the inline data of the migration (sw_db_set_copy_in), else fails;
 * COPY TO STDOUT is discarded, so the connection goes back to normal instead of hanging. */
static bool end_copy(struct sw_db *db, ExecStatusType status)
{
    char *buf = NULL;

    if (status == PGRES_COPY_IN && db->copy && db->copy->next < db->copy->n)
        return send_copy_data(db);
    if (status == PGRES_COPY_IN)
        return sw_pq->PQputCopyEnd(db->conn, "COPY FROM STDIN without inline data") >= 0;
    while (sw_pq->PQgetCopyData(db->conn, &buf, 0) > 0)
        sw_pq->PQfreemem(buf);
    return true;
}

/* Takes every ready result; true once PQgetResult() said there is no more. */
static bool take_results(struct sw_db *db, PGresult **last, PGresult **failed)
{
    while (!sw_pq->PQisBusy(db->conn)) {
        PGresult *r = sw_pq->PQgetResult(db->conn);
        ExecStatusType st;
        if (!r)
            return true;
        st = sw_pq->PQresultStatus(r);
        if (st == PGRES_COPY_IN || st == PGRES_COPY_OUT) {
            if (!end_copy(db, st))
                return false;
            sw_pq->PQclear(r);
        } else if (st == PGRES_FATAL_ERROR || st == PGRES_BAD_RESPONSE ||
                   st == PGRES_NONFATAL_ERROR) {
            if (*failed)
                sw_pq->PQclear(r);
            else
                *failed = r;
        } else {
            sw_pq->PQclear(*last);
            *last = r;
            db->completed++;
        }
    }
    return false;
}

/* Collects the results of the query just sent; see sw_db_exec(). */
static PGresult *collect(struct sw_db *db, sw_err *err)
{
    bool honour_stop = !db->cleanup, cancelled = false;
    uint64_t deadline = db->deadline;
    PGresult *last = NULL, *failed = NULL;
    enum wake w = flush(db, honour_stop);

    while (w == WAKE_READY || w == WAKE_STOP) {
        if (w == WAKE_STOP) {
            cancel(db);
            cancelled = true;
            honour_stop = false;
            set_deadline(db, CANCEL_DRAIN_MS);
        } else if (!sw_pq->PQconsumeInput(db->conn)) {
            w = WAKE_ERROR;
            break;
        }
        if (take_results(db, &last, &failed))
            break;
        w = wait_socket(db, UV_READABLE, honour_stop, -1);
    }
    db->deadline = deadline;
    db->stopped = cancelled && (failed || w != WAKE_READY);
    if (w == WAKE_READY && !failed)
        return last;
    sw_pq->PQclear(last);
    if (w == WAKE_READY) {
        set_result_error(db, failed, err);
        db->last_error = failed;
    } else {
        /* the protocol was left midway: the connection can only be closed now */
        sw_pq->PQclear(failed);
        db->broken = true;
        if (w == WAKE_TIMEOUT)
            sw_err_set(err, "no answer from the server in time");
        else
            set_conn_error(db, err, "connection lost: ");
    }
    if (db->stopped)
        snprintf(err->msg, sizeof err->msg, "stopped by signal %d", *db->stop);
    return NULL;
}

/* A call made after a stop request (and before sw_db_cleanup) fails at once: the caller
 * may not have looked at *stop since the signal came in between two calls. */
static bool begin_call(struct sw_db *db, sw_err *err)
{
    sw_pq->PQclear(db->last_error);
    db->last_error = NULL;
    db->stopped = false;
    db->completed = 0;
    if (db->broken) {
        sw_err_set(err, "connection abandoned after an earlier failure");
        return false;
    }
    if (!db->cleanup && db->stop && *db->stop) {
        db->stopped = true;
        sw_err_set(err, "stopped by signal %d", *db->stop);
        return false;
    }
    return true;
}

PGresult *sw_db_exec(struct sw_db *db, const char *sql, sw_err *err)
{
    if (!begin_call(db, err))
        return NULL;
    if (!sw_pq->PQsendQuery(db->conn, sql)) {
        set_conn_error(db, err, "cannot send query: ");
        return NULL;
    }
    return collect(db, err);
}

PGresult *sw_db_execp(struct sw_db *db, const char *sql, int n_params, const char *const *params,
                      sw_err *err)
{
    if (!begin_call(db, err))
        return NULL;
    if (!sw_pq->PQsendQueryParams(db->conn, sql, n_params, NULL, params, NULL, NULL, 0)) {
        set_conn_error(db, err, "cannot send query: ");
        return NULL;
    }
    return collect(db, err);
}

int sw_db_command(struct sw_db *db, const char *sql, sw_err *err)
{
    PGresult *r = sw_db_exec(db, sql, err);
    sw_pq->PQclear(r);
    return r ? 0 : -1;
}

int sw_db_commandp(struct sw_db *db, const char *sql, int n_params, const char *const *params,
                   sw_err *err)
{
    PGresult *r = sw_db_execp(db, sql, n_params, params, err);
    sw_pq->PQclear(r);
    return r ? 0 : -1;
}

const PGresult *sw_db_last_error(const struct sw_db *db)
{
    return db->last_error;
}

size_t sw_db_completed(const struct sw_db *db)
{
    return db->completed;
}

bool sw_db_stopped(const struct sw_db *db)
{
    return db->stopped;
}

bool sw_db_broken(const struct sw_db *db)
{
    return db->broken;
}

bool sw_db_abandoned(const struct sw_db *db)
{
    return db->broken && sw_pq->PQstatus(db->conn) == CONNECTION_OK;
}

int sw_db_server_version(const struct sw_db *db)
{
    return sw_pq->PQserverVersion(db->conn);
}

int sw_db_client_pid(const struct sw_db *db)
{
    return sw_pq->PQbackendPID(db->conn);
}

int sw_db_ping(struct sw_db *db, int64_t timeout_ms, sw_err *err)
{
    uint64_t deadline = db->deadline;
    int rc;

    set_deadline(db, timeout_ms);
    rc = sw_db_command(db, "SELECT 1", err);
    db->deadline = deadline;
    return rc;
}

/* ---- watching an idle connection --------------------------------------------------------- */

static void on_watch(uv_poll_t *h, int status, int events)
{
    struct sw_db *db = h->data;
    (void)status; /* an error shows up in PQconsumeInput */
    (void)events;
    if (sw_pq->PQconsumeInput(db->conn) && sw_pq->PQstatus(db->conn) == CONNECTION_OK)
        return; /* a notice, or nothing: still alive */
    uv_poll_stop(h);
    db->broken = true;
    db->on_lost(db->on_lost_arg);
}

int sw_db_watch(struct sw_db *db, void (*on_lost)(void *arg), void *arg)
{
    int fd = sw_pq->PQsocket(db->conn);

    db->on_lost = on_lost;
    db->on_lost_arg = arg;
    if (db->broken || fd < 0) {
        on_lost(arg);
        return 0;
    }
    if (open_poll(db, fd) < 0 || uv_poll_start(db->poll, UV_READABLE, on_watch) < 0)
        return -1;
    return 0;
}

void sw_db_unwatch(struct sw_db *db)
{
    if (db->poll)
        uv_poll_stop(db->poll);
}

static char *quote(struct sw_db *db, const char *s, size_t len, bool identifier, sw_err *err)
{
    char *q = identifier ? sw_pq->PQescapeIdentifier(db->conn, s, len)
                         : sw_pq->PQescapeLiteral(db->conn, s, len);
    char *copy;

    if (!q) {
        set_conn_error(db, err, "");
        return NULL;
    }
    /* ours to free() like every other string, not PQfreemem() */
    copy = strdup(q);
    sw_pq->PQfreemem(q);
    if (!copy)
        sw_err_set(err, "out of memory");
    return copy;
}

char *sw_db_quote_ident(struct sw_db *db, const char *name, size_t len, sw_err *err)
{
    return quote(db, name, len, true, err);
}

char *sw_db_quote_literal(struct sw_db *db, const char *s, sw_err *err)
{
    return quote(db, s, strlen(s), false, err);
}

/* ---- LISTEN/NOTIFY ----------------------------------------------------------------------- */

static bool drain_notifies(struct sw_db *db)
{
    PGnotify *n = sw_pq->PQnotifies(db->conn);
    bool any = n != NULL;

    while (n) {
        sw_pq->PQfreemem(n);
        n = sw_pq->PQnotifies(db->conn);
    }
    return any;
}

int sw_db_wait_notify(struct sw_db *db, int64_t timeout_ms, sw_err *err)
{
    uint64_t start;

    if (!begin_call(db, err))
        return -1;
    uv_update_time(db->loop);
    start = uv_now(db->loop);
    for (;;) {
        int64_t left = timeout_ms < 0 ? -1 : timeout_ms - elapsed_ms(db->loop, start);
        enum wake w;
        if (!sw_pq->PQconsumeInput(db->conn)) {
            set_conn_error(db, err, "connection lost: ");
            return -1;
        }
        if (drain_notifies(db))
            return 1;
        if (timeout_ms >= 0 && left <= 0)
            return 0;
        w = wait_socket(db, UV_READABLE, !db->cleanup, left);
        if (w == WAKE_TIMEOUT)
            return 0;
        if (w == WAKE_STOP) {
            db->stopped = true;
            sw_err_set(err, "stopped by signal %d", *db->stop);
            return -1;
        }
        if (w != WAKE_READY) {
            sw_err_set(err, "cannot wait on the connection");
            return -1;
        }
    }
}
