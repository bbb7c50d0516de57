#!/usr/bin/env bash
# Closed or broken stdio: slipway never aborts on a closed stdin/stdout/stderr, the server
# sees its stdio exactly as slipway received it, and a stderr whose reader is gone changes
# nothing (no SIGPIPE for slipway, none forwarded to the server).
. "$SRCDIR/tests/lib/tap.sh"

# fd_probe: exits 40 + a bitmask of its closed descriptors (1: stdin, 2: stdout, 4: stderr).
FD_PROBE='c=0; for f in 0 1 2; do [ -e /proc/$$/fd/$f ] || c=$((c + (1 << f))); done; exit $((40 + c))'

as_pid1() { unshare --pid --fork --mount-proc "$@"; }

for how in plain pid1; do
    run() { if [ $how = pid1 ]; then as_pid1 "$@"; else "$@"; fi; }
    run "$SLIPWAY" -- sh -c 'exit 7' <&-
    is $? 7 "$how: closed stdin: slipway passes the child's exit code 7 on"
    run "$SLIPWAY" -- sh -c 'exit 7' >&-
    is $? 7 "$how: closed stdout: exit 7"
    run "$SLIPWAY" -- sh -c 'exit 7' 2>&-
    is $? 7 "$how: closed stderr: exit 7"
    run "$SLIPWAY" -- sh -c "$FD_PROBE" <&- >&- 2>&-
    is $? 47 "$how: all three closed: the server sees all three closed"
    run "$SLIPWAY" -- sh -c "$FD_PROBE" >&-
    is $? 42 "$how: only stdout closed: the server sees only stdout closed"
    run "$SLIPWAY" -- sh -c "$FD_PROBE" </dev/null
    is $? 40 "$how: nothing closed: the server sees all three open"
    run "$SLIPWAY" -- /nonexistent-command 2>&-
    is $? 127 "$how: closed stderr: a command not found still exits 127"
done

# exec = true replaces slipway with the server: the same stdio again.
SLIPWAY_SERVE_EXEC=true "$SLIPWAY" -- sh -c "$FD_PROBE" <&-
is $? 41 "exec = true: the server sees stdin closed"

done_testing
