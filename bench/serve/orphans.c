/* orphans: benchmark helper for bench/serve/run.sh - hands N orphans at once to PID 1.
 *
 * Usage: orphans N REPORT_FILE
 *
 * Run as the supervised command of a supervisor that is PID 1 of a fresh PID namespace:
 *   unshare --pid --fork --mount-proc SUPERVISOR -- orphans 10000 report.txt
 *
 * Process tree it builds (PER_CHILD = 100):
 *
 *   PID 1 (supervisor) - orphans (this helper)
 *                            +- child 1 ... child N/100   (blocked on the release pipe)
 *                                 +- 100 grandchildren each, exited at once: zombies
 *
 * 1. Setup (PID 1 sees nothing yet): each child forks its grandchildren, which _exit(0)
 *    immediately, waits until all of them are zombies (waitid(WNOWAIT) - without reaping
 *    them), reports their pids through a pipe, then blocks reading the release pipe.
 * 2. Release: once all N zombies exist the helper closes the release pipe; every child
 *    exits, and the kernel reparents its zombies to PID 1 with a SIGCHLD each
 *    (kernel/exit.c, reparent_leader()). No subreaper is in between, so PID 1 - and only
 *    PID 1 - must collect all N with waitpid(). The helper reaps its own children itself.
 * 3. Drain: the helper waits until every grandchild is gone: kill(pid, 0) succeeds on a
 *    zombie and fails with ESRCH only once it has been reaped. Short sleeps, not a busy
 *    loop, so it does not steal the CPU PID 1 needs. The helper exits only after that, so
 *    the run's total wall time includes all the reaping: a supervisor that exits early or
 *    reaps lazily cannot look fast. A deadline keeps a supervisor that never reaps from
 *    hanging the benchmark.
 *
 * Pids are allocated cyclically in the fresh namespace (pid_max is at least 32768), so the
 * ~N + N/100 + 2 pids used here are never reused during one run: kill(pid, 0) is unambiguous.
 *
 * Last, it counts the zombies left in /proc (the namespace's own procfs thanks to
 * --mount-proc) and writes one line to REPORT_FILE:
 *   setup_ms=F drain_ms=F pid1_cpu_ms=F unreaped=N zombies=N pid1=NAME
 * setup_ms: creating the zombies (PID 1 is not involved); drain_ms: wall time from the
 * release until PID 1 has reaped the last orphan (to ~0.1 ms); pid1_cpu_ms: CPU time PID 1
 * used meanwhile (from /proc/1/schedstat, in ns), the work of reaping, far less sensitive to
 * other load on the machine than the wall time; unreaped: orphans not reaped by the
 * deadline; zombies: processes in state Z in the namespace at the end.
 * Exit status 0 when everything was reaped and no zombie is left, 1 otherwise, 2 on error. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef DEADLINE_S
#define DEADLINE_S 60.0 /* seconds; cc -DDEADLINE_S=... to change */
#endif
#define PER_CHILD 100 /* zombies per child; their pids fit in one atomic pipe write */

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* CPU time PID 1 has run, in ms (first field of /proc/1/schedstat, in ns); -1 if unknown. */
static double pid1_cpu_ms(void)
{
    unsigned long long ns;
    FILE *f = fopen("/proc/1/schedstat", "r");
    int ok = f && fscanf(f, "%llu", &ns) == 1;

    if (f)
        fclose(f);
    return ok ? ns / 1e6 : -1;
}

/* Number of processes in state Z in /proc, and the command name of PID 1. */
static int count_zombies(char *pid1, size_t pid1_len)
{
    DIR *d = opendir("/proc");
    struct dirent *e;
    int zombies = 0;

    snprintf(pid1, pid1_len, "?");
    if (!d)
        return -1;
    while ((e = readdir(d))) {
        char path[300], buf[512], *close, *open;
        FILE *f;
        size_t n;
        char state;

        if (e->d_name[0] < '1' || e->d_name[0] > '9')
            continue;
        snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
        f = fopen(path, "r");
        if (!f)
            continue; /* gone meanwhile */
        n = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[n] = '\0';
        /* "PID (COMM) S ...": COMM may hold spaces and parentheses, parse around the last ')'. */
        open = strchr(buf, '(');
        close = strrchr(buf, ')');
        if (!open || !close || close < open || sscanf(close + 1, " %c", &state) != 1)
            continue;
        if (state == 'Z')
            zombies++;
        if (strcmp(e->d_name, "1") == 0) {
            *close = '\0';
            snprintf(pid1, pid1_len, "%s", open + 1);
        }
    }
    closedir(d);
    return zombies;
}

/* A child that cannot do its part reports pid 0, so the helper stops waiting for pids that
 * will never come (its grandchildren so far go to PID 1 as ordinary orphans). */
static void child_fail(int pids_w)
{
    pid_t none = 0;

    (void)!write(pids_w, &none, sizeof none);
    _exit(3);
}

