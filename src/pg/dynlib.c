#include "pg/dynlib.h"

#include <stddef.h>
#include <uv.h>

const struct sw_pq_api *sw_pq;
const struct sw_crypto_api *sw_crypto;
const EVP_MD *sw_sha256;

#define SW_PQ_SYMBOL(name) {#name, offsetof(struct sw_pq_api, name)},
#define SW_CRYPTO_SYMBOL(name) {#name, offsetof(struct sw_crypto_api, name)},

static const struct sw_dynsym pq_symbols[] = {SW_PQ_FUNCTIONS(SW_PQ_SYMBOL)};
static const struct sw_dynsym crypto_symbols[] = {SW_CRYPTO_FUNCTIONS(SW_CRYPTO_SYMBOL)};

/* Each library is loaded once per process, whichever thread asks first: the supervisor's
 * loop (gate, heartbeat) and the health server's re-check on libuv's thread pool may both
 * connect first. uv_once also makes the published table visible to every thread that asked.
 * A failure is final too: its message is kept for every later caller. */
struct once_load {
    uv_once_t once;
    int rc;
    sw_err err;
};

static struct once_load pq_load = {.once = UV_ONCE_INIT};
static struct once_load crypto_load = {.once = UV_ONCE_INIT};

static void load_pq(void)
{
    static struct sw_pq_api api;

    pq_load.rc = sw_dynload("libpq.so.5", "libpq5", pq_symbols,
                            sizeof pq_symbols / sizeof *pq_symbols, &api, &pq_load.err);
    if (pq_load.rc == 0)
        sw_pq = &api;
}

/* The fetched digest is kept for the process's life, as the library itself is. */
static void load_crypto(void)
{
    static struct sw_crypto_api api;

    crypto_load.rc =
        sw_dynload("libcrypto.so.3", "libssl3", crypto_symbols,
                   sizeof crypto_symbols / sizeof *crypto_symbols, &api, &crypto_load.err);
    if (crypto_load.rc < 0)
        return;
    sw_sha256 = api.EVP_MD_fetch(NULL, "SHA256", NULL);
    if (!sw_sha256) {
        sw_err_set(&crypto_load.err, "libcrypto.so.3 offers no SHA-256 (check its configuration)");
        crypto_load.rc = -1;
        return;
    }
    sw_crypto = &api;
}

static int loaded(struct once_load *l, void (*load)(void), sw_err *err)
{
    uv_once(&l->once, load);
    if (l->rc < 0)
        *err = l->err;
    return l->rc;
}

int sw_libpq_load(sw_err *err)
{
    return loaded(&pq_load, load_pq, err);
}

int sw_libcrypto_load(sw_err *err)
{
    return loaded(&crypto_load, load_crypto, err);
}
