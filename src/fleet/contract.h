/* The gate of a contract migration in --upgrade (README "Fleet and contract migrations"):
 * it runs only once no live replica requires less than its floor. */
#ifndef SLIPWAY_FLEET_CONTRACT_H
#define SLIPWAY_FLEET_CONTRACT_H

#include "migdir/migration.h"
#include "pg/session.h"

#include <stdbool.h>

/* Before applying m: SW_EXIT_OK at once when m is not a contract migration or no live
 * replica requires less than its floor. Otherwise waits up to [migrations] contract_wait,
 * naming the replicas every 5 s and re-checking every second and on every NOTIFY
 * slipway_fleet (a replica leaving), then SW_EXIT_CONTRACT with them named. force: the
 * operator's --force-contract: SW_EXIT_OK after a warning naming them. Uses the session's
 * control connection (the upgrade lock's): 128+N on a stop, 1 when the registry cannot be
 * read. */
int sw_contract_wait(struct sw_session *s, const struct sw_migration *m, bool force);

#endif
