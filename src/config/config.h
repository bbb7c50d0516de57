/* The configuration (README "Configuration"): INI file, environment overrides, ${VAR}
 * expansion, *_file secrets, typed and validated before anything runs. */
#ifndef SLIPWAY_CONFIG_CONFIG_H
#define SLIPWAY_CONFIG_CONFIG_H

#include "base/err.h"
#include "base/version.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SW_DEFAULT_CONFIG "/etc/slipway/slipway.ini"

struct sw_opt_u64 {
    bool set;
    uint64_t value;
};

struct sw_opt_version {
    bool set;
    struct sw_version value;
};

struct sw_code_map {
    int from, to;
};

struct sw_code_maps {
    struct sw_code_map *items;
    size_t n;
};

struct sw_task {
    char *name;
    char *command;
    char **argv; /* command split into words */
    struct sw_opt_u64 version;
    int64_t timeout_ms; /* SW_DURATION_INFINITY: none */
    bool required;
    char origin[256]; /* "FILE:LINE" of the section header, for messages */
};

struct sw_serve {
    char *command;
    char **argv; /* command split into words, or {"/bin/sh", "-c", command} with shell */
    bool shell;
    bool exec;
    int stop_signal;
    int64_t stop_timeout_ms;
    bool signal_group;
    struct sw_code_maps signal_map; /* received signal -> forwarded signal */
    struct sw_code_maps exit_code_map;
    char *user;
    char **wait_for; /* NULL-terminated names: "database" or task names */
    int64_t wait_timeout_ms;
    char *health_socket;
    char *health_listen;
    char *image;          /* this image's label: /metrics and the fleet, e.g. ${IMAGE_TAG} */
    bool fleet;           /* register this replica in slipway_fleet (with a database) */
    int64_t heartbeat_ms; /* how often the registration is refreshed */
};

struct sw_database {
    char *url; /* NULL: libpq defaults (PGHOST, PGUSER...) */
    int64_t connect_timeout_ms;
    int64_t wait_ms;
    struct sw_opt_version requires;
    struct sw_opt_u64 max_ahead;
};

/* [migrations] lint: what lint findings do (README "Lint"). */
enum sw_lint_level { SW_LINT_WARN, SW_LINT_ERROR, SW_LINT_OFF };

/* [migrations] adopt: whose history a first upgrade takes over (README "Adoption"). */
enum sw_adopt_tool {
    SW_ADOPT_ANY, /* auto: look for every tool's table under its default name */
    SW_ADOPT_GOLANG_MIGRATE,
    SW_ADOPT_DBMATE,
    SW_ADOPT_FLYWAY,
    SW_ADOPT_NODE_PG_MIGRATE,
};

struct sw_adopt_conf {
    bool off;
    enum sw_adopt_tool tool;
    char *table; /* TOOL:TABLE: the table as the tool was told to name it, else NULL */
};

struct sw_migrations_conf {
    char *dir;
    char *table;
    int64_t lock_wait_ms;
    int64_t lock_timeout_ms;
    int64_t statement_timeout_ms;
    bool out_of_order;
    enum sw_lint_level lint;
    struct sw_adopt_conf adopt;
    struct sw_opt_version baseline;
    int64_t contract_wait_ms; /* how long --upgrade waits for older replicas (-1: forever) */
    int64_t fleet_ttl_ms;     /* a replica not seen for this long is gone */
};

/* [placeholders]: Flyway's ${name} in Flyway-format migrations becomes value. */
struct sw_placeholder {
    char *name;
    char *value;
};

struct sw_placeholders {
    struct sw_placeholder *items;
    size_t n;
};

struct sw_config {
    char *path; /* the file read, or NULL when the default file was absent */
    struct sw_serve serve;
    struct sw_database database;
    struct sw_migrations_conf migrations;
    struct sw_task *tasks;
    size_t n_tasks;
    struct sw_placeholders placeholders;
};

/* Resolves the file from explicit (-c) / $SLIPWAY_CONFIG / the default path, reads and
 * validates it. Returns 0, or -1 with a one-line message ("FILE:LINE: ...") in err. */
int sw_config_load(struct sw_config *cfg, const char *explicit_path, sw_err *err);
void sw_config_free(struct sw_config *cfg);
/* "golang-migrate", "dbmate", "flyway", "node-pg-migrate" (SW_ADOPT_ANY: "auto"). */
const char *sw_adopt_tool_name(enum sw_adopt_tool tool);
const struct sw_task *sw_config_task(const struct sw_config *cfg, const char *name);
/* True when serve mode needs the database (wait_for names something). */
bool sw_config_serve_needs_database(const struct sw_config *cfg);
/* True when a database is configured for serve mode: a url ([database] url, url_file or
 * DATABASE_URL) or a wait_for. Without one a supervisor never loads libpq. */
bool sw_config_serve_has_database(const struct sw_config *cfg);

int sw_signal_parse(const char *s, int *sig);
/* The signal to forward for sig under signal_map (sig itself when not mapped). */
int sw_signal_map_apply(const struct sw_code_maps *map, int sig);

#endif
