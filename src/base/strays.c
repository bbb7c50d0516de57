#include "base/strays.h"

#include <signal.h>
#include <stddef.h>

int sw_ignore_stray_signals(void)
{
    static const int strays[] = {SIGPIPE, SIGUSR1, SIGUSR2, SIGALRM, SIGVTALRM, SIGPROF,
                                 SIGIO,   SIGXCPU, SIGXFSZ, SIGPWR,  SIGSTKFLT};
    struct sigaction ign = {.sa_handler = SIG_IGN};

    for (size_t i = 0; i < sizeof strays / sizeof strays[0]; i++)
        if (sigaction(strays[i], &ign, NULL) < 0)
            return -1;
    for (int sig = SIGRTMIN; sig <= SIGRTMAX; sig++)
        if (sigaction(sig, &ign, NULL) < 0)
            return -1;
    return 0;
}
