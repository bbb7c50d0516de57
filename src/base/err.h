/* A caller-owned error message buffer: functions that can fail fill it with one line
 * (no trailing newline) naming the file and line or the value at fault. */
#ifndef SLIPWAY_BASE_ERR_H
#define SLIPWAY_BASE_ERR_H

typedef struct sw_err {
    char msg[1024];
} sw_err;

void sw_err_set(sw_err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
