/* The contract floor in health answers (README "Fleet and contract migrations"): an image
 * whose requirement is below the floor of an applied contract migration can no longer run on
 * the schema. The older image learns it from the history alone (contract_floor), not from
 * the newer release's files. */
#ifndef SLIPWAY_FLEET_FLOOR_H
#define SLIPWAY_FLEET_FLOOR_H

#include "base/version.h"

#include <stdbool.h>
#include <stddef.h>

/* A row for the health query's UNION: (name, "VERSION FLOOR") of the applied contract
 * migration with the highest floor, none when there is none. It reads the column through
 * to_jsonb so that a history written before contract_floor existed still answers (no
 * row). qtable: the quoted history table. malloc'd, NULL when out of memory. */
char *sw_floor_sql(const char *name, const char *qtable);

/* Given that row's value (NULL: no contract applied) and this image's requirement: true when
 * the image is below the floor, with the line "database: contracted at 12 past this image
 * (needs >= 11, this image requires 10)". */
bool sw_floor_breaks(const char *value, const struct sw_version *requires, char *line, size_t size);

#endif
