#!/usr/bin/env bash
# Slow DNS: a resolver that never answers must not freeze the supervisor. The database host name
# is resolved off the event loop, so while the lookup hangs, PID 1 still answers probes, reaps
# orphans and ends on SIGTERM; a health re-check gives up within connect_timeout.
#
# The test runs in a private mount and network namespace (re-executed under unshare): there,
# /etc/resolv.conf names 127.0.0.1, where blackhole.py records each query and never replies, and
# /etc/nsswitch.conf says "hosts: dns". The machine's resolver is untouched.
if [ -z "${SLIPWAY_DNS_NAMESPACE:-}" ]; then
    SLIPWAY_DNS_NAMESPACE=1 exec unshare --mount --net bash "$0" "$@"
fi
. "$SRCDIR/tests/lib/tap.sh"

ip link set lo up || { echo "Bail out! cannot bring up the namespace's loopback"; exit 1; }
# glibc's longest wait: 30 s per try, 5 tries. Every bound below is far shorter, so a lookup
# that blocked the loop could never look like one that did not.
printf 'nameserver 127.0.0.1\noptions timeout:30 attempts:5\n' >"$TMP/resolv.conf"
printf 'hosts: dns\n' >"$TMP/nsswitch.conf"
mount --bind "$TMP/resolv.conf" /etc/resolv.conf &&
    mount --bind "$TMP/nsswitch.conf" /etc/nsswitch.conf ||
    { echo "Bail out! cannot bind-mount the resolver configuration"; exit 1; }

cat >"$TMP/blackhole.py" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 53))
open(sys.argv[1] + ".ready", "w").close()
while True:
    data, peer = s.recvfrom(4096)
    i, labels = 12, []  # the question's name, label by label
    while i < len(data) and data[i]:
        labels.append(data[i + 1:i + 1 + data[i]].decode("ascii", "replace"))
        i += 1 + data[i]
    with open(sys.argv[1], "a") as f:
        f.write(".".join(labels) + "\n")
EOF
QUERIES=$TMP/queries
python3 "$TMP/blackhole.py" "$QUERIES" &
DNS=$!
wait_for 30 test -f "$QUERIES.ready"
ok $? "a DNS server that never answers listens on 127.0.0.1:53"
# Its subject alive: a lookup reaches it, and gets no answer.
timeout 2 getent hosts probe.slow.test >/dev/null
is "$?" 124 "getent hosts hangs on it (no answer within 2 s)"
grep -qx probe.slow.test "$QUERIES"
ok $? "the query reached it"

mkdir -p "$TMP/mig"
printf 'CREATE TABLE a (id int);\n' >"$TMP/mig/0001_a.sql"
CONF=$TMP/slipway.ini
cat >"$CONF" <<EOF
[database]
url = postgresql://app@db.slow.test:5432/app
connect_timeout = 2s
wait = infinity
[migrations]
dir = $TMP/mig
[serve]
health_socket = $TMP/health.sock
health_listen = 127.0.0.1:18081
stop_timeout = 2s
EOF

code_of() { curl -s -o /dev/null -w '%{http_code}' --max-time 10 "http://127.0.0.1:18081$1"; }
resolving() { grep -qx db.slow.test "$QUERIES"; }
# The processes slipway (as seen from here) is the parent of.
children() { ps -o pid= --ppid "$1" 2>/dev/null | tr -d ' '; }

# ---- the gate: PID 1 waits for the database while its host name does not resolve ---------
SLIPWAY_SERVE_WAIT_FOR=database unshare --pid --fork --mount-proc --kill-child "$SLIPWAY" -c "$CONF" -- \
    sh -c "touch '$TMP/started'; exec sleep 1000" 2>"$TMP/gate.log" &
BG=$!
SUP=
wait_for 30 eval 'SUP=$(children "$BG"); [ -n "$SUP" ]'
ok $? "slipway started as PID 1 of a new namespace"
wait_for 30 resolving
ok $? "the gate looks up db.slow.test, which never gets an answer"
alive "$SUP"
ok $? "slipway is alive while its lookup hangs"

is "$(code_of /healthz)" 200 "/healthz answers 200 while the lookup hangs (the loop is not blocked)"
is "$(code_of /readyz)" 503 "/readyz answers 503: not ready, still waiting"

# An orphan in slipway's namespace, reparented to it, exits: PID 1 must reap it meanwhile.
nsenter --target "$SUP" --pid -- sh -c \
    "sh -c 'while [ ! -f \"$TMP/orphan-go\" ]; do sleep 0.01; done' & echo \$! >'$TMP/orphan'"
ORPHAN=
wait_for 30 eval 'ORPHAN=$(children "$SUP"); [ -n "$ORPHAN" ]'
ok $? "an orphan was reparented to slipway (pid $ORPHAN here)"
alive "$ORPHAN"
ok $? "the orphan is alive before it is told to exit"
touch "$TMP/orphan-go"
wait_for 10 test ! -e "/proc/$ORPHAN"
ok $? "the orphan exited and was reaped while the lookup still hangs"

# The attempt gives up at connect_timeout (2 s), not at the resolver's minutes, and says why.
wait_for 30 grep -q 'no answer from the DNS resolver for host "db.slow.test"; retrying' \
    "$TMP/gate.log"
ok $? "the attempt ends at connect_timeout with a one-line reason, and is retried"
[ ! -f "$TMP/started" ]
ok $? "the server was not started (the database was never reached)"
signal_and_wait "$SUP" TERM "$BG"
is "$RC" 143 "SIGTERM ends the gate while the lookup hangs: exit 143"

# ---- serving: a health re-check whose lookup hangs answers within connect_timeout ---------
unshare --pid --fork --mount-proc --kill-child "$SLIPWAY" -c "$CONF" -- \
    sh -c "touch '$TMP/up'; exec sleep 1000" 2>"$TMP/serve.log" &
BG=$!
SUP=
wait_for 30 eval 'SUP=$(children "$BG"); [ -n "$SUP" ]'
wait_for 30 test -f "$TMP/up" -a -S "$TMP/health.sock"
ok $? "a supervisor without a gate runs its server"
: >"$QUERIES"
"$SLIPWAY" -c "$CONF" health >"$TMP/health.out" 2>&1 &
PROBE=$!
wait_for 30 resolving
ok $? "the probe's re-check looks up db.slow.test"
wait_exit "$PROBE" 20
is "$RC" 1 "health answers 1 (within connect_timeout, not the resolver's minutes)"
like "$(cat "$TMP/health.out")" "db.slow.test" "its reason names the host"
signal_and_wait "$SUP" TERM "$BG"
is "$RC" 143 "TERM: the supervisor exits with the server's 143"

kill "$DNS"
wait "$DNS" 2>/dev/null
done_testing
