/* The run's one-line summary and Kubernetes' termination message (terminationMessagePath,
 * /dev/termination-log by default): `--upgrade`, `task` and serve mode sum up how they ended
 * there, so `kubectl describe pod` says why a Job failed without anyone reading its log. */
#ifndef SLIPWAY_BASE_TERMLOG_H
#define SLIPWAY_BASE_TERMLOG_H

#include "base/log.h"

/* Logs the event and keeps its message as the summary of the run (the last one wins). */
void sw_summary(enum sw_log_level level, const char *event, const struct sw_field *fields,
                const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Writes the summary to the termination message file: $SLIPWAY_TERMINATION_LOG when set
 * (created if missing; empty: none), else /dev/termination-log when it exists. When the run
 * failed (code != 0), the first error logged follows the summary: it names the cause. Without
 * a summary the first error, or the exit code, is the message. */
void sw_termlog_write(int code);

#endif
