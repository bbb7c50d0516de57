#include "migrate/plan.h"

#include <stdlib.h>
#include <string.h>

_Static_assert(SW_CHECKSUM_HEX_LEN + 1 == SW_MIGRATION_SUM_MAX, "migdir keeps our checksums");

/* The checksum of each of the n migrations (summed as the set was loaded) into a new array
 * *out. */
static int checksum_all(const struct sw_migration *items, size_t n,
                        char (**out)[SW_CHECKSUM_HEX_LEN + 1], sw_err *err)
{
    if (n == 0)
        return 0;
    *out = calloc(n, sizeof **out);
    if (!*out) {
        sw_err_set(err, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        memcpy((*out)[i], items[i].checksum, sizeof(*out)[i]);
    return 0;
}

int sw_plan_checksums(struct sw_plan *p, const struct sw_migration_set *set, sw_err *err)
{
    memset(p, 0, sizeof *p);
    if (checksum_all(set->items, set->n, &p->checksums, err) < 0 ||
        checksum_all(set->repeatables, set->n_repeatables, &p->repeat_checksums, err) < 0) {
        sw_plan_free(p);
        return -1;
    }
    return 0;
}

int sw_plan_repeatables(struct sw_plan *p, const struct sw_migration_set *set,
                        const struct sw_repeatable_rows *r, sw_err *err)
{
    free(p->repeat_pending);
    p->n_repeat_pending = 0;
    p->repeat_pending = calloc(set->n_repeatables + 1, sizeof *p->repeat_pending);
    if (!p->repeat_pending) {
        sw_err_set(err, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < set->n_repeatables; i++) {
        const char *recorded = sw_repeatables_checksum(r, &set->repeatables[i]);
        if (!recorded || strcmp(recorded, p->repeat_checksums[i]) != 0)
            p->repeat_pending[p->n_repeat_pending++] = i;
    }
    return 0;
}

static void reset_findings(struct sw_plan *p)
{
    free(p->pending);
    free(p->drift);
    free(p->early);
    free(p->unknown);
    p->pending = p->drift = p->early = NULL;
    p->unknown = NULL;
    p->n_pending = p->n_drift = p->n_early = p->n_unknown = p->n_applied = 0;
    p->has_version = false;
    p->schema_version = sw_version_of(0);
}

static void find_schema_version(struct sw_plan *p, const struct sw_history *h)
{
    for (size_t i = 0; i < h->n; i++) {
        if (h->rows[i].success) {
            p->has_version = true;
            p->schema_version = h->rows[i].version; /* rows ascend */
            p->n_applied++;
        }
    }
}

static void classify_files(struct sw_plan *p, const struct sw_migration_set *set,
                           const struct sw_history *h)
{
    for (size_t i = 0; i < set->n; i++) {
        const struct sw_history_row *row = sw_history_find(h, &set->items[i].version);
        if (row && row->success) {
            if (strcmp(row->checksum, p->checksums[i]) != 0)
                p->drift[p->n_drift++] = i;
            continue;
        }
        p->pending[p->n_pending++] = i;
        if (p->has_version && sw_version_cmp(&set->items[i].version, &p->schema_version) < 0)
            p->early[p->n_early++] = i;
    }
}

static void find_unknown(struct sw_plan *p, const struct sw_migration_set *set,
                         const struct sw_history *h)
{
    for (size_t i = 0; i < h->n; i++) {
        if (sw_migrations_find(set, &h->rows[i].version) < 0)
            p->unknown[p->n_unknown++] = &h->rows[i];
    }
}

int sw_plan_build(struct sw_plan *p, const struct sw_migration_set *set, const struct sw_history *h,
                  sw_err *err)
{
    reset_findings(p);
    /* one spare slot each, so that empty sets still allocate */
    p->pending = calloc(set->n + 1, sizeof *p->pending);
    p->drift = calloc(set->n + 1, sizeof *p->drift);
    p->early = calloc(set->n + 1, sizeof *p->early);
    p->unknown = calloc(h->n + 1, sizeof *p->unknown);
    if (!p->pending || !p->drift || !p->early || !p->unknown) {
        reset_findings(p);
        sw_err_set(err, "out of memory");
        return -1;
    }
    find_schema_version(p, h);
    classify_files(p, set, h);
    find_unknown(p, set, h);
    return 0;
}

void sw_plan_free(struct sw_plan *p)
{
    reset_findings(p);
    free(p->checksums);
    free(p->repeat_checksums);
    free(p->repeat_pending);
    p->checksums = p->repeat_checksums = NULL;
    p->repeat_pending = NULL;
    p->n_repeat_pending = 0;
}
