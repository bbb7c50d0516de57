#include "base/closest.h"

#include <string.h>

#define MAX_LEN 64

static size_t min3(size_t a, size_t b, size_t c)
{
    size_t m = a < b ? a : b;
    return m < c ? m : c;
}

/* Optimal string alignment distance, over names of at most MAX_LEN bytes. */
static size_t distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), d[MAX_LEN + 1][MAX_LEN + 1];

    if (la > MAX_LEN || lb > MAX_LEN)
        return (size_t)-1;
    for (size_t i = 0; i <= la; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= la; i++) {
        for (size_t j = 1; j <= lb; j++) {
            size_t cost = a[i - 1] != b[j - 1];
            d[i][j] = min3(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < d[i][j])
                d[i][j] = d[i - 2][j - 2] + 1;
        }
    }
    return d[la][lb];
}

const char *sw_closest(const char *word, const char *const *candidates, size_t n, size_t stride)
{
    const char *best = NULL;
    size_t best_d = 3, len = strlen(word);

    for (size_t i = 0; i < n; i++) {
        const char *c = *(const char *const *)((const char *)candidates + i * stride);
        size_t d = c ? distance(word, c) : (size_t)-1;
        if (d < best_d && d * 2 < len) {
            best = c;
            best_d = d;
        }
    }
    return best;
}
