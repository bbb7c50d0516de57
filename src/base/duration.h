/* Durations of the config: "250ms", "10s", "5m", "1h", "0" (none), "infinity". */
#ifndef SLIPWAY_BASE_DURATION_H
#define SLIPWAY_BASE_DURATION_H

#include <stdint.h>

#define SW_DURATION_INFINITY INT64_C(-1)

/* Parses s into milliseconds (SW_DURATION_INFINITY for "infinity"); 0 or -1 on a bad value. */
int sw_duration_parse(const char *s, int64_t *ms);

#endif
