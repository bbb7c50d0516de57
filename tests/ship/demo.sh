#!/usr/bin/env bash
# entrypoint/demo.sh, the README's first command, run as a user would: once straight through
# (--ci), once in a terminal stopped with Ctrl-C. Each builds slipway, starts its own
# PostgreSQL and nginx on ports of its own, and must leave nothing behind.
# No `set -e`: TAP assertions test exit statuses.
set -uo pipefail
. "$SRCDIR/tests/ship/lib.sh"

export DEMO_HTTP_PORT=18081 DEMO_HEALTH_PORT=18082 DEMO_PG_PORT=25441
export DEMO_BUILD_DIR=$TMP/build
# The demo starts its own PostgreSQL: not the one tests/run-all.sh exported; and its config
# names its own health socket, which the test's (tests/lib/tap.sh) would override.
unset PGHOST PGPORT PGUSER PGDATABASE SLIPWAY_SERVE_HEALTH_SOCKET

# after OUTPUT FIRST SECOND: SECOND appears on a line after the one with FIRST.
after() {
    printf '%s\n' "$1" | awk -v a="$2" -v b="$3" \
        'index($0, a) && !seen { seen = 1; next } seen && index($0, b) { found = 1 } END { exit !found }'
}
# nothing_left OUTPUT LABEL: the temp dir is gone and no port of the demo still answers.
nothing_left() {
    local dir
    dir=$(printf '%s\n' "$1" | sed -n 's/^demo: stopped, \(.*\) removed$/\1/p')
    [ -n "$dir" ] && [ ! -e "$dir" ]
    ok $? "$2: the temp dir ($dir) is removed"
    ! curl -s --max-time 2 "http://127.0.0.1:$DEMO_HTTP_PORT/" >/dev/null
    ok $? "$2: nginx is stopped"
    ! pg_isready -q -h 127.0.0.1 -p "$DEMO_PG_PORT"
    ok $? "$2: PostgreSQL is stopped"
}

out=$(bash "$SRCDIR/entrypoint/demo.sh" --ci 2>&1)
rc=$?
is "$rc" 0 "demo.sh --ci runs through"
[ "$rc" = 0 ] || printf '%s\n' "$out" | tail -n 30 | sed 's/^/#   /'
like "$out" "slipway health -> 1" "health is 1 while the schema is missing"
like "$out" "GET /readyz -> 503" "so is /readyz"
like "$out" "nginx is not started yet" "nginx waits for the schema"
like "$out" "[3/3] 0003_orders_customer_index.sql applied" "the upgrade applies the sample migrations"
after "$out" "slipway health -> 1" "slipway health -> 0"
ok $? "health goes from 1 to 0 around the upgrade"
like "$out" "GET /readyz -> 200" "/readyz answers 200 after it"
like "$out" "slipway demo: nginx is up" "nginx serves the page"
like "$out" "schema version: 3" "status shows the schema version"
like "$out" "Try next" "it says what to try next"
like "$out" "slipway exited with 0" "the stop: SIGTERM through slipway, exit code 0"
unlike "$out" $'\033[' "no terminal escapes in a log"
nothing_left "$out" "--ci"

# In a terminal: the demo waits until Ctrl-C, which the pty turns into SIGINT for the
# terminal's foreground process group, exactly as when a person presses it.
out=$(python3 - "$SRCDIR/entrypoint/demo.sh" <<'PY'
import os, pty, select, sys, time
pid, fd = pty.fork()
if pid == 0:
    os.execvp("bash", ["bash", sys.argv[1]])
out = b""
def read_until(done, seconds):
    global out
    end = time.time() + seconds
    while not done(out) and time.time() < end:
        if select.select([fd], [], [], 0.5)[0]:
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # EIO: the demo exited and the pty closed
                return
            if not chunk:
                return
            out += chunk
read_until(lambda o: b"Ctrl-C stops" in o, 180)
# Ctrl-C when the demo's bash blocks in its final `wait`, as it would for a person.
def waiting():
    try:
        with open("/proc/%d/wchan" % pid) as f:
            return "wait" in f.read()
    except OSError:
        return False
end = time.time() + 60
while not waiting() and time.time() < end:
    time.sleep(0.02)
os.write(fd, b"\x03")
read_until(lambda o: False, 30)
status = os.waitpid(pid, 0)[1]
sys.stdout.write(out.decode(errors="replace").replace("\r\n", "\n"))
print("demo-exit=%d" % os.waitstatus_to_exitcode(status))
PY
)
like "$out" "Running. Ctrl-C stops" "in a terminal the demo keeps running"
like "$out" "slipway exited with 0" "Ctrl-C stops nginx through slipway, exit code 0"
like "$out" "demo-exit=130" "the demo exits 130, as after any Ctrl-C"
nothing_left "$out" "Ctrl-C"

done_testing
