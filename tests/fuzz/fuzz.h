/* Shared by the libFuzzer targets: invariant checks that abort (so libFuzzer records the
 * input as a crash, with the message saying which invariant broke), and a scratch file that
 * lives in memory so each run costs no disk I/O. */
#ifndef SLIPWAY_FUZZ_H
#define SLIPWAY_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define FUZZ_ASSERT(cond, ...)                                                                     \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: invariant broken: %s: ", __FILE__, __LINE__, #cond);           \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* Replaces the whole content of fd with data[0..size); aborts on I/O errors, which would
 * otherwise be reported as findings of the code under test. */
void fuzz_write_fd(int fd, const uint8_t *data, size_t size);

/* True when s[0..len) is valid UTF-8 without C0 controls or DEL: what a log line may hold. */
int fuzz_clean_text(const char *s, size_t len);

#endif
