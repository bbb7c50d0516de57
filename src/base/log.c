#include "base/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

static enum sw_log_format log_format = SW_LOG_TEXT;
static int log_verbosity;

void sw_log_init(enum sw_log_format format, int verbosity)
{
    log_format = format;
    log_verbosity = verbosity;
}

int sw_log_parse_format(const char *s, enum sw_log_format *out)
{
    if (strcmp(s, "text") == 0)
        *out = SW_LOG_TEXT;
    else if (strcmp(s, "json") == 0)
        *out = SW_LOG_JSON;
    else
        return -1;
    return 0;
}

static int level_enabled(enum sw_log_level level)
{
    if (log_verbosity < 0)
        return level == SW_LOG_ERROR;
    return level != SW_LOG_DEBUG || log_verbosity > 0;
}

/* JSON string body escaping: messages may quote file contents or server errors. Appends to
 * out (at most size - 1 bytes, always terminated); returns the new length. */
static size_t json_escape(char *out, size_t len, size_t size, const char *s)
{
    for (; *s && len + 7 < size; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            len += (size_t)snprintf(out + len, size - len, "\\%c", c);
        else if (c == '\n')
            len += (size_t)snprintf(out + len, size - len, "\\n");
        else if (c < 0x20)
            len += (size_t)snprintf(out + len, size - len, "\\u%04x", c);
        else
            out[len++] = (char)c;
    }
    out[len] = '\0';
    return len;
}

/* The whole line is built first and written with one call: stderr is unbuffered, and a line
 * written in pieces costs a system call per piece and can interleave with the server's. */
static void log_json(enum sw_log_level level, const char *msg)
{
    static const char *const names[] = {"error", "warn", "info", "debug"};
    char line[8192];
    struct timeval tv;
    struct tm tm;
    char ts[32];
    size_t len;

    gettimeofday(&tv, NULL);
    gmtime_r(&tv.tv_sec, &tm);
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
    len = (size_t)snprintf(line, sizeof line, "{\"ts\":\"%s.%03ldZ\",\"level\":\"%s\",\"msg\":\"",
                           ts, (long)(tv.tv_usec / 1000), names[level]);
    len = json_escape(line, len, sizeof line - 3, msg);
    memcpy(line + len, "\"}\n", 4);
    fputs(line, stderr);
}

void sw_log(enum sw_log_level level, const char *fmt, ...)
{
    char msg[4096];
    va_list ap;

    if (!level_enabled(level))
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (log_format == SW_LOG_JSON)
        log_json(level, msg);
    else
        fprintf(stderr, "slipway: %s%s\n", level == SW_LOG_WARN ? "warning: " : "", msg);
}
