#include "log.h"

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

/* JSON string body escaping: messages may quote file contents or server errors. */
static void json_escape(FILE *out, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(out, "\\%c", c);
        else if (c == '\n')
            fputs("\\n", out);
        else if (c < 0x20)
            fprintf(out, "\\u%04x", c);
        else
            fputc(c, out);
    }
}

static void log_json(enum sw_log_level level, const char *msg)
{
    static const char *const names[] = {"error", "warn", "info", "debug"};
    struct timeval tv;
    struct tm tm;
    char ts[32];

    gettimeofday(&tv, NULL);
    gmtime_r(&tv.tv_sec, &tm);
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
    fprintf(stderr, "{\"ts\":\"%s.%03ldZ\",\"level\":\"%s\",\"msg\":\"", ts,
            (long)(tv.tv_usec / 1000), names[level]);
    json_escape(stderr, msg);
    fputs("\"}\n", stderr);
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
