/* src/pg/hostaddr.c: the host, hostaddr and port lists libpq gets for a url, looked up on a real
 * loop with the machine's resolver (localhost, a name under .invalid); and the host names put
 * back into libpq's messages. No database needed. */
#include "base/loop.h"
#include "pg/dynlib.h"
#include "pg/hostaddr.h"
#include "tap.h"

#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Looks url's hosts up; -1 with err as sw_resolve_finish() says. */
static int resolve(const char *url, struct sw_hostaddr *h, sw_err *err)
{
    struct sw_resolving *r;
    uv_loop_t loop;
    bool done;
    int rc = -1;

    memset(h, 0, sizeof *h);
    if (uv_loop_init(&loop) < 0)
        return -1;
    if (sw_resolve_start(&r, &loop, url, &done, err) == 0) {
        while (!done)
            uv_run(&loop, UV_RUN_ONCE);
        rc = sw_resolve_finish(r, h, err);
        sw_resolve_free(r);
    }
    sw_loop_close(&loop);
    return rc;
}

static bool same(const char *got, const char *want)
{
    return got && strcmp(got, want) == 0;
}

/* "localhost" once per address the resolver gives it, and those addresses, comma-separated. */
static void localhost_lists(char *hosts, char *addrs, char *ports, const char *port, size_t size)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res, *ai;
    size_t nh = 0, na = 0, np = 0;
    char a[NI_MAXHOST];

    hosts[0] = addrs[0] = ports[0] = '\0';
    if (getaddrinfo("localhost", NULL, &hints, &res) != 0)
        return;
    for (ai = res; ai; ai = ai->ai_next) {
        if (getnameinfo(ai->ai_addr, ai->ai_addrlen, a, sizeof a, NULL, 0, NI_NUMERICHOST))
            continue;
        nh += (size_t)snprintf(hosts + nh, size - nh, "%slocalhost", nh ? "," : "");
        na += (size_t)snprintf(addrs + na, size - na, "%s%s", na ? "," : "", a);
        np += (size_t)snprintf(ports + np, size - np, "%s%s", np ? "," : "", port);
    }
    freeaddrinfo(res);
}

static void test_lists(void)
{
    char hosts[512], addrs[512], ports[512], want[600];
    struct sw_hostaddr h;
    sw_err err;

    localhost_lists(hosts, addrs, ports, "1", sizeof hosts);
    TAP_OK(resolve("host=localhost,/run/pg,127.0.0.1,::1 port=1,2,3,4 dbname=x", &h, &err) == 0,
           "a mixed host list resolves");
    snprintf(want, sizeof want, "%s,/run/pg,127.0.0.1,::1", hosts);
    TAP_OK(same(h.host, want),
           "host: each name once per address, socket and addresses as given: %s", h.host);
    snprintf(want, sizeof want, "%s,,127.0.0.1,::1", addrs);
    TAP_OK(same(h.hostaddr, want), "hostaddr: the addresses, empty for the socket: %s", h.hostaddr);
    snprintf(want, sizeof want, "%s,2,3,4", ports);
    TAP_OK(same(h.port, want), "port: each host keeps its own: %s", h.port);
    sw_hostaddr_free(&h);

    localhost_lists(hosts, addrs, ports, "5433", sizeof hosts);
    TAP_OK(resolve("postgresql://u@localhost:5433/db", &h, &err) == 0 && same(h.host, hosts) &&
               same(h.hostaddr, addrs) && same(h.port, ports),
           "a URI: %s / %s / %s", h.host, h.hostaddr, h.port);
    sw_hostaddr_free(&h);

    TAP_OK(resolve("host=/run/pg port=5432", &h, &err) == 0 && same(h.host, "/run/pg") &&
               same(h.hostaddr, "") && same(h.port, "5432"),
           "a socket directory: no lookup, empty hostaddr");
    sw_hostaddr_free(&h);
}

static void test_left_alone(void)
{
    static const char *const urls[] = {
        "host=localhost hostaddr=127.0.0.1 port=5432", /* the user's own hostaddr */
        "service=app",                                 /* the service file may set the host */
        "host=a,b port=1,2,3",                         /* libpq says what is wrong */
        "dbname=x",                                    /* no host: libpq's default socket */
    };
    struct sw_hostaddr h;
    sw_err err;

    for (size_t i = 0; i < sizeof urls / sizeof *urls; i++) {
        int rc = resolve(urls[i], &h, &err);
        TAP_OK(rc == 0 && !h.host && !h.hostaddr && !h.port, "nothing added for '%s'", urls[i]);
        sw_hostaddr_free(&h);
    }
}

static void test_failures(void)
{
    struct sw_hostaddr h;
    sw_err err;

    TAP_OK(resolve("host=slipway-no-such-host.invalid,127.0.0.1 port=7", &h, &err) == 0 &&
               same(h.host, "127.0.0.1") && same(h.hostaddr, "127.0.0.1") && same(h.port, "7"),
           "a host that does not resolve is left out, the next one stays");
    TAP_OK(strstr(h.skipped, "could not translate host name \"slipway-no-such-host.invalid\""),
           "and why is kept for the message: %s", h.skipped);
    sw_hostaddr_free(&h);
    TAP_OK(resolve("host=slipway-no-such-host.invalid port=7", &h, &err) < 0 && !h.host,
           "no host left: an error");
    TAP_OK(strncmp(err.msg,
                   "could not translate host name \"slipway-no-such-host.invalid\" to "
                   "address: ",
                   60) == 0 &&
               !strstr(err.msg, "; "),
           "one reason, libpq's words: %s", err.msg);
}

static void test_explain(void)
{
    struct sw_hostaddr h = {.host = "db,10.0.0.6", .hostaddr = "10.0.0.5,10.0.0.6"};
    char out[512];

    sw_hostaddr_explain(&h,
                        "connection to server at \"10.0.0.5\", port 5432 failed: refused; "
                        "connection to server at \"10.0.0.6\", port 5432 failed: timeout",
                        out, sizeof out);
    TAP_OK(strcmp(out, "connection to server at \"db\" (10.0.0.5), port 5432 failed: refused; "
                       "connection to server at \"10.0.0.6\", port 5432 failed: timeout") == 0,
           "the name is put back beside its address, an address given as such stays: %s", out);
    sw_hostaddr_explain(&h, "connection to server at \"db\" (10.0.0.5), port 5", out, 20);
    TAP_OK(strlen(out) == 19, "cut to the buffer: %s", out);
}

int main(void)
{
    sw_err err;

    /* libpq's defaults must not bring a host or hostaddr of the machine's in */
    unsetenv("PGHOST");
    unsetenv("PGHOSTADDR");
    unsetenv("PGSERVICE");
    unsetenv("PGPORT");
    if (sw_libpq_load(&err) < 0) {
        printf("Bail out! %s\n", err.msg);
        return 1;
    }
    test_lists();
    test_left_alone();
    test_failures();
    test_explain();
    return tap_done();
}
