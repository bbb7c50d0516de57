#include "pid1/spawn.h"

#include "base/exitcodes.h"
#include "base/log.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* What the child tells the parent through the close-on-exec pipe when it could not exec. */
enum child_stage { STAGE_USER = 1, STAGE_EXEC = 2, STAGE_SETUP = 3 };
struct child_report {
    int stage;
    int errnum;
};

int sw_user_lookup(const char *spec, struct sw_user *user, sw_err *err)
{
    struct passwd *pw;
    char *end;
    unsigned long uid;

    memset(user, 0, sizeof *user);
    errno = 0;
    uid = strtoul(spec, &end, 10);
    pw = (*spec && *end == '\0') ? getpwuid((uid_t)uid) : getpwnam(spec);
    if (!pw) {
        sw_err_set(err, "user '%s': %s", spec, errno ? strerror(errno) : "no such user");
        return -1;
    }
    user->name = strdup(pw->pw_name);
    user->home = strdup(pw->pw_dir);
    if (!user->name || !user->home) {
        sw_user_free(user);
        sw_err_set(err, "out of memory");
        return -1;
    }
    user->set = true;
    user->uid = pw->pw_uid;
    user->gid = pw->pw_gid;
    return 0;
}

void sw_user_free(struct sw_user *user)
{
    free(user->name);
    free(user->home);
    memset(user, 0, sizeof *user);
}

int sw_exec_failure_code(int errnum)
{
    return errnum == ENOENT ? SW_EXIT_NOTFOUND : SW_EXIT_NOEXEC;
}

/* Supplementary groups first, then gid, then uid: after setuid we could no longer do the rest.
 * HOME follows the user, as su-exec and gosu do, so tools do not write into root's home. */
static int drop_user(const struct sw_user *user)
{
    if (!user || !user->set)
        return 0;
    if (initgroups(user->name, user->gid) < 0 || setgid(user->gid) < 0 || setuid(user->uid) < 0)
        return -1;
    return setenv("HOME", user->home, 1);
}

/* Nothing slipway set up may leak into the server: signal handlers, ignored signals and the
 * blocked mask all go back to their defaults, and inherited fds above stderr are closed
 * (but keep_fd, the close-on-exec report pipe, which exec itself closes). -1 when the mask
 * cannot be cleared: a server with every signal blocked could not be stopped. */
static int reset_process_state(int keep_fd)
{
    sigset_t none;

    for (int sig = 1; sig < NSIG; sig++)
        signal(sig, SIG_DFL); /* EINVAL for SIGKILL/SIGSTOP and glibc's internal ones: fine */
    sigemptyset(&none);
    if (sigprocmask(SIG_SETMASK, &none, NULL) < 0)
        return -1;
    for (int fd = STDERR_FILENO + 1; fd < keep_fd; fd++)
        close(fd);
    closefrom(keep_fd > STDERR_FILENO ? keep_fd + 1 : STDERR_FILENO + 1);
    return 0;
}

/* Own process group, and the terminal's foreground group when slipway had it, so that Ctrl-C
 * and job control reach the server directly, as under tini. A slipway started in the
 * background (`slipway -- cmd &`) leaves the terminal to the shell's job: taking it would
 * leave the interactive shell without its terminal. SIGTTOU is ignored around tcsetpgrp():
 * a call from a group that is not yet the foreground one would otherwise stop us. */
static int isolate_child(bool foreground)
{
    struct sigaction ign = {.sa_handler = SIG_IGN}, old;

    /* As tini does: without its own group the server would miss every signal slipway sends
     * to the group (kill(-pid) fails with ESRCH), so this is fatal. */
    if (setpgid(0, 0) < 0)
        return -1;
    if (!foreground)
        return 0;
    sigaction(SIGTTOU, &ign, &old);
    tcsetpgrp(STDIN_FILENO, getpgrp());
    sigaction(SIGTTOU, &old, NULL);
    return 0;
}

static void child_main(char *const argv[], const struct sw_user *user, int report_fd,
                       bool foreground)
{
    struct child_report r = {STAGE_EXEC, 0};

    if (isolate_child(foreground) < 0) {
        r.stage = STAGE_SETUP;
    } else if (drop_user(user) < 0) {
        r.stage = STAGE_USER;
    } else if (reset_process_state(report_fd) < 0) {
        r.stage = STAGE_SETUP;
    } else {
        /* report_fd is close-on-exec: a successful exec closes it and the parent reads EOF. */
        execvp(argv[0], argv);
    }
    r.errnum = errno;
    if (write(report_fd, &r, sizeof r) != (ssize_t)sizeof r) {
        /* the parent then sees EOF and reports the exit code alone */
    }
    _exit(r.stage == STAGE_EXEC ? sw_exec_failure_code(r.errnum) : SW_EXIT_NOEXEC);
}

static void describe_failure(const struct child_report *r, const char *cmd, int *exit_code,
                             sw_err *err)
{
    if (r->stage == STAGE_USER) {
        *exit_code = SW_EXIT_NOEXEC;
        sw_err_set(err, "cannot switch to the configured user before running '%s': %s", cmd,
                   strerror(r->errnum));
        return;
    }
    if (r->stage == STAGE_SETUP) {
        *exit_code = SW_EXIT_NOEXEC;
        sw_err_set(err, "cannot prepare the process group and signals for '%s': %s", cmd,
                   strerror(r->errnum));
        return;
    }
    *exit_code = sw_exec_failure_code(r->errnum);
    sw_err_set(err, "cannot run '%s': %s", cmd,
               *exit_code == SW_EXIT_NOTFOUND ? "command not found" : strerror(r->errnum));
}

