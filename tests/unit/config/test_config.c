/* sw_config_load: every key of every section to its typed value, defaults, the file search
 * (-c, $SLIPWAY_CONFIG, the default path), environment overrides, ${VAR} expansion, *_file
 * secrets, DATABASE_URL, and the exact message of every error. Config files are written to a
 * private temporary directory, so the test needs no fixtures. */
#include "base/duration.h"
#include "config/config.h"
#include "tap.h"

#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

extern char **environ;

static char dir[64];
static char ini_path[128];    /* the config file of the case at hand */
static char secret_path[128]; /* a *_file secret */

static bool streq(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

/* NULL-safe for descriptions. */
static const char *s_(const char *s)
{
    return s ? s : "(null)";
}

static void write_file(const char *path, const char *content)
{
    FILE *f = fopen(path, "w");
    if (!f || fputs(content, f) < 0 || fclose(f) != 0) {
        perror(path);
        exit(99);
    }
}

/* Words of a NULL-terminated argv equal want (NULL-terminated). */
static bool argv_eq(char *const *argv, const char *const *want)
{
    size_t i = 0;
    if (!argv)
        return false;
    for (; want[i]; i++)
        if (!streq(argv[i], want[i]))
            return false;
    return argv[i] == NULL;
}

#define ARGV_EQ(argv, ...) argv_eq(argv, (const char *const[]){__VA_ARGS__, NULL})

/* Unsets every variable the loader reads, so the caller's environment cannot leak in. */
static void clean_env(void)
{
    for (;;) {
        char name[256];
        bool found = false;
        for (char **e = environ; *e; e++) {
            if (strncmp(*e, "SLIPWAY_", 8) == 0) {
                snprintf(name, sizeof name, "%.*s", (int)strcspn(*e, "="), *e);
                found = true;
                break;
            }
        }
        if (!found)
            break;
        unsetenv(name);
    }
    unsetenv("DATABASE_URL");
}

/* Writes ini to the case's file and loads it with -c. */
static int load(const char *ini, struct sw_config *cfg, sw_err *err)
{
    memset(err, 0, sizeof *err);
    write_file(ini_path, ini);
    return sw_config_load(cfg, ini_path, err);
}

/* Loads ini, which must succeed; on failure the config is zeroed, so checks still run. */
static bool load_ok(const char *ini, struct sw_config *cfg, const char *what)
{
    sw_err err;
    int rc = load(ini, cfg, &err);
    TAP_OK(rc == 0, "%s: loads (%s)", what, rc == 0 ? "ok" : err.msg);
    return rc == 0;
}

/* The message an error must have: "PATH:LINE: msg" for line > 0, msg as is for line 0. */
static const char *want_msg(int line, const char *fmt, va_list ap)
{
    static char want[2048];
    char msg[1024];

    vsnprintf(msg, sizeof msg, fmt, ap);
    if (line > 0)
        snprintf(want, sizeof want, "%s:%d: %s", ini_path, line, msg);
    else
        snprintf(want, sizeof want, "%s", msg);
    return want;
}

static void check_failed(int rc, const sw_err *err, const struct sw_config *cfg, const char *what,
                         const char *want)
{
    TAP_OK(rc == -1, "%s: refused", what);
    TAP_OK(streq(err->msg, want), "%s: message", what);
    if (!streq(err->msg, want))
        printf("#   want: %s\n#   got:  %s\n", want, err->msg);
    TAP_OK(!cfg->path && !cfg->serve.command && !cfg->tasks && !cfg->migrations.table,
           "%s: config left empty", what);
}

static void expect_err(const char *ini, int line, const char *what, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void expect_err(const char *ini, int line, const char *what, const char *fmt, ...)
{
    struct sw_config cfg;
    sw_err err;
    va_list ap;
    const char *want;
    int rc;

    va_start(ap, fmt);
    want = want_msg(line, fmt, ap);
    va_end(ap);
    rc = load(ini, &cfg, &err);
    check_failed(rc, &err, &cfg, what, want);
    if (rc == 0)
        sw_config_free(&cfg);
}

/* ---- defaults ------------------------------------------------------------------------ */

static void check_defaults(const struct sw_config *c, const char *what)
{
    TAP_OK(!c->serve.command && !c->serve.argv, "%s: no serve command", what);
    TAP_OK(!c->serve.shell && !c->serve.exec && !c->serve.signal_group,
           "%s: shell, exec, signal_group false", what);
    TAP_OK(c->serve.stop_signal == SIGTERM, "%s: stop_signal TERM (%d)", what,
           c->serve.stop_signal);
    TAP_OK(c->serve.stop_timeout_ms == 10000, "%s: stop_timeout 10s", what);
    TAP_OK(c->serve.exit_code_map.n == 0, "%s: exit_code_map empty", what);
    TAP_OK(!c->serve.user, "%s: no user", what);
    TAP_OK(c->serve.wait_for && !c->serve.wait_for[0], "%s: wait_for empty", what);
    TAP_OK(!sw_config_serve_needs_database(c), "%s: serve does not need the database", what);
    TAP_OK(c->serve.wait_timeout_ms == SW_DURATION_INFINITY, "%s: wait_timeout infinity", what);
    TAP_OK(streq(c->serve.health_socket, "/run/slipway/health.sock"), "%s: health_socket %s", what,
           s_(c->serve.health_socket));
    TAP_OK(!c->serve.health_listen, "%s: no health_listen", what);
    TAP_OK(!c->database.url, "%s: no database url", what);
    TAP_OK(c->database.connect_timeout_ms == 5000, "%s: connect_timeout 5s", what);
    TAP_OK(c->database.wait_ms == 60000, "%s: wait 60s", what);
    TAP_OK(!c->database.requires.set && !c->database.max_ahead.set, "%s: requires, max_ahead unset",
           what);
    TAP_OK(streq(c->migrations.dir, "/app/migrations"), "%s: migrations dir %s", what,
           s_(c->migrations.dir));
    TAP_OK(streq(c->migrations.table, "slipway_migrations"), "%s: table %s", what,
           s_(c->migrations.table));
    TAP_OK(c->migrations.lock_wait_ms == SW_DURATION_INFINITY, "%s: lock_wait infinity", what);
    TAP_OK(c->migrations.lock_timeout_ms == 5000, "%s: lock_timeout 5s", what);
    TAP_OK(c->migrations.statement_timeout_ms == 0, "%s: statement_timeout 0", what);
    TAP_OK(!c->migrations.out_of_order, "%s: out_of_order false", what);
    TAP_OK(c->n_tasks == 0 && !sw_config_task(c, "reindex"), "%s: no tasks", what);
}

/* The defaults are checked without a default file, even on a machine that has one: this
 * process gets a mount namespace of its own with an empty tmpfs over the file's directory.
 * Only when that is impossible (not root) are these checks skipped, and said so. */
static bool hide_default_config(void)
{
    if (access(SW_DEFAULT_CONFIG, F_OK) != 0)
        return true;
    if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
        mount("tmpfs", "/etc/slipway", "tmpfs", 0, NULL) < 0) {
        printf("# cannot hide %s: %s\n", SW_DEFAULT_CONFIG, strerror(errno));
        return false;
    }
    return access(SW_DEFAULT_CONFIG, F_OK) != 0;
}

static void defaults(void)
{
    struct sw_config cfg;
    sw_err err = {{0}};

    if (!hide_default_config()) {
        TAP_OK(true, "absent default file: built-in defaults # SKIP %s exists on this machine",
               SW_DEFAULT_CONFIG);
    } else {
        int rc = sw_config_load(&cfg, NULL, &err);
        TAP_OK(rc == 0, "absent default file: loads (%s)", rc == 0 ? "ok" : err.msg);
        TAP_OK(!cfg.path, "absent default file: path is NULL");
        check_defaults(&cfg, "absent default file");
        sw_config_free(&cfg);

        setenv("SLIPWAY_CONFIG", "", 1);
        rc = sw_config_load(&cfg, NULL, &err);
        TAP_OK(rc == 0 && !cfg.path, "empty SLIPWAY_CONFIG: the default path, absent");
        sw_config_free(&cfg);
        unsetenv("SLIPWAY_CONFIG");
    }

    load_ok("", &cfg, "empty file");
    TAP_OK(streq(cfg.path, ini_path), "empty file: path recorded");
    check_defaults(&cfg, "empty file");
    sw_config_free(&cfg);

    load_ok("; only comments\n# and blank lines\n\n[serve]\n[database]\n[migrations]\n", &cfg,
            "empty sections");
    check_defaults(&cfg, "empty sections");
    sw_config_free(&cfg);
}

/* ---- every key ----------------------------------------------------------------------- */

static const char full_ini[] = "[serve]\n"
                               "command = nginx -g \"daemon off;\"   ; shell-like word splitting\n"
                               "shell = false\n"
                               "exec = yes\n"
                               "stop_signal = SIGQUIT\n"
                               "stop_timeout = 250ms\n"
                               "signal_group = on\n"
                               "exit_code_map = 143:0, 130:0\n"
                               "user = www-data\n"
                               "wait_for = database, reindex\n"
                               "wait_timeout = 5m\n"
                               "health_socket = /tmp/slipway-test/health.sock\n"
                               "health_listen = 127.0.0.1:8081\n"
                               "\n"
                               "[database]\n"
                               "url = postgres://app@db:5432/app?sslmode=disable\n"
                               "connect_timeout = 10s\n"
                               "wait = 1h\n"
                               "requires = 42\n"
                               "max_ahead = 0\n"
                               "\n"
                               "[migrations]\n"
                               "dir = /srv/migrations\n"
                               "table = app.schema_history\n"
                               "lock_wait = 0\n"
                               "lock_timeout = 10s\n"
                               "statement_timeout = infinity\n"
                               "out_of_order = 1\n"
                               "\n"
                               "[task \"reindex\"]                    ; run by --upgrade\n"
                               "command = /app/bin/reindex --all\n"
                               "version = 3\n"
                               "timeout = 30m\n"
                               "required = off\n"
                               "\n"
                               "# a second task, defaults for timeout and required\n"
                               "[task \"warm-cache.v2\"]\n"
                               "version = 18446744073709551615\n"
                               "command = warm 'a b'\n";

static void every_key(void)
{
    struct sw_config cfg;
    const struct sw_task *t;
    char origin[256];

    load_ok(full_ini, &cfg, "full file");
    TAP_OK(streq(cfg.path, ini_path), "full: path");
    TAP_OK(streq(cfg.serve.command, "nginx -g \"daemon off;\""), "full: command [%s]",
           s_(cfg.serve.command));
    TAP_OK(ARGV_EQ(cfg.serve.argv, "nginx", "-g", "daemon off;"), "full: command is 3 words");
    TAP_OK(!cfg.serve.shell, "full: shell false");
    TAP_OK(cfg.serve.exec, "full: exec yes");
    TAP_OK(cfg.serve.stop_signal == SIGQUIT, "full: stop_signal SIGQUIT (%d)",
           cfg.serve.stop_signal);
    TAP_OK(cfg.serve.stop_timeout_ms == 250, "full: stop_timeout 250ms (%lld)",
           (long long)cfg.serve.stop_timeout_ms);
    TAP_OK(cfg.serve.signal_group, "full: signal_group on");
    TAP_OK(cfg.serve.exit_code_map.n == 2 && cfg.serve.exit_code_map.items[0].from == 143 &&
               cfg.serve.exit_code_map.items[0].to == 0 &&
               cfg.serve.exit_code_map.items[1].from == 130 &&
               cfg.serve.exit_code_map.items[1].to == 0,
           "full: exit_code_map 143:0, 130:0");
    TAP_OK(streq(cfg.serve.user, "www-data"), "full: user");
    TAP_OK(ARGV_EQ(cfg.serve.wait_for, "database", "reindex"), "full: wait_for");
    TAP_OK(sw_config_serve_needs_database(&cfg), "full: serve needs the database");
    TAP_OK(cfg.serve.wait_timeout_ms == 300000, "full: wait_timeout 5m");
    TAP_OK(streq(cfg.serve.health_socket, "/tmp/slipway-test/health.sock"), "full: health_socket");
    TAP_OK(streq(cfg.serve.health_listen, "127.0.0.1:8081"), "full: health_listen");

    TAP_OK(streq(cfg.database.url, "postgres://app@db:5432/app?sslmode=disable"), "full: url [%s]",
           s_(cfg.database.url));
    TAP_OK(cfg.database.connect_timeout_ms == 10000, "full: connect_timeout 10s");
    TAP_OK(cfg.database.wait_ms == 3600000, "full: wait 1h");
    TAP_OK(cfg.database.requires.set && cfg.database.requires.value.n == 1 &&
               cfg.database.requires.value.part[0] == 42,
           "full: requires 42");
    TAP_OK(cfg.database.max_ahead.set && cfg.database.max_ahead.value == 0,
           "full: max_ahead 0 is set");

    TAP_OK(streq(cfg.migrations.dir, "/srv/migrations"), "full: dir");
    TAP_OK(streq(cfg.migrations.table, "app.schema_history"), "full: schema-qualified table");
    TAP_OK(cfg.migrations.lock_wait_ms == 0, "full: lock_wait 0");
    TAP_OK(cfg.migrations.lock_timeout_ms == 10000, "full: lock_timeout 10s");
    TAP_OK(cfg.migrations.statement_timeout_ms == SW_DURATION_INFINITY,
           "full: statement_timeout infinity");
    TAP_OK(cfg.migrations.out_of_order, "full: out_of_order 1");

    TAP_OK(cfg.n_tasks == 2, "full: two tasks (%zu)", cfg.n_tasks);
    t = sw_config_task(&cfg, "reindex");
    TAP_OK(t == &cfg.tasks[0], "full: reindex is the first task");
    if (t) {
        TAP_OK(streq(t->name, "reindex"), "reindex: name");
        TAP_OK(streq(t->command, "/app/bin/reindex --all"), "reindex: command");
        TAP_OK(ARGV_EQ(t->argv, "/app/bin/reindex", "--all"), "reindex: argv");
        TAP_OK(t->version.set && t->version.value == 3, "reindex: version 3");
        TAP_OK(t->timeout_ms == 30 * 60000, "reindex: timeout 30m");
        TAP_OK(!t->required, "reindex: required off");
        snprintf(origin, sizeof origin, "%s:30", ini_path);
        TAP_OK(streq(t->origin, origin), "reindex: origin is the header [%s]", t->origin);
    }
    t = sw_config_task(&cfg, "warm-cache.v2");
    TAP_OK(t == &cfg.tasks[1], "full: warm-cache.v2 is the second task");
    if (t) {
        TAP_OK(ARGV_EQ(t->argv, "warm", "a b"), "warm-cache.v2: argv");
        TAP_OK(t->version.set && t->version.value == UINT64_MAX, "warm-cache.v2: version max");
        TAP_OK(t->timeout_ms == SW_DURATION_INFINITY, "warm-cache.v2: timeout default infinity");
        TAP_OK(t->required, "warm-cache.v2: required default true");
        snprintf(origin, sizeof origin, "%s:37", ini_path);
        TAP_OK(streq(t->origin, origin), "warm-cache.v2: origin is the header [%s]", t->origin);
    }
    TAP_OK(!sw_config_task(&cfg, "warm") && !sw_config_task(&cfg, "database") &&
               !sw_config_task(&cfg, "REINDEX"),
           "full: lookup of unknown task names gives NULL");
    sw_config_free(&cfg);
    TAP_OK(!cfg.path && !cfg.tasks && cfg.n_tasks == 0, "sw_config_free zeroes the config");
}

/* ---- typed values, one key at a time -------------------------------------------------- */

static void bools(void)
{
    static const struct {
        const char *text;
        bool value;
    } cases[] = {{"true", true}, {"false", false}, {"yes", true}, {"no", false},
                 {"on", true},   {"off", false},   {"1", true},   {"0", false}};
    struct sw_config cfg;
    char ini[128];

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        /* Both polarities in one file, so a constant result cannot pass. */
        snprintf(ini, sizeof ini, "[serve]\nsignal_group = %s\n[migrations]\nout_of_order = %s\n",
                 cases[i].text, cases[i ^ 1].text);
        if (load_ok(ini, &cfg, cases[i].text))
            TAP_OK(cfg.serve.signal_group == cases[i].value &&
                       cfg.migrations.out_of_order == cases[i ^ 1].value,
                   "bool %s is %s", cases[i].text, cases[i].value ? "true" : "false");
        sw_config_free(&cfg);
    }
    static const char *const bad[] = {"maybe", "2", "t", "truee", "enabled"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(ini, sizeof ini, "[serve]\nexec = %s\n", bad[i]);
        expect_err(ini, 2, "bad bool", "bad value '%s' for exec (expected true or false)", bad[i]);
    }
    expect_err("[serve]\nshell =\n", 2, "empty bool",
               "bad value '' for shell (expected true or false)");
}

