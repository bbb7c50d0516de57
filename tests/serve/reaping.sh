#!/usr/bin/env bash
# Every orphan is reaped, as PID 1 and as a subreaper; slipway exits only once every
# descendant is gone.
. "$SRCDIR/tests/lib/tap.sh"

# Run by the server: waits up to 5 s for the zombie children of PID $1 to be reaped and prints
# how many are left. A reaper that takes one child per SIGCHLD leaves hundreds (SIGCHLDs
# coalesce); one that reaps nothing leaves all.
cat >"$TMP/zombies.sh" <<'SH'
for _ in $(seq 250); do
    n=$(ps -e -o stat=,ppid= | awk -v p="$1" '$2 == p && $1 ~ /^Z/' | wc -l)
    [ "$n" -eq 0 ] && break
    sleep 0.02
done
echo "$n"
SH
# A reaper that loses the server's own exit never exits: bound every run (SIGKILL; for PID 1,
# unshare --kill-child takes the namespace with it).
bounded() { timeout -s KILL 20 "$@"; }

# Not PID 1: slipway makes itself a child subreaper, so orphans come to it, not to init.
out=$(bounded "$SLIPWAY" -- sh -c "\"$ORPHANS\" 200 10000 && ps -e -o ppid= | grep -cx \" *\$PPID\"")
[ "$out" -ge 200 ]
ok $? "as a subreaper: orphans are reparented to slipway ($out)"
out=$(bounded "$SLIPWAY" -- sh -c "\"$ORPHANS\" 200 && sh '$TMP/zombies.sh' \$PPID")
is "$out" 0 "as a subreaper: 200 orphans leave 0 zombies"

out=$(bounded unshare --pid --fork --mount-proc --kill-child "$SLIPWAY" -- \
    sh -c "\"$ORPHANS\" 200 && sh '$TMP/zombies.sh' 1")
is "$out" 0 "as PID 1: 200 orphans leave 0 zombies"

out=$(bounded unshare --pid --fork --mount-proc --kill-child "$SLIPWAY" -- \
    sh -c "\"$ORPHANS\" 200 10000 && ps -e -o ppid= | grep -cx ' *1'")
[ "$out" -ge 200 ]
ok $? "as PID 1: lingering orphans are reparented to slipway ($out children of PID 1)"

# The server exits but leaves a background process: slipway stops it (stop_signal) and only
# then exits, with the server's code. The leftover is a recorder: it got SIGTERM.
mkdir -p "$TMP/left"
SLIPWAY_SERVE_STOP_TIMEOUT=2s bounded "$SLIPWAY" -- sh -c "\"$SIGRECORDER\" '$TMP/left' exit-on-term &
    until [ -f '$TMP/left/state' ]; do sleep 0.01; done; exit 6"
is "$?" 6 "server's exit code kept while its leftovers are stopped"
is "$(cat "$TMP/left/signals" 2>/dev/null)" 15 "the leftover got stop_signal (SIGTERM)"

# A leftover that ignores the stop signal (the recorder without exit-on-term) is SIGKILLed
# after stop_timeout; slipway exits only once it is gone.
mkdir -p "$TMP/stubborn"
start=$(now_ms)
SLIPWAY_SERVE_STOP_TIMEOUT=500ms bounded "$SLIPWAY" -- sh -c "\"$SIGRECORDER\" '$TMP/stubborn' &
    until [ -f '$TMP/stubborn/state' ]; do sleep 0.01; done; echo \$! >'$TMP/stubborn/pid'; exit 0" 2>/dev/null
rc=$?
elapsed=$(($(now_ms) - start))
is "$rc" 0 "server's exit code 0 kept"
is "$(cat "$TMP/stubborn/signals" 2>/dev/null)" 15 "the leftover got SIGTERM and outlived it"
[ "$elapsed" -ge 500 ]
ok $? "slipway waited stop_timeout for it (${elapsed} ms)"
pid=$(cat "$TMP/stubborn/pid")
[ -n "$pid" ] && ! alive "$pid"
ok $? "then SIGKILLed it: nothing left behind (pid $pid)"

done_testing
