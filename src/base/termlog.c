#include "base/termlog.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DEFAULT_PATH "/dev/termination-log"
/* Kubernetes keeps at most 4096 bytes of the message. */
#define MESSAGE_MAX 4096

static char summary[MESSAGE_MAX];

void sw_summary(enum sw_log_level level, const char *event, const struct sw_field *fields,
                const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(summary, sizeof summary, fmt, ap);
    va_end(ap);
    sw_event(level, event, fields, "%s", summary);
}

/* The message in buf; returns its length, cut to what Kubernetes keeps. */
static size_t compose(char *buf, size_t size, int code)
{
    const char *cause = sw_log_first_error();
    bool add_cause = code != 0 && cause[0] && strcmp(cause, summary) != 0;
    int n;

    if (summary[0] && add_cause)
        n = snprintf(buf, size, "%s: %s\n", summary, cause);
    else if (summary[0])
        n = snprintf(buf, size, "%s\n", summary);
    else if (cause[0])
        n = snprintf(buf, size, "%s\n", cause);
    else
        n = snprintf(buf, size, "exited with code %d\n", code);
    return n < 0 ? 0 : (size_t)n < size ? (size_t)n : size - 1;
}

void sw_termlog_write(int code)
{
    const char *path = getenv("SLIPWAY_TERMINATION_LOG");
    bool named = path != NULL;
    char msg[MESSAGE_MAX];
    ssize_t n;
    int fd;

    if (named && !path[0])
        return;
    /* Only Kubernetes creates the default file; outside it there is nothing to write to. */
    fd = open(named ? path : DEFAULT_PATH, O_WRONLY | O_TRUNC | O_CLOEXEC | (named ? O_CREAT : 0),
              0644);
    if (fd < 0) {
        if (named || errno != ENOENT)
            sw_warn("termination message %s: %s", named ? path : DEFAULT_PATH, strerror(errno));
        return;
    }
    n = write(fd, msg, compose(msg, sizeof msg, code));
    if (n < 0)
        sw_warn("termination message %s: %s", named ? path : DEFAULT_PATH, strerror(errno));
    close(fd);
}
