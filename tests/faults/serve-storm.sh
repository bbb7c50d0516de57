#!/usr/bin/env bash
# Proves: slipway as PID 1 (a fresh PID namespace) survives the loads tini users hit.
# * 10,000 orphans reparented to it in a burst: every one reaped, 0 zombies left (then 2,000
#   that linger until they are all ended at once).
# * A signal storm: 10,000 signals of mixed kinds (standard and real-time, never a stop
#   signal) sent from outside as fast as python3 can, while the child records what it gets:
#   slipway keeps up with reasonable CPU time, every kind sent reaches the child at least
#   once (standard signals coalesce while pending, that is expected; real-time ones queue and
#   are counted), then TERM still reaches the child and slipway exits with its code (0). A
#   second storm is followed by TERM without a pause: TERM is not lost behind the flood, and
#   once the child is gone slipway exits promptly, whatever is still queued for it.
#
# CI: 10,000 orphans and 10,000 signals per storm; --long: 50,000 and 100,000.
. "$SRCDIR/tests/lib/tap.sh"
. "$SRCDIR/tests/faults/lib.sh"
NORPHANS=$(by_mode 10000 50000)
NSIGNALS=$(by_mode 10000 100000)
export SLIPWAY_SERVE_STOP_TIMEOUT=infinity

UNSHARE='' SUP=''
cleanup() { # SIGKILL to a namespace's PID 1 ends everything in it
    [ -n "$SUP" ] && kill -KILL "$SUP" 2>/dev/null
    [ -n "$UNSHARE" ] && kill -KILL "$UNSHARE" 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT

# ---- orphans -----------------------------------------------------------------------------
# Inside the namespace: make the orphans, then poll until no zombie is left (up to 30 s);
# prints "ZOMBIES POLLS".
count_after='i=0; while [ $i -lt 3000 ]; do z=$(ps -e -o stat= | grep -c "^Z"); [ "$z" = 0 ] && break; sleep 0.01; i=$((i + 1)); done; echo "$z $i"'
t0=$(now_ms)
out=$(unshare --pid --fork --mount-proc "$SLIPWAY" -- sh -c "\"\$1\" $NORPHANS || exit 9; $count_after" sh "$ORPHANS")
rc=$?
ms=$(($(now_ms) - t0))
is "$rc" 0 "$NORPHANS orphans: the child exits 0 and slipway passes it on"
set -- $out
is "${1:-?}" 0 "$NORPHANS orphans: 0 zombies left (${ms} ms in all; zombie-free $((${2:-0} * 10)) ms after the last fork)"

# Lingering ones: 2000 orphans that live until the shell ends them (all at once, while
# slipway still has the rest to reap). Counted once the helper has exited: by then every one
# has been reparented (each parent exited after its fork), whatever the machine's speed.
left='i=0; while [ $i -lt 3000 ]; do c=$(ps -e -o ppid= | grep -cx " *1"); [ "$c" -le 1 ] && break; sleep 0.01; i=$((i + 1)); done'
out=$(unshare --pid --fork --mount-proc "$SLIPWAY" -- sh -c "\"\$1\" 2000 -1 || exit 9; n=\$(ps -e -o ppid= | grep -cx ' *1'); pkill -TERM -P 1 -x orphans; $left; echo \$n \$c; $count_after" sh "$ORPHANS")
set -- $out
[ "${1:-0}" -ge 2001 ]
ok $? "2000 lingering orphans: all reparented to slipway (${1:-0} of its children at once, the shell included)"
is "${2:-?}" 1 "2000 lingering orphans: all reaped once they exit (only the shell is left)"
is "${3:-?}" 0 "2000 lingering orphans: 0 zombies"

# ---- signal storm ------------------------------------------------------------------------
# Starts slipway as PID 1 of a new namespace over the recorder; SUP is its pid from here.
start_pid1() {
    mkdir -p "$1"
    unshare --pid --fork --mount-proc "$SLIPWAY" -- "$SIGRECORDER" "$1" exit-on-term &
    UNSHARE=$!
    SUP=
    for _ in $(seq 1000); do
        SUP=$(pgrep -P "$UNSHARE" | head -n 1)
        [ -n "$SUP" ] && [ -f "$1/state" ] && return 0
        sleep 0.01
    done
    return 1
}

# storm PID N SEED: sends N signals of mixed kinds (each kind once first, then random), as
# fast as it can; EAGAIN (real-time queue full) is waited out and counted. Prints one line
# per kind "SIGNO COUNT", then "# elapsed_ms EAGAINS".
storm() {
    python3 - "$@" <<'PY'
import errno, os, random, signal, sys, time
pid, n, seed = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
names = ["SIGHUP", "SIGUSR1", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGSTKFLT", "SIGCONT", "SIGURG",
         "SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO", "SIGPWR"]
kinds = [int(getattr(signal, s)) for s in names if hasattr(signal, s)]
kinds += list(range(signal.SIGRTMIN, signal.SIGRTMAX + 1))
rnd = random.Random(seed)
order = kinds + [rnd.choice(kinds) for _ in range(n - len(kinds))]
sent = {k: 0 for k in kinds}
eagain = 0
t0 = time.monotonic()
for s in order:
    while True:
        try:
            os.kill(pid, s)
            break
        except OSError as e:
            if e.errno != errno.EAGAIN:
                raise
            eagain += 1
            time.sleep(0.001)
    sent[s] += 1
ms = int((time.monotonic() - t0) * 1000)
for k in kinds:
    print(k, sent[k])
print("#", ms, eagain)
PY
}

cpu_ms() { # CPU time of PID in ms: "USER SYSTEM" (clock ticks of /proc/PID/stat)
    awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); print int($12 * 1000 / hz), int($13 * 1000 / hz) }' "/proc/$1/stat"
}

