/* Positions in a text: the line of a byte, the byte of a server's character position (UTF-8,
 * multi-byte characters before it). */
#include "base/textpos.h"
#include "tap.h"

#include <string.h>

int main(void)
{
    const char *s = "SELECT 1;\n-- é€\nSELECT x;\n";

    TAP_OK(sw_line_at(s, 0) == 1, "byte 0 is on line 1");
    TAP_OK(sw_line_at(s, 9) == 1, "the first newline is still on line 1");
    TAP_OK(sw_line_at(s, 10) == 2, "the byte after it is on line 2");
    TAP_OK(sw_line_at(s, strlen(s)) == 4, "the end, after the last newline, is line 4");
    TAP_OK(sw_char_offset(s, 1) == 0, "character 1 is byte 0");
    TAP_OK(sw_char_offset(s, 14) == 13, "character 14 (é, 2 bytes) is byte 13");
    TAP_OK(sw_char_offset(s, 16) == 18,
           "after é and € (3 bytes), character 16 (the newline) is byte 18");
    TAP_OK(sw_line_at(s, sw_char_offset(s, 18)) == 3,
           "character 18 (the S of SELECT x) is on line 3");
    TAP_OK(sw_char_offset(s, 1000) == strlen(s), "past the end: the end");
    TAP_OK(sw_char_offset("", 1) == 0, "an empty text");
    return tap_done();
}
