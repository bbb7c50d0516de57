/* Test helper: makes N orphans for the supervisor above it to reap.
 *
 *   orphans N [linger_ms]
 *
 * Each of N children forks a grandchild and exits at once, so the grandchild is reparented
 * to PID 1 (or the nearest subreaper); grandchildren exit after linger_ms (default 0), or,
 * with a negative linger_ms, only when a signal ends them (so that a test can count them all
 * on a busy machine, then end them). The helper reaps its own children and exits 0 once all
 * N grandchildren exist and have been reparented (each child exited after its fork). */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 100;
    long linger = argc > 2 ? atol(argv[2]) : 0;

    for (int i = 0; i < n; i++) {
        pid_t child = fork();
        if (child < 0) {
            perror("fork");
            return 1;
        }
        if (child == 0) {
            if (fork() == 0) {
                struct timespec ts = {linger / 1000, (linger % 1000) * 1000000};
                if (linger < 0)
                    pause();
                else
                    nanosleep(&ts, NULL);
            }
            _exit(0);
        }
        if (waitpid(child, NULL, 0) < 0) {
            perror("waitpid");
            return 1;
        }
    }
    return 0;
}
