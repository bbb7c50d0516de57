/* Optional shared libraries loaded on demand with dlopen() into a table of function pointers
 * (as systemd does for its optional libraries), so a mode that never needs a library never
 * maps it. Users: pg/dynlib.h (libpq, libcrypto), lint/pgquery.h (libpg_query).
 *
 * The library's own header gives the real prototypes; __typeof__ turns each into a pointer
 * type, so a table member has exactly the library's signature. */
#ifndef SLIPWAY_BASE_DYNLOAD_H
#define SLIPWAY_BASE_DYNLOAD_H

#include "base/err.h"

#include <stddef.h>

/* A table member for function name: X-macro callback for the lists of functions. */
#define SW_DYNLIB_MEMBER(name) __typeof__(name) *name;

/* Where dlsym's result for name goes: offsetof(table type, name). */
struct sw_dynsym {
    const char *name;
    size_t offset;
};

/* Opens soname and stores each symbol's address at its offset in table. The handle is kept
 * for the life of the process: the table points into it. -1 with err naming the library and
 * the Debian package that provides it; the table may then be partly filled, so callers publish
 * it only on success. */
int sw_dynload(const char *soname, const char *package, const struct sw_dynsym *symbols, size_t n,
               void *table, sw_err *err);

#endif
