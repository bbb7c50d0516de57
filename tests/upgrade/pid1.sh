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

# PID 1's log is full: its reader holds the pipe open and never reads (a stalled log driver).
# Copying a chatty task's output there must not block slipway's loop: the task's timeout is
# still served, and what could not be copied is said, not waited for.
cat >"$TMP/chatty.sh" <<'SH'
head -c 1000000 /dev/zero | tr '\0' x
echo
exec sleep 60
SH
write_config '[task "chatty"]' "command = sh $TMP/chatty.sh" 'version = 1' 'timeout = 2s'
mkfifo "$TMP/log.fifo"
sleep 600 <"$TMP/log.fifo" &
STUCK=$!
unshare --pid --fork --mount-proc "$SLIPWAY" -c "$CONF" -- \
    sh -c "\"$SLIPWAY\" -c \"$CONF\" task chatty >\"$TMP/chatty.log\" 2>&1; echo \$? >\"$TMP/chatty.rc\"" \
    >"$TMP/log.fifo" 2>"$TMP/pid1.err" &
NS=$!
wait_for 60 test -s "$TMP/chatty.rc"
ok $? "a full container log: the task still ends"
alive "$STUCK"
ok $? "the log's reader was there all along, never reading"
is "$(cat "$TMP/chatty.rc" 2>/dev/null)" 1 "the task failed: exit 1"
like "$(grep -a 'slipway:' "$TMP/chatty.log")" "task 'chatty' failed: timed out after 2000 ms" \
    "its timeout was served while the log was full"
like "$(grep -a 'slipway:' "$TMP/chatty.log")" "bytes of the task's stdout were not copied to the container log" \
    "what could not be copied is said"
[ "$(wc -c <"$TMP/chatty.log")" -gt 1000000 ]
ok $? "the exec'd command got all of the task's output ($(wc -c <"$TMP/chatty.log") bytes)"
wait_exit "$NS" 30
is "$RC" 0 "slipway as PID 1 exits 0 after its shell, its log still full"
# What did reach the log: the pipe's contents, read without waiting for a writer.
got=$(python3 - "$TMP/log.fifo" <<'PY'
import os, sys
fd, n = os.open(sys.argv[1], os.O_RDONLY | os.O_NONBLOCK), 0
while True:
    try:
        b = os.read(fd, 65536)
    except BlockingIOError:
        break
    if not b:
        break
    n += len(b)
print(n)
PY
)
[ "${got:-0}" -ge 4096 ]
ok $? "the container log got what fit (${got:-0} bytes)"
kill "$STUCK"
wait "$STUCK" 2>/dev/null

write_config '[task "echo"]' 'command = sh -c "echo out-marker; echo err-marker >&2"' 'version = 1'
sw task echo --rerun
is "$RC" 0 "without a slipway PID 1 the task runs as usual"
like "$OUT" "out-marker" "with inherited output"

done_testing
