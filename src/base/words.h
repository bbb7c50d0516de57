/* Shell-like word splitting for `command =` values, without a shell: "single" and 'double'
 * quotes and backslash escapes are honoured, nothing is expanded. */
#ifndef SLIPWAY_BASE_WORDS_H
#define SLIPWAY_BASE_WORDS_H

#include "base/err.h"

/* Returns a NULL-terminated argv (free with sw_words_free), or NULL with err set. */
char **sw_words_split(const char *s, sw_err *err);
void sw_words_free(char **argv);

#endif
