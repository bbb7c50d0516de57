#include "base/strays.h"

#include <signal.h>
#include <stddef.h>

static void stray_set(sigset_t *set)
{
    static const int strays[] = {SIGPIPE, SIGUSR1, SIGUSR2, SIGALRM, SIGVTALRM, SIGPROF,
                                 SIGIO,   SIGXCPU, SIGXFSZ, SIGPWR,  SIGSTKFLT};

    sigemptyset(set);
    for (size_t i = 0; i < sizeof strays / sizeof strays[0]; i++)
        sigaddset(set, strays[i]);
    for (int sig = SIGRTMIN; sig <= SIGRTMAX; sig++)
        sigaddset(set, sig);
}

int sw_hold_stray_signals(void)
{
    sigset_t set;

    stray_set(&set);
    return sigprocmask(SIG_BLOCK, &set, NULL);
}

int sw_ignore_stray_signals(void)
{
    struct sigaction ign = {.sa_handler = SIG_IGN};
    sigset_t set;

    stray_set(&set);
    for (int sig = 1; sig < NSIG; sig++)
        if (sigismember(&set, sig) == 1 && sigaction(sig, &ign, NULL) < 0)
            return -1;
    return sigprocmask(SIG_UNBLOCK, &set, NULL);
}
