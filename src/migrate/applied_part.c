#include "migrate/applied_part.h"

#include <string.h>

int sw_applied_part_open(struct sw_applied_part *p, const struct sw_migration *m,
                         const struct sw_stmt *stmts, size_t n_stmts, sw_err *err)
{
    memset(p, 0, sizeof *p);
    p->m = m;
    p->stmts = stmts;
    p->n_stmts = n_stmts;
    p->stream = sw_checksum_open(err);
    return p->stream ? 0 : -1;
}

int sw_applied_part_next(struct sw_applied_part *p, char hex[SW_CHECKSUM_HEX_LEN + 1], sw_err *err)
{
    const struct sw_migration *m = p->m;
    const struct sw_stmt *st;
    size_t end;

    if (p->added == p->n_stmts) {
        sw_err_set(err, "%s: no statement %zu", m->name, p->added + 1);
        return -1;
    }
    st = &p->stmts[p->added++];
    end = st->off + st->len;
    if (sw_checksum_add(p->stream, m->sql + p->end, end - p->end, err) < 0)
        return -1;
    p->end = end;
    if (st->copy_from_stdin && p->copies < m->n_copies) {
        size_t c = p->copies++;
        if (sw_checksum_add(p->stream, m->copy_data + m->copy_off[c], m->copy_len[c], err) < 0)
            return -1;
    }
    return sw_checksum_so_far(p->stream, hex, err);
}

void sw_applied_part_close(struct sw_applied_part *p)
{
    sw_checksum_close(p->stream);
    p->stream = NULL;
}
