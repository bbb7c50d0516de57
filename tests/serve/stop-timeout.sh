#!/usr/bin/env bash
# After the first stop signal, stop_timeout runs; then everything left is SIGKILLed, including
# processes that left the server's process group, and slipway waits for all of them.
. "$SRCDIR/tests/lib/tap.sh"

# run_stop MODE MARKER: a server that ignores SIGTERM and starts a TERM-ignoring process in a
# session of its own; SIGTERM to slipway; prints "rc elapsed_ms".
run_stop() {
    local cmd="trap '' TERM; setsid sh -c \"trap '' TERM; sleep $2\" & sleep $2"
    if [ "$1" = pid1 ]; then
        SLIPWAY_SERVE_STOP_TIMEOUT=1s unshare --pid --fork --mount-proc --kill-child "$SLIPWAY" -- sh -c "$cmd" &
    else
        SLIPWAY_SERVE_STOP_TIMEOUT=1s "$SLIPWAY" -- sh -c "$cmd" &
    fi
    local pid=$! sup start rc
    sleep 0.3
    sup=$pid
    [ "$1" = pid1 ] && sup=$(pgrep -P "$pid" | head -n 1)
    start=$(now_ms)
    kill -TERM "$sup"
    wait "$pid"
    rc=$?
    echo "$rc $(($(now_ms) - start))"
}

for mode in pid1 subreaper; do
    marker=$((40 + RANDOM % 1000)).5
    set -- $(run_stop "$mode" "$marker")
    is "$1" 137 "$mode: TERM-ignoring server is SIGKILLed: 137"
    [ "$2" -ge 900 ] && [ "$2" -le 2500 ]
    ok $? "$mode: SIGKILL after about stop_timeout=1s (${2} ms)"
    pgrep -f "sleep $marker" >/dev/null
    ok $((!$?)) "$mode: no process left behind, not even one in its own session"
done

# A server that exits on TERM is not waited for.
"$SLIPWAY" -- sleep 30 &
pid=$!
sleep 0.2
signal_and_wait "$pid" TERM
is "$RC" 143 "SIGTERM forwarded to sleep: 143"
[ "$ELAPSED" -lt 500 ]
ok $? "exits as soon as the server does (${ELAPSED} ms)"

done_testing
