/* Starting a server or task process the way a PID 1 should: own process group (and the
 * terminal's foreground group when there is one), default signal dispositions, empty signal
 * mask, no inherited fds above 2, optional user switch. */
#ifndef SLIPWAY_PID1_SPAWN_H
#define SLIPWAY_PID1_SPAWN_H

#include "base/err.h"

#include <stdbool.h>
#include <sys/types.h>

struct sw_user {
    bool set;
    uid_t uid;
    gid_t gid;
    char *name;
    char *home;
};

/* Resolves "name" or a numeric uid through the passwd database; -1 with err if unknown. */
int sw_user_lookup(const char *spec, struct sw_user *user, sw_err *err);
void sw_user_free(struct sw_user *user);

/* Starts argv[0] (PATH search) in a new process group and returns its pid once it has
 * exec'd. -1 when no server runs: err says why and *exit_code is 127 (not found) or 126
 * (anything else, including no process at all); a child that failed to exec is reaped. */
pid_t sw_spawn(char *const argv[], const struct sw_user *user, int *exit_code, sw_err *err);

/* Replaces the current process with argv after the same preparation; returns the exit code
 * (127/126) with err set when exec failed. */
int sw_exec(char *const argv[], const struct sw_user *user, sw_err *err);

/* 127 for "not found", 126 for every other reason a command cannot be executed. */
int sw_exec_failure_code(int errnum);

#endif
