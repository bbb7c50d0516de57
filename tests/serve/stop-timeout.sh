#!/usr/bin/env bash
# After the first stop signal, stop_timeout runs; then everything left is SIGKILLed, including
# processes that left the server's process group, and slipway waits for all of them.
. "$SRCDIR/tests/lib/tap.sh"

# run_stop MODE DIR: the server is a recorder that outlives SIGTERM, and it starts another in
# a session of its own; once both run, SIGTERM to slipway with stop_timeout = 2s. Sets RC and
# ELAPSED (ms from the signal to slipway's exit), SERVER and OWN to the two recorders' pids as
# seen from here (the one in its own session is a child of the server, which sh exec'd).
run_stop() {
    local server="setsid \"$SIGRECORDER\" \"$2/own-session\" & exec \"$SIGRECORDER\" \"$2/server\""
    local pid sup
    mkdir -p "$2/server" "$2/own-session"
    if [ "$1" = pid1 ]; then
        SLIPWAY_SERVE_STOP_TIMEOUT=2s unshare --pid --fork --mount-proc --kill-child \
            "$SLIPWAY" -- sh -c "$server" &
    else
        SLIPWAY_SERVE_STOP_TIMEOUT=2s "$SLIPWAY" -- sh -c "$server" &
    fi
    pid=$!
    wait_for 10 test -f "$2/server/state" -a -f "$2/own-session/state"
    ok $? "$1: the server and a process in a session of its own are running"
    sup=$pid
    [ "$1" = pid1 ] && sup=$(pgrep -P "$pid" | head -n 1)
    SERVER=$(pgrep -P "$sup" | head -n 1)
    OWN=$(pgrep -P "$SERVER" | head -n 1)
    alive "$SERVER" && alive "$OWN"
    ok $? "$1: both found in the process tree (server $SERVER, its child $OWN)"
    signal_and_wait "$sup" TERM "$pid"
}

for mode in pid1 subreaper; do
    dir=$TMP/$mode
    run_stop "$mode" "$dir"
    is "$RC" 137 "$mode: the TERM-ignoring server is SIGKILLed: 137"
    is "$(head -n 1 "$dir/server/signals" 2>/dev/null)" 15 "$mode: the server got the SIGTERM first"
    # The kill comes at stop_timeout: not before it, and well before twice it.
    [ "$ELAPSED" -ge 1990 ] && [ "$ELAPSED" -lt 3500 ]
    ok $? "$mode: SIGKILL at stop_timeout = 2s, in [2 s, 3.5 s) (${ELAPSED} ms)"
    ! alive "$SERVER"
    ok $? "$mode: the server is gone"
    ! alive "$OWN"
    ok $? "$mode: the process in its own session is gone too"
done

# A server that exits on SIGTERM with its own code (0) is not waited for: the code is the
# server's, not slipway's death by the signal (143).
mkdir -p "$TMP/rec"
"$SLIPWAY" -- "$SIGRECORDER" "$TMP/rec" exit-on-term &
pid=$!
wait_for 10 test -f "$TMP/rec/state"
ok $? "recorder started under slipway (not PID 1)"
signal_and_wait "$pid" TERM
is "$RC" 0 "SIGTERM forwarded: the server exits 0 and slipway with it"
is "$(cat "$TMP/rec/signals" 2>/dev/null)" 15 "the server got SIGTERM"
[ "$ELAPSED" -lt 2000 ]
ok $? "slipway exits as soon as the server does (${ELAPSED} ms)"

done_testing
