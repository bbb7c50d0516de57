#!/usr/bin/env bash
# What the server inherits: no ignored or blocked signal of slipway's parent, no fd above 2,
# the configured user and its groups, the terminal's foreground group; exec = true.
. "$SRCDIR/tests/lib/tap.sh"

# Start slipway with SIGINT/SIGUSR2 ignored, SIGUSR1/SIGHUP blocked and fd 7 open, as a
# careless parent might; the recorder reports what it got, and SIGTERM ends it. Both ways of
# starting the server are checked: posix_spawn, and fork when a user is to be switched to.
careless_parent() { # careless_parent DIR [SLIPWAY OPTIONS...]
    local dir=$1
    shift
    python3 - "$SLIPWAY" "$TMP/sigrecorder" "$dir" "$@" <<'PY' &
import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_IGN)
signal.signal(signal.SIGUSR2, signal.SIG_IGN)
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1, signal.SIGHUP})
fd = os.open("/etc/hostname", os.O_RDONLY)
os.dup2(fd, 7, inheritable=True)
slipway, recorder, rec, opts = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
os.execv(slipway, [slipway, *opts, "--", recorder, rec, "exit-on-term"])
PY
}
recorded() { grep -qx -- "$2" "$1" 2>/dev/null; } # recorded FILE SIGNO
printf '[serve]\nuser = nobody\n' >"$TMP/user.ini"
# nobody's recorder runs from $TMP and writes into $TMP/rec-user: the build tree may be closed
chmod 0711 "$TMP"
cp "$SIGRECORDER" "$TMP/sigrecorder"
for how in plain user; do
    rec="$TMP/rec-$how"
    mkdir -p "$rec" && chmod 0777 "$rec"
    if [ "$how" = user ]; then careless_parent "$rec" -c "$TMP/user.ini"; else careless_parent "$rec"; fi
    sup=$!
    wait_for 10 test -f "$rec/state"
    ok $? "$how: the recorder started under slipway"
    state=$(cat "$rec/state")
    like "$state" $'blocked\n' "$how: signals blocked by slipway's parent are unblocked in the server"
    like "$state" $'ignored\n' "$how: signals ignored by slipway's parent are default in the server"
    like "$state" $'fds 0 1 2\n' "$how: fd 7 inherited by slipway does not reach the server"
    # Ignored by slipway's parent, they still reach the server: slipway blocks what it
    # forwards, and the kernel queues a blocked signal whatever its disposition.
    for sig in INT USR2; do
        kill -"$sig" "$sup"
        wait_for 10 recorded "$rec/signals" "$(kill -l "$sig")"
        ok $? "$how: SIG$sig, ignored by slipway's parent, is forwarded to the server"
    done
    signal_and_wait "$sup" TERM
    is "$RC" 0 "$how: clean exit"
done

# SIGCHLD ignored by the parent would make the kernel reap the server behind slipway's back:
# no exit status, and slipway would wait for ever. slipway takes SIGCHLD back.
timeout -k 5 20 python3 - "$SLIPWAY" <<'PY'
import os, signal, sys
signal.signal(signal.SIGCHLD, signal.SIG_IGN)
os.execv(sys.argv[1], [sys.argv[1], "--", "sh", "-c", "exit 7"])
PY
is "$?" 7 "with SIGCHLD ignored by slipway's parent, the server's exit code still comes through"

out=$("$SLIPWAY" -c "$TMP/user.ini" -- sh -c 'echo "$(id -u) $(id -g) $HOME"')
is "$out" "$(id -u nobody) $(id -g nobody) $(getent passwd nobody | cut -d: -f6)" "user = nobody: uid, gid and HOME of nobody"
out=$("$SLIPWAY" -c "$TMP/user.ini" -- id -G)
is "$out" "$(id -G nobody)" "user = nobody: nobody's supplementary groups, not root's"
out=$("$SLIPWAY" -c "$TMP/user.ini" -- /nonexistent/server 2>&1)
is "$?" 127 "user = nobody, command not found: 127"
like "$out" "cannot run '/nonexistent/server': command not found" "user = nobody, not found: the cause"

