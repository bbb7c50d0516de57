/* libpg_query (PostgreSQL's own parser as a library), loaded on demand with dlopen()
 * (base/dynload.h): only `check` and `--upgrade` lint, so serve mode never maps it.
 *
 * The parse tree comes back as protobuf; libpg_query carries the protobuf-c runtime and the
 * generated unpack functions, so the C structs of pg_query.pb-c.h are all slipway needs. */
#ifndef SLIPWAY_LINT_PGQUERY_H
#define SLIPWAY_LINT_PGQUERY_H

#include "base/dynload.h"
#include "base/err.h"

#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>

/* Debian's libpg-query1504.0: the parser of PostgreSQL 15. */
#define SW_PGQUERY_SONAME "libpg_query.so.1504.0"
#define SW_PGQUERY_PACKAGE "libpg-query1504.0"

/* Every libpg_query function slipway calls: X(name) for each. */
#define SW_PGQUERY_FUNCTIONS(X)                                                                    \
    X(pg_query_parse_protobuf)                                                                     \
    X(pg_query_free_protobuf_parse_result)                                                         \
    X(pg_query_split_with_scanner)                                                                 \
    X(pg_query_free_split_result)                                                                  \
    X(pg_query__parse_result__unpack)                                                              \
    X(pg_query__parse_result__free_unpacked)

struct sw_pgquery_api {
    SW_PGQUERY_FUNCTIONS(SW_DYNLIB_MEMBER)
};

/* Non-NULL once sw_pgquery_load succeeded. */
extern const struct sw_pgquery_api *sw_pgq;

/* Loads the library once (later calls return 0 at once); -1 with err naming the library and
 * its package. */
int sw_pgquery_load(sw_err *err);

#endif
