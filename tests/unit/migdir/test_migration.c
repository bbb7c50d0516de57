/* Migration names, loading a directory (formats, content checks, dbmate sections,
 * no-transaction, errors), ordering and lookup. */
#include "migdir/migration.h"
#include "tap.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A printable one-line copy for test descriptions (TAP output is line based). */
static const char *show(const char *s)
{
    static char bufs[2][96];
    static int next;
    char *b = bufs[next++ % 2];
    size_t w = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0' && w + 5 < sizeof bufs[0];
         p++) {
        if (*p >= 0x20 && *p != 0x7F)
            b[w++] = (char)*p;
        else
            w += (size_t)snprintf(b + w, sizeof bufs[0] - w, "\\x%02x", *p);
    }
    b[w] = '\0';
    return b;
}

/* ---- names ---- */

static bool version_is(const struct sw_version *v, const char *want)
{
    char text[SW_VERSION_TEXT_MAX];
    return strcmp(sw_version_format(v, '.', text), want) == 0;
}

static void name_ok(const char *name, const char *want, enum sw_format format)
{
    struct sw_name n = {.version = {.n = 0}};
    char got[SW_VERSION_TEXT_MAX] = "";
    sw_err err = {{0}};
    enum sw_name_result r = sw_migration_parse_name(name, &n, &err);
    if (r == SW_NAME_MIGRATION)
        sw_version_format(&n.version, '.', got);
    TAP_OK(r == SW_NAME_MIGRATION && strcmp(got, want) == 0 && n.format == format,
           "%s -> version %s %s (got %d, %s %s) %s", show(name), want, sw_format_name(format), r,
           got, sw_format_name(n.format), err.msg);
}

static void name_ignored(const char *name)
{
    struct sw_name n = {.version = {.n = 7}};
    sw_err err = {{0}};
    enum sw_name_result r = sw_migration_parse_name(name, &n, &err);
    TAP_OK(r == SW_NAME_IGNORED && n.version.n == 7, "'%s' is ignored (got %d)", show(name), r);
}

static void name_skipped(const char *name, const char *msg)
{
    struct sw_name n = {.version = {.n = 7}};
    sw_err err = {{0}};
    enum sw_name_result r = sw_migration_parse_name(name, &n, &err);
    TAP_OK(r == SW_NAME_SKIPPED && n.version.n == 7 && strcmp(err.msg, msg) == 0,
           "'%s' is skipped with [%s] (got %d [%s])", show(name), msg, r, err.msg);
}

static void name_invalid(const char *name, const char *msg)
{
    struct sw_name n = {.version = {.n = 7}};
    sw_err err = {{0}};
    enum sw_name_result r = sw_migration_parse_name(name, &n, &err);
    TAP_OK(r == SW_NAME_INVALID && n.version.n == 7, "%s is invalid (got %d)", show(name), r);
    TAP_OK(strcmp(err.msg, msg) == 0, "message [%s], got [%s]", msg, err.msg);
}

#define EXPECTED "(expected 0042_name.sql, V42__name.sql, 42_name.up.sql)"
#define SLIPWAY SW_FORMAT_SLIPWAY
#define FLYWAY SW_FORMAT_FLYWAY
#define GOLANG SW_FORMAT_GOLANG_MIGRATE
#define DBMATE SW_FORMAT_DBMATE

