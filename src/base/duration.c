#include "base/duration.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *suffix;
    int64_t ms;
} units[] = {{"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}};

int sw_duration_parse(const char *s, int64_t *ms)
{
    char *end;
    unsigned long long n;

    if (strcmp(s, "infinity") == 0) {
        *ms = SW_DURATION_INFINITY;
        return 0;
    }
    if (strcmp(s, "0") == 0) {
        *ms = 0;
        return 0;
    }
    if (*s < '0' || *s > '9')
        return -1;
    errno = 0;
    n = strtoull(s, &end, 10);
    if (errno != 0)
        return -1;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (strcmp(end, units[i].suffix) != 0)
            continue;
        if (n > (unsigned long long)(INT64_MAX / units[i].ms))
            return -1;
        *ms = (int64_t)n * units[i].ms;
        return 0;
    }
    return -1; /* no unit, or an unknown one: "10" is ambiguous, so it is refused */
}
