/* slipway_fleet (README "Fleet and contract migrations"): one row per serving replica,
 * written by its supervisor's heartbeat, read by --upgrade before a contract migration and by
 * `status`. The table is created with the other slipway tables (pg/history.c). */
#ifndef SLIPWAY_FLEET_REGISTRY_H
#define SLIPWAY_FLEET_REGISTRY_H

#include "base/err.h"
#include "base/version.h"
#include "config/config.h"
#include "pg/db.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The NOTIFY channel of a replica leaving: a waiting upgrade re-checks at once. */
#define SW_FLEET_CHANNEL "slipway_fleet"

struct sw_replica {
    char *instance;
    char *image; /* "" when the image has no label */
    bool has_requires;
    struct sw_version requires; /* the schema version its image requires */
    double seen_ago_s;          /* since its last heartbeat, by the server's clock */
};

struct sw_fleet {
    struct sw_replica *items; /* by requirement, image, instance */
    size_t n;
};

/* The registry's name for a supervisor, which resolves no schema: slipway_fleet in the
 * history table's configured schema, else unqualified (search_path), as health finds the
 * tasks table. */
void sw_fleet_table(const struct sw_config *cfg, char *buf, size_t size);

/* Inserts or refreshes this replica's row (last_seen = now()). image and requires may be
 * NULL; started is the supervisor's start, in seconds since the epoch. */
int sw_fleet_beat(struct sw_db *db, const char *table, const char *instance, const char *image,
                  const struct sw_version *requires, long long started, sw_err *err);
/* Deletes it and, when there was one, notifies SW_FLEET_CHANNEL. */
int sw_fleet_leave(struct sw_db *db, const char *table, const char *instance, sw_err *err);

/* The live replicas (seen within ttl_ms); with below, only those requiring less. */
int sw_fleet_read(struct sw_db *db, const char *table, int64_t ttl_ms,
                  const struct sw_version *below, struct sw_fleet *out, sw_err *err);
void sw_fleet_free(struct sw_fleet *f);
/* The end of the group of replicas that starts at i: same image, same requirement. */
size_t sw_fleet_group_end(const struct sw_fleet *f, size_t i);

#endif