static void test_names(void)
{
    name_ok("0042_add_orders.sql", "42", SLIPWAY);
    name_ok("V42__add_orders.sql", "42", FLYWAY);
    name_ok("42_add_orders.up.sql", "42", GOLANG);
    name_ok("20240101120000_add_orders.sql", "20240101120000", SLIPWAY);
    name_ok("1_x.sql", "1", SLIPWAY);
    name_ok("0042__double.sql", "42", SLIPWAY);
    name_ok("V7___x.sql", "7", FLYWAY);
    name_ok("0042_add orders (v2).sql", "42", SLIPWAY);
    name_ok("0042_commandes_reçues.sql", "42", SLIPWAY);
    name_ok("18446744073709551615_max.sql", "18446744073709551615", SLIPWAY);
    name_ok("000000000000000000000000000000042_zeros.sql", "42", SLIPWAY);
    name_ok("42_x.y.up.sql", "42", GOLANG);
    /* version 0, as golang-migrate allows */
    name_ok("0_initial.up.sql", "0", GOLANG);
    name_ok("0_zero.sql", "0", SLIPWAY);
    name_ok("V000__zero.sql", "0", FLYWAY);
    /* Flyway's dotted versions, '.' or '_' between the parts; trailing zeros do not count */
    name_ok("V1_12_22__x.sql", "1.12.22", FLYWAY);
    name_ok("V1.1__x.sql", "1.1", FLYWAY);
    name_ok("V1.2__x.sql", "1.2", FLYWAY);
    name_ok("V1.0__x.sql", "1", FLYWAY);
    name_ok("V2_0_0__x.sql", "2", FLYWAY);
    name_ok("V0.0.1__x.sql", "0.0.1", FLYWAY);
    name_ok("V1__x__y.sql", "1", FLYWAY);
    name_ok("V1__.sql", "1", FLYWAY);
    /* dbmate: digits, then anything */
    name_ok("00000000000000-initial-schema.sql", "0", DBMATE);
    name_ok("20240101120000-add-users.sql", "20240101120000", DBMATE);
    name_ok("42.sql", "42", DBMATE);
    name_ok("0042-x.sql", "42", DBMATE);
    name_ok("0042_.sql", "42", DBMATE);
    name_ok("42_.up.sql", "42", GOLANG);

    name_ignored("README.md");
    name_ignored("42_add_orders.down.sql");
    name_ignored("V42__x.DOWN.SQL");
    name_ignored(".0042_hidden.sql");
    name_ignored(".sql");
    name_ignored("0042_x.sql~");
    name_ignored("0042_x.sql.bak");
    name_ignored("0042_x.sq");
    name_ignored("sql");
    name_ignored("");
    name_ignored("bad\xff.txt");
    name_ignored("U42__undo_orders.sql");
    name_ignored("U1.2__undo.sql");

    struct sw_name rep;
    sw_err rep_err;
    TAP_OK(sw_migration_parse_name("R__views.sql", &rep, &rep_err) == SW_NAME_REPEATABLE &&
               rep.format == FLYWAY,
           "R__views.sql is a repeatable migration");
    name_skipped("README.sql", "README.sql: no version in the name: not a migration, skipped");
    name_skipped("_42_x.sql", "_42_x.sql: no version in the name: not a migration, skipped");
    name_skipped("v42__foo.sql", "v42__foo.sql: no version in the name: not a migration, skipped");
    name_skipped("beforeMigrate.sql",
                 "beforeMigrate.sql: a Flyway callback: slipway does not run callbacks, skipped");
    name_skipped("afterMigrate__refresh.sql", "afterMigrate__refresh.sql: a Flyway callback: "
                                              "slipway does not run callbacks, skipped");

    name_invalid("V42_foo.sql", "V42_foo.sql: no '__' after the version " EXPECTED);
    name_invalid("V__foo.sql", "V__foo.sql: version '': not a version");
    name_invalid("V1..2__foo.sql", "V1..2__foo.sql: version '1..2': a part is empty");
    name_invalid("V1.2.__foo.sql", "V1.2.__foo.sql: version '1.2.': a part is empty");
    name_invalid("V1.2.3.4.5.6.7.8.9__x.sql",
                 "V1.2.3.4.5.6.7.8.9__x.sql: version '1.2.3.4.5.6.7.8.9': more than 8 parts");
    name_invalid("V1a__foo.sql", "V1a__foo.sql: version '1a': not a version");
    name_invalid("V42__x.up.sql",
                 "V42__x.up.sql: cannot parse a version from the file name " EXPECTED);
    name_invalid("x_.up.sql", "x_.up.sql: cannot parse a version from the file name " EXPECTED);
    name_invalid("42.up.sql", "42.up.sql: cannot parse a version from the file name " EXPECTED);
    name_invalid("18446744073709551616_x.sql",
                 "18446744073709551616_x.sql: version 18446744073709551616: a part is larger than "
                 "18446744073709551615");
    name_invalid("99999999999999999999999_x.up.sql",
                 "99999999999999999999999_x.up.sql: version 99999999999999999999999: a part is "
                 "larger than 18446744073709551615");
    name_invalid("0042_x.SQL", "0042_x.SQL: the .sql extension must be lower case");
    name_invalid("0042_x\xff.sql", "0042_x\\xff.sql: file name is not valid UTF-8");
    name_invalid("0042_\xc3\x28.sql", "0042_\\xc3(.sql: file name is not valid UTF-8");
    name_invalid("0042_\xc0\xaf.sql", "0042_\\xc0\\xaf.sql: file name is not valid UTF-8");
    name_invalid("0042_\xed\xa0\x80.sql", "0042_\\xed\\xa0\\x80.sql: file name is not valid UTF-8");
    name_invalid("0042_a\tb.sql", "0042_a\\x09b.sql: file name contains a control character");
    name_invalid("0042_a\nb.sql", "0042_a\\x0ab.sql: file name contains a control character");
    name_invalid("0042_a\x7f.sql", "0042_a\\x7f.sql: file name contains a control character");
}

/* ---- loading ---- */

static char dir[256];

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void fresh_dir(void)
{
    if (dir[0] != '\0' && nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
        abort();
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/slipway-test-XXXXXX", tmp != NULL && *tmp ? tmp : "/tmp");
    if (mkdtemp(dir) == NULL)
        abort();
}

static void put_n(const char *name, const char *data, size_t len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (f == NULL || fwrite(data, 1, len, f) != len || fclose(f) != 0)
        abort();
}

static void put(const char *name, const char *data)
{
    put_n(name, data, strlen(data));
}

static char *path_of(const char *name)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return path;
}

static bool is(const char *got, size_t got_len, const char *want);

/* A stand-in for migrate's SHA-256 (FNV-1a), which keeps a copy of what it summed last: the
 * content the checksum covers. */
static char *summed;
static size_t summed_len;

static int test_sum(const char *content, size_t len, char sum[SW_MIGRATION_SUM_MAX], sw_err *err)
{
    uint64_t h = 14695981039346656037u;

    (void)err;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)content[i]) * 1099511628211u;
    snprintf(sum, SW_MIGRATION_SUM_MAX, "%016" PRIx64, h);
    free(summed);
    summed = malloc(len + 1);
    if (summed == NULL)
        abort();
    memcpy(summed, content, len);
    summed[len] = '\0';
    summed_len = len;
    return 0;
}

/* Loads dir, then every body (as an upgrade reads each file again before it runs it). */
static bool load_ok(struct sw_migration_set *set)
{
    sw_err err = {{0}};
    int rc = sw_migrations_load(dir, NULL, test_sum, set, &err);
    TAP_OK(rc == 0, "loads %s", err.msg);
    for (size_t i = 0; rc == 0 && i < set->n + set->n_repeatables; i++) {
        struct sw_migration *m = i < set->n ? &set->items[i] : &set->repeatables[i - set->n];
        if (m->sql != NULL || sw_migration_load_body(set, m, true, &err) != 0) {
            TAP_OK(false, "%s: the body is dropped at load and read again: %s", m->name, err.msg);
            sw_migrations_free(set);
            return false;
        }
    }
    return rc == 0;
}

