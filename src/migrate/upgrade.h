/* `slipway --upgrade`: migrations and tasks, once. Returns the process exit code. watch (NULL:
 * none) hears of the session (pg/session.h), and reads its progress as the upgrade goes. */
#ifndef SLIPWAY_MIGRATE_UPGRADE_H
#define SLIPWAY_MIGRATE_UPGRADE_H

#include "config/cli.h"
#include "config/config.h"
#include "pg/session.h"

int sw_upgrade_main(const struct sw_config *cfg, const struct sw_cli *cli,
                    const struct sw_session_watch *watch);

#endif