static void durations(void)
{
    static const struct {
        const char *text;
        int64_t ms;
    } cases[] = {{"250ms", 250}, {"10s", 10000},    {"5m", 300000}, {"1h", 3600000},
                 {"0", 0},       {"infinity", -1},  {"0s", 0},      {"1ms", 1},
                 {"90s", 90000}, {"24h", 86400000}, {"007s", 7000}};
    static const char *const bad[] = {"10",        "10x",      "-1s",  "1.5s",
                                      "s",         "ms",       "10 s", "1hour",
                                      "infinityy", "Infinity", "10S",  "9999999999999999999h"};
    struct sw_config cfg;
    char ini[128];

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(ini, sizeof ini, "[serve]\nstop_timeout = %s\n", cases[i].text);
        if (load_ok(ini, &cfg, cases[i].text))
            TAP_OK(cfg.serve.stop_timeout_ms == cases[i].ms, "duration %s is %lld ms (got %lld)",
                   cases[i].text, (long long)cases[i].ms, (long long)cfg.serve.stop_timeout_ms);
        sw_config_free(&cfg);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(ini, sizeof ini, "[migrations]\n\nlock_timeout = %s\n", bad[i]);
        expect_err(ini, 3, "bad duration",
                   "bad value '%s' for lock_timeout (expected 250ms, 10s, 5m, 1h, 0 or "
                   "infinity)",
                   bad[i]);
    }
    expect_err("[database]\nwait =\n", 2, "empty duration",
               "bad value '' for wait (expected 250ms, 10s, 5m, 1h, 0 or infinity)");
    /* The largest value that fits and the first that does not. */
    load_ok("[serve]\nwait_timeout = 9223372036854775807ms\n", &cfg, "INT64_MAX ms");
    TAP_OK(cfg.serve.wait_timeout_ms == INT64_MAX, "INT64_MAX ms is exact");
    sw_config_free(&cfg);
    expect_err("[serve]\nwait_timeout = 9223372036854776s\n", 2, "duration overflow",
               "bad value '9223372036854776s' for wait_timeout (expected 250ms, 10s, 5m, 1h, 0 "
               "or infinity)");
}

