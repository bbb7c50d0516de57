#!/usr/bin/env bash
# Every catchable signal sent to slipway (PID 1 of a fresh PID namespace) reaches the server;
# signal_group reaches the whole process group.
. "$SRCDIR/tests/lib/tap.sh"
export SLIPWAY_SERVE_STOP_TIMEOUT=infinity # INT/QUIT are stop signals: no SIGKILL mid-test

recorded() { grep -qx -- "$2" "$1" 2>/dev/null; } # recorded FILE SIGNO

# Starts slipway as PID 1 of a new namespace; sets SUP to its pid as seen from here.
start_pid1() {
    unshare --pid --fork --mount-proc --kill-child "$SLIPWAY" "$@" &
    UNSHARE=$!
    sup_found() { SUP=$(pgrep -P "$UNSHARE" | head -n 1) && [ -n "$SUP" ]; }
    wait_for 10 sup_found
}

mkdir -p "$TMP/rec"
start_pid1 -- "$SIGRECORDER" "$TMP/rec" exit-on-term
wait_for 10 test -f "$TMP/rec/state"
ok $? "recorder started under slipway as PID 1"

# Each signal is recorded by the server within 5 s, or the first one missing ends the round
# (the rest would only wait out their bounds too).
forwarded="$(seq -s ' ' 34 64) HUP INT QUIT USR1 USR2 PIPE ALRM STKFLT CONT TSTP URG XCPU XFSZ"
forwarded="$forwarded VTALRM PROF WINCH IO PWR"
missing=""
for sig in $forwarded; do
    case "$sig" in [0-9]*) n=$sig ;; *) n=$(kill -l "$sig") ;; esac
    kill -"$n" "$SUP"
    wait_for 5 recorded "$TMP/rec/signals" "$n" || { missing="$sig (and the ones after it, untried)"; break; }
done
is "$missing" "" "every forwardable signal reaches the child"
alive "$SUP"
ok $? "slipway is alive after all of them"

state=$(cat "$TMP/rec/state")
like "$state" $'blocked\n' "the child starts with no blocked signal"
like "$state" $'ignored\n' "the child starts with no ignored signal"
like "$state" $'fds 0 1 2\n' "the child inherits only fds 0, 1, 2"
pg=$(sed -n 's/^pgid \([0-9]*\) pid \([0-9]*\)$/\1 \2/p' "$TMP/rec/state")
set -- $pg
is "$1" "$2" "the child leads its own process group"

signal_and_wait "$SUP" TERM "$UNSHARE"
is "$RC" 0 "SIGTERM reaches the child, which exits 0, and slipway passes that on"
grep -qx 20 "$TMP/rec/signals"
ok $? "SIGTSTP was forwarded, not acted on by slipway"

# signal_group: sh execs into one recorder (a) after starting another (b) in the background;
# b is a grandchild of slipway in the same process group. SIGUSR1, then SIGTERM: a exits, and
# b, if still there, gets slipway's stop_signal for leftovers (so b records SIGTERM either way:
# it was alive and recording throughout).
run_group() { # run_group true|false DIR
    mkdir -p "$2/a" "$2/b"
    SLIPWAY_SERVE_SIGNAL_GROUP=$1 start_pid1 -- sh -c \
        "\"$SIGRECORDER\" \"$2/b\" exit-on-term & exec \"$SIGRECORDER\" \"$2/a\" exit-on-term"
    wait_for 10 test -f "$2/a/state" -a -f "$2/b/state"
    ok $? "signal_group = $1: both recorders run"
    kill -USR1 "$SUP"
    wait_for 5 recorded "$2/a/signals" 10
    ok $? "signal_group = $1: the child gets SIGUSR1"
    signal_and_wait "$SUP" TERM "$UNSHARE"
    is "$RC" 0 "signal_group = $1: slipway exits with the child's code"
    recorded "$2/b/signals" 15
    ok $? "signal_group = $1: the grandchild was there to the end (it got SIGTERM)"
}
run_group true "$TMP/group"
grep -qx 10 "$TMP/group/b/signals"
ok $? "signal_group = true: the grandchild in the group gets SIGUSR1"
run_group false "$TMP/nogroup"
! grep -qx 10 "$TMP/nogroup/b/signals"
ok $? "signal_group = false: only the child gets SIGUSR1"

done_testing
