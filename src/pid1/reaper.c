#include "pid1/reaper.h"

#include "base/log.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

/* PID 1 is every orphan's reaper already; elsewhere the nearest subreaper above gets them. */
int sw_become_subreaper(void)
{
    if (getpid() == 1)
        return 0;
    return prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
}

/* Loops until waitpid has nothing more: SIGCHLDs coalesce, so one signal may stand for any
 * number of exits, and every one of them must be reaped now or stay a zombie. 0 from waitpid
 * means children remain, all running. */
bool sw_reap_all(sw_exit_cb on_exit, void *arg)
{
    for (;;) {
        int status;
        pid_t pid = waitpid(-1, &status, WNOHANG);
        if (pid > 0) {
            on_exit(pid, status, arg);
            continue;
        }
        int e = errno;
        if (pid == 0)
            return false;
        if (e == EINTR)
            continue;
        if (e != ECHILD) /* EINVAL: a bug; said rather than taken for "children remain" */
            sw_warn("waitpid: %s", strerror(e));
        return e == ECHILD;
    }
}

/* The parent pid from /proc/PID/stat; the command name may hold spaces and parentheses, so
 * parse from the last ')'. */
static pid_t parent_of(const char *pid)
{
    char path[64], buf[512];
    FILE *f;
    size_t n;
    char *close;
    int ppid = -1;

    snprintf(path, sizeof path, "/proc/%s/stat", pid);
    f = fopen(path, "r");
    if (!f)
        return -1; /* it exited meanwhile */
    n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    close = strrchr(buf, ')');
    if (!close || sscanf(close + 1, " %*c %d", &ppid) != 1)
        return -1;
    return ppid;
}

/* As PID 1, kill(-1) reaches every process of the PID namespace but us, `docker exec` sessions
 * included. That is intended: serve mode calls this only once the server has exited or
 * stop_timeout has expired, when the container is going away and the runtime would SIGKILL
 * them anyway; being told first lets them exit cleanly. ESRCH (nothing left) is the normal case of
 * the last round. */
void sw_signal_descendants(int sig)
{
    pid_t self = getpid();
    DIR *proc;
    struct dirent *e;

    if (self == 1) {
        if (kill(-1, sig) < 0 && errno != ESRCH)
            sw_warn("cannot signal the processes left: %s", strerror(errno));
        return;
    }
    proc = opendir("/proc");
    if (!proc) {
        sw_warn("cannot list the processes left (/proc): %s", strerror(errno));
        return;
    }
    while ((e = readdir(proc))) {
        if (e->d_name[0] < '1' || e->d_name[0] > '9')
            continue;
        if (parent_of(e->d_name) == self)
            kill((pid_t)atoi(e->d_name), sig);
    }
    closedir(proc);
}
