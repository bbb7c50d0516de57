/* Configuration loading in three steps, so every value takes the same path whatever its
 * source: (1) collect raw strings per key from the file (inih), (2) let the environment
 * override them, (3) convert every key - default, file or environment - with one converter
 * per type. Each raw value remembers its origin ("FILE:LINE" or "environment NAME"), which
 * is what every error message starts with. */
#include "config/config.h"

#include "base/closest.h"
#include "base/duration.h"
#include "base/expand.h"
#include "base/words.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum key_type {
    K_STR,
    K_BOOL,
    K_DUR,
    K_SIG,
    K_U64,
    K_VERSION,
    K_CODEMAP,
    K_SIGMAP,
    K_NAMES,
    K_LINT,
    K_ADOPT
};

struct key_def {
    const char *name;
    enum key_type type;
    size_t off; /* into struct sw_config, or struct sw_task for task sections */
    const char *def;
};

#define CFG(field) offsetof(struct sw_config, field)
#define TSK(field) offsetof(struct sw_task, field)

static const struct key_def serve_keys[] = {
    {"command", K_STR, CFG(serve.command), ""},
    {"shell", K_BOOL, CFG(serve.shell), "false"},
    {"exec", K_BOOL, CFG(serve.exec), "false"},
    {"stop_signal", K_SIG, CFG(serve.stop_signal), "TERM"},
    {"stop_timeout", K_DUR, CFG(serve.stop_timeout_ms), "10s"},
    {"signal_group", K_BOOL, CFG(serve.signal_group), "false"},
    {"signal_map", K_SIGMAP, CFG(serve.signal_map), ""},
    {"exit_code_map", K_CODEMAP, CFG(serve.exit_code_map), ""},
    {"user", K_STR, CFG(serve.user), ""},
    {"wait_for", K_NAMES, CFG(serve.wait_for), ""},
    {"wait_timeout", K_DUR, CFG(serve.wait_timeout_ms), "infinity"},
    {"health_socket", K_STR, CFG(serve.health_socket), "/run/slipway/health.sock"},
    {"health_listen", K_STR, CFG(serve.health_listen), ""},
    {"fleet", K_BOOL, CFG(serve.fleet), "true"},
    {"heartbeat", K_DUR, CFG(serve.heartbeat_ms), "30s"},
    {"image", K_STR, CFG(serve.image), ""},
};

static const struct key_def database_keys[] = {
    {"url", K_STR, CFG(database.url), ""},
    {"connect_timeout", K_DUR, CFG(database.connect_timeout_ms), "5s"},
    {"wait", K_DUR, CFG(database.wait_ms), "60s"},
    {"requires", K_VERSION, CFG(database.requires), ""},
    {"max_ahead", K_U64, CFG(database.max_ahead), ""},
};

static const struct key_def migrations_keys[] = {
    {"dir", K_STR, CFG(migrations.dir), "/app/migrations"},
    {"table", K_STR, CFG(migrations.table), "slipway_migrations"},
    {"lock_wait", K_DUR, CFG(migrations.lock_wait_ms), "infinity"},
    {"lock_timeout", K_DUR, CFG(migrations.lock_timeout_ms), "5s"},
    {"statement_timeout", K_DUR, CFG(migrations.statement_timeout_ms), "0"},
    {"out_of_order", K_BOOL, CFG(migrations.out_of_order), "false"},
    {"lint", K_LINT, CFG(migrations.lint), "warn"},
    {"adopt", K_ADOPT, CFG(migrations.adopt), "auto"},
    {"baseline", K_VERSION, CFG(migrations.baseline), ""},
    {"contract_wait", K_DUR, CFG(migrations.contract_wait_ms), "0"},
    {"fleet_ttl", K_DUR, CFG(migrations.fleet_ttl_ms), "90s"},
};

static const struct key_def task_keys[] = {
    {"command", K_STR, TSK(command), ""},
    {"version", K_U64, TSK(version), ""},
    {"timeout", K_DUR, TSK(timeout_ms), "infinity"},
    {"required", K_BOOL, TSK(required), "true"},
};

#define MAX_KEYS 16
#define N_KEYS(keys) (sizeof(keys) / sizeof((keys)[0]))
_Static_assert(N_KEYS(serve_keys) <= MAX_KEYS && N_KEYS(database_keys) <= MAX_KEYS &&
                   N_KEYS(migrations_keys) <= MAX_KEYS && N_KEYS(task_keys) <= MAX_KEYS,
               "a section has more keys than struct section can hold");

struct section_def {
    const char *name;
    const struct key_def *keys;
    size_t n_keys;
};

#define SECTION(name, keys)                                                                        \
    {                                                                                              \
        name, keys, sizeof keys / sizeof keys[0]                                                   \
    }
