#include "base/textpos.h"

#include <string.h>

int sw_line_at(const char *s, size_t off)
{
    int line = 1;

    for (const char *p = s; (p = memchr(p, '\n', (size_t)(s + off - p))) != NULL; p++)
        line++;
    return line;
}

size_t sw_char_offset(const char *s, long position)
{
    size_t off = 0;

    /* a character starts at every byte but a UTF-8 continuation byte (10xxxxxx) */
    for (; s[off]; off++) {
        if (((unsigned char)s[off] & 0xC0) != 0x80 && --position < 1)
            break;
    }
    return off;
}