/* Whether m's file content (what the checksum covers) is want. */
static bool content_is(struct sw_migration_set *set, struct sw_migration *m, const char *want)
{
    sw_err err;
    return sw_migration_load_body(set, m, true, &err) == 0 && is(summed, summed_len, want);
}

/* Loading d fails with exactly msg and leaves the set empty. */
static void load_fails_in(const char *d, const char *msg)
{
    struct sw_migration_set set = {.items = (struct sw_migration *)&set, .n = 99};
    sw_err err = {{0}};
    int rc = sw_migrations_load(d, NULL, test_sum, &set, &err);
    TAP_OK(rc == -1 && set.items == NULL && set.n == 0, "load fails, set empty (rc %d)", rc);
    TAP_OK(strcmp(err.msg, msg) == 0, "message [%s], got [%s]", msg, err.msg);
    if (rc == 0)
        sw_migrations_free(&set);
}

static void load_fails(const char *msg)
{
    load_fails_in(dir, msg);
}

static bool is(const char *got, size_t got_len, const char *want)
{
    return got != NULL && got_len == strlen(want) && memcmp(got, want, got_len) == 0 &&
           got[got_len] == '\0';
}

static long find(const struct sw_migration_set *set, uint64_t v)
{
    struct sw_version version = sw_version_of(v);
    return sw_migrations_find(set, &version);
}

static void test_load_formats(void)
{
    struct sw_migration_set set;
    fresh_dir();
    put("0042_add_orders.sql", "CREATE TABLE orders (id int);\n");
    put("V7__flyway.sql", "SELECT 7;");
    put("3_golang.up.sql", "SELECT 3;");
    put("3_golang.down.sql", "DROP everything;");
    put("20240101120000_dbmate.sql",
        "-- migrate:up\nCREATE TABLE d (id int);\n\n-- migrate:down\nDROP TABLE d;\n");
    put("README.md", "not sql");
    put(".0001_hidden.sql", "SELECT 1;");
    put("notes.txt", "");
    if (mkdir(path_of("0099_a_directory.sql"), 0755) != 0 || mkdir(path_of("sub"), 0755) != 0)
        abort();
    put("sub/0098_nested.sql", "SELECT 98;");
    if (!load_ok(&set))
        return;
    TAP_OK(set.n == 5, "5 migrations, got %zu", set.n);
    if (set.n != 5) {
        sw_migrations_free(&set);
        return;
    }
    TAP_OK(version_is(&set.items[0].version, "3") && version_is(&set.items[1].version, "7") &&
               version_is(&set.items[2].version, "42") && version_is(&set.items[3].version, "98") &&
               version_is(&set.items[4].version, "20240101120000"),
           "sorted by version, sub-folders included");
    TAP_OK(strcmp(set.items[0].name, "3_golang.up.sql") == 0 &&
               strcmp(set.items[1].name, "V7__flyway.sql") == 0 &&
               strcmp(set.items[2].name, "0042_add_orders.sql") == 0 &&
               strcmp(set.items[3].name, "sub/0098_nested.sql") == 0 &&
               strcmp(set.items[4].name, "20240101120000_dbmate.sql") == 0,
           "names, a sub-folder's with its path");
    TAP_OK(set.items[0].format == GOLANG && set.items[1].format == FLYWAY &&
               set.items[2].format == SLIPWAY && set.items[4].format == DBMATE,
           "formats");
    struct sw_migration *m = &set.items[2];
    TAP_OK(is(m->sql, m->sql_len, "CREATE TABLE orders (id int);\n") &&
               content_is(&set, m, "CREATE TABLE orders (id int);\n") && m->sql_line == 1 &&
               !m->no_transaction,
           "plain migration: sql is the whole file");
    m = &set.items[4];
    TAP_OK(is(m->sql, m->sql_len, "CREATE TABLE d (id int);\n\n") && m->sql_line == 2 &&
               !m->no_transaction,
           "dbmate: sql is the up section [%s], line %d", show(m->sql), m->sql_line);
    TAP_OK(
        content_is(&set, m,
                   "-- migrate:up\nCREATE TABLE d (id int);\n\n-- migrate:down\nDROP TABLE d;\n"),
        "dbmate: content is the whole file");

    TAP_OK(find(&set, 3) == 0 && find(&set, 7) == 1 && find(&set, 42) == 2 && find(&set, 98) == 3 &&
               find(&set, 20240101120000u) == 4,
           "find every version");
    TAP_OK(find(&set, 0) == -1 && find(&set, 5) == -1 && find(&set, 43) == -1 &&
               find(&set, UINT64_MAX) == -1,
           "find absent versions");
    sw_migrations_free(&set);
    TAP_OK(set.items == NULL && set.n == 0, "free leaves the set empty");
    sw_migrations_free(&set);
    TAP_OK(find(&set, 3) == -1, "find in an empty set");
}

