/* The supervisor's health answers: `slipway health` asks over a unix socket, Kubernetes over
 * optional HTTP (GET /healthz: alive; GET /readyz: dependencies satisfied and server running).
 * Either way no probe opens a database connection of its own: while the gate waits, the answer
 * is the gate's live one (it LISTENs for the upgrade's NOTIFY); afterwards a probe that finds
 * the answer older than 60 s triggers one short re-check on libuv's thread pool (its own loop
 * and connection, closed at once) and is answered when it completes, together with every probe
 * that arrived meanwhile. No connection is held between re-checks. GET /metrics renders the
 * last answer as it is (metrics.c): a scrape never starts a re-check.
 *
 * An upgrade or task run serves health_listen too, on its session's loop (jobhealth.c): alive,
 * never ready (a Job is no traffic target), and /metrics shows the run's progress. */
#include "health/healthsrv.h"

#include "base/log.h"
#include "health/metrics.h"
#include "health/sockfile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#define FRESH_MS 60000
/* A probe's request line and headers: anything longer is answered 431 and closed. */
#define HTTP_REQUEST_MAX 8192
/* A client that has not sent a whole request by then is closed: idle connections must not
 * pile up until the supervisor runs out of descriptors. */
#define HTTP_HEADER_TIMEOUT_MS 5000
/* Open HTTP connections at most, and never more than a quarter of the descriptor limit (the
 * unix socket, the database and the server's own need keep the rest); one more drops the
 * oldest still sending its request. With 8 KiB each the probes' memory stays under 2 MiB. */
#define HTTP_CLIENTS_MAX 256

enum client_kind { CLIENT_SOCKET, CLIENT_HTTP };

struct client {
    union {
        uv_handle_t handle;
        uv_stream_t stream;
        uv_pipe_t pipe;
        uv_tcp_t tcp;
    } h;
    uv_timer_t timer; /* HTTP: the header timeout */
    int handles;      /* open handles (connection, timer): freed when both are closed */
    bool timed;       /* the timer was initialised */
    bool replying;    /* the request is complete: no longer idle */
    bool head;        /* HEAD: headers only */
    enum client_kind kind;
    struct sw_health_server *srv;
    struct client *next;                /* waiting for the re-check */
    struct client *prev_all, *next_all; /* every open client, to close them at shutdown */
    char request[HTTP_REQUEST_MAX];
    size_t len;
};

struct sw_health_server {
    uv_loop_t *loop;
    const struct sw_config *cfg;
    const struct sw_requirements *req;
    uv_pipe_t unix_listener;
    uv_tcp_t http_listener;
    bool unix_open, http_open;
    char *socket_path;
    struct sw_sockfile socket_file;
    struct sw_health state;
    bool known, gating, running, checking;
    uint64_t child_exits;
    int child_exit_code;
    const struct sw_fleet *fleet;  /* the heartbeat's view, for /metrics; NULL: none */
    const struct sw_progress *run; /* an upgrade or task run's server: what it did so far */
    const char *run_doing;         /* its /readyz answer: "upgrade running" */
    uint64_t checked_at;
    uv_work_t work;
    struct sw_health work_result;
    struct client *waiting;
    struct client *clients;
    unsigned http_clients, http_clients_max;
    bool closed;
};

/* ---- answering ---------------------------------------------------------------------------- */

static void free_client(uv_handle_t *h)
{
    struct client *c = h->data;

    if (--c->handles > 0)
        return;
    if (c->kind == CLIENT_HTTP)
        c->srv->http_clients--;
    if (c->prev_all)
        c->prev_all->next_all = c->next_all;
    else
        c->srv->clients = c->next_all;
    if (c->next_all)
        c->next_all->prev_all = c->prev_all;
    free(c);
}