static void signals(void)
{
    static const struct {
        const char *text;
        int sig;
    } cases[] = {{"TERM", SIGTERM},  {"SIGQUIT", SIGQUIT}, {"15", SIGTERM},     {"INT", SIGINT},
                 {"SIGHUP", SIGHUP}, {"USR1", SIGUSR1},    {"WINCH", SIGWINCH}, {"3", SIGQUIT}};
    /* KILL and STOP cannot be caught or forwarded meaningfully: refused by name and number. */
    static const char *const bad[] = {"FOO",  "0",       "9",    "19",      "65",
                                      "-15",  "15x",     "SIG",  "term",    "SIGSIGTERM",
                                      "KILL", "SIGKILL", "STOP", "SIGSTOP", "TERM QUIT"};
    struct sw_config cfg;
    char ini[128];

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(ini, sizeof ini, "[serve]\nstop_signal = %s\n", cases[i].text);
        if (load_ok(ini, &cfg, cases[i].text))
            TAP_OK(cfg.serve.stop_signal == cases[i].sig, "signal %s is %d (got %d)", cases[i].text,
                   cases[i].sig, cfg.serve.stop_signal);
        sw_config_free(&cfg);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(ini, sizeof ini, "[serve]\nstop_signal = %s\n", bad[i]);
        expect_err(ini, 2, "bad signal",
                   "bad value '%s' for stop_signal (expected a signal name such as TERM or QUIT)",
                   bad[i]);
    }

    int sig = 0;
    TAP_OK(sw_signal_parse("SIGTERM", &sig) == 0 && sig == SIGTERM, "sw_signal_parse SIGTERM");
    TAP_OK(sw_signal_parse("KILLx", &sig) < 0 && sw_signal_parse("", &sig) < 0,
           "sw_signal_parse refuses junk");
}