static void test_repeatables(void)
{
    struct sw_migration_set set;
    fresh_dir();
    put("V1__t.sql", "CREATE TABLE t (x int);");
    put("R__b_view.sql", "CREATE OR REPLACE VIEW b AS SELECT 1;");
    if (mkdir(path_of("views"), 0755) != 0)
        abort();
    put("views/R__a_view.sql", "CREATE OR REPLACE VIEW a AS SELECT 1;");
    if (load_ok(&set)) {
        TAP_OK(set.n == 1 && set.n_repeatables == 2 &&
                   strcmp(set.repeatables[0].name, "views/R__a_view.sql") == 0 &&
                   strcmp(sw_repeatable_key(&set.repeatables[0]), "R__a_view.sql") == 0 &&
                   strcmp(set.repeatables[1].name, "R__b_view.sql") == 0,
               "repeatables apart from the versioned ones, by file name whatever the folder");
        sw_migrations_free(&set);
        TAP_OK(set.repeatables == NULL && set.n_repeatables == 0, "free empties them");
    }
    put("R__a_view.sql", "SELECT 1;");
    load_fails("duplicate repeatable migration R__a_view.sql: R__a_view.sql and "
               "views/R__a_view.sql");
    fresh_dir();
    put("R__idx.sql", "CREATE INDEX CONCURRENTLY i ON t (x);");
    load_fails("R__idx.sql: a repeatable migration runs in a transaction (no-transaction "
               "statement)");
}

static void test_load_empty_dir(void)
{
    struct sw_migration_set set = {.items = (struct sw_migration *)&set, .n = 5};
    fresh_dir();
    put("README", "nothing here");
    if (load_ok(&set)) {
        TAP_OK(set.n == 0 && set.items == NULL, "no migrations: empty set");
        sw_migrations_free(&set);
    }
}

static void test_find_many(void)
{
    struct sw_migration_set set;
    char name[64];
    fresh_dir();
    for (unsigned v = 2; v <= 200; v += 2) {
        snprintf(name, sizeof name, "%04u_m.sql", v);
        put(name, "SELECT 1;");
    }
    if (!load_ok(&set))
        return;
    bool all = set.n == 100;
    for (uint64_t v = 0; v <= 202 && all; v++) {
        long want = v >= 2 && v <= 200 && v % 2 == 0 ? (long)(v / 2 - 1) : -1;
        all = find(&set, v) == want;
    }
    TAP_OK(all, "find over 100 migrations, present and absent");
    sw_migrations_free(&set);
}

/* One migration file, loaded: returns the set (caller frees) or NULL. */
static bool load_one(const char *name, const char *data, size_t len, struct sw_migration_set *set)
{
    fresh_dir();
    put_n(name, data, len);
    if (!load_ok(set))
        return false;
    TAP_OK(set->n == 1, "one migration");
    if (set->n == 1)
        return true;
    sw_migrations_free(set);
    return false;
}

static void test_crlf(void)
{
    struct sw_migration_set set;
    const char *crlf = "SELECT 1;\r\nSELECT 'a\rb';\r\n\r\n";
    if (!load_one("0001_crlf.sql", crlf, strlen(crlf), &set))
        return;
    const struct sw_migration *m = &set.items[0];
    TAP_OK(is(summed, summed_len, "SELECT 1;\nSELECT 'a\rb';\n\n") &&
               is(m->sql, m->sql_len, "SELECT 1;\nSELECT 'a\rb';\n\n"),
           "CRLF becomes LF, a lone CR stays");
    sw_migrations_free(&set);

    const char *bom =
        "\xEF\xBB\xBF-- slipway:no-transaction\r\nCREATE INDEX CONCURRENTLY i ON t (x);";
    if (!load_one("0001_bom.sql", bom, strlen(bom), &set))
        return;
    m = &set.items[0];
    TAP_OK(is(summed, summed_len,
              "\xEF\xBB\xBF-- slipway:no-transaction\nCREATE INDEX CONCURRENTLY i ON t (x);") &&
               is(m->sql, m->sql_len,
                  "-- slipway:no-transaction\nCREATE INDEX CONCURRENTLY i ON t (x);") &&
               m->no_transaction,
           "a UTF-8 BOM stays in content, not in sql, and the marker after it counts");
    sw_migrations_free(&set);
}

static void no_tx(const char *data, bool want)
{
    struct sw_migration_set set;
    if (!load_one("0001_tx.sql", data, strlen(data), &set))
        return;
    TAP_OK(set.items[0].no_transaction == want, "no_transaction %s for [%s]",
           want ? "true" : "false", show(data));
    sw_migrations_free(&set);
}

