/* UTF-8 validation, as PostgreSQL does it, for file names and file contents. */
#ifndef SLIPWAY_MIGDIR_UTF8_H
#define SLIPWAY_MIGDIR_UTF8_H

#include <stddef.h>

/* Length of the longest valid UTF-8 prefix of s: RFC 3629, so no overlong forms, no
 * surrogates, nothing above U+10FFFF (PostgreSQL rejects all of them too). */
size_t sw_utf8_valid_prefix(const unsigned char *s, size_t len);

#endif
