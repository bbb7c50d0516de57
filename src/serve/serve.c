/* Serve mode: slipway as the container's PID 1 (README "Serve mode, as PID 1").
 *
 * Why our own fork/exec and waitpid(-1) instead of uv_spawn: libuv reaps only the children it
 * spawned, each with waitpid(pid), from its own SIGCHLD watcher. A PID 1 must reap every
 * orphan the kernel hands it, which takes waitpid(-1) - and that would steal the exits libuv
 * waits for, leaving its uv_process_t handles hanging forever. So slipway never calls
 * uv_spawn: it starts the server itself (spawn.c), learns of exits from SIGCHLD and reaps
 * everything with waitpid(-1) (reaper.c). libuv still does what it is good at: one epoll loop for
 * the signals (a signalfd, sigwatch.c), the stop timer and, with health, the sockets and the
 * database.
 *
 * tini blocks signals too but collects them with sigtimedwait() and a one-second timeout, so
 * it wakes every second; here an idle supervisor sleeps in epoll_wait until something
 * happens. */
#include "serve/serve.h"

#include "base/exitcodes.h"
#include "base/log.h"
#include "base/loop.h"
#include "base/termlog.h"
#include "config/cli.h"
#include "fleet/heartbeat.h"
#include "health/gate.h"
#include "health/health.h"
#include "health/healthsrv.h"
#include "pid1/reaper.h"
#include "pid1/sigwatch.h"
#include "pid1/spawn.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>

struct supervisor {
    uv_loop_t *loop;
    const struct sw_config *cfg;
    pid_t child;
    bool child_done;
    int child_status;
    bool stopping;            /* a stop signal arrived, or the server exited: stop_timeout runs */
    bool killing;             /* stop_timeout expired: everything left gets SIGKILL */
    bool leftovers_signalled; /* the server exited; what it left got stop_signal */
    int gate_stop;            /* a stop signal that arrived before the server was started */
    struct sw_sigwatch signals;
    uv_timer_t stop_timer;
    struct sw_health_server *health; /* NULL when there is nothing to answer about */
    const struct sw_requirements *req;
    struct sw_heartbeat *fleet; /* NULL when this replica does not register */
};

/* SIGKILL and SIGSTOP cannot be caught and glibc reserves 32 and 33; SIGCHLD is ours to act
 * on. SIGTTIN and SIGTTOU are ignored, as in tini: background job control must never stop PID
 * 1. Everything else is watched, the fault signals (SEGV, ABRT…) included: a real fault in
 * slipway still crashes it, because the kernel forces a blocked fault signal through with its
 * default action; only one that another process sent arrives here, to be forwarded. */
static bool watched(int sig)
{
    switch (sig) {
    case SIGKILL:
    case SIGSTOP:
    case SIGTTIN:
    case SIGTTOU:
        return false;
    default:
        return sig < 32 || sig >= SIGRTMIN;
    }
}

static bool is_fault(int sig)
{
    return sig == SIGSEGV || sig == SIGBUS || sig == SIGFPE || sig == SIGILL || sig == SIGTRAP ||
           sig == SIGSYS || sig == SIGABRT;
}

/* Only TERM and the configured stop_signal mean "stop this container" (what docker stop and
 * the kubelet send): INT and QUIT are forwarded like any other signal, so a JVM's thread dump
 * on QUIT does not start stop_timeout. */
static bool is_stop_signal(const struct supervisor *s, int sig)
{
    return sig == SIGTERM || sig == s->cfg->serve.stop_signal;
}

/* Before the server runs, INT and QUIT end the wait too: there is nothing to forward them to,
 * and Ctrl-C must not be lost. */
static bool ends_gate(const struct supervisor *s, int sig)
{
    return is_stop_signal(s, sig) || sig == SIGINT || sig == SIGQUIT;
}

static void kill_everything(struct supervisor *s)
{
    s->killing = true;
    if (!s->child_done)
        kill(-s->child, SIGKILL);
    sw_signal_descendants(SIGKILL);
}

static void on_stop_timeout(uv_timer_t *t)
{
    struct supervisor *s = t->data;
    kill_everything(s); /* first: the warning is only a log line, the kill is the point */
    sw_warn("stop_timeout (%lld ms) expired: sent SIGKILL to what was left",
            (long long)s->cfg->serve.stop_timeout_ms);
}

/* Starts the grace period after the first stop signal or after the server exited. */
static void begin_stop(struct supervisor *s)
{
    int64_t ms = s->cfg->serve.stop_timeout_ms;

    if (s->stopping)
        return;
    s->stopping = true;
    if (ms == 0)
        kill_everything(s);
    else if (ms > 0 && uv_timer_start(&s->stop_timer, on_stop_timeout, (uint64_t)ms, 0) < 0)
        kill_everything(s); /* cannot time the grace period: do not let it run forever */
}

/* signal_map rewrites what is sent (TERM:QUIT for a server that stops gracefully on QUIT,
 * under a platform that only sends TERM); what was received still decides whether the
 * container is stopping. */