static void test_no_transaction(void)
{
    no_tx("-- slipway:no-transaction\nCREATE INDEX CONCURRENTLY i ON t (x);", true);
    no_tx("-- slipway:no-transaction \t \nCREATE INDEX CONCURRENTLY i ON t (x);", true);
    no_tx("-- slipway:no-transaction\r\nSELECT 1;", true);
    no_tx("SELECT 1;\n-- slipway:no-transaction\n", false);
    no_tx(" -- slipway:no-transaction\nSELECT 1;", true);
    no_tx("--slipway:no-transaction\nSELECT 1;", true);
    no_tx("-- slipway:no-transactions\nSELECT 1;", false);
    no_tx("-- slipway:no-transaction x\nSELECT 1;", false);
    no_tx("-- SLIPWAY:NO-TRANSACTION\nSELECT 1;", false);
    no_tx("-- slipway:no-transactioN\nSELECT 1;", false);
    no_tx("\n-- slipway:no-transaction\nSELECT 1;", true);
    /* anywhere in the leading comment block, and the foreign markers */
    no_tx("-- Add an index\n-- on orders\n\n-- slipway:no-transaction\nSELECT 1;", true);
    no_tx("-- morph:nontransactional\nSELECT 1;", true);
    no_tx("-- header\n-- morph:nontransactional\nSELECT 1;", true);
    no_tx("SELECT 1;\n-- morph:nontransactional\n", false);
    /* without a marker: a statement that cannot run in a transaction block */
    no_tx("CREATE INDEX CONCURRENTLY i ON t (x);", true);
    no_tx("create unique index concurrently i on t (x);", true);
    no_tx("DROP INDEX CONCURRENTLY IF EXISTS i;", true);
    no_tx("SELECT 1;\nREINDEX (VERBOSE) TABLE CONCURRENTLY t;", true);
    no_tx("ALTER TABLE p DETACH PARTITION c CONCURRENTLY;", true);
    no_tx("VACUUM ANALYZE t;", true);
    no_tx("CREATE DATABASE x;", true);
    no_tx("ALTER SYSTEM SET work_mem = '8MB';", true);
    no_tx("CREATE TABLE concurrently (x int);", false);
    no_tx("ALTER TABLE t ADD COLUMN concurrently int;", false);
    no_tx("CREATE INDEX i ON t (x);\n-- CREATE INDEX CONCURRENTLY\nSELECT 'VACUUM';", false);
    no_tx("CREATE FUNCTION f() RETURNS void AS $$ VACUUM $$ LANGUAGE sql;", false);
    no_tx("-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY i ON t (x);\n", true);
    no_tx("-- migrate:up   transaction:true\nSELECT 1;\n", false);
    no_tx("-- migrate:up\nSELECT 1;\n-- migrate:down transaction:false\nSELECT 2;\n", false);
    no_tx("-- slipway:no-transaction\n-- migrate:up\nSELECT 1;\n", true);
}

static void dbmate_sql(const char *data, const char *want_sql, int want_line)
{
    struct sw_migration_set set;
    if (!load_one("20240101120000_d.sql", data, strlen(data), &set))
        return;
    const struct sw_migration *m = &set.items[0];
    TAP_OK(is(m->sql, m->sql_len, want_sql) && m->sql_line == want_line,
           "dbmate sql [%s] line %d (got line %d)", show(want_sql), want_line, m->sql_line);
    sw_migrations_free(&set);
}

static void test_dbmate(void)
{
    dbmate_sql("-- migrate:up\nSELECT 1;\n", "SELECT 1;\n", 2);
    dbmate_sql("-- migrate:up\nSELECT 1;", "SELECT 1;", 2);
    dbmate_sql("-- a comment\n\n--migrate:up\nSELECT 1;\n--   migrate:down\nSELECT 2;\n",
               "SELECT 1;\n", 4);
    dbmate_sql("--\t migrate:up \t\nSELECT 1;\n-- \tmigrate:down\t\nSELECT 2;\n", "SELECT 1;\n", 2);
    dbmate_sql("-- migrate:up\r\nSELECT 1;\r\n-- migrate:down\r\nSELECT 2;\r\n", "SELECT 1;\n", 2);
    dbmate_sql("-- migrate:up\nSELECT 1;\n-- migrate:down\n-- migrate:down\n", "SELECT 1;\n", 2);
    /* Not a marker: the word must end there. */
    dbmate_sql("-- migrate:up\nSELECT 1;\n-- migrate:downgrade\nSELECT 2;\n",
               "SELECT 1;\n-- migrate:downgrade\nSELECT 2;\n", 2);
    /* An indented marker is one (a SQL formatter indents it): the down part never runs. */
    dbmate_sql(
        "-- migrate:up\nALTER TABLE t ADD c int;\n    -- migrate:down\nALTER TABLE t DROP c;\n",
        "ALTER TABLE t ADD c int;\n", 2);
    dbmate_sql("\t-- migrate:up\nSELECT 1;\n\t-- migrate:down\nSELECT 2;\n", "SELECT 1;\n", 2);
    dbmate_sql("-- migrate:upgrade\nSELECT 1;\n", "-- migrate:upgrade\nSELECT 1;\n", 1);
}

static void load_fails_with(const char *name, const char *data, size_t len, const char *msg)
{
    fresh_dir();
    put_n(name, data, len);
    load_fails(msg);
}

#define FAILS(name, data, msg) load_fails_with(name, data, sizeof data - 1, msg)

static void empty_ok(const char *data, size_t len)
{
    struct sw_migration_set set;
    if (!load_one("0001_e.sql", data, len, &set))
        return;
    TAP_OK(set.items[0].empty && !set.items[0].no_transaction, "empty: [%s]", show(data));
    sw_migrations_free(&set);
}

#define EMPTY(data) empty_ok(data, sizeof data - 1)

