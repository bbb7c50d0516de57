#include "fuzz.h"

#include <errno.h>
#include <unistd.h>

void fuzz_write_fd(int fd, const uint8_t *data, size_t size)
{
    size_t done = 0;

    FUZZ_ASSERT(ftruncate(fd, 0) == 0, "ftruncate: errno %d", errno);
    while (done < size) {
        ssize_t w = pwrite(fd, data + done, size - done, (off_t)done);
        FUZZ_ASSERT(w > 0, "pwrite: errno %d", errno);
        done += (size_t)w;
    }
}

/* Deliberately independent of src/migration.c's own validator, so a bug there is not
 * mirrored here. Overlong forms, surrogates and values above U+10FFFF are refused. */
int fuzz_clean_text(const char *str, size_t len)
{
    const unsigned char *s = (const unsigned char *)str;

    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t n;
        if (s[i] < 0x80) {
            if (s[i] < 0x20 || s[i] == 0x7F)
                return 0;
            i++;
            continue;
        }
        if ((s[i] & 0xE0) == 0xC0) {
            n = 2;
            cp = s[i] & 0x1Fu;
        } else if ((s[i] & 0xF0) == 0xE0) {
            n = 3;
            cp = s[i] & 0x0Fu;
        } else if ((s[i] & 0xF8) == 0xF0) {
            n = 4;
            cp = s[i] & 0x07u;
        } else {
            return 0;
        }
        if (len - i < n)
            return 0;
        for (size_t k = 1; k < n; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return 0;
            cp = cp << 6 | (s[i + k] & 0x3Fu);
        }
        static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < min[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        i += n;
    }
    return 1;
}
