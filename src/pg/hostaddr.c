#include "pg/hostaddr.h"

#include "base/lookup.h"
#include "pg/dynlib.h"

#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct entry {
    struct sw_resolving *r;
    const char *host, *port;  /* items of r->hosts and r->ports */
    const char *hostaddr;     /* without a lookup: the IP address itself, or "" for a socket */
    struct sw_lookup *lookup; /* a host name being looked up */
    bool answered;
};

struct sw_resolving {
    char *hosts, *ports; /* the effective lists, split in place into the entries */
    struct entry *e;
    size_t n, pending;
    bool *done;
};

const char *sw_conninfo_get(const PQconninfoOption *opts, const char *key)
{
    for (; opts && opts->keyword; opts++) {
        if (strcmp(opts->keyword, key) == 0)
            return opts->val;
    }
    return NULL;
}

/* The url's value of key, else libpq's default (the PG* variables, a PGSERVICE, built in). */
static const char *effective(const PQconninfoOption *url, const PQconninfoOption *defaults,
                             const char *key)
{
    const char *v = sw_conninfo_get(url, key);

    if (!v || !*v)
        v = sw_conninfo_get(defaults, key);
    return v ? v : "";
}

static size_t count_items(const char *list)
{
    size_t n = 1;

    for (; *list; list++)
        n += *list == ',';
    return n;
}

/* libpq's own list syntax: items separated by commas, no quoting. */
static void split(char *list, const char **items)
{
    size_t i = 0;

    items[i++] = list;
    for (; *list; list++) {
        if (*list == ',') {
            *list = '\0';
            items[i++] = list + 1;
        }
    }
}

static bool is_address(const char *host)
{
    struct addrinfo hints = {.ai_flags = AI_NUMERICHOST}, *res;

    if (getaddrinfo(host, NULL, &hints, &res) != 0)
        return false; /* AI_NUMERICHOST: decided without asking any resolver */
    freeaddrinfo(res);
    return true;
}

/* One entry per host of the list, each with its port (one port for all, or one each). */
static int make_entries(struct sw_resolving *r)
{
    size_t n = count_items(r->hosts), np = count_items(r->ports);
    const char **hosts = calloc(n, sizeof *hosts), **ports = calloc(np, sizeof *ports);
    int rc = -1;

    r->e = calloc(n, sizeof *r->e);
    if (hosts && ports && r->e) {
        split(r->hosts, hosts);
        split(r->ports, ports);
        /* another count of ports is libpq's error to report: it does, before any lookup */
        r->n = np == 1 || np == n ? n : 0;
        for (size_t i = 0; i < r->n; i++) {
            r->e[i] = (struct entry){.r = r, .host = hosts[i], .port = ports[np == 1 ? 0 : i]};
            if (!*hosts[i] || hosts[i][0] == '/' || hosts[i][0] == '@')
                r->e[i].hostaddr = ""; /* libpq's default socket, a socket path */
            else if (is_address(hosts[i]))
                r->e[i].hostaddr = hosts[i];
        }
        rc = 0;
    }
    free(hosts);
    free(ports);
    return rc;
}

/* The effective host and port lists of url. No entries when there is nothing to look up. */
static int plan(struct sw_resolving *r, const char *url)
{
    PQconninfoOption *parsed = NULL, *defaults = sw_pq->PQconndefaults();
    int rc = -1;

    if (url && *url)
        parsed = sw_pq->PQconninfoParse(url, NULL);
    if (defaults && (parsed || !url || !*url)) {
        rc = 0;
        /* a service the url names may set the host: libpq's to read (PGSERVICE's is a default) */
        if (!*effective(parsed, NULL, "service") && !*effective(parsed, defaults, "hostaddr") &&
            *effective(parsed, defaults, "host")) {
            r->hosts = strdup(effective(parsed, defaults, "host"));
            r->ports = strdup(effective(parsed, defaults, "port"));
            rc = r->hosts && r->ports ? make_entries(r) : -1;
        }
    }
    sw_pq->PQconninfoFree(parsed);
    sw_pq->PQconninfoFree(defaults);
    return rc;
}

static void on_answer(void *arg)
{
    struct entry *e = arg;

    e->answered = true;
    if (--e->r->pending == 0)
        *e->r->done = true;
}

int sw_resolve_start(struct sw_resolving **out, uv_loop_t *loop, const char *url, bool *done,
                     sw_err *err)
{
    struct sw_resolving *r = calloc(1, sizeof *r);

    *out = NULL;
    *done = false;
    if (!r || plan(r, url) < 0) {
        sw_resolve_free(r);
        sw_err_set(err, "out of memory");
        return -1;
    }
    r->done = done;
    for (size_t i = 0; i < r->n; i++) {
        if (r->e[i].hostaddr)
            continue;
        r->pending++; /* answers come from the loop, never during this call */
        if (sw_lookup_start(&r->e[i].lookup, loop, r->e[i].host, on_answer, &r->e[i], err) < 0) {
            sw_resolve_free(r);
            return -1;
        }
    }
    *done = r->pending == 0;
    *out = r;
    return 0;
}

