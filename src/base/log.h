/* Logging to stderr, as text ("slipway: msg") or JSON lines (--log-format json). */
#ifndef SLIPWAY_BASE_LOG_H
#define SLIPWAY_BASE_LOG_H

enum sw_log_format { SW_LOG_TEXT, SW_LOG_JSON };
enum sw_log_level { SW_LOG_ERROR, SW_LOG_WARN, SW_LOG_INFO, SW_LOG_DEBUG };

/* verbosity: -1 (-q) errors only, 0 default (info), 1 (-v) debug. */
void sw_log_init(enum sw_log_format format, int verbosity);
int sw_log_parse_format(const char *s, enum sw_log_format *out);
void sw_log(enum sw_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define sw_error(...) sw_log(SW_LOG_ERROR, __VA_ARGS__)
#define sw_warn(...) sw_log(SW_LOG_WARN, __VA_ARGS__)
#define sw_info(...) sw_log(SW_LOG_INFO, __VA_ARGS__)
#define sw_debug(...) sw_log(SW_LOG_DEBUG, __VA_ARGS__)

#endif
