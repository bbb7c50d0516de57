/* Migration file names: slipway's, Flyway's (V, U, R, callbacks), golang-migrate's and
 * dbmate's, and what each tool would skip. */
#include "migdir/name.h"
#include "migdir/utf8.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define EXPECTED_NAMES "expected 0042_name.sql, V42__name.sql, 42_name.up.sql"

static bool ascii_eq_ci(char a, char b)
{
    if (a >= 'A' && a <= 'Z')
        a = (char)(a - 'A' + 'a');
    if (b >= 'A' && b <= 'Z')
        b = (char)(b - 'A' + 'a');
    return a == b;
}

static bool has_suffix(const char *s, size_t len, const char *suffix, bool ignore_case)
{
    size_t n = strlen(suffix);
    if (len < n)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[len - n + i];
        if (ignore_case ? !ascii_eq_ci(c, suffix[i]) : c != suffix[i])
            return false;
    }
    return true;
}

/* A name with every byte that is not printable ASCII shown as \xHH, cut to fit. */
static void escape_name(const char *name, char *buf, size_t size)
{
    size_t w = 0;
    for (const unsigned char *p = (const unsigned char *)name; *p != '\0'; p++) {
        if (*p >= 0x20 && *p < 0x7F) {
            if (w + 2 > size)
                break;
            buf[w++] = (char)*p;
        } else {
            if (w + 5 > size)
                break;
            w += (size_t)snprintf(buf + w, size - w, "\\x%02x", *p);
        }
    }
    buf[w] = '\0';
}

/* The name ends up in messages, logs and the history table: keep it clean text. */
static int check_name_text(const char *name, size_t len, sw_err *err)
{
    const char *problem = NULL;
    if (sw_utf8_valid_prefix((const unsigned char *)name, len) != len) {
        problem = "file name is not valid UTF-8";
    } else {
        for (size_t i = 0; i < len && problem == NULL; i++) {
            unsigned char c = (unsigned char)name[i];
            if (c < 0x20 || c == 0x7F)
                problem = "file name contains a control character";
        }
    }
    if (problem == NULL)
        return 0;
    char shown[512];
    escape_name(name, shown, sizeof shown);
    sw_err_set(err, "%s: %s", shown, problem);
    return -1;
}

/* What follows the digits of a version in a name that is not Flyway's: golang-migrate wants
 * "_" (the description may be empty), dbmate takes anything, slipway's own is "_DESC". */
static enum sw_name_result parse_plain(const char *name, const char *end, bool golang,
                                       struct sw_name *out, sw_err *err)
{
    const char *p = name, *why;

    while (p < end && *p >= '0' && *p <= '9')
        p++;
    if (p == name || (golang && (p == end || *p != '_'))) {
        sw_err_set(err, "%s: cannot parse a version from the file name (" EXPECTED_NAMES ")", name);
        return SW_NAME_INVALID;
    }
    if (sw_version_parse(name, (size_t)(p - name), "", &out->version, &why) < 0) {
        sw_err_set(err, "%s: version %.*s: %s", name, (int)(p - name), name, why);
        return SW_NAME_INVALID;
    }
    out->format = golang                                ? SW_FORMAT_GOLANG_MIGRATE
                  : p < end && *p == '_' && end - p > 1 ? SW_FORMAT_SLIPWAY
                                                        : SW_FORMAT_DBMATE;
    return SW_NAME_MIGRATION;
}

