#!/usr/bin/env bash
# health_socket's file: a regular file at that path is never deleted; a live socket (another
# supervisor's) is left to its owner, also at exit; a stale one is replaced; the socket is
# usable by the image's other users; a non-root health that cannot reach it says why.
. "$SRCDIR/tests/lib/tap.sh"
# HTTP probes give the supervisor something to answer about without a database.
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
http() { SLIPWAY_SERVE_HEALTH_LISTEN=127.0.0.1:$(free_port) "$@"; }
SOCK=$TMP/run/health.sock

# accepts PATH: 0 when something accepts connections on the unix socket PATH
accepts() {
    python3 -c 'import socket, sys; s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])' "$1" 2>/dev/null
}

mkdir -p "$TMP/run"
echo precious >"$SOCK"
out=$(http env SLIPWAY_SERVE_HEALTH_SOCKET=$SOCK "$SLIPWAY" -- true 2>&1)
is $? 0 "a regular file at health_socket: the server still runs (exit 0)"
is "$(cat "$SOCK" 2>/dev/null)" precious "the regular file is intact"
like "$out" "is not a socket" "slipway says why it did not listen"
rm -f "$SOCK"

# Supervisor A owns the socket; B, started in the same container, must leave it alone.
http env SLIPWAY_SERVE_HEALTH_SOCKET=$SOCK "$SLIPWAY" -- sh -c "touch \"$TMP/a-up\"; while [ ! -f \"$TMP/a-stop\" ]; do sleep 0.05; done" 2>"$TMP/a.log" &
A=$!
for _ in $(seq 3000); do [ -f "$TMP/a-up" ] && break; sleep 0.01; done
accepts "$SOCK"
ok $? "supervisor A answers on its socket"
is "$(stat -c %a "$SOCK")" 666 "the socket is usable by the image's other users (mode 666)"
ino=$(stat -c %i "$SOCK")
out=$(http env SLIPWAY_SERVE_HEALTH_SOCKET=$SOCK "$SLIPWAY" -- true 2>&1)
is $? 0 "supervisor B with the same health_socket runs its server (exit 0)"
like "$out" "left to it" "B says the socket belongs to someone else"
is "$(stat -c %i "$SOCK" 2>/dev/null)" "$ino" "B did not replace A's socket"
accepts "$SOCK"
ok $? "A still answers on its socket after B exited"
touch "$TMP/a-stop"
wait "$A"
is $? 0 "A exits 0"
[ ! -e "$SOCK" ]
ok $? "A removed its own socket at exit"

# A stale socket (nobody listens) is replaced.
python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$SOCK"
[ -S "$SOCK" ] && ! accepts "$SOCK"
ok $? "a stale socket is there"
http env SLIPWAY_SERVE_HEALTH_SOCKET=$SOCK "$SLIPWAY" -- sh -c "touch \"$TMP/c-up\"; while [ ! -f \"$TMP/c-stop\" ]; do sleep 0.05; done" 2>"$TMP/c.log" &
C=$!
for _ in $(seq 3000); do [ -f "$TMP/c-up" ] && break; sleep 0.01; done
accepts "$SOCK"
ok $? "the stale socket was replaced by a live one"
touch "$TMP/c-stop"
wait "$C"

# The directory cannot be made: the real reason, not a guess.
echo file >"$TMP/notadir"
out=$(http env SLIPWAY_SERVE_HEALTH_SOCKET=$TMP/notadir/sub/h.sock "$SLIPWAY" -- true 2>&1)
like "$out" "cannot create its directory $TMP/notadir/sub: Not a directory" "a path through a regular file: the directory named, the real errno"

# health run by another user against a socket it may not use says why it falls back.
if id nobody >/dev/null 2>&1 && command -v setpriv >/dev/null; then
    mkdir -p "$TMP/closed"
    python3 -c 'import socket, sys, time; s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(); open(sys.argv[2], "w").close(); time.sleep(60)' "$TMP/closed/h.sock" "$TMP/l-up" &
    L=$!
    for _ in $(seq 3000); do [ -f "$TMP/l-up" ] && break; sleep 0.01; done
    chmod 600 "$TMP/closed/h.sock"
    chmod 755 "$TMP" "$TMP/closed"
    out=$(SLIPWAY_SERVE_HEALTH_SOCKET=$TMP/closed/h.sock SLIPWAY_DATABASE_URL="host=/nonexistent connect_timeout=1" SLIPWAY_DATABASE_WAIT=0 \
        setpriv --reuid=nobody --regid=nogroup --clear-groups "$SLIPWAY" -c /dev/null health 2>&1)
    like "$out" "Permission denied" "non-root health: says it could not ask the supervisor and why"
    kill "$L"
    wait "$L" 2>/dev/null
else
    ok 0 "# SKIP no nobody user or setpriv"
fi

done_testing