start_pid1 "$TMP/rec"
ok $? "storm: recorder running under slipway as PID 1 (pid $SUP here)"
read -r user0 sys0 <<<"$(cpu_ms "$SUP")"
storm "$SUP" "$NSIGNALS" "$FAULTS_SEED" >"$TMP/sent"
ok $? "storm: $NSIGNALS signals sent ($(sed -n 's/^# \([0-9]*\) \([0-9]*\)/\1 ms, \2 EAGAIN retries/p' "$TMP/sent"))"
# Let slipway drain what is pending: done when neither it nor the recorder has a signal
# pending and both sleep where they wait for the next (slipway in epoll_wait, so whatever it
# took off its signalfd it has forwarded; the recorder in pause(), out of its handler).
REC=$(pgrep -P "$SUP" | head -n 1)
idle() { # PID WCHAN_PATTERN
    grep -q "$2" "/proc/$1/wchan" 2>/dev/null &&
        awk '/^(SigPnd|ShdPnd):/ && $2 !~ /^0+$/ { busy = 1 } END { exit busy }' "/proc/$1/status"
}
drained() { idle "$SUP" epoll && idle "$REC" pause; }
wait_until 60000 drained
ok $? "storm: slipway and the recorder are idle, nothing pending"
kill -0 "$SUP" 2>/dev/null
ok $? "storm: slipway is still running"
read -r user1 sys1 <<<"$(cpu_ms "$SUP")"
user=$((user1 - user0)) sys=$((sys1 - sys0))
# Generous bounds. Most of it is the kernel's: taking a signal off a deep real-time queue
# costs time proportional to the queue (tens of thousands deep at the long counts), so the
# system time grows faster than the count; slipway's own (user) time must stay small.
[ "$user" -lt 2000 ]
ok $? "storm: slipway's own CPU time for $NSIGNALS signals: ${user} ms user (+ ${sys} ms in the kernel)"
if [ "$FAULTS_LONG" = 0 ]; then
    [ $((user + sys)) -lt 5000 ]
    ok $? "storm: CPU time in all under 5 s ($((user + sys)) ms)"
fi
got=$(wc -l <"$TMP/rec/signals")
missing="" rt_sent=0 rt_got=0
rtmin=$(kill -l RTMIN 2>/dev/null || echo 34)
while read -r sig n; do
    [ "$sig" = "#" ] && continue
    r=$(grep -cx "$sig" "$TMP/rec/signals")
    [ "$r" -ge 1 ] || missing="$missing $sig"
    if [ "$sig" -ge "$rtmin" ]; then rt_sent=$((rt_sent + n)); rt_got=$((rt_got + r)); fi
done <"$TMP/sent"
is "${missing# }" "" "storm: every kind sent reached the child ($(grep -vc '^#' "$TMP/sent") kinds, $got signals recorded)"
echo "# real-time signals: $rt_sent sent, $rt_got reached the child (they queue; standard ones coalesce)"
[ "$rt_got" -ge $((rt_sent / 2)) ]
ok $? "storm: most real-time signals were forwarded one for one ($rt_got of $rt_sent)"
grep -qx 15 "$TMP/rec/signals"
ok $((!$?)) "storm: no TERM was sent or forwarded by mistake"

t0=$(now_ms)
kill -TERM "$SUP"
for _ in $(seq 1000); do kill -0 "$UNSHARE" 2>/dev/null || break; sleep 0.01; done
wait "$UNSHARE"
rc=$?
UNSHARE='' SUP=''
is "$rc" 0 "storm, then TERM: slipway exits with the child's code 0 ($(($(now_ms) - t0)) ms)"
grep -qx 15 "$TMP/rec/signals"
ok $? "storm, then TERM: the child got TERM"

# TERM right behind a storm, no pause: still delivered, still exit 0.
start_pid1 "$TMP/rec2"
ok $? "storm + TERM: recorder running under slipway as PID 1"
storm "$SUP" "$NSIGNALS" $((FAULTS_SEED + 1)) >"$TMP/sent2"
REC=$(pgrep -P "$SUP" | head -n 1)
t0=$(now_ms)
kill -TERM "$SUP"
for _ in $(seq 1000); do kill -0 "$REC" 2>/dev/null || break; sleep 0.005; done
child_ms=$(($(now_ms) - t0))
queued=$(sed -n 's/^SigQ:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$SUP/status" 2>/dev/null)
for _ in $(seq 6000); do kill -0 "$UNSHARE" 2>/dev/null || break; sleep 0.01; done
exit_ms=$(($(now_ms) - t0))
kill -0 "$UNSHARE" 2>/dev/null && kill -KILL "$SUP"
wait "$UNSHARE"
rc=$?
UNSHARE='' SUP=''
is "$rc" 0 "storm + TERM: slipway exits with the child's code 0"
grep -qx 15 "$TMP/rec2/signals"
ok $? "storm + TERM: the child got TERM and was gone ${child_ms} ms after it ($(wc -l <"$TMP/rec2/signals") signals recorded)"
# Once the child is gone, signals still queued for slipway have nobody to go to: they must
# not hold up its exit (nor, while it runs, the event loop: timers, reaping, health).
[ "$exit_ms" -lt 5000 ]
ok $? "storm + TERM: slipway exits promptly (${exit_ms} ms after TERM; ${queued:-?} signals queued for this user when the child was gone)"

done_testing