static void add(FILE *f, const char *item, bool first)
{
    fprintf(f, "%s%s", first ? "" : ",", item);
}

/* Adds e's host entries (one per address) to the lists; false when it has none, said in
 * skipped. */
static bool add_entry(const struct entry *e, FILE *const lists[3], bool first, char *skipped,
                      size_t size)
{
    const struct addrinfo *ai;
    char addr[NI_MAXHOST];
    size_t used = strlen(skipped), added = 0;
    int gai = 0;

    if (e->hostaddr) {
        const char *items[3] = {e->host, e->hostaddr, e->port};
        for (int k = 0; k < 3; k++)
            add(lists[k], items[k], first);
        return true;
    }
    ai = e->answered ? sw_lookup_result(e->lookup, &gai) : NULL;
    for (; ai; ai = ai->ai_next) {
        if (getnameinfo(ai->ai_addr, ai->ai_addrlen, addr, sizeof addr, NULL, 0, NI_NUMERICHOST))
            continue; /* not an address libpq could take either */
        const char *items[3] = {e->host, addr, e->port};
        for (int k = 0; k < 3; k++)
            add(lists[k], items[k], first && added == 0);
        added++;
    }
    if (added)
        return true;
    if (!e->answered)
        snprintf(skipped + used, size - used, "no answer from the DNS resolver for host \"%s\"; ",
                 e->host);
    else
        snprintf(skipped + used, size - used,
                 "could not translate host name \"%s\" to address: %s; ", e->host,
                 gai ? gai_strerror(gai) : "no usable address");
    return false;
}

int sw_resolve_finish(struct sw_resolving *r, struct sw_hostaddr *out, sw_err *err)
{
    char **bufs[3] = {&out->host, &out->hostaddr, &out->port};
    size_t sizes[3];
    FILE *lists[3];
    bool any = false, failed = false;

    memset(out, 0, sizeof *out);
    if (r->n == 0)
        return 0;
    for (int k = 0; k < 3; k++)
        lists[k] = open_memstream(bufs[k], &sizes[k]);
    failed = !lists[0] || !lists[1] || !lists[2];
    for (size_t i = 0; i < r->n && !failed; i++)
        if (add_entry(&r->e[i], lists, !any, out->skipped, sizeof out->skipped))
            any = true;
    for (int k = 0; k < 3; k++)
        if (lists[k] && fclose(lists[k]) != 0)
            failed = true;
    if (failed || !any) {
        size_t len = strlen(out->skipped);
        if (len >= 2)
            out->skipped[len - 2] = '\0'; /* the last "; " */
        sw_err_set(err, "%s", failed ? "out of memory" : out->skipped);
        sw_hostaddr_free(out);
        return -1;
    }
    return 0;
}

void sw_resolve_free(struct sw_resolving *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++)
        sw_lookup_end(r->e[i].lookup);
    free(r->e);
    free(r->hosts);
    free(r->ports);
    free(r);
}

void sw_hostaddr_free(struct sw_hostaddr *h)
{
    free(h->host);
    free(h->hostaddr);
    free(h->port);
    h->host = h->hostaddr = h->port = NULL;
}

/* The host name given with address addr[0..len), when one was (not an address itself). */
static bool name_of(const struct sw_hostaddr *h, const char *addr, size_t len, const char **name,
                    int *name_len)
{
    const char *hp = h->host, *ap = h->hostaddr;

    while (hp && ap) {
        const char *he = strchrnul(hp, ','), *ae = strchrnul(ap, ',');
        if ((size_t)(ae - ap) == len && strncmp(ap, addr, len) == 0 && he > hp &&
            ((size_t)(he - hp) != len || strncmp(hp, addr, len) != 0)) {
            *name = hp;
            *name_len = (int)(he - hp);
            return true;
        }
        hp = *he ? he + 1 : NULL;
        ap = *ae ? ae + 1 : NULL;
    }
    return false;
}

void sw_hostaddr_explain(const struct sw_hostaddr *h, const char *msg, char *out, size_t size)
{
    static const char at[] = "server at \"";
    const size_t at_len = sizeof at - 1;
    size_t n = 0;

    while (*msg && n + 1 < size) {
        const char *addr = msg + at_len, *q, *name;
        int name_len, w;
        if (h->host && strncmp(msg, at, at_len) == 0 && (q = strchr(addr, '"')) &&
            strncmp(q, "\", port", 7) == 0 &&
            name_of(h, addr, (size_t)(q - addr), &name, &name_len)) {
            w = snprintf(out + n, size - n, "%s%.*s\" (%.*s)", at, name_len, name, (int)(q - addr),
                         addr);
            n = w < 0 || (size_t)w >= size - n ? size - 1 : n + (size_t)w;
            msg = q + 1;
            continue;
        }
        out[n++] = *msg++;
    }
    out[n < size ? n : size - 1] = '\0';
}