/* A child: make `count` zombie grandchildren, report their pids, wait for the release. */
static void child_main(int count, int pids_w, int release_r)
{
    pid_t g[PER_CHILD];
    char c;

    for (int i = 0; i < count; i++) {
        g[i] = fork();
        if (g[i] < 0)
            child_fail(pids_w);
        if (g[i] == 0)
            _exit(0); /* a grandchild: exits at once, PID 1 will have to reap it */
    }
    /* Wait until each is a zombie, without reaping it (WNOWAIT). */
    for (int i = 0; i < count; i++) {
        siginfo_t info;
        while (waitid(P_PID, (id_t)g[i], &info, WEXITED | WNOWAIT) < 0)
            if (errno != EINTR)
                child_fail(pids_w);
    }
    /* At most PER_CHILD * 4 bytes, below PIPE_BUF: one atomic write. */
    if (write(pids_w, g, count * sizeof *g) != (ssize_t)(count * sizeof *g))
        _exit(3);
    while (read(release_r, &c, 1) < 0 && errno == EINTR)
        ; /* EOF: the helper closed the release pipe */
    _exit(0); /* our zombies go to PID 1 now */
}

int main(int argc, char **argv)
{
    long n, nchildren, got = 0, unreaped = 0;
    pid_t *grandchildren, *children;
    int pids[2], release[2], zombies, status, rc = 0;
    double t0, t_release, t_drained, deadline, cpu0, cpu1;
    char pid1[64];
    FILE *report;

    if (argc != 3 || (n = strtol(argv[1], NULL, 10)) <= 0) {
        fprintf(stderr, "usage: orphans N REPORT_FILE\n");
        return 2;
    }
    nchildren = (n + PER_CHILD - 1) / PER_CHILD;
    grandchildren = calloc((size_t)n, sizeof *grandchildren);
    children = calloc((size_t)nchildren, sizeof *children);
    if (!grandchildren || !children || pipe(pids) < 0 || pipe(release) < 0) {
        perror("orphans: setup");
        return 2;
    }

    /* 1. Setup. */
    t0 = now_ms();
    for (long i = 0; i < nchildren; i++) {
        int count = (int)(i < nchildren - 1 ? PER_CHILD : n - i * PER_CHILD);
        children[i] = fork();
        if (children[i] < 0) {
            perror("orphans: fork");
            return 2; /* our children get EOF on the release pipe and exit */
        }
        if (children[i] == 0) {
            close(pids[0]);
            close(release[1]);
            child_main(count, pids[1], release[0]);
        }
    }
    close(pids[1]);
    close(release[0]);
    while (got < n) {
        ssize_t r = read(pids[0], grandchildren + got, (size_t)(n - got) * sizeof *grandchildren);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            fprintf(stderr, "orphans: a child failed (%ld of %ld zombies)\n", got, n);
            return 2;
        }
        for (long end = got + r / (ssize_t)sizeof *grandchildren; got < end; got++)
            if (grandchildren[got] <= 0) {
                fprintf(stderr, "orphans: a child could not make its zombies (fork failed?)\n");
                return 2; /* exiting closes the release pipe: the children exit too */
            }
    }

    /* 2. Release: all N zombies go to PID 1 within the time the children take to exit. */
    cpu0 = pid1_cpu_ms();
    t_release = now_ms();
    close(release[1]);
    for (long i = 0; i < nchildren; i++) {
        while (waitpid(children[i], &status, 0) < 0)
            if (errno != EINTR) {
                perror("orphans: waitpid");
                return 2;
            }
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            rc = 2;
    }

    /* 3. Drain. */
    deadline = t_release + DEADLINE_S * 1e3;
    for (long j = 0; j < n;) {
        if (kill(grandchildren[j], 0) < 0 && errno == ESRCH) {
            j++;
            continue;
        }
        if (now_ms() > deadline) {
            for (; j < n; j++)
                if (!(kill(grandchildren[j], 0) < 0 && errno == ESRCH))
                    unreaped++;
            break;
        }
        nanosleep(&(struct timespec){.tv_nsec = 50 * 1000}, NULL);
    }
    t_drained = now_ms();
    cpu1 = pid1_cpu_ms();

    zombies = count_zombies(pid1, sizeof pid1);
    report = fopen(argv[2], "w");
    if (!report) {
        perror("orphans: report");
        return 2;
    }
    fprintf(report,
            "setup_ms=%.1f drain_ms=%.2f pid1_cpu_ms=%.2f unreaped=%ld zombies=%d pid1=%s\n",
            t_release - t0, t_drained - t_release, cpu0 < 0 || cpu1 < 0 ? -1.0 : cpu1 - cpu0,
            unreaped, zombies, pid1);
    fclose(report);
    if (rc)
        return rc;
    return unreaped == 0 && zombies == 0 ? 0 : 1;
}
