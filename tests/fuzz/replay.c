/* A main() for the fuzz targets without libFuzzer: runs each file of the directories (or the
 * files) given, once. Lets every build - gcc, sanitizers, valgrind - replay the seed corpora
 * and every past crash (regressions/) as an ordinary test. The first path is the seed corpus:
 * it must exist and hold inputs, or the test would pass having replayed nothing. A missing
 * later path is skipped: regressions/<target> only exists once that target has found
 * something. */
#include "fuzz.h"

#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static void run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    size_t size = 0, cap = 0;

    FUZZ_ASSERT(f != NULL, "%s: %s", path, strerror(errno));
    for (;;) {
        if (size == cap) {
            cap = cap ? cap * 2 : 4096;
            buf = realloc(buf, cap);
            FUZZ_ASSERT(buf != NULL, "out of memory");
        }
        size_t n = fread(buf + size, 1, cap - size, f);
        if (n == 0)
            break;
        size += n;
    }
    FUZZ_ASSERT(!ferror(f), "%s: read error", path);
    fclose(f);
    printf("%s\n", path); /* before the run: a crash is then attributed to its input */
    fflush(stdout);
    LLVMFuzzerTestOneInput(buf, size);
    free(buf);
}

static int run_path(const char *path)
{
    struct stat st;
    struct dirent **names;
    int n;

    if (stat(path, &st) < 0) {
        FUZZ_ASSERT(errno == ENOENT, "%s: %s", path, strerror(errno));
        return 0;
    }
    if (!S_ISDIR(st.st_mode)) {
        run_file(path);
        return 1;
    }
    n = scandir(path, &names, NULL, alphasort); /* sorted: the same order on every run */
    FUZZ_ASSERT(n >= 0, "%s: %s", path, strerror(errno));
    int count = 0;
    for (int i = 0; i < n; i++) {
        char file[4096];
        if (names[i]->d_name[0] != '.') {
            snprintf(file, sizeof file, "%s/%s", path, names[i]->d_name);
            run_file(file);
            count++;
        }
        free(names[i]);
    }
    free(names);
    return count;
}

int main(int argc, char **argv)
{
    int count = 0;

    if (LLVMFuzzerInitialize)
        LLVMFuzzerInitialize(&argc, &argv);
    for (int i = 1; i < argc; i++) {
        int n = run_path(argv[i]);
        FUZZ_ASSERT(i > 1 || n > 0, "%s: the seed corpus is missing or empty", argv[i]);
        count += n;
    }
    printf("%d input(s) replayed\n", count);
    return 0;
}
