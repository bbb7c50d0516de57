#include "fleet/contract.h"

#include "base/exitcodes.h"
#include "base/log.h"
#include "base/loop.h"
#include "fleet/registry.h"

#include <stdio.h>

#define LOG_EVERY_MS 5000
#define RECHECK_MS 1000

/* One line per replica, after a headline: which image, which replica, how long ago. */
static void name_replicas(enum sw_log_level level, const struct sw_fleet *f)
{
    char v[SW_VERSION_TEXT_MAX];

    for (size_t i = 0; i < f->n; i++) {
        const struct sw_replica *r = &f->items[i];
        sw_log(level, "  image %s, instance %s, requires %s, last seen %.1f s ago",
               r->image[0] ? r->image : "(unlabelled)", r->instance,
               sw_version_format(&r->requires, '.', v), r->seen_ago_s);
    }
}

static int read_blockers(struct sw_session *s, const struct sw_migration *m, struct sw_fleet *f)
{
    sw_err err;

    sw_fleet_free(f);
    if (sw_fleet_read(s->db, s->tables.fleet, s->cfg->migrations.fleet_ttl_ms, &m->floor, f,
                      &err) == 0)
        return SW_EXIT_OK;
    if (sw_db_stopped(s->db))
        return sw_session_stop_code(s);
    sw_error("%s: contract migration, but the replicas' registry cannot be read: %s", m->name,
             err.msg);
    return SW_EXIT_FAIL;
}

/* Until the next re-check: a NOTIFY, a second, or what is left of contract_wait. */
static int until_recheck(struct sw_session *s, bool *listening, int64_t left)
{
    sw_err err;

    if (!*listening && sw_db_command(s->db, "LISTEN " SW_FLEET_CHANNEL, &err) == 0)
        *listening = true;
    if (sw_db_wait_notify(s->db, left >= 0 && left < RECHECK_MS ? left : RECHECK_MS, &err) >= 0)
        return SW_EXIT_OK;
    if (sw_db_stopped(s->db))
        return sw_session_stop_code(s);
    sw_error("waiting for older replicas: %s", err.msg);
    return SW_EXIT_FAIL;
}

static int give_up(const struct sw_migration *m, const struct sw_fleet *f, double waited_s)
{
    char floor[SW_VERSION_TEXT_MAX];

    sw_error("%s is a contract migration (floor %s) and %zu live replica%s still require%s "
             "less (waited %.1f s, contract_wait); everything before it was applied; stop "
             "them, let them expire (fleet_ttl) or run --upgrade --force-contract:",
             m->name, sw_version_format(&m->floor, '.', floor), f->n, f->n == 1 ? "" : "s",
             f->n == 1 ? "s" : "", waited_s);
    name_replicas(SW_LOG_ERROR, f);
    return SW_EXIT_CONTRACT;
}

static int wait_for_fleet(struct sw_session *s, const struct sw_migration *m, struct sw_fleet *f)
{
    int64_t wait = s->cfg->migrations.contract_wait_ms, start = sw_loop_now_ms(&s->loop),
            logged = -1;
    char floor[SW_VERSION_TEXT_MAX];
    bool listening = false;
    int rc = SW_EXIT_OK;
    sw_err err;

    if (f->n == 0)
        return SW_EXIT_OK;
    sw_version_format(&m->floor, '.', floor);
    while (rc == SW_EXIT_OK && f->n > 0) {
        int64_t spent = sw_loop_now_ms(&s->loop) - start;
        if (wait >= 0 && spent >= wait)
            return give_up(m, f, (double)spent / 1000.0);
        if (logged < 0 || spent - logged >= LOG_EVERY_MS) {
            sw_info("%s (contract, floor %s) waits for %zu older replica%s to stop or expire:",
                    m->name, floor, f->n, f->n == 1 ? "" : "s");
            name_replicas(SW_LOG_INFO, f);
            logged = spent;
        }
        rc = until_recheck(s, &listening, wait >= 0 ? wait - spent : -1);
        if (rc == SW_EXIT_OK)
            rc = read_blockers(s, m, f);
    }
    /* a failure shows again, with its context, in the next statement the upgrade sends */
    if (listening && rc == SW_EXIT_OK &&
        sw_db_command(s->db, "UNLISTEN " SW_FLEET_CHANNEL, &err) < 0)
        sw_debug("UNLISTEN: %s", err.msg);
    if (rc == SW_EXIT_OK)
        sw_info("%s: no replica requires less than %s any more: applying it", m->name, floor);
    return rc;
}

int sw_contract_wait(struct sw_session *s, const struct sw_migration *m, bool force)
{
    struct sw_fleet f = {0};
    char floor[SW_VERSION_TEXT_MAX];
    int rc;

    if (!sw_migration_is_contract(m))
        return SW_EXIT_OK;
    rc = read_blockers(s, m, &f);
    if (rc == SW_EXIT_OK && f.n > 0 && force) {
        sw_warn("--force-contract: applying %s (floor %s) although %zu live replica%s still "
                "require%s less and may fail on the contracted schema:",
                m->name, sw_version_format(&m->floor, '.', floor), f.n, f.n == 1 ? "" : "s",
                f.n == 1 ? "s" : "");
        name_replicas(SW_LOG_WARN, &f);
    } else if (rc == SW_EXIT_OK) {
        rc = wait_for_fleet(s, m, &f);
    }
    sw_fleet_free(&f);
    return rc;
}