/* What spawn_shared asks of glibc's child: the same state as reset_process_state and
 * isolate_child leave. The first error code, 0 when all is set. */
static int spawn_settings(posix_spawnattr_t *attr, posix_spawn_file_actions_t *acts,
                          bool foreground)
{
    sigset_t none, all;
    int rc;

    sigemptyset(&none);
    sigfillset(&all);
    if ((rc = posix_spawnattr_setflags(attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                                 POSIX_SPAWN_SETSIGDEF)) ||
        (rc = posix_spawnattr_setpgroup(attr, 0)) ||
        (rc = posix_spawnattr_setsigmask(attr, &none)) ||
        (rc = posix_spawnattr_setsigdefault(attr, &all)) ||
        (rc = posix_spawn_file_actions_addclosefrom_np(acts, STDERR_FILENO + 1)))
        return rc;
    /* Done in the child while glibc keeps every signal blocked: SIGTTOU cannot stop it. */
    return foreground ? posix_spawn_file_actions_addtcsetpgrp_np(acts, STDIN_FILENO) : 0;
}

/* The usual case, no user to switch to. glibc's posix_spawn prepares the child while it still
 * shares our memory (CLONE_VM|CLONE_VFORK) and we resume only once it has exec'd or failed:
 * no page table is copied and no page of ours is copied on write by either side, which is
 * most of what a fork costs a process this small (page faults at start-up: 158 with fork, 115
 * with this; tini: 128). The child is in its group before we resume, and a failed one has
 * been reaped. Returns the errno of the failure, 0 with *pid set. */
static int spawn_shared(char *const argv[], bool foreground, pid_t *pid)
{
    extern char **environ;
    posix_spawnattr_t attr;
    posix_spawn_file_actions_t acts;
    int rc;

    if ((rc = posix_spawnattr_init(&attr)))
        return rc;
    if ((rc = posix_spawn_file_actions_init(&acts))) {
        posix_spawnattr_destroy(&attr);
        return rc;
    }
    rc = spawn_settings(&attr, &acts, foreground);
    if (!rc)
        rc = posix_spawnp(pid, argv[0], &acts, &attr, argv, environ);
    posix_spawn_file_actions_destroy(&acts);
    posix_spawnattr_destroy(&attr);
    return rc;
}

/* What posix_spawn cannot do: switch to a user, run a script without "#!" (execvp's /bin/sh).
 * fork, and the child reports how far it got through a close-on-exec pipe. A failed child is
 * reaped here, as posix_spawn does. */
static pid_t spawn_forked(char *const argv[], const struct sw_user *user, bool foreground,
                          int *exit_code, sw_err *err)
{
    int fds[2];
    sigset_t all, old;
    struct child_report r;
    ssize_t n;
    pid_t pid;

    if (pipe2(fds, O_CLOEXEC) < 0) {
        sw_err_set(err, "pipe: %s", strerror(errno));
        return -1;
    }
    /* Block every signal across fork(): until the child has reset its handlers, a signal
     * would run the event loop's handler in the child and write into the parent's loop. */
    sigfillset(&all);
    if (sigprocmask(SIG_SETMASK, &all, &old) < 0) {
        sw_err_set(err, "cannot block signals: %s", strerror(errno));
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    pid = fork();
    if (pid == 0)
        child_main(argv, user, fds[1], foreground);
    if (sigprocmask(SIG_SETMASK, &old, NULL) < 0)
        sw_warn("cannot restore the signal mask: %s", strerror(errno));
    close(fds[1]);
    if (pid < 0) {
        sw_err_set(err, "fork: %s", strerror(errno));
        close(fds[0]);
        return -1;
    }
    /* The parent also puts the child in its group, so that a signal forwarded to the group
     * right after we return cannot miss it (the usual setpgid race). EACCES: the child has
     * exec'd, having done it itself; ESRCH: it has already exited. */
    if (setpgid(pid, pid) < 0 && errno != EACCES && errno != ESRCH)
        sw_warn("cannot put the server in its own process group: %s", strerror(errno));
    do
        n = read(fds[0], &r, sizeof r);
    while (n < 0 && errno == EINTR);
    close(fds[0]);
    if (n != (ssize_t)sizeof r)
        return pid;
    describe_failure(&r, argv[0], exit_code, err);
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
        ;
    return -1;
}

pid_t sw_spawn(char *const argv[], const struct sw_user *user, int *exit_code, sw_err *err)
{
    struct child_report r = {STAGE_EXEC, 0};
    pid_t pid;
    /* Asked before the child exists: once it has its own group it could no longer tell. No
     * terminal on stdin (ENOTTY) reads as background. */
    bool foreground = tcgetpgrp(STDIN_FILENO) == getpgrp();

    *exit_code = SW_EXIT_NOEXEC;
    if (user && user->set)
        return spawn_forked(argv, user, foreground, exit_code, err);
    r.errnum = spawn_shared(argv, foreground, &pid);
    if (!r.errnum)
        return pid;
    /* A script without "#!": execvp runs it with /bin/sh, as shells and tini do, where
     * posix_spawnp refuses it. */
    if (r.errnum == ENOEXEC)
        return spawn_forked(argv, NULL, foreground, exit_code, err);
    describe_failure(&r, argv[0], exit_code, err);
    return -1;
}

int sw_exec(char *const argv[], const struct sw_user *user, sw_err *err)
{
    struct child_report r = {STAGE_EXEC, 0};
    int code;

    if (drop_user(user) < 0) {
        r.stage = STAGE_USER;
    } else if (reset_process_state(-1) < 0) {
        r.stage = STAGE_SETUP;
    } else {
        execvp(argv[0], argv);
    }
    r.errnum = errno;
    describe_failure(&r, argv[0], &code, err);
    return code;
}
