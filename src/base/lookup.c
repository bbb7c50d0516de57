#include "base/lookup.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

/* What the thread and the caller share: freed by whichever of them lets go last. */
struct shared {
    atomic_int refs;
    atomic_bool finished; /* res and gai are written before it is set */
    int efd;              /* written once by the thread: the loop's wake-up */
    char *name;
    struct addrinfo *res;
    int gai;
};

struct sw_lookup {
    struct shared *sh;
    uv_poll_t *poll; /* on sh->efd; closed (and freed) by sw_lookup_end */
    void (*on_done)(void *arg);
    void *arg;
};

static void release(struct shared *sh)
{
    if (atomic_fetch_sub(&sh->refs, 1) != 1)
        return;
    if (sh->res)
        freeaddrinfo(sh->res);
    if (sh->efd >= 0)
        close(sh->efd);
    free(sh->name);
    free(sh);
}

static void *resolve(void *arg)
{
    struct shared *sh = arg;
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}; /* as libpq */
    uint64_t one = 1;
    ssize_t w;

    sh->gai = getaddrinfo(sh->name, NULL, &hints, &sh->res);
    atomic_store(&sh->finished, true);
    /* An eventfd write of 1 fails only on counter overflow, which one write cannot cause; were
     * it to fail anyway, the caller's own bound ends its wait. */
    w = write(sh->efd, &one, sizeof one);
    (void)w;
    release(sh);
    return NULL;
}

static void on_ready(uv_poll_t *h, int status, int events)
{
    struct sw_lookup *l = h->data;

    (void)status; /* an eventfd has no error to report */
    (void)events;
    if (!atomic_load(&l->sh->finished))
        return;
    uv_poll_stop(h);
    l->on_done(l->arg);
}

static void free_handle(uv_handle_t *h)
{
    free(h);
}

/* A detached thread that takes no signal (they are the loop's to handle). */
static int start_thread(struct shared *sh)
{
    sigset_t all, old;
    pthread_attr_t attr;
    pthread_t t;
    int rc;

    if ((rc = pthread_attr_init(&attr)) != 0)
        return rc;
    rc = pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    sigfillset(&all);
    if (rc == 0)
        rc = pthread_sigmask(SIG_SETMASK, &all, &old);
    if (rc == 0) {
        rc = pthread_create(&t, &attr, resolve, sh);
        pthread_sigmask(SIG_SETMASK, &old, NULL); /* restores what worked a moment ago */
    }
    pthread_attr_destroy(&attr);
    return rc;
}

static int watch(struct sw_lookup *l, uv_loop_t *loop)
{
    l->poll = malloc(sizeof *l->poll);
    if (!l->poll)
        return UV_ENOMEM;
    int rc = uv_poll_init(loop, l->poll, l->sh->efd);
    if (rc < 0) {
        free(l->poll);
        l->poll = NULL;
        return rc;
    }
    l->poll->data = l;
    return uv_poll_start(l->poll, UV_READABLE, on_ready);
}

int sw_lookup_start(struct sw_lookup **out, uv_loop_t *loop, const char *name,
                    void (*on_done)(void *arg), void *arg, sw_err *err)
{
    struct sw_lookup *l = calloc(1, sizeof *l);
    int rc;

    *out = NULL;
    if (!l || !(l->sh = calloc(1, sizeof *l->sh))) {
        free(l);
        sw_err_set(err, "out of memory");
        return -1;
    }
    atomic_init(&l->sh->refs, 1);
    l->on_done = on_done;
    l->arg = arg;
    l->sh->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    l->sh->name = strdup(name);
    if (l->sh->efd < 0 || !l->sh->name) {
        sw_err_set(err, "cannot look up host \"%s\": out of resources", name);
        sw_lookup_end(l);
        return -1;
    }
    if ((rc = watch(l, loop)) < 0) {
        sw_err_set(err, "cannot look up host \"%s\": %s", name, uv_strerror(rc));
        sw_lookup_end(l);
        return -1;
    }
    atomic_fetch_add(&l->sh->refs, 1); /* the thread's */
    if ((rc = start_thread(l->sh)) != 0) {
        atomic_fetch_sub(&l->sh->refs, 1);
        sw_err_set(err, "cannot look up host \"%s\": no thread: %s", name, strerror(rc));
        sw_lookup_end(l);
        return -1;
    }
    *out = l;
    return 0;
}

const struct addrinfo *sw_lookup_result(const struct sw_lookup *l, int *gai_error)
{
    *gai_error = l->sh->gai;
    return l->sh->gai == 0 ? l->sh->res : NULL;
}

void sw_lookup_end(struct sw_lookup *l)
{
    if (!l)
        return;
    /* Closing the watcher takes the eventfd out of epoll now, before the thread may close it. */
    if (l->poll)
        uv_close((uv_handle_t *)l->poll, free_handle);
    release(l->sh);
    free(l);
}
