/* Health (README "Health and readiness"): what this image requires, and whether the
 * database has it. Healthy when every dependency's recorded version is at least the required
 * one (and, with max_ahead, not too far ahead): the schema version, and the version of every
 * `required` task. */
#ifndef SLIPWAY_HEALTH_HEALTH_H
#define SLIPWAY_HEALTH_HEALTH_H

#include "base/err.h"
#include "base/version.h"
#include "config/config.h"
#include "pg/db.h"

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

struct sw_requirements {
    bool database;                /* the database is a dependency */
    bool has_schema;              /* [database] requires is set, or a migration is shipped */
    struct sw_version schema;     /* [database] requires, else the highest migration shipped */
    const struct sw_task **tasks; /* tasks whose version is required */
    size_t n_tasks;
    struct sw_version *shipped; /* the migrations' versions, to count the pending ones */
    size_t n_shipped;
    bool shipped_known; /* false when the directory could not be read (`requires` was set) */
};

/* Dependencies an answer details; more required tasks than this are judged but not listed. */
#define SW_HEALTH_DEPS_MAX 16

/* One dependency as a check saw it (what /metrics shows). */
struct sw_dep_seen {
    const char *name;          /* "database" or the task's name (the config owns it) */
    bool has_version;          /* something was recorded */
    struct sw_version version; /* recorded */
    bool compatible;           /* at least at the version required, and within max_ahead */
};

struct sw_health {
    bool healthy;
    char line[512];    /* one line: what is behind or ahead, or what is satisfied */
    bool reachable;    /* the database answered this check: the fields below are its answer */
    double checked_at; /* when, in seconds since the epoch; 0: not checked yet */
    bool has_schema;   /* a migration was applied */
    struct sw_version schema; /* schema version recorded */
    size_t pending;           /* shipped migrations newer than schema */
    bool pending_known;
    struct sw_dep_seen deps[SW_HEALTH_DEPS_MAX];
    size_t n_deps;
};

/* What `health` checks, from the config and the migration file names (no file is read:
 * health must be cheap): the schema when migrations are shipped or `requires` is set, and
 * every `required` task. */
int sw_requirements_load(struct sw_requirements *req, const struct sw_config *cfg, sw_err *err);
/* Just the dependencies named in only ("database" or task names: `wait_for`), at the schema
 * version all found, so the migrations directory is read once. */
int sw_requirements_narrow(struct sw_requirements *req, const struct sw_requirements *all,
                           const struct sw_config *cfg, char *const *only, sw_err *err);
void sw_requirements_free(struct sw_requirements *req);
bool sw_requirements_any(const struct sw_requirements *req);

/* One short query on db; -1 with err when it failed (the connection is then suspect). */
int sw_health_query(struct sw_db *db, const struct sw_config *cfg,
                    const struct sw_requirements *req, struct sw_health *h, sw_err *err);

/* Connects on a private loop (one attempt, connect_timeout), queries, disconnects. Safe to
 * call from a worker thread. An unreachable database is unhealthy, with the reason. */
void sw_health_check_direct(const struct sw_config *cfg, const struct sw_requirements *req,
                            struct sw_health *h);

/* Runs loop until healthy (LISTEN slipway: re-checked on every NOTIFY and, as a safety net,
 * every 30 s), reconnecting with backoff when the database goes away. Returns 0 when healthy;
 * 3 after timeout_ms (-1: none); 128+N once *stop is N. on_state, when not NULL, hears every
 * new answer (the supervisor serves it to health probes meanwhile). */
typedef void (*sw_health_cb)(const struct sw_health *h, void *arg);
int sw_health_wait(uv_loop_t *loop, int *stop, const struct sw_config *cfg,
                   const struct sw_requirements *req, int64_t timeout_ms, sw_health_cb on_state,
                   void *arg);

#endif
