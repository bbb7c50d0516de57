/* Running one [task "name"] (README "Migrations", "Configuration").
 *
 * The task runs in its own process group (sw_spawn), with the stdio of slipway unless
 * tee_pid1 is set: then its stdout/stderr also go to PID 1's, the container log. Its exit is learnt
 * from SIGCHLD on the caller's libuv loop, then reaped with waitpid() on its pid only: in upgrade
 * and task mode it is our only child. A stop request (the session's signal watchers) is forwarded
 * to the task's process group, and the group is SIGKILLed [serve] stop_timeout later; the task's
 * own timeout SIGKILLs it too. While it runs, the session holding the upgrade lock is watched
 * and pinged: once it is lost, another upgrader may start the same task, so this one is
 * stopped at once (SIGTERM to its group, SIGKILL after stop_timeout) and not recorded. */
#ifndef SLIPWAY_TASKS_TASKS_H
#define SLIPWAY_TASKS_TASKS_H

#include "base/err.h"
#include "config/config.h"
#include "pg/session.h"

#include <stdbool.h>

/* Runs task under the session's lock and records its configured version on success (with a
 * NOTIFY). Returns the exit code: 0, 1 when it failed (logged, naming the task), 128+N when
 * stopped. */
int sw_task_apply(struct sw_session *s, const struct sw_task *task, bool tee_pid1);

/* True when slipway is not PID 1 but PID 1 is slipway: a `slipway task` through kubectl exec
 * into a long-lived container whose log is PID 1's output. */
bool sw_task_pid1_is_slipway(void);

#endif