static const struct section_def fixed_sections[] = {
    SECTION("serve", serve_keys),
    SECTION("database", database_keys),
    SECTION("migrations", migrations_keys),
};
static const struct section_def task_section = SECTION("task", task_keys);

/* Origins are allocated as values arrive: a fixed buffer in each of the 68 slots made the
 * loader 18 KiB of stack that every start-up zeroed (and kept resident). */
struct raw {
    char *value;
    int line;     /* 0 when not from the file */
    char *origin; /* set with value */
};

struct section {
    const struct section_def *def;
    char *task_name; /* task sections only */
    char *origin;
    struct raw raw[MAX_KEYS];
};

struct loader {
    const char *path;
    FILE *file;
    int line;
    int section_line;  /* the line of the last "[section]" header */
    bool continuation; /* the line inih is handling continues the previous value */
    struct section fixed[3];
    struct section *tasks;
    size_t n_tasks;
    sw_err *err;
    bool failed;
    struct sw_placeholders *placeholders; /* the config's, filled while parsing */
    struct section placeholder_section;   /* a marker: its keys are not defined */
};

/* Replaces *origin ("PATH:LINE", "environment NAME"); false when out of memory, *origin kept. */
__attribute__((format(printf, 2, 3))) static bool set_origin(char **origin, const char *fmt, ...)
{
    va_list ap;
    char *s;
    int n;

    va_start(ap, fmt);
    n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n < 0)
        return false;
    free(*origin);
    *origin = s;
    return true;
}

/* ---- step 1: the file ------------------------------------------------------------------ */

/* inih's reader hook: lets us count lines (Debian builds inih without INI_HANDLER_LINENO)
 * and refuse lines longer than inih's fixed buffer instead of having them split silently. */
static char *read_line(char *str, int num, void *stream)
{
    struct loader *ld = stream;
    size_t len;

    if (ld->failed || !fgets(str, num, ld->file))
        return NULL;
    ld->line++;
    len = strlen(str);
    if (len == (size_t)num - 1 && str[len - 1] != '\n' && !feof(ld->file)) {
        sw_err_set(ld->err,
                   "%s:%d: line longer than %d characters (continue the value on an "
                   "indented next line)",
                   ld->path, ld->line, num - 2);
        ld->failed = true;
        return NULL;
    }
    ld->continuation = (str[0] == ' ' || str[0] == '\t') && str[strspn(str, " \t\r\n")] != '\0' &&
                       str[strspn(str, " \t")] != ';' && str[strspn(str, " \t")] != '#';
    if (str[strspn(str, " \t")] == '[') {
        ld->section_line = ld->line;
        /* inih would only report this line after the end of the file, and meanwhile hand us
         * the keys below it under the previous section: the error would name the wrong line.
         * (An indented line may continue a value instead: inih's to judge.) */
        if (str[0] == '[' && !strchr(str, ']')) {
            sw_err_set(ld->err, "%s:%d: syntax error (expected [section] or key = value)", ld->path,
                       ld->line);
            ld->failed = true;
            return NULL;
        }
    }
    return str;
}

static bool loader_fail(struct loader *ld, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Records the first error as "FILE:LINE: message"; returns false for inih's "stop". */
static bool loader_fail(struct loader *ld, const char *fmt, ...)
{
    char msg[sizeof ld->err->msg];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    sw_err_set(ld->err, "%s:%d: %s", ld->path, ld->line, msg);
    ld->failed = true;
    return false;
}

/* Task names become part of environment variable names, so keep them to a safe alphabet. */
static bool valid_task_name(const char *s, size_t len)
{
    if (len == 0)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != '-' && s[i] != '.')
            return false;
    return true;
}

static struct section *task_section_for(struct loader *ld, const char *name, size_t len)
{
    struct section *grown;

    for (size_t i = 0; i < ld->n_tasks; i++)
        if (strlen(ld->tasks[i].task_name) == len && memcmp(ld->tasks[i].task_name, name, len) == 0)
            return &ld->tasks[i];
    grown = realloc(ld->tasks, (ld->n_tasks + 1) * sizeof *grown);
    if (!grown)
        return NULL;
    ld->tasks = grown;
    grown = &ld->tasks[ld->n_tasks];
    memset(grown, 0, sizeof *grown);
    grown->def = &task_section;
    grown->task_name = strndup(name, len);
    if (!grown->task_name)
        return NULL;
    ld->n_tasks++; /* freed with the loader from here on */
    if (!set_origin(&grown->origin, "%s:%d", ld->path,
                    ld->section_line ? ld->section_line : ld->line))
        return NULL;
    return grown;
}

static struct section *find_section(struct loader *ld, const char *name)
{
    size_t len = strlen(name);