static void close_client(struct client *c)
{
    if (!uv_is_closing(&c->h.handle))
        uv_close(&c->h.handle, free_client);
    if (c->timed && !uv_is_closing((uv_handle_t *)&c->timer))
        uv_close((uv_handle_t *)&c->timer, free_client);
}

static void after_write(uv_write_t *w, int status)
{
    struct client *c = w->data;
    (void)status; /* a probe that went away is no concern of ours */
    free(w);
    close_client(c);
}

static void send_and_close(struct client *c, const char *text)
{
    size_t len = strlen(text);
    uv_write_t *w = malloc(sizeof *w + len);
    uv_buf_t buf;

    if (!w) {
        close_client(c);
        return;
    }
    memcpy(w + 1, text, len);
    buf = uv_buf_init((char *)(w + 1), (unsigned)len);
    w->data = c;
    if (uv_write(w, &c->h.stream, &buf, 1, after_write) < 0) {
        free(w);
        close_client(c);
    }
}

static const char *http_reason(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 400:
        return "Bad Request";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 431:
        return "Request Header Fields Too Large";
    default:
        return "Service Unavailable";
    }
}

/* A HEAD reply has the GET reply's headers, Content-Length included, and no body. */
static void http_reply(struct client *c, int status, const char *body)
{
    char text[1024];

    snprintf(text, sizeof text,
             "HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n%s"
             "Connection: close\r\n\r\n%s%s",
             status, http_reason(status), strlen(body) + 1,
             status == 405 ? "Allow: GET, HEAD\r\n" : "", c->head ? "" : body, c->head ? "" : "\n");
    send_and_close(c, text);
}

static void answer(struct sw_health_server *s, struct client *c)
{
    char line[600];

    if (c->kind == CLIENT_SOCKET) {
        snprintf(line, sizeof line, "%d %s\n", s->state.healthy ? 0 : 1, s->state.line);
        send_and_close(c, line);
    } else if (s->run) {
        http_reply(c, 503, s->run_doing);
    } else if (!s->running && s->state.healthy) {
        http_reply(c, 503, "dependencies satisfied, server not running");
    } else {
        http_reply(c, s->state.healthy ? 200 : 503, s->state.line);
    }
}

static void send_metrics(struct sw_health_server *s, struct client *c)
{
    struct sw_metrics m = {.image = s->cfg->serve.image,
                           .req = s->req,
                           .health = &s->state,
                           .child_up = s->running,
                           .child_exits = s->child_exits,
                           .child_exit_code = s->child_exit_code,
                           .fleet = s->fleet,
                           .run = s->run};
    size_t len;
    char *body = sw_metrics_render(&m, &len), *text = NULL;

    if (body && asprintf(&text,
                         "HTTP/1.1 200 OK\r\nContent-Type: " SW_METRICS_CONTENT_TYPE
                         "\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
                         len, c->head ? "" : body) < 0)
        text = NULL;
    if (text)
        send_and_close(c, text);
    else
        http_reply(c, 503, "out of memory");
    free(text);
    free(body);
}

/* ---- re-checking ---------------------------------------------------------------------------- */

static void recheck_work(uv_work_t *w)
{
    struct sw_health_server *s = w->data;
    sw_health_check_direct(s->cfg, s->req, &s->work_result);
}

static void recheck_done(uv_work_t *w, int status)
{
    struct sw_health_server *s = w->data;
    struct client *c = s->waiting;

    s->checking = false;
    if (s->closed)
        return; /* shutting down: the waiting probes were closed */
    if (status == 0)
        sw_health_server_update(s, &s->work_result);
    s->waiting = NULL;
    while (c) {
        struct client *next = c->next;
        answer(s, c);
        c = next;
    }
}

/* A run's server answers what it is doing: it never checks the database. */
static bool fresh(struct sw_health_server *s)
{
    return s->run || s->gating || (s->known && uv_now(s->loop) - s->checked_at < FRESH_MS);
}

