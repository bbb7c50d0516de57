#include "pid1/sigwatch.h"

#include "base/log.h"

#include <errno.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

/* Signals taken per wake-up. A storm can queue tens of thousands of real-time signals, and
 * taking one off a deep queue costs the kernel time in proportion to its depth: draining it
 * all in one callback would starve the reaper and the timers for seconds. The poll is
 * level-triggered, so what is left wakes the loop again after the other handles had their
 * turn; and standard signals (SIGCHLD, SIGTERM) come off the queue before real-time ones. */
#define BATCHES_PER_WAKEUP 4

/* A write to a broken pipe raises SIGPIPE "from" the writer itself (si_code SI_USER, si_pid
 * our own pid, as kill() would); a terminal's SIGINT comes with SI_KERNEL and a fault with a
 * positive, signal-specific code. */
static enum sw_sig_origin origin_of(const struct signalfd_siginfo *info)
{
    int code = info->ssi_code;

    if (code != SI_USER && code != SI_QUEUE && code != SI_TKILL)
        return SW_SIG_KERNEL;
    return (pid_t)info->ssi_pid == getpid() ? SW_SIG_SELF : SW_SIG_SENT;
}

static void on_readable(uv_poll_t *h, int status, int events)
{
    struct sw_sigwatch *w = h->data;
    struct signalfd_siginfo info[16];
    ssize_t n = 0;
    (void)events;

    if (status < 0)
        return;
    for (int b = 0; b < BATCHES_PER_WAKEUP && (n = read(w->fd, info, sizeof info)) > 0; b++)
        for (size_t i = 0; i < (size_t)n / sizeof info[0]; i++)
            w->cb((int)info[i].ssi_signo, origin_of(&info[i]), w->arg);
    if (n < 0 && errno != EAGAIN && errno != EINTR)
        sw_warn("reading signals: %s", strerror(errno));
}

/* An inherited SIG_IGN of SIGCHLD makes the kernel reap our children itself, exit statuses
 * lost: it goes back to the default. Other inherited SIG_IGNs do not matter here: the kernel
 * never ignores a blocked signal, it queues it for the signalfd. */
static int take_sigchld(const sigset_t *set)
{
    struct sigaction dfl = {.sa_handler = SIG_DFL};

    return sigismember(set, SIGCHLD) == 1 ? sigaction(SIGCHLD, &dfl, NULL) : 0;
}

int sw_sigwatch_start(struct sw_sigwatch *w, uv_loop_t *loop, const sigset_t *set,
                      sw_sigwatch_cb cb, void *arg)
{
    int rc;

    w->cb = cb;
    w->arg = arg;
    w->fd = -1;
    if (take_sigchld(set) < 0 || sigprocmask(SIG_BLOCK, set, NULL) < 0) {
        sw_error("cannot block signals: %s", strerror(errno));
        return -1;
    }
    w->fd = signalfd(-1, set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (w->fd < 0) {
        sw_error("signalfd: %s", strerror(errno));
        return -1;
    }
    rc = uv_poll_init(loop, &w->poll, w->fd);
    if (rc == 0) {
        w->poll.data = w;
        rc = uv_poll_start(&w->poll, UV_READABLE, on_readable);
    } else {
        close(w->fd);
        w->fd = -1;
    }
    if (rc < 0) {
        sw_error("cannot watch signals: %s", uv_strerror(rc));
        return -1;
    }
    return 0;
}

void sw_sigwatch_close(struct sw_sigwatch *w)
{
    if (w->fd < 0)
        return;
    if (!uv_is_closing((uv_handle_t *)&w->poll))
        uv_close((uv_handle_t *)&w->poll, NULL);
    close(w->fd); /* uv_close has already taken it out of the epoll set */
    w->fd = -1;
}
