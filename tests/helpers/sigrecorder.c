/* Test helper run under slipway: reports the process state it inherited, then records every
 * signal it receives.
 *
 *   sigrecorder DIR [exit-on-term]
 *
 * DIR/state   "blocked N..." / "ignored N..." / "fds N..." / "pgid P pid P" (written first)
 * DIR/signals one signal number per line, appended from the handler with write(2)
 * With "exit-on-term" it exits 0 after recording SIGTERM; otherwise only SIGKILL ends it. */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int log_fd = -1;
static int exit_on_term;

static void on_signal(int sig)
{
    char buf[8];
    int n = snprintf(buf, sizeof buf, "%d\n", sig);
    if (write(log_fd, buf, (size_t)n) != n)
        _exit(3);
    if (sig == SIGTERM && exit_on_term)
        _exit(0);
}

static void report_state(FILE *out)
{
    sigset_t mask;
    struct sigaction sa;
    DIR *d;
    struct dirent *e;

    sigprocmask(SIG_SETMASK, NULL, &mask);
    fputs("blocked", out);
    for (int s = 1; s < NSIG; s++)
        if (sigismember(&mask, s) == 1)
            fprintf(out, " %d", s);
    fputs("\nignored", out);
    for (int s = 1; s < NSIG; s++)
        if (sigaction(s, NULL, &sa) == 0 && sa.sa_handler == SIG_IGN)
            fprintf(out, " %d", s);
    fputs("\nfds", out);
    d = opendir("/proc/self/fd");
    while (d && (e = readdir(d)))
        if (e->d_name[0] != '.' && atoi(e->d_name) != dirfd(d) && atoi(e->d_name) != fileno(out))
            fprintf(out, " %s", e->d_name);
    if (d)
        closedir(d);
    fprintf(out, "\npgid %d pid %d\n", (int)getpgrp(), (int)getpid());
}

int main(int argc, char **argv)
{
    char path[4096];
    FILE *state;
    struct sigaction sa = {.sa_handler = on_signal};

    if (argc < 2)
        return 2;
    exit_on_term = argc > 2 && strcmp(argv[2], "exit-on-term") == 0;
    snprintf(path, sizeof path, "%s/state.tmp", argv[1]);
    state = fopen(path, "w");
    if (!state)
        return 2;
    report_state(state);
    fclose(state);
    snprintf(path, sizeof path, "%s/signals", argv[1]);
    log_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log_fd < 0)
        return 2;
    sigfillset(&sa.sa_mask);
    for (int s = 1; s < NSIG; s++)
        if (s != SIGKILL && s != SIGSTOP)
            sigaction(s, &sa, NULL);
    /* Rename last: the test waits for "state" to know the handlers are installed. */
    {
        char done[4096];
        snprintf(path, sizeof path, "%s/state.tmp", argv[1]);
        snprintf(done, sizeof done, "%s/state", argv[1]);
        if (rename(path, done) < 0)
            return 2;
    }
    for (;;)
        pause();
}
