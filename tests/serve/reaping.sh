#!/usr/bin/env bash
# Every orphan is reaped, as PID 1 and as a subreaper; slipway exits only once every
# descendant is gone.
. "$SRCDIR/tests/lib/tap.sh"

zombies='ps -e -o stat= | grep -c "^Z"'
out=$(unshare --pid --fork --mount-proc "$SLIPWAY" -- sh -c "\"$ORPHANS\" 1000 && sleep 0.5 && $zombies")
is "$out" 0 "as PID 1: 1000 orphans leave 0 zombies"

out=$(unshare --pid --fork --mount-proc "$SLIPWAY" -- sh -c "\"$ORPHANS\" 200 10000 && ps -e -o ppid= | grep -cx ' *1'")
[ "$out" -ge 200 ]
ok $? "as PID 1: lingering orphans are reparented to slipway ($out children of PID 1)"

# Not PID 1: slipway makes itself a child subreaper, so orphans come to it, not to init.
out=$("$SLIPWAY" -- sh -c "\"$ORPHANS\" 200 10000 && ps -e -o ppid= | grep -cx \" *\$PPID\"")
[ "$out" -ge 200 ]
ok $? "as a subreaper: orphans are reparented to slipway ($out)"
out=$("$SLIPWAY" -- sh -c "\"$ORPHANS\" 300 && sleep 0.5 && ps -e -o stat=,ppid= | awk -v p=\$PPID '\$2 == p && \$1 ~ /^Z/' | wc -l")
is "$out" 0 "as a subreaper: 300 orphans leave 0 zombies"

# The server exits but leaves a background process: slipway stops it (stop_signal) and only
# then exits, with the server's code.
start=$(now_ms)
"$SLIPWAY" -- sh -c 'sleep 31.7 & exit 6'
rc=$?
elapsed=$(($(now_ms) - start))
is "$rc" 6 "server's exit code kept while its leftovers are stopped"
[ "$elapsed" -lt 3000 ]
ok $? "leftover process stopped promptly (${elapsed} ms)"
pgrep -f 'sleep 31.7' >/dev/null
ok $((!$?)) "no leftover process remains"

# A leftover that ignores the stop signal is SIGKILLed after stop_timeout.
start=$(now_ms)
SLIPWAY_SERVE_STOP_TIMEOUT=500ms "$SLIPWAY" -- sh -c "sh -c 'trap \"\" TERM; sleep 32.7' & sleep 0.2; exit 0"
rc=$?
elapsed=$(($(now_ms) - start))
is "$rc" 0 "server's exit code 0 kept"
[ "$elapsed" -ge 600 ] && [ "$elapsed" -lt 3000 ]
ok $? "TERM-ignoring leftover killed after stop_timeout (${elapsed} ms)"
pgrep -f 'sleep 32.7' >/dev/null
ok $((!$?)) "nothing left behind"

done_testing