static void forward(struct supervisor *s, int sig)
{
    int out = sw_signal_map_apply(&s->cfg->serve.signal_map, sig);

    if (s->child == 0) {
        /* Still waiting on the gate: nothing to forward to, a stop signal ends the wait. */
        if (ends_gate(s, sig))
            s->gate_stop = sig;
        return;
    }
    if (s->child_done) {
        sw_signal_descendants(out); /* draining leftovers: they get what we get */
    } else if (kill(s->cfg->serve.signal_group ? -s->child : s->child, out) < 0 && errno != ESRCH) {
        sw_warn("cannot forward signal %d: %s", out, strerror(errno));
    }
    if (is_stop_signal(s, sig))
        begin_stop(s);
}

static int mapped(const struct sw_config *cfg, int code)
{
    for (size_t i = 0; i < cfg->serve.exit_code_map.n; i++)
        if (cfg->serve.exit_code_map.items[i].from == code)
            return cfg->serve.exit_code_map.items[i].to;
    return code;
}

static int exit_code(const struct sw_config *cfg, int status)
{
    return mapped(cfg,
                  WIFEXITED(status) ? WEXITSTATUS(status) : SW_EXIT_SIGNAL_BASE + WTERMSIG(status));
}

static void on_child_exit(pid_t pid, int status, void *arg)
{
    struct supervisor *s = arg;

    if (pid != s->child)
        return; /* an orphan: reaping it was the point */
    s->child_done = true;
    s->child_status = status;
    if (s->health)
        sw_health_server_child_exited(s->health, exit_code(s->cfg, status));
}

static void on_sigchld(struct supervisor *s)
{
    bool none_left;

    none_left = sw_reap_all(on_child_exit, s);
    if (!s->child_done)
        return;
    if (none_left) {
        uv_stop(s->loop); /* sw_serve() closes the handles in order */
        return;
    }
    if (s->killing) {
        sw_signal_descendants(SIGKILL); /* orphans reparented to us since the last round */
    } else if (!s->leftovers_signalled) {
        /* The server is gone but processes it started are not: stop them as a stop signal
         * would, so none is left for the kernel to SIGKILL when we exit. */
        sw_debug("server exited; stopping the processes it left behind");
        s->leftovers_signalled = true;
        sw_signal_descendants(s->cfg->serve.stop_signal);
        begin_stop(s);
    }
}

static void on_signal(int sig, enum sw_sig_origin origin, void *arg)
{
    if (sig == SIGCHLD)
        on_sigchld(arg);
    else if (origin == SW_SIG_SELF)
        return; /* SIGPIPE of a log line to a stderr nobody reads: the write failed, that's all */
    else if (is_fault(sig) && origin != SW_SIG_SENT)
        sw_debug("signal %d concerns slipway itself, not forwarded", sig); /* e.g. a BUS_MCEERR */
    else
        forward(arg, sig);
}

static int watch_signals(struct supervisor *s)
{
    struct sigaction ign = {.sa_handler = SIG_IGN};
    sigset_t set;

    if (sigaction(SIGTTIN, &ign, NULL) < 0 || sigaction(SIGTTOU, &ign, NULL) < 0)
        return -1;
    sigemptyset(&set);
    for (int sig = 1; sig < NSIG; sig++)
        if (watched(sig))
            sigaddset(&set, sig);
    if (sw_sigwatch_start(&s->signals, s->loop, &set, on_signal, s) < 0)
        return -1;
    s->stop_timer.data = s;
    return uv_timer_init(s->loop, &s->stop_timer) == 0 ? 0 : -1;
}

/* The summary of serve mode (the termination message): how the server ended. */
static int exited(const struct supervisor *s)
{
    int status = s->child_status, code = exit_code(s->cfg, status);
    int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    char how[48];

    if (sig)
        snprintf(how, sizeof how, "killed by signal %d", sig);
    else
        snprintf(how, sizeof how, "exited with status %d", WEXITSTATUS(status));
    sw_summary(SW_LOG_INFO, "server_exited",
               SW_FIELDS(SW_NUM("exit_code", code), SW_NUM("signal", sig)),
               "server %s: exit code %d", how, code);
    return code;
}

/* The summary when the server could not be started (the cause is logged already): the exit
 * code a shell would give, 127 or 126, mapped like any other. */
static int not_started(const struct supervisor *s, int exec_code)
{
    int code = mapped(s->cfg, exec_code);

    sw_summary(SW_LOG_INFO, "server_exited",
               SW_FIELDS(SW_NUM("exit_code", code), SW_NUM("signal", 0)),
               "server not started: exit code %d", code);
    return code;
}

/* Registered once the server runs (the gate passed), so that the fleet lists replicas that
 * serve. After the server's start: the heartbeat's threads must not exist while a forked
 * child (spawn.c, to switch user) is between fork and exec. Only with a database configured: a
 * plain supervisor never loads libpq. */
