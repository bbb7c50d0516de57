/* Test helper: makes N orphans for the supervisor above it to reap.
 *
 *   orphans N [linger_ms]
 *
 * Each of N children forks a grandchild and exits at once, so the grandchild is reparented
 * to PID 1 (or the nearest subreaper). The grandchildren wait until all N exist, then exit
 * together after linger_ms (default 0): their SIGCHLDs coalesce, as in a real burst, so a
 * reaper that takes one child per SIGCHLD leaves zombies. With a negative linger_ms they exit
 * only when a signal ends them (so that a test can count them all on a busy machine, then end
 * them). The helper reaps its own children and exits 0 once all N grandchildren exist and have
 * been reparented (each child exited after its fork). */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Blocks until every copy of the release pipe's write end is closed: the helper closes the
 * last one after the last fork. */
static void grandchild(int release[2], long linger)
{
    struct timespec ts = {linger / 1000, (linger % 1000) * 1000000};
    char c;

    close(release[1]);
    while (read(release[0], &c, 1) > 0)
        ;
    if (linger < 0)
        pause();
    else
        nanosleep(&ts, NULL);
    _exit(0);
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 100;
    long linger = argc > 2 ? atol(argv[2]) : 0;
    int release[2];

    if (pipe(release) < 0) {
        perror("pipe");
        return 1;
    }
    for (int i = 0; i < n; i++) {
        pid_t child = fork();
        if (child < 0) {
            perror("fork");
            return 1;
        }
        if (child == 0) {
            pid_t g = fork();
            if (g == 0)
                grandchild(release, linger);
            _exit(g < 0 ? 1 : 0);
        }
        int status;
        if (waitpid(child, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            fprintf(stderr, "orphans: child %d failed\n", i);
            return 1;
        }
    }
    return 0; /* exit closes the last write end: the grandchildren go */
}
