/* Signals that must not kill slipway silently. */
#ifndef SLIPWAY_BASE_STRAYS_H
#define SLIPWAY_BASE_STRAYS_H

/* Ignores every signal whose default action would end slipway without a word but that does
 * not mean "stop": SIGPIPE (a reader of our output went away: the write fails with EPIPE, the
 * upgrade goes on), USR1, USR2, ALRM, VTALRM, PROF, IO, XCPU, XFSZ, STKFLT, PWR and the
 * real-time signals. TERM, INT, QUIT and HUP keep their meaning (the modes that talk to the
 * database stop cleanly on them), and the fault signals their default action. Serve mode
 * watches all of these itself and forwards them; every spawned process starts with default
 * dispositions (pid1/spawn.c). Returns -1 with errno if one cannot be set. */
int sw_ignore_stray_signals(void);

#endif
