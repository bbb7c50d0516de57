/* Reaping and signalling every descendant, as PID 1 of a container or, elsewhere, as a child
 * subreaper, so that orphans of the server are ours to wait for either way. */
#ifndef SLIPWAY_PID1_REAPER_H
#define SLIPWAY_PID1_REAPER_H

#include <stdbool.h>
#include <sys/types.h>

typedef void (*sw_exit_cb)(pid_t pid, int status, void *arg);

/* When not PID 1, orphans would go to the real init: ask the kernel to give them to us. */
int sw_become_subreaper(void);

/* Reaps every exited child without blocking, calling on_exit for each. Returns true when no
 * child is left at all (waitpid says ECHILD). */
bool sw_reap_all(sw_exit_cb on_exit, void *arg);

/* Sends sig to every process below us: kill(-1) as PID 1 (the whole namespace but us),
 * otherwise each direct child found in /proc (deeper ones are reparented to us as their
 * parents die, and get it on the next call). */
void sw_signal_descendants(int sig);

#endif
