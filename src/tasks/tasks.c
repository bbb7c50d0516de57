#include "tasks/tasks.h"

#include "base/exitcodes.h"
#include "base/log.h"
#include "base/loop.h"
#include "base/termlog.h"
#include "pg/history.h"
#include "pid1/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* After the task exits, processes it left in the background may still hold the tee pipes:
 * read what they write for this long, then stop copying rather than wait for them. */
#define TEE_GRACE_MS 200

/* While a task runs, the lock session is watched (its end is seen at once) and pinged this
 * often, each ping bounded (a server gone from the network answers nothing). */
#define PING_EVERY_MS 2000
#define PING_TIMEOUT_MS 10000

/* How to run it: the loop to wait on, the stop flag, what to do on a stop, the session whose
 * loss stops the task. */
struct run_opts {
    uv_loop_t *loop;
    int *stop;
    int64_t stop_timeout_ms;
    bool tee_pid1;
    struct sw_db *lock;
};

/* Copies what the task writes on one of its stdio pipes to slipway's own fd and PID 1's. */
struct tee {
    uv_pipe_t pipe;
    int out_fd;       /* our stdout or stderr */
    int pid1_fd;      /* /proc/1/fd/N, non-blocking */
    uint64_t dropped; /* bytes PID 1's fd would not take at once */
    bool open;        /* reading until EOF */
    char buf[65536];
};

struct run {
    const struct sw_task *task;
    const struct run_opts *how;
    pid_t pid;
    bool exited;
    int status;
    int forwarded; /* the stop signal sent to the group, 0 before */
    bool timed_out;
    bool lock_lost;
    bool ping_due;
    uv_signal_t sigchld;
    uv_timer_t timeout; /* the task's own timeout */
    uv_timer_t kill;    /* stop_timeout after a forwarded stop */
    uv_timer_t ping;    /* PING_EVERY_MS */
    struct tee tees[2];
    int closing;
};

/* ---- PID 1 detection ------------------------------------------------------------------- */

bool sw_task_pid1_is_slipway(void)
{
    char cmd[4096];
    const char *base;
    ssize_t n;
    int fd;

    if (getpid() == 1)
        return false;
    fd = open("/proc/1/cmdline", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    n = read(fd, cmd, sizeof cmd - 1);
    close(fd);
    if (n <= 0)
        return false;
    cmd[n] = '\0'; /* argv[0] ends at the first NUL */
    base = strrchr(cmd, '/');
    return strcmp(base ? base + 1 : cmd, "slipway") == 0;
}

/* ---- output copying ------------------------------------------------------------------- */

/* Writes what fd takes of p; returns how many bytes it did not (its reader gone or, on a
 * non-blocking fd, not keeping up). A log reader must not fail the task: the copy is best
 * effort. */
static size_t write_some(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        p += w;
        n -= (size_t)w;
    }
    return n;
}

static void tee_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    struct tee *t = h->data;
    (void)suggested;
    *buf = uv_buf_init(t->buf, sizeof t->buf);
}

static void tee_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    struct tee *t = s->data;

    if (n > 0) {
        /* ours is the exec'd command's own output: it may push back (only a reader gone
         * loses it); PID 1's is a log that may stall for good, and this loop serves the
         * task's timeout, signals and lock pings: what it does not take at once is dropped */
        (void)write_some(t->out_fd, buf->base, (size_t)n);
        t->dropped += write_some(t->pid1_fd, buf->base, (size_t)n);
    } else if (n < 0) {
        uv_read_stop(s);
        t->open = false;
    }
}

/* Points our fd `which` (1 or 2) at a new pipe for the spawn; *saved keeps the original.
 * The read end goes to the tee. */
