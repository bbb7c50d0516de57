#!/usr/bin/env bash
# Every catchable signal sent to slipway (PID 1 of a fresh PID namespace) reaches the server;
# signal_group reaches the whole process group.
. "$SRCDIR/tests/lib/tap.sh"
export SLIPWAY_SERVE_STOP_TIMEOUT=infinity # INT/QUIT are stop signals: no SIGKILL mid-test

wait_file() { # wait_file FILE PATTERN: up to 5 s
    for _ in $(seq 500); do
        grep -qx -- "$2" "$1" 2>/dev/null && return 0
        sleep 0.01
    done
    return 1
}

# Starts slipway as PID 1 of a new namespace; sets SUP to its pid as seen from here.
start_pid1() {
    unshare --pid --fork --mount-proc "$SLIPWAY" "$@" &
    UNSHARE=$!
    for _ in $(seq 500); do
        SUP=$(pgrep -P "$UNSHARE" | head -n 1)
        [ -n "$SUP" ] && return 0
        sleep 0.01
    done
    return 1
}

mkdir -p "$TMP/rec"
start_pid1 -- "$SIGRECORDER" "$TMP/rec" exit-on-term
for _ in $(seq 500); do [ -f "$TMP/rec/state" ] && break; sleep 0.01; done
ok $? "recorder started under slipway as PID 1"

forwarded="HUP INT QUIT USR1 USR2 PIPE ALRM STKFLT CONT TSTP URG XCPU XFSZ VTALRM PROF WINCH IO PWR"
for n in $(seq 34 64); do forwarded="$forwarded $n"; done
missing=""
for sig in $forwarded; do
    case "$sig" in [0-9]*) n=$sig ;; *) n=$(kill -l "$sig") ;; esac
    kill -"$n" "$SUP"
    wait_file "$TMP/rec/signals" "$n" || missing="$missing $sig"
done
is "$missing" "" "every forwardable signal reaches the child"

state=$(cat "$TMP/rec/state")
like "$state" $'blocked\n' "the child starts with no blocked signal"
like "$state" $'ignored\n' "the child starts with no ignored signal"
like "$state" $'fds 0 1 2\n' "the child inherits only fds 0, 1, 2"
pg=$(sed -n 's/^pgid \([0-9]*\) pid \([0-9]*\)$/\1 \2/p' "$TMP/rec/state")
set -- $pg
is "$1" "$2" "the child leads its own process group"

kill -TERM "$SUP"
wait "$UNSHARE"
is "$?" 0 "SIGTERM reaches the child, which exits 0, and slipway passes that on"
grep -qx 20 "$TMP/rec/signals"
ok $? "SIGTSTP was forwarded, not acted on by slipway"

# signal_group: sh execs into one recorder after starting another in the background; the
# second is a grandchild of slipway in the same process group.
run_group() { # run_group true|false DIR
    mkdir -p "$2/a" "$2/b"
    SLIPWAY_SERVE_SIGNAL_GROUP=$1 start_pid1 -- sh -c \
        "\"$SIGRECORDER\" \"$2/b\" exit-on-term & exec \"$SIGRECORDER\" \"$2/a\" exit-on-term"
    for _ in $(seq 500); do [ -f "$2/a/state" ] && [ -f "$2/b/state" ] && break; sleep 0.01; done
    kill -USR1 "$SUP"
    wait_file "$2/a/signals" 10
    kill -TERM "$SUP"
    wait "$UNSHARE"
}
run_group true "$TMP/group"
is "$?" 0 "signal_group: slipway exits with the child's code"
grep -qx 10 "$TMP/group/b/signals"
ok $? "signal_group = true: the grandchild in the group gets SIGUSR1"
run_group false "$TMP/nogroup"
grep -qx 10 "$TMP/nogroup/b/signals"
ok $((!$?)) "signal_group = false: only the child gets SIGUSR1"

done_testing
