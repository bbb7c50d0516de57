#!/usr/bin/env bash
# Signals as hostile environments send them (found with tini's and dumb-init's test suites):
# fault signals sent by another process are forwarded, INT and QUIT do not start stop_timeout,
# a SIGPIPE that slipway's own log write raised is never forwarded, signal_map rewrites.
. "$SRCDIR/tests/lib/tap.sh"

wait_file() { # wait_file FILE PATTERN: up to 30 s
    for _ in $(seq 3000); do
        grep -qx -- "$2" "$1" 2>/dev/null && return 0
        sleep 0.01
    done
    return 1
}

# start SETUP DIR [ARGS...]: slipway (PID 1 of a new namespace when SETUP is pid1) running a
# recorder in DIR; sets SUP (slipway's pid as seen from here) and BG (the job to wait for).
start() {
    local setup=$1 dir=$2
    shift 2
    mkdir -p "$dir"
    if [ "$setup" = pid1 ]; then
        unshare --pid --fork --mount-proc "$SLIPWAY" "$@" -- "$SIGRECORDER" "$dir" exit-on-term &
        BG=$!
        for _ in $(seq 3000); do
            SUP=$(pgrep -P "$BG" | head -n 1)
            [ -n "$SUP" ] && break
            sleep 0.01
        done
    else
        "$SLIPWAY" "$@" -- "$SIGRECORDER" "$dir" exit-on-term &
        BG=$!
        SUP=$BG
    fi
    for _ in $(seq 3000); do [ -f "$dir/state" ] && return 0; sleep 0.01; done
    return 1
}

for setup in pid1 plain; do
    start $setup "$TMP/fault-$setup"
    ok $? "$setup: recorder started"
    missing=""
    for sig in ABRT SEGV ILL TRAP BUS FPE SYS; do
        n=$(kill -l $sig)
        kill -$sig "$SUP"
        wait_file "$TMP/fault-$setup/signals" "$n" || missing="$missing $sig"
    done
    is "$missing" "" "$setup: ABRT SEGV ILL TRAP BUS FPE SYS sent by another process are forwarded"
    kill -TERM "$SUP"
    wait "$BG"
    is $? 0 "$setup: slipway survived them and passes the server's exit code 0 on"
done

# QUIT (a JVM's thread dump) and INT are forwarded but do not start stop_timeout: the server
# is still there well after stop_timeout, and stops on TERM.
export SLIPWAY_SERVE_STOP_TIMEOUT=200ms
start pid1 "$TMP/quit"
for sig in QUIT INT; do
    kill -$sig "$SUP"
    wait_file "$TMP/quit/signals" "$(kill -l $sig)"
    ok $? "$sig reaches the server"
done
sleep 1 # five times stop_timeout: a started timer would have killed the server by now
kill -USR1 "$SUP"
wait_file "$TMP/quit/signals" 10
ok $? "after QUIT and INT the server is still alive (stop_timeout did not start)"
kill -TERM "$SUP"
wait "$BG"
is $? 0 "TERM still stops it: exit 0"
unset SLIPWAY_SERVE_STOP_TIMEOUT

# A log line written to a stderr whose reader is gone raises SIGPIPE in slipway: that is
# slipway's own business, not a signal for the server. -v logs when the server exits and
# leaves a process behind; that one must get the stop signal (USR2 here, which the recorder
# survives, so that it would also record a SIGPIPE forwarded after it) and nothing else.
mkfifo "$TMP/err"
exec 3<>"$TMP/err" # a pipe with a reader...
mkdir -p "$TMP/pipe"
SLIPWAY_SERVE_STOP_SIGNAL=USR2 SLIPWAY_SERVE_STOP_TIMEOUT=5s "$SLIPWAY" -v -- sh -c \
    "\"$SIGRECORDER\" \"$TMP/pipe\" & while [ ! -f \"$TMP/go\" ]; do sleep 0.01; done" \
    2>"$TMP/err" 3<&- &
BG=$!
for _ in $(seq 3000); do [ -f "$TMP/pipe/state" ] && break; sleep 0.01; done
exec 3<&- # ...that goes away before slipway writes
touch "$TMP/go" # the server exits only now: slipway logs that into the broken pipe
wait "$BG"
is $? 0 "stderr reader gone: slipway passes the server's exit code 0 on"
grep -qx 12 "$TMP/pipe/signals"
ok $? "the process left behind got the stop signal"
grep -qx 13 "$TMP/pipe/signals"
ok $((!$?)) "the SIGPIPE of slipway's own log write was not forwarded"

# signal_map = TERM:QUIT (Kubernetes sends TERM, nginx stops gracefully on QUIT): the server
# gets QUIT instead of TERM, and the incoming TERM still starts stop_timeout (the recorder
# survives QUIT, so stop_timeout's SIGKILL ends it: 137).
SLIPWAY_SERVE_SIGNAL_MAP=TERM:QUIT SLIPWAY_SERVE_STOP_TIMEOUT=300ms start pid1 "$TMP/map"
kill -USR1 "$SUP"
wait_file "$TMP/map/signals" 10
ok $? "signal_map: unmapped USR1 is forwarded as it is"
kill -TERM "$SUP"
wait "$BG"
is $? 137 "signal_map: TERM started stop_timeout, whose SIGKILL ended the server (137)"
grep -qx 3 "$TMP/map/signals"
ok $? "signal_map: the server got QUIT for TERM"
grep -qx 15 "$TMP/map/signals"
ok $((!$?)) "signal_map: the server never got TERM"

done_testing