static int tee_redirect(struct run *r, int which, int *saved, sw_err *err)
{
    struct tee *t = &r->tees[which - 1];
    char path[32];
    int fds[2];

    snprintf(path, sizeof path, "/proc/1/fd/%d", which);
    /* a file description of our own: O_NONBLOCK does not reach PID 1's */
    t->pid1_fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC | O_NONBLOCK);
    if (t->pid1_fd < 0) {
        sw_err_set(err, "%s: %s", path, strerror(errno));
        return -1;
    }
    t->out_fd = *saved = fcntl(which, F_DUPFD_CLOEXEC, 3);
    if (*saved < 0 || pipe2(fds, O_CLOEXEC) < 0) {
        sw_err_set(err, "cannot set up the output copy: %s", strerror(errno));
        return -1;
    }
    if (dup2(fds[1], which) < 0 || uv_pipe_init(r->how->loop, &t->pipe, 0) < 0) {
        close(fds[0]);
        close(fds[1]);
        sw_err_set(err, "cannot set up the output copy: %s", strerror(errno));
        return -1;
    }
    close(fds[1]);
    t->pipe.data = t;
    t->open = uv_pipe_open(&t->pipe, fds[0]) == 0 &&
              uv_read_start((uv_stream_t *)&t->pipe, tee_alloc, tee_read) == 0;
    if (!t->open)
        close(fds[0]);
    return 0;
}

/* ---- the child ------------------------------------------------------------------------- */

static void on_sigchld(uv_signal_t *h, int signum)
{
    struct run *r = h->data;
    (void)signum;
    if (!r->exited && waitpid(r->pid, &r->status, WNOHANG) == r->pid)
        r->exited = true;
}

static void on_timeout(uv_timer_t *t)
{
    struct run *r = t->data;
    r->timed_out = true;
    kill(-r->pid, SIGKILL);
}

static void on_kill(uv_timer_t *t)
{
    struct run *r = t->data;
    sw_warn("task '%s' still running %lld ms after signal %d: killing it", r->task->name,
            (long long)r->how->stop_timeout_ms, r->forwarded);
    kill(-r->pid, SIGKILL);
}

static void on_ping(uv_timer_t *t)
{
    struct run *r = t->data;
    r->ping_due = true;
}

static void on_lock_lost(void *arg)
{
    struct run *r = arg;
    r->lock_lost = true;
}

static int start_watchers(struct run *r, sw_err *err)
{
    uv_loop_t *loop = r->how->loop;
    int e = uv_signal_init(loop, &r->sigchld);

    if (e == 0)
        e = uv_timer_init(loop, &r->timeout);
    if (e == 0)
        e = uv_timer_init(loop, &r->kill);
    if (e == 0)
        e = uv_timer_init(loop, &r->ping);
    if (e == 0) {
        r->sigchld.data = r->timeout.data = r->kill.data = r->ping.data = r;
        e = uv_signal_start(&r->sigchld, on_sigchld, SIGCHLD);
    }
    if (e < 0)
        sw_err_set(err, "cannot watch the task: %s", uv_strerror(e));
    return e < 0 ? -1 : 0;
}

/* uv_timer_start() only fails on a closing handle or a NULL callback: a bug, but one that
 * would silently disable a timeout, so it is said. */
static void arm(uv_timer_t *t, uv_timer_cb cb, int64_t ms, const char *what)
{
    if (uv_timer_start(t, cb, (uint64_t)ms, 0) < 0)
        sw_warn("cannot arm the %s timer", what);
}

static void stop_task(struct run *r, int signum)
{
    r->forwarded = signum;
    kill(-r->pid, signum);
    if (r->how->stop_timeout_ms >= 0)
        arm(&r->kill, on_kill, r->how->stop_timeout_ms, "stop_timeout");
}

/* A ping between the watches: its failure, other than by a stop, is a lost session. */
static void ping_lock(struct run *r)
{
    sw_err err;

    r->ping_due = false;
    sw_db_unwatch(r->how->lock);
    if (sw_db_ping(r->how->lock, PING_TIMEOUT_MS, &err) < 0 && !*r->how->stop) {
        sw_debug("upgrade lock session: %s", err.msg);
        r->lock_lost = true;
    }
    if (!r->lock_lost && sw_db_watch(r->how->lock, on_lock_lost, r) < 0)
        sw_warn("cannot watch the upgrade lock session: it is pinged only");
}

/* Without the lock another upgrader may start this task: it is stopped at once. */
static void on_lost(struct run *r)
{
    sw_error("the upgrade lock was lost (its database session ended): stopping task '%s'",
             r->task->name);
    stop_task(r, SIGTERM);
}

static void watch_lock(struct run *r)
{
    if (!r->how->lock)
        return;
    if (sw_db_watch(r->how->lock, on_lock_lost, r) < 0)
        sw_warn("cannot watch the upgrade lock session: it is pinged only");
    if (uv_timer_start(&r->ping, on_ping, PING_EVERY_MS, PING_EVERY_MS) < 0)
        sw_warn("cannot arm the lock session ping");
}

