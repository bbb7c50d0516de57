#!/usr/bin/env bash
# A stderr pipe that nobody reads (full): slipway's log lines must not delay the
# stop_timeout SIGKILL, the reaping or the exit. Lines that do not fit are dropped.
. "$SRCDIR/tests/lib/tap.sh"

mkfifo "$TMP/err"
exec 3<>"$TMP/err" # the pipe has a reader (this shell) that never reads
python3 - "$TMP/err" <<'PY'
import os, sys
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_NONBLOCK)
try:
    while True:
        os.write(fd, b"x" * 4096)
except BlockingIOError:
    pass
PY
ok $? "the stderr pipe is full"

# The server ignores TERM, so only stop_timeout's SIGKILL ends it; slipway logs with -v.
SLIPWAY_SERVE_STOP_TIMEOUT=200ms unshare --pid --fork --mount-proc "$SLIPWAY" -v -- \
    sh -c "trap '' TERM; touch \"$TMP/ready\"; while :; do sleep 1; done" 2>"$TMP/err" &
BG=$!
for _ in $(seq 3000); do [ -f "$TMP/ready" ] && break; sleep 0.01; done
ok $? "server running under slipway (PID 1), stderr on the full pipe"
SUP=$(pgrep -P "$BG" | head -n 1)
kill -TERM "$SUP"
deadline=$(($(now_ms) + 60000))
while kill -0 "$BG" 2>/dev/null && [ "$(now_ms)" -lt "$deadline" ]; do sleep 0.01; done
if kill -0 "$BG" 2>/dev/null; then
    ok 1 "slipway exited after stop_timeout although stderr is full (still running after 60 s)"
    grep -E 'State|wchan' "/proc/$SUP/status" | sed 's/^/# /'
    kill -KILL "$SUP"
    wait "$BG"
else
    wait "$BG"
    is $? 137 "slipway exited after stop_timeout although stderr is full: the server's SIGKILL, 137"
fi

done_testing