static void code_maps(void)
{
    struct sw_config cfg;
    const struct sw_code_maps *m = &cfg.serve.exit_code_map;
    static const char *const bad[] = {"143",    "143:", ":0",     "256:0",  "0:256", "-1:0",
                                      "143:0;", "a:b",  "143:0x", "1430:0", "143-0", "143:0:1"};
    char ini[128];

    load_ok("[serve]\nexit_code_map = 143:0 130:1\t0:255,255:0\n", &cfg, "code map separators");
    TAP_OK(m->n == 4 && m->items[0].from == 143 && m->items[0].to == 0 && m->items[1].from == 130 &&
               m->items[1].to == 1 && m->items[2].from == 0 && m->items[2].to == 255 &&
               m->items[3].from == 255 && m->items[3].to == 0,
           "exit_code_map with spaces, tab and comma");
    sw_config_free(&cfg);
    load_ok("[serve]\nexit_code_map = 1:2,3:4\n", &cfg, "code map without spaces");
    TAP_OK(m->n == 2 && m->items[0].from == 1 && m->items[0].to == 2 && m->items[1].from == 3 &&
               m->items[1].to == 4,
           "exit_code_map 1:2,3:4");
    sw_config_free(&cfg);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(ini, sizeof ini, "[serve]\nexit_code_map = %s\n", bad[i]);
        expect_err(ini, 2, "bad exit_code_map",
                   "bad value '%s' for exit_code_map (expected FROM:TO pairs of exit codes "
                   "0-255, e.g. 143:0)",
                   bad[i]);
    }
}

static void numbers(void)
{
    struct sw_config cfg;
    static const char *const bad[] = {"-1", "abc", "1x", "+1", " ", "18446744073709551616"};
    static const char *const bad_versions[] = {"1.", ".1", "1..2", "1_2", "1.2.3.4.5.6.7.8.9",
                                               "v1"};
    char ini[128];

    load_ok("[database]\nrequires = 7\n", &cfg, "requires only");
    TAP_OK(cfg.database.requires.set && cfg.database.requires.value.n == 1 &&
               cfg.database.requires.value.part[0] == 7 && !cfg.database.max_ahead.set,
           "requires 7, max_ahead unset");
    sw_config_free(&cfg);
    load_ok("[database]\nrequires = 1.12.0\n", &cfg, "dotted requires");
    TAP_OK(cfg.database.requires.set && cfg.database.requires.value.n == 2 &&
               cfg.database.requires.value.part[0] == 1 &&
               cfg.database.requires.value.part[1] == 12,
           "requires 1.12.0 is 1.12");
    sw_config_free(&cfg);
    for (size_t i = 0; i < sizeof bad_versions / sizeof bad_versions[0]; i++) {
        snprintf(ini, sizeof ini, "[database]\nrequires = %s\n", bad_versions[i]);
        expect_err(ini, 2, "bad version",
                   "bad value '%s' for requires (expected a version such as 42 or 1.12.22)",
                   bad_versions[i]);
    }
    load_ok("[database]\nmax_ahead = 2\nrequires =\n", &cfg, "max_ahead, empty requires");
    TAP_OK(!cfg.database.requires.set && cfg.database.max_ahead.set &&
               cfg.database.max_ahead.value == 2,
           "max_ahead 2, empty requires is unset");
    sw_config_free(&cfg);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(ini, sizeof ini, "[database]\nmax_ahead = \"%s\"\n", bad[i]);
        /* Quotes are not INI syntax: they are part of the value, and make it bad too. */
        expect_err(ini, 2, "quoted number",
                   "bad value '\"%s\"' for max_ahead (expected a non-negative integer)", bad[i]);
        snprintf(ini, sizeof ini, "[database]\nrequires = %s\n", bad[i]);
        if (strcmp(bad[i], " ") == 0)
            continue; /* inih strips it to the empty value, which is "unset" */
        expect_err(ini, 2, "bad number",
                   "bad value '%s' for requires (expected a version such as 42 or 1.12.22)",
                   bad[i]);
    }
}

static void placeholders(void)
{
    struct sw_config cfg;

    setenv("SLIPWAY_TEST_TEAM", "payments", 1);
    load_ok("[placeholders]\nschema = app\nteam = ${SLIPWAY_TEST_TEAM}\nempty =\n", &cfg,
            "placeholders");
    TAP_OK(cfg.placeholders.n == 3 && strcmp(cfg.placeholders.items[0].name, "schema") == 0 &&
               strcmp(cfg.placeholders.items[0].value, "app") == 0 &&
               strcmp(cfg.placeholders.items[1].value, "payments") == 0 &&
               strcmp(cfg.placeholders.items[2].value, "") == 0,
           "placeholders: any name, ${VAR} expanded, empty allowed");
    sw_config_free(&cfg);
    expect_err("[placeholders]\na = 1\na = 2\n", 3, "duplicate placeholder",
               "duplicate placeholder 'a'");
    expect_err("[placeholders]\nbad name = 1\n", 2, "bad placeholder name",
               "bad placeholder name 'bad name' (use letters, digits, '_', '-', '.')");
}

/* ---- commands ------------------------------------------------------------------------- */

static void commands(void)
{
    struct sw_config cfg;

    load_ok("[serve]\nshell = true\ncommand = nginx -g \"daemon off;\" && echo $HOME\n", &cfg,
            "shell command");
    TAP_OK(ARGV_EQ(cfg.serve.argv, "/bin/sh", "-c", "nginx -g \"daemon off;\" && echo $HOME"),
           "shell = true gives /bin/sh -c COMMAND, read before command");
    sw_config_free(&cfg);

    load_ok("[serve]\ncommand = 'unterminated is fine for sh\nshell = on\n", &cfg,
            "shell command not split");
    TAP_OK(ARGV_EQ(cfg.serve.argv, "/bin/sh", "-c", "'unterminated is fine for sh"),
           "shell = on does not split the command");
    sw_config_free(&cfg);

    load_ok("[serve]\ncommand = echo hi ; a comment\n", &cfg, "inline comment");
    TAP_OK(ARGV_EQ(cfg.serve.argv, "echo", "hi"), "inline '; comment' is dropped");
    sw_config_free(&cfg);

    load_ok("[serve]\ncommand = echo a;b\t; comment after a tab\n", &cfg, "semicolon in value");
    TAP_OK(streq(cfg.serve.command, "echo a;b"), "';' without space before it is kept [%s]",
           s_(cfg.serve.command));
    sw_config_free(&cfg);

    load_ok("[serve]\ncommand = echo # not a comment\n", &cfg, "hash in value");
    TAP_OK(ARGV_EQ(cfg.serve.argv, "echo", "#", "not", "a", "comment"),
           "inline '#' is part of the value");
    sw_config_free(&cfg);

    load_ok("[serve]\n"
            "command = /app/server\n"
            "    --flag one\n"
            "    ; a comment line inside the value\n"
            "\t--flag 'two words'   ; trailing comment\n"
            "exec = true\n",
            &cfg, "continuation");
    TAP_OK(streq(cfg.serve.command, "/app/server --flag one --flag 'two words'"),
           "continuation lines join with a space [%s]", s_(cfg.serve.command));
    TAP_OK(ARGV_EQ(cfg.serve.argv, "/app/server", "--flag", "one", "--flag", "two words"),
           "continuation: argv");
    TAP_OK(cfg.serve.exec, "continuation: the next key is read");
    sw_config_free(&cfg);

    load_ok("[serve]\ncommand = a\n  b\n\n  c\n", &cfg, "continuation after a blank line");
    TAP_OK(streq(cfg.serve.command, "a b c"), "a blank line does not end the value [%s]",
           s_(cfg.serve.command));
    sw_config_free(&cfg);

    /* Line numbers stay right after continuation lines. */
    expect_err("[serve]\ncommand = a\n  b\n  c\nbogus = 1\n", 5, "line after continuation",
               "unknown key 'bogus' in [serve]");

    load_ok("[serve]\ncommand = \"\"\n", &cfg, "empty quoted command");
    TAP_OK(ARGV_EQ(cfg.serve.argv, ""), "command = \"\" is one empty word");
    sw_config_free(&cfg);

    load_ok("[serve]\ncommand =\n", &cfg, "empty command");
    TAP_OK(!cfg.serve.command && !cfg.serve.argv, "empty command is no command");
    sw_config_free(&cfg);

    expect_err("[serve]\ncommand = nginx -g \"daemon off;\n", 2, "unterminated quote",
               "command: unterminated double quote at column 10 in 'nginx -g \"daemon off;'");
    expect_err("[task \"t\"]\nversion = 1\ncommand = run 'x\n", 3, "task: unterminated quote",
               "command: unterminated single quote at column 5 in 'run 'x'");
}