static void wait_child(struct run *r)
{
    if (r->task->timeout_ms > 0)
        arm(&r->timeout, on_timeout, r->task->timeout_ms, "task timeout");
    watch_lock(r);
    while (!r->exited) {
        if (waitpid(r->pid, &r->status, WNOHANG) == r->pid) {
            r->exited = true;
            break;
        }
        if (*r->how->stop && !r->forwarded) {
            sw_info("forwarding signal %d to task '%s'", *r->how->stop, r->task->name);
            stop_task(r, *r->how->stop);
        }
        if (r->ping_due && !r->lock_lost && !r->forwarded)
            ping_lock(r);
        if (r->lock_lost && !r->forwarded)
            on_lost(r);
        else
            uv_run(r->how->loop, UV_RUN_ONCE);
    }
    if (r->how->lock && !r->lock_lost)
        sw_db_unwatch(r->how->lock);
}

static void on_grace(uv_timer_t *t)
{
    *(bool *)t->data = true;
}

static void drain_tees(struct run *r)
{
    bool expired = false;
    uv_timer_t grace;

    if (!r->tees[0].open && !r->tees[1].open)
        return;
    if (uv_timer_init(r->how->loop, &grace) < 0)
        return;
    grace.data = &expired;
    arm(&grace, on_grace, TEE_GRACE_MS, "output copy");
    while (!expired && (r->tees[0].open || r->tees[1].open))
        uv_run(r->how->loop, UV_RUN_ONCE);
    uv_close((uv_handle_t *)&grace, NULL);
    uv_run(r->how->loop, UV_RUN_NOWAIT);
}

static void on_closed(uv_handle_t *h)
{
    struct run *r = h->data;
    r->closing--;
}

static void close_one(struct run *r, uv_handle_t *h)
{
    if (!h->loop || uv_is_closing(h))
        return; /* never initialised */
    h->data = r;
    r->closing++;
    uv_close(h, on_closed);
}

/* Every handle lives in r, on the caller's stack: wait until the loop let go of them. */
static void finish(struct run *r)
{
    close_one(r, (uv_handle_t *)&r->sigchld);
    close_one(r, (uv_handle_t *)&r->timeout);
    close_one(r, (uv_handle_t *)&r->kill);
    close_one(r, (uv_handle_t *)&r->ping);
    for (int i = 0; i < 2; i++) {
        close_one(r, (uv_handle_t *)&r->tees[i].pipe);
        if (r->tees[i].dropped)
            sw_warn("%" PRIu64 " bytes of the task's %s were not copied to the container log: "
                    "its reader is not keeping up",
                    r->tees[i].dropped, i ? "stderr" : "stdout");
        if (r->tees[i].pid1_fd > 0)
            close(r->tees[i].pid1_fd);
        if (r->tees[i].out_fd > 0)
            close(r->tees[i].out_fd);
    }
    while (r->closing > 0)
        uv_run(r->how->loop, UV_RUN_ONCE);
}

static int describe_end(const struct run *r, sw_err *err)
{
    if (r->timed_out)
        sw_err_set(err, "timed out after %lld ms", (long long)r->task->timeout_ms);
    else if (WIFSIGNALED(r->status))
        sw_err_set(err, "killed by signal %d", WTERMSIG(r->status));
    else if (WEXITSTATUS(r->status) != 0)
        sw_err_set(err, "exited with status %d", WEXITSTATUS(r->status));
    else
        return 0;
    return -1;
}

/* Spawns with stdout/stderr on the tee pipes when asked (whatever part of the copy could be
 * set up); our own fds are put back right after. */
static pid_t spawn(struct run *r, int *exec_code, sw_err *err)
{
    int saved[2] = {-1, -1};
    sw_err tee_err;
    pid_t pid;

    if (r->how->tee_pid1 && (tee_redirect(r, 1, &saved[0], &tee_err) < 0 ||
                             tee_redirect(r, 2, &saved[1], &tee_err) < 0))
        sw_warn("task output not copied to the container log: %s", tee_err.msg);
    pid = sw_spawn(r->task->argv, NULL, exec_code, err);
    for (int i = 0; i < 2; i++) {
        if (saved[i] >= 0 && dup2(saved[i], i + 1) < 0)
            sw_warn("cannot restore fd %d: %s", i + 1, strerror(errno));
    }
    return pid;
}

