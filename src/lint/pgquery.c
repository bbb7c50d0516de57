#include "lint/pgquery.h"

#include <stddef.h>

const struct sw_pgquery_api *sw_pgq;

#define SW_PGQUERY_SYMBOL(name) {#name, offsetof(struct sw_pgquery_api, name)},

static const struct sw_dynsym symbols[] = {SW_PGQUERY_FUNCTIONS(SW_PGQUERY_SYMBOL)};

int sw_pgquery_load(sw_err *err)
{
    static struct sw_pgquery_api api;

    if (sw_pgq)
        return 0;
    if (sw_dynload(SW_PGQUERY_SONAME, SW_PGQUERY_PACKAGE, symbols, sizeof symbols / sizeof *symbols,
                   &api, err) < 0)
        return -1;
    sw_pgq = &api;
    return 0;
}
