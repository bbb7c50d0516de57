/* Logging to stderr, as text ("slipway: msg") or JSON lines (--log-format json). A JSON line
 * always has ts, level, event and msg; sw_event() adds the fields of a named event (the README
 * lists them), plain sw_log() lines are event "log". */
#ifndef SLIPWAY_BASE_LOG_H
#define SLIPWAY_BASE_LOG_H

#include <stdbool.h>
#include <stdint.h>

enum sw_log_format { SW_LOG_TEXT, SW_LOG_JSON };
enum sw_log_level { SW_LOG_ERROR, SW_LOG_WARN, SW_LOG_INFO, SW_LOG_DEBUG };

/* One field of a JSON event: a string (NULL renders as null) or an integer. */
struct sw_field {
    const char *key;
    const char *str;
    long long num;
    bool is_num;
};

#define SW_STR(k, v)                                                                               \
    {                                                                                              \
        .key = (k), .str = (v)                                                                     \
    }
#define SW_NUM(k, v)                                                                               \
    {                                                                                              \
        .key = (k), .num = (long long)(v), .is_num = true                                          \
    }
/* A field list for sw_event(), terminated for it: SW_FIELDS(SW_STR("a", a), SW_NUM("n", n)). */
#define SW_FIELDS(...) ((const struct sw_field[]){__VA_ARGS__, {0}})

/* A number as text for a string field; versions are strings in events, as dotted ones will
 * be: SW_STR("version", sw_u64_text(v).s) (the temporary lives through the call). */
struct sw_u64_text {
    char s[24];
};
struct sw_u64_text sw_u64_text(uint64_t v);

/* verbosity: -1 (-q) errors only, 0 default (info), 1 (-v) debug. */
void sw_log_init(enum sw_log_format format, int verbosity);
/* From now on a log line that cannot be written at once (stderr is a full pipe nobody reads)
 * is dropped and counted instead of waited for: a supervisor must never delay a kill, a reap
 * or a forwarded signal for its own logging. The other modes keep blocking writes, so that a
 * slow reader of `slipway --upgrade | less` still gets every line. */
void sw_log_never_block(void);
int sw_log_parse_format(const char *s, enum sw_log_format *out);
void sw_log(enum sw_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A named event; the text format shows only the message. fields may be NULL. */
void sw_event(enum sw_log_level level, const char *event, const struct sw_field *fields,
              const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* The first error logged by this process ("" when none): the cause that a summary of the run
 * (the termination message) names. Kept whatever the verbosity. */
const char *sw_log_first_error(void);

#define sw_error(...) sw_log(SW_LOG_ERROR, __VA_ARGS__)
#define sw_warn(...) sw_log(SW_LOG_WARN, __VA_ARGS__)
#define sw_info(...) sw_log(SW_LOG_INFO, __VA_ARGS__)
#define sw_debug(...) sw_log(SW_LOG_DEBUG, __VA_ARGS__)

#endif
