/* sw_migration_parse_name on every byte string a directory entry can be called (no NUL, no
 * '/', at most NAME_MAX bytes). Checks the contract of migration.h: a migration has a
 * version >= 1 and a lower-case .sql name; an invalid name comes with a message that is clean
 * text (it goes to logs and terminals as is, whatever bytes the name held). */
#include "fuzz.h"
#include "migdir/migration.h"

#include <limits.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char name[NAME_MAX + 1];
    struct sw_name parsed = {.version = {.n = 0}};
    sw_err err;

    if (size == 0 || size > NAME_MAX || memchr(data, '\0', size) || memchr(data, '/', size))
        return -1; /* not a possible file name: keep it out of the corpus */
    memcpy(name, data, size);
    name[size] = '\0';
    memset(err.msg, 0x55, sizeof err.msg); /* a missing terminator must not go unnoticed */

    switch (sw_migration_parse_name(name, &parsed, &err)) {
    case SW_NAME_MIGRATION:
        FUZZ_ASSERT(parsed.version.n >= 1 && parsed.version.n <= SW_VERSION_MAX_PARTS &&
                        (parsed.version.n == 1 || parsed.version.part[parsed.version.n - 1] != 0),
                    "version not normalised for '%s'", name);
        FUZZ_ASSERT(size > 4 && memcmp(name + size - 4, ".sql", 4) == 0 && name[0] != '.',
                    "'%s' accepted", name);
        FUZZ_ASSERT(fuzz_clean_text(name, size), "a migration name with raw bytes accepted");
        break;
    case SW_NAME_IGNORED:
    case SW_NAME_REPEATABLE: /* Flyway's R__name.sql: no version to check */
        break;
    case SW_NAME_SKIPPED:
    case SW_NAME_INVALID: {
        const char *end = memchr(err.msg, '\0', sizeof err.msg);
        FUZZ_ASSERT(end != NULL, "message not terminated");
        FUZZ_ASSERT(end > err.msg && fuzz_clean_text(err.msg, (size_t)(end - err.msg)),
                    "message is empty or not clean text");
        break;
    }
    default:
        FUZZ_ASSERT(0, "unknown result for '%s'", name);
    }
    return 0;
}
