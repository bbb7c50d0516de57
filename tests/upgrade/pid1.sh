#!/usr/bin/env bash
# `slipway task NAME` run beside a slipway PID 1 (kubectl exec into a long-lived container):
# the task's output also goes to PID 1's stdout/stderr, i.e. the container log. Uses a PID
# namespace (unshare) where slipway serve is PID 1.
TEST_NAME=pid1
. "$SRCDIR/tests/upgrade/lib.sh"

if ! unshare --pid --fork --mount-proc true 2>/dev/null; then
    echo "1..0 # SKIP cannot create a PID namespace here"
    exit 0
fi
printf 'CREATE TABLE x (x int);\n' >"$MIG/0001_x.sql"
write_config '[task "echo"]' 'command = sh -c "echo out-marker; echo err-marker >&2"' 'version = 1'

# The container log is a file opened for appending, as a log pipe would not be overwritten.
unshare --pid --fork --mount-proc "$SLIPWAY" -c "$CONF" -- \
    sh -c "\"$SLIPWAY\" -c \"$CONF\" task echo >\"$TMP/exec.log\" 2>&1; echo exec-rc=\$?" \
    >>"$TMP/container.log" 2>&1
is "$?" 0 "slipway as PID 1 ran the shell"
container=$(cat "$TMP/container.log")
is "$(grep -c . "$TMP/exec.log" | tr -d ' ')" 4 "kubectl exec sees the task output and slipway's lines"
like "$(cat "$TMP/exec.log")" "out-marker" "the exec'd command still gets the task's stdout"
like "$container" "exec-rc=0" "the task succeeded"
like "$container" "out-marker" "the task's stdout reached PID 1's stdout"
like "$container" "err-marker" "the task's stderr reached PID 1's stderr"
unlike "$container" "running task" "slipway's own log lines stay with the exec'd command"

sw task echo --rerun
is "$RC" 0 "without a slipway PID 1 the task runs as usual"
like "$OUT" "out-marker" "with inherited output"

done_testing
