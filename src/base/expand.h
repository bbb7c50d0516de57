/* ${VAR} and ${VAR:-default} in config values; "$$" is a literal "$". */
#ifndef SLIPWAY_BASE_EXPAND_H
#define SLIPWAY_BASE_EXPAND_H

#include "base/err.h"

/* Returns a malloc'd expanded copy, or NULL with err set ("${DB_HOST} is not set"). */
char *sw_expand(const char *value, sw_err *err);

#endif