/* ---- tasks ---------------------------------------------------------------------------- */

static void tasks(void)
{
    struct sw_config cfg;

    load_ok("[task \"a\"]\ncommand = one\nversion = 1\n"
            "[serve]\nwait_for = b\n"
            "[task \"b\"]\ncommand = two\nversion = 2\n"
            "[task \"a\"]\ntimeout = 1s\n"
            "[task \"C_9\"]\ncommand = three\nversion = 3\n",
            &cfg, "several tasks");
    TAP_OK(cfg.n_tasks == 3 && streq(cfg.tasks[0].name, "a") && streq(cfg.tasks[1].name, "b") &&
               streq(cfg.tasks[2].name, "C_9"),
           "tasks in file order, a repeated section merges");
    TAP_OK(cfg.tasks[0].timeout_ms == 1000 && cfg.tasks[0].version.value == 1,
           "repeated section adds keys to the same task");
    TAP_OK(ARGV_EQ(cfg.serve.wait_for, "b") && sw_config_serve_needs_database(&cfg),
           "wait_for a task declared later");
    sw_config_free(&cfg);

    /* inih keeps 49 characters of a section name: task names up to 42 characters fit. */
    {
        char name[44], ini[256], var[256];
        sw_err err = {{0}};
        memset(name, 'n', 43);
        name[43] = '\0';
        snprintf(ini, sizeof ini, "[task \"%.42s\"]\ncommand = x\nversion = 1\n", name);
        snprintf(var, sizeof var, "SLIPWAY_TASK_%.42s_VERSION",
                 "NNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNN");
        setenv(var, "5", 1);
        load_ok(ini, &cfg, "42-character task name");
        TAP_OK(cfg.n_tasks == 1 && strlen(cfg.tasks[0].name) == 42 &&
                   cfg.tasks[0].version.value == 5,
               "42-character task name, overridden by its variable");
        sw_config_free(&cfg);
        unsetenv(var);
        snprintf(ini, sizeof ini, "[task \"%s\"]\ncommand = x\nversion = 1\n", name);
        TAP_OK(load(ini, &cfg, &err) == -1, "43-character task name: refused");
        snprintf(var, sizeof var, "%s:2: unknown section [task \"", ini_path);
        TAP_OK(strncmp(err.msg, var, strlen(var)) == 0, "43-character task name: %s", err.msg);
    }
    expect_err("[task \"a b\"]\ncommand = x\n", 2, "task name with a space",
               "bad task name in [task \"a b\"] (use letters, digits, '_', '-', '.')");
    expect_err("[task \"a/b\"]\ncommand = x\n", 2, "task name with a slash",
               "bad task name in [task \"a/b\"] (use letters, digits, '_', '-', '.')");
    expect_err("[task \"\"]\ncommand = x\n", 2, "empty task name", "unknown section [task \"\"]");
    expect_err("[task reindex]\ncommand = x\n", 2, "unquoted task name",
               "unknown section [task reindex]");
    expect_err("[task \"a\"]\nversion = 1\n", 1, "task without command",
               "[task \"a\"] has no command");
    expect_err("[serve]\n\n[task \"a\"]\n; nothing yet\ncommand = x\n", 3, "task without version",
               "[task \"a\"] has no version");
    expect_err("[task \"a\"]\ncommand = x\nversion =\n", 1, "task with empty version",
               "[task \"a\"] has no version");
    expect_err("[task \"a\"]\ncommand = x\nversion = v1\n", 3, "bad task version",
               "bad value 'v1' for version (expected a non-negative integer)");
    expect_err("[task \"a\"]\ncommand = x\nversion = 1\nrequired = sure\n", 4, "bad task required",
               "bad value 'sure' for required (expected true or false)");
    expect_err("[task \"a\"]\ncommand = x\nversion = 1\ntimeout = 1d\n", 4, "bad task timeout",
               "bad value '1d' for timeout (expected 250ms, 10s, 5m, 1h, 0 or infinity)");
    expect_err("[task \"a\"]\ncommand = x\nversion = 1\nshell = true\n", 4, "no shell key in tasks",
               "unknown key 'shell' in [task \"a\"]");
    expect_err("[serve]\nwait_for = database, reindex\n[task \"re\"]\ncommand = x\nversion = 1\n",
               2, "wait_for an unknown task",
               "wait_for: 'reindex' is neither 'database' nor a [task] name");
    expect_err("[serve]\nwait_for = Database\n", 2, "wait_for is case-sensitive",
               "wait_for: 'Database' is neither 'database' nor a [task] name");
}

/* ---- the file search ------------------------------------------------------------------- */

static void file_search(void)
{
    struct sw_config cfg;
    sw_err err = {{0}};
    char missing[256];
    int rc;

    snprintf(missing, sizeof missing, "%s/missing.ini", dir);
    rc = sw_config_load(&cfg, missing, &err);
    {
        char want[512];
        snprintf(want, sizeof want, "config file %s: No such file or directory", missing);
        check_failed(rc, &err, &cfg, "-c missing file", want);

        setenv("SLIPWAY_CONFIG", missing, 1);
        rc = sw_config_load(&cfg, NULL, &err);
        check_failed(rc, &err, &cfg, "SLIPWAY_CONFIG missing file", want);
    }

    write_file(ini_path, "[serve]\ncommand = from-env-config\n");
    setenv("SLIPWAY_CONFIG", ini_path, 1);
    rc = sw_config_load(&cfg, NULL, &err);
    TAP_OK(rc == 0 && streq(cfg.path, ini_path) && ARGV_EQ(cfg.serve.argv, "from-env-config"),
           "SLIPWAY_CONFIG names the file (%s)", rc == 0 ? "ok" : err.msg);
    sw_config_free(&cfg);

    setenv("SLIPWAY_CONFIG", missing, 1);
    rc = sw_config_load(&cfg, ini_path, &err);
    TAP_OK(rc == 0 && streq(cfg.path, ini_path), "-c wins over SLIPWAY_CONFIG (%s)",
           rc == 0 ? "ok" : err.msg);
    sw_config_free(&cfg);
    unsetenv("SLIPWAY_CONFIG");

    {
        char want[512];
        memset(&err, 0, sizeof err);
        rc = sw_config_load(&cfg, dir, &err);
        snprintf(want, sizeof want, "%s: Is a directory", dir);
        check_failed(rc, &err, &cfg, "-c a directory", want);
        if (rc == 0)
            sw_config_free(&cfg);
    }
}

