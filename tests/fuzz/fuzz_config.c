/* sw_config_load on arbitrary file content: inih, line counting, continuation lines, ${VAR}
 * expansion, *_file secrets, every value converter and the cross-key validation. Checks
 * that a loaded config holds what the rest of slipway takes for granted, and that a refused
 * one is freed (zeroed) with a message.
 *
 * Linked with -Wl,--wrap=fopen (tests/fuzz/run.sh): a `url_file = /dev/zero` or
 * `/dev/stdin` in the input would otherwise hang the fuzzer instead of finding bugs. */
#include "base/duration.h"
#include "config/config.h"
#include "fuzz.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Secrets that inputs can name (see config.dict), at a fixed path so the dictionary can. */
#define SECRETS "/tmp/slipway-fuzz-secrets"

static char path[4096];
static int fd = -1;

FILE *__real_fopen(const char *path, const char *mode);

/* Regular files only, and nothing under /proc, /sys or /dev, whose "regular" files can be
 * endless or have side effects. The config file itself is a regular temp file. */
FILE *__wrap_fopen(const char *name, const char *mode)
{
    char real[PATH_MAX];
    struct stat st;

    if (realpath(name, real) && stat(real, &st) == 0 &&
        (!S_ISREG(st.st_mode) || strncmp(real, "/proc/", 6) == 0 ||
         strncmp(real, "/sys/", 5) == 0 || strncmp(real, "/dev/", 5) == 0)) {
        errno = EACCES;
        return NULL;
    }
    return __real_fopen(name, mode);
}

static void cleanup(void)
{
    unlink(path);
}

static void put_secret(const char *name, const char *content)
{
    char p[256];
    FILE *f;

    snprintf(p, sizeof p, SECRETS "/%s", name);
    f = __real_fopen(p, "w");
    FUZZ_ASSERT(f != NULL, "%s: errno %d", p, errno);
    fputs(content, f);
    FUZZ_ASSERT(fclose(f) == 0, "%s: errno %d", p, errno);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *tmp = getenv("TMPDIR");
    static const char *const clear[] = {"SLIPWAY_CONFIG", "DATABASE_URL", "SLIPWAY_UPGRADE"};

    (void)argc;
    (void)argv;
    /* The runner's environment must not decide what an input means. */
    for (size_t i = 0; i < sizeof clear / sizeof clear[0]; i++)
        unsetenv(clear[i]);
    for (char **e = environ; *e;) {
        if (strncmp(*e, "SLIPWAY_", 8) == 0) {
            char name[256];
            snprintf(name, sizeof name, "%.*s", (int)strcspn(*e, "="), *e);
            unsetenv(name);
        } else {
            e++;
        }
    }
    setenv("FUZZ_SET", "value", 1);
    setenv("FUZZ_EMPTY", "", 1);
    setenv("FUZZ_DUR", "10s", 1);
    setenv("FUZZ_SECRET", SECRETS "/pw", 1);

    mkdir(SECRETS, 0700);
    put_secret("pw", "s3cret\n");
    put_secret("empty", "");
    put_secret("newlines", "a\r\n\n\n");
    put_secret("long", "x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x\n");

    snprintf(path, sizeof path, "%s/slipway-fuzz-config.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    fd = mkstemp(path);
    FUZZ_ASSERT(fd >= 0, "mkstemp %s: errno %d", path, errno);
    atexit(cleanup);
    return 0;
}

static int valid_duration(int64_t ms)
{
    return ms >= 0 || ms == SW_DURATION_INFINITY;
}

static void check_loaded(const struct sw_config *c)
{
    FUZZ_ASSERT(c->path && strcmp(c->path, path) == 0, "path");
    FUZZ_ASSERT(!c->serve.command == !c->serve.argv, "serve command without argv or back");
    FUZZ_ASSERT(!c->serve.shell || !c->serve.command || c->serve.argv[3] == NULL,
                "shell argv not 3 words");
    FUZZ_ASSERT(c->serve.stop_signal > 0 && c->serve.stop_signal < NSIG &&
                    c->serve.stop_signal != SIGKILL && c->serve.stop_signal != SIGSTOP,
                "stop_signal %d", c->serve.stop_signal);
    FUZZ_ASSERT(
        valid_duration(c->serve.stop_timeout_ms) && valid_duration(c->serve.wait_timeout_ms) &&
            valid_duration(c->database.connect_timeout_ms) && valid_duration(c->database.wait_ms) &&
            valid_duration(c->migrations.lock_wait_ms) &&
            valid_duration(c->migrations.lock_timeout_ms) &&
            valid_duration(c->migrations.statement_timeout_ms),
        "a negative duration");
    for (size_t i = 0; i < c->serve.exit_code_map.n; i++) {
        const struct sw_code_map *m = &c->serve.exit_code_map.items[i];
        FUZZ_ASSERT(m->from >= 0 && m->from <= 255 && m->to >= 0 && m->to <= 255,
                    "exit code map %d:%d", m->from, m->to);
    }
    FUZZ_ASSERT(c->serve.wait_for != NULL, "wait_for is NULL");
    for (char **n = c->serve.wait_for; *n; n++)
        FUZZ_ASSERT(strcmp(*n, "database") == 0 || sw_config_task(c, *n), "wait_for '%s'", *n);
    FUZZ_ASSERT(c->migrations.table && c->migrations.dir, "table or dir missing");
    for (size_t i = 0; i < c->n_tasks; i++) {
        const struct sw_task *t = &c->tasks[i];
        FUZZ_ASSERT(t->name && *t->name && t->command && t->argv && t->argv[0] && t->version.set &&
                        valid_duration(t->timeout_ms),
                    "task %zu incomplete", i);
        FUZZ_ASSERT(sw_config_task(c, t->name) == t, "task name '%s' not unique", t->name);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sw_config cfg;
    sw_err err;

    fuzz_write_fd(fd, data, size);
    memset(err.msg, 0x55, sizeof err.msg);
    if (sw_config_load(&cfg, path, &err) < 0) {
        static const struct sw_config zero;
        FUZZ_ASSERT(memcmp(&cfg, &zero, sizeof cfg) == 0, "config not cleared on error");
        FUZZ_ASSERT(memchr(err.msg, '\0', sizeof err.msg) != NULL && err.msg[0] != '\0',
                    "no message");
        return 0;
    }
    check_loaded(&cfg);
    sw_config_free(&cfg);
    return 0;
}
