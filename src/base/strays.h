/* Signals that must not kill slipway silently. */
#ifndef SLIPWAY_BASE_STRAYS_H
#define SLIPWAY_BASE_STRAYS_H

/* The strays: every signal whose default action would end slipway without a word but that
 * does not mean "stop": SIGPIPE (a reader of our output went away: the write fails with
 * EPIPE), USR1, USR2, ALRM, VTALRM, PROF, IO, XCPU, XFSZ, STKFLT, PWR and the real-time
 * signals. TERM, INT, QUIT and HUP keep their meaning, the fault signals their default action.
 *
 * Blocks the strays, first thing at start-up (one system call): a blocked signal waits,
 * whatever its disposition. Serve mode leaves them blocked and reads them from its signalfd
 * (pid1/sigwatch.c), which forwards them; every spawned process starts with the default mask
 * and dispositions (pid1/spawn.c). Returns -1 with errno on failure. */
int sw_hold_stray_signals(void);

/* For the modes that talk to the database: ignores the strays, then unblocks them (those that
 * arrived meanwhile are dropped). Returns -1 with errno if one cannot be set. */
int sw_ignore_stray_signals(void);

#endif