static void test_content_errors(void)
{
    FAILS("0001_nul.sql", "SELECT 1;\0", "0001_nul.sql: binary file (NUL byte at offset 9)");
    FAILS("0001_nul.sql", "\0", "0001_nul.sql: binary file (NUL byte at offset 0)");
    FAILS("0001_u.sql", "SELECT 1;\nSELECT 2;\nSELECT '\xff';\n", "0001_u.sql:3: invalid UTF-8");
    FAILS("0001_u.sql", "SELECT '\xc0\xaf';", "0001_u.sql:1: invalid UTF-8");     /* overlong */
    FAILS("0001_u.sql", "SELECT '\xe0\x80\xaf';", "0001_u.sql:1: invalid UTF-8"); /* overlong */
    FAILS("0001_u.sql", "SELECT '\xed\xa0\x80';", "0001_u.sql:1: invalid UTF-8"); /* surrogate */
    FAILS("0001_u.sql", "SELECT '\xf4\x90\x80\x80';", "0001_u.sql:1: invalid UTF-8");
    FAILS("0001_u.sql", "SELECT '\xf0\x8f\xbf\xbf';", "0001_u.sql:1: invalid UTF-8"); /* overlong */
    FAILS("0001_u.sql", "SELECT '\xf5\x80\x80\x80';", "0001_u.sql:1: invalid UTF-8");
    FAILS("0001_u.sql", "SELECT '\xe2\x82';", "0001_u.sql:1: invalid UTF-8");
    FAILS("0001_u.sql", "SELECT 1;\r\n\r\n\xe2\x82", "0001_u.sql:3: invalid UTF-8");
    FAILS("0001_u.sql", "SELECT '\x80';", "0001_u.sql:1: invalid UTF-8");

    struct sw_migration_set set;
    const char *utf8 =
        "SELECT '\xc3\xa9 \xe2\x82\xac \xed\x9f\xbf \xf0\x9f\x9a\xa2 \xf4\x8f\xbf\xbf';";
    if (load_one("0001_utf8.sql", utf8, strlen(utf8), &set)) {
        TAP_OK(is(set.items[0].sql, set.items[0].sql_len, utf8), "valid UTF-8 up to U+10FFFF");
        sw_migrations_free(&set);
    }

    /* Empty or comment-only: loaded, marked empty, transactional (recorded, nothing sent). */
    EMPTY("");
    EMPTY("  \n\t\r\n");
    EMPTY("-- just a comment\n/* and /* another */ */\n");
    EMPTY(";\n;");
    EMPTY("-- slipway:no-transaction\n");
    EMPTY("-- migrate:up\n-- nothing\n-- migrate:down\nDROP TABLE x;\n");
    EMPTY("-- migrate:up");
    EMPTY("\xEF\xBB\xBF");

    /* A transactional file is sent whole: the server reports its syntax errors. */
    const char *open_quote = "SELECT 'unterminated;\n";
    if (load_one("0001_q.sql", open_quote, strlen(open_quote), &set)) {
        TAP_OK(!set.items[0].no_transaction, "a transactional file is not split at load");
        sw_migrations_free(&set);
    }
}

static void test_dbmate_errors(void)
{
    FAILS("0001_d.sql", "SELECT 1;\n-- migrate:down\nSELECT 2;\n",
          "0001_d.sql: has '-- migrate:down' but no '-- migrate:up'");
    FAILS("0001_d.sql", "-- migrate:down\nSELECT 2;\n-- migrate:up\nSELECT 1;\n",
          "0001_d.sql:1: '-- migrate:down' comes before '-- migrate:up' (line 3)");
    FAILS("0001_d.sql", "-- c\nSELECT 0;\n-- migrate:up\nSELECT 1;\n",
          "0001_d.sql:2: SQL before '-- migrate:up' would never run");
    FAILS("0001_d.sql", "/* c */\n-- migrate:up\nSELECT 1;\n",
          "0001_d.sql:1: SQL before '-- migrate:up' would never run");
    FAILS("0001_d.sql", "-- migrate:up\nSELECT 1;\n\n-- migrate:up\nSELECT 2;\n",
          "0001_d.sql:4: a second '-- migrate:up' (the first is on line 1)");
    FAILS("0001_d.sql", "-- migrate:up\nSELECT 1;\n-- migrate:down\n-- migrate:up\n",
          "0001_d.sql:4: a second '-- migrate:up' (the first is on line 1)");
    FAILS("0001_d.sql", "-- migrate:up\tTRANSACTION:false\nSELECT 1;\n",
          "0001_d.sql:1: unknown option 'TRANSACTION:false' after '-- migrate:up' (expected "
          "transaction:false)");
    FAILS("0001_d.sql", "\n-- migrate:up transaction:false transaction:flase\nSELECT 1;\n",
          "0001_d.sql:2: unknown option 'transaction:flase' after '-- migrate:up' (expected "
          "transaction:false)");
}

static void test_split_errors(void)
{
    FAILS("0001_s.sql", "-- slipway:no-transaction\nSELECT 1;\nSELECT $tag$;\n",
          "0001_s.sql:3: unterminated dollar quote $tag$");
    FAILS("0001_s.sql", "-- slipway:no-transaction\r\n\r\nSELECT 'x\r\n",
          "0001_s.sql:3: unterminated quoted string");
    FAILS("0001_s.sql",
          "-- slipway:no-transaction\nCREATE FUNCTION f() RETURNS int\nBEGIN ATOMIC "
          "SELECT 1;\n",
          "0001_s.sql:3: BEGIN ATOMIC body has no matching END");
    /* In a dbmate file, the line is the file's, not the up section's. */
    FAILS(
        "20240101120000_d.sql",
        "-- c\n-- migrate:up transaction:false\nSELECT 1;\n\nSELECT $x$;\n-- migrate:down\n$x$;\n",
        "20240101120000_d.sql:5: unterminated dollar quote $x$");
    FAILS("0001_s.sql", "-- slipway:no-transaction\n-- migrate:up\n\n/* open\n",
          "0001_s.sql:4: unterminated /* comment");
}