/* Answers now when the state is fresh; otherwise queues c behind one re-check. */
static void respond(struct sw_health_server *s, struct client *c)
{
    if (fresh(s)) {
        answer(s, c);
        return;
    }
    c->next = s->waiting;
    s->waiting = c;
    if (s->checking)
        return;
    s->work.data = s;
    if (uv_queue_work(s->loop, &s->work, recheck_work, recheck_done) == 0) {
        s->checking = true;
        return;
    }
    snprintf(s->state.line, sizeof s->state.line, "health: cannot start a re-check");
    s->state.healthy = false;
    recheck_done(&s->work, -1);
}

/* ---- connections ------------------------------------------------------------------------------
 */

static struct client *accept_client(uv_stream_t *listener, enum client_kind kind)
{
    struct sw_health_server *s = listener->data;
    struct client *c = calloc(1, sizeof *c);
    int rc;

    if (!c)
        return NULL;
    c->kind = kind;
    c->srv = s;
    rc = kind == CLIENT_SOCKET ? uv_pipe_init(s->loop, &c->h.pipe, 0)
                               : uv_tcp_init(s->loop, &c->h.tcp);
    if (rc < 0) {
        free(c);
        return NULL;
    }
    c->h.handle.data = c;
    c->handles = 1;
    if (kind == CLIENT_HTTP) {
        s->http_clients++;
        c->timer.data = c;
        c->timed = uv_timer_init(s->loop, &c->timer) == 0; /* cannot fail in libuv */
        c->handles += c->timed;
    }
    c->next_all = s->clients;
    if (s->clients)
        s->clients->prev_all = c;
    s->clients = c;
    if (uv_accept(listener, &c->h.stream) < 0) {
        close_client(c);
        return NULL;
    }
    return c;
}

static void on_unix_connection(uv_stream_t *listener, int status)
{
    struct client *c = status < 0 ? NULL : accept_client(listener, CLIENT_SOCKET);
    if (c)
        respond(c->srv, c);
}

static void alloc_request(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    struct client *c = h->data;
    (void)suggested;
    *buf = uv_buf_init(c->request + c->len, (unsigned)(sizeof c->request - 1 - c->len));
}

/* Only the request line matters: "METHOD PATH[?QUERY] VERSION". Methods are case-sensitive
 * (RFC 9110): "get" is not GET, and gets 405 like any other method but GET and HEAD. */
static void route(struct client *c)
{
    char *line = c->request, *path, *end;

    line[strcspn(line, "\r\n")] = '\0';
    path = strchr(line, ' ');
    if (!path) {
        http_reply(c, 400, "bad request line");
        return;
    }
    *path++ = '\0';
    c->head = strcmp(line, "HEAD") == 0;
    if (!c->head && strcmp(line, "GET") != 0) {
        http_reply(c, 405, "only GET and HEAD");
        return;
    }
    end = path + strcspn(path, " ?#");
    *end = '\0';
    if (strcmp(path, "/healthz") == 0)
        http_reply(c, 200, "alive");
    else if (strcmp(path, "/readyz") == 0)
        respond(c->srv, c);
    else if (strcmp(path, "/metrics") == 0)
        send_metrics(c->srv, c);
    else
        http_reply(c, 404, "try GET /healthz, GET /readyz or GET /metrics");
}

/* The request is complete at the blank line ending its headers (CRLF, or bare LF as some
 * clients send). */
static bool request_complete(const char *r)
{
    return strstr(r, "\r\n\r\n") || strstr(r, "\n\n") || strstr(r, "\n\r\n");
}

static void on_request(uv_stream_t *stream, ssize_t n, const uv_buf_t *buf)
{
    struct client *c = stream->data;
    (void)buf;

    if (n < 0) {
        close_client(c);
        return;
    }
    c->len += (size_t)n;
    c->request[c->len] = '\0';
    if (request_complete(c->request) || c->len >= sizeof c->request - 1) {
        uv_read_stop(stream);
        uv_timer_stop(&c->timer);
        c->replying = true;
        if (request_complete(c->request))
            route(c);
        else
            http_reply(c, 431, "request line and headers are limited to 8 KiB");
    }
}