/* ---- the environment ------------------------------------------------------------------- */

static void environment(void)
{
    struct sw_config cfg;
    sw_err err;
    int rc;

    write_file(secret_path, "postgres://from-secret-file\n");

    setenv("SLIPWAY_SERVE_STOP_TIMEOUT", "2s", 1);
    load_ok("[serve]\nstop_timeout = 10s\n", &cfg, "SLIPWAY_SERVE_STOP_TIMEOUT");
    TAP_OK(cfg.serve.stop_timeout_ms == 2000, "SLIPWAY_SERVE_STOP_TIMEOUT=2s overrides 10s");
    sw_config_free(&cfg);
    load_ok("", &cfg, "SLIPWAY_SERVE_STOP_TIMEOUT without the key");
    TAP_OK(cfg.serve.stop_timeout_ms == 2000, "SLIPWAY_SERVE_STOP_TIMEOUT overrides the default");
    sw_config_free(&cfg);
    setenv("SLIPWAY_SERVE_STOP_TIMEOUT", "soon", 1);
    expect_err("[serve]\nstop_timeout = 10s\n", 0, "bad value from the environment",
               "environment SLIPWAY_SERVE_STOP_TIMEOUT: bad value 'soon' for stop_timeout "
               "(expected 250ms, 10s, 5m, 1h, 0 or infinity)");
    /* The environment replaces a bad file value before it is converted. */
    setenv("SLIPWAY_SERVE_STOP_TIMEOUT", "1m", 1);
    load_ok("[serve]\nstop_timeout = soon\n", &cfg, "environment replaces a bad file value");
    TAP_OK(cfg.serve.stop_timeout_ms == 60000, "stop_timeout from the environment: 1m");
    sw_config_free(&cfg);
    unsetenv("SLIPWAY_SERVE_STOP_TIMEOUT");

    setenv("SLIPWAY_DATABASE_URL", "postgres://from-env", 1);
    load_ok("[database]\nurl = postgres://from-file\n", &cfg, "SLIPWAY_DATABASE_URL");
    TAP_OK(streq(cfg.database.url, "postgres://from-env"), "SLIPWAY_DATABASE_URL overrides url");
    sw_config_free(&cfg);
    setenv("SLIPWAY_DATABASE_URL", "", 1);
    load_ok("[database]\nurl = postgres://from-file\n", &cfg, "empty SLIPWAY_DATABASE_URL");
    TAP_OK(!cfg.database.url, "empty SLIPWAY_DATABASE_URL clears url");
    sw_config_free(&cfg);
    unsetenv("SLIPWAY_DATABASE_URL");

    setenv("SLIPWAY_DATABASE_URL_FILE", secret_path, 1);
    load_ok("[database]\nurl = postgres://from-file\n", &cfg, "SLIPWAY_DATABASE_URL_FILE");
    TAP_OK(streq(cfg.database.url, "postgres://from-secret-file"),
           "SLIPWAY_DATABASE_URL_FILE reads the secret [%s]", s_(cfg.database.url));
    sw_config_free(&cfg);
    setenv("SLIPWAY_DATABASE_URL", "postgres://from-env", 1);
    expect_err("", 0, "both SLIPWAY_X and SLIPWAY_X_FILE",
               "both SLIPWAY_DATABASE_URL and SLIPWAY_DATABASE_URL_FILE are set: use one");
    unsetenv("SLIPWAY_DATABASE_URL");
    setenv("SLIPWAY_DATABASE_URL_FILE", "/nonexistent/secret", 1);
    expect_err("", 0, "unreadable SLIPWAY_X_FILE",
               "environment SLIPWAY_DATABASE_URL_FILE: cannot read '/nonexistent/secret': No "
               "such file or directory");
    unsetenv("SLIPWAY_DATABASE_URL_FILE");

    setenv("SLIPWAY_TASK_REINDEX_VERSION", "7", 1);
    load_ok("[task \"reindex\"]\ncommand = r\nversion = 3\n", &cfg, "SLIPWAY_TASK_REINDEX_VERSION");
    TAP_OK(cfg.n_tasks == 1 && cfg.tasks[0].version.value == 7,
           "SLIPWAY_TASK_REINDEX_VERSION overrides version 3");
    sw_config_free(&cfg);
    load_ok("[task \"reindex\"]\ncommand = r\n", &cfg, "task version only from the environment");
    TAP_OK(cfg.n_tasks == 1 && cfg.tasks[0].version.set && cfg.tasks[0].version.value == 7,
           "SLIPWAY_TASK_REINDEX_VERSION supplies a missing version");
    sw_config_free(&cfg);
    setenv("SLIPWAY_TASK_REINDEX_VERSION", "three", 1);
    expect_err("[task \"reindex\"]\ncommand = r\nversion = 3\n", 0, "bad task value from env",
               "environment SLIPWAY_TASK_REINDEX_VERSION: bad value 'three' for version "
               "(expected a non-negative integer)");
    unsetenv("SLIPWAY_TASK_REINDEX_VERSION");

    setenv("SLIPWAY_TASK_WARM_CACHE_V2_TIMEOUT", "5m", 1);
    load_ok("[task \"warm-cache.v2\"]\ncommand = w\nversion = 1\n", &cfg,
            "task name with '-' and '.'");
    TAP_OK(cfg.n_tasks == 1 && cfg.tasks[0].timeout_ms == 300000,
           "SLIPWAY_TASK_WARM_CACHE_V2_TIMEOUT: '-' and '.' become '_'");
    sw_config_free(&cfg);
    unsetenv("SLIPWAY_TASK_WARM_CACHE_V2_TIMEOUT");

    setenv("SLIPWAY_TASK_A_COMMAND", " \t", 1);
    expect_err("[task \"a\"]\ncommand = x\nversion = 1\n", 0, "blank task command from env",
               "environment SLIPWAY_TASK_A_COMMAND: [task \"a\"] has an empty command");
    unsetenv("SLIPWAY_TASK_A_COMMAND");

    setenv("SLIPWAY_MIGRATIONS_TABLE", "drop table;", 1);
    expect_err("", 0, "bad table from env",
               "environment SLIPWAY_MIGRATIONS_TABLE: bad table name 'drop table;' (expected "
               "name or schema.name)");
    setenv("SLIPWAY_MIGRATIONS_TABLE", "ops.history", 1);
    load_ok("", &cfg, "SLIPWAY_MIGRATIONS_TABLE");
    TAP_OK(streq(cfg.migrations.table, "ops.history"), "SLIPWAY_MIGRATIONS_TABLE sets table");
    sw_config_free(&cfg);
    unsetenv("SLIPWAY_MIGRATIONS_TABLE");

    setenv("SLIPWAY_SERVE_COMMAND", "env-cmd \"a b\"", 1);
    setenv("SLIPWAY_SERVE_SHELL", "no", 1);
    load_ok("[serve]\ncommand = file-cmd\nshell = yes\n", &cfg, "SLIPWAY_SERVE_COMMAND");
    TAP_OK(ARGV_EQ(cfg.serve.argv, "env-cmd", "a b"), "command and shell from the environment");
    sw_config_free(&cfg);
    unsetenv("SLIPWAY_SERVE_COMMAND");
    unsetenv("SLIPWAY_SERVE_SHELL");

    /* Lower case is not the override's name. */
    setenv("slipway_serve_user", "nobody", 1);
    load_ok("", &cfg, "lower-case variable");
    TAP_OK(!cfg.serve.user, "slipway_serve_user is ignored");
    sw_config_free(&cfg);
    unsetenv("slipway_serve_user");

    rc = load("", &cfg, &err);
    TAP_OK(rc == 0 && cfg.serve.stop_timeout_ms == 10000 && !cfg.database.url,
           "overrides are gone once unset");
    if (rc == 0)
        sw_config_free(&cfg);
}

