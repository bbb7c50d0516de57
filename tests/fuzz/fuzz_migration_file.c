/* One migration file's content through sw_migrations_load: size and text checks, CRLF,
 * byte order mark, the -- slipway:no-transaction marker, dbmate sections and the splitter.
 * Checks what the upgrade takes for granted: sql is NUL-terminated with the stated length,
 * holds no NUL, lies within content, and splits when the file runs statement by statement;
 * the body is dropped at load and read again the same. */
#include "fuzz.h"
#include "migdir/migration.h"
#include "migdir/sqlsplit.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

static char dir[4096];
static char path[sizeof dir + 32];
static int fd = -1;

/* libFuzzer exits through exit() at the end of a timed run; a crash leaves the directory in
 * $TMPDIR, which tests/fuzz/run.sh removes. */
static void cleanup(void)
{
    unlink(path);
    rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *tmp = getenv("TMPDIR");

    (void)argc;
    (void)argv;
    snprintf(dir, sizeof dir, "%s/slipway-fuzz-mig.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    FUZZ_ASSERT(mkdtemp(dir) != NULL, "mkdtemp %s: errno %d", dir, errno);
    snprintf(path, sizeof path, "%s/0001_fuzz.sql", dir);
    fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    FUZZ_ASSERT(fd >= 0, "open %s: errno %d", path, errno);
    atexit(cleanup);
    return 0;
}

/* The content the checksum covers, kept by the sum function (migdir hands it over to sql). */
static char *content;
static size_t content_len;

static int keep_content(const char *text, size_t len, char sum[SW_MIGRATION_SUM_MAX], sw_err *err)
{
    (void)err;
    free(content);
    content = malloc(len + 1);
    FUZZ_ASSERT(content != NULL, "out of memory");
    memcpy(content, text, len);
    content[len] = '\0';
    content_len = len;
    snprintf(sum, SW_MIGRATION_SUM_MAX, "%zu", len);
    return 0;
}

static void check(const struct sw_migration *m, size_t input_len)
{
    FUZZ_ASSERT(m->version.n == 1 && m->version.part[0] == 1 &&
                    strcmp(m->name, "0001_fuzz.sql") == 0,
                "wrong identity");
    FUZZ_ASSERT(content_len <= input_len, "content grew");
    FUZZ_ASSERT(memchr(content, '\0', content_len) == NULL, "NUL in content");
    FUZZ_ASSERT(content[content_len] == '\0', "content not terminated");
    /* No check that content holds no CRLF: the normalisation is a single pass, the inverse
     * of an editor's LF -> CRLF, so "\r\r\n" rightly becomes "\r\n". */
    FUZZ_ASSERT(strlen(m->sql) == m->sql_len, "sql_len %zu, strlen %zu", m->sql_len,
                strlen(m->sql));
    FUZZ_ASSERT(m->sql_len <= content_len, "sql longer than the file");
    /* COPY FROM stdin data and pg_dump's \restrict lines are taken out of sql (only their
     * newlines stay) */
    FUZZ_ASSERT(m->sql_len == 0 || m->n_copies > 0 || memchr(content, '\\', content_len) ||
                    strstr(content, m->sql) != NULL,
                "sql not from content");
    FUZZ_ASSERT(m->sql_line >= 1, "sql_line %d", m->sql_line);

    struct sw_stmt *st;
    size_t n;
    sw_err err;
    int rc = sw_sql_split(m->sql, m->sql_len, &st, &n, &err);
    FUZZ_ASSERT(!m->no_transaction || rc == 0, "no-transaction file loaded but does not split");
    FUZZ_ASSERT(rc < 0 || (n == 0) == m->empty, "empty flag wrong");
    if (rc == 0)
        free(st);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sw_migration_set set;
    sw_err err;

    fuzz_write_fd(fd, data, size);
    memset(err.msg, 0x55, sizeof err.msg);
    if (sw_migrations_load(dir, NULL, keep_content, &set, &err) < 0) {
        FUZZ_ASSERT(set.n == 0 && set.items == NULL, "set not empty on error");
        FUZZ_ASSERT(memchr(err.msg, '\0', sizeof err.msg) != NULL, "message not terminated");
        FUZZ_ASSERT(strncmp(err.msg, "0001_fuzz.sql", 13) == 0,
                    "message does not name the file: %s", err.msg);
        return 0;
    }
    FUZZ_ASSERT(set.n == 1, "%zu migrations from one file", set.n);
    FUZZ_ASSERT(set.items[0].sql == NULL, "body kept after load");
    FUZZ_ASSERT(sw_migration_load_body(&set, &set.items[0], true, &err) == 0, "reload: %s",
                err.msg);
    check(&set.items[0], size);
    sw_migrations_free(&set);
    return 0;
}