static void on_header_timeout(uv_timer_t *t)
{
    close_client(t->data);
}

/* The oldest connection still sending its request (the list is newest first). */
static struct client *oldest_idle(struct sw_health_server *s)
{
    struct client *found = NULL;

    for (struct client *c = s->clients; c; c = c->next_all)
        if (c->kind == CLIENT_HTTP && !c->replying && !uv_is_closing(&c->h.handle))
            found = c;
    return found;
}

static void on_http_connection(uv_stream_t *listener, int status)
{
    struct sw_health_server *s = listener->data;
    struct client *c, *idle;

    if (status < 0)
        return;
    if (s->http_clients >= s->http_clients_max && (idle = oldest_idle(s)))
        close_client(idle);
    c = accept_client(listener, CLIENT_HTTP);
    if (c && (uv_read_start(&c->h.stream, alloc_request, on_request) < 0 ||
              uv_timer_start(&c->timer, on_header_timeout, HTTP_HEADER_TIMEOUT_MS, 0) < 0))
        close_client(c);
}

/* ---- listeners --------------------------------------------------------------------------------
 */

/* The socket's directory (/run/slipway) may not exist yet in a fresh container. A stale socket
 * from an earlier run of the container is replaced; anything else at that path is left alone
 * (sockfile.c). Returns a libuv error, or 1 with err when the path is someone else's. */
static int listen_unix(struct sw_health_server *s, const char *path, sw_err *err)
{
    int rc;

    if (sw_sockfile_prepare(path, err) < 0)
        return 1;
    rc = uv_pipe_init(s->loop, &s->unix_listener, 0);
    if (rc < 0)
        return rc;
    s->unix_open = true;
    s->unix_listener.data = s;
    rc = uv_pipe_bind(&s->unix_listener, path);
    if (rc < 0)
        return rc;
    s->socket_path = strdup(path);
    if (!s->socket_path)
        return UV_ENOMEM;
    if (sw_sockfile_own(&s->socket_file, path, err) < 0)
        sw_warn("health_socket %s: %s", path, err->msg); /* root can still ask */
    return uv_listen((uv_stream_t *)&s->unix_listener, 64, on_unix_connection);
}

static int listen_http(struct sw_health_server *s, const char *spec)
{
    char host[256];
    const char *colon = strrchr(spec, ':');
    struct sockaddr_storage addr;
    int port = atoi(colon + 1), rc;

    snprintf(host, sizeof host, "%.*s", (int)(colon - spec), spec);
    if (host[0] == '[') { /* [::1]:8081 */
        memmove(host, host + 1, strlen(host));
        host[strcspn(host, "]")] = '\0';
    }
    rc = strchr(host, ':') ? uv_ip6_addr(host, port, (struct sockaddr_in6 *)&addr)
                           : uv_ip4_addr(host, port, (struct sockaddr_in *)&addr);
    if (rc == 0)
        rc = uv_tcp_init(s->loop, &s->http_listener);
    if (rc < 0)
        return rc;
    s->http_open = true;
    s->http_listener.data = s;
    rc = uv_tcp_bind(&s->http_listener, (const struct sockaddr *)&addr, 0);
    if (rc == 0)
        rc = uv_listen((uv_stream_t *)&s->http_listener, 64, on_http_connection);
    return rc;
}