/* Flyway: V, the version (parts separated by '.' or '_'), "__", the description. */
static enum sw_name_result parse_flyway(const char *name, const char *end, struct sw_name *out,
                                        sw_err *err)
{
    const char *v = name + 1, *sep = v, *why;

    while (sep + 1 < end && !(sep[0] == '_' && sep[1] == '_'))
        sep++;
    if (sep + 1 >= end) {
        sw_err_set(err, "%s: no '__' after the version (" EXPECTED_NAMES ")", name);
        return SW_NAME_INVALID;
    }
    if (sw_version_parse(v, (size_t)(sep - v), "._", &out->version, &why) < 0) {
        sw_err_set(err, "%s: version '%.*s': %s", name, (int)(sep - v), v, why);
        return SW_NAME_INVALID;
    }
    out->format = SW_FORMAT_FLYWAY;
    return SW_NAME_MIGRATION;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Flyway's SQL callbacks: event names, alone or followed by "__description". */
static bool is_flyway_callback(const char *name, const char *end)
{
    static const char *const events[] = {"beforeMigrate",
                                         "beforeEachMigrate",
                                         "beforeEachMigrateStatement",
                                         "afterEachMigrateStatement",
                                         "afterEachMigrateStatementError",
                                         "afterEachMigrate",
                                         "afterEachMigrateError",
                                         "afterMigrate",
                                         "afterMigrateApplied",
                                         "afterVersioned",
                                         "afterMigrateError",
                                         "beforeUndo",
                                         "beforeEachUndo",
                                         "afterEachUndo",
                                         "afterEachUndoError",
                                         "afterUndo",
                                         "afterUndoError",
                                         "beforeClean",
                                         "afterClean",
                                         "afterCleanError",
                                         "beforeInfo",
                                         "afterInfo",
                                         "afterInfoError",
                                         "beforeValidate",
                                         "afterValidate",
                                         "afterValidateError",
                                         "beforeBaseline",
                                         "afterBaseline",
                                         "afterBaselineError",
                                         "beforeRepair",
                                         "afterRepair",
                                         "afterRepairError",
                                         "createSchema",
                                         "beforeConnect",
                                         "afterConnect"};
    for (size_t i = 0; i < sizeof events / sizeof events[0]; i++) {
        size_t n = strlen(events[i]);
        if ((size_t)(end - name) >= n && memcmp(name, events[i], n) == 0 &&
            (name + n == end ||
             (end - name - (long)n >= 2 && name[n] == '_' && name[n + 1] == '_')))
            return true;
    }
    return false;
}

enum sw_name_result sw_migration_parse_name(const char *name, struct sw_name *out, sw_err *err)
{
    size_t len = strlen(name);

    if (name[0] == '.' || !has_suffix(name, len, ".sql", true) ||
        has_suffix(name, len, ".down.sql", true))
        return SW_NAME_IGNORED;
    if (check_name_text(name, len, err) < 0)
        return SW_NAME_INVALID;
    /* X.SQL is not skipped silently: it is meant as a migration, and would never run. */
    if (!has_suffix(name, len, ".sql", false)) {
        sw_err_set(err, "%s: the .sql extension must be lower case", name);
        return SW_NAME_INVALID;
    }

    const char *end = name + len - strlen(".sql");
    if (has_suffix(name, (size_t)(end - name), ".up", false))
        return parse_plain(name, end - strlen(".up"), true, out, err);
    if (name[0] == 'U' && is_digit(name[1]))
        return SW_NAME_IGNORED; /* Flyway undo: forward-only, like .down.sql */
    if (name[0] == 'V' && (is_digit(name[1]) || name[1] == '_' || name[1] == '.'))
        return parse_flyway(name, end, out, err);
    if (is_digit(name[0]))
        return parse_plain(name, end, false, out, err);
    if (strncmp(name, "R__", 3) == 0) {
        out->version = sw_version_of(0);
        out->format = SW_FORMAT_FLYWAY;
        return SW_NAME_REPEATABLE;
    }
    if (is_flyway_callback(name, end))
        sw_err_set(err, "%s: a Flyway callback: slipway does not run callbacks, skipped", name);
    else
        sw_err_set(err, "%s: no version in the name: not a migration, skipped", name);
    return SW_NAME_SKIPPED;
}

const char *sw_format_name(enum sw_format f)
{
    switch (f) {
    case SW_FORMAT_FLYWAY:
        return "flyway";
    case SW_FORMAT_GOLANG_MIGRATE:
        return "golang-migrate";
    case SW_FORMAT_DBMATE:
        return "dbmate";
    case SW_FORMAT_SLIPWAY:
        break;
    }
    return "slipway";
}
