# TAP helpers for the shell tests (meson runs them with protocol: 'tap').
# Source it; $SLIPWAY is the binary under test (set by meson).
set -u
: "${SLIPWAY:?SLIPWAY must point at the slipway binary}"
TAP_N=0
TAP_FAILED=0
TMP=$(mktemp -d "${TMPDIR:-/tmp}/slipway-test.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

ok() { # ok CONDITION_EXIT_STATUS DESCRIPTION
    TAP_N=$((TAP_N + 1))
    if [ "$1" -eq 0 ]; then
        echo "ok $TAP_N - $2"
    else
        TAP_FAILED=$((TAP_FAILED + 1))
        echo "not ok $TAP_N - $2"
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

# signal_and_wait PID SIG: sends SIG to PID (a child of this shell) and waits for it; sets
# RC to its exit code and ELAPSED to the milliseconds from the signal to its exit.
signal_and_wait() {
    local t0
    t0=$(now_ms)
    kill -"$2" "$1"
    wait "$1"
    RC=$?
    ELAPSED=$(($(now_ms) - t0))
}
