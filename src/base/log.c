#include "base/log.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static enum sw_log_format log_format = SW_LOG_TEXT;
static int log_verbosity;
/* Where lines go: stderr, or (sw_log_never_block) our own non-blocking description of it. */
static int log_fd = STDERR_FILENO;
static bool log_socket;           /* stderr is a socket: send() with MSG_DONTWAIT */
static bool log_never_block;      /* drop a line rather than wait for room */
static unsigned long log_dropped; /* lines dropped since the last one written */
static char first_error[4096];    /* as long as a message */

struct sw_u64_text sw_u64_text(uint64_t v)
{
    struct sw_u64_text t;
    snprintf(t.s, sizeof t.s, "%" PRIu64, v);
    return t;
}

void sw_log_init(enum sw_log_format format, int verbosity)
{
    log_format = format;
    log_verbosity = verbosity;
}

/* O_NONBLOCK cannot be set on stderr itself: the server shares that open file description
 * and would get EAGAIN on its own writes. A pipe reopened through /proc is a description of
 * our own; a socket takes MSG_DONTWAIT per call. Files do not block; a terminal rarely does
 * (flow control), and is left as it is. Without /proc, lines may block as before. */
void sw_log_never_block(void)
{
    struct stat st;
    int fd;

    if (fstat(STDERR_FILENO, &st) < 0)
        return;
    log_never_block = true;
    log_socket = S_ISSOCK(st.st_mode);
    if (!S_ISFIFO(st.st_mode))
        return;
    fd = open("/proc/self/fd/2", O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd >= 0)
        log_fd = fd;
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

/* ,"key":"value" or ,"key":number for each field. */
static size_t json_fields(char *out, size_t len, size_t size, const struct sw_field *f)
{
    for (; f && f->key && len + 8 < size; f++) {
        len += (size_t)snprintf(out + len, size - len, ",\"%s\":", f->key);
        if (len + 8 >= size)
            break;
        if (f->is_num) {
            len += (size_t)snprintf(out + len, size - len, "%lld", f->num);
        } else if (!f->str) {
            len += (size_t)snprintf(out + len, size - len, "null");
        } else {
            out[len++] = '"';
            len = json_escape(out, len, size - 1, f->str);
            out[len++] = '"';
        }
    }
    out[len < size ? len : size - 1] = '\0';
    return len < size ? len : size - 1;
}

/* One write per line. A failed write never changes an outcome: the line is lost (stderr
 * closed or its reader gone); when a full pipe made us drop lines, the next line that gets
 * through says how many. */
static void emit(const char *line, size_t len)
{
    ssize_t n;

    if (log_socket)
        n = send(log_fd, line, len, MSG_DONTWAIT | MSG_NOSIGNAL);
    else
        n = write(log_fd, line, len);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && log_never_block) {
        log_dropped++;
        return;
    }
    if (n >= 0 && log_dropped) {
        char note[96];
        int m =
            snprintf(note, sizeof note,
                     "slipway: warning: %lu log line(s) dropped: stderr was full\n", log_dropped);
        log_dropped = 0;
        if (write(log_fd, note, (size_t)m) < 0) {
            /* the note is best effort, like the line itself */
        }
    }
}

/* The whole line is built first and written with one call: a line written in pieces costs a
 * system call per piece and can interleave with the server's. */
static void log_json(enum sw_log_level level, const char *event, const struct sw_field *fields,
                     const char *msg)
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
    len = (size_t)snprintf(line, sizeof line,
                           "{\"ts\":\"%s.%03ldZ\",\"level\":\"%s\",\"event\":\"%s\",\"msg\":\"", ts,
                           (long)(tv.tv_usec / 1000), names[level], event);
    /* The message is cut before the fields are: room is kept for them and the closing. */
    len = json_escape(line, len, sizeof line - 2048, msg);
    line[len++] = '"';
    len = json_fields(line, len, sizeof line - 3, fields);
    memcpy(line + len, "}\n", 3);
    emit(line, len + 2);
}

static void vlog(enum sw_log_level level, const char *event, const struct sw_field *fields,
                 const char *fmt, va_list ap)
{
    char msg[4096], line[4200];
    int len;

    if (!level_enabled(level)) /* errors always are */
        return;
    vsnprintf(msg, sizeof msg, fmt, ap);
    if (level == SW_LOG_ERROR && !first_error[0])
        snprintf(first_error, sizeof first_error, "%s", msg);
    if (log_format == SW_LOG_JSON)
        log_json(level, event, fields, msg);
    else if ((len = snprintf(line, sizeof line, "slipway: %s%s\n",
                             level == SW_LOG_WARN ? "warning: " : "", msg)) > 0)
        emit(line, (size_t)len < sizeof line ? (size_t)len : sizeof line - 1);
}

void sw_log(enum sw_log_level level, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vlog(level, "log", NULL, fmt, ap);
    va_end(ap);
}

void sw_event(enum sw_log_level level, const char *event, const struct sw_field *fields,
              const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vlog(level, event, fields, fmt, ap);
    va_end(ap);
}

const char *sw_log_first_error(void)
{
    return first_error;
}
