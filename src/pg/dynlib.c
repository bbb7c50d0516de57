#include "pg/dynlib.h"

#include <dlfcn.h>
#include <stddef.h>

const struct sw_pq_api *sw_pq;
const struct sw_crypto_api *sw_crypto;

struct symbol {
    const char *name;
    size_t offset;
};

#define SW_PQ_SYMBOL(name) {#name, offsetof(struct sw_pq_api, name)},
#define SW_CRYPTO_SYMBOL(name) {#name, offsetof(struct sw_crypto_api, name)},

static const struct symbol pq_symbols[] = {SW_PQ_FUNCTIONS(SW_PQ_SYMBOL)};
static const struct symbol crypto_symbols[] = {SW_CRYPTO_FUNCTIONS(SW_CRYPTO_SYMBOL)};

/* Opens soname and stores each symbol's address at its offset in table. The handle is kept
 * for the life of the process: the table points into it. */
static int load(const char *soname, const char *package, const struct symbol *symbols, size_t n,
                void *table, sw_err *err)
{
    void *handle = dlopen(soname, RTLD_NOW | RTLD_LOCAL);

    if (!handle) {
        sw_err_set(err, "cannot load %s: %s (install %s)", soname, dlerror(), package);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        void *fn = dlsym(handle, symbols[i].name);
        if (!fn) {
            sw_err_set(err, "cannot load %s: no symbol %s (install a newer %s)", soname,
                       symbols[i].name, package);
            dlclose(handle);
            return -1;
        }
        *(void **)((char *)table + symbols[i].offset) = fn;
    }
    return 0;
}

int sw_libpq_load(sw_err *err)
{
    static struct sw_pq_api api;

    if (sw_pq)
        return 0;
    if (load("libpq.so.5", "libpq5", pq_symbols, sizeof pq_symbols / sizeof *pq_symbols, &api,
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
    if (load("libcrypto.so.3", "libssl3", crypto_symbols,
             sizeof crypto_symbols / sizeof *crypto_symbols, &api, err) < 0)
        return -1;
    sw_crypto = &api;
    return 0;
}
