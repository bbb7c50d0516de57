#include "fleet/instance.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The first line of a small /proc file, or "?" when it cannot be read. */
static void read_first_line(const char *path, char *buf, size_t size)
{
    FILE *f = fopen(path, "re");

    if (!f || !fgets(buf, (int)size, f))
        snprintf(buf, size, "?");
    buf[strcspn(buf, "\n")] = '\0';
    if (f)
        fclose(f);
}

void sw_instance_id(char *buf, size_t size)
{
    char host[256], boot[64];
    struct stat ns;

    if (gethostname(host, sizeof host) < 0)
        snprintf(host, sizeof host, "unknown");
    host[sizeof host - 1] = '\0';
    read_first_line("/proc/sys/kernel/random/boot_id", boot, sizeof boot);
    if (stat("/proc/self/ns/pid", &ns) < 0)
        ns.st_ino = 0;
    snprintf(buf, size, "%s/%.8s/%lu/%ld", host, boot, (unsigned long)ns.st_ino, (long)getpid());
}