/* ---- ${VAR}, *_file, DATABASE_URL ------------------------------------------------------ */

static void expansion(void)
{
    struct sw_config cfg;
    char ini[512];

    setenv("SW_TEST_HOST", "db.internal", 1);
    setenv("SW_TEST_EMPTY", "", 1);
    unsetenv("SW_TEST_UNSET");

    load_ok("[database]\nurl = postgres://${SW_TEST_HOST}/app\n", &cfg, "${VAR}");
    TAP_OK(streq(cfg.database.url, "postgres://db.internal/app"), "${VAR} expands [%s]",
           s_(cfg.database.url));
    sw_config_free(&cfg);

    load_ok("[database]\nurl = ${SW_TEST_UNSET:-localhost}/${SW_TEST_EMPTY:-x}/"
            "${SW_TEST_HOST:-no}/${SW_TEST_UNSET:-}.\n",
            &cfg, "${VAR:-default}");
    TAP_OK(streq(cfg.database.url, "localhost/x/db.internal/."),
           "${VAR:-default}: unset and empty take the default, set does not [%s]",
           s_(cfg.database.url));
    sw_config_free(&cfg);

    load_ok("[serve]\ncommand = echo $$HOME $${SW_TEST_HOST} a$$ $SW_TEST_HOST $$$$\n", &cfg, "$$");
    TAP_OK(streq(cfg.serve.command, "echo $HOME ${SW_TEST_HOST} a$ $SW_TEST_HOST $$"),
           "$$ is a literal $, a bare $ stays [%s]", s_(cfg.serve.command));
    sw_config_free(&cfg);

    load_ok("[serve]\nuser = ${SW_TEST_EMPTY}\n", &cfg, "set but empty ${VAR}");
    TAP_OK(!cfg.serve.user, "a set but empty ${VAR} gives the empty value");
    sw_config_free(&cfg);

    load_ok("[serve]\ncommand = run\n  --host ${SW_TEST_HOST}\n", &cfg, "${VAR} continued");
    TAP_OK(streq(cfg.serve.command, "run --host db.internal"),
           "${VAR} expands on a continuation line [%s]", s_(cfg.serve.command));
    sw_config_free(&cfg);

    expect_err("[database]\nurl = postgres://${SW_TEST_UNSET}/app\n", 2, "unset ${VAR}",
               "url: ${SW_TEST_UNSET} is not set");
    expect_err("[serve]\ncommand = a\n  ${SW_TEST_UNSET}\n", 3, "unset ${VAR} continued",
               "command: ${SW_TEST_UNSET} is not set");
    expect_err("[serve]\nuser = ${SW_TEST_HOST\n", 2, "unterminated ${",
               "user: unterminated '${' in '${SW_TEST_HOST'");
    expect_err("[serve]\nuser = ${}\n", 2, "empty ${}", "user: bad variable reference '${}'");
    expect_err("[serve]\nuser = ${SW_TEST_HOST:x}\n", 2, "${VAR:x}",
               "user: bad variable reference '${SW_TEST_HOST:x}' (only ${VAR:-default} is "
               "supported)");

    /* *_file: the secret, trailing newlines stripped; the path itself is expanded. */
    setenv("SW_TEST_DIR", dir, 1);
    write_file(secret_path, "postgres://secret\n");
    load_ok("[database]\nurl_file = ${SW_TEST_DIR}/secret\n", &cfg, "url_file");
    TAP_OK(streq(cfg.database.url, "postgres://secret"), "url_file: newline stripped [%s]",
           s_(cfg.database.url));
    sw_config_free(&cfg);
    write_file(secret_path, "line one\nline two\r\n\n");
    load_ok("[database]\nurl_file = ${SW_TEST_DIR}/secret\n", &cfg, "multi-line secret");
    TAP_OK(streq(cfg.database.url, "line one\nline two"), "only trailing newlines are stripped");
    sw_config_free(&cfg);
    write_file(secret_path, "${SW_TEST_HOST}");
    load_ok("[database]\nurl_file = ${SW_TEST_DIR}/secret\n", &cfg, "secret not expanded");
    TAP_OK(streq(cfg.database.url, "${SW_TEST_HOST}"), "secret content is not expanded");
    sw_config_free(&cfg);
    write_file(secret_path, "");
    setenv("DATABASE_URL", "postgres://fallback", 1);
    load_ok("[database]\nurl_file = ${SW_TEST_DIR}/secret\n", &cfg, "empty secret");
    TAP_OK(streq(cfg.database.url, "postgres://fallback"), "an empty secret is an unset url [%s]",
           s_(cfg.database.url));
    sw_config_free(&cfg);
    unsetenv("DATABASE_URL");
    write_file(secret_path, "sleep 1\n");
    load_ok("[serve]\ncommand_file = ${SW_TEST_DIR}/secret\n", &cfg, "command_file");
    TAP_OK(ARGV_EQ(cfg.serve.argv, "sleep", "1"), "command_file reads the command");
    sw_config_free(&cfg);

    snprintf(ini, sizeof ini, "[database]\nurl = x\nurl_file = %s\n", secret_path);
    expect_err(ini, 3, "url and url_file", "duplicate key 'url_file' (already set on line 2)");
    expect_err("[database]\n\nurl_file = /nonexistent/secret\n", 3, "unreadable *_file",
               "url_file: cannot read '/nonexistent/secret': No such file or directory");
    snprintf(ini, sizeof ini, "[database]\nurl_file = %s\n", dir);
    expect_err(ini, 2, "directory as *_file", "url_file: cannot read '%s': Is a directory", dir);
    expect_err("[database]\nurl_file = ${SW_TEST_UNSET}\n", 2, "unset ${VAR} in *_file",
               "url_file: ${SW_TEST_UNSET} is not set");
    snprintf(ini, sizeof ini, "[database]\nurl_file = %s\n  connect_timeout = 1s\n", secret_path);
    expect_err(ini, 3, "continued *_file",
               "url_file: a file name cannot continue on the next line");

    /* DATABASE_URL: only when neither url nor url_file gives one. */
    setenv("DATABASE_URL", "postgres://fallback", 1);
    load_ok("", &cfg, "DATABASE_URL");
    TAP_OK(streq(cfg.database.url, "postgres://fallback"), "DATABASE_URL when url is unset");
    sw_config_free(&cfg);
    load_ok("[database]\nurl = postgres://mine\n", &cfg, "url and DATABASE_URL");
    TAP_OK(streq(cfg.database.url, "postgres://mine"), "url wins over DATABASE_URL");
    sw_config_free(&cfg);
    write_file(secret_path, "postgres://secret\n");
    snprintf(ini, sizeof ini, "[database]\nurl_file = %s\n", secret_path);
    load_ok(ini, &cfg, "url_file and DATABASE_URL");
    TAP_OK(streq(cfg.database.url, "postgres://secret"), "url_file wins over DATABASE_URL");
    sw_config_free(&cfg);
    setenv("SLIPWAY_DATABASE_URL", "postgres://env", 1);
    load_ok("", &cfg, "SLIPWAY_DATABASE_URL and DATABASE_URL");
    TAP_OK(streq(cfg.database.url, "postgres://env"), "SLIPWAY_DATABASE_URL wins");
    sw_config_free(&cfg);
    unsetenv("SLIPWAY_DATABASE_URL");
    setenv("DATABASE_URL", "", 1);
    load_ok("", &cfg, "empty DATABASE_URL");
    TAP_OK(!cfg.database.url, "an empty DATABASE_URL is ignored");
    sw_config_free(&cfg);
    unsetenv("DATABASE_URL");

    unsetenv("SW_TEST_HOST");
    unsetenv("SW_TEST_EMPTY");
    unsetenv("SW_TEST_DIR");
}