static void join_fleet(struct supervisor *s)
{
    if (!s->cfg->serve.fleet || !sw_config_serve_has_database(s->cfg))
        return;
    s->fleet = sw_heartbeat_start(s->loop, s->cfg, s->req->has_schema ? &s->req->schema : NULL);
    sw_health_server_set_fleet(s->health, sw_heartbeat_fleet(s->fleet));
}

static int supervise(struct supervisor *s, char **argv, const struct sw_user *user)
{
    sw_err err;
    int exec_code;

    if (sw_become_subreaper() < 0)
        sw_warn("cannot become a child subreaper: %s (orphans will not be reaped)",
                strerror(errno));
    s->child = sw_spawn(argv, user, &exec_code, &err);
    if (s->child < 0) {
        sw_error("%s", err.msg);
        if (exec_code == SW_EXIT_NOTFOUND && sw_cli_subcommand_near(argv[0]))
            sw_info("hint: did you mean the subcommand 'slipway %s'?",
                    sw_cli_subcommand_near(argv[0]));
        return not_started(s, exec_code);
    }
    sw_event(SW_LOG_DEBUG, "server_started", SW_FIELDS(SW_NUM("pid", s->child)),
             "server started: pid %d", (int)s->child);
    if (s->health)
        sw_health_server_set_running(s->health, true);
    join_fleet(s); /* after the server's start: see join_fleet */
    /* Returns once on_sigchld has seen the server and every descendant gone (uv_stop); its
     * value (whether handles remain) is sw_serve's to act on, by closing them. */
    uv_run(s->loop, UV_RUN_DEFAULT);
    return exited(s);
}

static char **server_argv(const struct sw_config *cfg, char **cmdline)
{
    if (cmdline && cmdline[0])
        return cmdline;
    return cfg->serve.argv && cfg->serve.argv[0] ? cfg->serve.argv : NULL;
}

/* Health answers are served when there is something to answer about (a dependency, or an HTTP
 * probe to serve); a plain supervisor opens no socket and never loads libpq. */
static int start_health(struct supervisor *s, struct sw_requirements *req)
{
    sw_err err;

    if (sw_requirements_load(req, s->cfg, &err) < 0) {
        sw_error("%s", err.msg);
        return SW_EXIT_USAGE;
    }
    if (!sw_requirements_any(req) && !s->cfg->serve.health_listen &&
        !sw_config_serve_needs_database(s->cfg))
        return SW_EXIT_OK;
    if (sw_health_server_start(&s->health, s->loop, s->cfg, req,
                               sw_config_serve_needs_database(s->cfg)) < 0)
        return SW_EXIT_FAIL;
    return SW_EXIT_OK;
}

int sw_serve(const struct sw_config *cfg, char **cmdline)
{
    struct sw_requirements req = {0};
    struct supervisor s = {
        .cfg = cfg, .loop = uv_default_loop(), .signals = {.fd = -1}, .req = &req};
    char **argv = server_argv(cfg, cmdline);
    struct sw_user user = {0};
    sw_err err;
    bool abandoned;
    int code;

    sw_log_never_block();
    if (!argv) {
        sw_error("nothing to serve: give a COMMAND or set [serve] command in the config");
        return SW_EXIT_USAGE;
    }
    if (cfg->serve.user && sw_user_lookup(cfg->serve.user, &user, &err) < 0) {
        sw_error("[serve] %s", err.msg);
        return SW_EXIT_USAGE;
    }
    /* Signals are watched before the gate so that a stop during the wait is honoured. */
    if (!s.loop || watch_signals(&s) < 0)
        code = SW_EXIT_FAIL;
    else
        code = start_health(&s, &req);
    if (code == SW_EXIT_OK)
        code = sw_gate_wait(s.loop, cfg, &s.gate_stop, s.health, &req);
    if (code == SW_EXIT_OK && !cfg->serve.exec)
        code = supervise(&s, argv, &user);
    sw_heartbeat_leave(s.fleet); /* completed by sw_loop_close(), within connect_timeout */
    sw_health_server_close(s.health);
    sw_sigwatch_close(&s.signals);
    abandoned = sw_health_server_busy(s.health);
    if (abandoned)
        sw_loop_abandon(s.loop); /* a re-check stuck on the database must not hold up the exit */
    else
        sw_loop_close(s.loop);
    sw_health_server_free(s.health);
    sw_heartbeat_free(s.fleet);
    sw_requirements_free(&req);
    if (code == SW_EXIT_OK && cfg->serve.exec) {
        /* The loop is closed first: its signal handlers and fds must not outlive us. */
        code = sw_exec(argv, &user, &err);
        sw_error("%s", err.msg);
    }
    sw_user_free(&user);
    if (abandoned) {
        /* exit() would run libuv's library destructor, which joins the thread pool: that is,
         * waits for the stuck re-check after all. */
        fflush(NULL);
        _exit(code);
    }
    return code;
}
