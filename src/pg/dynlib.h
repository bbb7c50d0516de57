/* libpq and libcrypto, loaded on demand with dlopen() (base/dynload.h).
 *
 * Linked directly, libpq drags ~25 shared libraries into every start, serve mode included, so
 * neither library is linked: the loaders fill a table of pointers once. Code calls through the
 * table: sw_pq->PQconnectPoll(conn). */
#ifndef SLIPWAY_PG_DYNLIB_H
#define SLIPWAY_PG_DYNLIB_H

#include "base/dynload.h"
#include "base/err.h"

#include <libpq-fe.h>
#include <openssl/evp.h>

/* Every libpq function slipway calls: X(name) for each. */
#define SW_PQ_FUNCTIONS(X)                                                                         \
    X(PQconnectStartParams)                                                                        \
    X(PQconnectPoll)                                                                               \
    X(PQstatus)                                                                                    \
    X(PQserverVersion)                                                                             \
    X(PQbackendPID)                                                                                \
    X(PQsocket)                                                                                    \
    X(PQerrorMessage)                                                                              \
    X(PQfinish)                                                                                    \
    X(PQconninfo)                                                                                  \
    X(PQconninfoParse)                                                                             \
    X(PQconninfoFree)                                                                              \
    X(PQconndefaults)                                                                              \
    X(PQfreemem)                                                                                   \
    X(PQsetnonblocking)                                                                            \
    X(PQsetNoticeProcessor)                                                                        \
    X(PQsendQuery)                                                                                 \
    X(PQsendQueryParams)                                                                           \
    X(PQflush)                                                                                     \
    X(PQconsumeInput)                                                                              \
    X(PQisBusy)                                                                                    \
    X(PQgetResult)                                                                                 \
    X(PQresultStatus)                                                                              \
    X(PQresultErrorField)                                                                          \
    X(PQclear)                                                                                     \
    X(PQntuples)                                                                                   \
    X(PQgetvalue)                                                                                  \
    X(PQgetisnull)                                                                                 \
    X(PQgetCancel)                                                                                 \
    X(PQcancel)                                                                                    \
    X(PQfreeCancel)                                                                                \
    X(PQnotifies)                                                                                  \
    X(PQescapeIdentifier)                                                                          \
    X(PQescapeLiteral)                                                                             \
    X(PQputCopyData)                                                                               \
    X(PQputCopyEnd)                                                                                \
    X(PQgetCopyData)

#define SW_CRYPTO_FUNCTIONS(X)                                                                     \
    X(EVP_Digest)                                                                                  \
    X(EVP_MD_fetch)                                                                                \
    X(EVP_MD_CTX_new)                                                                              \
    X(EVP_MD_CTX_free)                                                                             \
    X(EVP_MD_CTX_copy_ex)                                                                          \
    X(EVP_DigestInit_ex)                                                                           \
    X(EVP_DigestUpdate)                                                                            \
    X(EVP_DigestFinal_ex)

struct sw_pq_api {
    SW_PQ_FUNCTIONS(SW_DYNLIB_MEMBER)
};

struct sw_crypto_api {
    SW_CRYPTO_FUNCTIONS(SW_DYNLIB_MEMBER)
};

/* Non-NULL once the matching loader succeeded. */
extern const struct sw_pq_api *sw_pq;
extern const struct sw_crypto_api *sw_crypto;
/* SHA-256, fetched once by the libcrypto loader: EVP_sha256() asks libcrypto's provider
 * store again on every digest, which costs more than hashing a small migration file. */
extern const EVP_MD *sw_sha256;

/* Load the library once (later calls return 0 at once). -1 with err naming the library and
 * the Debian package that provides it. */
int sw_libpq_load(sw_err *err);
int sw_libcrypto_load(sw_err *err);

#endif
