#!/usr/bin/env bash
# What the server inherits: no ignored or blocked signal of slipway's parent, no fd above 2,
# the configured user and its groups, the terminal's foreground group; exec = true.
. "$SRCDIR/tests/lib/tap.sh"

mkdir -p "$TMP/rec"
# Start slipway with SIGINT/SIGUSR2 ignored, SIGUSR1/SIGHUP blocked and fd 7 open, as a
# careless parent might; the recorder reports what it got, and SIGTERM ends it.
python3 - "$SLIPWAY" "$SIGRECORDER" "$TMP/rec" <<'PY' &
import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_IGN)
signal.signal(signal.SIGUSR2, signal.SIG_IGN)
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1, signal.SIGHUP})
fd = os.open("/etc/hostname", os.O_RDONLY)
os.dup2(fd, 7, inheritable=True)
os.execv(sys.argv[1], [sys.argv[1], "--", sys.argv[2], sys.argv[3], "exit-on-term"])
PY
sup=$!
for _ in $(seq 500); do [ -f "$TMP/rec/state" ] && break; sleep 0.01; done
state=$(cat "$TMP/rec/state")
like "$state" $'blocked\n' "signals blocked by slipway's parent are unblocked in the server"
like "$state" $'ignored\n' "signals ignored by slipway's parent are default in the server"
like "$state" $'fds 0 1 2\n' "fd 7 inherited by slipway does not reach the server"
kill -TERM "$sup"
wait "$sup"
is "$?" 0 "clean exit"

printf '[serve]\nuser = nobody\n' >"$TMP/user.ini"
out=$("$SLIPWAY" -c "$TMP/user.ini" -- sh -c 'echo "$(id -u) $(id -g) $HOME"')
is "$out" "$(id -u nobody) $(id -g nobody) $(getent passwd nobody | cut -d: -f6)" "user = nobody: uid, gid and HOME of nobody"
out=$("$SLIPWAY" -c "$TMP/user.ini" -- id -G)
is "$out" "$(id -G nobody)" "user = nobody: nobody's supplementary groups, not root's"
printf '[serve]\nuser = no-such-user-xyz\n' >"$TMP/baduser.ini"
out=$("$SLIPWAY" -c "$TMP/baduser.ini" -- true 2>&1)
is "$?" 2 "unknown user: exit 2"
like "$out" "user 'no-such-user-xyz'" "unknown user: message names it"

printf '[serve]\nexec = true\n' >"$TMP/exec.ini"
out=$("$SLIPWAY" -c "$TMP/exec.ini" -- sh -c 'echo $$; cat /proc/$$/comm' & echo "launcher $!"; wait)
launcher=$(echo "$out" | sed -n 's/^launcher //p')
shpid=$(echo "$out" | grep -v launcher | head -n 1)
is "$shpid" "$launcher" "exec = true: the server replaces slipway (same pid)"
"$SLIPWAY" -c "$TMP/exec.ini" -- sh -c 'exit 4'
is "$?" 4 "exec = true: the exit code is the server's own"
"$SLIPWAY" -c "$TMP/exec.ini" -- /nonexistent
is "$?" 127 "exec = true: not found is 127"

# docker run -it: an interactive shell under slipway on a terminal gets the foreground group,
# so job control works and Ctrl-C reaches it (and not slipway).
if command -v script >/dev/null; then
    out=$( (sleep 0.5; printf 'sleep 30\n'; sleep 0.5; printf '\003'; sleep 0.3; printf 'exit 7\n') |
        timeout 20 script -qefc "$SLIPWAY -- bash --norc --noprofile -i" /dev/null 2>&1)
    rc=$?
    is "$rc" 7 "interactive bash on a pty: Ctrl-C interrupts sleep, bash goes on and exits 7"
    unlike "$out" "cannot set terminal process group" "no job-control warning from bash"
    unlike "$out" "no job control" "bash has job control"
fi

done_testing
