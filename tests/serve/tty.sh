#!/usr/bin/env bash
# The terminal: slipway hands its terminal to the server only when slipway itself is in the
# terminal's foreground process group (`slipway -- cmd &` in an interactive shell must not take
# the terminal away from the shell).
. "$SRCDIR/tests/lib/tap.sh"

# on_tty FG|BG OUT: runs slipway in a new session whose controlling terminal is a fresh pty,
# in the session's foreground group (FG) or in a background group (BG). The server writes
# "PGID TPGID" (its group, the terminal's foreground group) to OUT.
on_tty() {
    python3 - "$1" "$2" "$SLIPWAY" <<'PY'
import os, pty, sys, time
where, out, slipway = sys.argv[1:4]
master, slave = pty.openpty()
leader = os.fork()
if leader == 0:
    os.setsid()
    fd = os.open(os.ttyname(slave), os.O_RDWR)  # first tty opened: the controlling terminal
    pid = os.fork()
    if pid == 0:
        if where == "BG":
            os.setpgid(0, 0)
        for n in (0, 1, 2):
            os.dup2(fd, n)
        probe = 'set -- $(sed "s/.*) //" /proc/$$/stat); echo "$3 $6" > "$0"'
        os.execv(slipway, [slipway, "--", "sh", "-c", probe, out])
    _, status = os.waitpid(pid, 0)
    os._exit(os.waitstatus_to_exitcode(status))
deadline = time.time() + 60
while True:  # drain the pty so that nothing blocks on it
    try:
        import select
        r, _, _ = select.select([master], [], [], 0.1)
        if r:
            os.read(master, 4096)
    except OSError:
        pass
    done, status = os.waitpid(leader, os.WNOHANG)
    if done or time.time() > deadline:
        break
sys.exit(os.waitstatus_to_exitcode(status) if done else 99)
PY
}

on_tty FG "$TMP/fg"
is $? 0 "foreground: slipway and the server exit 0"
set -- $(cat "$TMP/fg")
is "${2:-}" "${1:-x}" "foreground: the server's group owns the terminal"

on_tty BG "$TMP/bg"
is $? 0 "background: slipway and the server exit 0"
set -- $(cat "$TMP/bg")
[ -n "${1:-}" ] && [ "${2:-}" != "$1" ]
ok $? "background: the terminal stays with the foreground group (server ${1:-?}, terminal ${2:-?})"

done_testing
