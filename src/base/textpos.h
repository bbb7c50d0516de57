/* Positions in a text, for messages that name a line: the line of a byte offset, the byte
 * offset of a character position (PostgreSQL reports errors by character). */
#ifndef SLIPWAY_BASE_TEXTPOS_H
#define SLIPWAY_BASE_TEXTPOS_H

#include <stddef.h>

/* 1-based line of the byte at off in s (s has at least off bytes). */
int sw_line_at(const char *s, size_t off);

/* Byte offset of the 1-based character position in the UTF-8 text s; strlen(s) when s is
 * shorter. */
size_t sw_char_offset(const char *s, long position);

#endif
