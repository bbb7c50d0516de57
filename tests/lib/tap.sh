# TAP helpers for the shell tests (meson runs them with protocol: 'tap').
# Source it; $SLIPWAY is the binary under test (set by meson).
set -u
: "${SLIPWAY:?SLIPWAY must point at the slipway binary}"
TAP_N=0
TAP_FAILED=0
TMP=$(mktemp -d "${TMPDIR:-/tmp}/slipway-test.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
# A health socket of the test's own: the default, /run/slipway/health.sock, is one per machine,
# and a `slipway health` of one test would ask another test's supervisor about its database.
export SLIPWAY_SERVE_HEALTH_SOCKET=${SLIPWAY_SERVE_HEALTH_SOCKET:-$TMP/health.sock}

ok() { # ok CONDITION_EXIT_STATUS DESCRIPTION
    TAP_N=$((TAP_N + 1))
    if [ "$1" -eq 0 ]; then
        echo "ok $TAP_N - $2"
    else
        TAP_FAILED=$((TAP_FAILED + 1))
        echo "not ok $TAP_N - $2"
        # The mutation check needs only the first failure: the rest would cost it time.
        if [ -n "${SLIPWAY_TAP_BAIL:-}" ]; then
            echo "Bail out! stopping at the first failure (SLIPWAY_TAP_BAIL)"
            # Background processes hold the TAP pipe open: meson would wait for them.
            kill -TERM $(jobs -p) 2>/dev/null
            exit 1
        fi
    fi
}

is() { # is GOT WANT DESCRIPTION
    [ "$1" = "$2" ]
    local r=$?
    ok $r "$3"
    [ $r -eq 0 ] || echo "#   got '$1', want '$2'"
}

like() { # like TEXT FRAGMENT DESCRIPTION
    case "$1" in *"$2"*) ok 0 "$3" ;; *) ok 1 "$3"; echo "#   '$2' not in: $1" ;; esac
}

unlike() { # unlike TEXT FRAGMENT DESCRIPTION
    case "$1" in *"$2"*) ok 1 "$3"; echo "#   '$2' unexpectedly in: $1" ;; *) ok 0 "$3" ;; esac
}

done_testing() {
    echo "1..$TAP_N"
    [ "$TAP_FAILED" -eq 0 ]
}

# Milliseconds since the epoch, for latency checks with generous bounds.
now_ms() { date +%s%3N; }

# wait_for SECONDS COMMAND...: runs COMMAND every 20 ms until it succeeds; fails after SECONDS
# (a generous bound: the event is what the test waits for, never the time).
wait_for() {
    local deadline=$(($(now_ms) + $1 * 1000))
    shift
    until "$@"; do
        [ "$(now_ms)" -lt "$deadline" ] || return 1
        sleep 0.02
    done
}

gone() { ! kill -0 "$1" 2>/dev/null; }

# wait_exit PID SECONDS: waits for PID (a child of this shell) to exit; sets RC to its exit
# code, or to "timeout" (and SIGKILLs it) when it is still running after SECONDS.
wait_exit() {
    if wait_for "$2" gone "$1"; then
        wait "$1"
        RC=$?
    else
        kill -KILL "$1" 2>/dev/null
        wait "$1"
        RC=timeout
    fi
}

# signal_and_wait PID SIG [CHILD]: sends SIG to PID and waits for CHILD (default PID, a child
# of this shell) to exit, 10 s at most (a stop takes milliseconds; a broken one must fail the
# check well within meson's timeout); sets RC to its exit code (or "timeout") and ELAPSED to
# the milliseconds from the signal to its exit.
signal_and_wait() {
    local t0
    t0=$(now_ms)
    kill -"$2" "$1"
    wait_exit "${3:-$1}" 10
    ELAPSED=$(($(now_ms) - t0))
}

# alive PID: the process exists and is not a zombie (for a negative check's subject).
alive() {
    local state
    state=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$1/status" 2>/dev/null)
    [ -n "$state" ] && [ "$state" != Z ]
}