/* 0 when the task exited 0, else -1 with err saying how it ended ("exited with status 3",
 * "killed by signal 9", "timed out after 1000 ms", "cannot run '...': command not found").
 * *exit_code: as a shell would report it (128+N when killed, 126/127 when it could not run),
 * -1 when its watchers could not be set up; *lock_lost: whether it was stopped for the loss of the
 * lock session. */
static int run_task(const struct sw_task *task, const struct run_opts *how, int *exit_code,
                    bool *lock_lost, sw_err *err)
{
    struct run r = {.task = task, .how = how};
    int exec_code = 0, rc = -1;

    *exit_code = -1;
    r.tees[0].pid1_fd = r.tees[1].pid1_fd = r.tees[0].out_fd = r.tees[1].out_fd = -1;
    if (start_watchers(&r, err) == 0) {
        r.pid = spawn(&r, &exec_code, err);
        if (r.pid > 0) {
            wait_child(&r);
            drain_tees(&r);
            rc = describe_end(&r, err);
            *exit_code = WIFSIGNALED(r.status) ? SW_EXIT_SIGNAL_BASE + WTERMSIG(r.status)
                                               : WEXITSTATUS(r.status);
        } else {
            *exit_code = exec_code; /* it never ran: err says why */
        }
    }
    finish(&r);
    *lock_lost = r.lock_lost;
    return rc;
}

/* ---- run and record -------------------------------------------------------------------- */

int sw_task_apply(struct sw_session *s, const struct sw_task *task, bool tee_pid1)
{
    struct run_opts how = {&s->loop, &s->stop, s->cfg->serve.stop_timeout_ms, tee_pid1, s->db};
    int64_t start = sw_loop_now_ms(&s->loop);
    bool lock_lost;
    char what[300];
    sw_err err;
    int rc, code;

    sw_event(SW_LOG_INFO, "task_started",
             SW_FIELDS(SW_STR("task", task->name),
                       SW_STR("version", sw_u64_text(task->version.value).s)),
             "running task '%s' (version %" PRIu64 ")", task->name, task->version.value);
    rc = run_task(task, &how, &code, &lock_lost, &err);
    if (lock_lost) {
        sw_summary(SW_LOG_ERROR, "task_failed",
                   SW_FIELDS(SW_STR("task", task->name), SW_NUM("exit_code", code),
                             SW_STR("error", "the upgrade lock was lost")),
                   "task '%s' not recorded: the upgrade lock was lost while it ran; another "
                   "upgrader runs it again",
                   task->name);
        return SW_EXIT_FAIL;
    }
    if (s->stop) {
        sw_event(SW_LOG_ERROR, "task_stopped",
                 SW_FIELDS(SW_STR("task", task->name), SW_NUM("signal", s->stop),
                           SW_NUM("exit_code", code)),
                 "task '%s' stopped by signal %d", task->name, s->stop);
        return sw_session_stop_code(s);
    }
    if (rc < 0) {
        sw_summary(SW_LOG_ERROR, "task_failed",
                   SW_FIELDS(SW_STR("task", task->name), SW_NUM("exit_code", code),
                             SW_STR("error", err.msg)),
                   "task '%s' failed: %s", task->name, err.msg);
        return SW_EXIT_FAIL;
    }
    snprintf(what, sizeof what, "task %s", task->name);
    if (sw_task_version_record(s->db, &s->tables, task->name, task->version.value, &err) < 0 ||
        sw_history_notify(s->db, what, &err) < 0) {
        sw_error("task '%s' succeeded but its version could not be recorded: %s", task->name,
                 err.msg);
        return s->stop ? sw_session_stop_code(s) : SW_EXIT_FAIL;
    }
    sw_summary(
        SW_LOG_INFO, "task_done",
        SW_FIELDS(SW_STR("task", task->name), SW_STR("version", sw_u64_text(task->version.value).s),
                  SW_NUM("duration_ms", sw_loop_now_ms(&s->loop) - start), SW_NUM("exit_code", 0)),
        "task '%s' done in %lld ms, version %" PRIu64 " recorded", task->name,
        (long long)(sw_loop_now_ms(&s->loop) - start), task->version.value);
    return SW_EXIT_OK;
}
