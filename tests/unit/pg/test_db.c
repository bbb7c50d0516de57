/* src/db.c against the PostgreSQL of tests/run-all.sh (PG* in the environment): describing
 * connection strings without their password, LISTEN/NOTIFY waits, stopping a running query;
 * and the history table told apart in the server's error fields. */
#include "pg/db.h"
#include "pg/dynlib.h"
#include "pg/history.h"
#include "tap.h"

#include <stdlib.h>
#include <string.h>

#define SECRET "s3cretPassw0rd"

static int stop;

static void on_stop_timer(uv_timer_t *t)
{
    (void)t;
    stop = 15;
}

static void test_describe(void)
{
    char buf[512];

    sw_db_describe("postgresql://alice:" SECRET "@db.example:5433/app", buf, sizeof buf);
    TAP_OK(strcmp(buf, "host=db.example port=5433 dbname=app user=alice") == 0,
           "a URI is described without its password: %s", buf);
    sw_db_describe("host=h user=bob password=" SECRET " dbname='postgresql://x:" SECRET "@y/z'",
                   buf, sizeof buf);
    TAP_OK(!strstr(buf, SECRET) && strstr(buf, "user=bob"),
           "key=value, even with the password inside dbname: %s", buf);
    sw_db_describe("host=h user=bob dbname='postgresql://x:" SECRET "@y/z'", buf, sizeof buf);
    TAP_OK(strstr(buf, " dbname=*** user=bob") && !strstr(buf, SECRET),
           "a dbname holding a connection string is hidden whole: %s", buf);
    sw_db_describe("host=h dbname='postgresql://x:S%45CRET@y/z'", buf, sizeof buf);
    TAP_OK(!strstr(buf, "S%45CRET") && !strstr(buf, "SECRET"), "percent-encoded too: %s", buf);
    sw_db_describe("postgresql://alice:" SECRET "@h/db?nonsense=" SECRET, buf, sizeof buf);
    TAP_OK(!strstr(buf, SECRET), "an unparseable url: %s", buf);
}

static void test_bad_url(uv_loop_t *loop)
{
    struct sw_database cfg = {.url = "postgresql://alice:" SECRET "@h/db?nonsense=" SECRET,
                              .connect_timeout_ms = 1000,
                              .wait_ms = 0};
    struct sw_db *db;
    sw_err err;

    TAP_OK(sw_db_connect(&db, loop, NULL, &cfg, "test", &err) == SW_DB_BAD_CONFIG,
           "an unparseable url is a configuration error");
    TAP_OK(!strstr(err.msg, SECRET), "whose message hides the password: %s", err.msg);
}

static void test_notify(struct sw_db *db, struct sw_db *other)
{
    sw_err err;

    TAP_OK(sw_db_command(db, "LISTEN slipway", &err) == 0, "LISTEN");
    TAP_OK(sw_db_wait_notify(db, 50, &err) == 0, "no NOTIFY: timeout");
    TAP_OK(sw_db_command(other, "NOTIFY slipway, 'a'; NOTIFY slipway, 'b'", &err) == 0,
           "NOTIFY twice from another session");
    TAP_OK(sw_db_wait_notify(db, 5000, &err) == 1, "the NOTIFY arrives");
    TAP_OK(sw_db_wait_notify(db, 50, &err) == 0, "both were consumed by that wait");
}

static void test_notify_stop(uv_loop_t *loop, struct sw_db *db)
{
    uv_timer_t timer;
    sw_err err;

    uv_timer_init(loop, &timer);
    uv_timer_start(&timer, on_stop_timer, 100, 0);
    TAP_OK(sw_db_wait_notify(db, 5000, &err) < 0 && sw_db_stopped(db),
           "a stop request ends a NOTIFY wait: %s", err.msg);
    uv_close((uv_handle_t *)&timer, NULL);
    uv_run(loop, UV_RUN_NOWAIT); /* the timer lives on this stack frame */
    stop = 0;
}

static void test_stop(uv_loop_t *loop, struct sw_db *db)
{
    uv_timer_t timer;
    PGresult *r;
    sw_err err;
    uint64_t t0;

    uv_timer_init(loop, &timer);
    uv_timer_start(&timer, on_stop_timer, 100, 0);
    uv_update_time(loop);
    t0 = uv_now(loop);
    r = sw_db_exec(db, "SELECT pg_sleep(10)", &err);
    uv_update_time(loop);
    TAP_OK(!r && sw_db_stopped(db), "a stop request cancels the running query: %s", err.msg);
    TAP_OK(uv_now(loop) - t0 < 1000, "promptly (%llu ms)", (unsigned long long)(uv_now(loop) - t0));
    TAP_OK(sw_db_command(db, "SELECT 1", &err) < 0 && sw_db_stopped(db),
           "later calls fail at once: %s", err.msg);
    TAP_OK(sw_db_wait_notify(db, 1000, &err) < 0 && sw_db_stopped(db),
           "so does waiting for a NOTIFY: %s", err.msg);
    sw_db_cleanup(db, 1000);
    TAP_OK(sw_db_command(db, "SELECT 1", &err) == 0, "clean-up mode runs them again");
    uv_close((uv_handle_t *)&timer, NULL);
    uv_run(loop, UV_RUN_NOWAIT);
}

static void test_is_history(struct sw_db *db)
{
    struct sw_tables t;
    sw_err err;

    if (sw_tables_init(&t, db, "app.my\"hist", &err) < 0) {
        TAP_OK(0, "sw_tables_init: %s", err.msg);
        return;
    }
    TAP_OK(sw_tables_is_history(&t, "my\"hist"), "the history table, a quote in its name");
    TAP_OK(!sw_tables_is_history(&t, "hist") && !sw_tables_is_history(&t, "my") &&
               !sw_tables_is_history(&t, "slipway_tasks") && !sw_tables_is_history(&t, ""),
           "not a part of its name, nor another table");
    sw_tables_free(&t);
}

int main(void)
{
    struct sw_database cfg = {.url = NULL, .connect_timeout_ms = 5000, .wait_ms = 0};
    struct sw_db *db = NULL, *other = NULL;
    uv_loop_t loop;
    sw_err err;

    if (!getenv("PGHOST")) {
        printf("1..0 # SKIP no PostgreSQL (run through tests/run-all.sh)\n");
        return 0;
    }
    uv_loop_init(&loop);
    test_describe();
    test_bad_url(&loop);
    TAP_OK(sw_db_connect(&db, &loop, &stop, &cfg, "test", &err) == SW_DB_CONNECTED &&
               sw_db_connect(&other, &loop, NULL, &cfg, "test", &err) == SW_DB_CONNECTED,
           "connect with libpq's PG* defaults");
    if (db && other) {
        test_notify(db, other);
        test_notify_stop(&loop, db);
        test_stop(&loop, db);
        test_is_history(other);
    }
    sw_db_close(db);
    sw_db_close(other);
    uv_run(&loop, UV_RUN_NOWAIT);
    TAP_OK(uv_loop_close(&loop) == 0, "every handle was released");
    return tap_done();
}