/* ---- other errors ---------------------------------------------------------------------- */

static void errors(void)
{
    char ini[512];
    struct sw_config cfg;

    expect_err("[foo]\nkey = 1\n", 2, "unknown section", "unknown section [foo]");
    expect_err("[Serve]\ncommand = x\n", 2, "section names are case-sensitive",
               "unknown section [Serve]");
    expect_err("key = 1\n", 1, "key before any section", "unknown section []");
    expect_err("[serve]\nx = 1\n", 2, "unknown key", "unknown key 'x' in [serve]");
    expect_err("[database]\nurl = a\n\nuri = b\n", 4, "unknown key in [database]",
               "unknown key 'uri' in [database] (did you mean 'url'?)");
    expect_err("[migrations]\ntable_file = /x\ndirectory = /y\n", 2,
               "_file of a key that reads the missing file first",
               "table_file: cannot read '/x': No such file or directory");
    expect_err("[migrations]\ndirectory = /y\n", 2, "unknown key in [migrations]",
               "unknown key 'directory' in [migrations]");
    expect_err("[serve]\nshell_files = x\n", 2, "unknown key ending in _files",
               "unknown key 'shell_files' in [serve]");
    expect_err("[serve]\n_file = x\n", 2, "bare _file", "unknown key '_file' in [serve]");
    expect_err("[serve]\nCommand = x\n", 2, "key names are case-sensitive",
               "unknown key 'Command' in [serve] (did you mean 'command'?)");
    expect_err("[serve]\nshell = true\nexec = false\nshell = false\n", 4, "duplicate key",
               "duplicate key 'shell' (already set on line 2)");
    expect_err("[serve]\nbroken line\n", 2, "syntax error",
               "syntax error (expected [section] or key = value)");
    expect_err("[serve]\ncommand = x\n[database\n", 3, "unclosed section",
               "syntax error (expected [section] or key = value)");
    /* The first error wins: a later bad key does not hide an earlier one. */
    expect_err("[serve]\nx = 1\ny = 2\n", 2, "first error", "unknown key 'x' in [serve]");

    /* inih reads lines into a 200-byte buffer: 198 characters and the newline fit. */
    snprintf(ini, sizeof ini, "[serve]\ncommand = %0188d\n", 7);
    load_ok(ini, &cfg, "198-character line");
    TAP_OK(cfg.serve.command && strlen(cfg.serve.command) == 188, "198-character line is whole");
    sw_config_free(&cfg);
    snprintf(ini, sizeof ini, "[serve]\ncommand = %0188d", 7);
    load_ok(ini, &cfg, "198-character last line without newline");
    TAP_OK(cfg.serve.command && strlen(cfg.serve.command) == 188, "last line is whole");
    sw_config_free(&cfg);
    snprintf(ini, sizeof ini, "[serve]\ncommand = %0189d\nexec = true\n", 7);
    expect_err(ini, 2, "199-character line",
               "line longer than 198 characters (continue the value on an indented next line)");
    snprintf(ini, sizeof ini, "[serve]\n\n; %0300d\n", 7);
    expect_err(ini, 3, "long comment line",
               "line longer than 198 characters (continue the value on an indented next line)");

    expect_err("[migrations]\ntable = drop table;\n", 2, "bad table name",
               "bad table name 'drop table;' (expected name or schema.name)");
    static const char *const bad_tables[] = {"a.b.c", "1abc",       "a.",   ".a",
                                             "a-b",   "\"quoted\"", "a..b", "é"};
    for (size_t i = 0; i < sizeof bad_tables / sizeof bad_tables[0]; i++) {
        snprintf(ini, sizeof ini, "[migrations]\ntable = %s\n", bad_tables[i]);
        expect_err(ini, 2, "bad table name", "bad table name '%s' (expected name or schema.name)",
                   bad_tables[i]);
    }
    static const char *const good_tables[] = {"_t", "T1", "s.t", "public.slipway_migrations"};
    for (size_t i = 0; i < sizeof good_tables / sizeof good_tables[0]; i++) {
        snprintf(ini, sizeof ini, "[migrations]\ntable = %s\n", good_tables[i]);
        load_ok(ini, &cfg, good_tables[i]);
        TAP_OK(streq(cfg.migrations.table, good_tables[i]), "table %s accepted", good_tables[i]);
        sw_config_free(&cfg);
    }
    /* An empty table (the default does not apply to an explicit empty value). */
    expect_err("[migrations]\ntable =\n", 2, "empty table",
               "bad table name '' (expected name or schema.name)");

    static const char *const bad_listen[] = {"8081",    ":8081", "localhost:",  "host:0",
                                             "h:65536", "h:80x", "127.0.0.1:-1"};
    for (size_t i = 0; i < sizeof bad_listen / sizeof bad_listen[0]; i++) {
        snprintf(ini, sizeof ini, "[serve]\nhealth_listen = %s\n", bad_listen[i]);
        expect_err(ini, 2, "bad health_listen", "bad health_listen '%s' (expected HOST:PORT)",
                   bad_listen[i]);
    }
    static const char *const good_listen[] = {"127.0.0.1:8081", "[::1]:1", "0.0.0.0:65535",
                                              "localhost:80"};
    for (size_t i = 0; i < sizeof good_listen / sizeof good_listen[0]; i++) {
        snprintf(ini, sizeof ini, "[serve]\nhealth_listen = %s\n", good_listen[i]);
        load_ok(ini, &cfg, good_listen[i]);
        TAP_OK(streq(cfg.serve.health_listen, good_listen[i]), "health_listen %s accepted",
               good_listen[i]);
        sw_config_free(&cfg);
    }
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/slipway-test-config-XXXXXX");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 99;
    }
    snprintf(ini_path, sizeof ini_path, "%s/slipway.ini", dir);
    snprintf(secret_path, sizeof secret_path, "%s/secret", dir);
    clean_env();

    defaults();
    every_key();
    bools();
    durations();
    signals();
    code_maps();
    numbers();
    placeholders();
    commands();
    tasks();
    file_search();
    environment();
    expansion();
    errors();

    unlink(ini_path);
    unlink(secret_path);
    rmdir(dir);
    return tap_done();
}