static void write_size(const char *name, off_t size)
{
    int fd = open(path_of(name), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    /* sparse: the size is refused before anything is read */
    if (fd < 0 || write(fd, "SELECT 1;", 9) != 9 || ftruncate(fd, size) != 0 || close(fd) != 0)
        abort();
}

static void test_size_limit(void)
{
    fresh_dir();
    write_size("0001_big.sql", 50 * 1024 * 1024);
    load_fails("0001_big.sql: 52428800 bytes, larger than the 16 MiB limit");
    fresh_dir();
    write_size("0001_big.sql", SW_MIGRATION_MAX_BYTES + 1);
    load_fails("0001_big.sql: 16777217 bytes, larger than the 16 MiB limit");

    /* Exactly the limit is fine. */
    size_t len = SW_MIGRATION_MAX_BYTES;
    char *big = malloc(len);
    if (big == NULL)
        abort();
    memset(big, '\n', len);
    memcpy(big, "SELECT 1;", 9);
    memcpy(big + len - 9, "SELECT 2;", 9);
    struct sw_migration_set set;
    if (load_one("0001_big.sql", big, len, &set)) {
        TAP_OK(summed_len == len && set.items[0].sql_len == len &&
                   memcmp(set.items[0].sql, big, len) == 0,
               "a 16 MiB migration loads whole");
        sw_migrations_free(&set);
    }
    free(big);
}

static void test_dir_errors(void)
{
    char msg[600];
    load_fails_in("/nonexistent/slipway",
                  "migrations dir '/nonexistent/slipway': No such file or directory");
    fresh_dir();
    put("0001_a.sql", "SELECT 1;");
    snprintf(msg, sizeof msg, "migrations dir '%s': Not a directory", path_of("0001_a.sql"));
    load_fails_in(path_of("0001_a.sql"), msg);

    fresh_dir();
    put("0001_a.sql", "SELECT 1;");
    put("V1x__foo.sql", "SELECT 1;");
    load_fails("V1x__foo.sql: version '1x': not a version");

    /* Both names, in name order whatever the directory order. */
    fresh_dir();
    put("V42__b.sql", "SELECT 1;");
    put("0042_a.sql", "SELECT 1;");
    put("0043_c.sql", "SELECT 1;");
    load_fails("duplicate version 42: 0042_a.sql and V42__b.sql");
    fresh_dir();
    put("42_z.up.sql", "SELECT 1;");
    put("0042_a.sql", "SELECT 1;");
    load_fails("duplicate version 42: 0042_a.sql and 42_z.up.sql");
    fresh_dir();
    put("1_a.sql", "SELECT 1;");
    put("01_a.sql", "SELECT 1;");
    load_fails("duplicate version 1: 01_a.sql and 1_a.sql");
    fresh_dir();
    put("V1__a.sql", "SELECT 1;");
    if (mkdir(path_of("more"), 0755) != 0)
        abort();
    put("more/V1.0__b.sql", "SELECT 1;");
    load_fails("duplicate version 1: V1__a.sql and more/V1.0__b.sql");
    fresh_dir();
    if (mkdir(path_of("more"), 0755) != 0)
        abort();
    put("more/V2_x.sql", "SELECT 1;");
    load_fails("more/V2_x.sql: no '__' after the version " EXPECTED);

    /* Many good files loaded before the bad one must all be freed (LeakSanitizer). */
    fresh_dir();
    for (int i = 1; i <= 40; i++) {
        char name[32];
        snprintf(name, sizeof name, "%04d_ok.sql", i);
        put(name, i == 20 ? "SELECT 'x';\n\xff" : "SELECT 1;");
    }
    load_fails("0020_ok.sql:2: invalid UTF-8");
}

static void test_file_kinds(void)
{
    struct sw_migration_set set;

    /* Kubernetes ConfigMap volume: files are symlinks into a hidden ..data directory. */
    fresh_dir();
    if (mkdir(path_of("..2024_01_01"), 0755) != 0 ||
        symlink("..2024_01_01", path_of("..data")) != 0)
        abort();
    put("..2024_01_01/0001_a.sql", "SELECT 1;");
    put("..2024_01_01/0002_b.sql", "SELECT 2;");
    if (symlink("..data/0001_a.sql", path_of("0001_a.sql")) != 0 ||
        symlink("..data/0002_b.sql", path_of("0002_b.sql")) != 0 ||
        symlink("..data", path_of("0003_dir_link.sql")) != 0)
        abort();
    if (load_ok(&set)) {
        TAP_OK(set.n == 2 && strcmp(set.items[0].name, "0001_a.sql") == 0 &&
                   is(set.items[1].sql, set.items[1].sql_len, "SELECT 2;"),
               "symlinked files load, a symlinked directory is skipped");
        sw_migrations_free(&set);
    }

    /* /proc files say st_size 0: the read must go on to the end, not stop at the size. */
    FILE *f = fopen("/proc/version", "r");
    char want[4096];
    size_t want_len = f != NULL ? fread(want, 1, sizeof want - 1, f) : 0;
    if (f != NULL)
        fclose(f);
    want[want_len] = '\0';
    fresh_dir();
    if (want_len == 0) {
        TAP_OK(true, "a file whose size is unknown is read to its end # SKIP no /proc/version");
    } else {
        if (symlink("/proc/version", path_of("0004_proc.sql")) != 0)
            abort();
        if (load_ok(&set)) {
            TAP_OK(set.n == 1 && is(summed, summed_len, want),
                   "a file whose size is unknown is read to its end (%zu bytes)", want_len);
            sw_migrations_free(&set);
        }
    }

    fresh_dir();
    if (symlink("nowhere.sql", path_of("0005_broken.sql")) != 0)
        abort();
    load_fails("0005_broken.sql: No such file or directory");

    /* A FIFO must be refused, not opened for a read that never ends. */
    fresh_dir();
    if (mkfifo(path_of("0006_fifo.sql"), 0644) != 0)
        abort();
    load_fails("0006_fifo.sql: not a regular file");

    /* root reads anything: as root, check as nobody (effective uid only, restored after). */
    bool root = geteuid() == 0;
    fresh_dir();
    put("0007_secret.sql", "SELECT 1;");
    if (chmod(path_of("0007_secret.sql"), 0) != 0 || chmod(dir, 0755) != 0)
        abort();
    if (root && seteuid(65534) != 0)
        abort();
    load_fails("0007_secret.sql: Permission denied");
    if (root && seteuid(0) != 0)
        abort();
    fresh_dir();
    char msg[600];
    snprintf(msg, sizeof msg, "migrations dir '%s': Permission denied", dir);
    if (chmod(dir, 0) != 0)
        abort();
    if (root && seteuid(65534) != 0)
        abort();
    load_fails(msg);
    if (root && seteuid(0) != 0)
        abort();
    if (chmod(dir, 0755) != 0)
        abort();
}

/* The contract marker (README "Fleet and contract migrations"): the floor defaults to the version
 * before. */
static void test_contract(void)
{
    struct sw_migration_set set;

    fresh_dir();
    put("0001_a.sql", "CREATE TABLE t (a int, b int);");
    put("V1.5__b.sql", "-- comment\n-- slipway:contract\nALTER TABLE t DROP COLUMN b;");
    put("0002_c.sql", "-- slipway:contract floor=1.2 \nSELECT 1;");
    put("0003_d.sql", "SELECT 1;\n-- slipway:contract\n");
    if (load_ok(&set)) {
        TAP_OK(!sw_migration_is_contract(&set.items[0]), "a plain migration is no contract");
        TAP_OK(sw_migration_is_contract(&set.items[1]) && set.items[1].contract_line == 2 &&
                   version_is(&set.items[1].floor, "1"),
               "contract marker in the leading block: floor = the version before (1)");
        TAP_OK(sw_migration_is_contract(&set.items[2]) && set.items[2].floor_given &&
                   version_is(&set.items[2].floor, "1.2"),
               "floor=1.2 is taken as written");
        TAP_OK(!sw_migration_is_contract(&set.items[3]), "a marker after SQL is no marker");
        sw_migrations_free(&set);
    }
    fresh_dir();
    put("0001_a.sql", "-- slipway:contract\nSELECT 1;");
    if (load_ok(&set)) {
        TAP_OK(version_is(&set.items[0].floor, "0"), "the first migration's default floor is 0");
        sw_migrations_free(&set);
    }
    fresh_dir();
    put("0002_a.sql", "-- slipway:contract flor=1\nSELECT 1;");
    load_fails("0002_a.sql:1: unknown option 'flor=1' after '-- slipway:contract' (expected "
               "floor=VERSION)");
    fresh_dir();
    put("0002_a.sql", "-- slipway:contract floor=x\nSELECT 1;");
    load_fails("0002_a.sql:1: floor 'x': not a version");
    fresh_dir();
    put("0002_a.sql", "-- slipway:contract floor=3\nSELECT 1;");
    load_fails("0002_a.sql:1: floor 3 is above the migration's own version");
}

/* Bodies are dropped at load and read again on demand, COPY data only when asked for; a file
 * changed since it was summed is refused, and nothing of it kept. */
static void test_bodies(void)
{
    struct sw_migration_set set;
    sw_err err = {{0}};

    fresh_dir();
    put("0001_copy.sql", "COPY t (v) FROM stdin;\na\n\\.\nSELECT 1;\n");
    if (sw_migrations_load(dir, NULL, test_sum, &set, &err) < 0) {
        TAP_OK(false, "loads: %s", err.msg);
        return;
    }
    struct sw_migration *m = &set.items[0];
    TAP_OK(m->sql == NULL && m->copy_data == NULL && m->n_copies == 0 && m->checksum[0] != '\0',
           "after load: no body, a checksum");
    TAP_OK(sw_migration_load_body(&set, m, false, &err) == 0 && m->sql != NULL &&
               m->n_copies == 0 && m->copy_data == NULL,
           "a body without its COPY data");
    TAP_OK(sw_migration_load_body(&set, m, true, &err) == 0 && m->n_copies == 1 &&
               m->copy_len[0] == 2 && memcmp(m->copy_data + m->copy_off[0], "a\n", 2) == 0,
           "a body with its COPY data");
    char was[SW_MIGRATION_SUM_MAX], msg[sizeof err.msg];
    memcpy(was, m->checksum, sizeof was);
    put("0001_copy.sql", "SELECT 2;\n");
    int rc = sw_migration_load_body(&set, m, true, &err);
    snprintf(msg, sizeof msg, "0001_copy.sql: changed since it was read: checksum %s, now ", was);
    TAP_OK(rc == SW_MIGRATION_CHANGED && m->sql == NULL && m->n_copies == 0 &&
               strncmp(err.msg, msg, strlen(msg)) == 0 && strcmp(m->checksum, was) == 0,
           "a changed file is refused, nothing kept [%s]", err.msg);
    sw_migrations_free(&set);
}

int main(void)
{
    test_names();
    test_load_formats();
    test_repeatables();
    test_load_empty_dir();
    test_find_many();
    test_crlf();
    test_no_transaction();
    test_contract();
    test_dbmate();
    test_content_errors();
    test_dbmate_errors();
    test_split_errors();
    test_size_limit();
    test_bodies();
    test_dir_errors();
    test_file_kinds();
    if (nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
        printf("# could not remove %s: %s\n", dir, strerror(errno));
    return tap_done();
}
