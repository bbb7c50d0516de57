#include "pg/dynlib.h"

#include <stddef.h>

const struct sw_pq_api *sw_pq;
const struct sw_crypto_api *sw_crypto;

#define SW_PQ_SYMBOL(name) {#name, offsetof(struct sw_pq_api, name)},
#define SW_CRYPTO_SYMBOL(name) {#name, offsetof(struct sw_crypto_api, name)},

static const struct sw_dynsym pq_symbols[] = {SW_PQ_FUNCTIONS(SW_PQ_SYMBOL)};
static const struct sw_dynsym crypto_symbols[] = {SW_CRYPTO_FUNCTIONS(SW_CRYPTO_SYMBOL)};

int sw_libpq_load(sw_err *err)
{
    static struct sw_pq_api api;

    if (sw_pq)
        return 0;
    if (sw_dynload("libpq.so.5", "libpq5", pq_symbols, sizeof pq_symbols / sizeof *pq_symbols, &api,
                   err) < 0)
        return -1;
    sw_pq = &api;
    return 0;
}

int sw_libcrypto_load(sw_err *err)
{
    static struct sw_crypto_api api;

    if (sw_crypto)
        return 0;
    if (sw_dynload("libcrypto.so.3", "libssl3", crypto_symbols,
                   sizeof crypto_symbols / sizeof *crypto_symbols, &api, err) < 0)
        return -1;
    sw_crypto = &api;
    return 0;
}
