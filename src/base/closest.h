/* "Did you mean" hints for mistyped names (stop_timout, --upgarde, helth). */
#ifndef SLIPWAY_BASE_CLOSEST_H
#define SLIPWAY_BASE_CLOSEST_H

#include <stddef.h>

/* The candidate closest to word by edit distance (insertions, deletions, substitutions and
 * swaps of two neighbours), when it is close enough to be a typo: at most 2 edits, and fewer
 * than half of word's length. NULL otherwise. candidates[i] may be NULL (skipped); stride is
 * the distance in bytes between two candidates' pointers (sizeof an element of a table). */
const char *sw_closest(const char *word, const char *const *candidates, size_t n, size_t stride);

#endif