# Without a user to switch to, the server's process shares slipway's memory until it execs
# (posix_spawn's CLONE_VM|CLONE_VFORK): no page table or page of slipway's is copied, and
# slipway resumes only once the exec is done. A fork() would show as a clone without them.
# clones LOG ARGS...: slipway ARGS under strace, its clones and forks in LOG. Without leak
# detection under the sanitizer pass: LeakSanitizer's exit check clones a tracer of its own,
# which cannot attach to a process strace already traces.
clones() {
    local log=$1
    shift
    ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
        strace -f -qq -e trace=clone,clone3,fork,vfork -o "$log" "$SLIPWAY" "$@"
}
clones "$TMP/clone.log" -- true
is "$?" 0 "under strace: the server ran"
like "$(cat "$TMP/clone.log")" "CLONE_VM|CLONE_VFORK" "the server is started by a vfork-style clone"
unlike "$(grep -v CLONE_VFORK "$TMP/clone.log")" "clone" "and by no copying fork"
clones "$TMP/clone-user.log" -c "$TMP/user.ini" -- true
like "$(cat "$TMP/clone-user.log")" "clone" "with a user to switch to, a fork (initgroups needs its own memory)"

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
# so job control works and Ctrl-C reaches it (and not slipway). Driven through a pty by
# python, which waits for each event (the prompt, the sleep running) rather than for time.
cat >"$TMP/interactive.py" <<'PY'
import os, pty, select, sys, time

slipway, log = sys.argv[1], sys.argv[2]
os.environ["PS1"] = "pty-test$ "
pid, fd = pty.fork()
if pid == 0:
    os.execv(slipway, [slipway, "--", "bash", "--norc", "--noprofile", "-i"])
out = b""

def expect(what, seconds=20):
    """Reads until the output holds WHAT a new time (after the previous match)."""
    global out
    deadline = time.monotonic() + seconds
    while what not in out:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            raise SystemExit(f"timeout waiting for {what!r}")
        try:
            out += os.read(fd, 4096)
        except OSError:
            raise SystemExit(f"pty closed before {what!r}")
    kept = out[out.index(what) + len(what):]
    with open(log, "ab") as f:
        f.write(out[: len(out) - len(kept)])
    out = kept

def children(ppid):
    found = []
    for p in os.listdir("/proc"):
        try:
            stat = open(f"/proc/{p}/stat").read()
        except OSError:
            continue
        name, rest = stat[stat.index("(") + 1 : stat.rindex(")")], stat[stat.rindex(")") + 2 :].split()
        if p.isdigit() and int(rest[1]) == ppid:
            found.append((int(p), name))
    return found

def until(cond, seconds=20):
    deadline = time.monotonic() + seconds
    while not cond():
        if time.monotonic() > deadline:
            raise SystemExit("timeout waiting for a process")
        time.sleep(0.02)

expect(b"pty-test$ ")
bash = [p for p, n in children(pid) if n == "bash"]
os.write(fd, b"sleep 30\n")
until(lambda: any(n == "sleep" for p, n in children(bash[0])))
os.write(fd, b"\x03")
expect(b"pty-test$ ")
until(lambda: not any(n == "sleep" for p, n in children(bash[0])))
os.write(fd, b"exit 7\n")
_, status = os.waitpid(pid, 0)
print(os.waitstatus_to_exitcode(status))
PY
rc=$(timeout 60 python3 "$TMP/interactive.py" "$SLIPWAY" "$TMP/pty.log" 2>&1)
is "$rc" 7 "interactive bash on a pty: Ctrl-C interrupts sleep, bash goes on and exits 7"
out=$(cat "$TMP/pty.log" 2>/dev/null)
like "$out" "sleep 30" "the session was recorded"
unlike "$out" "cannot set terminal process group" "no job-control warning from bash"
unlike "$out" "no job control" "bash has job control"

done_testing