static struct sw_health_server *server_new(uv_loop_t *loop, const struct sw_config *cfg,
                                           const struct sw_requirements *req)
{
    struct sw_health_server *s = calloc(1, sizeof *s);
    struct rlimit fds;

    if (!s) {
        sw_error("out of memory");
        return NULL;
    }
    s->loop = loop;
    s->cfg = cfg;
    s->req = req;
    s->http_clients_max = HTTP_CLIENTS_MAX;
    if (getrlimit(RLIMIT_NOFILE, &fds) == 0 && fds.rlim_cur / 4 < HTTP_CLIENTS_MAX)
        s->http_clients_max = fds.rlim_cur >= 8 ? (unsigned)(fds.rlim_cur / 4) : 2;
    snprintf(s->state.line, sizeof s->state.line, "waiting for the database");
    return s;
}

int sw_health_server_start(struct sw_health_server **out, uv_loop_t *loop,
                           const struct sw_config *cfg, const struct sw_requirements *req,
                           bool gating)
{
    struct sw_health_server *s = server_new(loop, cfg, req);
    sw_err err;
    int rc;

    *out = s;
    if (!s)
        return -1;
    s->gating = gating;
    /* Without a socket, `slipway health` checks the database itself: degraded, not broken. */
    if (cfg->serve.health_socket && (rc = listen_unix(s, cfg->serve.health_socket, &err)) != 0)
        sw_warn("health_socket %s: %s (health will query the database directly)",
                cfg->serve.health_socket, rc > 0 ? err.msg : uv_strerror(rc));
    /* An HTTP probe that cannot be served would fail every readiness check: refuse to start. */
    if (cfg->serve.health_listen && (rc = listen_http(s, cfg->serve.health_listen)) < 0) {
        sw_error("health_listen %s: %s", cfg->serve.health_listen, uv_strerror(rc));
        return -1;
    }
    return 0;
}

/* The unix socket stays the supervisor's: `slipway health` asks about the dependencies, which a
 * run does not check. */
struct sw_health_server *sw_health_server_start_run(uv_loop_t *loop, const struct sw_config *cfg,
                                                    const struct sw_requirements *req,
                                                    const struct sw_progress *run,
                                                    const char *doing)
{
    struct sw_health_server *s = server_new(loop, cfg, req);
    int rc;

    if (!s)
        return NULL;
    s->run = run;
    s->run_doing = doing;
    if ((rc = listen_http(s, cfg->serve.health_listen)) < 0)
        sw_warn("health_listen %s: %s (going on without /metrics)", cfg->serve.health_listen,
                uv_strerror(rc));
    return s;
}

void sw_health_server_update(struct sw_health_server *s, const struct sw_health *h)
{
    s->state = *h;
    s->known = true;
    s->checked_at = uv_now(s->loop);
}

void sw_health_server_gate_done(struct sw_health_server *s, bool keep_answer)
{
    s->gating = false;
    s->known = s->known && keep_answer;
}

void sw_health_server_set_running(struct sw_health_server *s, bool running)
{
    s->running = running;
}

void sw_health_server_set_fleet(struct sw_health_server *s, const struct sw_fleet *fleet)
{
    if (s)
        s->fleet = fleet;
}

void sw_health_server_child_exited(struct sw_health_server *s, int code)
{
    s->running = false;
    s->child_exits++;
    s->child_exit_code = code;
}

void sw_health_server_close(struct sw_health_server *s)
{
    if (!s || s->closed)
        return;
    s->closed = true;
    if (s->unix_open && !uv_is_closing((uv_handle_t *)&s->unix_listener))
        uv_close((uv_handle_t *)&s->unix_listener, NULL);
    if (s->http_open && !uv_is_closing((uv_handle_t *)&s->http_listener))
        uv_close((uv_handle_t *)&s->http_listener, NULL);
    for (struct client *c = s->clients; c; c = c->next_all)
        close_client(c);
    if (s->socket_path)
        sw_sockfile_remove(&s->socket_file, s->socket_path);
}

bool sw_health_server_busy(const struct sw_health_server *s)
{
    return s && s->checking;
}

void sw_health_server_free(struct sw_health_server *s)
{
    if (!s || s->checking)
        return;
    free(s->socket_path);
    free(s);
}
