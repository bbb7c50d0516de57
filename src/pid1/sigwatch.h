/* Signals as events on a libuv loop, through one signalfd.
 *
 * Why not uv_signal_t: a PID 1 watches every catchable signal, and each uv_signal_start()
 * costs five system calls (libuv masks signals and takes its global lock pipe around every
 * sigaction), ~620 system calls per start for 61 signals, measured at 115-140 us of a 2 ms
 * start-up (bench/serve). Blocking the signals and reading them from a signalfd, polled by the
 * loop like any fd, costs three. It also queues instead of interrupting: no handler runs in
 * the middle of our code, nothing can run in a forked child before it resets its mask. */
#ifndef SLIPWAY_PID1_SIGWATCH_H
#define SLIPWAY_PID1_SIGWATCH_H

#include <signal.h>
#include <uv.h>

/* Who raised a signal, from its siginfo. */
enum sw_sig_origin {
    SW_SIG_SENT,   /* kill(), sigqueue() or tgkill() by another process (docker kill, kubelet) */
    SW_SIG_SELF,   /* raised by the kernel for one of our own calls: SIGPIPE, SIGXFSZ of a write */
    SW_SIG_KERNEL, /* everything else: SIGCHLD, a fault, a terminal's SIGINT/SIGWINCH, SIGIO */
};

typedef void (*sw_sigwatch_cb)(int sig, enum sw_sig_origin origin, void *arg);

struct sw_sigwatch {
    uv_poll_t poll;
    int fd;
    sw_sigwatch_cb cb;
    void *arg;
};

/* Blocks the signals of set and calls cb for each one received. A signal ignored by
 * inheritance (SIGINT of a background job) still arrives: the kernel never ignores a blocked
 * signal. SIGCHLD is set back to SIG_DFL if it is in set: ignored, it would reap children
 * behind our back. */
int sw_sigwatch_start(struct sw_sigwatch *w, uv_loop_t *loop, const sigset_t *set,
                      sw_sigwatch_cb cb, void *arg);
/* Closes the watcher (the loop must run once more to finish). The signals stay blocked:
 * unblocking would deliver whatever is pending with its default action, e.g. kill us while
 * we exit; children reset their mask themselves (spawn.c). */
void sw_sigwatch_close(struct sw_sigwatch *w);

#endif