    for (size_t i = 0; i < 3; i++)
        if (strcmp(name, fixed_sections[i].name) == 0)
            return &ld->fixed[i];
    if (strcmp(name, "placeholders") == 0)
        return &ld->placeholder_section;
    if (strncmp(name, "task \"", 6) == 0 && len > 7 && name[len - 1] == '"') {
        if (!valid_task_name(name + 6, len - 7)) {
            loader_fail(ld, "bad task name in [%s] (use letters, digits, '_', '-', '.')", name);
            return NULL;
        }
        struct section *s = task_section_for(ld, name + 6, len - 7);
        if (!s)
            loader_fail(ld, "out of memory");
        return s;
    }
    loader_fail(ld, "unknown section [%s]", name);
    return NULL;
}

static int key_index(const struct section_def *def, const char *name)
{
    for (size_t i = 0; i < def->n_keys; i++)
        if (strcmp(def->keys[i].name, name) == 0)
            return (int)i;
    return -1;
}

/* A *_file value: the secret's content with the trailing newline(s) stripped. */
static char *read_secret(const char *path, sw_err *err)
{
    FILE *f = fopen(path, "r");
    char *buf = NULL;
    size_t size = 0, len;

    if (!f) {
        sw_err_set(err, "cannot read '%s': %s", path, strerror(errno));
        return NULL;
    }
    len = getdelim(&buf, &size, '\0', f) > 0 ? strlen(buf) : 0;
    if (buf && len == 0)
        buf[0] = '\0'; /* an empty file: getdelim allocated but wrote nothing */
    if (ferror(f)) {
        sw_err_set(err, "cannot read '%s': %s", path, strerror(errno));
        fclose(f);
        free(buf);
        return NULL;
    }
    fclose(f);
    if (!buf && !(buf = strdup("")))
        sw_err_set(err, "out of memory");
    while (buf && len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
        buf[--len] = '\0';
    return buf;
}

/* Resolves the value for key[_file]: expands ${...}, then reads the file for *_file keys. */
static char *resolve_value(const char *value, bool is_file, sw_err *err)
{
    char *expanded = sw_expand(value, err);
    char *secret;

    if (!expanded || !is_file)
        return expanded;
    secret = read_secret(expanded, err);
    free(expanded);
    return secret;
}

/* A continuation line is expanded like a first line; inih r55 leaves its inline "; comment"
 * in, so that is cut here. A *_file value cannot continue: its file has been read already. */
static bool append_continuation(struct loader *ld, struct raw *raw, const char *name,
                                const char *value, bool is_file)
{
    size_t len = 0;
    char *piece, *expanded, *joined;
    sw_err verr;

    if (is_file)
        return loader_fail(ld, "%s: a file name cannot continue on the next line", name);
    while (value[len] && !(value[len] == ';' && len > 0 && isspace((unsigned char)value[len - 1])))
        len++;
    while (len > 0 && isspace((unsigned char)value[len - 1]))
        len--;
    piece = strndup(value, len);
    if (!piece)
        return loader_fail(ld, "out of memory");
    expanded = sw_expand(piece, &verr);
    free(piece);
    if (!expanded)
        return loader_fail(ld, "%s: %s", name, verr.msg);
    if (asprintf(&joined, "%s %s", raw->value, expanded) < 0) {
        free(expanded);
        return loader_fail(ld, "out of memory");
    }
    free(expanded);
    free(raw->value);
    raw->value = joined;
    return true;
}

/* [placeholders] takes any name: each is a ${name} of Flyway's. No environment override:
 * a value can name a variable itself, value = ${VAR}. */
static int on_placeholder(struct loader *ld, const char *name, const char *value)
{
    struct sw_placeholders *p = ld->placeholders;
    struct sw_placeholder *grown;
    sw_err verr;

    if (!valid_task_name(name, strlen(name)))
        return loader_fail(ld, "bad placeholder name '%s' (use letters, digits, '_', '-', '.')",
                           name);
    if (ld->continuation)
        return loader_fail(ld, "%s: a placeholder value cannot continue on the next line", name);
    for (size_t i = 0; i < p->n; i++)
        if (strcmp(p->items[i].name, name) == 0)
            return loader_fail(ld, "duplicate placeholder '%s'", name);
    grown = realloc(p->items, (p->n + 1) * sizeof *grown);
    if (!grown)
        return loader_fail(ld, "out of memory");
    p->items = grown;
    grown = &p->items[p->n];
    grown->name = strdup(name);
    grown->value = resolve_value(value, false, &verr);
    if (!grown->name || !grown->value) {
        free(grown->name);
        free(grown->value);
        return loader_fail(ld, "%s: %s", name, grown->name ? verr.msg : "out of memory");
    }
    p->n++;
    return 1;
}

static int on_key(void *user, const char *section, const char *name, const char *value)
{
    struct loader *ld = user;
    struct section *sec = ld->failed ? NULL : find_section(ld, section);
    char base[64];
    size_t len = strlen(name);
    bool is_file = len > 5 && strcmp(name + len - 5, "_file") == 0;
    int idx;
    struct raw *raw;
    sw_err verr;

    if (ld->failed || !sec)
        return 0;
    if (sec == &ld->placeholder_section)
        return on_placeholder(ld, name, value);
    snprintf(base, sizeof base, "%.*s", (int)(is_file ? len - 5 : len), name);
    idx = key_index(sec->def, base);
    if (idx < 0) {
        const char *near =
            sw_closest(base, &sec->def->keys[0].name, sec->def->n_keys, sizeof sec->def->keys[0]);
        if (near)
            return loader_fail(ld, "unknown key '%s' in [%s] (did you mean '%s%s'?)", name, section,
                               near, is_file ? "_file" : "");
        return loader_fail(ld, "unknown key '%s' in [%s]", name, section);
    }
    raw = &sec->raw[idx];
    if (ld->continuation && raw->line > 0)
        return append_continuation(ld, raw, name, value, is_file);
    if (raw->line > 0)
        return loader_fail(ld, "duplicate key '%s' (already set on line %d)", name, raw->line);
    free(raw->value);
    raw->value = resolve_value(value, is_file, &verr);
    if (!raw->value)
        return loader_fail(ld, "%s: %s", name, verr.msg);
    raw->line = ld->line;
    if (!set_origin(&raw->origin, "%s:%d", ld->path, ld->line))
        return loader_fail(ld, "out of memory");
    return 1;
}

static int parse_file(struct loader *ld)
{
    int rc;

    ld->file = fopen(ld->path, "r");
    if (!ld->file) {
        sw_err_set(ld->err, "config file %s: %s", ld->path, strerror(errno));
        return -1;
    }
    rc = ini_parse_stream(read_line, ld, on_key, ld);
    if (!ld->failed && ferror(ld->file)) {
        sw_err_set(ld->err, "%s: %s", ld->path, strerror(errno));
        ld->failed = true;
    }
    fclose(ld->file);
    if (ld->failed)
        return -1;
    if (rc != 0) {
        /* inih's own syntax errors (no '=', unclosed '['): it only gives the line. */
        sw_err_set(ld->err, "%s:%d: syntax error (expected [section] or key = value)", ld->path,
                   rc);
        return -1;
    }
    return 0;
}

/* ---- step 2: the environment -------------------------------------------------------------- */

static void env_name(char *out, size_t size, const struct section *sec, const char *key,
                     const char *suffix)
{
    int n = snprintf(out, size, "SLIPWAY_%s%s%s_%s%s", sec->task_name ? "TASK_" : "",
                     sec->task_name ? sec->task_name : sec->def->name, "", key, suffix);
    for (int i = 0; i < n && (size_t)i < size; i++)
        out[i] = isalnum((unsigned char)out[i]) ? (char)toupper((unsigned char)out[i]) : '_';
}

static int apply_env_key(struct section *sec, size_t k, sw_err *err)
{
    char plain[192], file[192];
    const char *pv, *fv;
    struct raw *raw = &sec->raw[k];
    char *value;
    sw_err verr;

    env_name(plain, sizeof plain, sec, sec->def->keys[k].name, "");
    env_name(file, sizeof file, sec, sec->def->keys[k].name, "_FILE");
    pv = getenv(plain);
    fv = getenv(file);
    if (pv && fv) {
        sw_err_set(err, "both %s and %s are set: use one", plain, file);
        return -1;
    }
    if (!pv && !fv)
        return 0;
    value = pv ? strdup(pv) : read_secret(fv, &verr);
    if (!value) {
        sw_err_set(err, "environment %s: %s", file, pv ? "out of memory" : verr.msg);
        return -1;
    }
    free(raw->value);
    raw->value = value;
    raw->line = 0;
    if (!set_origin(&raw->origin, "environment %s", pv ? plain : file)) {
        sw_err_set(err, "out of memory");
        return -1;
    }
    return 0;
}

/* Most containers set no SLIPWAY_* variable: one pass over the environment tells, and spares
 * every start-up the per-key lookups. */
static bool any_slipway_env(void)
{
    extern char **environ;

    for (char **e = environ; e && *e; e++)
        if (strncmp(*e, "SLIPWAY_", 8) == 0)
            return true;
    return false;
}

static int apply_env(struct section *sec, sw_err *err)
{
    for (size_t k = 0; k < sec->def->n_keys; k++)
        if (apply_env_key(sec, k, err) < 0)
            return -1;
    return 0;
}

/* ---- step 3: conversion ----------------------------------------------------------------- */

int sw_signal_map_apply(const struct sw_code_maps *map, int sig)
{
    for (size_t i = 0; i < map->n; i++)
        if (map->items[i].from == sig)
            return map->items[i].to;
    return sig;
}

int sw_signal_parse(const char *s, int *sig)
{
    char *end;
    long n;

    if (strncmp(s, "SIG", 3) == 0)
        s += 3;
    for (int i = 1; i < NSIG; i++) {
        const char *abbrev = sigabbrev_np(i);
        if (abbrev && strcmp(abbrev, s) == 0) {
            if (i == SIGKILL || i == SIGSTOP) /* refused by name as by number */
                return -1;
            *sig = i;
            return 0;
        }
    }
    n = strtol(s, &end, 10);
    if (*s == '\0' || *end != '\0' || n < 1 || n >= NSIG || n == SIGKILL || n == SIGSTOP)
        return -1;
    *sig = (int)n;
    return 0;
}

static int parse_bool(const char *s, bool *out)
{
    static const char *const yes[] = {"true", "yes", "on", "1"}, *const no[] = {"false", "no",
                                                                                "off", "0"};
    for (size_t i = 0; i < 4; i++) {
        if (strcmp(s, yes[i]) == 0 || strcmp(s, no[i]) == 0) {
            *out = strcmp(s, yes[i]) == 0;
            return 0;
        }
    }
    return -1;
}

static int parse_lint(const char *s, enum sw_lint_level *out)
{
    static const char *const names[] = {
        [SW_LINT_WARN] = "warn", [SW_LINT_ERROR] = "error", [SW_LINT_OFF] = "off"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        if (strcmp(s, names[i]) == 0) {
            *out = (enum sw_lint_level)i;
            return 0;
        }
    }
    return -1;
}

static int parse_u64(const char *s, struct sw_opt_u64 *out)
{
    char *end;

    out->set = *s != '\0';
    if (!out->set)
        return 0;
    if (*s < '0' || *s > '9')
        return -1;
    errno = 0;
    out->value = strtoull(s, &end, 10);
    return errno == 0 && *end == '\0' ? 0 : -1;
}

/* "42" or Flyway's "1.12.22". */
static int parse_version(const char *s, struct sw_opt_version *out)
{
    const char *why;

    out->set = *s != '\0';
    return out->set ? sw_version_parse(s, strlen(s), ".", &out->value, &why) : 0;
}

/* "143:0 130:0" or "143:0,130:0": child exit code -> slipway exit code, both 0..255. */
static int parse_code_map(const char *s, struct sw_code_maps *out)
{
    size_t cap = strlen(s) / 3 + 1;
    const char *p = s;

    out->items = calloc(cap, sizeof *out->items);
    if (!out->items)
        return -1;
    while (*p) {
        int from, to, used;
        if (*p == ' ' || *p == ',' || *p == '\t') {
            p++;
            continue;
        }
        if (sscanf(p, "%3d:%3d%n", &from, &to, &used) != 2 || from < 0 || from > 255 || to < 0 ||
            to > 255 || (p[used] && !strchr(" ,\t", p[used])) || out->n >= cap)
            return -1;
        out->items[out->n++] = (struct sw_code_map){from, to};
        p += used;
    }
    return 0;
}

static const char *const adopt_tools[] = {
    [SW_ADOPT_ANY] = "auto",
    [SW_ADOPT_GOLANG_MIGRATE] = "golang-migrate",
    [SW_ADOPT_DBMATE] = "dbmate",
    [SW_ADOPT_FLYWAY] = "flyway",
    [SW_ADOPT_NODE_PG_MIGRATE] = "node-pg-migrate",
};

const char *sw_adopt_tool_name(enum sw_adopt_tool tool)
{
    return adopt_tools[tool];
}

/* "auto", "off", or "TOOL:TABLE" for a history table the tool was told to name otherwise. */
static int parse_adopt(const char *s, struct sw_adopt_conf *out)
{
    const char *colon = strchr(s, ':');
    size_t len = colon ? (size_t)(colon - s) : strlen(s);

    *out = (struct sw_adopt_conf){.off = strcmp(s, "off") == 0};
    if (out->off || strcmp(s, "auto") == 0)
        return 0;
    if (!colon || !colon[1])
        return -1;
    for (size_t t = SW_ADOPT_GOLANG_MIGRATE; t < sizeof adopt_tools / sizeof *adopt_tools; t++) {
        if (strlen(adopt_tools[t]) == len && strncmp(s, adopt_tools[t], len) == 0) {
            out->tool = (enum sw_adopt_tool)t;
            out->table = strdup(colon + 1);
            return out->table ? 0 : -1;
        }
    }
    return -1;
}

/* "TERM:QUIT HUP:USR1" (or comma separated): a received signal -> the one forwarded. Names
 * or numbers as for stop_signal; a signal mapped twice is refused (which one would win?). */
static int parse_signal_map(const char *s, struct sw_code_maps *out)
{
    char *copy = strdup(s), *save = NULL;
    int rc = 0;

    out->items = calloc(strlen(s) / 3 + 1, sizeof *out->items);
    if (!copy || !out->items) {
        free(copy);
        return -1;
    }
    for (char *pair = strtok_r(copy, " ,\t", &save); pair && rc == 0;
         pair = strtok_r(NULL, " ,\t", &save)) {
        char *colon = strchr(pair, ':');
        struct sw_code_map m;
        rc = -1;
        if (!colon)
            break;
        *colon = '\0';
        if (sw_signal_parse(pair, &m.from) < 0 || sw_signal_parse(colon + 1, &m.to) < 0 ||
            sw_signal_map_apply(out, m.from) != m.from)
            break;
        out->items[out->n++] = m;
        rc = 0;
    }
    free(copy);
    return rc;
}

static int parse_names(const char *s, char ***out)
{
    char *copy = strdup(s);
    sw_err ignored;

    if (!copy)
        return -1;
    for (char *c = copy; *c; c++)
        if (*c == ',')
            *c = ' ';
    *out = sw_words_split(copy, &ignored);
    free(copy);
    return *out ? 0 : -1;
}

static const char *type_hint(enum key_type type)
{
    switch (type) {
    case K_BOOL:
        return "expected true or false";
    case K_DUR:
        return "expected 250ms, 10s, 5m, 1h, 0 or infinity";
    case K_SIG:
        return "expected a signal name such as TERM or QUIT";
    case K_U64:
        return "expected a non-negative integer";
    case K_VERSION:
        return "expected a version such as 42 or 1.12.22";
    case K_CODEMAP:
        return "expected FROM:TO pairs of exit codes 0-255, e.g. 143:0";
    case K_LINT:
        return "expected warn, error or off";
    case K_ADOPT:
        return "expected auto, off, or TOOL:TABLE with TOOL golang-migrate, dbmate, flyway or "
               "node-pg-migrate";
    case K_SIGMAP:
        return "expected FROM:TO pairs of signal names, e.g. TERM:QUIT";
    default:
        return "bad value";
    }
}

static int convert(const struct key_def *key, const char *value, void *base)
{
    void *field = (char *)base + key->off;

    switch (key->type) {
    case K_STR:
        return (*(char **)field = *value ? strdup(value) : NULL) || !*value ? 0 : -1;
    case K_BOOL:
        return parse_bool(value, field);
    case K_DUR:
        return sw_duration_parse(value, field);
    case K_SIG:
        return sw_signal_parse(value, field);
    case K_U64:
        return parse_u64(value, field);
    case K_VERSION:
        return parse_version(value, field);
    case K_CODEMAP:
        return parse_code_map(value, field);
    case K_SIGMAP:
        return parse_signal_map(value, field);
    case K_NAMES:
        return parse_names(value, field);
    case K_LINT:
        return parse_lint(value, field);
    case K_ADOPT:
        return parse_adopt(value, field);
    }
    return -1;
}

static int convert_section(const struct section *sec, void *base, sw_err *err)
{
    for (size_t k = 0; k < sec->def->n_keys; k++) {
        const struct key_def *key = &sec->def->keys[k];
        const struct raw *raw = &sec->raw[k];
        const char *value = raw->value ? raw->value : key->def;
        if (convert(key, value, base) < 0) {
            sw_err_set(err, "%s: bad value '%s' for %s (%s)", raw->value ? raw->origin : "default",
                       value, key->name, type_hint(key->type));
            return -1;
        }
    }
    return 0;
}

/* ---- validation across keys ---------------------------------------------------------------- */

static const char *origin_of(const struct section *sec, const char *key)
{
    int k = key_index(sec->def, key);
    return sec->raw[k].value ? sec->raw[k].origin : sec->origin;
}

static char **shell_argv(const char *command)
{
    char **argv = calloc(4, sizeof *argv);
    char *copy = strdup(command);
    if (!argv || !copy) {
        free(argv);
        free(copy);
        return NULL;
    }
    argv[0] = "/bin/sh";
    argv[1] = "-c";
    argv[2] = copy;
    return argv;
}

static int split_command(const char *command, bool shell, char ***argv, const char *origin,
                         sw_err *err)
{
    sw_err werr;

    *argv = shell ? shell_argv(command) : sw_words_split(command, &werr);
    if (*argv)
        return 0;
    sw_err_set(err, "%s: command: %s", origin, shell ? "out of memory" : werr.msg);
    return -1;
}

static int validate_task(struct sw_task *t, const struct section *sec, sw_err *err)
{
    if (!t->command) {
        sw_err_set(err, "%s: [task \"%s\"] has no command", sec->origin, t->name);
        return -1;
    }
    if (!t->version.set) {
        sw_err_set(err, "%s: [task \"%s\"] has no version", sec->origin, t->name);
        return -1;
    }
    if (split_command(t->command, false, &t->argv, origin_of(sec, "command"), err) < 0)
        return -1;
    if (!t->argv[0] || !t->argv[0][0]) { /* no word, or command = "" */
        sw_err_set(err, "%s: [task \"%s\"] has an empty command", origin_of(sec, "command"),
                   t->name);
        return -1;
    }
    return 0;
}

static int validate_wait_for(const struct sw_config *cfg, const struct section *serve, sw_err *err)
{
    for (char **n = cfg->serve.wait_for; *n; n++) {
        if (strcmp(*n, "database") != 0 && !sw_config_task(cfg, *n)) {
            sw_err_set(err, "%s: wait_for: '%s' is neither 'database' nor a [task] name",
                       origin_of(serve, "wait_for"), *n);
            return -1;
        }
    }
    return 0;
}

/* The history table name is pasted into SQL, so only plain (optionally schema-qualified)
 * identifiers are accepted. */
static bool valid_table(const char *s)
{
    int parts = 0;
    while (*s) {
        if (!(isalpha((unsigned char)*s) || *s == '_'))
            return false;
        while (isalnum((unsigned char)*s) || *s == '_')
            s++;
        if (++parts > 2 || (*s == '.' && !*++s))
            return false;
    }
    return parts > 0;
}

static bool valid_listen(const char *s)
{
    const char *colon = strrchr(s, ':');
    char *end;
    long port;

    if (!colon || colon == s)
        return false;
    port = strtol(colon + 1, &end, 10);
    return *end == '\0' && port > 0 && port < 65536;
}

/* PostgreSQL takes lock_timeout and statement_timeout in milliseconds as a 32-bit int: a
 * larger value would fail every migration at the server, after the upgrade started. */
static int validate_pg_timeout(const struct section *mig, const char *key, int64_t ms, sw_err *err)
{
    if (ms <= INT32_MAX)
        return 0;
    sw_err_set(err,
               "%s: %s is longer than PostgreSQL allows (%d ms, about 24 days); use 0 or "
               "infinity for none",
               origin_of(mig, key), key, INT32_MAX);
    return -1;
}

/* A heartbeat must tick: 0 or infinity would register a replica that then expires. A TTL of
 * 0 would count every replica as gone, infinity none. */
static int validate_fleet(const struct sw_config *cfg, const struct loader *ld, sw_err *err)
{
    if (cfg->serve.fleet && cfg->serve.heartbeat_ms <= 0) {
        sw_err_set(err, "%s: heartbeat must be a positive duration (or set fleet = false)",
                   origin_of(&ld->fixed[0], "heartbeat"));
        return -1;
    }
    if (cfg->migrations.fleet_ttl_ms <= 0) {
        sw_err_set(err, "%s: fleet_ttl must be a positive duration",
                   origin_of(&ld->fixed[2], "fleet_ttl"));
        return -1;
    }
    return 0;
}

static int validate(struct sw_config *cfg, struct loader *ld, sw_err *err)
{
    const struct section *serve = &ld->fixed[0];

    if (validate_pg_timeout(&ld->fixed[2], "lock_timeout", cfg->migrations.lock_timeout_ms, err) <
            0 ||
        validate_pg_timeout(&ld->fixed[2], "statement_timeout",
                            cfg->migrations.statement_timeout_ms, err) < 0)
        return -1;

    if (cfg->serve.command && split_command(cfg->serve.command, cfg->serve.shell, &cfg->serve.argv,
                                            origin_of(serve, "command"), err) < 0)
        return -1;
    for (size_t i = 0; i < cfg->n_tasks; i++)
        if (validate_task(&cfg->tasks[i], &ld->tasks[i], err) < 0)
            return -1;
    if (validate_wait_for(cfg, serve, err) < 0)
        return -1;
    /* An empty value converts to NULL, and every command reads this directory. */
    if (!cfg->migrations.dir) {
        sw_err_set(err, "%s: dir is empty (expected the migrations directory)",
                   origin_of(&ld->fixed[2], "dir"));
        return -1;
    }
    if (!cfg->migrations.table || !valid_table(cfg->migrations.table)) {
        sw_err_set(err, "%s: bad table name '%s' (expected name or schema.name)",
                   origin_of(&ld->fixed[2], "table"),
                   cfg->migrations.table ? cfg->migrations.table : "");
        return -1;
    }
    if (cfg->serve.health_listen && !valid_listen(cfg->serve.health_listen)) {
        sw_err_set(err, "%s: bad health_listen '%s' (expected HOST:PORT)",
                   origin_of(serve, "health_listen"), cfg->serve.health_listen);
        return -1;
    }
    return validate_fleet(cfg, ld, err);
}

/* ---- assembly ------------------------------------------------------------------------------ */

static int fallback_database_url(struct sw_config *cfg, sw_err *err)
{
    const char *env = getenv("DATABASE_URL");

    if (cfg->database.url || !env || !*env)
        return 0;
    cfg->database.url = strdup(env);
    if (!cfg->database.url) {
        sw_err_set(err, "out of memory");
        return -1;
    }
    return 0;
}

static int build_config(struct sw_config *cfg, struct loader *ld, sw_err *err)
{
    bool env = any_slipway_env();

    for (size_t i = 0; i < 3; i++)
        if ((env && apply_env(&ld->fixed[i], err) < 0) ||
            convert_section(&ld->fixed[i], cfg, err) < 0)
            return -1;
    cfg->tasks = calloc(ld->n_tasks ? ld->n_tasks : 1, sizeof *cfg->tasks);
    if (!cfg->tasks) {
        sw_err_set(err, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < ld->n_tasks; i++) {
        struct sw_task *t = &cfg->tasks[i];
        cfg->n_tasks++;
        snprintf(t->origin, sizeof t->origin, "%s", ld->tasks[i].origin);
        if (env && apply_env(&ld->tasks[i], err) < 0) /* needs task_name for the names */
            return -1;
        t->name = ld->tasks[i].task_name;
        ld->tasks[i].task_name = NULL;
        if (convert_section(&ld->tasks[i], t, err) < 0)
            return -1;
    }
    if (fallback_database_url(cfg, err) < 0)
        return -1;
    return validate(cfg, ld, err);
}

static void free_section(struct section *sec)
{
    for (size_t k = 0; k < MAX_KEYS; k++) {
        free(sec->raw[k].value);
        free(sec->raw[k].origin);
    }
    free(sec->task_name);
    free(sec->origin);
}

/* -c FILE and $SLIPWAY_CONFIG name a file that must exist; the default path may be absent. */
static const char *config_path(const char *explicit_path, bool *must_exist)
{
    const char *env = getenv("SLIPWAY_CONFIG");

    *must_exist = true;
    if (explicit_path)
        return explicit_path;
    if (env && *env)
        return env;
    *must_exist = false;
    return SW_DEFAULT_CONFIG;
}

int sw_config_load(struct sw_config *cfg, const char *explicit_path, sw_err *err)
{
    struct loader ld = {.err = err, .placeholders = &cfg->placeholders};
    bool must_exist;
    int rc = 0;

    memset(cfg, 0, sizeof *cfg);
    ld.path = config_path(explicit_path, &must_exist);
    for (size_t i = 0; i < 3; i++) {
        ld.fixed[i].def = &fixed_sections[i];
        ld.fixed[i].origin = strdup(ld.path);
        if (!ld.fixed[i].origin) {
            sw_err_set(err, "out of memory");
            rc = -1;
        }
    }
    if (rc == 0 && (must_exist || access(ld.path, F_OK) == 0)) {
        cfg->path = strdup(ld.path);
        rc = cfg->path ? parse_file(&ld) : -1;
    }
    if (rc == 0)
        rc = build_config(cfg, &ld, err);
    for (size_t i = 0; i < 3; i++)
        free_section(&ld.fixed[i]);
    for (size_t i = 0; i < ld.n_tasks; i++)
        free_section(&ld.tasks[i]);
    free(ld.tasks);
    if (rc < 0)
        sw_config_free(cfg);
    return rc;
}

void sw_config_free(struct sw_config *cfg)
{
    free(cfg->path);
    free(cfg->serve.command);
    if (cfg->serve.shell && cfg->serve.argv) {
        free(cfg->serve.argv[2]);
        free(cfg->serve.argv);
    } else {
        sw_words_free(cfg->serve.argv);
    }
    free(cfg->serve.exit_code_map.items);
    free(cfg->serve.signal_map.items);
    free(cfg->serve.user);
    sw_words_free(cfg->serve.wait_for);
    free(cfg->serve.health_socket);
    free(cfg->serve.health_listen);
    free(cfg->serve.image);
    free(cfg->database.url);
    free(cfg->migrations.dir);
    free(cfg->migrations.table);
    free(cfg->migrations.adopt.table);
    for (size_t i = 0; i < cfg->n_tasks; i++) {
        free(cfg->tasks[i].name);
        free(cfg->tasks[i].command);
        sw_words_free(cfg->tasks[i].argv);
    }
    free(cfg->tasks);
    for (size_t i = 0; i < cfg->placeholders.n; i++) {
        free(cfg->placeholders.items[i].name);
        free(cfg->placeholders.items[i].value);
    }
    free(cfg->placeholders.items);
    memset(cfg, 0, sizeof *cfg);
}

const struct sw_task *sw_config_task(const struct sw_config *cfg, const char *name)
{
    for (size_t i = 0; i < cfg->n_tasks; i++)
        if (strcmp(cfg->tasks[i].name, name) == 0)
            return &cfg->tasks[i];
    return NULL;
}

bool sw_config_serve_needs_database(const struct sw_config *cfg)
{
    return cfg->serve.wait_for && cfg->serve.wait_for[0];
}

bool sw_config_serve_has_database(const struct sw_config *cfg)
{
    return cfg->database.url || sw_config_serve_needs_database(cfg);
}
